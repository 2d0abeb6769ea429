"""Styles and grade colours shared by the master workbook's sheets."""

from __future__ import annotations

from kpibook.plan import Plan
from kpibook.xlsx_write import Style

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
NOTE = Style(font_color="#595959", font_size=FONT - 1)
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
