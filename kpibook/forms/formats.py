"""How the writer shows an input in Excel: number formats and where dropdown lists go.

What an input *accepts* is the form contract's (:mod:`kpibook.contract.specs`); this is
only how xlsxwriter presents it.
"""

from __future__ import annotations

from kpibook.contract.specs import is_whole
from kpibook.plan import Indicator

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
