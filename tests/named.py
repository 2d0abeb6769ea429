"""Where a name of the form contract is, in a workbook opened with openpyxl.

An input has a defined name of its own; since form version 3 a prefilled cell is found
through its group's name, which lists the group's cells in the order of
:func:`kpibook.contract.inputs.prefilled_keys`.  Tests that tamper with a prefilled cell
find it here, as ``kpibook check`` does."""

from __future__ import annotations

from typing import Any

from kpibook.contract.content import form_content
from kpibook.contract.inputs import prefilled_keys
from kpibook.contract.names import CURRENT
from kpibook.contract.stamp import STAMP_SHEET
from kpibook.plan import Plan
from kpibook.template import FormTemplate, load_template

PLANS: dict[str, Plan] = {}
"""The tests' plans by id, for a workbook whose plan a test does not pass."""


def remember(plan: Plan) -> Plan:
    PLANS[plan.id] = plan
    return plan


def destination(
    wb: Any, name: str, plan: Plan | None = None, template: FormTemplate | None = None
) -> tuple[str, str]:
    """(sheet, A1 without $) of an input's name or a prefilled cell's own name (in a form
    of ``plan`` written with ``template``, by default the plan's layout's)."""
    if name in wb.defined_names:
        [(sheet, ref)] = list(wb.defined_names[name].destinations)
        return sheet, ref.replace("$", "")
    stamp = {row[0]: row[1] for row in wb[STAMP_SHEET].iter_rows(max_col=2, values_only=True)}
    plan = plan or PLANS[str(stamp["plan"])]
    template = template or load_template(plan.layout)
    for fp in form_content(plan, str(stamp["department"])).projects:
        for group, keys in prefilled_keys(fp, plan, template, CURRENT).items():
            if name in keys:
                sheet, ref = list(wb.defined_names[group].destinations)[keys.index(name)]
                return sheet, ref.replace("$", "")
    raise KeyError(name)


def cell(wb: Any, name: str, plan: Plan | None = None) -> Any:
    sheet, ref = destination(wb, name, plan)
    return wb[sheet][ref]
