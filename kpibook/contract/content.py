"""Which projects a department's form holds, where, and whether the department writes them.

* A department writes the projects it leads; it sees the projects it shares with a lead
  department read-only (the 青色セル rule).
* A project listed in several sections (再掲) appears once, under its first listing, with
  the other places noted: never as two inputs that could disagree.
* A department also evaluates the sections the plan says it owns (施策 by its lead
  department, 基本目標 by the planning department): a section evaluation of its own is
  enough for a form.
* A department with nothing to write gets no form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kpibook.fiscal import FiscalYear
from kpibook.grading.indicators import final_target
from kpibook.plan import Indicator, Placement, Plan, Project, SectionPath
from kpibook.values import Value


@dataclass(frozen=True)
class FormProject:
    project: Project
    writes: bool
    """True for the lead department; False for a department that only shares it."""
    placement: Placement
    """The listing the form shows it under (its first)."""
    number: str
    """Its printed number there, e.g. ``1.(1)`` or ``柱2(1)①ア``."""
    other_places: list[str]
    """The printed numbers of its other listings (再掲), including outside this plan."""
    relisting_of: str | None = None
    """In the consolidated report, a listing after the first: the first's number (【再掲】)."""


@dataclass(frozen=True)
class FormContent:
    plan: Plan
    department: str
    projects: list[FormProject]
    """In printed order: by section, then by the plan's index order."""
    sections: list[SectionPath] = field(default_factory=list)
    """The sections whose evaluation the department enters, in printed order."""

    def in_section(self, section_id: str) -> list[FormProject]:
        return [fp for fp in self.projects if fp.placement.section == section_id]


def departments_with_forms(plan: Plan) -> list[str]:
    """Departments that lead at least one project or enter a section's evaluation, in
    the plan's order."""
    leads = {p.lead_department for p in plan.projects}
    return [d for d in plan.department_names() if d in leads or plan.owned_sections(d)]


def placement_number(plan: Plan, placement: Placement) -> str:
    return plan.section_path(placement.section).numbers() + (placement.number or "")


def listing_key(placement: Placement, project_index: int) -> tuple[int, int]:
    """Order of listings within a section: by printed position, then by project order."""
    if placement.order is not None:
        return (0, placement.order)
    return (1, project_index)


def form_content(plan: Plan, department: str) -> FormContent:
    """The projects of ``department``'s form."""
    order = {path.section.id: n for n, path in enumerate(plan.iter_sections())}
    chosen: list[tuple[int, tuple[int, int], FormProject]] = []
    for index, project in plan.projects_of(department):
        first = project.placements[0]
        others = [placement_number(plan, pl) for pl in project.placements[1:]]
        chosen.append(
            (
                order[first.section],
                listing_key(first, index),
                FormProject(
                    project=project,
                    writes=project.lead_department == department,
                    placement=first,
                    number=placement_number(plan, first),
                    other_places=[*others, *project.other_listings],
                ),
            )
        )
    chosen.sort(key=lambda t: (t[0], t[1]))
    return FormContent(
        plan, department, [fp for _, _, fp in chosen], list(plan.owned_sections(department))
    )


def report_content(plan: Plan) -> FormContent:
    """Every listing of every project, for the consolidated report: a project listed twice
    (再掲) is printed twice, the second time marked, and filled in once."""
    order = {path.section.id: n for n, path in enumerate(plan.iter_sections())}
    listed: list[tuple[int, tuple[int, int], int, FormProject]] = []
    for index, project in enumerate(plan.projects):
        numbers = [placement_number(plan, pl) for pl in project.placements]
        for n, placement in enumerate(project.placements):
            listed.append(
                (
                    order[placement.section],
                    listing_key(placement, index),
                    n,
                    FormProject(
                        project=project,
                        writes=True,
                        placement=placement,
                        number=numbers[n],
                        other_places=[] if n else [*numbers[1:], *project.other_listings],
                        relisting_of=numbers[0] if n else None,
                    ),
                )
            )
    listed.sort(key=lambda t: (t[0], t[1], t[2]))
    return FormContent(plan, "", [fp for *_, fp in listed])


def years_shown(plan: Plan, indicator: Indicator, form_version: int = 3) -> list[FiscalYear]:
    """A card's years: the plan period up to the report year, any earlier year with a
    value, and (from form version 3) the later plan years up to the last one with a
    target, so a card shows the targets still ahead.  A later year without a target shows
    nothing a reader needs, so the card stops before it: a plan whose end-of-plan target
    is its 【最終目標】 prints that once, not beside an empty year."""
    last = plan.report_year
    if form_version >= 3:
        ahead = [y for y in indicator.targets if plan.report_year < y <= plan.period.end]
        last = max([last, *ahead])
    years = set(range(plan.period.start, last + 1))
    years |= {y for y in [*indicator.targets, *indicator.actuals] if y <= last}
    return sorted(years)


def final_shown(plan: Plan, indicator: Indicator, form_version: int = 3) -> Value:
    """The 【最終目標】 a card prints: the plan's final target, or (from form version 3)
    the target of the plan's last year when the plan gives no separate one, as grading
    falls back to it."""
    if form_version >= 3:
        return final_target(indicator, plan.period.end)
    return indicator.final_target


@dataclass(frozen=True)
class ValueColumn:
    year: FiscalYear
    """The column's year (the baseline column's is the plan's first; each indicator's
    baseline has its own year, printed with it)."""
    kind: Literal["actual", "target", "input", "baseline", "original"]


_ORDER = {"target": 0, "original": 1}


def value_columns(plan: Plan, form_version: int = 3) -> list[ValueColumn]:
    """Past actuals and targets of every year the plan has, and the report year's actual,
    in time order (a year's target before its actual, as in seed 003's R3 columns).  From
    form version 3, a 基準値 column first when an indicator has a baseline, and a 当初目標
    column after a year's target when an indicator's target of that year was revised.
    Every department's form has the same columns: the plan finds its years once."""
    cols = [ValueColumn(y, "actual") for y in plan.actual_years]
    cols += [ValueColumn(y, "target") for y in plan.target_years]
    cols.append(ValueColumn(plan.report_year, "input"))
    if form_version >= 3:  # the plan's, found once (this is asked for every indicator)
        if plan.has_baselines:
            cols.append(ValueColumn(plan.period.start, "baseline"))
        cols += [ValueColumn(y, "original") for y in plan.revised_target_years]
    return sorted(cols, key=lambda c: (c.kind != "baseline", c.year, _ORDER.get(c.kind, 2)))
