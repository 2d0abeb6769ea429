"""The matrix form (seed 003): one row per indicator under 柱 → (1) → ①.

Columns: 番号 | 事業名 | 内容 | 担当部局 | 評価指標 | the year columns in time order (a
基準値 column first when the plan has baselines, past actuals, targets each followed by
its 当初目標 when one was revised, the report year's actual to fill) | 実績の状況 | 評価 | comment |
improvement.  The official two-row header (year, then 実績値/目標値) heads the table and
repeats on every printed page; section headings are full-width rows inside it.  A project
with several indicators has one row per indicator; its project-level entries (評価, the
comment) are single cells on its first row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from kpibook.contract.content import FormContent, FormProject, ValueColumn, value_columns
from kpibook.contract.inputs import FormInput, InputKey, by_key, prefilled_texts, project_inputs
from kpibook.contract.names import indicator_name, project_name
from kpibook.fields import FieldSpec
from kpibook.fiscal import era_label
from kpibook.forms.card import sections_with_content, title_row
from kpibook.forms.card_values import lag_text
from kpibook.forms.fields import matrix_field_cells, matrix_field_width
from kpibook.forms.formats import ValueKey, number_format, value_text, value_width, widest_values
from kpibook.forms.sheet import FormSheet
from kpibook.plan import Indicator, Plan, Section
from kpibook.template import MatrixTemplate, fields_of
from kpibook.textfit import lines_needed, longest_height, row_height, width_for

NUMBER, NAME, CONTENT, DEPARTMENT, INDICATOR = range(5)
FIRST_VALUE = 5
HEADER_ROW = 3


@dataclass(frozen=True)
class Layout:
    values: list[ValueColumn]
    fields: list[FieldSpec] = field(default_factory=list)
    """Custom fields, a column each after the texts."""

    @cached_property
    def input_col(self) -> int:
        """(Asked for every value cell: found once.)"""
        return FIRST_VALUE + next(n for n, c in enumerate(self.values) if c.kind == "input")

    def value_col(self, n: int) -> int:
        col = FIRST_VALUE + n
        return col + 1 if col > self.input_col else col  # the state column follows the input

    @property
    def state_col(self) -> int:
        return self.input_col + 1

    @property
    def grade_col(self) -> int:
        return FIRST_VALUE + len(self.values) + 1

    @property
    def comment_col(self) -> int:
        return self.grade_col + 1

    @property
    def first_field_col(self) -> int:
        return self.comment_col + 2

    @property
    def last(self) -> int:
        return self.comment_col + 1 + len(self.fields)


def matrix_widths(t: MatrixTemplate, plan: Plan) -> list[float]:
    """The form's columns: the template's, the text columns widened where a text input's
    longest text would not fit one row of Excel's 409 pt, and each year's where its
    widest value (with its unit) would not fit on one line."""
    c = t.columns
    layout = Layout(value_columns(plan), fields_of(plan, t))
    widths = [c.number, c.name, c.content, c.department, c.indicator]
    widths += [c.value] * (layout.last + 1 - len(widths))
    widest = widest_values(plan)
    for n, vc in enumerate(layout.values):  # each value on one line, with its unit
        key: ValueKey = (vc.kind, vc.year) if vc.kind in ("actual", "target") else ("any", None)
        col = layout.input_col if vc.kind == "input" else layout.value_col(n)
        text = widest.get(key, ("", ""))[0]
        if vc.kind == "baseline":
            text = max((text, *(baseline_text(i) for i in _indicators(plan))), key=len)
        widths[col] = max(c.value, value_width(text, t.font.size))
    widths[layout.state_col] = c.state
    widths[layout.grade_col] = c.grade
    for entry, col in zip(t.texts, (layout.comment_col, layout.comment_col + 1), strict=False):
        widths[col] = max(c.text, width_for(entry.max_length, t.font.text_input_size))
    for n, spec in enumerate(layout.fields):
        widths[layout.first_field_col + n] = matrix_field_width(spec, t)
    return widths


def _indicators(plan: Plan) -> list[Indicator]:
    return [i for p in plan.projects for i in p.indicators]


def baseline_text(ind: Indicator, with_unit: bool = True) -> str:
    """The baseline as its cell shows it: the value, its unit and its year."""
    if ind.baseline.is_empty:
        return ""
    year = f"（{era_label(ind.baseline_year)}）" if ind.baseline_year is not None else ""
    return value_text(ind.baseline, ind, with_unit) + year


def baseline_format(ind: Indicator) -> str:
    """The baseline's number format: the indicator's, its year after the unit."""
    fmt = number_format(ind)
    if ind.baseline_year is None:
        return fmt
    year = f"（{era_label(ind.baseline_year)}）"
    return fmt[:-1] + year + '"' if fmt.endswith('"') else f'{fmt}"{year}"'


def print_columns(layout: Layout) -> tuple[tuple[int, int], list[int]]:
    """Title columns repeated on every page (番号, 事業名) and where the columns may be
    split into groups printed side by side: before the years, between them, before the
    grade, and before the texts."""
    breaks = [*range(FIRST_VALUE, layout.grade_col + 1), layout.comment_col, layout.comment_col + 1]
    breaks += range(layout.first_field_col, layout.last + 1)
    return (NUMBER, NAME), breaks


def write_matrix(fs: FormSheet, content: FormContent, t: MatrixTemplate) -> tuple[int, int]:
    plan, s = content.plan, fs.styles
    layout = Layout(value_columns(plan), fields_of(plan, t))
    fs.repeat_columns, fs.column_breaks = print_columns(layout)
    title_row(fs, matrix_title(plan, t))
    deadline = f"　提出期限: {plan.deadline:%Y年%m月%d日}" if plan.deadline else ""
    line = f"{t.labels.department}: {content.department}{deadline}"
    fs.span(1, NUMBER, layout.last, line, s.hint)
    _header(fs, layout, plan, t)
    row = HEADER_ROW + 2
    shown = sections_with_content(content)
    for path in plan.iter_sections():
        section = path.section
        if section.id not in shown:
            continue
        fs.keep_with_next(row)
        row = section_heading(fs, row, path.nodes, layout.last)
        for fp in content.in_section(section.id):
            first = row
            row = _project(fs, row, fp, layout, content, t)
            fs.block(first, row - 1)
    return (HEADER_ROW, HEADER_ROW + 1)


def matrix_title(plan: Plan, t: MatrixTemplate) -> str:
    return f"{plan.title}　{t.labels.title_suffix}（{era_label(plan.report_year)}実績）"


def section_heading(fs: FormSheet, row: int, nodes: tuple[Section, ...], last: int) -> int:
    """A section's full-width heading row: 【柱2】, (1) 相談窓口の充実, ① ..."""
    section = nodes[-1]
    number = section.number if len(nodes) > 1 else f"【{section.number}】"
    fs.span(row, NUMBER, last, f"{number} {section.title or ''}".strip(), fs.styles.heading)
    return row + 1


def _header(fs: FormSheet, layout: Layout, plan: Plan, t: MatrixTemplate) -> None:
    s, labels, r = fs.styles, t.labels, HEADER_ROW
    head = s.label.but(align="center")
    fixed = [
        (NUMBER, labels.number),
        (NAME, labels.name),
        (CONTENT, labels.content),
        (DEPARTMENT, f"{labels.department}\n{labels.department_note}"),
        (INDICATOR, labels.indicator),
        (layout.state_col, labels.state),
        (layout.grade_col, t.self_grade.label),
    ]
    year, next_year = era_label(plan.report_year), era_label(plan.report_year + 1)
    for entry, col in zip(t.texts, (layout.comment_col, layout.comment_col + 1), strict=False):
        fixed.append((col, entry.label.format(year=year, next=next_year)))
    for n, spec in enumerate(layout.fields):
        fixed.append((layout.first_field_col + n, spec.label))
    for col, text in fixed:
        fs.span(r, col, col, text, head, rows=2)
    for n, vc in enumerate(layout.values):
        col = layout.value_col(n) if vc.kind != "input" else layout.input_col
        if vc.kind == "baseline":
            fs.span(r, col, col, labels.baseline, head, rows=2)
            continue
        label = era_label(vc.year)
        if vc.kind == "target" and vc.year == plan.midterm_year:
            label += labels.midterm
        fs.write(r, col, label, head)
        kind = {"target": labels.target, "original": labels.original_target}
        sub = kind.get(vc.kind, labels.actual)
        fs.write(r + 1, col, sub, head)
        fs.fit(r + 1, sub, fs.widths[col])
    # The two header rows share the height the tallest merged head needs.
    need = max(lines_needed(text, fs.widths[col], fs.size) for col, text in fixed)
    fs.fit(r, "", 10, min_lines=max(1, (need + 1) // 2))
    fs.fit(r + 1, "", 10, min_lines=max(1, need // 2))


def _project(
    fs: FormSheet,
    row: int,
    fp: FormProject,
    layout: Layout,
    content: FormContent,
    t: MatrixTemplate,
) -> int:
    s, p, plan = fs.styles, fp.project, content.plan
    rows = max(len(p.indicators), 1)
    texts = prefilled_texts(fp, t)
    name, overview = texts["name"], texts["overview"]
    departments = "\n".join([p.lead_department, *p.other_departments])
    fs.span(row, NUMBER, NUMBER, fp.number, s.text_center, rows=rows)
    fs.span(row, NAME, NAME, name, s.text, rows=rows)
    fs.span(row, CONTENT, CONTENT, overview, s.text, rows=rows)
    fs.prefilled_name(project_name(p.id, "name"), row, NAME)
    fs.prefilled_name(project_name(p.id, "overview"), row, CONTENT)
    fs.span(
        row,
        DEPARTMENT,
        DEPARTMENT,
        departments,
        s.lead if p.other_departments else s.department,
        rows=rows,
    )
    lines = [(name, NAME), (overview, CONTENT), (departments, DEPARTMENT)]
    need = max(lines_needed(text, fs.widths[col], fs.size) for text, col in lines)
    per_row = row_height(max(1, -(-need // rows)), fs.size)
    for r in range(row, row + rows):
        fs.heights[r] = max(fs.heights.get(r, 0), per_row)
    if fp.writes:  # the texts' row is as tall as their longest accepted text needs
        size = t.font.text_input_size
        for entry, col in zip(t.texts, (layout.comment_col, layout.comment_col + 1), strict=False):
            height = longest_height(entry.max_length, fs.widths[col], size)
            fs.heights[row] = max(fs.heights.get(row, 0), height)
    indicators: list[Indicator | None] = list(p.indicators) or [None]
    inputs = by_key(project_inputs(fp, plan, t))
    for k, ind in enumerate(indicators):
        _indicator_row(fs, row + k, fp, ind, layout, inputs, t, plan)
    _project_entries(fs, row, rows, fp, layout, inputs, t)
    lead = t.labels.filled_by_lead.format(lead=p.lead_department)
    matrix_field_cells(fs, row, rows, fp, layout.fields, layout.first_field_col, inputs, lead)
    return row + rows


def _indicator_row(
    fs: FormSheet,
    row: int,
    fp: FormProject,
    ind: Indicator | None,
    layout: Layout,
    inputs: dict[InputKey, FormInput],
    t: MatrixTemplate,
    plan: Plan,
) -> None:
    s, pid = fs.styles, fp.project.id
    if ind is None:
        fs.write(row, INDICATOR, "－", s.text_center)
        for n, vc in enumerate(layout.values):
            col = layout.input_col if vc.kind == "input" else layout.value_col(n)
            fs.write(row, col, "－", s.text_center)
        fs.write(row, layout.state_col, None, s.read_only)
        return
    lag = lag_text(plan, ind, t.labels)
    label = f"{ind.label}\n※{lag}" if lag else ind.label
    fs.write(row, INDICATOR, label, s.text)
    fs.fit(row, label, fs.widths[INDICATOR])
    number = fs.number_style(ind)
    for n, vc in enumerate(layout.values):
        col = layout.value_col(n)
        if vc.kind == "input":
            continue
        if vc.kind == "baseline":
            if ind.baseline.is_empty:
                fs.write(row, col, None, s.text)
            else:
                base = fs.but(number, num_format=baseline_format(ind))
                fs.prefilled(row, col, ind.baseline, base, indicator_name(pid, ind.id, "base"))
            continue
        if vc.kind == "original":
            original = ind.original_targets.get(vc.year)
            if original is None:
                fs.write(row, col, None, s.text)
            else:
                name = indicator_name(pid, ind.id, f"o{vc.year}")
                fs.prefilled(row, col, original, number, name)
            continue
        values = ind.targets if vc.kind == "target" else ind.actuals
        part = f"t{vc.year}" if vc.kind == "target" else f"a{vc.year}"
        status = ind.status_of(vc.year) if vc.kind == "actual" else None
        name = indicator_name(pid, ind.id, part)
        fs.prefilled(row, col, values.get(vc.year), number, name, status)
    if fp.writes:
        fs.indicator_inputs(
            row,
            layout.input_col,
            layout.state_col,
            inputs[("actual", ind.id)],
            inputs[("state", ind.id)],
        )
    else:
        fs.write(row, layout.input_col, None, s.read_only)
        fs.write(row, layout.state_col, None, s.read_only)


def _project_entries(
    fs: FormSheet,
    row: int,
    rows: int,
    fp: FormProject,
    layout: Layout,
    inputs: dict[InputKey, FormInput],
    t: MatrixTemplate,
) -> None:
    s, p = fs.styles, fp.project
    cols = [layout.grade_col, layout.comment_col, layout.comment_col + 1]
    if not fp.writes:
        lead = t.labels.filled_by_lead.format(lead=p.lead_department)
        fs.span(row, layout.grade_col, layout.comment_col + 1, lead, s.read_only, rows=rows)
        return
    fs.input(row, layout.grade_col, inputs[("self_grade", None)], s.input_choice)
    for entry, col in zip(t.texts, cols[1:], strict=False):
        fs.input(row, col, inputs[(entry.key, None)], s.input_text)
    for r in range(row + 1, row + rows):
        for col in cols:
            fs.write(r, col, None, s.read_only)
