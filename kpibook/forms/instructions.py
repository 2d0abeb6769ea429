"""記入要領: the instructions sheet, generated from the same input specs as the validation."""

from __future__ import annotations

from kpibook.contract.content import FormContent
from kpibook.contract.names import SECTION_PREFIX
from kpibook.contract.specs import STATES, owner_choice
from kpibook.fiscal import era_label
from kpibook.forms.sheet import FormSheet, InputRecord
from kpibook.grading.rates import formula_lines, own_words, terms_note
from kpibook.plan import Indicator, Plan
from kpibook.printing import Page, plan_columns
from kpibook.template import FormTemplate, fields_of
from kpibook.textfit import lines_needed, row_height
from kpibook.xlsx_write import Sheet

WIDTHS = [24, 70, 16]
"""What and which input, how to fill it, and its cell (記入様式!B20 on one line)."""


def write_instructions(
    sheet: Sheet, content: FormContent, forms: list[FormSheet], template: FormTemplate
) -> None:
    """The 記入要領 of a form whose sheets are ``forms`` (the projects' sheet, the sheet
    of the sections the department evaluates, or both)."""
    plan = content.plan
    form = forms[0]
    s = form.styles
    for col, width in enumerate(WIDTHS):
        sheet.column_width(col, col, width)
    row = 0
    title = f"{plan.title}　{era_label(plan.report_year, 'long')} 記入要領"
    # across the page and wrapped: a long plan title overflowing to the right printed a
    # second, almost empty page
    size = s.title.font_size or template.font.size
    sheet.merge(row, 0, row, len(WIDTHS) - 1, title, s.title.but(wrap=True, valign="top"))
    sheet.row_height(row, row_height(lines_needed(title, sum(WIDTHS), size), size))
    row += 2
    w = template.terms
    facts = [
        (w.department, content.department),
        ("報告年度", f"{era_label(plan.report_year, 'long')}（{plan.report_year}年度）"),
    ]
    if plan.deadline:
        facts.append(("提出期限", f"{plan.deadline:%Y年%m月%d日}"))
    contact = next((d.contact for d in plan.departments if d.name == content.department), None)
    if contact:
        facts.append(("連絡先", contact))
    for label, value in facts:
        sheet.write(row, 0, label, s.label)
        sheet.write(row, 1, value, s.text)
        row += 1
    row += 1
    shown = "」「".join(fs.sheet.name for fs in forms)
    steps = [
        f"シート「{shown}」の色の付いたセルだけに記入してください（このセルの色です →）。",
        f"それ以外のセル（{w.target}、過去の{w.actual}、{w.project}の内容など）は計画の内容で、"
        "変更できません。",
    ]
    if content.projects:
        steps += [
            "数値は半角で、単位を付けずに入力してください。単位はセルの表示に付きます。",
            f"{w.actual}がまだ出ていないときは数値を空欄のまま「実績の状況」で「{STATES[0]}」を、"
            f"該当しないときは「{STATES[1]}」を選んでください。",
            f"他の{w.department}と共同の{w.project}は、青色のセルの{w.department}"
            f"（主{w.department}）が記入します。",
            f"【再掲】の{w.project}は、最初に掲載される箇所で1回だけ記入します。",
        ]
    steps.append("セルを結合したり、行や列を削除したりしないでください。")
    if content.sections:
        steps.append(
            f"体系（施策・基本目標など）の評価を担当する{w.department}は、シート「"
            f"{forms[-1].sheet.name}」で評価を選び、その理由を記入してください。"
        )
    for n, step in enumerate(steps, start=1):
        sheet.write(row, 0, f"{n}.", s.text.but(border=0, align="right"))
        sheet.write(row, 1, step, s.text.but(border=0))
        size = template.font.size
        sheet.row_height(row, row_height(lines_needed(step, WIDTHS[1], size), size))
        if n == 1:
            sheet.write(row, 2, "記入欄", s.input_choice.but(locked=True))
        row += 1
    row += 1
    indicators = [i for fp in content.projects if fp.writes for i in fp.project.indicators]
    if indicators or not content.sections:  # (a form of section evaluations alone: none)
        row = _grade_scale(sheet, row, plan, form, indicators)
        row += 1
    sheet.write(row, 0, "記入欄の一覧", s.heading)
    sheet.write(row, 1, "", s.heading)
    sheet.write(row, 2, "", s.heading)
    row += 1
    for col, head in enumerate((f"{w.project}・記入欄", "記入のしかた", "セル")):
        sheet.write(row, col, head, s.label)
    row += 1
    names = {fp.project.id: fp.project.name for fp in content.projects}
    headings = {p.section.id: f"{p.numbers()} {p.section.title or ''}" for p in content.sections}
    for fs in forms:
        for record in fs.inputs:
            of_section = record.name.startswith(f"{SECTION_PREFIX}.")
            what = (headings if of_section else names)[record.project].strip()
            row = _input_line(sheet, row, record, what, template, fs)
    row = _coordinator_fields(sheet, row, content, template, form)
    page = Page("A4", "portrait", **template.print.margins.model_dump())
    sheet.print_on(page, plan_columns(WIDTHS, page, template.font.size), footer="&P / &N")
    sheet.activate()


def _grade_scale(
    sheet: Sheet, row: int, plan: Plan, form: FormSheet, indicators: list[Indicator]
) -> int:
    """The rate's formulas, as grading computes them for this department's indicators,
    what their words mean, then the scale."""
    s = form.styles
    sheet.write(row, 0, "評価の目安", s.heading)
    sheet.write(row, 1, "", s.heading)
    row += 1
    scheme = plan.grading
    w = form.template.terms
    words = own_words(w.actual, w.target)
    lines = [
        *formula_lines(indicators, scheme, words=words),
        terms_note(indicators, scheme, scheme.fallback_to_final, words),
    ]
    size = form.template.font.size
    for line in lines:
        sheet.write(row, 1, line, s.text)
        sheet.row_height(row, row_height(lines_needed(line, WIDTHS[1], size), size))
        row += 1
    bands = plan.grading.bands
    for n, band in enumerate(bands):
        upper = bands[n - 1].min_rate if n > 0 else None
        if upper is None:
            rng = f"{band.min_rate}%以上"
        elif band.min_rate > 0:
            rng = f"{band.min_rate}%以上{upper}%未満"
        else:
            rng = f"{upper}%未満"
        sheet.write(row, 0, band.grade, s.text_center)
        sheet.write(row, 1, f"{band.label}（{rng}）", s.text)
        row += 1
    for level in scheme.owner_levels:
        sheet.write(row, 0, level.grade, s.text_center)
        sheet.write(row, 1, f"{level.label}（{owner_choice(form.template.terms)}）", s.text)
        row += 1
    return row


def _coordinator_fields(
    sheet: Sheet, row: int, content: FormContent, template: FormTemplate, form: FormSheet
) -> int:
    """What the fields the plan fills in mean (those with a help text): printed locked
    on the form, explained here."""
    explained = [
        f for f in fields_of(content.plan, template) if f.filled_by == "coordinator" and f.help
    ]
    if not explained:
        return row
    s, size = form.styles, template.font.size
    row += 1
    sheet.write(row, 0, "計画で記入済みの項目（変更できません）", s.heading)
    sheet.write(row, 1, "", s.heading)
    sheet.write(row, 2, "", s.heading)
    row += 1
    for spec in explained:
        assert spec.help is not None
        sheet.write(row, 0, spec.label, s.text)
        sheet.write(row, 1, spec.help, s.text)
        sheet.write(row, 2, "", s.text)
        lines = max(
            lines_needed(t, w, size) for t, w in ((spec.label, WIDTHS[0]), (spec.help, WIDTHS[1]))
        )
        sheet.row_height(row, row_height(lines, size))
        row += 1
    return row


def _input_line(
    sheet: Sheet,
    row: int,
    record: InputRecord,
    owner: str,
    template: FormTemplate,
    form: FormSheet,
) -> int:
    s = form.styles
    what = f"{owner}：{record.spec.title}"
    rule = record.spec.rule + record.spec.requirement()
    where = f"{form.sheet.name}!{record.cell}"
    sheet.write(row, 0, what, s.text)
    sheet.write(row, 1, rule, s.text)
    sheet.write(row, 2, where, s.text_center)
    size = template.font.size
    cells = zip((what, rule, where), WIDTHS, strict=True)
    lines = max(lines_needed(text, width, size) for text, width in cells)
    sheet.row_height(row, row_height(lines, size))
    return row + 1
