"""Every everyday mistake at the command line, in one table: what was typed, what kpibook
says, and the exit code the README documents — never a traceback."""

from __future__ import annotations

import errno
import gc
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpibook.cli import main
from tests.conftest import CARD


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A coordinator's folder after one cycle: forms, returns, a master, a stray file."""
    root = tmp_path_factory.mktemp("cli")
    assert CliRunner().invoke(main, ["demo", str(root / "demo")]).exit_code == 0
    (root / "afile").write_text("a file where a folder is expected", encoding="utf-8")
    returns = root / "returns"
    shutil.copytree(root / "demo" / "2-returns", returns)
    first = sorted(returns.iterdir())[0]
    # a copy whose name is not UTF-8 (made on a system with another encoding)
    shutil.copy(first, returns / "bad\udcff.xlsx")
    big = (
        (CARD / "plan.yaml")
        .read_text(encoding="utf-8")
        .replace("final_target: 350", "final_target: 1.0e+400", 1)
    )
    (root / "big.yaml").write_text(big, encoding="utf-8")
    plan = (CARD / "plan.yaml").read_text(encoding="utf-8")
    lost = plan.replace("layout: card\n", "layout: card\ntemplate: gone.yaml\n", 1)
    (root / "lost.yaml").write_text(lost, encoding="utf-8")
    (root / "taken.template.yaml").write_text("# a template already there\n", encoding="utf-8")
    return root


PLAN = str(CARD / "plan.yaml")
MASTER = "demo/3-master_kashiwa-lifelong-learning.xlsx"

NEW = ["plan", "new", "--start", "R7", "--end", "R9", "--no-ask"]

# (what the coordinator typed, text kpibook must say, exit code)
MISTAKES: list[tuple[list[str], str, int]] = [
    (["merge", "-p", PLAN, "-o", "missing/m.xlsx", "returns"], "cannot write it", 1),
    (["merge", "-p", PLAN, "-o", "afile/m.xlsx", "returns"], "cannot write it", 1),
    (["generate", PLAN, "-o", "afile/x"], "cannot write it", 1),
    (["export", MASTER, "-o", "afile/x"], "cannot write it", 1),
    (["plan", "new", "n.xlsx", "--start", "H0", "--end", "R5"], "年度として読めません", 2),
    (["plan", "new", "n.xlsx", "--start", "R9", "--end", "R5"], "--end is before --start", 2),
    (["plan", "check", "big.yaml"], "beyond what a spreadsheet holds", 1),
    (["generate", "big.yaml", "-o", "out"], "beyond what a spreadsheet holds", 1),
    (["check", "-p", "missing.yaml", "returns"], "no such file", 1),
    (["generate", PLAN, "-o", "out", "--department", "不明課"], "not in the plan", 2),
    (["merge", "-p", PLAN, "-o", "m.xlsx", "--use", "none.xlsx", "returns"], "--use names", 2),
    (["merge", "-p", PLAN, "-o", "demo/2-returns/" + "x.xlsx", "nothing"], "does not exist", 2),
    (["rollover", MASTER, "--to-year", "R99x", "-o", "next.yaml"], "年度として読めません", 2),
    (["export", PLAN.replace("plan.yaml", "entries.yaml"), "-o", "x"], "cannot load", 1),
    (["frobnicate"], "No such command", 2),
    # plan new: a scale or a word it cannot take, and a template it would overwrite
    (["plan", "new", "n.xlsx", "--start", "R7", "--end", "R9", "--scale", "abcd"], "no scale", 2),
    (
        ["plan", "new", "n.xlsx", "--start", "R7", "--end", "R9", "--scale", "A:x:y"],
        "cannot read",
        2,
    ),
    (
        ["plan", "new", "n.xlsx", "--start", "R7", "--end", "R9", "--scale", "A:50:y,B:60:z"],
        "best",
        2,
    ),
    (
        ["plan", "new", "n.xlsx", "--start", "R7", "--end", "R9", "--scale", "A:50:y,B:10:z"],
        "be 0",
        2,
    ),
    (
        ["plan", "new", "n.xlsx", "--start", "R7", "--end", "R9", "--project-term", " 取組"],
        "one line",
        2,
    ),
    (
        ["plan", "new", "taken.xlsx", "--start", "R7", "--end", "R9", "--project-term", "取組"],
        "exists; use --force",
        2,
    ),
    (
        [
            "plan",
            "new",
            "n.xlsx",
            "--start",
            "R7",
            "--end",
            "R9",
            "--layout",
            "matrix",
            "--years",
            "across",
        ],
        "only the card layout prints its years across",
        2,
    ),
    # a plan naming a template that is not there, whatever the command
    (["plan", "check", "lost.yaml"], "様式テンプレート「gone.yaml」が見つかりません", 1),
    (["generate", "lost.yaml", "-o", "out"], "does not exist", 1),
    (["check", "-p", "lost.yaml", "returns"], "template", 1),
]


@pytest.mark.parametrize(
    ("args", "says", "code"),
    MISTAKES,
    ids=[" ".join(m[0][:2]) + f" {n}" for n, m in enumerate(MISTAKES)],
)
def test_a_mistake_is_a_message_and_its_exit_code(
    world: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], says: str, code: int
) -> None:
    monkeypatch.chdir(world)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code, result.output
    assert says in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


def test_file_names_that_are_not_utf8_are_shown_escaped(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check --json and merge used to end in UnicodeEncodeError on such a name."""
    import json

    monkeypatch.chdir(world)
    checked = CliRunner().invoke(main, ["check", "--json", "-p", PLAN, "returns"])
    assert checked.exit_code == 0, checked.output
    files = [r["file"] for r in json.loads(checked.stdout)["returns"]]
    assert "bad\\xff.xlsx" in files
    merged = CliRunner().invoke(main, ["merge", "-p", PLAN, "-o", "m.xlsx", "returns"])
    assert merged.exit_code == 0, merged.output
    assert (world / "m.xlsx").exists()


def test_a_full_disk_is_one_message_without_noise_before_it(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills while the zip is written: one message, the previous master kept,
    and no "Exception ignored in ZipFile.__del__" printed above it."""
    monkeypatch.chdir(world)
    master = world / "full.xlsx"
    master.write_bytes(b"the previous master")
    ignored: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)

    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    write: Callable[..., Any] = full
    monkeypatch.setattr(zipfile.ZipFile, "write", write)
    monkeypatch.setattr(zipfile.ZipFile, "_write_end_record", full)
    result = CliRunner().invoke(main, ["merge", "-p", PLAN, "-o", str(master), "returns"])
    gc.collect()
    assert result.exit_code == 1, result.output
    assert "ディスクの空き容量が足りません" in result.output
    assert master.read_bytes() == b"the previous master"
    assert ignored == []
