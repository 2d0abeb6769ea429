"""報告書: the consolidated report the city prints and publishes, in the plan's layout.

It is laid out with the forms' own sheet code (:class:`FormSheet` in report mode: the
same labels, styles and row fitting, nothing named or unlocked) but on the report's own
grid and paper (``report`` in the template), with what only the report has: the intro and
the grade legend, the index of projects, every department's entries, the achievement
rate and grade computed from the numbers (:mod:`kpibook.grading`, the same figures as
一覧) beside the department's own, the ※ footnotes, and long texts continued on the
following rows instead of cut off.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kpibook.contract.content import FormContent, report_content
from kpibook.entries import Entries, ProjectEntry
from kpibook.fiscal import era_label
from kpibook.forms.sheet import FormSheet
from kpibook.grading import REASONS, IndicatorGrade, ProjectGrade, SectionGrade
from kpibook.grading.rates import formula_lines, own_words, terms_note
from kpibook.grading.sections import section_basis
from kpibook.plan import GradeBand, Plan
from kpibook.template import CardTemplate, FormTemplate, MatrixTemplate, Terms
from kpibook.xlsx_write import Book, Sheet

GAP = 9.0
"""Points of a blank row between paragraphs and between cards."""
RULE_JA = {
    "worst": "指標ごとの評価のうち最も低いもの",
    "best": "指標ごとの評価のうち最も高いもの",
    "first": "最初の指標の評価",
}
"""How a project with several graded indicators gets its grade (the plan's rule)."""


@dataclass(frozen=True)
class ReportData:
    """What the report prints beyond the plan: the entries and the computed grades."""

    content: FormContent
    entries: Entries
    grades: dict[str, ProjectGrade]
    sections: dict[str, SectionGrade]
    """The evaluation of each evaluated section, by id."""

    @property
    def plan(self) -> Plan:
        return self.content.plan

    def entry(self, project: str) -> ProjectEntry | None:
        return self.entries.for_project(project)


def write_report(
    book: Book,
    sheet: Sheet,
    template: FormTemplate,
    plan: Plan,
    entries: Entries,
    grades: list[ProjectGrade],
    sections: list[SectionGrade] | None = None,
) -> None:
    """The whole 報告書 sheet."""
    from kpibook.forms.card_report import write_card_report
    from kpibook.forms.matrix_report import write_matrix_report

    data = ReportData(
        report_content(plan),
        entries,
        {g.project: g for g in grades},
        {g.section: g for g in sections or []},
    )
    if isinstance(template, CardTemplate):
        write_card_report(book, sheet, template, data)
    else:
        assert isinstance(template, MatrixTemplate)
        write_matrix_report(book, sheet, template, data)


def percent(d: Decimal) -> str:
    """A rate bound as printed: 80, 100, 79.5."""
    return format(d.normalize(), "f")


def grade_ranges(bands: list[GradeBand]) -> list[tuple[str, str]]:
    """The legend as the official form prints it: A かなり達成できた(80～100%).

    The best band reads up to 100% (rates above it are the best grade too) unless it
    starts at 100% or more, which reads 「100%以上」; with whole-number bounds a lower
    band ends one below the next (50～79%), otherwise it reads 「50%以上79.5%未満」."""
    whole = all(b.min_rate == b.min_rate.to_integral_value() for b in bands)
    out = []
    for n, band in enumerate(bands):
        low = percent(band.min_rate)
        if n == 0:
            span = f"{low}～100%" if band.min_rate < 100 else f"{low}%以上"
        elif whole:
            span = f"{low}～{percent(bands[n - 1].min_rate - 1)}%"
        else:
            span = f"{low}%以上{percent(bands[n - 1].min_rate)}%未満"
        out.append((band.grade, f"{band.label}({span})"))
    return out


def rate_text(ig: IndicatorGrade) -> str:
    """An indicator's rate as printed: 222.3%, 増加 for a qualitative target, － if none."""
    if ig.rate_shown is not None:
        return f"{ig.rate_shown}%"
    if ig.grade is not None and ig.target is not None:
        return ig.target.display()
    return "－"


def grade_basis(grade: ProjectGrade, plan: Plan, terms: Terms) -> str:
    """Why a project has its computed grade: its rate, the rule over several indicators,
    or why it has none (in the plan's words)."""
    if grade.grade is None:
        reason = grade.not_gradable
        return terms.say(REASONS[reason].ja) if reason is not None else ""
    graded = [ig for ig in grade.indicators if ig.grade is not None]
    if len(graded) == 1:
        return f"{rate_text(graded[0])}"
    return terms.say(RULE_JA[plan.grading.project_rule])


def shows_computed(t: FormTemplate) -> bool:
    return t.report.grades in ("computed", "both")


def shows_self(t: FormTemplate) -> bool:
    return t.report.grades in ("self", "both")


def report_title(plan: Plan, suffix: str) -> str:
    return f"{plan.title}（{era_label(plan.report_year, 'long')}{suffix}）"


def front_matter(
    fs: FormSheet, row: int, data: ReportData, t: FormTemplate, last: int, legend_last: int
) -> int:
    """The plan's intro, then the grade legend: the plan's own sentence about the scale,
    each grade with its meaning and range, and (when computed grades are printed) what
    the not-gradable mark means and how the rate is computed.  Returns the next row."""
    s, labels, plan = fs.styles, t.report.labels, data.plan
    plain = s.text.but(border=0)
    for paragraph in plan.intro:
        first = row
        row = fs.long_text(row, 0, last, paragraph, plain)
        fs.block(first, row - 1)
        fs.heights[row] = GAP
        row += 1
    first = row
    fs.span(row, 0, last, labels.legend_title, plain.but(bold=True))
    row += 1
    if plan.grading.description:
        row = fs.long_text(row, 0, last, plan.grading.description, plain)
    head = s.label.but(align="center")
    fs.write(row, 0, labels.legend_grade, head)
    fs.span(row, 1, legend_last, labels.legend_meaning, head)
    row += 1
    rows = grade_ranges(plan.grading.bands)
    if shows_computed(t):
        rows.append((plan.grading.not_gradable, labels.not_gradable or t.terms.not_gradable))
    for grade, text in rows:
        fs.write(row, 0, grade, s.text_center)
        fs.span(row, 1, legend_last, text, s.text)
        row += 1
    if shows_computed(t):  # the formulas grading computes with, as the 記入要領 has them
        scheme = plan.grading
        indicators = [i for p in plan.projects for i in p.indicators]
        words = own_words(t.terms.actual, t.terms.target)
        formulas = "、".join(formula_lines(indicators, scheme, labels.rate, words))
        terms = terms_note(indicators, scheme, scheme.fallback_to_final, words)
        rule = f"{labels.computed}: {formulas}を上の区分にあてはめたものです。{terms}"
        row = fs.long_text(row, 0, last, rule, plain)
    fs.block(first, row - 1)
    fs.heights[row] = GAP
    return row + 1


OWNER_REASONS = "評価の理由"


def section_evaluation(
    fs: FormSheet, row: int, grade: SectionGrade, label_last: int, last: int, ng: str
) -> int:
    """The evaluation of a section at the head of its section: what it is called, the
    computed evaluation and what it rests on, the owner's evaluation with the department
    that entered it, and the owner's reasons continued over as many rows as they need.
    Returns the next row."""
    s = fs.styles
    label, body = s.label.but(valign="center"), s.text.but(valign="center")
    parts = []
    if grade.rule.value != "owner":
        basis = section_basis(grade, fs.template.terms)
        shown = f"{grade.grade}（{basis}）" if grade.grade else f"{ng}　{basis}"
        parts.append(f"計算上の評価: {shown}")
    if grade.owner is not None or grade.rule.value == "owner":
        own = grade.self_grade or "未記入"
        by = f"（{grade.owner}）" if grade.owner else ""
        parts.append(f"担当の評価{by}: {own}")
    fs.span(row, 0, label_last, grade.name, label)
    fs.span(row, label_last + 1, last, "　".join(parts), body)
    row += 1
    if grade.explanation:
        row = fs.long_text(
            row, label_last + 1, last, grade.explanation, s.text, (OWNER_REASONS, label)
        )
    return row
