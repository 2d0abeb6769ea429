"""Grading: achievement rates and grades, as pure functions of the plan's scheme.

* :mod:`~kpibook.grading.rates` declares each rate's formula, which grading computes with
  and the forms print;
* :mod:`~kpibook.grading.indicators` grades each indicator and project (rules in
  ``docs/grading.md``);
* :mod:`~kpibook.grading.sections` evaluates the sections the plan evaluates;
* :class:`GradeReport` gathers them for one plan and report year.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kpibook.entries import Entries
from kpibook.fiscal import FiscalYear, era_label
from kpibook.grading.indicators import (
    REASONS,
    SELF_GRADE_MISSING,
    IndicatorGrade,
    NotGradable,
    ProjectGrade,
    Result,
    band,
    final_target,
    grade_indicator,
    grade_plan,
    grade_project,
    graded_against,
    round_rate,
)
from kpibook.grading.sections import SectionGrade, grade_sections
from kpibook.plan import Plan

__all__ = [
    "REASONS",
    "SELF_GRADE_MISSING",
    "GradeReport",
    "IndicatorGrade",
    "NotGradable",
    "ProjectGrade",
    "SectionGrade",
    "band",
    "final_target",
    "grade_indicator",
    "grade_plan",
    "grade_project",
    "grade_report",
    "graded_against",
    "round_rate",
]


class GradeReport(Result):
    """Every project's computed and self grade, and every evaluated section's, for one
    plan and report year."""

    plan: str = Field(description="Plan id.")
    title: str = Field(description="Plan title.")
    fiscal_year: FiscalYear = Field(description="The report year (western fiscal year).")
    fiscal_year_label: str = Field(description="The report year as printed, e.g. 令和元年度.")
    grades: list[str] = Field(description="The grade scale, best first.")
    not_gradable_label: str = Field(description="What the plan prints where there is no grade.")
    projects: list[ProjectGrade] = Field(description="In the order of the plan's index.")
    sections: list[SectionGrade] = Field(
        default_factory=list,
        description="The sections the plan evaluates (施策, 基本目標), in printed order.",
    )

    def counts(self, which: Literal["computed", "self"] = "computed") -> dict[str, int]:
        """Projects per grade, best first; then not gradable (computed) or 未記入 (self)."""
        missing = self.not_gradable_label if which == "computed" else SELF_GRADE_MISSING
        out = {g: 0 for g in self.grades} | {missing: 0}
        for p in self.projects:
            grade = p.grade if which == "computed" else p.self_grade
            out[grade if grade is not None else missing] += 1
        return out


def grade_report(plan: Plan, entries: Entries | None) -> GradeReport:
    """Grade the plan with the departments' entries (None: nothing reported yet)."""
    projects = grade_plan(plan, entries)
    return GradeReport(
        plan=plan.id,
        title=plan.title,
        fiscal_year=plan.report_year,
        fiscal_year_label=era_label(plan.report_year, "long"),
        grades=plan.grading.grades,
        not_gradable_label=plan.grading.not_gradable,
        projects=projects,
        sections=grade_sections(plan, projects, entries),
    )
