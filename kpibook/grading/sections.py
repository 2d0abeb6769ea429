"""Sections: the evaluation of a 施策 or 基本目標 from what is listed under it.

A plan evaluates the sections at a depth of its tree by a rule (``grading.evaluations``,
:class:`~kpibook.scheme.SectionEvaluation`): the worst or best grade under it, the average
of their scores, the share at or above a grade, or its owner's own evaluation.  Deeper
levels are evaluated first, so a 基本目標 can combine its 施策' evaluations.  The owner's
evaluation, when entered, is kept beside a computed one, never instead of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING

from pydantic import Field

from kpibook.entries import Entries, SectionEntry
from kpibook.grading.indicators import NotGradable, ProjectGrade, Rate, Result
from kpibook.grading.rates import shown_rate
from kpibook.plan import Plan, SectionPath
from kpibook.scheme import (
    EVALUATED_NAMES,
    EVALUATION_RULE_NAMES,
    EvaluationBand,
    EvaluationRule,
    SectionEvaluation,
)

if TYPE_CHECKING:
    from kpibook.template import Terms


class SectionGrade(Result):
    """A section's evaluation beside its owner's."""

    section: str = Field(description="Section id.")
    number: str = Field(description="Its numbers from the top, as printed: 基本目標1(2).")
    title: str | None = Field(description="Its heading.")
    depth: int = Field(description="1 for the top level of the tree.")
    name: str = Field(description="What the evaluation is called, e.g. 施策の評価.")
    rule: EvaluationRule = Field(description="How it was evaluated.")
    of: str = Field(description="What it was computed from: indicators, projects, sections.")
    at_least: str | None = Field(description="For share: the grade counted (it and better).")
    scale: list[str] = Field(description="Its grades, best first.")
    counted: int = Field(description="How many grades under it were combined.")
    measure: Rate | None = Field(
        description="For average: the mean score; for share: the percentage; exact."
    )
    measure_shown: Rate | None = Field(description="That measure as the plan prints rates.")
    grade: str | None = Field(description="The evaluation; the owner's for the rule 'owner'.")
    not_gradable: NotGradable | None = Field(description="Why there is none.")
    self_grade: str | None = Field(description="The owner's evaluation, when entered.")
    explanation: str | None = Field(
        default=None, description="The owner's reasons (評価の理由), when entered."
    )
    owner: str | None = Field(
        default=None, description="The department that enters the evaluation, if any."
    )
    mismatch: bool = Field(description="A computed evaluation and the owner's differ.")


def evaluation_name(plan: Plan, evaluation: SectionEvaluation) -> str:
    """``施策の評価``: the evaluation's own name, or its level's."""
    if evaluation.name is not None:
        return evaluation.name
    levels = plan.section_levels
    level = levels[evaluation.depth - 1] if evaluation.depth <= len(levels) else None
    return f"{level}の評価" if level else f"第{evaluation.depth}階層の評価"


def grade_sections(
    plan: Plan, projects: list[ProjectGrade], entries: Entries | None
) -> list[SectionGrade]:
    """Every evaluated section, in printed order."""
    scheme = plan.grading
    if not scheme.evaluations:
        return []
    under = _projects_under(plan, projects)
    owners = {e.section: e for e in entries.sections} if entries else {}
    paths = [p for p in plan.iter_sections() if scheme.evaluation_at(len(p.nodes)) is not None]
    done: dict[str, SectionGrade] = {}
    for path in sorted(paths, key=lambda p: -len(p.nodes)):  # deepest first
        evaluation = scheme.evaluation_at(len(path.nodes))
        assert evaluation is not None
        grades = _inputs(evaluation, path, under.get(path.section.id, []), done)
        done[path.section.id] = _evaluate(
            plan, evaluation, path, grades, owners.get(path.section.id)
        )
    return [done[p.section.id] for p in paths]


def _projects_under(plan: Plan, projects: list[ProjectGrade]) -> dict[str, list[ProjectGrade]]:
    """The projects listed in each section or below it, each once, in the plan's order."""
    by_id = {g.project: g for g in projects}
    under: dict[str, dict[str, ProjectGrade]] = {}
    for project in plan.projects:
        for placement in project.placements:
            for node in plan.section_path(placement.section).nodes:
                under.setdefault(node.id, {})[project.id] = by_id[project.id]
    return {sid: list(grades.values()) for sid, grades in under.items()}


def _inputs(
    evaluation: SectionEvaluation,
    path: SectionPath,
    projects: list[ProjectGrade],
    done: dict[str, SectionGrade],
) -> list[str]:
    """The grades the evaluation combines (those that have one)."""
    found: Iterable[str | None]
    match evaluation.of:
        case "indicators":
            found = (i.grade for p in projects for i in p.indicators)
        case "projects":
            found = (p.grade for p in projects)
        case _:
            found = (done[c.id].grade for c in path.section.children if c.id in done)
    return [g for g in found if g is not None]


def _evaluate(
    plan: Plan,
    evaluation: SectionEvaluation,
    path: SectionPath,
    grades: list[str],
    entry: SectionEntry | None,
) -> SectionGrade:
    scheme = plan.grading
    inputs = scheme.input_scale(evaluation)
    measure: Decimal | None = None
    grade: str | None = None
    counted = len(grades)
    own = entry.grade if entry else None
    match evaluation.rule:
        case EvaluationRule.WORST if grades:
            grade = max(grades, key=inputs.rank)
        case EvaluationRule.BEST if grades:
            grade = min(grades, key=inputs.rank)
        case EvaluationRule.AVERAGE:
            scores = [s for s in (inputs.scores[g] for g in grades) if s is not None]
            counted = len(scores)
            if scores:
                measure = _exact(lambda: sum(scores, Decimal(0)) / len(scores))
        case EvaluationRule.SHARE if grades:
            assert evaluation.at_least is not None
            limit = inputs.rank(evaluation.at_least)
            reached = sum(inputs.rank(g) <= limit for g in grades)
            measure = _exact(lambda: Decimal(reached) / len(grades) * 100)
        case EvaluationRule.OWNER:
            grade = own
    shown = None if measure is None else shown_rate(measure, scheme.rounding)
    if measure is not None:
        assert shown is not None
        grade = _band(shown if scheme.rounding.grade_on == "shown" else measure, evaluation.bands)
    why = None
    if grade is None:
        owned = evaluation.rule is EvaluationRule.OWNER
        why = NotGradable.NOT_ENTERED if owned else NotGradable.NOTHING_GRADED
    computed = evaluation.rule is not EvaluationRule.OWNER
    return SectionGrade(
        section=path.section.id,
        number=path.numbers(),
        title=path.section.title,
        depth=len(path.nodes),
        name=evaluation_name(plan, evaluation),
        rule=evaluation.rule,
        of=evaluation.of,
        at_least=evaluation.at_least,
        scale=list(scheme.scale_at(evaluation.depth).grades),
        counted=counted,
        measure=measure,
        measure_shown=shown,
        grade=grade,
        not_gradable=why,
        self_grade=own,
        explanation=entry.explanation if entry else None,
        owner=plan.section_owner(path),
        mismatch=computed and grade is not None and own is not None and grade != own,
    )


def _band(value: Decimal, bands: list[EvaluationBand]) -> str:
    """The first (best) band whose threshold the value reaches; below all, the last."""
    return next((b.grade for b in bands if value >= b.threshold), bands[-1].grade)


def _exact(compute: Callable[[], Decimal]) -> Decimal:
    """``compute()`` with 28 significant digits, as rates are."""
    with localcontext() as ctx:
        ctx.prec = 28
        return compute()


def section_basis(grade: SectionGrade, terms: Terms | None = None) -> str:
    """What a section's evaluation rests on, in words (the plan's ``terms`` for 指標 and
    事業): ``指標5件の平均点 3.0``, ``指標3件のうちA以上 33.3%``,
    ``下位の体系2件の最も低い評価``, ``担当の評価``."""
    if grade.rule is EvaluationRule.OWNER:
        return EVALUATION_RULE_NAMES[grade.rule.value]
    named = EVALUATED_NAMES[grade.of]
    if terms is not None:
        named = {"indicators": terms.indicator, "projects": terms.project}.get(grade.of, named)
    what = f"{named}{grade.counted}件"
    if grade.measure_shown is None:
        if grade.rule is EvaluationRule.AVERAGE or not grade.counted:
            return f"{what}（評価できるものがありません）"
        return f"{what}の{EVALUATION_RULE_NAMES[grade.rule.value]}"
    if grade.rule is EvaluationRule.AVERAGE:
        return f"{what}の平均点 {grade.measure_shown}"
    return f"{what}のうち{grade.at_least}以上 {grade.measure_shown}%"
