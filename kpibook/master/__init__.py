"""The master workbook (``kpibook merge``): 概要, 一覧, 報告書 and 提出状況.

Rates and grades are computed in Python and written as values, so every viewer shows
the same numbers without recalculating.  The consolidated report (報告書) is the plan's
official layout with every department's entries and the computed grades, laid out with
the forms' own sheet code and labels (:mod:`kpibook.forms.report`).  The file is
written atomically and deterministically (pinned timestamps).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kpibook.entries import Entries
from kpibook.forms.report import report_title, write_report
from kpibook.master.data import embed
from kpibook.master.overview import SHEET as OVERVIEW
from kpibook.master.overview import write_overview
from kpibook.master.status import SHEET as STATUS
from kpibook.master.status import write_status
from kpibook.master.table import SHEET as TABLE
from kpibook.master.table import write_table
from kpibook.merge import MergeReport
from kpibook.plan import Plan
from kpibook.template import FormTemplate, fields_of, plan_template
from kpibook.xlsx_write import Book

REPORT = "報告書"
REPORT_LIMIT = 2_000
"""Above this many projects the printable report (thousands of pages) is written only
when asked for; the 一覧 and 概要 always are."""


def master_in_use(path: Path) -> str | None:
    """The program that has the master open, told by the lock file it keeps beside it
    (Excel: ``~$master.xlsx``; LibreOffice: ``.~lock.master.xlsx#``), or None.

    Excel on Windows refuses to let the file be replaced while it is open, and a
    LibreOffice user would go on looking at the old master: say so before any work."""
    path = Path(path)
    excel = {f"~${path.name}", f"~${path.name[2:]}"}
    if any(path.with_name(name).exists() for name in excel):
        return "Excel"
    if path.with_name(f".~lock.{path.name}#").exists():
        return "LibreOffice"
    return None


def write_master(
    plan: Plan,
    report: MergeReport,
    entries: Entries,
    path: Path,
    template: FormTemplate | None = None,
    created: dt.datetime | None = None,
    printable: bool | None = None,
) -> bool:
    """Write the master; the printable 報告書 is left out when ``printable`` is False, or
    when it is None and the plan is too large to print (more than REPORT_LIMIT projects).
    Returns whether the 報告書 was written."""
    template = template or plan_template(plan)
    if printable is None:
        printable = len(plan.projects) <= REPORT_LIMIT
    notes = (
        []
        if printable
        else [
            f"※ {template.terms.project}数が多い（{len(plan.projects):,}件）ため、"
            f"印刷用の「{REPORT}」シートは作成していません。"
            "必要な場合は kpibook merge --report で作成してください。"
        ]
    )
    title = report_title(plan, template.labels.title_suffix)
    with Book(path, created=created, title=title) as book:
        overview = book.sheet(OVERVIEW)
        # a national 一覧 is 100,000 rows; it has a data bar when it has any
        table = book.sheet(TABLE, streamed=True, data_bars=bool(plan.projects))
        report_sheet = book.sheet(REPORT) if printable else None
        status = book.sheet(STATUS)
        page = template.report.tables.page()
        terms = template.terms
        write_overview(overview, plan, report, page, terms, notes)
        fields = fields_of(plan, template)
        write_table(table, plan, report, entries, page, terms, fields)
        if report_sheet is not None:
            write_report(
                book,
                report_sheet,
                template,
                plan,
                entries,
                report.grades.projects,
                report.grades.sections,
            )
        write_status(status, plan, report, page, terms)
        # the master holds the fields as declared with the template's, for what reads it
        embed(book, plan.model_copy(update={"fields": fields}), entries, path)
    return printable
