"""Cell references: one parser and one writer, each the inverse of the other."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpibook.cells import a1, absolute, col_index, col_letter, parse_a1

ROWS = st.integers(min_value=0, max_value=1_048_575)
COLS = st.integers(min_value=0, max_value=16_383)
REFS = st.from_regex(r"[A-Z]{1,3}[1-9][0-9]{0,6}", fullmatch=True)


@given(REFS)
def test_a_reference_survives_parse_and_write(ref: str) -> None:
    assert a1(*parse_a1(ref)) == ref


@given(ROWS, COLS)
def test_numbers_survive_write_and_parse(row: int, col: int) -> None:
    assert parse_a1(a1(row, col)) == (row, col)
    assert col_index(col_letter(col)) == col


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("A1", (0, 0)),
        ("C7", (6, 2)),
        ("Z1", (0, 25)),
        ("AA1", (0, 26)),
        ("AZ10", (9, 51)),
        ("XFD1048576", (1_048_575, 16_383)),  # Excel's last cell
        ("$C$7", (6, 2)),
        ("$C7", (6, 2)),
        ("C$7", (6, 2)),
    ],
)
def test_parse(ref: str, expected: tuple[int, int]) -> None:
    assert parse_a1(ref) == expected


@pytest.mark.parametrize(
    "ref",
    ["", "A", "7", "c7", "C 7", " C7", "AAAA1", "C7:D8", "'記入様式'!C7", "$$C7", "C７", "C-1"],
)
def test_parse_refuses_what_is_not_one_reference(ref: str) -> None:
    with pytest.raises(ValueError, match="not a cell reference"):
        parse_a1(ref)


@pytest.mark.parametrize("letters", ["", "a", "AAAA", "A1", "Ａ"])
def test_col_index_refuses_what_is_not_a_column(letters: str) -> None:
    with pytest.raises(ValueError, match="not a column"):
        col_index(letters)


def test_columns_at_the_letter_boundaries() -> None:
    assert [col_letter(c) for c in (0, 25, 26, 701, 702, 16_383)] == [
        "A",
        "Z",
        "AA",
        "ZZ",
        "AAA",
        "XFD",
    ]
    assert col_index("ZZZ") == 18_277  # three letters read, beyond Excel's XFD
    with pytest.raises(ValueError, match="negative"):
        col_letter(-1)


def test_absolute() -> None:
    assert absolute("記入様式", 6, 2) == "'記入様式'!$C$7"
