"""The matrix layout's 報告書 (seed 003): one row per indicator under 柱 → (1) → ①.

Columns: 番号 | 事業名 | 内容 | 担当部局 | 評価指標 | the years (past actuals, targets and
the report year's actual, in time order) | 達成率 | 評価 (computed) | 担当課の評価 |
the department's comment, as the template's ``report.grades`` says.  The comment column
holds the comment and, after it, the improvement measures, as the official table's one
comment column does; a long comment continues on the following rows.  The two-row
header repeats on every page; the title columns (番号, 事業名) repeat on the pages of a
second column group when the table is split across pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpibook.contract.content import FormProject, ValueColumn, value_columns
from kpibook.contract.inputs import text_title
from kpibook.contract.specs import prefilled_cell
from kpibook.fiscal import era_label
from kpibook.forms.card import sections_with_content, title_row
from kpibook.forms.card_values import grow_rows, lag_text
from kpibook.forms.fields import report_fields
from kpibook.forms.formats import number_format, value_text, value_width, widest_values
from kpibook.forms.matrix import (
    CONTENT,
    DEPARTMENT,
    FIRST_VALUE,
    INDICATOR,
    NAME,
    NUMBER,
    baseline_text,
    matrix_title,
    section_heading,
)
from kpibook.forms.report import (
    GAP,
    ReportData,
    front_matter,
    rate_text,
    section_evaluation,
    shows_computed,
    shows_self,
)
from kpibook.forms.report_charts import Chart, PrintedCells, chart_band, trend
from kpibook.forms.sheet import FormSheet
from kpibook.grading import IndicatorGrade
from kpibook.plan import Indicator
from kpibook.printing import plan_columns
from kpibook.template import MatrixLabels, MatrixTemplate, fields_of
from kpibook.textfit import MAX_ROW_POINTS, lines_needed, row_height, split_for_rows
from kpibook.values import ActualStatus, Value, status_format, with_status
from kpibook.xlsx_write import Book, Sheet

HEADER_ROWS = 2


@dataclass(frozen=True)
class ReportLayout:
    values: list[ValueColumn]
    computed: bool
    own: bool

    def value_col(self, n: int) -> int:
        return FIRST_VALUE + n

    @property
    def rate_col(self) -> int:
        return FIRST_VALUE + len(self.values)

    @property
    def grade_col(self) -> int:
        return self.rate_col + 1

    @property
    def self_col(self) -> int:
        return self.rate_col + (2 if self.computed else 0)

    @property
    def text_col(self) -> int:
        return self.self_col + (1 if self.own else 0)


def matrix_report_widths(t: MatrixTemplate, layout: ReportLayout, data: ReportData) -> list[float]:
    """The template's columns, each year's widened where its widest value (the plan's,
    or for the report year the departments') would not fit on one line; values are
    printed without their unit, which the indicator's name carries."""
    c = t.report.columns
    size = t.report.font_size
    widest = widest_values(data.plan)
    indicators = {i.id: i for p in data.plan.projects for i in p.indicators}
    entered = [
        with_status(value_text(v, indicators[iid], with_unit=False), e.actual_status.get(iid))
        for e in data.entries.entries
        for iid, v in e.actuals.items()
        if iid in indicators
    ]
    widths = [c.number, c.name, c.content, c.department, c.indicator]
    for vc in layout.values:
        if vc.kind == "input":
            texts = entered
        elif vc.kind == "baseline":
            texts = [baseline_text(i, with_unit=False) for i in indicators.values()]
        else:
            key = (vc.kind, vc.year) if vc.kind != "original" else ("any", None)
            texts = [widest.get(key, ("", ""))[1]]
        widths.append(max([c.value, *(value_width(text, size, spare=False) for text in texts)]))
    if layout.computed:
        widths += [c.rate, c.grade]
    if layout.own:
        widths.append(c.grade)
    widths.append(c.text)
    return widths


def write_matrix_report(book: Book, sheet: Sheet, t: MatrixTemplate, data: ReportData) -> None:
    plan = data.plan
    layout = ReportLayout(value_columns(plan), shows_computed(t), shows_self(t))
    fs = FormSheet(book, sheet, t, matrix_report_widths(t, layout, data), None, report=True)
    fs.repeat_columns = (NUMBER, NAME)
    fs.column_breaks = [FIRST_VALUE, layout.rate_col, layout.text_col]
    last = layout.text_col
    title_row(fs, matrix_title(plan, t))
    row = front_matter(fs, 2, data, t, last, INDICATOR)
    header = row
    _header(fs, header, layout, data, t)
    fs.keep_with_next(header)
    row = header + HEADER_ROWS
    shown = sections_with_content(data.content)
    charts: list[Chart] = []
    for path in plan.iter_sections():
        if path.section.id not in shown:
            continue
        if len(path.nodes) == 1 and t.report.new_page_per_top_section and row > header + 2:
            fs.forced.add(row)
        fs.keep_with_next(row)
        row = section_heading(fs, row, path.nodes, last)
        evaluation = data.sections.get(path.section.id)
        if evaluation is not None:
            ng = plan.grading.not_gradable
            row = section_evaluation(fs, row, evaluation, NAME, last, ng)
        for fp in data.content.in_section(path.section.id):
            first = row
            row = _project(fs, row, fp, layout, data, t, charts)
            fs.block(first, row - 1)
    if t.report.charts.place == "below" and charts:
        row = _charts(fs, row, charts, t, last)
    fs.finish((header, header + 1), plan.title)


def _charts(fs: FormSheet, row: int, charts: list[Chart], t: MatrixTemplate, last: int) -> int:
    """After the table, on a page of its own: a chart of each indicator (of its first
    listing), titled with its row's number, several side by side."""
    fs.heights[row] = GAP
    row += 1
    fs.forced.add(row)
    fs.keep_with_next(row)
    # A table too wide for the paper prints in column groups: the charts stay within the
    # first, so that none is cut by a page's edge.
    groups = plan_columns(fs.widths, fs.page, fs.size, fs.repeat_columns, fs.column_breaks)
    last = groups.column_breaks[0] - 1 if groups.column_breaks else last
    fs.span(row, NUMBER, last, t.report.labels.charts_heading, fs.styles.heading)
    return chart_band(fs, row + 1, NUMBER, last, charts, blocks=True)


def _header(
    fs: FormSheet, row: int, layout: ReportLayout, data: ReportData, t: MatrixTemplate
) -> None:
    s, labels, plan = fs.styles, t.labels, data.plan
    head = s.label.but(align="center", valign="center")
    fixed = [
        (NUMBER, labels.number),
        (NAME, labels.name),
        (CONTENT, labels.content),
        (DEPARTMENT, labels.department),
        (INDICATOR, labels.indicator),
    ]
    if layout.computed:
        fixed += [(layout.rate_col, t.report.labels.rate), (layout.grade_col, "評価")]
    if layout.own:
        fixed.append(
            (layout.self_col, t.self_grade.label if not layout.computed else t.terms.self_grade)
        )
    year, next_year = era_label(plan.report_year), era_label(plan.report_year + 1)
    comment = "\n".join(e.label.format(year=year, next=next_year) for e in t.texts)
    fixed.append((layout.text_col, comment))
    for col, text in fixed:
        fs.span(row, col, col, text, head, rows=HEADER_ROWS)
    for n, vc in enumerate(layout.values):
        col = layout.value_col(n)
        if vc.kind == "baseline":
            fs.span(row, col, col, labels.baseline, head, rows=HEADER_ROWS)
            continue
        label = era_label(vc.year)
        if vc.kind == "target" and vc.year == plan.midterm_year:
            label += labels.midterm
        fs.write(row, col, label, head)
        fs.fit(row, label, fs.widths[col])
        sub = {"target": labels.target, "original": labels.original_target}
        fs.write(row + 1, col, sub.get(vc.kind, labels.actual), head)
        fs.fit(row + 1, sub.get(vc.kind, labels.actual), fs.widths[col])
    need = max(lines_needed(text, fs.widths[col], fs.size) for col, text in fixed)
    grow_rows(fs, row, row + 1, need)


def _comment(fp: FormProject, data: ReportData, t: MatrixTemplate) -> str:
    """The comment, then the improvement measures under a heading of their own, then
    the custom fields that have a value, each under its label."""
    entry = data.entry(fp.project.id)
    parts = []
    for n, e in enumerate(t.texts):
        text = getattr(entry, e.key) if entry else None
        if text:
            parts.append(text if n == 0 else f"【{text_title(e, data.plan)}】\n{text}")
    middle, end = report_fields(fields_of(data.plan, t), fp, entry)
    parts += [f"【{label}】\n{text}" for label, text in [*end, *middle] if text]
    return "\n".join(parts)


def _project(
    fs: FormSheet,
    row: int,
    fp: FormProject,
    layout: ReportLayout,
    data: ReportData,
    t: MatrixTemplate,
    charts: list[Chart],
) -> int:
    s, p, labels = fs.styles, fp.project, t.labels
    name = p.name
    if fp.relisting_of:
        name += f"{labels.relisted}{fp.relisting_of}"
    elif fp.other_places:
        name += "\n" + labels.also_listed.format(places="、".join(fp.other_places))
    overview = fp.placement.content or p.overview or ""
    departments = "\n".join([p.lead_department, *p.other_departments])
    pieces = split_for_rows(_comment(fp, data, t), fs.widths[layout.text_col], fs.size)
    # Enough rows for every indicator, every piece of the comment, and the tallest of the
    # project's own texts at 409 pt a row.
    own_lines = max(
        lines_needed(text, fs.widths[col], fs.size)
        for text, col in ((name, NAME), (overview, CONTENT), (departments, DEPARTMENT))
    )
    tallest = own_lines * row_height(1, fs.size)
    rows = max(len(p.indicators), 1, len(pieces), -int(-tallest // MAX_ROW_POINTS))
    last = row + rows - 1
    fs.span(row, NUMBER, NUMBER, fp.number, s.text_center, rows=rows)
    fs.span(row, NAME, NAME, name, s.text, rows=rows)
    fs.span(row, CONTENT, CONTENT, overview, s.text, rows=rows)
    lead = s.lead if p.other_departments else s.department
    fs.span(row, DEPARTMENT, DEPARTMENT, departments, lead, rows=rows)
    grade = data.grades[p.id]
    entry = data.entry(p.id)
    indicators: list[Indicator | None] = list(p.indicators) or [None]
    for k, ind in enumerate(indicators):
        # The last indicator's cells reach down to the project's last row.
        height = rows - k if k == len(indicators) - 1 else 1
        ig = grade.indicators[k] if ind is not None else None
        actual = entry.actuals.get(ind.id) if entry and ind else None
        status = entry.actual_status.get(ind.id) if entry and ind else None
        printed = PrintedCells()
        _indicator(fs, row + k, height, ind, actual, status, ig, layout, data, printed, t.labels)
        shown = trend(data.plan, ind, actual) if ind is not None else None
        if shown is not None and shown.drawable and not fp.relisting_of:
            charts.append(Chart(shown, printed, f"{fp.number} "))
    if layout.own:
        own = grade.self_grade or t.report.labels.self_missing
        fs.span(row, layout.self_col, layout.self_col, own, s.text_center, rows=rows)
    for n in range(rows):
        piece = pieces[n] if n < len(pieces) else None
        style = s.text.but(open_top=n > 0, open_bottom=n < rows - 1)
        fs.write(row + n, layout.text_col, piece, style)
        if piece:
            fs.fit(row + n, piece, fs.widths[layout.text_col])
    grow_rows(fs, row, last, own_lines)
    return row + rows


def _indicator(
    fs: FormSheet,
    row: int,
    rows: int,
    ind: Indicator | None,
    actual: Value | None,
    status: ActualStatus | None,
    ig: IndicatorGrade | None,
    layout: ReportLayout,
    data: ReportData,
    printed: PrintedCells,
    labels: MatrixLabels,
) -> None:
    """One indicator's cells, ``rows`` rows tall: its name, every year's value (the
    report year's from the department's entry), its rate and computed grade."""
    s, plan = fs.styles, data.plan
    center = s.text_center
    unit = f"（{ind.unit}）" if ind is not None and ind.unit else ""
    label = f"{ind.label}{unit}" if ind is not None else "－"
    lag = lag_text(plan, ind, labels) if ind is not None else None
    if lag:
        label += f"\n※{lag}"
    fs.span(row, INDICATOR, INDICATOR, label, s.text if ind else center, rows=rows)
    grow_rows(fs, row, row + rows - 1, lines_needed(label, fs.widths[INDICATOR], fs.size))
    for n, vc in enumerate(layout.values):
        col = layout.value_col(n)
        if ind is None:
            fs.span(row, col, col, "－", center, rows=rows)
            continue
        if vc.kind == "baseline":
            text = baseline_text(ind, with_unit=False)
            fs.span(
                row, col, col, text or None, s.text.but(align="right", valign="center"), rows=rows
            )
            grow_rows(fs, row, row + rows - 1, lines_needed(text, fs.widths[col], fs.size))
            continue
        if vc.kind == "original" and vc.year not in ind.original_targets:
            fs.span(row, col, col, None, center, rows=rows)
            continue
        shown_status = None
        if vc.kind == "input":
            value, shown_status = actual, status
        elif vc.kind == "original":
            value = ind.original_targets[vc.year]
        else:
            value = (ind.targets if vc.kind == "target" else ind.actuals).get(vc.year)
            shown_status = ind.status_of(vc.year) if vc.kind == "actual" else None
        if vc.kind != "original":  # the cells the charts draw: targets as graded, actuals
            printed.add("target" if vc.kind == "target" else "actual", vc.year, row, col)
        shown = prefilled_cell(value)
        if isinstance(shown, str):
            fs.span(row, col, col, shown, center, rows=rows)
            grow_rows(fs, row, row + rows - 1, lines_needed(shown, fs.widths[col], fs.size))
        else:
            plain = number_format(ind, with_unit=False)
            number = s.text.but(
                align="right", valign="center", num_format=status_format(plain, shown_status)
            )
            fs.span(row, col, col, shown, number, rows=rows)
    if layout.computed:
        rate = rate_text(ig) if ig is not None else "－"
        if ig is not None and ig.year not in (None, plan.report_year):
            rate += f"\n（{era_label(ig.year)}）"  # a lagging statistic, graded on this year
        mark = (ig.grade if ig is not None else None) or plan.grading.not_gradable
        fs.span(row, layout.rate_col, layout.rate_col, rate, center, rows=rows)
        fs.span(row, layout.grade_col, layout.grade_col, mark, center, rows=rows)
