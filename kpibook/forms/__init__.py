"""Department input workbooks (``kpibook generate``).

One workbook per department that has something to fill, mirroring the plan's official
layout (card or matrix), with everything the coordinator owns locked and prefilled, a
named and validated cell for every input, an instructions sheet generated from the same
definitions, and a hidden stamp that identifies the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpibook import __version__
from kpibook.atomic import ensure_folder
from kpibook.cells import a1
from kpibook.contract.content import FormContent, departments_with_forms, form_content
from kpibook.contract.files import form_filename
from kpibook.contract.fingerprint import Fingerprinter
from kpibook.contract.stamp import (
    FORM_FORMAT,
    FORM_VERSION,
    LABELS_NAME,
    STAMP_NAME,
    STAMP_SHEET,
    Stamp,
)
from kpibook.errors import KpibookError
from kpibook.forms.card import card_widths, write_cards
from kpibook.forms.findings_sheet import SHEET_NAME as FINDINGS_SHEET
from kpibook.forms.findings_sheet import Located, write_findings_sheet
from kpibook.forms.instructions import write_instructions
from kpibook.forms.matrix import matrix_widths, write_matrix
from kpibook.forms.sections import sheet_name as sections_sheet_name
from kpibook.forms.sections import write_sections_sheet
from kpibook.forms.sheet import FormSheet, InputRecord
from kpibook.message import Message
from kpibook.parallel import Progress, map_files
from kpibook.plan import Plan
from kpibook.template import CardTemplate, FormTemplate, MatrixTemplate, plan_template
from kpibook.xlsx_write import Book, CellValue, Sheet


class UnknownDepartment(KpibookError):
    exit_code = 2


@dataclass(frozen=True)
class GeneratedForm:
    department: str
    path: Path
    stamp: Stamp
    inputs: list[InputRecord]


def lay_out(
    book: Book,
    sheet: Sheet,
    template: FormTemplate,
    content: FormContent,
    lists: Sheet | None,
    **options: Any,
) -> tuple[FormSheet, tuple[int, int]]:
    """Lay ``content`` out in the template's layout; returns the sheet and its title rows.

    ``options`` go to :class:`FormSheet` (values, marks, report)."""
    plan = content.plan
    if isinstance(template, CardTemplate):
        form = FormSheet(book, sheet, template, card_widths(template, plan), lists, **options)
        repeat = write_cards(form, content, template)
    else:
        assert isinstance(template, MatrixTemplate)
        form = FormSheet(book, sheet, template, matrix_widths(template, plan), lists, **options)
        repeat = write_matrix(form, content, template)
    form.name_groups(content)
    return form, repeat


def generate_forms(
    plan: Plan,
    outdir: Path,
    departments: list[str] | None = None,
    password: str | None = None,
    created: dt.datetime | None = None,
    template: FormTemplate | None = None,
    values: Callable[[str], dict[str, CellValue]] | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> list[GeneratedForm]:
    """Write one form per department (all that have something to fill, or those named),
    on every core; ``values`` gives a department's input values (a filled return)."""
    template = template or plan_template(plan)
    eligible = departments_with_forms(plan)
    if departments:
        unknown = [d for d in departments if not plan.has_department(d)]
        if unknown:
            raise UnknownDepartment(
                Message(
                    ja=f"{template.terms.department}「{'」「'.join(unknown)}」は計画にありません",
                    en=f"not in the plan: {', '.join(unknown)}; "
                    f"departments: {', '.join(plan.department_names())}",
                )
            )
        nothing = [d for d in departments if d not in eligible]
        if nothing:
            raise UnknownDepartment(
                Message(
                    ja=f"「{'」「'.join(nothing)}」が記入する{template.terms.project}や体系の評価はありません",
                    en="these departments lead no project and evaluate no section, so they "
                    f"have no form: {', '.join(nothing)}",
                )
            )
        chosen = [d for d in eligible if d in departments]
    else:
        chosen = eligible
    ensure_folder(outdir)
    plan.widest_values  # noqa: B018 -- computed once here, not again in every worker
    jobs_in = [(d, values(d) if values else None) for d in chosen]
    context = (plan, outdir, template, password, created, Fingerprinter(plan, template))
    return map_files(_write_one, context, jobs_in, jobs, progress)


def _write_one(
    context: tuple[Plan, Path, FormTemplate, str | None, dt.datetime | None, Fingerprinter],
    job: tuple[str, dict[str, CellValue] | None],
) -> GeneratedForm:
    plan, outdir, template, password, created, fingerprints = context
    department, values = job
    return write_form(
        plan,
        form_content(plan, department),
        outdir / form_filename(plan, department),
        template,
        password,
        created,
        values=values,
        fingerprints=fingerprints,
    )


def write_form(
    plan: Plan,
    content: FormContent,
    path: Path,
    template: FormTemplate,
    password: str | None = None,
    created: dt.datetime | None = None,
    values: dict[str, CellValue] | None = None,
    marks: dict[str, str] | None = None,
    findings: list[Located] | None = None,
    fingerprints: Fingerprinter | None = None,
) -> GeneratedForm:
    """One department's workbook, written atomically.

    ``values`` fill inputs by name; ``marks`` highlight inputs with a comment; with
    ``findings`` an エラー一覧 sheet comes first (an annotated copy for the department).
    ``fingerprints`` (one per plan and template) saves serialising what every form of
    the plan shares again for each form.
    """
    fingerprints = fingerprints or Fingerprinter(plan, template)
    stamp = Stamp(
        format=FORM_FORMAT,
        form_version=FORM_VERSION,
        plan=plan.id,
        fiscal_year=plan.report_year,
        department=content.department,
        fingerprint=fingerprints.of(
            content.department, [fp.project for fp in content.projects], FORM_VERSION
        ),
        generator=f"kpibook {__version__}",
        template=fingerprints.template_digest(FORM_VERSION),
    )
    with Book(path, created=created, in_memory=True) as book:
        errors_sheet = book.sheet(FINDINGS_SHEET) if findings is not None else None
        instructions = book.sheet(template.instructions_sheet)
        # A department that only evaluates sections has no project sheet.
        sheet = book.sheet(template.sheet) if content.projects or not content.sections else None
        owned = book.sheet(sections_sheet_name(template)) if content.sections else None
        lists = book.sheet(template.lists_sheet)
        stamp_sheet = book.sheet(STAMP_SHEET)
        options: dict[str, Any] = {"values": values or {}, "marks": marks or {}}
        forms: list[FormSheet] = []
        if sheet is not None:
            form, repeat = lay_out(book, sheet, template, content, lists, **options)
            form.finish(repeat, f"{plan.title}　{content.department}")
            forms.append(form)
        if owned is not None:
            forms.append(write_sections_sheet(book, owned, lists, template, content, **options))
        for form in forms:
            form.sheet.protect(password)
        write_instructions(instructions, content, forms, template)
        instructions.protect(password)
        for r, (key, value) in enumerate(stamp.rows()):
            stamp_sheet.write(r, 0, key)
            stamp_sheet.write(r, 1, value)
        book.define_range(STAMP_NAME, STAMP_SHEET, (0, len(stamp.rows()) - 1), (0, 1))
        labels = [
            (form.sheet.name, a1(*cell), text)
            for form in forms
            for cell, text in sorted(form.labels.items())
        ]
        for r, (sheet_name, cell, text) in enumerate(labels):
            stamp_sheet.write(r, 3, sheet_name)
            stamp_sheet.write(r, 4, cell)
            stamp_sheet.write(r, 5, text)
        if labels:
            book.define_range(LABELS_NAME, STAMP_SHEET, (0, len(labels) - 1), (3, 5))
        stamp_sheet.protect(password)
        stamp_sheet.hide(very=True)
        book.protect_structure(password)
        lists.protect(password)
        lists.hide()
        if errors_sheet is not None:
            assert findings is not None
            write_findings_sheet(errors_sheet, findings, forms)
            errors_sheet.protect(password)
    inputs = [record for form in forms for record in form.inputs]
    return GeneratedForm(content.department, path, stamp, inputs)
