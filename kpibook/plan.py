"""The plan: what the coordinator owns and every later step trusts.

A plan holds its sections (基本方針 → 施策 → ..., any depth), projects (具体的事業 /
事業) placed in one or more sections (再掲), their indicators with targets and past
actuals, the departments, and the grading scheme.  Returns from departments can never
change any of it.

Every model rejects unknown keys, and :class:`Plan` checks the references between its
parts (departments, sections, ids) when it is built, so a plan that exists is consistent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)

from kpibook.errors import MessageValueError
from kpibook.fields import FieldSpec, FieldValues
from kpibook.fiscal import FiscalYear
from kpibook.message import Message
from kpibook.model import EXCEL_CELL_MAX as EXCEL_CELL_MAX
from kpibook.model import FY as FY
from kpibook.model import Id as Id
from kpibook.model import Label as Label
from kpibook.model import Model as Model
from kpibook.model import Text as Text
from kpibook.model import no_items, no_keys
from kpibook.scheme import (
    EvaluationRule,
    Mark,
    OwnerLevel,
    RateMethod,
    RateRounding,
    Scale,
    SectionEvaluation,
    check_bands,
    check_unique,
)
from kpibook.series import NO_YEARS, YearValues, year_keyed
from kpibook.values import EMPTY, ActualStatus, Value, ValueKind, with_status

FILE_NAME_FORBIDDEN = frozenset('\\/:*?"<>|[]')
"""Characters that break a Windows file name or an Excel sheet name."""


class Layout(StrEnum):
    """Which official layout the plan's forms and report follow."""

    CARD = "card"
    """One bordered card per project (seed 000, 生涯学習推進計画)."""
    MATRIX = "matrix"
    """One row per indicator in a table per section (seed 003, 地域健康福祉計画)."""


EntryText = Literal[
    "activity_report", "issues", "future_plan", "grade_explanation", "comment", "improvement"
]
"""The texts a department writes about a project (fields of its entry)."""
LAYOUT_TEXTS: dict[Layout, tuple[EntryText, ...]] = {
    Layout.CARD: ("activity_report", "issues", "future_plan", "grade_explanation"),
    Layout.MATRIX: ("comment", "improvement"),
}
"""The texts each layout's forms ask for."""


class Direction(StrEnum):
    HIGHER = "higher"
    """More is better (participants, sites)."""
    LOWER = "lower"
    """Less is better (waiting children, accidents); the achievement rate is inverted."""


class Department(Model):
    """A responsible department (担当課 / 担当部局)."""

    name: Label = Field(description="The department's name as printed, e.g. 生涯学習課.")
    contact: str | None = Field(
        default=None, max_length=255, description="Who to ask (extension, e-mail); optional."
    )

    @field_validator("name")
    @classmethod
    def _file_safe(cls, v: str) -> str:
        bad = " ".join(sorted(set(v) & FILE_NAME_FORBIDDEN))
        if bad:
            raise MessageValueError(
                Message(
                    ja=f"担当課名に使えない文字（{bad}）があります（ファイル名やシート名になるため）",
                    en=f"department names may not contain {bad} (they name files and sheets)",
                )
            )
        if len(v) > 31:
            raise MessageValueError(
                Message(
                    ja="担当課名は31文字までです（Excel のシート名になるため）",
                    en="department names are at most 31 characters (Excel sheet names)",
                )
            )
        return v


class Section(Model):
    """A node of the plan's tree: 基本方針 / 柱, 施策, ①, ... to any depth."""

    id: Id = Field(description="Stable id, unique in the plan, e.g. '1-2'.")
    number: Label = Field(description="The number as printed: '1.', '(1)', '①', '柱2', 'ア'.")
    title: Label | None = Field(default=None, description="The heading text, if printed.")
    action_goal: Text | None = Field(default=None, description="《行動目標》 paragraph.")
    outcome_goal: Text | None = Field(default=None, description="《成果目標》 paragraph.")
    children: list[Section] = Field(default_factory=list, description="Sub-sections in order.")
    owner: Label | None = Field(
        default=None,
        description="The department that enters this section's evaluation (its lead "
        "department), where the plan evaluates its depth; overrides the evaluation's owner.",
    )


class Placement(Model):
    """Where a project is listed.  A project listed more than once is a 再掲."""

    section: Id = Field(description="The id of the section the project is listed under.")
    number: Label | None = Field(
        default=None, description="The item number printed at this listing, e.g. 'ア'."
    )
    content: Text | None = Field(
        default=None,
        description="事業の概要/内容 as printed at this listing, when it differs from the "
        "project's own (seed 003 words some re-listings differently).",
    )
    order: int | None = Field(
        default=None,
        ge=1,
        description="Printed position of this listing in the plan's index (seed 000 numbers "
        "its 22 listings 1-22). Within a section, listings with a position come first, in "
        "that order; the others follow in the order of the plan's projects.",
    )


class Footnote(Model):
    """A ※ definition printed after a card."""

    term: Label = Field(description="The term after ※.")
    text: Text = Field(description="Its definition.")


def _only_preliminary(v: dict[int, ActualStatus]) -> dict[int, ActualStatus]:
    """Only what is not the default is kept: a 確定値 is what an actual is anyway."""
    return {y: s for y, s in v.items() if s is ActualStatus.PRELIMINARY}


Statuses = Annotated[
    dict[FiscalYear, ActualStatus], BeforeValidator(year_keyed), AfterValidator(_only_preliminary)
]


class Indicator(Model):
    """One measured quantity of a project (評価指標 / the (参加人数) label of a card)."""

    id: Id = Field(description="Stable id, unique in the plan.")
    label: Label = Field(description="The indicator as printed, e.g. 参加人数.")
    unit: Label | None = Field(
        default=None, description="Unit of every value (人, 件, か所, %); never in the cells."
    )
    direction: Direction = Field(default=Direction.HIGHER, description="Which way is better.")
    decimals: int | None = Field(
        default=None,
        ge=0,
        le=6,
        description="Decimal places printed (1 shows 92.0%); None prints numbers as entered.",
    )
    targets: YearValues = Field(
        default=NO_YEARS, description="目標値 by fiscal year (keys: 2019 or R1)."
    )
    final_target: Value = Field(
        default=EMPTY, description="【最終目標】, the end-of-plan target of card plans."
    )
    actuals: YearValues = Field(
        default=NO_YEARS,
        description="Actuals (実績値) of the years before the report year; the report "
        "year's actual comes from the department's return.",
    )
    note: Text | None = Field(default=None, description="A remark about the whole series.")
    baseline: Value = Field(
        default=EMPTY,
        description="基準値 / 策定時 / 現状値: the value the plan started from (a number). "
        "The progress method measures from it.",
    )
    baseline_year: FY | None = Field(
        default=None, description="The fiscal year of the baseline (keys: 2019 or R1)."
    )
    rate_method: RateMethod | None = Field(
        default=None,
        description="How this indicator's rate is computed, when not as the plan's "
        "grading.rate_method says: 'ratio' or 'progress'.",
    )
    cumulative: bool = Field(
        default=False,
        description="累計: targets are running totals and each year's actual is that year's "
        "own figure; the actual graded is the sum of the actuals from the year after the "
        "baseline year (or the plan's first year) to the year graded.",
    )
    data_lag: int = Field(
        default=0,
        ge=0,
        le=10,
        description="Years its statistics may lag: graded on the latest year, at most this "
        "many before the report year, that has a numeric actual (0: the report year only).",
    )
    original_targets: YearValues = Field(
        default=NO_YEARS,
        description="当初目標: the targets as first set, for years whose target was revised "
        "(the revised one is in targets and is graded against).",
    )
    original_final_target: Value = Field(
        default=EMPTY, description="The final target as first set, when it was revised."
    )
    fields: FieldValues = Field(
        default_factory=no_keys,
        description="Values of the plan's coordinator fields of indicators, by key "
        "(出典, 算出方法 ...).",
    )
    actual_status: Statuses = Field(
        default_factory=no_keys,
        description="速報値 / 確定値 of past actuals by fiscal year (keys: 2017 or H29), e.g. "
        "{2017: preliminary}; an actual not listed is final (the default is not kept).",
    )
    preliminary_allowed: bool = Field(
        default=False,
        description="The department may report the report year's actual as 速報値 (a "
        "statistic published later): its form offers 速報値 beside the actual.",
    )

    def status_of(self, year: FiscalYear) -> ActualStatus | None:
        """The status of a past actual: preliminary when the plan says so."""
        return self.actual_status.get(year)

    @field_validator("baseline")
    @classmethod
    def _baseline_is_a_number(cls, v: Value) -> Value:
        if v.kind not in (ValueKind.NUMBER, ValueKind.EMPTY):
            raise MessageValueError(
                Message(
                    ja="基準値は数値で書いてください（注記を付けることはできます）",
                    en="the baseline is a number (with a note if need be)",
                )
            )
        return v

    def latest_actual_before(self, year: FiscalYear) -> tuple[FiscalYear, Value] | None:
        """The actual of the latest year before ``year`` that has a number, with its year.

        Only numbers count: an earlier year reported as 集計中 or － is passed over for the
        one before it.  A 増加/減少/維持 target is graded against this actual, and the
        jump check compares a new actual with it."""
        earlier = [
            (y, v) for y, v in self.actuals.items() if y < year and v.kind is ValueKind.NUMBER
        ]
        return max(earlier, key=lambda yv: yv[0]) if earlier else None


class Project(Model):
    """A project (具体的事業 / 事業): filled in once, listed wherever its placements say."""

    id: Id = Field(description="Stable id, unique in the plan.")
    name: Label = Field(description="事業名 as printed.")
    lead_department: Label = Field(
        description="The department that fills the project in (the blue 青色セル when shared)."
    )
    other_departments: list[Label] = Field(
        default_factory=no_items,
        description="Departments that share the project but do not write it.",
    )
    overview: Text | None = Field(default=None, description="事業の概要 / 内容.")
    annual_plan: Text | None = Field(default=None, description="年度計画.")
    placements: list[Placement] = Field(
        min_length=1, description="Where the project is listed; more than one is a 再掲."
    )
    indicators: list[Indicator] = Field(default_factory=no_items, description="In printed order.")
    footnotes: list[Footnote] = Field(
        default_factory=no_items, description="※ notes after the card."
    )
    other_listings: list[Label] = Field(
        default_factory=no_items,
        description="Numbers of listings in parts of the plan this file does not hold "
        "(e.g. 柱1(1)②ア), printed after 【再掲】.",
    )
    fields: FieldValues = Field(
        default_factory=no_keys,
        description="Values of the plan's coordinator fields of projects, by key.",
    )

    @property
    def departments(self) -> list[str]:
        return [self.lead_department, *self.other_departments]


Percent = Annotated[Decimal, Field(ge=0, le=10_000)]


class GradeBand(Model):
    """One grade of the scale: reached when the achievement rate is at least ``min_rate``."""

    grade: Mark = Field(description="The mark: A, B, C or ○, △, ×, or 概ね達成.")
    min_rate: Percent = Field(description="Lowest achievement rate in percent (80 means 80%).")
    label: Label = Field(description="Its meaning as printed, e.g. かなり達成できた.")
    description: Text | None = Field(default=None, description="A longer explanation.")
    score: Decimal | None = Field(
        default=None,
        description="Points when a section averages its grades (default: 1 for the lowest "
        "band, counting up: A/B/C are 3/2/1).",
    )


class GradingScheme(Model):
    """How achievement is graded.  Belongs to the plan, not to the code."""

    bands: list[GradeBand] = Field(
        min_length=2,
        max_length=8,
        description="Best first; rates strictly decreasing; the last starts at 0.",
    )
    fallback_to_final: bool = Field(
        default=True,
        description="Grade against the final target when the report year has no target.",
    )
    qualitative_met: Label | None = Field(
        default=None, description="Grade when a 増加/減少/維持 target is met (default: best)."
    )
    qualitative_unmet: Label | None = Field(
        default=None, description="Grade when it is not met (default: worst)."
    )
    not_gradable: Label = Field(
        default="評価不能", description="Printed where no grade can be computed."
    )
    description: Text | None = Field(
        default=None,
        description="Printed above the grade legend of the report, e.g. "
        "各具体的事業の評価につきましては、3段階で示しています。",
    )
    project_rule: Literal["worst", "best", "first"] = Field(
        default="worst",
        description="How a project with several graded indicators gets one grade.",
    )
    rate_method: RateMethod = Field(
        default=RateMethod.RATIO,
        description="How rates are computed: 'ratio' (実績値 ÷ 目標値) or 'progress' from "
        "the baseline ((実績値 − 基準値) ÷ (目標値 − 基準値)); an indicator may say otherwise.",
    )
    rounding: RateRounding = Field(
        default_factory=RateRounding,
        description="How rates are printed (half up or truncated, to how many places) and "
        "whether grades follow the printed rate.",
    )
    owner_levels: list[OwnerLevel] = Field(
        default_factory=list,
        max_length=4,
        description="Levels only a department chooses as its own grade (着手済, 未着手), "
        "after the bands; never computed.",
    )
    evaluations: list[SectionEvaluation] = Field(
        default_factory=list,
        description="Evaluations of sections, one per depth of the tree (施策, 基本目標).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        check_bands([b.min_rate for b in self.bands], "min_rate")
        check_unique(self.grades)
        grades = self.grades
        for name in ("qualitative_met", "qualitative_unmet"):
            g = getattr(self, name)
            if g is not None and g not in grades:
                raise ValueError(f"{name} {g!r} is not one of the grades {grades}")
        return self

    @property
    def grades(self) -> list[str]:
        """Every grade, best first: the bands, then the levels only an owner chooses."""
        return list(self.scale.grades)

    def rank(self, grade: str) -> int:
        """0 for the best grade; larger is worse."""
        return self.scale.rank(grade)

    @cached_property
    def scale(self) -> Scale:
        """The indicators' and projects' scale, with each grade's score."""
        return Scale.of([(b.grade, b.score) for b in self.bands], self.owner_levels)

    def evaluation_at(self, depth: int) -> SectionEvaluation | None:
        return next((e for e in self.evaluations if e.depth == depth), None)

    def input_scale(self, evaluation: SectionEvaluation) -> Scale:
        """The scale of what ``evaluation`` is computed from."""
        if evaluation.of == "sections":
            below = self.evaluation_at(evaluation.depth + 1)
            assert below is not None, "the plan checks that the level below is evaluated"
            return self.scale_at(below.depth)
        return self.scale

    def scale_at(self, depth: int) -> Scale:
        """The scale of the evaluation at ``depth``: its own, or for 'worst' and 'best'
        the scale of what it picks from."""
        evaluation = self.evaluation_at(depth)
        assert evaluation is not None
        if evaluation.rule in (EvaluationRule.WORST, EvaluationRule.BEST):
            return self.input_scale(evaluation)
        return Scale.of([(b.grade, b.score) for b in evaluation.bands], evaluation.owner_levels)


class CheckSettings(Model):
    """Rules ``kpibook check`` applies to returns, beyond what the form validates."""

    allow_pending: bool = Field(
        default=True, description="Whether a department may report an actual as 集計中."
    )
    jump_factor: Annotated[Decimal, Field(gt=1, le=1000)] | None = Field(
        default=Decimal(2),
        description="Warn when an actual is more than this many times the previous year's, "
        "or less than its 1/factor (2: more than double or less than half). None: never.",
    )
    required_when: dict[EntryText, list[Mark]] = Field(
        default_factory=dict,
        description="Texts required when the department's own grade is one of the grades "
        "listed, e.g. {improvement: [C, D]}; an empty list: never. A text not listed follows "
        "its template (評価の説明 and 改善策 below the top grade).",
    )


class PlanPeriod(Model):
    start: FY = Field(description="First fiscal year of the plan.")
    end: FY = Field(description="Last fiscal year; its target is the final target.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("the plan period ends before it starts")
        return self


@dataclass(frozen=True)
class SectionPath:
    """A section with its ancestors, root first."""

    nodes: tuple[Section, ...]

    @property
    def section(self) -> Section:
        return self.nodes[-1]

    def numbers(self) -> str:
        """``1.(2)`` style: the printed numbers joined."""
        return "".join(n.number for n in self.nodes)


_INDEXES = (
    "_section_paths",
    "_projects_by_id",
    "_positions_by_department",
    "_department_set",
    "_owned_sections",
    "actual_years",
    "target_years",
    "has_baselines",
    "revised_target_years",
    "field_keys_used",
)
"""The indexes :meth:`Plan.build_indexes` builds before the plan goes to the workers."""
_WIDEST = "widest_values"
_CARRIED = "kpibook_carried"
"""The key under which a pickled plan carries its cached properties (:meth:`Plan.__getstate__`)."""


class Plan(Model):
    """A plan and everything the coordinator prefills into the forms."""

    id: Id = Field(description="Stable id used in file names and form stamps.")
    title: Label = Field(description="Title as printed, e.g. 第3次柏市生涯学習推進計画.")
    issuer: Label = Field(description="The city or office issuing the plan, e.g. 柏市.")
    period: PlanPeriod = Field(description="The fiscal years the plan runs.")
    report_year: FY = Field(description="The fiscal year being reported (令和元年度 → 2019).")
    layout: Layout = Field(description="'card' (seed 000) or 'matrix' (seed 003).")
    template: Label | None = Field(
        default=None,
        description="The form template (.yaml) the plan's forms are made, checked and merged "
        "with: a path relative to the plan file (kpibook keeps it pointing at the same file "
        "when the plan is saved elsewhere). None: the built-in template of the layout. "
        "``--template`` overrides it for one run.",
    )
    midterm_year: FY | None = Field(
        default=None, description="中間年: its target column is labelled (中間年)."
    )
    section_levels: list[Label] = Field(
        default_factory=list, description="Names of the tree's levels, e.g. [基本方針, 施策]."
    )
    intro: list[Text] = Field(default_factory=list, description="Paragraphs printed first.")
    grading: GradingScheme = Field(description="The grade scale and its rules.")
    checks: CheckSettings = Field(
        default_factory=CheckSettings, description="Rules for checking the returns."
    )
    departments: list[Department] = Field(min_length=1, description="Who fills the forms.")
    deadline: dt.date | None = Field(default=None, description="提出期限 printed on the forms.")
    sections: list[Section] = Field(min_length=1, description="The top level of the tree.")
    projects: list[Project] = Field(min_length=1, description="In the order of the index.")
    fields: list[FieldSpec] = Field(
        default_factory=list,
        description="Extra fields of every project or indicator (出典, 全国順位, 改善策 ...), "
        "after the template's; one with a template field's key replaces it.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        from kpibook.plan_integrity import integrity_problems

        problems = list(integrity_problems(self))
        if problems:
            raise PlanIntegrityError(problems)
        return self

    # -- navigation ---------------------------------------------------------------------

    def iter_sections(self) -> Iterator[SectionPath]:
        """Every section, depth first in printed order, with its ancestors."""

        def walk(nodes: list[Section], above: tuple[Section, ...]) -> Iterator[SectionPath]:
            for node in nodes:
                path = (*above, node)
                yield SectionPath(path)
                yield from walk(node.children, path)

        return walk(self.sections, ())

    def section_path(self, section_id: str) -> SectionPath:
        return self._section_paths[section_id]

    # Indexes, built once per plan on first use: a national plan has tens of thousands
    # of projects, and every department's form and every 一覧 row looks things up.

    def __getstate__(self) -> dict[Any, Any]:
        """The plan pickled (for a spawned worker) with its indexes and widest values, if
        already worked out: pydantic leaves cached properties out, and each worker would
        build them again on its first file (0.3 s a worker at national scale for the
        indexes, about a second for the widest values).  Derived from the plan's own
        fields, they are exactly what the worker would build."""
        state: dict[Any, Any] = super().__getstate__()
        built = {k: self.__dict__[k] for k in (*_INDEXES, _WIDEST) if k in self.__dict__}
        if built:
            state = {**state, _CARRIED: built}
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        carried = state.get(_CARRIED, {})
        super().__setstate__({k: v for k, v in state.items() if k != _CARRIED})
        self.__dict__.update(carried)

    @cached_property
    def _section_paths(self) -> dict[str, SectionPath]:
        paths: dict[str, SectionPath] = {}
        for path in self.iter_sections():
            paths.setdefault(path.section.id, path)  # the first, as a search would find
        return paths

    @cached_property
    def _projects_by_id(self) -> dict[str, Project]:
        return {p.id: p for p in self.projects}

    @cached_property
    def _positions_by_department(self) -> dict[str, list[int]]:
        by_dept: dict[str, list[int]] = {}
        for n, p in enumerate(self.projects):
            for d in dict.fromkeys(p.departments):
                by_dept.setdefault(d, []).append(n)
        return by_dept

    @cached_property
    def _department_set(self) -> frozenset[str]:
        return frozenset(d.name for d in self.departments)

    @cached_property
    def actual_years(self) -> tuple[FiscalYear, ...]:
        """The years before the report year that some indicator has an actual for."""
        years = {y for p in self.projects for i in p.indicators for y in i.actuals}
        return tuple(sorted(y for y in years if y < self.report_year))

    @cached_property
    def target_years(self) -> tuple[FiscalYear, ...]:
        """The years that some indicator has a target for."""
        return tuple(sorted({y for p in self.projects for i in p.indicators for y in i.targets}))

    @cached_property
    def has_baselines(self) -> bool:
        """Whether some indicator has a 基準値 (forms of version 3 then print its column)."""
        return any(not i.baseline.is_empty for p in self.projects for i in p.indicators)

    @cached_property
    def revised_target_years(self) -> tuple[FiscalYear, ...]:
        """The years some indicator's target was revised in (a 当初目標 column each)."""
        return tuple(
            sorted({y for p in self.projects for i in p.indicators for y in i.original_targets})
        )

    @cached_property
    def widest_values(self) -> dict[tuple[str, FiscalYear | None], tuple[str, str]]:
        """The widest target or actual as printed, with its unit and without, by
        ``("target" | "actual", year)``, ``("final", None)`` and over all ``("any",
        None)``: what forms and reports size their value columns by (a number in a cell
        does not wrap)."""
        from kpibook.textfit import em_width

        best: dict[tuple[str, FiscalYear | None], tuple[str, float, str, float]] = {}
        none = ("", 0.0, "", 0.0)

        unit_widths: dict[str | None, float] = {}

        def consider(
            key: tuple[str, FiscalYear | None],
            value: Value,
            ind: Indicator,
            status: ActualStatus | None = None,
        ) -> None:
            digits = value.display(None, ind.decimals)  # a number's digits: the costly part
            if value.kind is ValueKind.NUMBER and ind.unit:  # its unit follows the digits
                extra = unit_widths.get(ind.unit)
                if extra is None:
                    extra = unit_widths[ind.unit] = em_width(ind.unit)
                shown, extra_w = digits + ind.unit, extra
            else:
                shown, extra_w = digits, 0.0
            bare = with_status(digits, status)
            bare_w = em_width(bare)
            unit, unit_w = with_status(shown, status), bare_w + extra_w
            for k in (key, ("any", None)):
                held = best.get(k, none)
                if unit_w > held[1] or bare_w > held[3]:
                    best[k] = (
                        *((unit, unit_w) if unit_w > held[1] else held[:2]),
                        *((bare, bare_w) if bare_w > held[3] else held[2:]),
                    )

        for project in self.projects:
            for ind in project.indicators:
                for year, value in ind.targets.items():
                    consider(("target", year), value, ind)
                for year, value in ind.actuals.items():
                    consider(("actual", year), value, ind, ind.status_of(year))
                consider(("final", None), ind.final_target, ind)
        return {k: (v[0], v[2]) for k, v in best.items()}

    def project(self, project_id: str) -> Project:
        return self._projects_by_id[project_id]

    def section_owner(self, path: SectionPath) -> str | None:
        """The department that enters the section's evaluation: the section's own owner,
        else its evaluation's; None where its depth is not evaluated or has no owner."""
        evaluation = self.grading.evaluation_at(len(path.nodes))
        if evaluation is None:
            return None
        return path.section.owner or evaluation.owner

    def owned_sections(self, department: str) -> list[SectionPath]:
        """The sections whose evaluation ``department`` enters, in printed order."""
        return self._owned_sections.get(department, [])

    @cached_property
    def _owned_sections(self) -> dict[str, list[SectionPath]]:
        owned: dict[str, list[SectionPath]] = {}
        for path in self.iter_sections():
            owner = self.section_owner(path)
            if owner is not None:
                owned.setdefault(owner, []).append(path)
        return owned

    def projects_of(self, department: str) -> list[tuple[int, Project]]:
        """The projects ``department`` leads or shares, with their positions in the plan."""
        return [(n, self.projects[n]) for n in self._positions_by_department.get(department, [])]

    def department_names(self) -> list[str]:
        return [d.name for d in self.departments]

    def build_indexes(self) -> None:
        """Build every index now, before the plan is shared with worker processes:
        forked, they share the indexes instead of each building its own on its first
        file; spawned, they receive them with the plan."""
        for name in _INDEXES:  # each is built on its first use
            getattr(self, name)

    def has_department(self, name: str) -> bool:
        return name in self._department_set

    @cached_property
    def fields_with_template(self) -> dict[str, list[FieldSpec]]:
        """The fields of this plan with a template's, once checked, by the template's
        fields (see :func:`kpibook.fields.plan_fields`); derived, like every index."""
        return {}

    @cached_property
    def field_keys_used(self) -> frozenset[tuple[str, str]]:
        """(``project`` | ``indicator``, key) of every field value the plan gives."""
        used = {("project", k) for p in self.projects for k in p.fields}
        used |= {("indicator", k) for p in self.projects for i in p.indicators for k in i.fields}
        return frozenset(used)


Issue = tuple[tuple[str | int, ...], Message]
"""A problem of a plan or of entries: its location in the data, and what is wrong."""


class PlanIntegrityError(ValueError):
    """References inside a plan that do not hold; each problem has its place in the plan."""

    def __init__(self, problems: list[Issue]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(f"{'.'.join(map(str, loc))}: {message.en}" for loc, message in problems)
        )
