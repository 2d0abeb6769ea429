"""How much room text needs: terminal columns, and lines in a spreadsheet cell.

Japanese full-width characters take two columns in a terminal and about two of Excel's
column-width units; row heights are estimated from that so wrapped text is not clipped.
"""

from __future__ import annotations

import math
import unicodedata

POINTS_PER_LINE_PER_FONT_POINT = 1.4
"""Line height relative to the font size (Japanese glyphs need more than Latin ones)."""


def text_width(text: str) -> int:
    """Columns a terminal uses: full-width (W/F) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def lines_needed(text: str, width_units: float) -> int:
    """Wrapped lines of ``text`` in a cell ``width_units`` wide (Excel width units)."""
    usable = max(width_units - 1.5, 1.0)
    return sum(max(1, math.ceil(text_width(p) * 1.05 / usable)) for p in text.split("\n"))


def row_height(lines: int, font_size: float) -> float:
    """Row height in points for ``lines`` lines of text."""
    return round(lines * font_size * POINTS_PER_LINE_PER_FONT_POINT + 4, 1)
