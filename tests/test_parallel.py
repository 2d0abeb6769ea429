"""Many files on every core: the same results, in input order, with fork and with spawn
(what Windows and macOS use); one failing file never stops the others; Ctrl-C stops."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kpibook.entries import Entries
from kpibook.errors import KpibookError
from kpibook.forms import generate_forms
from kpibook.forms.fill import write_filled_forms
from kpibook.message import Message
from kpibook.parallel import (
    MIN_PARALLEL,
    START_METHOD_ENV,
    ItemsFailed,
    StartMethodError,
    WorkerKpibookError,
    map_files,
)
from kpibook.plan import Plan
from kpibook.returns.check import check_returns
from tests.conftest import ROOT

METHODS = [m for m in ("fork", "spawn") if m in multiprocessing.get_all_start_methods()]
ITEMS = list(range(3 * MIN_PARALLEL))


# -- functions the workers run (module level, so that spawned workers can import them) --


def _scaled(factor: int, item: int) -> int:
    return factor * item


def _fail_on(context: tuple[Path, frozenset[int]], item: int) -> int:
    done, bad = context
    if item in bad:
        raise ValueError(f"item {item} is bad")
    (done / str(item)).touch()
    return item


class _Unpicklable(KpibookError):
    """A user error that holds something pickle cannot send (a lock, an open file):
    kpibook's errors pickle, a future one might not."""

    exit_code = 3

    def __init__(self, name: str, code: int) -> None:
        super().__init__(Message(ja=f"{name}: 書けません", en=f"cannot write it ({code})"))
        self.held = threading.Lock()


def _user_error_on_five(context: None, item: int) -> int:
    if item == 5:
        raise _Unpicklable(f"form{item}.xlsx", 13)
    return item


def _wait_forever(folder: str, item: int) -> None:
    (Path(folder) / f"{os.getpid()}-{item}").touch()
    time.sleep(3600)


# -- map_files ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_results_come_back_in_input_order(method: str) -> None:
    assert map_files(_scaled, 3, ITEMS, jobs=2, method=method) == [3 * i for i in ITEMS]


def test_the_start_method_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(START_METHOD_ENV, "thread")
    with pytest.raises(StartMethodError, match="thread"):
        map_files(_scaled, 3, ITEMS, jobs=2)


@pytest.mark.parametrize("method", [*METHODS, "one process"])
def test_a_failing_item_does_not_stop_the_others(tmp_path: Path, method: str) -> None:
    jobs = 1 if method == "one process" else 2
    with pytest.raises(ValueError, match="item 5 is bad"):
        map_files(
            _fail_on,
            (tmp_path, frozenset({5})),
            ITEMS,
            jobs=jobs,
            method=None if jobs == 1 else method,
        )
    assert sorted(int(p.name) for p in tmp_path.iterdir()) == [i for i in ITEMS if i != 5]


@pytest.mark.parametrize("method", METHODS)
def test_every_failure_is_named(tmp_path: Path, method: str) -> None:
    with pytest.raises(ItemsFailed) as caught:
        map_files(_fail_on, (tmp_path, frozenset({5, 17})), ITEMS, jobs=2, method=method)
    assert [str(e) for e in caught.value.failures] == ["item 5 is bad", "item 17 is bad"]
    assert "2 of 24 failed" in str(caught.value)
    assert len(list(tmp_path.iterdir())) == len(ITEMS) - 2


def test_a_bug_in_a_worker_says_where_it_happened(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="item 5 is bad") as caught:
        map_files(_fail_on, (tmp_path, frozenset({5})), ITEMS, jobs=2, method="spawn")
    assert "in a worker process" in "".join(caught.value.__notes__)
    assert "_fail_on" in "".join(caught.value.__notes__)


@pytest.mark.parametrize("method", METHODS)
def test_a_user_error_that_does_not_pickle_still_reaches_the_user(method: str) -> None:
    with pytest.raises(WorkerKpibookError) as caught:
        map_files(_user_error_on_five, None, ITEMS, jobs=2, method=method)
    assert str(caught.value) == "form5.xlsx: 書けません / cannot write it (13)"
    assert caught.value.exit_code == 3


# -- the real work, spawned: as one process does it -----------------------------------------


@pytest.fixture
def spawn(monkeypatch: pytest.MonkeyPatch) -> None:
    if "spawn" not in multiprocessing.get_all_start_methods():
        pytest.skip("no spawn here")
    monkeypatch.setenv(START_METHOD_ENV, "spawn")


@pytest.mark.usefixtures("spawn")
def test_generate_spawned_writes_what_one_process_writes(tmp_path: Path, matrix_plan: Plan) -> None:
    alone = generate_forms(matrix_plan, tmp_path / "alone", jobs=1)
    spawned = generate_forms(matrix_plan, tmp_path / "spawned", jobs=2)
    assert len(spawned) >= MIN_PARALLEL  # so the workers did run
    assert [(f.department, f.path.name, f.stamp, f.inputs) for f in spawned] == [
        (f.department, f.path.name, f.stamp, f.inputs) for f in alone
    ]
    for a, s in zip(alone, spawned, strict=True):
        assert s.path.read_bytes() == a.path.read_bytes(), s.path.name


@pytest.mark.usefixtures("spawn")
def test_check_spawned_finds_what_one_process_finds(
    tmp_path: Path, matrix_plan: Plan, matrix_entries: Entries, card_plan: Plan
) -> None:
    returns = write_filled_forms(matrix_plan, matrix_entries, tmp_path / "returns")
    other = generate_forms(card_plan, tmp_path / "other", jobs=1)[0].path
    (tmp_path / "empty.xlsx").write_bytes(b"")
    (tmp_path / "notes.xlsx").write_text("担当課,実績\n", encoding="utf-8")
    paths = [tmp_path / "empty.xlsx", *(r.path for r in returns), other, tmp_path / "notes.xlsx"]
    alone = check_returns(matrix_plan, paths, jobs=1)
    spawned = check_returns(matrix_plan, paths, jobs=2)
    assert [r.path for r in spawned.returns] == [str(p) for p in paths]
    assert spawned.model_dump() == alone.model_dump()
    assert [r.ok for r in spawned.returns] == [False] + [True] * len(returns) + [False, False]


def test_a_file_check_fails_on_is_reported_and_the_others_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, matrix_plan: Plan, matrix_entries: Entries
) -> None:
    import kpibook.returns.check as check_module

    returns = [r.path for r in write_filled_forms(matrix_plan, matrix_entries, tmp_path)]
    real = check_module.check_return

    def flaky(plan: Plan, path: Path, *args: object, **kw: object) -> check_module.ReturnResult:
        if path == returns[1]:
            raise RuntimeError("a bug")
        return real(plan, path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(check_module, "check_return", flaky)
    report = check_returns(matrix_plan, returns, jobs=1)
    assert [(r.file, [f.code for f in r.findings]) for r in report.returns[:3]] == [
        (returns[0].name, []),
        (returns[1].name, ["check-failed"]),
        (returns[2].name, []),
    ]
    assert "RuntimeError: a bug" in report.returns[1].findings[0].message_en


# -- Ctrl-C -----------------------------------------------------------------------------------


RUN_FOREVER = """
import sys
from kpibook.parallel import map_files
from tests.test_parallel import _wait_forever
try:
    map_files(_wait_forever, sys.argv[1], range(40), jobs=2, method=sys.argv[2])
except KeyboardInterrupt:
    sys.exit(130)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("who", ["terminal", "main process only"])
def test_ctrl_c_stops_the_workers(tmp_path: Path, method: str, who: str) -> None:
    """A terminal's Ctrl-C reaches every process of the group; ``kill -INT`` only the main
    one.  Either way the run ends (the items would take an hour) and no worker is left."""
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_FOREVER, str(tmp_path), method],
        cwd=ROOT,
        start_new_session=True,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(1200):  # the hang guard of this wait is not what is tested
            if len(list(tmp_path.iterdir())) >= 2:
                break
            time.sleep(0.1)
        workers = {int(p.name.split("-")[0]) for p in tmp_path.iterdir()}
        assert len(workers) == 2
        if who == "terminal":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=120) == 130
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.stderr is not None
    assert "Traceback" not in proc.stderr.read()
    assert not [pid for pid in workers if _running(pid)]
