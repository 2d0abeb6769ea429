"""Custom fields: extra items a plan (or its template) asks for, beyond kpibook's own.

A published progress report prints more than targets and actuals: 出典, 算出方法,
設定の考え方, 全国順位, 次回公表時期, 改善策 when the grade is △ or ×.  Each is declared
once, as a :class:`FieldSpec` -- text, number or choice, of a project or of an indicator,
filled by the coordinator (its value lives in the plan, is printed locked on the forms
and is part of what the fingerprint covers) or by the department (an input of the form,
validated as it is typed and again by ``kpibook check``) -- and every step (forms, 記入要領,
check, master, report, export) works from the declaration, with no code per field.

A template's fields apply to every plan that uses it; a plan's fields with the same key
replace them, others are added after them (:func:`declared_fields`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from kpibook.message import Message
from kpibook.model import EXCEL_CELL_MAX, Label, Model, Text
from kpibook.scheme import Mark

if TYPE_CHECKING:
    from kpibook.entries import ProjectEntry
    from kpibook.plan import Indicator, Issue, Plan, Project

FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
"""A field's key: lower-case ASCII letters, digits and ``_``, starting with a letter (it
names the form's cells, ``kpi.<project>.f_<key>``, and the export's columns)."""

FieldKind = Literal["text", "number", "choice"]
FilledBy = Literal["coordinator", "department"]
FieldOf = Literal["project", "indicator"]


def _field_data(v: Any) -> Any:
    """A value as the plan or an entry gives it: text, or a number (kept exact)."""
    if isinstance(v, bool):
        raise ValueError("a field's value is a text or a number, not true/false")
    if isinstance(v, int | float):
        return Decimal(str(v))
    return v


FieldData = Annotated[str | Decimal, BeforeValidator(_field_data)]
"""A field's value: its text (text and choice fields) or its number (number fields)."""
FieldValues = dict[FieldKey, FieldData]
"""Values of fields by key, as a project, an indicator or an entry holds them."""


_KIND_NAMES = {"text": "文字", "number": "数値", "choice": "選択"}
_SETTING_NAMES = {
    "choices": "選択肢",
    "max_length": "最大文字数",
    "decimals": "小数桁数",
    "minimum": "最小値",
    "maximum": "最大値",
    "unit": "単位",
}
"""The plan workbook's names (追加項目) of a declaration's settings, for its messages."""


def _invalid(ja: str, en: str) -> ValueError:
    from kpibook.errors import MessageValueError

    return MessageValueError(Message(ja=ja, en=en))


class FieldSpec(Model):
    """One extra field of every project, or of every indicator, of a plan."""

    key: FieldKey = Field(description="Stable key, e.g. source; names cells and columns.")
    label: Label = Field(description="The label as printed, e.g. 出典.")
    kind: FieldKind = Field(default="text", description="'text', 'number' or 'choice'.")
    of: FieldOf = Field(
        default="project", description="'project': one per project; 'indicator': one each."
    )
    filled_by: FilledBy = Field(
        default="coordinator",
        description="'coordinator': the plan gives the value, printed locked on the forms; "
        "'department': an input of the form.",
    )
    choices: list[Label] = Field(
        default_factory=list, description="The choices of a choice field, in order."
    )
    max_length: int | None = Field(
        default=None,
        ge=1,
        le=EXCEL_CELL_MAX,
        description="Longest text accepted (text fields; a department's default 200).",
    )
    decimals: int | None = Field(
        default=None,
        ge=0,
        le=6,
        description="Decimal places accepted and printed (number fields; 0: whole numbers).",
    )
    minimum: Decimal | None = Field(default=None, description="Smallest number accepted.")
    maximum: Decimal | None = Field(default=None, description="Largest number accepted.")
    unit: Label | None = Field(default=None, description="Printed after a number, e.g. 位.")
    help: Text | None = Field(
        default=None, description="What to write: the 記入要領 and the cell's input message."
    )
    required: bool | list[Mark] = Field(
        default=False,
        description="true: always; false: never; a list of grades: when the department's "
        "own grade of the project is one of them (e.g. [△, ×]).",
    )

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Self:
        wrong = []
        if self.kind != "choice" and self.choices:
            wrong.append("choices")
        if self.kind != "text" and self.max_length is not None:
            wrong.append("max_length")
        if self.kind != "number":
            wrong += [
                n
                for n in ("decimals", "minimum", "maximum", "unit")
                if getattr(self, n) is not None
            ]
        if wrong:
            names = "・".join(_SETTING_NAMES[w] for w in wrong)
            raise _invalid(
                f"{names} は{_KIND_NAMES[self.kind]}の項目には使えません",
                f"{', '.join(wrong)} do not apply to a {self.kind} field",
            )
        if self.kind == "choice":
            if not self.choices:
                raise _invalid("選択の項目には選択肢が必要です", "a choice field needs its choices")
            if len(set(self.choices)) != len(self.choices):
                raise _invalid("同じ選択肢が2回あります", "a choice is listed twice")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise _invalid("最小値が最大値より大きくなっています", "minimum is larger than maximum")
        if self.filled_by == "coordinator" and isinstance(self.required, list):
            raise _invalid(
                "計画で記入する項目は、評価によって必須にはできません（常に必須か任意）",
                "a coordinator's field is required always or never, not for some grades "
                "(the grade is the department's)",
            )
        return self

    @property
    def longest(self) -> int:
        """The longest text accepted (choices: the longest choice)."""
        if self.kind == "choice":
            return max(len(c) for c in self.choices)
        if self.kind == "number":
            return 20
        if self.max_length is not None:
            return self.max_length
        return DEFAULT_MAX_LENGTH if self.filled_by == "department" else EXCEL_CELL_MAX

    def required_for(self) -> tuple[str, ...]:
        """The department's own grades that make the field required."""
        return tuple(self.required) if isinstance(self.required, list) else ()

    def display(self, value: str | Decimal | None) -> str:
        """The value as printed: a number with the declared places and unit."""
        if value is None:
            return ""
        if isinstance(value, Decimal):
            if self.decimals is not None:
                value = value.quantize(Decimal(1).scaleb(-self.decimals))
            text = f"{value:,f}"  # never 1E+1
            if self.decimals is None and "." in text:
                text = text.rstrip("0").rstrip(".")
            return f"{text}{self.unit or ''}"
        return value


DEFAULT_MAX_LENGTH = 200
"""Longest text a department's text field accepts when the declaration does not say."""


def declared_fields(
    template_fields: list[FieldSpec], plan_fields: list[FieldSpec]
) -> list[FieldSpec]:
    """The fields a plan asks for: its template's, each replaced by the plan's field of
    the same key, then the plan's other fields."""
    own = {f.key: f for f in plan_fields}
    merged = [own.pop(f.key, f) for f in template_fields]
    return [*merged, *own.values()]


def plan_fields(plan: Plan, template_fields: list[FieldSpec]) -> list[FieldSpec]:
    """The fields of ``plan`` with its template's (:func:`declared_fields`); a
    :class:`~kpibook.plan.PlanIntegrityError` when a value of the plan does not fit them
    (the plan alone checked the values of its own fields when it was loaded)."""
    if not template_fields and plan.field_keys_used <= {(f.of, f.key) for f in plan.fields}:
        return plan.fields  # the plan checked its values against these when it was loaded
    # Checked once per plan and template: every form and every report card asks.
    key = "\n".join(f.model_dump_json() for f in template_fields)
    checked = plan.fields_with_template
    if key not in checked:
        from kpibook.plan import PlanIntegrityError

        fields = declared_fields(template_fields, plan.fields)
        problems = list(field_problems(plan, fields))
        if problems:
            raise PlanIntegrityError(problems)
        checked[key] = fields
    return checked[key]


def of_projects(fields: list[FieldSpec]) -> list[FieldSpec]:
    return [f for f in fields if f.of == "project"]


def of_indicators(fields: list[FieldSpec]) -> list[FieldSpec]:
    return [f for f in fields if f.of == "indicator"]


def as_number(raw: str | Decimal) -> Decimal | None:
    """A number given as a number or as its text (half-width, commas allowed)."""
    if isinstance(raw, Decimal):
        return raw
    try:
        number = Decimal(raw.strip().replace(",", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def value_problem(spec: FieldSpec, value: str | Decimal) -> Message | None:
    """What is wrong with ``value`` for ``spec``; None when it fits."""
    if spec.kind == "number":
        number = as_number(value)
        if number is None:
            return Message(
                ja=f"「{spec.label}」は数値です（{value}）",
                en=f"{spec.label} is a number, not {value!r}",
            )
        return number_problem(spec, number)
    if isinstance(value, Decimal):
        return Message(
            ja=f"「{spec.label}」は文字で書いてください（{value}）",
            en=f"{spec.label} is a text, not the number {value}",
        )
    if spec.kind == "choice" and value not in spec.choices:
        return Message(
            ja=f"「{value}」は「{spec.label}」の選択肢（{'・'.join(spec.choices)}）にありません",
            en=f"{value!r} is not one of the choices of {spec.label} {spec.choices}",
        )
    if spec.kind == "text" and len(value) > spec.longest:
        return Message(
            ja=f"「{spec.label}」は{spec.longest}字以内です（{len(value)}字）",
            en=f"{spec.label} is at most {spec.longest} characters ({len(value)})",
        )
    return None


def number_problem(spec: FieldSpec, number: Decimal) -> Message | None:
    """A number outside the declared places or range."""
    places = max(0, -number.normalize().as_tuple().exponent)  # type: ignore[operator]
    if spec.decimals is not None and places > spec.decimals:
        what = "整数" if spec.decimals == 0 else f"小数第{spec.decimals}位まで"
        return Message(
            ja=f"「{spec.label}」は{what}です（{number}）",
            en=f"{spec.label} takes {spec.decimals} decimal places at most, not {number}",
        )
    low, high = spec.minimum, spec.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        shown = f"{'' if low is None else low}～{'' if high is None else high}"
        return Message(
            ja=f"「{spec.label}」の範囲（{shown}）の外です（{number}）",
            en=f"{spec.label} {number} is outside {shown}",
        )
    return None


def field_problems(plan: Plan, fields: list[FieldSpec], complete: bool = True) -> Iterator[Issue]:
    """Where the plan's values of coordinator fields do not fit ``fields``: unknown keys
    (when ``fields`` is ``complete``, i.e. the template's are in it), values a department
    fills, values of the wrong kind, required values missing; and grades a field is
    required for that the scale does not have."""
    by_key = {f.key: f for f in fields}
    grades = plan.grading.grades
    for n, spec in enumerate(plan.fields):
        for k, grade in enumerate(spec.required_for()):
            if grade not in grades:
                yield (
                    ("fields", n, "required", k),
                    Message(
                        ja=f"「{grade}」は評価（{'・'.join(grades)}）にありません",
                        en=f"{grade!r} is not one of the grades {grades}",
                    ),
                )
    for n, project in enumerate(plan.projects):
        here: tuple[str | int, ...] = ("projects", n)
        yield from _values_problems(here, project.fields, by_key, "project", complete)
        for m, ind in enumerate(project.indicators):
            yield from _values_problems(
                (*here, "indicators", m), ind.fields, by_key, "indicator", complete
            )


def _values_problems(
    here: tuple[str | int, ...],
    values: FieldValues,
    by_key: dict[str, FieldSpec],
    of: FieldOf,
    complete: bool,
) -> Iterator[Issue]:
    what = "事業" if of == "project" else "指標"
    for key, value in values.items():
        loc = (*here, "fields", key)
        spec = by_key.get(key)
        if spec is None and not complete:
            continue  # a field of the template, checked with it
        if spec is None:
            yield (
                loc,
                Message(
                    ja=f"{what}の項目「{key}」は宣言されていません"
                    "（追加項目（fields）に宣言してください）",
                    en=f"no {of} field {key!r} is declared (add it to fields, 追加項目)",
                ),
            )
        elif spec.of != of:  # e.g. 追加項目の値 with or without the 指標ID it needs
            theirs, hint = (
                ("指標", "指標ごとに書きます。計画ブックでは指標IDを記入")
                if spec.of == "indicator"
                else ("事業", "事業ごとに書きます。計画ブックでは指標IDを空欄に")
            )
            yield (
                loc,
                Message(
                    ja=f"「{spec.label}」（{key}）は{theirs}の項目です（{hint}）",
                    en=f"{spec.label} ({key}) is a field of each {spec.of}, not of the {of}",
                ),
            )
        elif spec.filled_by == "department":
            yield (
                loc,
                Message(
                    ja=f"「{spec.label}」は担当課が記入する項目です（計画には書けません）",
                    en=f"{spec.label} ({key}) is filled by the department, not in the plan",
                ),
            )
        elif (problem := value_problem(spec, value)) is not None:
            yield (loc, problem)
    for spec in by_key.values():
        if (
            spec.of == of
            and spec.filled_by == "coordinator"
            and spec.required is True
            and spec.key not in values
        ):
            yield (
                (*here, "fields"),
                Message(
                    ja=f"{what}の「{spec.label}」が必須ですが、ありません",
                    en=f"the required {of} field {spec.label} ({spec.key}) is missing",
                ),
            )


def coordinator_values(spec: FieldSpec, values: FieldValues) -> str | Decimal | None:
    """A coordinator field's value as the plan gives it, numbers as numbers."""
    value = values.get(spec.key)
    if value is None:
        return None
    return as_number(value) if spec.kind == "number" else value


def field_value(
    spec: FieldSpec, project: Project, indicator: Indicator | None, entry: ProjectEntry | None
) -> str | Decimal | None:
    """A field's value for a project (or one of its indicators): the plan's when the
    coordinator fills it, the department's entry when the department does.  None for an
    indicator field of a row without an indicator, and for a value not given."""
    if spec.of == "indicator" and indicator is None:
        return None
    if spec.filled_by == "coordinator":
        held = project.fields if spec.of == "project" else indicator.fields  # type: ignore[union-attr]
        return coordinator_values(spec, held)
    if entry is None:
        return None
    if spec.of == "project":
        return entry.fields.get(spec.key)
    assert indicator is not None
    return entry.indicator_fields.get(indicator.id, {}).get(spec.key)
