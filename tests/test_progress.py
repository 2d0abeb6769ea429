"""The progress line: rate and time left, redrawn at most ten times a second, the last
line kept, and never an encoding error on a Japanese Windows console (cp932)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpibook.entries import Entries
from kpibook.forms.fill import write_filled_forms
from kpibook.plan import Plan
from kpibook.progress import INTERVAL, ProgressLine, display_width, duration
from tests.conftest import MATRIX


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _console(encoding: str = "cp932") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, newline="")


def _written(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode(stream.encoding)


def test_the_line_says_done_rate_and_time_left() -> None:
    line = ProgressLine("点検中 / checking", _console(), Clock())
    assert line.text(812, 1741, 21.25) == "点検中 / checking: 812/1,741 (46%) 38.2 件/s, 残り 24 s"
    assert line.text(1741, 1741, 45.6) == "点検中 / checking: 1,741/1,741 (100%) 38.2 件/s, 46 s"
    assert line.text(20, 1741, 0.0) == "点検中 / checking: 20/1,741 (1%)"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.4, "0 s"), (24.4, "24 s"), (185, "3 min 05 s"), (3720, "1 h 02 min")],
)
def test_durations(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_redrawn_at_most_ten_times_a_second_and_the_last_line_kept() -> None:
    clock = Clock()
    stream = _console()
    line = ProgressLine("点検中 / checking", stream, clock)
    total = 1741
    for done in range(1, total + 1):
        clock.now += 0.01  # a result every 10 ms: 17.4 s in all
        line(done, total)
    out = _written(stream)
    draws = out.count("\r")
    assert 17.41 / INTERVAL - 2 <= draws <= 17.41 / INTERVAL + 2
    last = out.split("\r")[-1]
    assert last.rstrip(" \n") == "点検中 / checking: 1,741/1,741 (100%) 100.0 件/s, 17 s"
    assert last.endswith("\n")
    assert out.count("\n") == 1


def test_a_shorter_line_covers_the_longer_one_before() -> None:
    clock = Clock()
    stream = _console()
    line = ProgressLine("点検中 / checking", stream, clock)
    clock.now += 1
    line(100, 1000)  # 残り 9 s
    clock.now += 899
    line(101, 1000)  # 残り 2 h 13 min: longer; then a shorter one
    clock.now += 1
    line(900, 1000)
    last = _written(stream).split("\r")[-1]
    before = _written(stream).split("\r")[-2]
    assert display_width(last) == display_width(before)
    assert last.rstrip(" ").endswith("(90%) 1.0 件/s, 残り 1 min 40 s")


def test_short_runs_draw_nothing() -> None:
    stream = _console()
    line = ProgressLine("点検中 / checking", stream, Clock())
    for done in range(1, 12):
        line(done, 11)
    assert _written(stream) == ""


def test_an_unfinished_line_is_ended_before_what_follows() -> None:
    clock = Clock()
    stream = _console()
    line = ProgressLine("様式を作成中 / writing forms", stream, clock)
    clock.now += 1
    line(30, 100)
    line.close()
    line.close()
    assert _written(stream).endswith("(30%) 30.0 件/s, 残り 2 s\n")


def test_what_cp932_cannot_show_is_replaced_not_fatal() -> None:
    clock = Clock()
    stream = _console("cp932")
    line = ProgressLine("✓ 点検中 — checking", stream, clock)
    clock.now += 1
    line(20, 20)
    assert _written(stream) == "\r? 点検中 ? checking: 20/20 (100%) 20.0 件/s, 1 s\n"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pseudo-terminal")
def test_kpibook_check_on_a_cp932_console_shows_its_progress(
    tmp_path: Path, matrix_plan: Plan, matrix_entries: Entries
) -> None:
    """As a Japanese Windows user runs it: a console in cp932, workers spawned."""
    import pty

    forms = write_filled_forms(matrix_plan, matrix_entries, tmp_path / "forms")
    returns = tmp_path / "returns"
    returns.mkdir()
    for copy in range(2):
        for form in forms:
            shutil.copy(form.path, returns / f"{form.path.stem}-{copy}.xlsx")
    count = 2 * len(forms)
    assert count >= 20
    exe = Path(sys.executable).with_name("kpibook")
    env = {**os.environ, "PYTHONIOENCODING": "cp932", "KPIBOOK_START_METHOD": "spawn"}
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [str(exe), "check", "-p", str(MATRIX / "plan.yaml"), "-j", "2", str(returns)],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    stdout, _ = proc.communicate(timeout=600)
    console = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal's other end is closed
            break
        if not chunk:
            break
        console += chunk
    os.close(master)
    text = console.decode("cp932")
    assert proc.returncode == 0, text + stdout.decode("cp932")
    assert f"点検中 / checking: {count}/{count} (100%)" in text
    assert "Error" not in text
    assert "Traceback" not in text
