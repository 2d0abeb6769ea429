"""What a department form contains, independent of where the cells go.

* **Names**: every input cell has a workbook-level defined name (``kpi.<project>.<field>``,
  ``kpi.<project>.<indicator>.actual``); prefilled values have names too, so a reader finds
  them after rows are inserted and can check them against the plan.  ``docs/
  workbook-format.md`` documents the scheme.
* **Stamp**: plan, fiscal year, department, form version and a fingerprint of everything
  prefilled, kept on a hidden sheet.
* **Inputs**: one :class:`InputSpec` per kind of input; the same object gives the cell's
  data validation and the line of the instructions sheet (記入要領), so they cannot
  disagree.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kpibook.fiscal import FiscalYear
from kpibook.plan import Indicator, Plan, Project
from kpibook.template import FormTemplate
from kpibook.values import Value, ValueKind

FORM_FORMAT = "kpibook-form"
FORM_VERSION = 1
"""Bumped when the names or the stamp change meaning."""
STAMP_SHEET = "_kpibook"
STAMP_NAME = "kpibook.stamp"
LABELS_NAME = "kpibook.labels"
"""Range beside the stamp listing (sheet, cell, text) of every locked text of the form."""
NAME_PREFIX = "kpi"
STATE_PENDING = "集計中"
STATE_NOT_APPLICABLE = "該当なし"
STATES = (STATE_PENDING, STATE_NOT_APPLICABLE)
"""Choices of the 実績の状況 cell; mean ValueKind.PENDING and NOT_APPLICABLE."""
STATE_KINDS = {STATE_PENDING: ValueKind.PENDING, STATE_NOT_APPLICABLE: ValueKind.NOT_APPLICABLE}
INLINE_LIST_LIMIT = 255
"""Excel refuses an inline dropdown list longer than this (joined with commas)."""


# -- names --------------------------------------------------------------------------------


def encode_id(identifier: str) -> str:
    """An id as a defined-name part: ``_`` → ``__``, ``-`` → ``_0`` (injective)."""
    return identifier.replace("_", "__").replace("-", "_0")


def project_name(project: str, field: str) -> str:
    """``kpi.p01.activity_report``"""
    return f"{NAME_PREFIX}.{encode_id(project)}.{field}"


def indicator_name(project: str, indicator: str, part: str) -> str:
    """``kpi.p01.p01_01.actual`` (input), ``.state`` (input), ``.t2019`` / ``.final`` /
    ``.a2018`` (prefilled target, final target, past actual)."""
    return f"{NAME_PREFIX}.{encode_id(project)}.{encode_id(indicator)}.{part}"


# -- stamp --------------------------------------------------------------------------------


class Stamp(BaseModel):
    """Identifies a form; written on the hidden sheet, read back by ``kpibook check``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["kpibook-form"] = Field(description="Marks the workbook as a kpibook form.")
    form_version: int = Field(description="Version of the name and stamp scheme.")
    plan: str = Field(description="Plan id.")
    fiscal_year: FiscalYear = Field(description="The report year.")
    department: str = Field(description="The department the form is for.")
    fingerprint: str = Field(description="SHA-256 of everything prefilled in this form.")
    generator: str = Field(description="kpibook version that wrote the form.")

    def rows(self) -> list[tuple[str, str]]:
        return [(k, str(v)) for k, v in self.model_dump().items()]


def fingerprint(
    plan: Plan, department: str, template: FormTemplate, projects: list[Project]
) -> str:
    """SHA-256 over what the form prefills: any change to it gives another fingerprint."""
    content = {
        **_shared_content(plan, template),
        "department": department,
        "projects": [p.model_dump(mode="json") for p in projects],
    }
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


_SHARED: tuple[Plan, FormTemplate, dict[str, Any]] | None = None


def _shared_content(plan: Plan, template: FormTemplate) -> dict[str, Any]:
    """The part of a fingerprint every department's form shares, dumped once per plan
    and template (both are immutable; 1,741 forms would dump it 1,741 times)."""
    global _SHARED
    if _SHARED is not None and _SHARED[0] is plan and _SHARED[1] is template:
        return _SHARED[2]
    content = {
        "plan": plan.id,
        "title": plan.title,
        "report_year": plan.report_year,
        "period": plan.period.model_dump(),
        "grading": plan.grading.model_dump(mode="json"),
        "sections": [
            [n.model_dump(mode="json", exclude={"children"}) for n in path.nodes]
            for path in plan.iter_sections()
        ],
        "template": template.model_dump(mode="json"),
    }
    _SHARED = (plan, template, content)
    return content


# -- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputSpec:
    """One kind of input: its validation and its line in the instructions."""

    kind: Literal["number", "state", "grade", "text"]
    title: str
    """What the cell is (Japanese, ≤ 32 characters for Excel's input-message title)."""
    rule: str
    """What is accepted, in Japanese (the instructions sheet and the input message)."""
    validation: dict[str, Any]
    required: bool

    def options(self) -> dict[str, Any]:
        """xlsxwriter data_validation options with Japanese input message and alert."""
        return {
            **self.validation,
            "input_title": clip_utf16(self.title, 32),
            "input_message": clip_utf16(self.rule, 255),
            "error_title": "入力できない値です",
            "error_message": clip_utf16(f"{self.title}: {self.rule}", 255),
            "error_type": "stop",
            "ignore_blank": True,
        }


def clip_utf16(text: str, limit: int) -> str:
    """At most ``limit`` UTF-16 code units: how Excel counts its message limits, so a
    character outside the BMP (𠮷) counts twice."""
    if len(text.encode("utf-16-le")) <= 2 * limit:
        return text
    out, used = "", 0
    for ch in text:
        units = 2 if ord(ch) > 0xFFFF else 1
        if used + units > limit:
            break
        out += ch
        used += units
    return out


def is_whole(indicator: Indicator) -> bool:
    """Whole numbers only: decimals set to 0, or every plan value whole and not a percent."""
    if indicator.decimals is not None:
        return indicator.decimals == 0
    if indicator.unit == "%":
        return False
    numbers = [
        v.number
        for v in [*indicator.targets.values(), *indicator.actuals.values(), indicator.final_target]
        if v.kind is ValueKind.NUMBER and v.number is not None
    ]
    return all(n == n.to_integral_value() for n in numbers)


def number_spec(indicator: Indicator, year_label: str) -> InputSpec:
    """The report-year actual: a number in a sensible range, no text, no units."""
    unit = indicator.unit or ""
    numbers = [
        v.number
        for v in [*indicator.targets.values(), *indicator.actuals.values(), indicator.final_target]
        if v.kind is ValueKind.NUMBER and v.number is not None
    ]
    # Wide enough for any real figure, narrow enough to stop a slip of several zeros.
    largest = max(numbers, default=Decimal(0))
    if unit == "%":
        upper = max(Decimal(100), largest * 2)
    elif largest > 0:
        upper = max(Decimal(1000), largest * 100)
    else:
        upper = Decimal(10) ** 12
    lower = min([Decimal(0), *numbers])
    whole = is_whole(indicator)
    what = "整数" if whole else "数値（小数可）"
    rule = (
        f"{what}を半角で入力（単位「{unit}」は付けない）。" if unit else f"{what}を半角で入力。"
    ) + f"範囲 {_plain(lower)}～{_plain(upper)}。集計中・該当なしは右の「実績の状況」で選択。"
    return InputSpec(
        kind="number",
        title=f"{year_label} 実績値（{indicator.label}）",
        rule=rule,
        validation={
            "validate": "integer" if whole else "decimal",
            "criteria": "between",
            "minimum": float(lower),
            "maximum": float(upper),
        },
        required=True,
    )


def _plain(d: Decimal) -> str:
    return f"{int(d):,}" if d == d.to_integral_value() else f"{d:,}"


def state_spec() -> InputSpec:
    return InputSpec(
        kind="state",
        title="実績の状況",
        rule=f"実績値がまだ出ていないときは「{STATE_PENDING}」、該当しないときは"
        f"「{STATE_NOT_APPLICABLE}」を選択。実績値を記入したときは空欄。",
        validation={"validate": "list", "source": list(STATES)},
        required=False,
    )


def grade_spec(plan: Plan, title: str, help_text: str, required: bool) -> InputSpec:
    bands = plan.grading.bands
    scale = "、".join(
        f"{b.grade}（{b.label}・達成率{_plain(b.min_rate)}%以上）"
        if b.min_rate > 0
        else f"{b.grade}（{b.label}）"
        for b in bands
    )
    return InputSpec(
        kind="grade",
        title=title,
        rule=f"{help_text} 選択肢: {scale}",
        validation={"validate": "list", "source": [b.grade for b in bands]},
        required=required,
    )


def text_spec(title: str, help_text: str, max_length: int, required: bool) -> InputSpec:
    return InputSpec(
        kind="text",
        title=title,
        rule=f"{help_text}（{max_length}字以内）",
        validation={"validate": "length", "criteria": "<=", "value": max_length},
        required=required,
    )


def list_fits_inline(choices: list[str]) -> bool:
    return len(",".join(choices)) <= INLINE_LIST_LIMIT


def number_format(ind: Indicator) -> str:
    """Excel number format showing the value with its unit: ``#,##0"人"``."""
    if ind.decimals is not None and ind.decimals > 0:
        base = "#,##0." + "0" * ind.decimals
    elif is_whole(ind):
        base = "#,##0"
    else:
        base = "General"
    unit = ind.unit or ""
    return base + (f'"{unit}"' if unit and '"' not in unit else "")


NO_VALUE = "－"


def prefilled_cell(value: Value | None) -> Decimal | str:
    """What a prefilled target or actual holds in the form: its number, or its state as
    text (増加, 集計中, －); no value at all shows as －, even when it carries a note."""
    if value is None or value.kind is ValueKind.EMPTY:
        return NO_VALUE
    if value.kind is ValueKind.NUMBER:
        assert value.number is not None
        return value.number
    return value.display()
