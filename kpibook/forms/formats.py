"""How the writer shows an input in Excel: number formats and where dropdown lists go.

What an input *accepts* is the form contract's (:mod:`kpibook.contract.specs`); this is
only how xlsxwriter presents it.
"""

from __future__ import annotations

import math

from kpibook.contract.specs import is_whole, prefilled_cell
from kpibook.plan import Indicator, Plan
from kpibook.textfit import CELL_PADDING, column_units, em_width, one_line_width
from kpibook.values import Value, format_number

ValueKey = tuple[str, int | None]
"""("target", year), ("actual", year), ("final", None), or ("any", None): every value."""

INLINE_LIST_LIMIT = 255
"""Excel refuses an inline dropdown list longer than this (joined with commas)."""


def list_fits_inline(choices: list[str]) -> bool:
    return len(",".join(choices)) <= INLINE_LIST_LIMIT


def number_format(ind: Indicator, with_unit: bool = True) -> str:
    """Excel number format showing the value with its unit: ``#,##0"人"`` (without it
    where the unit is printed in the heading)."""
    if ind.decimals is not None and ind.decimals > 0:
        base = "#,##0." + "0" * ind.decimals
    elif is_whole(ind):
        base = "#,##0"
    else:
        base = "General"
    unit = (ind.unit or "") if with_unit else ""
    return base + (f'"{unit}"' if unit and '"' not in unit else "")


def value_text(value: Value | None, ind: Indicator, with_unit: bool = True) -> str:
    """A value as its cell shows it: ``1,633,294件``, ``87.2``, ``集計中``."""
    shown = prefilled_cell(value)
    if isinstance(shown, str):
        return shown
    unit = (ind.unit or "") if with_unit else ""
    return format_number(shown, ind.decimals) + unit


def widest_values(plan: Plan) -> dict[ValueKey, tuple[str, str]]:
    """The widest value text of the plan's targets and actuals (with its unit, and
    without), by year and kind and over all; the plan works it out once."""
    return plan.widest_values


def value_width(text: str, size: float, spare: bool = True) -> int:
    """Width units that show ``text`` (a value) on one line: in a form with a digit to
    spare for a larger report-year actual; in the report, where every value is known,
    exactly (a number does not wrap, so no room is kept for 禁則)."""
    if spare:
        return one_line_width(text + "0", size)
    return math.ceil(column_units(em_width(text) * size + CELL_PADDING))
