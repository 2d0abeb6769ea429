"""The parts of a plan's grading scheme beyond its bands: how the rate is computed and
printed.

:class:`~kpibook.plan.GradingScheme` holds them; they are declared here so that
``plan.py`` stays the plan's structure and its integrity.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from kpibook.model import Model


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
