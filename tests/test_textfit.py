"""How much room text needs: lines, rows of at most 409 pt, and long texts cut into rows."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from kpibook.textfit import (
    MAX_ROW_POINTS,
    NARROW_EM,
    column_points,
    em_width,
    lines_needed,
    max_lines,
    merged_width,
    row_height,
    split_for_rows,
    width_for,
    wrap,
)

JAPANESE = (
    "市民のニーズに対応したメニューの提供を行うことができた。"
    "新規に追加した講座の実施回数が増加し、参加人数が前年より大幅に増加した。"
)


def test_full_width_text_wraps_by_the_narrower_clients_width() -> None:
    # 50 units: LibreOffice draws 50.71 stored units of 5.09 pt, 258 pt; less padding and
    # one character for 禁則, 24 characters of 10 pt a line.
    assert 255 < column_points(50) < 260
    assert [len(line) for line in wrap("あ" * 60, 50, 10)] == [24, 24, 12]
    assert lines_needed("あ" * 60, 50, 9) == 3  # 26 a line at 9 pt


def test_latin_words_move_to_the_next_line_whole() -> None:
    lines = wrap("あ" * 20 + " KIKAI OPEN MEETING", 30, 10)
    assert all(not line.startswith(("IKAI", "PEN", "EETING")) for line in lines)
    assert "".join(lines) == "あ" * 20 + " KIKAI OPEN MEETING"


def test_rows_are_never_taller_than_excel_allows() -> None:
    assert row_height(1, 10) == 18.5
    assert row_height(100, 10) == MAX_ROW_POINTS
    assert max_lines(10) == 27  # 27 × 14.5 pt + 4 pt ≤ 409 pt


def test_width_for_fits_the_longest_text_in_one_row() -> None:
    for size in (9, 10):
        units = width_for(1000, size)
        assert lines_needed("あ" * 1000, units, size) <= max_lines(size)
        assert lines_needed("あ" * 1000, units - 1, size) > max_lines(size)


def test_merged_cells_gain_each_columns_padding() -> None:
    assert merged_width([10]) == 10
    assert merged_width([10, 10]) > 20


@given(st.integers(min_value=0, max_value=4000), st.sampled_from([20, 40, 72]))
def test_split_for_rows_gives_the_text_back_in_rows_that_fit(length: int, width: int) -> None:
    text = (JAPANESE * (length // len(JAPANESE) + 1))[:length]
    pieces = split_for_rows(text, width, 10)
    assert "".join(pieces) == text
    for piece in pieces:
        assert row_height(lines_needed(piece, width, 10), 10) <= MAX_ROW_POINTS


def test_split_for_rows_cuts_after_a_sentence_where_it_can() -> None:
    text = JAPANESE * 30
    pieces = split_for_rows(text, 40, 10)
    assert len(pieces) > 1
    assert all(p.endswith("。") for p in pieces[:-1])


@given(st.text(alphabet=st.sampled_from("0123456789,.-%人件あ（速報値）①—ｱ \x01_xA"), max_size=300))
def test_a_texts_width_is_the_sum_of_its_characters(text: str) -> None:
    """Each character counted as Excel's clients draw it (full-width: one em), whether the
    text is measured character by character or, all ASCII, at once: the same float, so
    that the widest value of a plan, and a form's columns, never depend on which."""
    by_character = sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else NARROW_EM for c in text)
    assert em_width(text) == by_character
