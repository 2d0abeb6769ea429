"""Annotated copies for the departments (``kpibook check --annotate``).

A copy is the department's form generated afresh from the plan, with the values the
department entered filled back in, every flagged input highlighted with a comment in
Japanese, and an エラー一覧 sheet in front listing every finding with a link to its cell.
Regenerating keeps the copy faithful to the official form even when the return was
damaged; the return itself is never touched.
"""

from __future__ import annotations

from pathlib import Path

from kpibook.atomic import ensure_folder
from kpibook.cells import a1
from kpibook.contract.content import form_content
from kpibook.contract.inputs import form_inputs
from kpibook.forms import write_form
from kpibook.forms.findings_sheet import Located
from kpibook.plan import Plan
from kpibook.returns.check import CheckReport, ReturnResult
from kpibook.template import FormTemplate, plan_template
from kpibook.xlsx_scan import read_form_book
from kpibook.xlsx_write import CellValue

SUFFIX = "_確認"


def annotated_name(result: ReturnResult) -> str:
    return f"{Path(result.file).stem}{SUFFIX}.xlsx"


def annotate_returns(
    plan: Plan, report: CheckReport, outdir: Path, template: FormTemplate | None = None
) -> list[Path]:
    """An annotated copy of every return that has findings and a readable stamp."""
    template = template or plan_template(plan)
    ensure_folder(outdir)
    written = []
    for result in report.returns:
        if not result.findings or result.department is None:
            continue
        target = outdir / annotated_name(result)
        if target.resolve() == Path(result.path).resolve():
            continue  # never write over a return
        annotate_return(plan, result, target, template)
        written.append(target)
    return written


def annotate_return(plan: Plan, result: ReturnResult, target: Path, template: FormTemplate) -> None:
    assert result.department is not None
    content = form_content(plan, result.department)
    book = read_form_book(Path(result.path))
    inputs = {i.name for i in form_inputs(content, template)}
    # Where each named cell of the return is, to tie findings to names.
    at: dict[tuple[str | None, str | None], str] = {
        (cell.sheet, a1(cell.row, cell.col)): name
        for name, cell in book.names.items()
        if cell is not None and cell.sheet is not None
    }
    values: dict[str, CellValue] = {}
    for name in inputs:
        cell = book.names.get(name)
        if cell is not None and isinstance(cell.value, str | int | float | bool):
            values[name] = cell.value
    located = [Located(f, at.get((f.sheet, f.cell))) for f in result.findings]
    marks: dict[str, str] = {}
    for item in located:
        if item.name in inputs:
            note = f"{'エラー' if item.finding.severity == 'error' else '警告'}: "
            marks[item.name] = "\n".join(
                filter(None, [marks.get(item.name), note + item.finding.message_ja])
            )
    write_form(plan, content, target, template, values=values, marks=marks, findings=located)
