"""How a sheet goes on paper: the paper, the print scale, column groups and page breaks.

kpibook decides the pages itself instead of leaving it to "fit to page width": Excel
ignores manual page breaks on a sheet scaled to fit, and the two clients would scale the
same sheet differently.  So every printed sheet gets

* an explicit **scale**, the largest at which its widest column group fits the paper in
  the *wider* client (Excel draws a width unit 5.25 pt, LibreOffice 5.09 pt), so that no
  client spills a column onto an extra page;
* **column groups** when the whole width would print below :data:`MIN_PRINTED_POINTS`:
  the columns are split at the breaks the layout allows, the title columns (番号,
  事業名) repeat on each group's pages, and pages run across before down;
* **row breaks** between blocks (a card, a heading with its first card) computed from
  the rows' heights at that scale, so a block that fits on a page is never split.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kpibook.textfit import stored_width

POINTS_PER_INCH = 72
PAPER_INCHES: dict[str, tuple[float, float]] = {"A4": (8.27, 11.69), "A3": (11.69, 16.54)}
"""Portrait width and height of each paper."""
XLSX_PAPER = {"A4": 9, "A3": 8}
"""The paper codes of the xlsx format."""
MIN_PRINTED_POINTS = 8.0
"""The smallest text size kpibook plans to print (LibreOffice's word boxes of 8 pt CJK
text are about 10.4 pt high)."""
WIDEST_POINTS_PER_UNIT = 5.25
"""Points per stored column width unit in the wider client (Excel: Verdana 8's digit is
7 pixels; LibreOffice draws 5.09 pt, see :data:`kpibook.xlsx_write.NORMAL_FONT`)."""
HEADER_FOOTER_POINTS = 0.0
"""Points of the page body the header and footer lines take."""
MIN_SCALE, MAX_SCALE = 10, 100

Paper = Literal["A4", "A3"]
Orientation = Literal["portrait", "landscape"]


@dataclass(frozen=True)
class Page:
    """A sheet of paper and its margins (inches)."""

    paper: Paper
    orientation: Orientation
    left: float
    right: float
    top: float
    bottom: float

    @property
    def size(self) -> tuple[float, float]:
        """Width and height in points."""
        w, h = PAPER_INCHES[self.paper]
        if self.orientation == "landscape":
            w, h = h, w
        return w * POINTS_PER_INCH, h * POINTS_PER_INCH

    @property
    def printable_width(self) -> float:
        return self.size[0] - (self.left + self.right) * POINTS_PER_INCH

    @property
    def printable_height(self) -> float:
        """The page body: without margins, header and footer."""
        return self.size[1] - (self.top + self.bottom) * POINTS_PER_INCH - HEADER_FOOTER_POINTS

    def margins(self) -> dict[str, float]:
        return {"left": self.left, "right": self.right, "top": self.top, "bottom": self.bottom}


def widest_points(width_units: float) -> float:
    """A column's width in points in the client that draws it widest."""
    return stored_width(width_units) * WIDEST_POINTS_PER_UNIT


@dataclass(frozen=True)
class PrintPlan:
    """How a sheet's columns go on paper."""

    scale: int
    """Percent, 10 to 100."""
    column_breaks: list[int]
    """Columns that start a new group of pages (0-based)."""
    repeat_columns: tuple[int, int] | None
    """Title columns printed on every group's pages."""

    @property
    def factor(self) -> float:
        return self.scale / 100


def plan_columns(
    widths: Sequence[float],
    page: Page,
    font_size: float,
    repeat: tuple[int, int] | None = None,
    breaks: Sequence[int] | None = None,
) -> PrintPlan:
    """The scale and column groups for columns of ``widths`` (Excel units) whose smallest
    text is ``font_size`` pt: one group if the whole width prints at
    :data:`MIN_PRINTED_POINTS` or more, else groups split at ``breaks`` (any column when
    None) with the ``repeat`` columns on each group's pages."""
    points = [widest_points(w) for w in widths]
    need = min(1.0, MIN_PRINTED_POINTS / font_size)
    capacity = page.printable_width / need
    groups = _groups(points, capacity, repeat, breaks)
    repeated = sum(points[repeat[0] : repeat[1] + 1]) if repeat else 0.0
    widest = max(
        sum(points[first:last]) + (repeated if n else 0.0)
        for n, (first, last) in enumerate(itertools_pairs(groups, len(points)))
    )
    scale = min(MAX_SCALE, max(MIN_SCALE, math.floor(page.printable_width / widest * 100)))
    return PrintPlan(scale, groups[1:], repeat if len(groups) > 1 else None)


def itertools_pairs(starts: list[int], end: int) -> list[tuple[int, int]]:
    """Each group's first column and the column after its last."""
    return list(zip(starts, [*starts[1:], end], strict=True))


def _groups(
    points: list[float],
    capacity: float,
    repeat: tuple[int, int] | None,
    breaks: Sequence[int] | None,
) -> list[int]:
    allowed = set(range(1, len(points))) if breaks is None else {b for b in breaks if b > 0}
    repeated = sum(points[repeat[0] : repeat[1] + 1]) if repeat else 0.0
    starts = [0]
    used = 0.0
    last_allowed: int | None = None
    col = 0
    while col < len(points):
        if col in allowed and col != starts[-1]:
            last_allowed = col
        if used + points[col] > capacity and last_allowed is not None:
            starts.append(last_allowed)
            used = repeated + sum(points[last_allowed:col])
            last_allowed = None
        used += points[col]
        col += 1
    return starts


def row_breaks(
    blocks: Sequence[tuple[int, int]],
    heights: dict[int, float],
    default_height: float,
    capacity: float,
    last_row: int,
    forced: set[int] | frozenset[int] = frozenset(),
    titles: set[int] | frozenset[int] = frozenset(),
    whole: Sequence[tuple[int, int]] = (),
) -> list[int]:
    """Rows that start a new page so that no block (first and last row) that fits on a
    page is split: a block that does not fit where the page has room left starts a new
    page; a block taller than a page follows on the page it reaches and runs on.
    ``forced`` rows always start a page.  ``capacity`` is the page body in sheet points
    (at the print scale, without the repeated title rows, which ``titles`` lists).  Rows
    between blocks count with the block before them, rows before the first block on
    the first page.  Inside a block that runs on, no break falls inside one of the
    ``whole`` row ranges (a merged cell over several rows) unless it fills a page."""
    inside = {r: first for first, last in whole for r in range(first + 1, last + 1)}

    def height(rows: range) -> float:
        return sum(heights.get(r, default_height) for r in rows if r not in titles)

    ordered = sorted(blocks)
    if not ordered:
        return []
    used = height(range(ordered[0][0]))
    breaks: list[int] = []
    for n, (first, last) in enumerate(ordered):
        end = ordered[n + 1][0] - 1 if n + 1 < len(ordered) else max(last, last_row)
        block = height(range(first, last + 1))
        fits = block <= capacity
        if (first in forced and first > 0) or (fits and used > 0 and used + block > capacity):
            breaks.append(first)
            used = 0.0
        if not fits:  # taller than a page: it runs on; break before the overflow
            page_start = breaks[-1] if breaks else 0
            for row in range(first, last + 1):
                h = height(range(row, row + 1))
                if used > 0 and used + h > capacity:
                    at = inside.get(row, row)
                    at = at if at > page_start else row  # a merged cell taller than a page
                    breaks.append(at)
                    page_start = at
                    used = height(range(at, row))
                used += h
        else:
            used += block
        used += height(range(last + 1, end + 1))
    return breaks
