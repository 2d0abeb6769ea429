"""The inputs and prefilled texts of a department's form, independent of the layout.

The layouts write exactly these inputs (a test proves it), and ``kpibook check`` reads
them back by the same names, so the writer and the reader cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from kpibook.contract.content import (
    FormContent,
    FormProject,
    final_shown,
    value_columns,
    years_shown,
)
from kpibook.contract.names import CURRENT, FIELD_PREFIX, NameScheme
from kpibook.contract.specs import (
    InputSpec,
    field_spec,
    grade_spec,
    number_spec,
    section_grade_spec,
    state_spec,
    text_spec,
)
from kpibook.fields import FieldSpec, coordinator_values, of_indicators, of_projects
from kpibook.fiscal import era_label
from kpibook.plan import Indicator, Plan, SectionPath
from kpibook.template import CardTemplate, FormTemplate, TextEntry, TextKey, fields_of
from kpibook.values import Value

Field = (
    Literal["actual", "state", "self_grade", "custom", "section_grade", "section_explanation"]
    | TextKey
)
"""What an input fills: the actual, its state, the grade, one of the text entries, a
custom field the department fills, or the owner's evaluation of a section and its reasons
(form version 3)."""


class FormInput(NamedTuple):
    """One input of a form: its name, what it fills and how it is validated.  (A named
    tuple, immutable like a frozen dataclass and several times quicker to make: a check
    makes hundreds for every return.)"""

    name: str
    project: str
    """The project it belongs to; for a section's evaluation, the section."""
    field: Field
    label: str
    """What the clerk sees it as, e.g. 活動報告 or R1 実績値（参加人数）."""
    spec: InputSpec
    indicator: Indicator | None = None
    max_length: int | None = None
    custom: FieldSpec | None = None
    """The declaration of a custom field's input."""

    @property
    def key(self) -> InputKey:
        """(field, indicator id or None); a custom field's field is ``f_<key>``."""
        field = self.field if self.custom is None else f"{FIELD_PREFIX}{self.custom.key}"
        return (field, self.indicator.id if self.indicator else None)


def text_title(entry: TextEntry, plan: Plan) -> str:
    """A text entry's label with its {year}/{next} filled in, first line only."""
    year, next_year = era_label(plan.report_year), era_label(plan.report_year + 1)
    return entry.label.format(year=year, next=next_year).split("\n")[0].lstrip("・")


@dataclass(frozen=True)
class SharedSpecs:
    """What the inputs of every project of one form have in common, made once per form
    instead of once per project: the grade's input, each text's title and spec, the
    state cell's spec with and without 速報値, and the plan's custom fields."""

    year: str
    grade: InputSpec
    texts: list[tuple[TextEntry, str, InputSpec]]
    explanation: tuple[TextEntry, str, InputSpec] | None
    states: dict[bool, InputSpec]
    fields: list[FieldSpec]


def shared_specs(plan: Plan, template: FormTemplate, names: NameScheme = CURRENT) -> SharedSpecs:
    """The specs :func:`project_inputs` gives every project of ``plan``'s forms."""
    g = template.self_grade
    card = template if isinstance(template, CardTemplate) else None
    return SharedSpecs(
        year=era_label(plan.report_year),
        grade=grade_spec(plan, g.label, g.help, g.required, template.terms),
        texts=[_text_spec(entry, plan) for entry in template.texts],
        explanation=_text_spec(card.grade_explanation, plan) if card else None,
        states={p: state_spec(p, template.terms) for p in (False, True)},
        fields=fields_of(plan, template) if names.custom_fields else [],
    )


def project_inputs(
    fp: FormProject,
    plan: Plan,
    template: FormTemplate,
    names: NameScheme = CURRENT,
    shared: SharedSpecs | None = None,
) -> list[FormInput]:
    """The inputs of one project the department writes (none if it only shares it), named
    by ``names`` (a reader passes the scheme of the form's version); ``shared``: the
    form's :func:`shared_specs`, when the caller asks for several projects."""
    if not fp.writes:
        return []
    shared = shared or shared_specs(plan, template, names)
    pid = fp.project.id
    out: list[FormInput] = []
    for ind in fp.project.indicators:
        number = number_spec(ind, shared.year, template.terms)
        out.append(
            FormInput(
                names.indicator(pid, ind.id, "actual"), pid, "actual", number.title, number, ind
            )
        )
        preliminary = ind.preliminary_allowed and names.form_version >= STATUS_FROM_VERSION
        state = shared.states[preliminary]
        out.append(
            FormInput(names.indicator(pid, ind.id, "state"), pid, "state", state.title, state, ind)
        )
    if isinstance(template, CardTemplate) and template.actual_note is not None:
        note = template.actual_note
        for ind in fp.project.indicators:
            label = f"{note.label}（{ind.label}）"
            spec = text_spec(label, note.help, note.max_length, note.required)
            out.append(
                FormInput(
                    names.indicator(pid, ind.id, "note"),
                    pid,
                    "actual_note",
                    label,
                    spec,
                    ind,
                    note.max_length,
                )
            )
    g = template.self_grade
    grade = FormInput(names.project(pid, "self_grade"), pid, "self_grade", g.label, shared.grade)
    texts = [_text_input(pid, text, names) for text in shared.texts]
    if shared.explanation is not None:  # a card prints: texts, 担当課の評価, 評価の説明
        out += [*texts, grade, _text_input(pid, shared.explanation, names)]
    else:  # the matrix prints: 評価, then the comment columns
        out += [grade, *texts]
    if names.custom_fields:
        out += field_inputs(fp, shared.fields, names)
    return out


def field_inputs(fp: FormProject, fields: list[FieldSpec], names: NameScheme) -> list[FormInput]:
    """The custom fields the department fills: the project's, then each indicator's."""
    pid = fp.project.id
    out: list[FormInput] = []
    for spec in of_projects(fields):
        if spec.filled_by == "department":
            inp = field_spec(spec, spec.label)
            out.append(
                FormInput(names.field(pid, spec.key), pid, "custom", spec.label, inp, custom=spec)
            )
    for ind in fp.project.indicators:
        for spec in of_indicators(fields):
            if spec.filled_by == "department":
                label = f"{spec.label}（{ind.label}）"
                inp = field_spec(spec, label)
                name = names.field(pid, spec.key, ind.id)
                out.append(FormInput(name, pid, "custom", label, inp, ind, custom=spec))
    return out


@dataclass(frozen=True)
class PrefilledField:
    """A coordinator's field as a form prints it: locked text under its name."""

    name: str
    spec: FieldSpec
    indicator: Indicator | None
    text: str
    """The plan's value as printed (numbers with their places and unit); empty: none."""

    @property
    def label(self) -> str:
        label = self.spec.label
        return f"{label}（{self.indicator.label}）" if self.indicator else label


def prefilled_fields(
    fp: FormProject, fields: list[FieldSpec], names: NameScheme = CURRENT
) -> list[PrefilledField]:
    """Every coordinator field the form prints locked for a project: the project's, then
    each indicator's."""
    pid = fp.project.id
    out: list[PrefilledField] = []
    for spec in of_projects(fields):
        if spec.filled_by == "coordinator":
            text = spec.display(coordinator_values(spec, fp.project.fields))
            out.append(PrefilledField(names.field(pid, spec.key), spec, None, text))
    for ind in fp.project.indicators:
        for spec in of_indicators(fields):
            if spec.filled_by == "coordinator":
                text = spec.display(coordinator_values(spec, ind.fields))
                out.append(PrefilledField(names.field(pid, spec.key, ind.id), spec, ind, text))
    return out


CONDITIONALLY_REQUIRED = ("grade_explanation", "improvement")
"""Texts required below the top grade when a template does not say (kpibook's rule before
templates and plans could say it)."""


def required_for(entry: TextEntry, plan: Plan) -> tuple[str, ...]:
    """The department's own grades that make a text required: as the plan's
    ``checks.required_when`` lists them, else below the top grade when the template says
    so (by default for 評価の説明 and 改善策)."""
    listed = plan.checks.required_when.get(entry.key) if entry.key != "actual_note" else None
    if listed is not None:
        return tuple(listed)
    below_top = entry.required_below_top
    if below_top is None:
        below_top = entry.key in CONDITIONALLY_REQUIRED
    return tuple(plan.grading.grades[1:]) if below_top else ()


def _text_spec(entry: TextEntry, plan: Plan) -> tuple[TextEntry, str, InputSpec]:
    title = text_title(entry, plan)
    spec = text_spec(title, entry.help, entry.max_length, entry.required, required_for(entry, plan))
    return entry, title, spec


def _text_input(pid: str, text: tuple[TextEntry, str, InputSpec], names: NameScheme) -> FormInput:
    entry, title, spec = text
    return FormInput(
        names.project(pid, entry.key), pid, entry.key, title, spec, max_length=entry.max_length
    )


InputKey = tuple[str, str | None]
"""(field, indicator id or None) of an input."""


def by_key(inputs: list[FormInput]) -> dict[InputKey, FormInput]:
    """Inputs indexed by (field, indicator id), for a layout placing them."""
    return {i.key: i for i in inputs}


SECTION_EXPLANATION = "評価の理由"
SECTION_EXPLANATION_MAX = 800
"""The owner's reasons for a section's evaluation: what the form calls them, how long."""


def section_inputs(path: SectionPath, plan: Plan, names: NameScheme = CURRENT) -> list[FormInput]:
    """The owner's evaluation of a section and its reasons (form version 3 and later):
    the grade is required, the reasons with every grade the plan does not make them
    optional for."""
    from kpibook.grading.sections import evaluation_name

    sid, depth = path.section.id, len(path.nodes)
    evaluation = plan.grading.evaluation_at(depth)
    assert evaluation is not None, "only an evaluated section has an owner"
    title = evaluation_name(plan, evaluation)
    grades = plan.grading.scale_at(depth).grades
    required_for = tuple(g for g in grades if g not in evaluation.explanation_optional_for)
    reasons = text_spec(
        f"{title}（{SECTION_EXPLANATION}）",
        f"{title}をそのように判断した理由を記入。",
        SECTION_EXPLANATION_MAX,
        False,
        required_for,
    )
    return [
        FormInput(
            names.section(sid, "grade"),
            sid,
            "section_grade",
            title,
            section_grade_spec(plan, evaluation, title),
        ),
        FormInput(
            names.section(sid, "explanation"),
            sid,
            "section_explanation",
            reasons.title,
            reasons,
            max_length=SECTION_EXPLANATION_MAX,
        ),
    ]


def form_inputs(
    content: FormContent, template: FormTemplate, names: NameScheme = CURRENT
) -> list[FormInput]:
    """Every input of a department's form, in printed order of projects, then the
    evaluations of the sections it owns (a form of version 3 or later)."""
    plan = content.plan
    shared = shared_specs(plan, template, names)
    out = [i for fp in content.projects for i in project_inputs(fp, plan, template, names, shared)]
    if names.form_version >= SECTIONS_FROM_VERSION:
        out += [i for path in content.sections for i in section_inputs(path, plan, names)]
    return out


SECTIONS_FROM_VERSION = 3
"""The first form version that asks owners for their sections' evaluations."""
STATUS_FROM_VERSION = 3
"""The first form version that shows 速報値 and lets a department report one."""


def prefilled_texts(fp: FormProject, template: FormTemplate) -> dict[str, str]:
    """The project's texts as the form prints them, by name suffix (name, overview, ...)."""
    p = fp.project
    relisted = template.labels.relisted
    if isinstance(template, CardTemplate):
        name = f"{p.name}{relisted}" if fp.relisting_of else p.name
        return {"name": name, "overview": p.overview or "", "annual_plan": p.annual_plan or ""}
    name = p.name
    if fp.relisting_of:
        name += f"{relisted}{fp.relisting_of}"
    elif fp.other_places:
        name += "\n" + template.labels.also_listed.format(places="、".join(fp.other_places))
    return {"name": name, "overview": fp.placement.content or p.overview or ""}


def prefilled_values(
    fp: FormProject, plan: Plan, template: FormTemplate, names: NameScheme = CURRENT
) -> list[tuple[str, Value | None]]:
    """Every named target and past actual the form prefills for a project, with the
    plan's value (None: the cell shows －).  The card shows each indicator's years (to
    the report year, and from form version 3 the later years with a target) and its
    final target; the matrix shows the plan's value columns.  From form version 3 both
    show the baseline and the original of a revised target where the plan has them."""
    out: list[tuple[str, Value | None]] = []
    pid = fp.project.id
    version = names.form_version
    card = isinstance(template, CardTemplate)
    # the matrix's value columns, every indicator's the same, with their names' parts
    spots = (
        []
        if card
        else [
            (c.kind, c.year, _PARTS[c.kind](c.year))
            for c in value_columns(plan, version)
            if c.kind in _PARTS
        ]
    )
    for ind in fp.project.indicators:
        head = names.indicator(pid, ind.id, "")

        def name(part: str, head: str = head) -> str:
            return head + part

        if card:
            if version >= 3 and not ind.baseline.is_empty:
                out.append((name("base"), ind.baseline))
            for year in years_shown(plan, ind, version):
                out.append((name(f"t{year}"), ind.targets.get(year)))
                if version >= 3 and year in ind.original_targets:
                    out.append((name(f"o{year}"), ind.original_targets[year]))
                if year < plan.report_year:
                    out.append((name(f"a{year}"), ind.actuals.get(year)))
            out.append((name("final"), final_shown(plan, ind, version)))
            if version >= 3 and not ind.original_final_target.is_empty:
                out.append((name("ofinal"), ind.original_final_target))
            continue
        for kind, year, part in spots:
            if kind == "target":
                value = ind.targets.get(year)
            elif kind == "actual":
                value = ind.actuals.get(year)
            elif kind == "baseline" and not ind.baseline.is_empty:
                value = ind.baseline
            elif kind == "original" and year in ind.original_targets:
                value = ind.original_targets[year]
            else:
                continue
            out.append((head + part, value))
    return out


_PARTS: dict[str, Callable[[int], str]] = {
    "target": lambda year: f"t{year}",
    "actual": lambda year: f"a{year}",
    "baseline": lambda year: "base",
    "original": lambda year: f"o{year}",
}
"""The name part of a prefilled value of each kind of the matrix's value columns (the
report year's input column prefills nothing)."""


def prefilled_keys(
    fp: FormProject, plan: Plan, template: FormTemplate, names: NameScheme = CURRENT
) -> dict[str, list[str]]:
    """Every prefilled cell of a project by its own name, grouped under the name of its
    group (:meth:`NameScheme.group`) in the order the group's name lists the cells: the
    project's texts, the coordinator's custom fields (:func:`prefilled_fields`), then
    each indicator's values as :func:`prefilled_values` orders them.  Whatever these
    list is covered: a new prefilled cell joins its project's or indicator's group."""
    keys = [names.project(fp.project.id, key) for key in prefilled_texts(fp, template)]
    if names.custom_fields:
        keys += [pf.name for pf in prefilled_fields(fp, fields_of(plan, template), names)]
    keys += [name for name, _ in prefilled_values(fp, plan, template, names)]
    return group_keys(keys, names)


def group_keys(keys: list[str], names: NameScheme = CURRENT) -> dict[str, list[str]]:
    """Prefilled cells' own names (a project's, in the contract's order) by group."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(names.group(key), []).append(key)
    return groups
