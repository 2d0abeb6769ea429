"""概要: where every department stands, grade counts by section and by department, the
legend, and the disagreements, with colours where a coordinator must look."""

from __future__ import annotations

from collections.abc import Iterable

from kpibook.fiscal import era_label
from kpibook.grading import SELF_GRADE_MISSING, ProjectGrade, SectionGrade
from kpibook.grading.rates import formula_lines, own_words, terms_note
from kpibook.grading.sections import section_basis
from kpibook.master.styles import (
    BAD,
    CELL,
    CENTER,
    GOOD,
    HEAD,
    NOTE,
    SECTION,
    TITLE,
    WHOLE,
    fit_row,
    print_table,
)
from kpibook.merge import STATUS_JA, MergeReport, Status
from kpibook.plan import Plan
from kpibook.printing import Page
from kpibook.template import Terms
from kpibook.xlsx_write import ChartSeries, Sheet

SHEET = "概要"


WIDTHS = [30, *([10] * 12)]


def write_overview(
    sheet: Sheet,
    plan: Plan,
    report: MergeReport,
    page: Page,
    terms: Terms,
    notes: list[str] | None = None,
) -> None:
    for col, width in enumerate(WIDTHS):
        sheet.column_width(col, col, width)
    title = f"{plan.title}　{era_label(plan.report_year, 'long')} 進捗状況の集計"
    sheet.write(0, 0, title, TITLE)
    row = 2
    for note in notes or []:
        sheet.write(row, 0, note)
        row += 1
    row = _submissions(sheet, row + 1 if notes else row, report, terms) + 1
    grades = report.grades.projects
    by_id = {g.project: g for g in grades}
    # A project counts under each section it is placed in and under their ancestors, once.
    under: dict[str, dict[str, ProjectGrade]] = {}
    for project in plan.projects:
        for pl in project.placements:
            for node in plan.section_path(pl.section).nodes:
                under.setdefault(node.id, {})[project.id] = by_id[project.id]
    sections: list[tuple[str, list[ProjectGrade]]] = []
    numbers: list[str] = []
    for path in plan.iter_sections():
        listed = list(under.get(path.section.id, {}).values())
        indent = "　" * (len(path.nodes) - 1)
        name = f"{indent}{path.section.number} {path.section.title or ''}".rstrip()
        sections.append((name, listed))
        numbers.append(path.numbers())
    counted = row + 2  # the first section's row of the counts
    row = _counts(sheet, row, plan, terms, "評価の集計（体系別）", sections, grades, numbers) + 1
    by_department: dict[str, list[ProjectGrade]] = {}
    for g in grades:
        by_department.setdefault(g.department, []).append(g)
    departments = [(d, by_department[d]) for d in plan.department_names() if d in by_department]
    by_department_first = row + 2  # the first department's row of the counts
    by_dept = f"評価の集計（{terms.department}別）"
    row = _counts(sheet, row, plan, terms, by_dept, departments, grades) + 1
    if report.grades.sections:
        ng = plan.grading.not_gradable
        row = _section_grades(sheet, row, report.grades.sections, ng, terms) + 1
    row = _legend(sheet, row, plan, terms) + 1
    row = _mismatches(sheet, row, [g for g in grades if g.mismatch], terms) + 2
    breaks: list[int] = []
    if len(sections) <= CHART_MAX_SECTIONS:
        rows = (counted, counted + len(sections) - 1)
        labels = 4 + len(plan.grading.bands) + len(plan.grading.grades)  # the 番号 column
        breaks.append(row)
        row = _chart(sheet, row, plan, rows, "評価の集計（体系別・計算上の評価）", labels)
    if len(departments) <= CHART_MAX_SECTIONS:
        rows = (by_department_first, by_department_first + len(departments) - 1)
        breaks.append(row)
        title = f"評価の集計（{terms.department}別・計算上の評価）"
        row = _chart(sheet, row, plan, rows, title, 0)
    print_table(sheet, page, WIDTHS, f"{plan.title}　概要", breaks=breaks)
    sheet.activate()


def _submissions(sheet: Sheet, row: int, report: MergeReport, terms: Terms) -> int:
    sheet.write(row, 0, "提出状況", SECTION)
    row += 1
    # The file names come last, on one line reaching into the empty cells beside them.
    heads = (terms.department, "状況", "エラー", "警告", "採用した回答")
    for col, head in enumerate(heads):
        sheet.write(row, col, head, HEAD)
    fit_row(sheet, row, heads, WIDTHS)
    first = row + 1
    for d in report.departments:
        row += 1
        sheet.write(row, 0, d.department, CELL)
        sheet.write(row, 1, STATUS_JA[d.status], CENTER)
        sheet.write(row, 2, d.errors, WHOLE)
        sheet.write(row, 3, d.warnings, WHOLE)
        files = d.used or "、".join(d.files) or "－"
        sheet.write(row, 4, files, CELL.but(wrap=False))
        fit_row(sheet, row, [d.department, STATUS_JA[d.status]], WIDTHS)
    for status in (Status.MISSING, Status.REJECTED, Status.CONFLICT):
        sheet.conditional(
            first,
            1,
            row,
            1,
            {"type": "cell", "criteria": "==", "value": f'"{STATUS_JA[status]}"'},
            BAD,
        )
    sheet.conditional(
        first,
        1,
        row,
        1,
        {"type": "cell", "criteria": "==", "value": f'"{STATUS_JA[Status.RETURNED]}"'},
        GOOD,
    )
    sheet.conditional(first, 2, row, 2, {"type": "cell", "criteria": ">", "value": 0}, BAD)
    counts = {s: sum(d.status is s for d in report.departments) for s in Status}
    row += 1
    summary = "、".join(f"{STATUS_JA[s]} {n}" for s, n in counts.items())
    if report.unidentified:
        summary += f"、この計画の様式でないファイル {len(report.unidentified)}"
    sheet.write(row, 0, summary, NOTE)
    return row + 1


def _counts(
    sheet: Sheet,
    row: int,
    plan: Plan,
    terms: Terms,
    title: str,
    groups: Iterable[tuple[str, list[ProjectGrade]]],
    everything: list[ProjectGrade],
    numbers: list[str] | None = None,
) -> int:
    """The counts of each group; with ``numbers``, each group's printed number last (the
    chart's labels)."""
    grades = plan.grading.grades
    computed = _computed(plan)
    ng = plan.grading.not_gradable
    heads = [
        "",
        *(f"計算 {g}" for g in computed),
        f"計算 {ng}",
        *(f"{terms.department} {g}" for g in grades),
        f"{terms.department} {SELF_GRADE_MISSING}",
        "不一致",
        *(["番号"] if numbers else []),
    ]
    sheet.write(row, 0, title, SECTION)
    row += 1
    for col, head in enumerate(heads):
        sheet.write(row, col, head, HEAD)
    fit_row(sheet, row, heads, WIDTHS)
    first = row + 1
    for n, (name, listed) in enumerate([*groups, ("合計（再掲は1回）", everything)]):
        row += 1
        counts = [sum(p.grade == g for p in listed) for g in computed]
        counts.append(sum(p.grade is None for p in listed))
        counts += [sum(p.self_grade == g for p in listed) for g in grades]
        counts.append(sum(p.self_grade is None for p in listed))
        counts.append(sum(p.mismatch for p in listed))
        sheet.write(row, 0, name, CELL.but(bold=name.startswith("合計")))
        for col, count in enumerate(counts, start=1):
            sheet.write(row, col, count, WHOLE)
        if numbers:
            sheet.write(row, len(counts) + 1, numbers[n] if n < len(numbers) else None, CENTER)
        fit_row(sheet, row, [name], WIDTHS)
    last_col = len(heads) - 1 - (1 if numbers else 0)
    sheet.conditional(
        first, last_col, row, last_col, {"type": "cell", "criteria": ">", "value": 0}, BAD
    )
    return row + 1


def _section_grades(
    sheet: Sheet, row: int, grades: list[SectionGrade], ng: str, terms: Terms
) -> int:
    """Each evaluated section: its evaluation, what it rests on, and its owner's, with
    the department that entered it and its reasons (over the columns to the right)."""
    sheet.write(row, 0, "体系の評価", SECTION)
    row += 1
    heads = ("体系", "評価の種類", "評価", "根拠", "担当の評価", terms.department, "評価の理由")
    reasons = len(heads) - 1
    for col, head in enumerate(heads):
        sheet.write(row, col, head, HEAD)
    sheet.merge(row, reasons, row, len(WIDTHS) - 1, heads[-1], HEAD)
    fit_row(sheet, row, heads, WIDTHS)
    wide = sum(WIDTHS[reasons:])
    for g in grades:
        row += 1
        indent = "　" * (g.depth - 1)
        name = f"{indent}{g.number} {g.title or ''}".rstrip()
        basis = section_basis(g, terms)
        sheet.write(row, 0, name, CELL)
        sheet.write(row, 1, g.name, CELL)
        sheet.write(row, 2, g.grade or ng, CENTER)
        sheet.write(row, 3, basis, CELL)
        sheet.write(row, 4, g.self_grade, CENTER)
        sheet.write(row, 5, g.owner, CELL)
        sheet.merge(row, reasons, row, len(WIDTHS) - 1, g.explanation, CELL)
        fit_row(
            sheet,
            row,
            [name, g.name, g.grade or ng, basis, None, g.owner, g.explanation],
            [*WIDTHS[:reasons], wide],
        )
    return row + 1


def _legend(sheet: Sheet, row: int, plan: Plan, terms: Terms) -> int:
    from kpibook.forms.report import grade_ranges

    sheet.write(row, 0, "評価の基準", SECTION)
    row += 1
    scheme = plan.grading
    indicators = [i for p in plan.projects for i in p.indicators]
    words = own_words(terms.actual, terms.target)
    for line in [
        *formula_lines(indicators, scheme, words=words),
        terms_note(indicators, scheme, scheme.fallback_to_final, words),
    ]:  # each across the page, wrapped
        sheet.merge(row, 0, row, len(WIDTHS) - 1, line, CELL.but(border=0))
        fit_row(sheet, row, [line], [sum(WIDTHS)])
        row += 1
    for grade, text in grade_ranges(plan.grading.bands):
        sheet.write(row, 0, grade, CENTER)
        sheet.write(row, 1, text, CELL.but(wrap=False))
        row += 1
    sheet.write(row, 0, plan.grading.not_gradable, CENTER)
    sheet.write(
        row,
        1,
        terms.not_gradable,
        CELL.but(wrap=False),
    )
    return row + 1


def _mismatches(sheet: Sheet, row: int, mismatched: list[ProjectGrade], terms: Terms) -> int:
    title = f"計算上の評価と{terms.self_grade}が異なる{terms.project}（{len(mismatched)}件）"
    sheet.write(row, 0, title, SECTION)
    row += 1
    heads = (terms.project, terms.department, "計算", terms.self_grade)
    for col, head in enumerate(heads):
        sheet.write(row, col, head, HEAD)
    fit_row(sheet, row, heads, WIDTHS)
    for g in mismatched:
        row += 1
        sheet.write(row, 0, g.name, CELL)
        sheet.write(row, 1, g.department, CELL)
        fit_row(sheet, row, [g.name, g.department], WIDTHS)
        sheet.write(row, 2, g.grade, CENTER)
        sheet.write(row, 3, g.self_grade, CENTER)
    return row + 1


CHART_MAX_SECTIONS = 40
"""A plan with more sections than this gets no chart: it would not be read."""
CHART_COLOURS = ("#63BE7B", "#FFD966", "#F8696B")
"""Best grade green, the worst red, those between amber; not gradable grey."""
CHART_ROW_POINTS = 15.0


def _computed(plan: Plan) -> list[str]:
    """The grades kpibook can compute: the bands, not the levels only a department
    chooses (着手済), which are counted among the departments' own grades only."""
    return [b.grade for b in plan.grading.bands]


def _chart(
    sheet: Sheet, row: int, plan: Plan, rows: tuple[int, int], title: str, labels: int
) -> int:
    """The computed grades of each group (section, department) counted in ``rows``, as
    stacked bars labelled from column ``labels``, on a page of its own below the tables
    (its rows reserved, so the page breaks know its height); returns the row after it."""
    grades = _computed(plan)
    colours = [
        CHART_COLOURS[0]
        if n == 0
        else CHART_COLOURS[2]
        if n == len(grades) - 1
        else CHART_COLOURS[1]
        for n in range(len(grades))
    ]
    series = [ChartSeries(f"計算 {g}", 1 + n, colours[n]) for n, g in enumerate(grades)]
    series.append(ChartSeries(f"計算 {plan.grading.not_gradable}", 1 + len(grades), "#BFBFBF"))
    sections = rows[1] - rows[0] + 1
    height = 120 + 34 * sections  # pixels: title, axis and legend, then a bar a section
    sheet.bar_chart(row, 0, title, (rows[0], rows[1], labels), series, (900, height))
    end = row + int(height * 0.75 / CHART_ROW_POINTS) + 2
    for r in range(row, end):
        sheet.row_height(r, CHART_ROW_POINTS)
    return end
