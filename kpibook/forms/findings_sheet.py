"""エラー一覧: the list of findings at the front of an annotated copy, linked to the cells."""

from __future__ import annotations

from dataclasses import dataclass

from kpibook.findings import Finding, Severity
from kpibook.forms.sheet import FormSheet
from kpibook.textfit import lines_needed, row_height
from kpibook.xlsx_write import Sheet

SHEET_NAME = "エラー一覧"
HEADERS = ("重要度", "記入欄", "セル", "内容", "記入されていた値")
WIDTHS = (8, 30, 12, 70, 24)


@dataclass(frozen=True)
class Located:
    """A finding and the defined name of the cell it is about (None: not a named cell)."""

    finding: Finding
    name: str | None


def write_findings_sheet(sheet: Sheet, findings: list[Located], forms: list[FormSheet]) -> None:
    """The list, each finding linked to its cell on whichever of ``forms`` holds it."""
    form = forms[0]
    s = form.styles
    size = form.template.font.size
    for col, width in enumerate(WIDTHS):
        sheet.column_width(col, col, width)
    sheets = "」「".join(fs.sheet.name for fs in forms)
    errors = sum(f.finding.severity is Severity.ERROR for f in findings)
    warnings = len(findings) - errors
    sheet.write(0, 0, "記入内容の確認結果", s.title)
    sheet.write(
        1,
        0,
        f"エラー {errors} 件、警告 {warnings} 件。エラーをすべて直して、この様式（シート"
        f"「{sheets}」）を提出してください。セルの欄をクリックすると該当のセルに移動します。"
        "赤いセルにはコメントで内容を示しています。",
        s.text.but(border=0, wrap=False),
    )
    for col, head in enumerate(HEADERS):
        sheet.write(3, col, head, s.label)
    for n, item in enumerate(findings, start=4):
        f = item.finding
        mark = "エラー" if f.severity is Severity.ERROR else "警告"
        style = s.text.but(font_color="#9C0006") if f.severity is Severity.ERROR else s.text
        sheet.write(n, 0, mark, style)
        sheet.write(n, 1, f.field or "", s.text)
        held = next((fs for fs in forms if item.name and item.name in fs.cells), None)
        if held is not None and item.name is not None:
            cell = held.cells[item.name]
            sheet.link(
                n,
                2,
                held.sheet.name,
                cell,
                f"{held.sheet.name}!{cell}",
                s.text.but(font_color="#0563C1"),
            )
        else:
            sheet.write(n, 2, f"{f.sheet}!{f.cell}" if f.sheet and f.cell else "－", s.text)
        sheet.write(n, 3, f.message_ja, s.text)
        sheet.write(n, 4, f.raw or "", s.text)
        lines = max(lines_needed(f.message_ja, WIDTHS[3]), lines_needed(f.field or "", WIDTHS[1]))
        sheet.row_height(n, row_height(lines, size))
    sheet.freeze(4, 0)
    sheet.print_setup(landscape=True, repeat_rows=(3, 3))
    sheet.activate()
