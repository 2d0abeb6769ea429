"""The fingerprint of a form: SHA-256 over an explicit list of what the form prefills.

A form is *outdated* when what the coordinator prefilled into it is no longer what the
plan says.  The fingerprint makes that decidable: the writer stamps it, the reader
computes it again from the plan and compares.  What is hashed is listed here, field by
field, for each form version — never "whatever the models dump" — so that adding a
field to the plan model (with a default, or one the form does not show) changes no
fingerprint and outdates no form a department already holds.  A form of an older
version is compared by its own version's list.

Form versions 1 and 2 hash the same content (version 2 changed only how ids with dots
are encoded in names); version 3 adds custom fields and the 速報値 status of actuals
(:data:`_V3_FIELDS`), what its forms print besides (the baseline, the original of a
revised target, the data lag, the card's years down or across and, for the rates a card
may print, how rates are computed and rounded; also in :data:`_V3_FIELDS`), and how
sections are evaluated and which ones a department evaluates (:data:`_V3_SECTIONS`).
``tests/test_contract.py`` pins a literal hash of each, so a change to what is hashed
fails until the version is bumped on purpose.  Version 3 also hashes the template
through its digest, which its stamp carries: a check recomputes the fingerprint with the
stamped digest to tell "made with another template" (the plan's content the same) from
"made from another version of the plan"; and the template's terms
(:class:`~kpibook.template.Terms`).  Its performance part (prefilled cells named by
group instead of one by one) changed no hash.

The content is serialised as JSON with sorted keys (``json.dumps(..., sort_keys=True,
ensure_ascii=False)``, default separators), numbers of the plan as in its text form,
and decimals of the grade scale as their decimal text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel

from kpibook.fields import FieldSpec
from kpibook.plan import (
    Footnote,
    GradeBand,
    GradingScheme,
    Indicator,
    Placement,
    Plan,
    Project,
    Section,
)
from kpibook.scheme import EvaluationBand, OwnerLevel, RateRounding, SectionEvaluation
from kpibook.series import YearValues
from kpibook.template import (
    CardColumns,
    CardLabels,
    CardTemplate,
    Colours,
    Font,
    FormTemplate,
    GradeEntry,
    Margins,
    MatrixColumns,
    MatrixLabels,
    MatrixTemplate,
    PrintSettings,
    Terms,
    TextEntry,
    fields_of,
    load_template,
)
from kpibook.values import Value

# -- what version 1 hashes ------------------------------------------------------------

_TEMPLATE = (
    "sheet",
    "instructions_sheet",
    "lists_sheet",
    "font",
    "self_grade",
    "texts",
    "text_lines",
    "colours",
    "print",
    "layout",
    "labels",
    "columns",
)
"""What both layouts' templates have (the keys are sorted when hashed, so order is free)."""

_V1_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {
    Project: (
        "id",
        "name",
        "lead_department",
        "other_departments",
        "overview",
        "annual_plan",
        "placements",
        "indicators",
        "footnotes",
        "other_listings",
    ),
    Placement: ("section", "number", "content", "order"),
    Indicator: (
        "id",
        "label",
        "unit",
        "direction",
        "decimals",
        "targets",
        "final_target",
        "actuals",
        "note",
    ),
    Footnote: ("term", "text"),
    Section: ("id", "number", "title", "action_goal", "outcome_goal"),
    GradingScheme: (
        "bands",
        "fallback_to_final",
        "qualitative_met",
        "qualitative_unmet",
        "not_gradable",
        "project_rule",
    ),
    GradeBand: ("grade", "min_rate", "label"),
    Font: ("name", "size"),
    Colours: ("input", "label", "heading", "lead", "read_only"),
    Margins: ("left", "right", "top", "bottom"),
    PrintSettings: ("orientation", "fit_width", "margins"),
    TextEntry: ("key", "label", "max_length", "required", "help"),
    GradeEntry: ("key", "label", "required", "help"),
    CardLabels: (
        "title_suffix",
        "policy_goal",
        "outcome_goal",
        "project",
        "department",
        "overview",
        "annual_plan",
        "targets",
        "actuals",
        "final_target",
        "indicator",
        "year",
        "state",
        "relisted",
        "filled_by_lead",
        "also_listed",
        "relisting_of",
    ),
    CardColumns: ("label", "body", "year", "value", "state"),
    MatrixLabels: (
        "title_suffix",
        "number",
        "name",
        "content",
        "department",
        "department_note",
        "indicator",
        "actual",
        "target",
        "midterm",
        "state",
        "relisted",
        "filled_by_lead",
        "also_listed",
    ),
    MatrixColumns: (
        "number",
        "name",
        "content",
        "department",
        "indicator",
        "value",
        "state",
        "grade",
        "text",
    ),
    CardTemplate: (*_TEMPLATE, "grade_explanation", "actual_note"),
    MatrixTemplate: _TEMPLATE,
}


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _canonical(obj: Any, fields: Mapping[type[BaseModel], tuple[str, ...]]) -> Any:
    """``obj`` as JSON data, models reduced to their listed fields.  The exact types a
    plan is made of are taken first (a form's projects are thousands of objects);
    anything else by the general rules below."""
    kind = type(obj)
    if kind in _PLAIN:
        return obj
    if kind is Value:
        return _value(obj)
    listed = fields.get(kind)
    if listed is not None:
        # plain values and plan values (most of a model's fields) taken without a
        # recursive call
        out: dict[str, Any] = {}
        for name in listed:
            v = getattr(obj, name)
            t = type(v)
            out[name] = v if t in _PLAIN else _value(v) if t is Value else _canonical(v, fields)
        return out
    if kind is YearValues:
        return {str(y): v for y, v in obj.compact().items()}
    if kind is list:
        return [x if type(x) in _PLAIN else _canonical(x, fields) for x in obj]
    if kind is dict:
        return {
            str(k): v
            if type(v) in _PLAIN
            else _value(v)
            if type(v) is Value
            else _canonical(v, fields)
            for k, v in obj.items()
        }
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj.value if isinstance(obj, Enum) else obj
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, Value):
        token = obj.token()
        return token if obj.note is None else {"value": token, "note": obj.note}
    if isinstance(obj, BaseModel):
        listed = fields.get(type(obj))
        if listed is None:
            raise TypeError(f"the fingerprint lists no fields of {type(obj).__name__}")
        return {name: _canonical(getattr(obj, name), fields) for name in listed}
    if isinstance(obj, list | tuple):
        return [_canonical(x, fields) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _canonical(v, fields) for k, v in obj.items()}
    raise TypeError(f"the fingerprint cannot hash a {type(obj).__name__}")


def _value(value: Value) -> Any:
    """A plan value: its token, with its note when it has one."""
    token = value.token()
    return token if value.note is None else {"value": token, "note": value.note}


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _shared_v1(plan: Plan, template: FormTemplate) -> dict[str, str]:
    """What every department's form of a plan shares, by key, each already serialised."""
    return _shared(plan, template, _V1_FIELDS)


def _shared(
    plan: Plan, template: FormTemplate, fields: Mapping[type[BaseModel], tuple[str, ...]]
) -> dict[str, str]:
    def c(obj: Any) -> Any:
        return _canonical(obj, fields)

    return {
        "plan": _dumps(plan.id),
        "title": _dumps(plan.title),
        "report_year": _dumps(plan.report_year),
        "period": _dumps({"start": plan.period.start, "end": plan.period.end}),
        "grading": _dumps(c(plan.grading)),
        "sections": _dumps([[c(n) for n in path.nodes] for path in plan.iter_sections()]),
        "template": _dumps(c(template)),
    }


def _own_v1(department: str, projects: list[Project]) -> dict[str, str]:
    return {
        "department": _dumps(department),
        "projects": _dumps([_canonical(p, _V1_FIELDS) for p in projects]),
    }


# -- what version 3 adds ----------------------------------------------------------------

# The owners' evaluations of sections (issue #15 item 3).

_V3_SECTIONS: dict[type[BaseModel], tuple[str, ...]] = {
    SectionEvaluation: (
        "depth",
        "name",
        "rule",
        "of",
        "at_least",
        "bands",
        "owner_levels",
        "explanation_optional_for",
    ),
    EvaluationBand: ("grade", "threshold", "label"),
    OwnerLevel: ("grade", "label"),
    Section: ("id", "number", "title"),
}
"""How sections are evaluated (the scale and the rule the form states) and which sections
a department evaluates.  Who owns a section is hashed into that department's form only,
so naming an owner outdates no other department's form."""


_V3_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {
    **_V1_FIELDS,
    # custom fields (issue #15 item 4): the coordinator's values, printed locked; and
    # 速報値 (item 1): a past actual's status is printed, and 速報値 offered where allowed
    Project: (*_V1_FIELDS[Project], "fields"),
    # The forms print the baseline and its year, the original of a revised target beside
    # it, and (for a lagging statistic) which years may be graded; a card with year_rates
    # prints each past year's 達成率, which the rate method, 累計 and rounding decide.
    Indicator: (
        *_V1_FIELDS[Indicator],
        "fields",
        "actual_status",
        "preliminary_allowed",
        "baseline",
        "baseline_year",
        "original_targets",
        "original_final_target",
        "data_lag",
        "rate_method",
        "cumulative",
    ),
    GradingScheme: (*_V1_FIELDS[GradingScheme], "rate_method", "rounding"),
    RateRounding: ("method", "places"),
    # The card's years down or across and its rates, and the words of the rows they add.
    CardLabels: (*_V1_FIELDS[CardLabels], "baseline", "original_target", "data_lag", "rate"),
    MatrixLabels: (*_V1_FIELDS[MatrixLabels], "baseline", "original_target", "data_lag"),
    CardTemplate: (*_V1_FIELDS[CardTemplate], "years", "year_rates", "terms"),
    FieldSpec: (
        "key",
        "label",
        "kind",
        "of",
        "filled_by",
        "choices",
        "max_length",
        "decimals",
        "minimum",
        "maximum",
        "unit",
        "help",
        "required",
    ),
    # the template's own words (担当課 / 担当部・課, 目標値 / 期待値) print on the form
    Terms: ("department", "project", "indicator", "target", "actual", "target_note", "actual_note"),
    MatrixTemplate: (*_V1_FIELDS[MatrixTemplate], "terms"),
}
"""Version 3: version 2's content and what it prints beyond it."""


def template_digest(template: FormTemplate) -> str:
    """SHA-256 (hex) of the template as a version 3 form shows it: the stamp carries it
    beside the fingerprint, so a check can tell a form made with another template from
    one made from another version of the plan."""
    return hashlib.sha256(_dumps(_canonical(template, _V3_FIELDS)).encode("utf-8")).hexdigest()


def _shared_v3(plan: Plan, template: FormTemplate) -> dict[str, str]:
    shared = _shared(plan, template, _V3_FIELDS)
    # the template through its digest (:func:`template_digest`), so that the fingerprint
    # can be recomputed with the template a form was stamped with
    shared["template"] = _dumps(template_digest(template))
    # the template's fields and the plan's, as the form shows them
    shared["fields"] = _dumps(_canonical(fields_of(plan, template), _V3_FIELDS))
    return shared


def _own_v3(department: str, projects: list[Project]) -> dict[str, str]:
    return {
        "department": _dumps(department),
        "projects": _dumps([_canonical(p, _V3_FIELDS) for p in projects]),
    }


def _shared_v3_sections(plan: Plan) -> dict[str, str]:
    return {"evaluations": _dumps(_canonical(plan.grading.evaluations, _V3_SECTIONS))}


def _own_v3_sections(plan: Plan, department: str) -> dict[str, str]:
    owned = plan.owned_sections(department)
    return {"evaluated_sections": _dumps([_canonical(p.section, _V3_SECTIONS) for p in owned])}


# -- the versions ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Version:
    shared: Callable[[Plan, FormTemplate], dict[str, str]]
    own: Callable[[str, list[Project]], dict[str, str]]
    shared_sections: Callable[[Plan], dict[str, str]] | None = None
    own_sections: Callable[[Plan, str], dict[str, str]] | None = None
    template_apart: bool = False
    """The template is hashed through its digest, which the stamp carries too."""


VERSIONS: dict[int, _Version] = {
    1: _Version(_shared_v1, _own_v1),
    2: _Version(_shared_v1, _own_v1),
    3: _Version(_shared_v3, _own_v3, _shared_v3_sections, _own_v3_sections, template_apart=True),
}
"""What each form version hashes."""


@dataclass
class Fingerprinter:
    """Fingerprints of one plan's forms.  The part every department's form shares is
    serialised once per version (a national plan has 1,741 forms), held by this object
    and nowhere else."""

    plan: Plan
    template: FormTemplate
    _shared: dict[int, dict[str, str]] = field(default_factory=dict, repr=False)
    _template_digest: str | None = field(default=None, repr=False)
    _builtin: Fingerprinter | Literal[False] | None = field(default=None, repr=False)

    def of(
        self,
        department: str,
        projects: list[Project],
        form_version: int,
        template: str | None = None,
    ) -> str:
        """SHA-256 (hex) of what ``department``'s form of ``form_version`` prefills;
        KeyError for a version this kpibook does not know.  ``template``: the digest of
        another template to hash instead of this one's (a version whose stamp carries
        it), to tell whether only the template differs."""
        version = VERSIONS[form_version]
        shared = self.shared(form_version)
        if template is not None and version.template_apart:
            shared = {**shared, "template": _dumps(template)}
        parts = {**shared, **version.own(department, projects)}
        if version.own_sections is not None:
            parts |= version.own_sections(self.plan, department)
        # The same text json.dumps gives for the whole dict with sorted keys.
        blob = "{" + ", ".join(f"{_dumps(k)}: {parts[k]}" for k in sorted(parts)) + "}"
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def shared(self, form_version: int) -> dict[str, str]:
        """What every department's form of ``form_version`` shares, serialised once (a
        checker asks for it before its workers start, so that each need not)."""
        shared = self._shared.get(form_version)
        if shared is None:
            version = VERSIONS[form_version]
            shared = version.shared(self.plan, self.template)
            if version.shared_sections is not None:
                shared |= version.shared_sections(self.plan)
            self._shared[form_version] = shared
        return shared

    def with_builtin_template(self) -> Fingerprinter | None:
        """Fingerprints of the same plan made with the built-in template of its layout
        (None: this is that template), kept for every form of the check."""
        if self._builtin is None:
            builtin = load_template(self.plan.layout)
            self._builtin = False if builtin == self.template else Fingerprinter(self.plan, builtin)
        return self._builtin or None

    def template_digest(self, form_version: int) -> str | None:
        """What the stamp of a ``form_version`` form says of its template, if anything."""
        if not VERSIONS[form_version].template_apart:
            return None
        if self._template_digest is None:
            self._template_digest = template_digest(self.template)
        return self._template_digest
