"""The card layout's 報告書 (seed 000), printed as the official report prints a card.

Columns: the row labels, then the value columns (the years and 【最終目標】 side by side,
as the official card prints them), then 達成率.  Texts span all the value columns and
continue on the following rows when long.  Per card, in the official order:

    具体的事業 | name                         | 担当課 | department
    事業の概要 | text
    年度計画   | text
    評価指標   | 参加人数（人） and its ※ notes
    年度       | H28 | H29 | H30 | R1 | 【最終目標】 | 達成率
    目標値     |  －  | ... |     |    |   48,000    | 222.3%
    各年度の実績値 | 26,540 | ...  | 104,490 |     |   A
    活動報告, 課題・懸案事項, 今後の予定
    担当課の評価 | B | 達成率による評価 | A | its basis      (as the template says)
    評価の説明 | text
    ※ footnotes, after the card
"""

from __future__ import annotations

from kpibook.contract.content import FormProject
from kpibook.contract.specs import prefilled_cell
from kpibook.fiscal import FiscalYear, era_label
from kpibook.forms.card import heading, sections_with_content, title_row
from kpibook.forms.card_values import grow_rows, indicator_text, lag_text, past_rates
from kpibook.forms.card_values import slots as card_slots
from kpibook.forms.fields import report_fields
from kpibook.forms.formats import number_format, value_text, value_width, widest_values
from kpibook.forms.report import (
    GAP,
    ReportData,
    front_matter,
    grade_basis,
    rate_text,
    report_title,
    section_evaluation,
    shows_computed,
    shows_self,
)
from kpibook.forms.report_charts import Chart, PrintedCells, chart_band, charts_beside, trend
from kpibook.forms.sheet import FormSheet
from kpibook.grading import IndicatorGrade
from kpibook.plan import Indicator, Plan
from kpibook.template import CardTemplate, fields_of
from kpibook.textfit import lines_needed
from kpibook.values import ActualStatus, Value, status_format, with_status
from kpibook.xlsx_write import Book, Sheet, Style

LABEL = 0
FIRST = 1
BESIDE_GAP = 1.5
"""Width of the blank column between a card and its charts beside it."""


def card_report_widths(t: CardTemplate, data: ReportData) -> list[float]:
    """The template's columns, the values' widened where the widest value (the plan's,
    or a department's actual) would not fit on one line."""
    c = t.report.columns
    texts = [widest_values(data.plan).get(("any", None), ("", ""))[1]]
    indicators = {i.id: i for p in data.plan.projects for i in p.indicators}
    for entry in data.entries.entries:
        for iid, actual in entry.actuals.items():
            if iid in indicators:
                text = value_text(actual, indicators[iid], with_unit=False)
                texts.append(with_status(text, entry.actual_status.get(iid)))
    width = max([c.value, *(value_width(text, t.report.font_size, spare=False) for text in texts)])
    widths = [c.label, *([width] * c.values), c.rate]
    if t.report.charts.place == "beside":  # a narrow gap, then the charts' column
        widths += [BESIDE_GAP, t.report.charts.width]
    return widths


def write_card_report(book: Book, sheet: Sheet, t: CardTemplate, data: ReportData) -> None:
    fs = FormSheet(book, sheet, t, card_report_widths(t, data), None, report=True)
    fs.column_breaks = []  # a card is never split across pages side by side
    beside = t.report.charts.place == "beside"
    last = len(fs.widths) - (3 if beside else 1)  # the card's last column
    plan, s = data.plan, fs.styles
    title_row(fs, report_title(plan, t.labels.title_suffix))
    row = front_matter(fs, 2, data, t, last, last - 2)
    row = _index(fs, row, data, last)
    shown = sections_with_content(data.content)
    for path in plan.iter_sections():
        section = path.section
        if section.id not in shown:
            continue
        if len(path.nodes) == 1 and t.report.new_page_per_top_section:
            fs.forced.add(row)
        fs.keep_with_next(row)
        row = heading(fs, row, section, t, len(fs.widths) - 1, inline=True)
        evaluation = data.sections.get(section.id)
        if evaluation is not None:
            row = section_evaluation(fs, row, evaluation, LABEL, last, plan.grading.not_gradable)
            fs.heights[row] = GAP
            row += 1
        for fp in data.content.in_section(section.id):
            first = row
            charts: list[Chart] = []
            row = _card(fs, row, fp, data, t, last, charts)
            if beside and charts:
                row = charts_beside(fs, first, row - 1, last + 2, charts)
            fs.block(first, row - 1)
            fs.heights[row] = GAP
            row += 1
    _ = s
    fs.finish((0, 0), plan.title)


def _index(fs: FormSheet, row: int, data: ReportData, last: int) -> int:
    """The index of projects under their sections, numbered in printed order."""
    s, plan = fs.styles, data.plan
    plain = s.text.but(border=0)
    for path in plan.iter_sections():
        listed = data.content.in_section(path.section.id)
        if not listed and not path.section.children:
            continue
        fs.keep_with_next(row)
        title = f"{path.section.number} {path.section.title or ''}".strip()
        fs.span(row, LABEL, last, title, plain.but(bold=True))
        row += 1
        for fp in listed:
            number = data.content.projects.index(fp) + 1
            fs.span(row, LABEL, last - 3, f"・ {fp.project.name}", plain)
            fs.span(row, last - 2, last - 1, fp.project.lead_department, plain)
            fs.write(row, last, number, plain.but(align="right"))
            fs.block(row, row)
            row += 1
    fs.heights[row] = GAP
    return row + 1


def _card(
    fs: FormSheet,
    row: int,
    fp: FormProject,
    data: ReportData,
    t: CardTemplate,
    last: int,
    charts: list[Chart],
) -> int:
    """One card; its indicators' charts are added to ``charts`` (drawn under its
    indicators here, or beside the card by the caller once its rows are known)."""
    s, labels, p = fs.styles, t.labels, fp.project
    entry = data.entry(p.id)
    fs.write(row, LABEL, labels.project, s.label)
    name = f"{p.name}{labels.relisted}" if fp.relisting_of else p.name
    fs.span(row, FIRST, last - 3, name, s.text.but(bold=True, valign="center"))
    fs.write(row, last - 2, labels.department, s.label)
    departments = "\n".join([p.lead_department, *(f"（{d}）" for d in p.other_departments)])
    fs.span(row, last - 1, last, departments, s.lead if p.other_departments else s.department)
    row += 1
    if fp.relisting_of:
        where = labels.relisting_of.format(first=fp.relisting_of)
        row = fs.long_text(row, FIRST, last, where, s.text, (labels.relisted, s.label))
    for label, prefilled in ((labels.overview, p.overview), (labels.annual_plan, p.annual_plan)):
        row = fs.long_text(row, FIRST, last, prefilled, s.text, (label, s.label))
    grade = data.grades[p.id]
    graded = dict(zip([i.id for i in p.indicators], grade.indicators, strict=True))
    for ind in p.indicators:
        actual = entry.actuals.get(ind.id) if entry else None
        status = entry.actual_status.get(ind.id) if entry else None
        printed = PrintedCells()
        row = _indicator(fs, row, ind, actual, status, graded[ind.id], data, t, last, printed)
        shown = trend(data.plan, ind, actual)
        if shown.drawable:
            charts.append(Chart(shown, printed))
    if t.report.charts.place == "below" and charts:
        row = chart_band(fs, row, FIRST, last, charts, t.report.labels.chart)
    if not p.indicators:
        block = f"{labels.targets}・{labels.actuals}"
        row = fs.long_text(row, FIRST, last, "（数値目標なし）", s.text, (block, s.label))
    if t.actual_note is not None and entry is not None:
        for ind in p.indicators:
            value = entry.actuals.get(ind.id)
            if value is not None and value.note:
                note = t.actual_note.label
                if len(p.indicators) > 1:
                    note += f"（{ind.label}）"
                row = fs.long_text(row, FIRST, last, value.note, s.text, (note, s.label))
    middle, end = report_fields(fields_of(data.plan, t), fp, entry)
    for label, text in middle:
        row = fs.long_text(row, FIRST, last, text, s.text, (label, s.label))
    for text_entry in t.texts:
        written: str | None = getattr(entry, text_entry.key) if entry else None
        row = fs.long_text(row, FIRST, last, written, s.text, (text_entry.label, s.label))
    row = _grades(fs, row, fp, data, t, last)
    explanation = entry.grade_explanation if entry else None
    row = fs.long_text(row, FIRST, last, explanation, s.text, (t.grade_explanation.label, s.label))
    for label, text in end:
        row = fs.long_text(row, FIRST, last, text, s.text, (label, s.label))
    return _footnotes(fs, row, fp, last)


def _indicator(
    fs: FormSheet,
    row: int,
    ind: Indicator,
    actual: Value | None,
    status: ActualStatus | None,
    ig: IndicatorGrade,
    data: ReportData,
    t: CardTemplate,
    last: int,
    printed: PrintedCells,
) -> int:
    """The indicator's years across: its name and unit over the years (the baseline
    first, 【最終目標】 last), then the 目標値 row, the 当初目標 row when a target was
    revised, the 実績値 row and (when the template asks) a 達成率 row for every year with
    an actual; more years than columns continue in a second set of rows.  Its 達成率 and
    grade beside the last set, with the year graded when that is not the report year; its
    ※ notes above."""
    s, labels, plan = fs.styles, t.labels, data.plan
    unit = f"（{ind.unit}）" if ind.unit else ""
    notes = indicator_text(
        ind, labels.final_target, t.terms, lag_text(plan, ind, t.labels), labels.baseline
    ).split("\n")[1:]
    if notes:
        label = t.report.labels.notes or (
            t.actual_note.label if t.actual_note else labels.indicator
        )
        row = fs.long_text(row, FIRST, last, "\n".join(notes), s.text, (label, s.label))
    number = s.text.but(align="right", valign="center", num_format=number_format(ind, False))
    head = s.label.but(align="center")
    center = s.text_center
    slots = last - FIRST
    shown = card_slots(plan, ind, t)
    has_original = any(slot.original is not None for slot in shown)
    rates = _report_rates(ind, ig, plan) if t.year_rates else None
    rows = [labels.targets, *([labels.original_target] if has_original else [])]
    rows += [labels.actuals, *([t.report.labels.rate] if rates is not None else [])]
    chunks = [shown[n : n + slots] for n in range(0, len(shown), slots)]
    for n, chunk in enumerate(chunks):
        fs.write(row, LABEL, f"{ind.label}{unit}", head)
        fs.fit(row, f"{ind.label}{unit}", fs.widths[LABEL])
        for k, text in enumerate(rows, start=1):
            fs.write(row + k, LABEL, text, s.label)
            fs.fit(row + k, text, fs.widths[LABEL])
        for k in range(slots):
            col = FIRST + k
            if k >= len(chunk):
                for r in range(row, row + len(rows) + 1):
                    fs.write(r, col, None, s.text)
                continue
            slot = chunk[k]
            fs.write(row, col, slot.head, head)
            fs.fit(row, slot.head, fs.widths[col])
            cells: list[Value | str | None] = [slot.target]
            if has_original:  # blank under a target that was never revised
                cells.append(slot.original if slot.original is not None else "")
            year = slot.year
            value, value_status = (actual, status) if year == plan.report_year else (None, None)
            if year is not None and year < plan.report_year:
                value, value_status = ind.actuals.get(year), ind.status_of(year)
            cells.append(value if year is not None and year <= plan.report_year else "")
            actual_row = row + len(cells)
            if slot.part == "final":  # the cells the charts draw
                printed.add("final", 0, row + 1, col)
            elif year is not None:
                printed.add("target", year, row + 1, col)
                printed.add("actual", year, actual_row, col)
            if rates is not None:
                cells.append(rates.get(year, "") if year is not None else "")
            for r, cell in enumerate(cells, start=row + 1):
                if isinstance(cell, str):
                    fs.write(r, col, cell or None, center)
                    if cell:
                        fs.fit(r, cell, fs.widths[col])
                else:
                    shown_status = value_status if r == actual_row else None
                    _value(fs, r, col, cell, number, center, shown_status)
        if n == len(chunks) - 1 and shows_computed(t):
            fs.write(row, last, t.report.labels.rate, head)
            mark = ig.grade or plan.grading.not_gradable
            graded = ig.year
            when = "" if graded in (None, plan.report_year) else f"（{era_label(graded)}）"
            text = f"{rate_text(ig)}{when}\n{mark}"
            fs.span(row + 1, last, last, text, center, rows=len(rows))
            grow_rows(fs, row + 1, row + len(rows), lines_needed(text, fs.widths[last], fs.size))
        else:
            for r in range(row, row + len(rows) + 1):
                fs.write(r, last, None, s.text)
        row += len(rows) + 1
    return row


def _report_rates(ind: Indicator, ig: IndicatorGrade, plan: Plan) -> dict[FiscalYear, str]:
    """The 達成率 of every past year with an actual, and the report year's as graded
    (which for a lagging statistic may be an earlier year's)."""
    out = past_rates(plan, ind)
    if ig.rate_shown is not None and ig.year is not None:
        out[ig.year] = f"{ig.rate_shown}%"
    return out


def _value(
    fs: FormSheet,
    row: int,
    col: int,
    value: Value | None,
    number: Style,
    center: Style,
    status: ActualStatus | None = None,
) -> None:
    shown = prefilled_cell(value)
    if isinstance(shown, str):
        fs.write(row, col, shown, center)
        fs.fit(row, shown, fs.widths[col])
    else:
        fs.write(
            row,
            col,
            shown,
            number.but(num_format=status_format(number.num_format or "General", status)),
        )


def _grades(
    fs: FormSheet, row: int, fp: FormProject, data: ReportData, t: CardTemplate, last: int
) -> int:
    """担当課の評価 and/or the grade computed from the numbers, as the template says."""
    s, labels, plan = fs.styles, t.report.labels, data.plan
    grade = data.grades[fp.project.id]
    own = grade.self_grade or labels.self_missing
    computed = grade.grade or plan.grading.not_gradable
    basis = grade_basis(grade, plan, t.terms)
    if shows_self(t) and shows_computed(t):
        fs.write(row, LABEL, t.self_grade.label, s.label)
        fs.write(row, FIRST, own, s.text_center)
        fs.span(row, FIRST + 1, FIRST + 2, labels.computed, s.label.but(align="center"))
        fs.write(row, FIRST + 3, computed, s.text_center)
        fs.span(row, FIRST + 4, last, basis, s.text.but(valign="center"))
    elif shows_self(t):
        fs.write(row, LABEL, t.self_grade.label, s.label)
        fs.write(row, FIRST, own, s.text_center)
        fs.span(row, FIRST + 1, last, None, s.text)
    else:
        fs.write(row, LABEL, labels.computed, s.label)
        fs.write(row, FIRST, computed, s.text_center)
        fs.span(row, FIRST + 1, last, basis, s.text.but(valign="center"))
    fs.fit(row, t.self_grade.label, fs.widths[LABEL])
    fs.fit(row, labels.computed, fs.width(FIRST + 1, FIRST + 2))
    return row + 1


def _footnotes(fs: FormSheet, row: int, fp: FormProject, last: int) -> int:
    """The card's ※ notes under it, outside the table, as the official report prints them:
    the term, then its definition."""
    plain = fs.styles.text.but(border=0)
    for n, note in enumerate(fp.project.footnotes):
        if n == 0:
            fs.heights[row] = GAP
            row += 1
        fs.span(row, LABEL, last, f"※{note.term}", plain.but(bold=True))
        row = fs.long_text(row + 1, LABEL, last, note.text, plain)
    return row
