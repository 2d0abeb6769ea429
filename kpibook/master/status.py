"""提出状況: every file read, with its SHA-256, stamp, result and finding counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kpibook.master.styles import CELL, CENTER, HEAD, WHOLE, fit_row, print_table
from kpibook.merge import STATUS_JA, MergeReport
from kpibook.plan import Plan
from kpibook.printing import Page
from kpibook.template import Terms
from kpibook.xlsx_write import Sheet

SHEET = "提出状況"
HEADS = (
    "ファイル",
    "SHA-256",
    "計画",
    "年度",
    "{department}（様式）",
    "結果",
    "エラー",
    "警告",
    "ファイルの更新日時",
)
WIDTHS = (40, 36, 22, 8, 16, 10, 8, 8, 20)
"""The SHA-256 wraps onto two lines rather than take a page's width."""
YEAR = CELL.but(align="center", num_format="0")
"""A fiscal year is a number without a thousands separator: 2019, not 2,019."""


def write_status(sheet: Sheet, plan: Plan, report: MergeReport, page: Page, terms: Terms) -> None:
    heads = [head.format(department=terms.department) for head in HEADS]
    for col, (head, width) in enumerate(zip(heads, WIDTHS, strict=True)):
        sheet.write(0, col, head, HEAD)
        sheet.column_width(col, col, width)
    fit_row(sheet, 0, heads, WIDTHS)
    used = {d.used for d in report.departments if d.used}
    status_of = {f: d.status for d in report.departments for f in d.files}
    for row, r in enumerate(report.returns, start=1):
        if r.file in used:
            result = "採用"
        elif r.file in status_of:
            result = STATUS_JA[status_of[r.file]]
        else:
            result = "対象外"
        stamp = r.stamp
        path = Path(r.path)
        # The file's own time, not the time of reading, so the master is reproducible.
        mtime = (
            dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S")
            if path.exists()
            else None
        )
        values = [
            r.file,
            r.sha256,
            stamp.plan if stamp else None,
            stamp.fiscal_year if stamp else None,
            r.department,
            result,
            len(r.errors),
            len(r.warnings),
            mtime,
        ]
        for col, value in enumerate(values):
            if col == 3:
                style = YEAR
            elif isinstance(value, int):
                style = WHOLE
            else:
                style = CENTER if col == 5 else CELL
            sheet.write(row, col, value, style)
        fit_row(sheet, row, values, WIDTHS)
    sheet.freeze(1, 1)
    sheet.autofilter(0, 0, max(len(report.returns), 1), len(HEADS) - 1)
    print_table(sheet, page, list(WIDTHS), f"{plan.title}　提出状況", repeat_rows=(0, 0))
