"""Forms filled in with entries: what a department's return looks like.

Used by ``kpibook demo`` (the example's departments fill their forms as the seed
reports) and by the tests, which spoil such returns one way each.
"""

from __future__ import annotations

from pathlib import Path

from kpibook.contract.content import FormContent, form_content
from kpibook.contract.inputs import form_inputs
from kpibook.contract.specs import STATE_NOT_APPLICABLE, STATE_PENDING, STATE_PRELIMINARY
from kpibook.entries import Entries
from kpibook.forms import GeneratedForm, generate_forms
from kpibook.plan import Plan
from kpibook.template import FormTemplate, plan_template
from kpibook.values import ActualStatus, ValueKind
from kpibook.xlsx_write import CellValue

STATE_OF = {ValueKind.PENDING: STATE_PENDING, ValueKind.NOT_APPLICABLE: STATE_NOT_APPLICABLE}


def entry_values(
    plan: Plan, department: str, entries: Entries, template: FormTemplate
) -> dict[str, CellValue]:
    """The input cells' values, by name, that hold a department's entries."""
    return content_values(form_content(plan, department), entries, template)


def content_values(
    content: FormContent, entries: Entries, template: FormTemplate
) -> dict[str, CellValue]:
    """The input cells' values, by name, for the projects of ``content``."""
    values: dict[str, CellValue] = {}
    evaluations = {e.section: e for e in entries.sections}
    for inp in form_inputs(content, template):
        if inp.field in ("section_grade", "section_explanation"):
            evaluation = evaluations.get(inp.project)
            own = None
            if evaluation is not None:
                own = evaluation.grade if inp.field == "section_grade" else evaluation.explanation
            if own is not None:
                values[inp.name] = own
            continue
        entry = entries.for_project(inp.project)
        if entry is None:
            continue
        if inp.custom is not None:
            held = (
                entry.fields
                if inp.indicator is None
                else entry.indicator_fields.get(inp.indicator.id, {})
            )
            if inp.custom.key in held:
                values[inp.name] = held[inp.custom.key]
            continue
        if inp.indicator is not None:
            actual = entry.actuals.get(inp.indicator.id)
            if actual is None:
                continue
            if inp.field == "actual" and actual.kind is ValueKind.NUMBER:
                values[inp.name] = actual.number
            elif inp.field == "actual_note" and actual.note is not None:
                values[inp.name] = actual.note
            elif inp.field == "state" and actual.kind in STATE_OF:
                values[inp.name] = STATE_OF[actual.kind]
            elif inp.field == "state" and entry.actual_status.get(inp.indicator.id) is (
                ActualStatus.PRELIMINARY
            ):
                values[inp.name] = STATE_PRELIMINARY
        else:
            value = getattr(entry, inp.field)
            if value is not None:
                values[inp.name] = value
    return values


def write_filled_forms(
    plan: Plan, entries: Entries, outdir: Path, template: FormTemplate | None = None
) -> list[GeneratedForm]:
    """Every department's form, filled in with its entries."""
    chosen = template or plan_template(plan)
    return generate_forms(
        plan, outdir, template=chosen, values=lambda d: entry_values(plan, d, entries, chosen)
    )
