"""How sheets go on paper: scale, column groups and page breaks that keep blocks whole."""

from __future__ import annotations

from kpibook.printing import Page, plan_columns, row_breaks, widest_points

A4_PORTRAIT = Page("A4", "portrait", 0.5, 0.5, 0.75, 0.75)
A3_LANDSCAPE = Page("A3", "landscape", 0.4, 0.4, 0.6, 0.6)


def test_a_narrow_sheet_prints_at_full_size_in_one_group() -> None:
    plan = plan_columns([14, 50, 9], A4_PORTRAIT, 10)
    assert plan.scale == 100
    assert plan.column_breaks == []
    assert plan.repeat_columns is None


def test_a_sheet_a_little_too_wide_is_scaled_down_to_fit() -> None:
    widths = [14, 55, 10, 13, 13, 11]
    plan = plan_columns(widths, A4_PORTRAIT, 10)
    assert 80 <= plan.scale < 100
    assert sum(widest_points(w) for w in widths) * plan.factor <= A4_PORTRAIT.printable_width


def test_a_sheet_that_may_not_be_split_is_scaled_down_instead() -> None:
    plan = plan_columns([14, 75, 10, 13, 13, 11], A4_PORTRAIT, 10, breaks=[])
    assert plan.column_breaks == []
    assert plan.scale < 80


def test_a_wide_sheet_is_split_where_allowed_with_its_title_columns_repeated() -> None:
    widths = [11, 18, 26, 12, 16, *([10] * 8), 9, 6, 60, 60]
    plan = plan_columns(widths, A3_LANDSCAPE, 9, repeat=(0, 1), breaks=[5, 13, 14, 15, 16])
    assert plan.column_breaks  # the texts go on pages of their own
    assert set(plan.column_breaks) <= {5, 13, 14, 15, 16}
    assert plan.repeat_columns == (0, 1)
    assert plan.scale * 9 >= 800  # 9 pt text prints at 8 pt or more


def test_a_block_that_fits_is_never_split() -> None:
    heights = {r: 100.0 for r in range(20)}
    blocks = [(0, 2), (3, 6), (7, 8), (9, 13)]
    # 300 + 400 > 500; 400 + 200 > 500; 200 + 500 > 500, and 500 fits a page of its own
    assert row_breaks(blocks, heights, 20, capacity=500, last_row=13) == [3, 7, 9]


def test_a_block_taller_than_a_page_runs_on_from_where_it_is() -> None:
    heights = {r: 100.0 for r in range(20)}
    breaks = row_breaks([(0, 1), (2, 9)], heights, 20, capacity=450, last_row=9)
    assert breaks == [4, 8]  # 2 rows, then the long block fills the page and runs on


def test_forced_rows_and_rows_between_blocks() -> None:
    heights = {r: 100.0 for r in range(20)}
    # the gap rows (3, 4) count with the block before them
    breaks = row_breaks([(0, 2), (5, 6)], heights, 20, capacity=500, last_row=6)
    assert breaks == [5]
    assert row_breaks([(0, 0), (1, 1)], heights, 20, 500, 1, forced={1}) == [1]


def test_a_running_block_is_not_broken_inside_a_merged_cell() -> None:
    heights = {r: 100.0 for r in range(20)}
    # rows 3-5 are one merged cell: the page ends before it rather than inside it
    breaks = row_breaks([(0, 9)], heights, 20, capacity=450, last_row=9, whole=[(3, 5)])
    assert breaks == [3, 7]
