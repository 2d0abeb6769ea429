"""Styles and grade colours shared by the master workbook's sheets."""

from __future__ import annotations

from collections.abc import Sequence

from kpibook.plan import Plan
from kpibook.printing import Page, plan_columns
from kpibook.textfit import lines_needed, row_height
from kpibook.xlsx_write import CellValue, Sheet, Style

FONT = 10
HEAD = Style(
    bold=True, fill="#DDEBF7", border=1, wrap=True, valign="center", align="center", font_size=FONT
)
CELL = Style(border=1, wrap=True, font_size=FONT)
NUMBER = Style(border=1, num_format="#,##0.########", font_size=FONT)
WHOLE = Style(border=1, num_format="#,##0", font_size=FONT)
RATE = Style(border=1, num_format="0.0", font_size=FONT)
CENTER = Style(border=1, align="center", font_size=FONT)
TITLE = Style(bold=True, font_size=14)
NOTE = Style(font_color="#595959", font_size=FONT)
SECTION = Style(bold=True, font_size=FONT + 1)

GOOD = Style(fill="#C6EFCE", font_color="#006100")
MIDDLE = Style(fill="#FFEB9C", font_color="#9C5700")
BAD = Style(fill="#FFC7CE", font_color="#9C0006")
GREY = Style(fill="#E7E6E6", font_color="#595959")


def grade_styles(plan: Plan) -> list[tuple[str, Style]]:
    """Each grade with its colour: the best green, the worst red, the rest amber."""
    grades = plan.grading.grades
    return [
        (g, GOOD if n == 0 else BAD if n == len(grades) - 1 else MIDDLE)
        for n, g in enumerate(grades)
    ]


def number_style(value: object) -> Style:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return WHOLE
    return NUMBER


def print_table(
    sheet: Sheet,
    page: Page,
    widths: Sequence[float],
    header: str,
    repeat_rows: tuple[int, int] | None = None,
    repeat_columns: tuple[int, int] | None = None,
    breaks: Sequence[int] = (),
) -> None:
    """Print a master sheet on ``page`` at 8 pt or more: split into column groups
    (``repeat_columns`` on each) when its width would print smaller; ``breaks`` are
    rows that start a page."""
    plan = plan_columns(widths, page, FONT, repeat_columns)
    sheet.print_on(page, plan, repeat_rows=repeat_rows, header=header)
    if breaks:
        sheet.page_breaks(list(breaks))


def fit_row(sheet: Sheet, row: int, values: Sequence[CellValue], widths: Sequence[float]) -> None:
    """Give ``row`` the height its wrapped texts need (LibreOffice and Excel size rows
    from the file, not from the text), so no cell is cut off.  Most texts of a table
    fit on a line, told without measuring them; the line counts of the others are
    remembered by :func:`lines_needed` (not every text of a national 一覧: that held
    tens of MiB until the merge ended)."""
    lines = max(
        (
            lines_needed(v, w, FONT)
            for v, w in zip(values, widths, strict=False)
            if isinstance(v, str) and v
        ),
        default=1,
    )
    sheet.row_height(row, row_height(lines, FONT))
