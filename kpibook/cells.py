"""Cell references: 0-based integers inside kpibook, ``C7`` in everything a person reads."""

from __future__ import annotations


def col_letter(col: int) -> str:
    """0-based column index → ``A``, ``Z``, ``AA``."""
    if col < 0:
        raise ValueError(f"column {col} is negative")
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row: int, col: int) -> str:
    """0-based row and column → ``C7``."""
    return f"{col_letter(col)}{row + 1}"


def absolute(sheet: str, row: int, col: int) -> str:
    """``'記入様式'!$C$7``: an absolute reference usable in defined names."""
    return f"'{sheet}'!${col_letter(col)}${row + 1}"
