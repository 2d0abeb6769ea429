"""Indicators and projects: achievement rates and grades, as pure functions of the plan's
scheme.

Rules (documented in ``docs/grading.md``):

* The target is the report year's target; when it has none and the scheme says so, the
  final target (【最終目標】, or the target of the plan's last year).
* The rate is computed by the indicator's formula (:mod:`kpibook.grading.rates`):
  actual ÷ target (target ÷ actual when lower is better), or progress from the baseline.
  Rates are exact decimals; the plan says how they are printed (half up or truncated)
  and whether the grade follows the exact rate (the default: 79.99% is below 80%) or
  the printed one.
* The grade is the first band (best first) whose ``min_rate`` the rate reaches.
* 増加 / 減少 / 維持 targets compare the actual with the latest earlier numeric actual
  (:meth:`Indicator.latest_actual_before`).
* No usable target, no actual, 集計中 or － means *not gradable*, never the worst grade.
* A project's grade comes from its graded indicators by the scheme's ``project_rule``
  (default: the worst).  The department's own grade is kept beside it, never replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from kpibook.entries import Entries, ProjectEntry
from kpibook.fiscal import FiscalYear, era_label
from kpibook.grading.rates import Term, formula_of, method_of, shown_rate
from kpibook.message import Message
from kpibook.plan import Direction, GradingScheme, Indicator, Plan, Project
from kpibook.scheme import RateMethod
from kpibook.values import EMPTY, ActualStatus, Qualitative, Value, ValueKind

RATE_DISPLAY_PLACES = 1
SELF_GRADE_MISSING = "未記入"


class NotGradable(StrEnum):
    """Why no grade was computed; each has a Japanese and an English explanation."""

    NO_INDICATOR = "no_indicator"
    NO_TARGET = "no_target"
    ZERO_TARGET = "zero_target"
    NEGATIVE = "negative"
    NO_ACTUAL = "no_actual"
    PENDING = "pending"
    NOT_APPLICABLE = "not_applicable"
    NO_PREVIOUS = "no_previous"
    NO_BASELINE = "no_baseline"
    BASELINE_TARGET = "baseline_target"
    MISSING_YEARS = "missing_years"
    NOTHING_GRADED = "nothing_graded"
    NOT_ENTERED = "not_entered"


REASONS: dict[NotGradable, Message] = {
    NotGradable.NO_INDICATOR: Message(ja="評価指標がありません", en="the project has no indicator"),
    NotGradable.NO_TARGET: Message(
        ja="目標値がありません", en="no target for the report year or final"
    ),
    NotGradable.ZERO_TARGET: Message(
        ja="目標値が0のため達成率を計算できません", en="the target is zero"
    ),
    NotGradable.NEGATIVE: Message(
        ja="負の値は評価できません", en="negative values cannot be rated"
    ),
    NotGradable.NO_ACTUAL: Message(ja="実績値がありません", en="no actual for the report year"),
    NotGradable.PENDING: Message(
        ja="実績値が集計中です", en="the actual is still being tallied (集計中)"
    ),
    NotGradable.NOT_APPLICABLE: Message(
        ja="実績値が該当なし（－）です", en="the actual is marked not applicable"
    ),
    NotGradable.NO_PREVIOUS: Message(
        ja="比較する前年度までの実績値がありません",
        en="a 増加/減少/維持 target needs an earlier actual to compare with",
    ),
    NotGradable.NO_BASELINE: Message(
        ja="基準値がないため進捗率を計算できません",
        en="progress from the baseline needs a baseline",
    ),
    NotGradable.BASELINE_TARGET: Message(
        ja="目標値が基準値から改善する向きにないため進捗率を計算できません",
        en="the target is no improvement on the baseline, so progress towards it is undefined",
    ),
    NotGradable.MISSING_YEARS: Message(
        ja="累計に必要な年度の実績値がありません",
        en="a cumulative (累計) total lacks the actual of some year",
    ),
    NotGradable.NOTHING_GRADED: Message(
        ja="評価できる指標・事業がありません",
        en="nothing under the section has a grade to combine",
    ),
    NotGradable.NOT_ENTERED: Message(
        ja="担当の評価が記入されていません", en="its owner has not entered an evaluation"
    ),
}

Rate = Annotated[
    Decimal,
    PlainSerializer(lambda d: float(d), return_type=float, when_used="json"),
]


class Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True, slots=True, kw_only=True)
class IndicatorGrade:
    """How one indicator was graded for the report year.

    A slotted record, not a pydantic model: a national plan grades a hundred thousand
    indicators, and a model each (its ``__dict__`` and the set of the fields it was
    given) was about 3 KiB apiece, a third of a GB.  Pydantic still serialises it, field
    by field in this order, where a :class:`GradeReport` is written as JSON."""

    indicator: Annotated[str, Field(description="Indicator id.")]
    label: Annotated[str, Field(description="Indicator label.")]
    unit: Annotated[str | None, Field(description="Unit of the values.")]
    year: Annotated[
        FiscalYear | None,
        Field(
            description="The fiscal year graded: the report year, or for an indicator whose "
            "statistics lag, the latest year with an actual."
        ),
    ] = None
    actual: Annotated[Value, Field(description="That year's actual.")]
    target: Annotated[Value | None, Field(description="The target graded against, if any.")]
    target_source: Annotated[
        Literal["year", "final"] | None,
        Field(description="'year' for the graded year's target, 'final' for the fallback."),
    ]
    original_target: Annotated[
        Value | None,
        Field(description="当初目標: that target as first set, when it was revised."),
    ] = None
    cumulative_from: Annotated[
        FiscalYear | None,
        Field(description="For 累計: the first year summed (the last is ``year``)."),
    ] = None
    total: Annotated[
        Rate | None,
        Field(description="For 累計: the sum of the actuals compared with the target."),
    ] = None
    missing_years: Annotated[
        list[FiscalYear], Field(description="For 累計: years whose actual the sum lacks.")
    ] = field(default_factory=list)
    previous_year: Annotated[
        FiscalYear | None,
        Field(description="For 増加/減少/維持: the year of the actual compared with."),
    ] = None
    previous: Annotated[Value | None, Field(description="That earlier actual.")] = None
    method: Annotated[
        RateMethod, Field(description="How the rate was computed: ratio or progress.")
    ] = RateMethod.RATIO
    baseline: Annotated[
        Value | None, Field(description="For progress: the baseline measured from.")
    ] = None
    rate: Annotated[
        Rate | None, Field(description="Achievement rate in percent, exact (not rounded).")
    ]
    rate_shown: Annotated[
        Rate | None,
        Field(description="The rate as the plan prints it (rounded or truncated)."),
    ] = None
    grade: Annotated[str | None, Field(description="The computed grade, None when not gradable.")]
    not_gradable: Annotated[NotGradable | None, Field(description="Why there is no grade.")]
    preliminary: Annotated[
        bool,
        Field(
            description="Graded on a 速報値: the graded year's actual (or, for 累計, one "
            "summed) is preliminary."
        ),
    ] = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectGrade:
    """A project's computed grade beside the department's own (a slotted record, as
    :class:`IndicatorGrade`)."""

    project: Annotated[str, Field(description="Project id.")]
    name: Annotated[str, Field(description="Project name.")]
    department: Annotated[str, Field(description="The lead department.")]
    sections: Annotated[
        list[str],
        Field(
            description="Where the project is listed, as printed (1.(1)); more than one is a 再掲."
        ),
    ]
    indicators: Annotated[
        list[IndicatorGrade], Field(description="Per indicator, in printed order.")
    ]
    grade: Annotated[str | None, Field(description="Computed grade by the scheme's project rule.")]
    not_gradable: Annotated[
        NotGradable | None, Field(description="Why there is no computed grade.")
    ]
    self_grade: Annotated[str | None, Field(description="担当課の評価, as the department gave it.")]
    mismatch: Annotated[bool, Field(description="Both grades exist and differ.")]


def band(rate: Decimal, scheme: GradingScheme) -> str:
    """The first (best) band whose minimum the rate reaches."""
    for b in scheme.bands:
        if rate >= b.min_rate:
            return b.grade
    return scheme.bands[-1].grade


def round_rate(rate: Decimal, places: int = RATE_DISPLAY_PLACES) -> Decimal:
    """A rate as shown or written anywhere (terminal, master, open data): rounded half up,
    81.65 → 81.7 (Python's ``round`` would give 81.6).  Grading never uses this."""
    return rate.quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")


def final_target(indicator: Indicator, period_end: FiscalYear) -> Value:
    """【最終目標】 when given, else the target of the plan's last year."""
    if not indicator.final_target.is_empty:
        return indicator.final_target
    return indicator.targets.get(period_end, EMPTY)


def _usable(target: Value) -> bool:
    return target.kind in (ValueKind.NUMBER, ValueKind.QUALITATIVE)


def grade_indicator(
    indicator: Indicator,
    actual: Value,
    scheme: GradingScheme,
    report_year: FiscalYear,
    period_end: FiscalYear,
    *,
    period_start: FiscalYear | None = None,
    status: ActualStatus | None = None,
) -> IndicatorGrade:
    """Grade one indicator: ``actual`` is the report year's, earlier ones are the plan's.

    ``period_start`` is where a cumulative indicator without a baseline year starts
    summing (None: from its earliest actual); ``status`` is the report year's actual's
    (速報値 or not), the earlier ones' are the plan's."""
    year, actual = graded_year(indicator, actual, report_year)
    target, source = _target(indicator, scheme, year, period_end)
    original = _original(indicator, year, source, period_end)
    method = method_of(indicator, scheme)
    progress = method is RateMethod.PROGRESS
    first: FiscalYear | None = None
    total: Decimal | None = None
    missing: list[FiscalYear] = []

    def result(
        *,
        rate: Decimal | None = None,
        grade: str | None = None,
        why: NotGradable | None = None,
        previous: tuple[FiscalYear, Value] | None = None,
    ) -> IndicatorGrade:
        shown = None
        if rate is not None:
            shown = shown_rate(rate, scheme.rounding)
            grade = band(shown if scheme.rounding.grade_on == "shown" else rate, scheme)
        used = [year] if first is None else list(range(first, year + 1))
        preliminary = grade is not None and any(
            (status if y == report_year else indicator.status_of(y)) is ActualStatus.PRELIMINARY
            for y in used
        )
        return IndicatorGrade(
            indicator=indicator.id,
            label=indicator.label,
            unit=indicator.unit,
            year=year,
            actual=actual,
            target=target,
            target_source=source,
            original_target=original,
            cumulative_from=first,
            total=total,
            missing_years=missing,
            previous_year=previous[0] if previous else None,
            previous=previous[1] if previous else None,
            method=method,
            baseline=indicator.baseline if progress and not indicator.baseline.is_empty else None,
            rate=rate,
            rate_shown=shown,
            grade=grade,
            not_gradable=why,
            preliminary=preliminary,
        )

    match actual.kind:
        case ValueKind.PENDING:
            return result(why=NotGradable.PENDING)
        case ValueKind.NOT_APPLICABLE:
            return result(why=NotGradable.NOT_APPLICABLE)
        case ValueKind.NUMBER:
            pass
        case _:
            return result(why=NotGradable.NO_ACTUAL)
    assert actual.number is not None
    if target is None:
        return result(why=NotGradable.NO_TARGET)
    if actual.number < 0 and not progress:
        return result(why=NotGradable.NEGATIVE)

    if target.kind is ValueKind.QUALITATIVE:
        assert target.qualitative is not None
        previous = indicator.latest_actual_before(year)
        if previous is None:
            return result(why=NotGradable.NO_PREVIOUS)
        met = _qualitative_met(
            target.qualitative, actual.number, previous[1].number, indicator.direction
        )
        best, worst = scheme.grades[0], scheme.bands[-1].grade
        grade = (scheme.qualitative_met or best) if met else (scheme.qualitative_unmet or worst)
        return result(grade=grade, previous=previous)

    compared = actual.number
    if indicator.cumulative:
        first = (
            indicator.baseline_year + 1
            if indicator.baseline_year is not None
            else period_start
            if period_start is not None
            else min([*indicator.actuals, year])
        )
        total, missing = cumulative_total(indicator, actual, year, first)
        if missing or total is None:
            return result(why=NotGradable.MISSING_YEARS)
        compared = total
        if compared < 0 and not progress:
            return result(why=NotGradable.NEGATIVE)

    assert target.number is not None
    values = {Term.ACTUAL: compared, Term.TARGET: target.number}
    formula = formula_of(indicator, scheme)
    if progress:
        if indicator.baseline.number is None:
            return result(why=NotGradable.NO_BASELINE)
        values[Term.BASELINE] = indicator.baseline.number
        if formula.denominator.value(values) <= 0:
            return result(why=NotGradable.BASELINE_TARGET)
        return result(rate=formula.rate(values))
    if target.number < 0:
        return result(why=NotGradable.NEGATIVE)
    if formula.denominator.value(values) == 0:
        if indicator.direction is Direction.HIGHER:
            return result(why=NotGradable.ZERO_TARGET)
        return result(grade=scheme.grades[0])  # lower is better and the actual is 0: met
    return result(rate=formula.rate(values))


def graded_year(
    indicator: Indicator, reported: Value, report_year: FiscalYear
) -> tuple[FiscalYear, Value]:
    """The year an indicator is graded on, with its actual: the report year, or for an
    indicator whose statistics lag (``data_lag``), the latest year at most that many
    years earlier with a numeric actual.  With none, the report year (not gradable)."""
    for year in range(report_year, report_year - indicator.data_lag - 1, -1):
        if year == report_year:  # (the caller's year: not a new int per indicator)
            if reported.kind is ValueKind.NUMBER:
                return report_year, reported
        elif (value := indicator.actuals.get(year, EMPTY)).kind is ValueKind.NUMBER:
            return year, value
    return report_year, reported


def cumulative_total(
    indicator: Indicator, actual: Value, year: FiscalYear, first: FiscalYear
) -> tuple[Decimal | None, list[FiscalYear]]:
    """The sum of the actuals from ``first`` to ``year`` (``actual`` is ``year``'s), and
    the years that have none: － counts as nothing done (0); 集計中 or no value is
    missing.  No years at all (``first`` after ``year``) is no total."""
    if first > year:
        return None, []
    total, missing = Decimal(0), []
    for y in range(first, year + 1):
        value = actual if y == year else indicator.actuals.get(y, EMPTY)
        if value.kind is ValueKind.NUMBER:
            assert value.number is not None
            total += value.number
        elif value.kind is not ValueKind.NOT_APPLICABLE:
            missing.append(y)
    return total, missing


def _original(
    indicator: Indicator,
    year: FiscalYear,
    source: Literal["year", "final"] | None,
    period_end: FiscalYear,
) -> Value | None:
    """The target graded against as first set, when it was revised (当初目標)."""
    if source == "year":
        return indicator.original_targets.get(year)
    if source == "final":
        if indicator.final_target.is_empty:  # the final target is the last year's
            return indicator.original_targets.get(period_end)
        if not indicator.original_final_target.is_empty:
            return indicator.original_final_target
    return None


def _target(
    indicator: Indicator, scheme: GradingScheme, year: FiscalYear, period_end: FiscalYear
) -> tuple[Value | None, Literal["year", "final"] | None]:
    """The target ``year`` is graded against, and where it came from."""
    target = indicator.targets.get(year)
    if target is not None and _usable(target):
        return target, "year"
    if scheme.fallback_to_final:
        fallback = final_target(indicator, period_end)
        if _usable(fallback):
            return fallback, "final"
    return None, None


def _qualitative_met(
    target: Qualitative, actual: Decimal, previous: Decimal | None, direction: Direction
) -> bool:
    assert previous is not None
    match target:
        case Qualitative.INCREASE:
            return actual > previous
        case Qualitative.DECREASE:
            return actual < previous
        case Qualitative.MAINTAIN:
            return actual >= previous if direction is Direction.HIGHER else actual <= previous


def grade_project(
    project: Project,
    entry: ProjectEntry | None,
    scheme: GradingScheme,
    report_year: FiscalYear,
    period_end: FiscalYear,
    sections: list[str] | None = None,
    *,
    period_start: FiscalYear | None = None,
) -> ProjectGrade:
    """Grade every indicator of a project and combine them by the scheme's rule.

    ``sections`` are the printed numbers of the project's listings, for the report.
    """
    actuals = entry.actuals if entry else {}
    graded = [
        grade_indicator(
            ind,
            actuals.get(ind.id, EMPTY),
            scheme,
            report_year,
            period_end,
            period_start=period_start,
            status=entry.actual_status.get(ind.id) if entry else None,
        )
        for ind in project.indicators
    ]
    with_grade = [g for g in graded if g.grade is not None]
    grade: str | None = None
    why: NotGradable | None = None
    if not graded:
        why = NotGradable.NO_INDICATOR
    elif not with_grade:
        why = graded[0].not_gradable
    else:
        grades = [g.grade for g in with_grade if g.grade is not None]
        match scheme.project_rule:
            case "worst":
                grade = max(grades, key=scheme.rank)
            case "best":
                grade = min(grades, key=scheme.rank)
            case "first":
                grade = grades[0]
    self_grade = entry.self_grade if entry else None
    return ProjectGrade(
        project=project.id,
        name=project.name,
        department=project.lead_department,
        sections=sections or [],
        indicators=graded,
        grade=grade,
        not_gradable=why,
        self_grade=self_grade,
        mismatch=grade is not None and self_grade is not None and grade != self_grade,
    )


def grade_plan(plan: Plan, entries: Entries | None) -> list[ProjectGrade]:
    """Every project of the plan, in index order, graded with the departments' entries."""
    numbers: dict[str, str] = {}  # each section's printed numbers, one string for all

    def listed(section: str) -> str:
        if section not in numbers:
            numbers[section] = plan.section_path(section).numbers()
        return numbers[section]

    return [
        grade_project(
            project,
            entries.for_project(project.id) if entries else None,
            plan.grading,
            plan.report_year,
            plan.period.end,
            [listed(pl.section) for pl in project.placements],
            period_start=plan.period.start,
        )
        for project in plan.projects
    ]


def graded_against(ig: IndicatorGrade, report_year: FiscalYear) -> str | None:
    """What an indicator was graded against, in words: ``R5: 70.0%``, ``最終目標: 350名``,
    with the year graded when its statistics lag and the sum of a 累計 indicator."""
    if ig.target is None:
        return None
    year = ig.year if ig.year is not None else report_year
    text = f"{'最終目標' if ig.target_source == 'final' else era_label(year)}: "
    text += ig.target.display(ig.unit)
    if ig.original_target is not None:
        text += f"（当初 {ig.original_target.display(ig.unit)}）"
    if year != report_year:
        text += f"（{era_label(year)}の実績で評価）"
    if ig.total is not None and ig.cumulative_from is not None:
        span = f"{era_label(ig.cumulative_from)}～{era_label(year)}"
        text += f"（累計 {span}: {Value.of(ig.total).display(ig.unit)}）"
    return text
