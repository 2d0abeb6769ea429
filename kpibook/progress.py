"""A progress line for long runs: how many done, how fast, how long still to go.

    点検中 / checking: 812/1,741 (47%) 38.2 件/s, 残り 24 s

Redrawn in place (carriage return) at most ten times a second, so that a fast run does
not spend its time printing; the last line is kept, with the whole run's time.  Plain
code: a progress library would cost ``kpibook --help`` its start-up budget.  The text is
made safe for the stream's encoding, so a Windows console in cp932 never raises
``UnicodeEncodeError`` (what cp932 cannot show is replaced, not fatal).
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from typing import TextIO

MIN_TOTAL = 20
"""Fewer items than this finish too soon for a progress line to help."""
INTERVAL = 0.1
"""Seconds between redraws, at least."""


class ProgressLine:
    """Called with (done, total) as results arrive; draws on ``stream``."""

    def __init__(
        self,
        label: str,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self._drawn_at: float | None = None
        self._width = 0
        self._open = False
        """A line is drawn and not yet ended."""

    def __call__(self, done: int, total: int) -> None:
        if total < MIN_TOTAL:
            return
        now = self.clock()
        final = done >= total
        if not final and self._drawn_at is not None and now - self._drawn_at < INTERVAL:
            return
        self._draw(self.text(done, total, now - self.started), final)
        self._drawn_at = now

    def close(self) -> None:
        """End a line left unfinished (the run stopped), so that what follows starts on a
        line of its own."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False

    def text(self, done: int, total: int, elapsed: float) -> str:
        share = f"{done:,}/{total:,} ({done * 100 // total}%)"
        rate = done / elapsed if elapsed > 0 else 0.0
        speed = f"{rate:.1f} 件/s" if rate else ""
        if done >= total:
            when = duration(elapsed)
        elif rate:
            when = f"残り {duration((total - done) / rate)}"
        else:
            when = ""
        tail = ", ".join(part for part in (speed, when) if part)
        return f"{self.label}: {share}" + (f" {tail}" if tail else "")

    def _draw(self, text: str, final: bool) -> None:
        text = _encodable(text, getattr(self.stream, "encoding", None) or "utf-8")
        width = display_width(text)
        pad = " " * max(0, self._width - width)  # cover the end of a longer line before
        self.stream.write(f"\r{text}{pad}" + ("\n" if final else ""))
        self.stream.flush()
        self._width = 0 if final else width
        self._open = not final


def duration(seconds: float) -> str:
    """``24 s``, ``3 min 05 s``, ``1 h 02 min``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: two for each wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _encodable(text: str, encoding: str) -> str:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode(encoding, "replace").decode(encoding)
    except LookupError:  # an encoding Python does not know: keep to ASCII
        return text.encode("ascii", "replace").decode("ascii")
    return text
