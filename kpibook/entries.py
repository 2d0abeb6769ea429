"""What departments write for the report year.

Card plans (seed 000): the report-year actual of each indicator, 活動報告, 課題・懸案事項,
今後の予定, 担当課の評価 (the department's own grade) and 評価の説明.
Matrix plans (seed 003): the report-year actual, the comment (results and issues, and the
direction for next year) and the improvement measures required when the result is △ or ×.

An :class:`Entries` document holds every project's entry for one plan and year; the
examples keep the entries the seeds published, and later steps build the same object from
the departments' returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

from pydantic import Field

from kpibook.fields import FieldSpec, FieldValues, value_problem
from kpibook.fiscal import era_label
from kpibook.message import Message
from kpibook.model import no_keys
from kpibook.plan import FY, LAYOUT_TEXTS, Id, Issue, Label, Layout, Model, Plan, Project, Text
from kpibook.values import ActualStatus, Value, ValueKind


class ProjectEntry(Model):
    """One project's report for the report year, written by its lead department.

    The dicts a return leaves empty (statuses, custom fields) are one shared empty dict
    (:func:`~kpibook.model.no_keys`), not four new ones per project: a national merge
    holds 35,000 entries, and a pickled entry from a worker brings the shared one back."""

    project: Id = Field(description="The project's id in the plan.")
    actuals: dict[Id, Value] = Field(
        default_factory=no_keys, description="Report-year actual per indicator id."
    )
    actual_status: dict[Id, ActualStatus] = Field(
        default_factory=no_keys,
        description="速報値 / 確定値 of a report-year actual, per indicator id, where the plan "
        "allows a preliminary figure; not listed: final.",
    )
    activity_report: Text | None = Field(default=None, description="活動報告 (card plans).")
    issues: Text | None = Field(default=None, description="課題・懸案事項 (card plans).")
    future_plan: Text | None = Field(default=None, description="今後の予定 (card plans).")
    self_grade: Label | None = Field(
        default=None, description="担当課の評価: the department's own grade, a judgement."
    )
    grade_explanation: Text | None = Field(default=None, description="評価の説明 (card plans).")
    comment: Text | None = Field(
        default=None, description="Results and issues / next year's direction (matrix plans)."
    )
    improvement: Text | None = Field(
        default=None, description="改善策 when the result is △ or × (matrix plans)."
    )
    fields: FieldValues = Field(
        default_factory=no_keys,
        description="Values of the plan's custom fields of the project the department fills.",
    )
    indicator_fields: dict[Id, FieldValues] = Field(
        default_factory=no_keys,
        description="Values of the custom fields of each indicator the department fills, "
        "by indicator id.",
    )


class SectionEntry(Model):
    """The owner's evaluation of a section (施策の評価), for a depth the plan evaluates."""

    section: Id = Field(description="The section's id in the plan.")
    grade: Label | None = Field(default=None, description="The owner's grade, on its scale.")
    explanation: Text | None = Field(default=None, description="Why, as the owner wrote it.")


CARD_ONLY = LAYOUT_TEXTS[Layout.CARD]
MATRIX_ONLY = LAYOUT_TEXTS[Layout.MATRIX]


class Entries(Model):
    """Every department's entries of one plan for one fiscal year."""

    plan: Id = Field(description="The plan's id.")
    fiscal_year: FY = Field(description="The report year the entries are for.")
    entries: list[ProjectEntry] = Field(default_factory=list, description="One per project.")
    sections: list[SectionEntry] = Field(
        default_factory=list,
        description="Owners' evaluations of sections, where the plan evaluates them.",
    )

    def for_project(self, project_id: str) -> ProjectEntry | None:
        """The project's entry (indexed once: a national set has tens of thousands)."""
        return self._by_project.get(project_id)

    @cached_property
    def _by_project(self) -> dict[str, ProjectEntry]:
        return {e.project: e for e in self.entries}


def entry_problems(
    plan: Plan, entries: Entries, fields: list[FieldSpec] | None = None
) -> Iterator[Issue]:
    """Where entries do not fit the plan: wrong plan or year, unknown ids, wrong layout,
    values of custom fields that do not fit ``fields`` (default: the plan's own)."""
    if entries.plan != plan.id:
        yield (
            ("plan",),
            Message(
                ja=f"計画ID「{entries.plan}」の記入内容です（この計画は「{plan.id}」）",
                en=f"entries are for plan {entries.plan!r}, not {plan.id!r}",
            ),
        )
    if entries.fiscal_year != plan.report_year:
        yield (
            ("fiscal_year",),
            Message(
                ja=f"{era_label(entries.fiscal_year, 'long')}の記入内容です"
                f"（報告年度は{era_label(plan.report_year, 'long')}）",
                en=f"entries are for fiscal year {entries.fiscal_year}, the plan reports "
                f"{plan.report_year}",
            ),
        )
    projects = {p.id: p for p in plan.projects}
    seen: set[str] = set()
    wrong_fields = MATRIX_ONLY if plan.layout is Layout.CARD else CARD_ONLY
    for n, entry in enumerate(entries.entries):
        here: tuple[str | int, ...] = ("entries", n)
        pid = entry.project
        if pid in seen:
            yield (
                (*here, "project"),
                Message(ja=f"事業「{pid}」が2回あります", en=f"project {pid!r} has two entries"),
            )
        seen.add(pid)
        project = projects.get(pid)
        if project is None:
            yield (
                (*here, "project"),
                Message(
                    ja=f"事業「{pid}」は計画にありません", en=f"the plan has no project {pid!r}"
                ),
            )
            continue
        indicator_ids = {i.id for i in project.indicators}
        for iid, actual in entry.actuals.items():
            if iid not in indicator_ids:
                yield (
                    (*here, "actuals", iid),
                    Message(
                        ja=f"事業「{pid}」に指標「{iid}」はありません",
                        en=f"project {pid!r} has no indicator {iid!r}",
                    ),
                )
            elif actual.kind is ValueKind.QUALITATIVE:
                yield (
                    (*here, "actuals", iid),
                    Message(
                        ja="実績値に増加・減少・維持は使えません",
                        en="an actual is a number, 集計中 or －, not 増加/減少/維持",
                    ),
                )
        indicators = {i.id: i for i in project.indicators}
        for iid, status in entry.actual_status.items():
            ind = indicators.get(iid)
            if status is not ActualStatus.PRELIMINARY:
                continue
            if ind is None or not ind.preliminary_allowed:
                yield (
                    (*here, "actual_status", iid),
                    Message(
                        ja=f"指標「{iid}」の実績値を速報値とすることは計画にありません",
                        en=f"the plan does not allow a preliminary actual for {iid!r}",
                    ),
                )
            elif entry.actuals.get(iid, Value(kind=ValueKind.EMPTY)).kind is not ValueKind.NUMBER:
                yield (
                    (*here, "actual_status", iid),
                    Message(
                        ja="速報値とするのは数値の実績値だけです",
                        en="only a numeric actual can be preliminary",
                    ),
                )
        for name in wrong_fields:
            if getattr(entry, name) is not None:
                yield (
                    (*here, name),
                    Message(
                        ja="この様式にはない記入項目です",
                        en=f"{name!r} is not part of a {plan.layout.value} plan",
                    ),
                )
        yield from _field_problems(here, entry, project, fields or plan.fields)
        grades = plan.grading.grades
        if entry.self_grade is not None and entry.self_grade not in grades:
            yield (
                (*here, "self_grade"),
                Message(
                    ja=f"評価は {'・'.join(grades)} のいずれかです",
                    en=f"{entry.self_grade!r} is not one of the grades {grades}",
                ),
            )
    yield from _section_entry_problems(plan, entries)


def _field_problems(
    here: tuple[str | int, ...], entry: ProjectEntry, project: Project, fields: list[FieldSpec]
) -> Iterator[Issue]:
    """Values of fields the department fills, each fitting its declaration."""
    mine: dict[tuple[str, str], FieldSpec] = {
        (f.of, f.key): f for f in fields if f.filled_by == "department"
    }
    indicator_ids = {i.id for i in project.indicators}
    held: list[tuple[tuple[str | int, ...], str, FieldValues]] = [
        ((*here, "fields"), "project", entry.fields)
    ]
    for iid, values in entry.indicator_fields.items():
        if iid not in indicator_ids:
            yield (
                (*here, "indicator_fields", iid),
                Message(
                    ja=f"事業「{project.id}」に指標「{iid}」はありません",
                    en=f"project {project.id!r} has no indicator {iid!r}",
                ),
            )
            continue
        held.append(((*here, "indicator_fields", iid), "indicator", values))
    for loc, of, values in held:
        for key, value in values.items():
            spec = mine.get((of, key))
            if spec is None:
                what = "事業" if of == "project" else "指標"
                yield (
                    (*loc, key),
                    Message(
                        ja=f"担当課が記入する{what}の項目「{key}」は宣言されていません",
                        en=f"no {of} field {key!r} filled by the department is declared",
                    ),
                )
            elif (problem := value_problem(spec, value)) is not None:
                yield ((*loc, key), problem)


def _section_entry_problems(plan: Plan, entries: Entries) -> Iterator[Issue]:
    seen: set[str] = set()
    known = {p.section.id for p in plan.iter_sections()}
    for n, entry in enumerate(entries.sections):
        here: tuple[str | int, ...] = ("sections", n)
        sid = entry.section
        if sid in seen:
            yield (
                (*here, "section"),
                Message(ja=f"体系「{sid}」が2回あります", en=f"section {sid!r} has two entries"),
            )
        seen.add(sid)
        if sid not in known:
            yield (
                (*here, "section"),
                Message(
                    ja=f"体系「{sid}」は計画にありません", en=f"the plan has no section {sid!r}"
                ),
            )
            continue
        depth = len(plan.section_path(sid).nodes)
        if plan.grading.evaluation_at(depth) is None:
            yield (
                (*here, "section"),
                Message(
                    ja=f"体系「{sid}」の階層は評価しない計画です",
                    en=f"the plan evaluates no section at the depth of {sid!r}",
                ),
            )
            continue
        grades = plan.grading.scale_at(depth).grades
        if entry.grade is not None and entry.grade not in grades:
            yield (
                (*here, "grade"),
                Message(
                    ja=f"評価は {'・'.join(grades)} のいずれかです",
                    en=f"{entry.grade!r} is not one of the grades {list(grades)}",
                ),
            )
