"""What kpibook writes: permissions from the user's umask, one merge at a time with a
lock that is honest about who holds it, and a master never replaced by mistake."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kpibook.cli import main
from kpibook.entries import Entries
from kpibook.forms.fill import write_filled_forms
from kpibook.lock import exclusive, lock_path
from kpibook.plan import Plan
from tests.conftest import CARD


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def returns(tmp_path: Path, card_plan: Plan, card_entries: Entries) -> Path:
    folder = tmp_path / "returns"
    write_filled_forms(card_plan, card_entries, folder)
    return folder


def _merge(master: Path, *more: str) -> Result:
    return CliRunner().invoke(
        main, ["merge", "-p", str(CARD / "plan.yaml"), "-o", str(master), *more]
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_every_output_gets_the_users_umask(tmp_path: Path, returns: Path, umask_022: None) -> None:
    """Forms go to shared folders and masters are published: 0644 under umask 022, not
    the 0600 of a temporary file."""
    forms = tmp_path / "forms"
    runner = CliRunner()
    assert (
        runner.invoke(main, ["generate", str(CARD / "plan.yaml"), "-o", str(forms)]).exit_code == 0
    )
    master = tmp_path / "master.xlsx"
    result = _merge(master, str(returns))
    assert result.exit_code == 0
    data = tmp_path / "open-data"
    assert runner.invoke(main, ["export", str(master), "-o", str(data)]).exit_code == 0
    written = [*forms.iterdir(), master, *data.iterdir()]
    assert written
    assert {p.name: _mode(p) for p in written} == {p.name: 0o644 for p in written}


def test_a_stale_lock_is_named_stale_and_can_be_broken(tmp_path: Path, returns: Path) -> None:
    master = tmp_path / "master.xlsx"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    lock_path(master).write_text(
        json.dumps({"host": socket.gethostname(), "pid": pid, "since": "2026-11-01T09:00"}),
        encoding="utf-8",
    )
    refused = _merge(master, str(returns))
    assert refused.exit_code == 1
    assert f"pid {pid}" in refused.stderr
    assert "stale lock" in refused.stderr
    broken = _merge(master, "--break-lock", str(returns))
    assert broken.exit_code == 0
    assert master.exists()
    assert not lock_path(master).exists()


def test_break_lock_never_removes_the_lock_of_a_live_run(tmp_path: Path, returns: Path) -> None:
    master = tmp_path / "master.xlsx"
    live = {"host": socket.gethostname(), "pid": os.getpid(), "since": "now", "token": "x"}
    lock_path(master).write_text(json.dumps(live), encoding="utf-8")
    result = _merge(master, "--break-lock", str(returns))
    assert result.exit_code == 1
    assert "still alive" in result.stderr
    assert lock_path(master).exists()
    assert not master.exists()


def test_a_run_removes_only_its_own_lock(tmp_path: Path) -> None:
    """A lock replaced by another run (after --break-lock elsewhere) is not removed by
    the run that finishes first."""
    target = tmp_path / "master.xlsx"
    with exclusive(target):
        other = {"host": "pc-02", "pid": 1, "since": "now", "token": "theirs"}
        lock_path(target).write_text(json.dumps(other), encoding="utf-8")
    assert json.loads(lock_path(target).read_text(encoding="utf-8"))["token"] == "theirs"


@pytest.mark.skipif(os.name == "nt", reason="POSIX signal")
def test_sigterm_removes_the_lock(tmp_path: Path) -> None:
    target = tmp_path / "master.xlsx"
    held = []

    def run() -> None:
        with exclusive(target):
            held.append(lock_path(target).exists())
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(SystemExit):
        run()
    assert held == [True]
    assert not lock_path(target).exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_ctrl_c_removes_the_lock(tmp_path: Path) -> None:
    target = tmp_path / "master.xlsx"
    with pytest.raises(KeyboardInterrupt), exclusive(target):
        raise KeyboardInterrupt
    assert not lock_path(target).exists()


def test_temporaries_of_a_killed_run_are_cleaned_by_the_next(tmp_path: Path, returns: Path) -> None:
    master = tmp_path / "master.xlsx"
    left = tmp_path / ".master.xlsx.k1ll3d.tmp"
    left.write_bytes(b"half a master")
    other = tmp_path / ".other.xlsx.k1ll3d.tmp"  # another output's: not ours
    other.write_bytes(b"")
    assert _merge(master, str(returns)).exit_code == 0
    assert not left.exists()
    assert other.exists()


def test_merge_of_no_returns_keeps_the_master(tmp_path: Path, returns: Path) -> None:
    master = tmp_path / "master.xlsx"
    assert _merge(master, str(returns)).exit_code == 0
    before = master.read_bytes()
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = _merge(master, str(empty))
    assert refused.exit_code == 2
    assert "no return was found" in refused.stderr
    assert master.read_bytes() == before
    allowed = _merge(master, "--allow-empty", str(empty))
    assert allowed.exit_code == 0
    assert master.read_bytes() != before


@pytest.mark.parametrize(
    ("lock_name", "program"),
    [("~$master.xlsx", "Excel"), (".~lock.master.xlsx#", "LibreOffice")],
)
def test_a_master_open_in_excel_or_libreoffice_is_said_before_any_work(
    tmp_path: Path, returns: Path, lock_name: str, program: str
) -> None:
    master = tmp_path / "master.xlsx"
    master.write_bytes(b"the previous master")
    (tmp_path / lock_name).write_bytes(b"owner")
    result = _merge(master, str(returns))
    assert result.exit_code == 1
    assert f"open in {program}" in result.stderr
    assert master.read_bytes() == b"the previous master"


def test_lock_in_a_missing_folder_is_a_message(tmp_path: Path) -> None:
    from kpibook.atomic import OutputError

    with pytest.raises(OutputError, match="missing"), exclusive(tmp_path / "missing" / "m.xlsx"):
        pass
