"""一覧: one row per indicator, tidy (one value per cell, no merged cells, units in their own
column, fiscal years as western years with the era label), for filtering and open data."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from kpibook.cells import col_letter
from kpibook.entries import Entries
from kpibook.fields import FieldSpec, field_value
from kpibook.fiscal import era_label
from kpibook.grading import IndicatorGrade, ProjectGrade, graded_against
from kpibook.grading.sections import evaluation_name
from kpibook.master.styles import (
    BAD,
    CELL,
    CENTER,
    GREY,
    HEAD,
    RATE,
    fit_row,
    grade_styles,
    number_style,
    print_table,
)
from kpibook.merge import MergeReport
from kpibook.plan import Direction, Indicator, Plan, Project
from kpibook.printing import Page
from kpibook.scheme import EvaluationRule, SectionEvaluation
from kpibook.template import Terms
from kpibook.values import STATUS_TEXT, ActualStatus, Value, ValueKind
from kpibook.xlsx_write import CellValue, Sheet, Style

SHEET = "一覧"
ROW_BAD = Style(fill="#FDE9E7")
ROW_GREY = Style(fill="#F2F2F2")
MISMATCH = "不一致"
STATES = "数値でない値"
"""The column listing the values that are states (増加, 集計中, －), by year."""
TREND = "実績の推移"
"""The printable trend: the latest numeric actual against the one before, in words."""
SPARKLINE = "推移グラフ"
"""The actuals as a sparkline, for Excel (left out of the print: LibreOffice prints
sparklines as scattered dots)."""
SPARKLINE_LIMIT = 20_000
"""Above this many rows (a national table, for filtering rather than looking at) 一覧 has
no sparklines: each costs memory until the workbook is written."""
BETTER = Style(font_color="#006100")
WORSE = Style(font_color="#9C0006")
TREND_STYLES = {way: CELL.but(font_color=way.font_color) for way in (BETTER, WORSE)}
"""A trend's cell, in the colour of its way (made once, not once a row)."""


def _cell(value: Value | None) -> CellValue:
    """A value column holds numbers only, so that a filter, a sum or pandas reads the
    column as numbers; a state (増加, 集計中, －) goes to the 状態 column."""
    if value is not None and value.kind is ValueKind.NUMBER:
        assert value.number is not None
        return value.number
    return None


def _state(label: str, value: Value | None) -> str | None:
    """``R5 実績値: 集計中`` for a value that is a state, not a number."""
    if value is None or value.kind in (ValueKind.NUMBER, ValueKind.EMPTY):
        return None
    return f"{label}: {value.display()}"


def write_table(
    sheet: Sheet,
    plan: Plan,
    report: MergeReport,
    entries: Entries,
    page: Page,
    terms: Terms,
    fields: list[FieldSpec] = [],  # noqa: B006 - never changed
) -> None:
    indicators = [i for p in plan.projects for i in p.indicators]
    ng = plan.grading.not_gradable
    target_years = sorted({y for i in indicators for y in i.targets})
    actual_years = sorted({y for i in indicators for y in i.actuals} | {plan.report_year})
    source = {d.department: d.used or "" for d in report.departments}
    # One column per evaluated depth of the tree: the evaluation of the row's section there.
    evaluated = sorted(plan.grading.evaluations, key=lambda e: e.depth)
    section_grades = {g.section: g.grade or ng for g in report.grades.sections}
    # Beside a computed evaluation that owners also enter, the owner's (施策の評価（担当）).
    owned_depths = {len(p.nodes) for d in plan.department_names() for p in plan.owned_sections(d)}
    entered = [
        e for e in evaluated if e.depth in owned_depths and e.rule is not EvaluationRule.OWNER
    ]
    own_grades = {g.section: g.self_grade for g in report.grades.sections}
    section_columns = [
        (e, kind)
        for e in evaluated
        for kind in (("computed", "owner") if e in entered else ("computed",))
    ]
    w = terms
    keyed: list[tuple[str, str]] = [
        ("体系番号", "体系番号"),
        ("体系", "体系"),
        ("事業ID", f"{w.project}ID"),
        ("事業名", f"{w.project}名"),
        ("掲載数", "掲載数"),
        ("担当課", w.department),
        ("関係課", f"関係{w.department}"),
        ("指標ID", f"{w.indicator}ID"),
        ("指標", w.indicator),
        ("単位", "単位"),
        *((f"t{y}", f"{w.target} {y} ({era_label(y)})") for y in target_years),
        ("最終目標", "最終目標"),
        *((f"a{y}", f"{w.actual} {y} ({era_label(y)})") for y in actual_years),
        (TREND, TREND),
        (STATES, STATES),
        (PRELIMINARY_YEARS, PRELIMINARY_YEARS),
        ("評価に用いた目標", "評価に用いた目標"),
        ("達成率(%)", "達成率(%)"),
        ("指標の評価", f"{w.indicator}の評価"),
        (PRELIMINARY_GRADE, PRELIMINARY_GRADE),
        ("事業の評価", f"{w.project}の評価"),
        ("担当課の評価", w.self_grade),
        ("評価の一致", "評価の一致"),
        *((h, h) for h in (_section_head(plan, e, kind) for e, kind in section_columns)),
    ]
    # A column per custom field, headed by its label (said to be one where it would
    # repeat a heading of kpibook's).
    shown = [s for _, s in keyed]
    keyed += [
        (f"f{n}", f.label if f.label not in shown else f"{f.label}（項目）")
        for n, f in enumerate(fields)
    ]
    keyed.append(("回答ファイル", "回答ファイル"))
    sparklines = len(indicators) <= SPARKLINE_LIMIT
    if sparklines:
        keyed.append((SPARKLINE, SPARKLINE))
    keys = [k for k, _ in keyed]
    headers = [s for _, s in keyed]
    col = {k: n for n, k in enumerate(keys)}
    named = {
        "体系": 36,
        "事業名": 30,
        "指標": 24,
        "回答ファイル": 30,
        "関係課": 14,
        "担当課": 14,
        STATES: 20,
        TREND: 21,
        SPARKLINE: 16,
    }
    widths = [named.get(key, 11) for key in keys]
    for n, head in enumerate(headers):
        sheet.write(0, n, head, HEAD)
    fit_row(sheet, 0, headers, widths)
    centered = {
        col[h]
        for h in ("指標の評価", PRELIMINARY_GRADE, "事業の評価", "担当課の評価", "評価の一致")
    }
    centered |= {col[_section_head(plan, e, kind)] for e, kind in section_columns}
    rate_col = col["達成率(%)"]
    places = plan.grading.rounding.places
    rate_style = RATE.but(num_format="0." + "0" * places if places else "0")
    grades = {g.project: g for g in report.grades.projects}
    row = 1
    for project in plan.projects:
        grade = grades[project.id]
        lines: list[tuple[Indicator | None, IndicatorGrade | None]] = list(
            zip(project.indicators, grade.indicators, strict=True)
        ) or [(None, None)]
        for ind, ig in lines:
            values = _row(
                plan, project, grade, ind, ig, target_years, actual_years, entries, ng, terms
            )
            nodes = plan.section_path(project.placements[0].section).nodes
            values += [
                (section_grades if kind == "computed" else own_grades).get(nodes[e.depth - 1].id)
                if e.depth <= len(nodes)
                else None
                for e, kind in section_columns
            ]
            entry = entries.for_project(project.id)
            values += [field_value(f, project, ind, entry) for f in fields]
            values.append(source.get(project.lead_department, ""))
            if sparklines:
                values.append(None)  # the sparkline's cell
            trend = trend_of(plan, project, ind, entries) if ind else None
            for n, value in enumerate(values):
                if n == col[TREND] and trend is not None:
                    style = TREND_STYLES[trend[1]] if trend[1] else CELL
                    value = trend[0]
                elif n in centered:
                    style = CENTER
                elif n == rate_col and value is not None:
                    style = rate_style
                elif isinstance(value, int | float | Decimal):
                    style = number_style(value)
                else:
                    style = CELL
                sheet.write(row, n, value, style)
            fit_row(sheet, row, values, widths)
            row += 1
    last = row - 1
    sheet.freeze(1, 4)
    sheet.autofilter(0, 0, max(last, 1), len(headers) - 1)
    for n, width in enumerate(widths):
        sheet.column_width(n, n, width)
    # 事業名 is printed at the left of every group of pages when the table is too wide
    # for one page; the sparklines are not printed.
    printed = widths[: col[SPARKLINE]] if sparklines else widths
    print_table(sheet, page, printed, f"{plan.title}　一覧", (0, 0), (col["事業名"], col["事業名"]))
    sheet.print_area(0, 0, max(last, 0), len(printed) - 1)
    if last < 1:
        return
    if sparklines:
        first_actual = col[f"a{actual_years[0]}"]
        end = first_actual + len(actual_years) - 1
        sheet.sparklines(col[SPARKLINE], [(r, first_actual, end) for r in range(1, last + 1)])
    for name in ("指標の評価", "事業の評価", "担当課の評価"):
        c = col[name]
        for grade_mark, style in grade_styles(plan):
            sheet.conditional(
                1, c, last, c, {"type": "cell", "criteria": "==", "value": f'"{grade_mark}"'}, style
            )
        sheet.conditional(
            1, c, last, c, {"type": "cell", "criteria": "==", "value": f'"{ng}"'}, GREY
        )
    rate = col["達成率(%)"]
    sheet.conditional(
        1,
        rate,
        last,
        rate,
        {
            "type": "data_bar",
            "bar_color": "#63BE7B",
            "bar_solid": True,
            "min_type": "num",
            "min_value": 0,
            "max_type": "num",
            "max_value": 150,
        },
    )
    flag = col["評価の一致"]
    sheet.conditional(
        1, flag, last, flag, {"type": "cell", "criteria": "==", "value": f'"{MISMATCH}"'}, BAD
    )
    # Whole rows: a disagreement in light red, a project that cannot be graded in grey.
    end = len(headers) - 1
    flag_ref = f"${col_letter(flag)}2"
    project_ref = f"${col_letter(col['事業の評価'])}2"
    sheet.conditional(
        1, 0, last, end, {"type": "formula", "criteria": f'={flag_ref}="{MISMATCH}"'}, ROW_BAD
    )
    sheet.conditional(
        1, 0, last, end, {"type": "formula", "criteria": f'={project_ref}="{ng}"'}, ROW_GREY
    )


def trend_of(
    plan: Plan, project: Project, ind: Indicator, entries: Entries
) -> tuple[str, Style | None] | None:
    """The latest numeric actual against the numeric one before it: ``H30→R1 ↗ +8.2%``
    (the change itself when the earlier one is 0), in green when it went the better way
    for the indicator, red when the worse, plain when flat; None with fewer than two."""
    entry = entries.for_project(project.id)
    report = entry.actuals.get(ind.id) if entry else None
    numbers = [
        (y, v.number)
        for y in sorted({*ind.actuals, plan.report_year})
        if y <= plan.report_year
        and (v := report if y == plan.report_year else ind.actuals.get(y)) is not None
        and v.kind is ValueKind.NUMBER
        and v.number is not None
    ]
    if len(numbers) < 2:
        return None
    (y0, before), (y1, after) = numbers[-2], numbers[-1]
    change = after - before
    arrow = "↗" if change > 0 else "↘" if change < 0 else "→"
    if before != 0:
        pct = (change / abs(before) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        amount = f"{pct:+}%" if change else "±0%"
    else:
        amount = f"{change:+,}"
    better = change > 0 if ind.direction is Direction.HIGHER else change < 0
    style = None if change == 0 else BETTER if better else WORSE
    return f"{era_label(y0)}→{era_label(y1)} {arrow} {amount}", style


PRELIMINARY_YEARS = "速報値の実績"
"""The column that lists the years whose actual is a 速報値 (the rest are 確定値)."""
PRELIMINARY_GRADE = "速報値で評価"
"""The column that flags an indicator graded on a 速報値 (a figure that may change)."""


def _section_head(plan: Plan, evaluation: SectionEvaluation, kind: str) -> str:
    """施策の評価, or 施策の評価（担当） for the owner's beside a computed one."""
    name = evaluation_name(plan, evaluation)
    return name if kind == "computed" else f"{name}（担当）"


def _row(
    plan: Plan,
    project: Project,
    grade: ProjectGrade,
    ind: Indicator | None,
    ig: IndicatorGrade | None,
    target_years: list[int],
    actual_years: list[int],
    entries: Entries,
    ng: str,
    terms: Terms,
) -> list[CellValue]:
    path = plan.section_path(project.placements[0].section)
    entry = entries.for_project(project.id)
    report_actual = entry.actuals.get(ind.id) if entry and ind else None
    values: list[CellValue] = [
        path.numbers(),
        " / ".join(n.title or n.number for n in path.nodes),
        project.id,
        project.name,
        len(project.placements),
        project.lead_department,
        "、".join(project.other_departments) or None,
        ind.id if ind else None,
        ind.label if ind else None,
        ind.unit if ind else None,
    ]
    shown: list[tuple[str, Value | None]] = []
    if ind is not None:
        shown += [(f"{era_label(y)} {terms.target}", ind.targets.get(y)) for y in target_years]
        shown.append(("最終目標", ind.final_target))
        shown += [
            (
                f"{era_label(y)} {terms.actual}",
                report_actual if y == plan.report_year else ind.actuals.get(y),
            )
            for y in actual_years
        ]
        values += [_cell(value) for _, value in shown]
    else:
        values += [None] * (len(target_years) + 1 + len(actual_years))
    states = [s for label, value in shown if (s := _state(label, value))]
    values.append(None)  # the trend, written by the caller
    values.append("、".join(states) or None)
    preliminary: list[str] = []
    if ind is not None:  # the years whose actual is a 速報値
        statuses = {y: ind.status_of(y) for y in actual_years if y != plan.report_year}
        statuses[plan.report_year] = entry.actual_status.get(ind.id) if entry else None
        preliminary = [
            era_label(y) for y in actual_years if statuses.get(y) is ActualStatus.PRELIMINARY
        ]
    values.append("、".join(preliminary) or None)
    used = graded_against(ig, plan.report_year) if ig else None
    rate = float(ig.rate_shown) if ig and ig.rate_shown is not None else None
    agree = None
    if grade.grade is not None and grade.self_grade is not None:
        agree = MISMATCH if grade.mismatch else "一致"
    values += [
        used,
        rate,
        (ig.grade or ng) if ig else None,
        STATUS_TEXT[ActualStatus.PRELIMINARY] if ig and ig.preliminary else None,
        grade.grade or ng,
        grade.self_grade,
        agree,
    ]
    return values
