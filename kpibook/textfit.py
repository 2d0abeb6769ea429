"""How much room text needs: terminal columns, and lines and rows in a spreadsheet.

A cell's text wraps inside the column's width and the row must be tall enough for every
line, or the rest is cut off on screen and on paper.  The two clients draw the same file
differently, so every estimate here takes the side that never clips:

* **widths** are LibreOffice's, the narrower client: a width unit is the digit of the
  workbook's Normal font (Verdana 8, drawn with DejaVu Sans where Verdana is missing:
  5.09 pt; Excel draws it 5.25 pt, see :data:`kpibook.xlsx_write.NORMAL_FONT`);
* **characters**: a full-width character (kanji, kana, full-width punctuation) is one
  em wide; anything else is counted at 0.64 em, DejaVu Sans' digit (LibreOffice's
  fallback for Latin text, wider than Yu Gothic's);
* **lines** are 1.45 em apart, as LibreOffice draws Noto Sans CJK (measured at 8, 9 and
  10 pt); a row adds 4 pt of padding;
* a line is assumed one character shorter than the width allows, for the line-breaking
  rules of Japanese (禁則: no line starts with 、。」) which push a character down.

Excel keeps a row at most 409 pt tall; :func:`split_for_rows` cuts a long text into
pieces that each fit one such row, at paragraph or sentence ends where it can.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache
from itertools import repeat

MAX_ROW_POINTS = 409.0
"""Excel's tallest row."""
LINE_EM = 1.45
"""Distance between lines, in em (LibreOffice, Noto Sans CJK)."""
ROW_PADDING = 4.0
"""Points a row adds above and below its lines."""
NARROW_EM = 0.64
"""Width of a character that is not full-width, in em."""
CELL_PADDING = 4.5
"""Points of a cell's width that text does not use (left and right)."""
EXCEL_PIXELS_PER_UNIT = 7
EXCEL_COLUMN_PADDING = 5
"""How xlsxwriter stores a width: ``(int(w * 7 + 0.5) + 5) / 7`` units."""
NARROWEST_POINTS_PER_UNIT = 5.09
"""A stored width unit in the narrower client (LibreOffice: DejaVu Sans' digit at 8 pt)."""
BREAK_AFTER = "。．.！？!?\n"
"""Where a text is preferably cut between rows: after a sentence or a paragraph."""


def text_width(text: str) -> int:
    """Columns a terminal uses: full-width (W/F) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def stored_width(width_units: float) -> float:
    """The width xlsxwriter writes for a column set ``width_units`` wide."""
    if width_units <= 0:
        return 0.0
    pixels = int(width_units * EXCEL_PIXELS_PER_UNIT + 0.5) + EXCEL_COLUMN_PADDING
    return pixels / EXCEL_PIXELS_PER_UNIT


def column_units(points: float) -> float:
    """The width units of a column ``points`` wide in the narrower client."""
    stored = points / NARROWEST_POINTS_PER_UNIT
    return max((stored * EXCEL_PIXELS_PER_UNIT - EXCEL_COLUMN_PADDING) / EXCEL_PIXELS_PER_UNIT, 0)


def column_points(width_units: float) -> float:
    """A column's width in points in the client that draws it narrower."""
    return stored_width(width_units) * NARROWEST_POINTS_PER_UNIT


def merged_width(widths: list[float]) -> float:
    """The width units of one cell as wide as these columns merged (each column's
    padding pixels become room for text)."""
    pixels = sum(int(w * EXCEL_PIXELS_PER_UNIT + 0.5) + EXCEL_COLUMN_PADDING for w in widths)
    return max(pixels - EXCEL_COLUMN_PADDING, 0) / EXCEL_PIXELS_PER_UNIT


class _Wide(dict[str, bool]):
    """Whether a character is drawn full-width (East Asian W, F or A), worked out once per
    character: a dict lookup per character of a text measured, not a call."""

    def __missing__(self, ch: str) -> bool:
        wide = self[ch] = unicodedata.east_asian_width(ch) in "WFA"
        return wide


_WIDE = _Wide()


def em_width(text: str) -> float:
    """The width of ``text`` in em, on one line."""
    if text.isascii():  # no ASCII character is full-width: the same sum, added up once
        return _narrow_run(len(text))
    wide = _WIDE
    return sum(1.0 if wide[c] else NARROW_EM for c in text)


@lru_cache(maxsize=256)
def _narrow_run(length: int) -> float:
    return sum(repeat(NARROW_EM, length))


def wrap(text: str, width_units: float, size: float) -> list[str]:
    """``text`` as the lines it wraps into in a cell ``width_units`` wide at ``size`` pt.

    Full-width text breaks anywhere; a run of Latin letters and digits moves to the next
    line whole when it fits there, as both clients do."""
    usable = max(column_points(width_units) - CELL_PADDING - size, size)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += _paragraph(paragraph, usable, size)
    return lines


def _paragraph(p: str, usable: float, size: float) -> list[str]:
    narrow = size * NARROW_EM
    wide = _WIDE
    widths = [size if wide[c] else narrow for c in p]
    lines: list[str] = []
    start, used, i, n = 0, 0.0, 0, len(p)
    while i < n:
        j = i + 1
        if p[i].isascii() and p[i].isalnum():  # a Latin word: kept whole where it fits
            while j < n and p[j].isascii() and p[j].isalnum():
                j += 1
            word = sum(widths[i:j])
            if used + word <= usable:
                used += word
                i = j
                continue
            if used > 0 and word <= usable and j - i > 1:
                lines.append(p[start:i])
                start, used, i = i, word, j
                continue
        for k in range(i, j):  # one character, or a word longer than a line
            if used + widths[k] > usable and k > start:
                lines.append(p[start:k])
                start, used = k, 0.0
            used += widths[k]
        i = j
    lines.append(p[start:])
    return lines


def lines_needed(text: str, width_units: float, size: float = 10) -> int:
    """Wrapped lines of ``text`` in a cell ``width_units`` wide (Excel width units)."""
    if "\n" not in text and len(text) * size <= column_points(width_units) - CELL_PADDING - size:
        return 1  # fits on one line even if every character is full-width
    return _lines(text, width_units, size)


@lru_cache(maxsize=4096)
def _lines(text: str, width_units: float, size: float) -> int:
    """Forms repeat their rules and labels on every project: counted once."""
    return len(wrap(text, width_units, size))


@lru_cache(maxsize=1024)
def longest_height(characters: int, width_units: float, size: float) -> float:
    """The row height ``characters`` full-width characters need (at most 409 pt): the
    room a text input of that maximum length is given."""
    return row_height(lines_needed("あ" * characters, width_units, size), size)


def row_height(lines: int, font_size: float) -> float:
    """Row height in points for ``lines`` lines of text (at most Excel's 409 pt)."""
    return min(math.ceil((lines * font_size * LINE_EM + ROW_PADDING) * 4) / 4, MAX_ROW_POINTS)


def max_lines(font_size: float, height: float = MAX_ROW_POINTS) -> int:
    """How many lines fit in a row ``height`` points tall."""
    return max(1, int((height - ROW_PADDING) / (font_size * LINE_EM)))


@lru_cache(maxsize=4096)
def one_line_width(text: str, font_size: float) -> int:
    """The narrowest column (whole width units) that shows ``text`` on one line: what a
    number needs, which neither client wraps sensibly (Excel shows ####)."""
    units = 1
    while lines_needed(text, units, font_size) > 1:
        units += 1
    return units


@lru_cache(maxsize=256)
def width_for(characters: int, font_size: float, height: float = MAX_ROW_POINTS) -> int:
    """The narrowest column (whole width units) in which ``characters`` full-width
    characters fit in one row at most ``height`` points tall."""
    units = 1
    while lines_needed("あ" * characters, units, font_size) > max_lines(font_size, height):
        units += 1
    return units


def split_for_rows(
    text: str, width_units: float, size: float, height: float = MAX_ROW_POINTS
) -> list[str]:
    """``text`` cut into pieces that each fit a row at most ``height`` points tall, so a
    long text continues on the following rows instead of being cut off.  Pieces end at
    a paragraph or sentence end where one falls in the last third of a piece; joined
    they give the text back (less the line break a piece ends at)."""
    limit = max_lines(size, height)
    pieces: list[str] = []
    rest = text
    while lines_needed(rest, width_units, size) > limit:
        cut = _longest_fit(rest, width_units, size, limit)
        soft = max((n + 1 for n in range(cut * 2 // 3, cut) if rest[n] in BREAK_AFTER), default=cut)
        pieces.append(rest[:soft].removesuffix("\n"))
        rest = rest[soft:]
    pieces.append(rest)
    return pieces


def _longest_fit(text: str, width_units: float, size: float, limit: int) -> int:
    """The longest prefix of ``text`` (in characters) that fits ``limit`` lines."""
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if lines_needed(text[:mid], width_units, size) <= limit:
            low = mid
        else:
            high = mid - 1
    return low
