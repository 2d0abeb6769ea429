"""Cell references: 0-based integers inside kpibook, ``C7`` in everything a person reads.

The one place that turns references into numbers and back.  A reference is one to three
upper-case column letters and a row number, each optionally absolute (``$C$7``), as
OOXML writes them; the numbers are not checked against Excel's limits (``XFD``,
1,048,576), so a reader can report what a file says before deciding what to make of it.
"""

from __future__ import annotations

import functools
import re

_A1 = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]+)")


@functools.lru_cache(maxsize=18_278)
def col_letter(col: int) -> str:
    """0-based column index → ``A``, ``Z``, ``AA``.  Remembered: writers name the same
    few columns for every cell."""
    if col < 0:
        raise ValueError(f"column {col} is negative")
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@functools.lru_cache(maxsize=18_278)  # every column of one to three letters, A to ZZZ
def col_index(letters: str) -> int:
    """Column letters → 0-based index: ``A`` → 0, ``AA`` → 26, ``XFD`` → 16383; the
    inverse of :func:`col_letter`.  Remembered: readers decode the same few columns for
    every cell of every file."""
    if not 1 <= len(letters) <= 3 or not all("A" <= ch <= "Z" for ch in letters):
        raise ValueError(f"{letters!r} is not a column (one to three letters A-Z)")
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def parse_a1(ref: str) -> tuple[int, int]:
    """``C7`` or ``$C$7`` → 0-based (row, col) = (6, 2); the inverse of :func:`a1`.

    Raises ValueError for anything else: lower case, a sheet name, a range, spaces."""
    m = _A1.fullmatch(ref)
    if m is None:
        raise ValueError(f"{ref!r} is not a cell reference like C7")
    return int(m[2]) - 1, col_index(m[1])


def a1(row: int, col: int) -> str:
    """0-based row and column → ``C7``."""
    return f"{col_letter(col)}{row + 1}"


def absolute(sheet: str, row: int, col: int) -> str:
    """``'記入様式'!$C$7``: an absolute reference usable in defined names."""
    return f"'{sheet}'!${col_letter(col)}${row + 1}"
