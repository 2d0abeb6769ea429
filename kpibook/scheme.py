"""The parts of a plan's grading scheme beyond its bands: how the rate is computed and
printed, levels only an owner chooses, and the evaluation of sections.

:class:`~kpibook.plan.GradingScheme` holds them; they are declared here so that
``plan.py`` stays the plan's structure and its integrity.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, NoReturn, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from kpibook.errors import MessageValueError
from kpibook.message import Message
from kpibook.model import Label, Model, Text


class RateMethod(StrEnum):
    """How an indicator's rate (達成率) is computed from its numbers."""

    RATIO = "ratio"
    """実績値 ÷ 目標値 (目標値 ÷ 実績値 when lower is better): the Kashiwa plans."""
    PROGRESS = "progress"
    """Progress from the baseline: (実績値 − 基準値) ÷ (目標値 − 基準値), or
    (基準値 − 実績値) ÷ (基準値 − 目標値) when lower is better."""


class Rounding(StrEnum):
    """How a rate is cut to the places it is printed with."""

    HALF_UP = "half_up"
    """四捨五入: 81.65 → 81.7."""
    TRUNCATE = "truncate"
    """切り捨て (toward zero): 56.25 → 56.2, 99.99 → 99.9."""


class RateRounding(Model):
    """How the rate is printed, and whether the grade follows the printed figure."""

    method: Rounding = Field(default=Rounding.HALF_UP, description="half_up or truncate.")
    places: int = Field(default=1, ge=0, le=4, description="Decimal places printed.")
    grade_on: Literal["exact", "shown"] = Field(
        default="exact",
        description="'exact': grade the exact rate (79.99% is below 80%); 'shown': grade "
        "the rate as printed, so a printed 100.0% is never below a ≥ 100% band.",
    )


Mark = Annotated[Label, Field(max_length=8)]
"""A grade as printed: A, S, ○, 概ね達成, 着手済."""


class OwnerLevel(Model):
    """A level only an owner chooses (着手済, 未着手): no threshold, never computed.  It
    ranks below the levels that have one."""

    grade: Mark = Field(description="The mark, e.g. 着手済.")
    label: Label = Field(description="Its meaning as printed.")
    description: Text | None = Field(default=None, description="A longer explanation.")
    score: Decimal | None = Field(
        default=None, description="Points when averaged; without, it is left out of averages."
    )


class EvaluationBand(Model):
    """A level of a section's scale, reached when the rule's measure is at least
    ``threshold``: the average score (rule 'average') or the percentage (rule 'share')."""

    grade: Mark = Field(description="The mark, e.g. A or 順調.")
    threshold: Annotated[Decimal, Field(ge=0, le=10_000)] = Field(
        description="Lowest average score, or lowest share in percent, of this level."
    )
    label: Label = Field(description="Its meaning as printed.")
    description: Text | None = Field(default=None, description="A longer explanation.")
    score: Decimal | None = Field(
        default=None,
        description="Points when a level above averages this one (default: 1 for the lowest "
        "band, counting up).",
    )


class EvaluationRule(StrEnum):
    """How a section's evaluation comes from what is under it."""

    WORST = "worst"
    """The worst grade under it, on that grade's own scale."""
    BEST = "best"
    """The best grade under it."""
    AVERAGE = "average"
    """The average of the scores of the grades under it, placed on the section's bands."""
    SHARE = "share"
    """The percentage of the grades under it at ``at_least`` or better, on its bands."""
    OWNER = "owner"
    """Entered by the section's owner (担当部局), not computed."""


EVALUATION_RULE_NAMES: dict[str, str] = {
    "worst": "最も低い評価",
    "best": "最も高い評価",
    "average": "平均点",
    "share": "割合",
    "owner": "担当の評価",
}
"""Each rule in Japanese, as the plan workbook and the master write it."""
EVALUATED_NAMES: dict[str, str] = {
    "indicators": "指標",
    "projects": "事業",
    "sections": "下位の体系",
}
"""What an evaluation is computed from, in Japanese."""


class SectionEvaluation(Model):
    """The evaluation of every section at one depth of the tree (施策, 基本目標, ...)."""

    depth: int = Field(ge=1, le=20, description="1 for the top level of the tree, 2 below, ...")
    name: Label | None = Field(
        default=None,
        description="What it is called, e.g. 施策の評価 (default: the level's name + の評価).",
    )
    rule: EvaluationRule = Field(description="worst, best, average, share or owner.")
    of: Literal["indicators", "projects", "sections"] = Field(
        default="indicators",
        description="What it is computed from: the indicators or the projects listed under "
        "the section (each once), or its child sections' evaluations.",
    )
    at_least: Mark | None = Field(
        default=None, description="For 'share': the grade counted (it and better)."
    )
    bands: list[EvaluationBand] = Field(
        default_factory=list,
        validate_default=True,
        description="For 'average' and 'share': its own scale, best first, thresholds "
        "decreasing, the last at 0. 'worst' and 'best' keep the grades they pick.",
    )
    owner_levels: list[OwnerLevel] = Field(
        default_factory=list,
        description="Levels only the owner chooses; for 'owner', the whole scale.",
    )
    owner: Label | None = Field(
        default=None,
        description="The department that enters the evaluation of every section at this "
        "depth (e.g. the planning department for 基本目標), unless the section names its "
        "own owner.  With an owner, its form asks for the evaluation; for a computed rule "
        "the owner's is kept beside the computed one.",
    )
    explanation_optional_for: list[Mark] = Field(
        default_factory=list,
        description="The owner's grades at which its reasons (評価の理由) may be left "
        "empty; with every other grade they are required (default: always required).",
    )

    @field_validator("bands")
    @classmethod
    def _ordered(cls, bands: list[EvaluationBand], info: ValidationInfo) -> list[EvaluationBand]:
        rule = info.data.get("rule")
        if rule in (EvaluationRule.AVERAGE, EvaluationRule.SHARE):
            check_bands([b.threshold for b in bands], "threshold")
        if rule is EvaluationRule.SHARE and any(b.threshold > 100 for b in bands):
            _refuse("割合の下限は100（%）までです", "a share is at most 100 (percent)")
        return bands

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        rule = self.rule
        if rule in (EvaluationRule.WORST, EvaluationRule.BEST) and (
            self.bands or self.owner_levels
        ):
            _refuse(
                f"「{EVALUATION_RULE_NAMES[rule]}」は選んだ評価をそのまま使うため、区分は書きません",
                f"'{rule}' keeps the grades it picks: give no bands or levels",
            )
        if rule is EvaluationRule.OWNER and (self.bands or not self.owner_levels):
            _refuse(
                "担当の評価には下限がありません。段階は担当のみの段階（owner_levels）に書きます",
                "'owner' has no thresholds: give its scale as owner_levels",
            )
        if (rule is EvaluationRule.SHARE) != (self.at_least is not None):
            _refuse(
                "基準の評価（at_least）は決め方が「割合」のときだけ書きます",
                "'at_least' is given exactly for the rule 'share'",
            )
        check_unique([b.grade for b in self.bands] + [o.grade for o in self.owner_levels])
        check_unique(self.explanation_optional_for)
        return self


def _refuse(ja: str, en: str) -> NoReturn:
    raise MessageValueError(Message(ja=ja, en=en))


def check_bands(thresholds: list[Decimal], key: str) -> None:
    """At least two, strictly decreasing, the last at 0: every value has a level."""
    if len(thresholds) < 2:
        _refuse("評価の段階を2つ以上書いてください", "give at least two bands")
    if any(a <= b for a, b in itertools.pairwise(thresholds)):
        _refuse(
            "評価の段階は良い順に、下限が小さくなるように並べてください",
            f"bands must be ordered best first with decreasing {key}",
        )
    if thresholds[-1] != 0:
        _refuse(
            "最後の段階の下限は0にしてください（どの値にも評価が付くように）",
            "the last band must start at 0 so every value has a level",
        )


def check_unique(grades: list[str]) -> None:
    if len(set(grades)) != len(grades):
        _refuse("同じ評価が2回あります", "each grade may appear once")


@dataclass(frozen=True)
class Scale:
    """A scale as grading uses it: grades best first, each with its score (or none)."""

    grades: tuple[str, ...]
    scores: Mapping[str, Decimal | None]

    @classmethod
    def of(cls, banded: list[tuple[str, Decimal | None]], owner_levels: list[OwnerLevel]) -> Scale:
        """Bands (grade, given score) then owner levels.  A band without a score counts
        from the bottom (the lowest band 1); an owner level has only the score it is
        given — except in a scale of owner levels alone, where they count from the
        bottom too."""
        scores: dict[str, Decimal | None] = {}
        for n, (grade, score) in enumerate(banded):
            scores[grade] = score if score is not None else Decimal(len(banded) - n)
        for n, level in enumerate(owner_levels):
            default = None if banded else Decimal(len(owner_levels) - n)
            scores[level.grade] = level.score if level.score is not None else default
        return cls(tuple(scores), scores)

    def rank(self, grade: str) -> int:
        """0 for the best grade; larger is worse."""
        return self.grades.index(grade)
