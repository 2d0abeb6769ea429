"""What each input of a form accepts: the one definition of its validation.

An :class:`InputSpec` gives the cell's data validation (which Excel and LibreOffice
enforce as the department types) and its line on the instructions sheet (記入要領), so
they cannot disagree; ``kpibook check`` enforces the same rules on what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from kpibook.fields import FieldSpec
from kpibook.plan import Indicator, Plan
from kpibook.scheme import EvaluationRule, SectionEvaluation
from kpibook.template import Terms
from kpibook.values import STATUS_TEXT, ActualStatus, Value, ValueKind

STATE_PENDING = "集計中"
STATE_NOT_APPLICABLE = "該当なし"
STATES = (STATE_PENDING, STATE_NOT_APPLICABLE)
"""Choices of the 実績の状況 cell; mean ValueKind.PENDING and NOT_APPLICABLE."""
STATE_KINDS = {STATE_PENDING: ValueKind.PENDING, STATE_NOT_APPLICABLE: ValueKind.NOT_APPLICABLE}
STATE_PRELIMINARY = STATUS_TEXT[ActualStatus.PRELIMINARY]
"""A third choice of 実績の状況 where the plan allows it (form version 3): the number
given is a 速報値."""
NO_VALUE = "－"
"""What a prefilled target or actual cell shows when the plan has no value."""


@dataclass(frozen=True)
class InputSpec:
    """One kind of input: its validation and its line in the instructions."""

    kind: Literal["number", "state", "grade", "text", "choice"]
    title: str
    """What the cell is (Japanese, ≤ 32 characters for Excel's input-message title)."""
    rule: str
    """What is accepted, in Japanese (the instructions sheet and the input message)."""
    validation: dict[str, Any]
    required: bool
    required_for: tuple[str, ...] = ()
    """The department's own grades that make an input not otherwise required required
    (評価の説明 below the top grade)."""

    def requirement(self) -> str:
        """（必須）, （評価がB・Cのとき必須） or （任意）, as the 記入要領 says it."""
        if self.required:
            return "（必須）"
        if self.required_for:
            return f"（評価が{'・'.join(self.required_for)}のとき必須）"
        return "（任意）"

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


def is_whole(indicator: Indicator, numbers: list[Decimal] | None = None) -> bool:
    """Whole numbers only: decimals set to 0, or every plan value whole and not a percent
    (``numbers``: the indicator's :func:`plan_numbers`, when the caller has them)."""
    if indicator.decimals is not None:
        return indicator.decimals == 0
    if indicator.unit == "%":
        return False
    numbers = plan_numbers(indicator) if numbers is None else numbers
    return all(n == n.to_integral_value() for n in numbers)


def plan_numbers(indicator: Indicator) -> list[Decimal]:
    """Every number the plan gives the indicator: targets (the original ones too), the
    final target, past actuals and the baseline."""
    values = [
        *indicator.targets.values(),
        *indicator.original_targets.values(),
        *indicator.actuals.values(),
        indicator.final_target,
        indicator.original_final_target,
        indicator.baseline,
    ]
    return [v.number for v in values if v.kind is ValueKind.NUMBER and v.number is not None]


def number_spec(indicator: Indicator, year_label: str, terms: Terms | None = None) -> InputSpec:
    """The report-year actual: a number in a sensible range, no text, no units."""
    terms = terms or Terms()
    unit = indicator.unit or ""
    numbers = plan_numbers(indicator)
    # Wide enough for any real figure, narrow enough to stop a slip of several zeros.
    largest = max(numbers, default=Decimal(0))
    if unit == "%":
        upper = max(Decimal(100), largest * 2)
    elif largest > 0:
        upper = max(Decimal(1000), largest * 100)
    else:
        upper = Decimal(10) ** 12
    lower = min([Decimal(0), *numbers])
    whole = is_whole(indicator, numbers)
    what = "整数" if whole else "数値（小数可）"
    rule = (
        f"{what}を半角で入力（単位「{unit}」は付けない）。" if unit else f"{what}を半角で入力。"
    ) + f"範囲 {_plain(lower)}～{_plain(upper)}。集計中・該当なしは右の「実績の状況」で選択。"
    if indicator.data_lag:
        rule += (
            f"公表が遅れる{terms.indicator}のため、未公表なら空欄で構いません"
            "（実績のある最新の年度で評価）。"
        )
    return InputSpec(
        kind="number",
        title=f"{year_label} {terms.actual}（{indicator.label}）",
        rule=rule,
        validation={
            "validate": "integer" if whole else "decimal",
            "criteria": "between",
            "minimum": float(lower),
            "maximum": float(upper),
        },
        required=not indicator.data_lag,
    )


def _plain(d: Decimal) -> str:
    return f"{int(d):,}" if d == d.to_integral_value() else f"{d:,}"


def state_spec(preliminary: bool = False, terms: Terms | None = None) -> InputSpec:
    """実績の状況; with ``preliminary`` (the plan allows a 速報値) it offers 速報値 too."""
    actual = (terms or Terms()).actual
    rule = (
        f"{actual}がまだ出ていないときは「{STATE_PENDING}」、該当しないときは"
        f"「{STATE_NOT_APPLICABLE}」を選択。{actual}を記入したときは空欄。"
    )
    choices = list(STATES)
    if preliminary:
        rule = rule.removesuffix(f"{actual}を記入したときは空欄。") + (
            f"記入した{actual}が速報値なら「{STATE_PRELIMINARY}」、確定値なら空欄。"
        )
        choices.append(STATE_PRELIMINARY)
    return InputSpec(
        kind="state",
        title="実績の状況",
        rule=rule,
        validation={"validate": "list", "source": choices},
        required=False,
    )


def owner_choice(terms: Terms) -> str:
    """How a level only the department chooses (着手済) is described beside its label:
    担当課が判断."""
    return f"{terms.department}が判断"


def grade_spec(
    plan: Plan, title: str, help_text: str, required: bool, terms: Terms | None = None
) -> InputSpec:
    """The department's own grade: any level of the scale, those only it chooses too."""
    scheme = plan.grading
    owner = owner_choice(terms or Terms())
    scale = "、".join(
        [
            *(
                f"{b.grade}（{b.label}・達成率{_plain(b.min_rate)}%以上）"
                if b.min_rate > 0
                else f"{b.grade}（{b.label}）"
                for b in scheme.bands
            ),
            *(f"{o.grade}（{o.label}・{owner}）" for o in scheme.owner_levels),
        ]
    )
    return InputSpec(
        kind="grade",
        title=title,
        rule=f"{help_text} 選択肢: {scale}",
        validation={"validate": "list", "source": scheme.grades},
        required=required,
    )


def section_grade_spec(
    plan: Plan, evaluation: SectionEvaluation, title: str, terms: Terms | None = None
) -> InputSpec:
    """The owner's evaluation of a section: a level of that depth's scale."""
    scheme = plan.grading
    owner = owner_choice(terms or Terms())
    grades = scheme.scale_at(evaluation.depth).grades
    meaning = {b.grade: b.label for b in scheme.bands}
    meaning |= {o.grade: f"{o.label}・{owner}" for o in scheme.owner_levels}
    for other in sorted(scheme.evaluations, key=lambda e: -e.depth):
        meaning |= {b.grade: b.label for b in other.bands}
        meaning |= {o.grade: o.label for o in other.owner_levels}
    meaning |= {b.grade: b.label for b in evaluation.bands}
    meaning |= {o.grade: o.label for o in evaluation.owner_levels}
    choices = "、".join(f"{g}（{meaning[g]}）" if g in meaning else g for g in grades)
    computed = "" if evaluation.rule is EvaluationRule.OWNER else "計算上の評価とは別に、"
    return InputSpec(
        kind="grade",
        title=title,
        rule=f"{computed}担当としての評価を選択。選択肢: {choices}",
        validation={"validate": "list", "source": list(grades)},
        required=True,
    )


def text_spec(
    title: str,
    help_text: str,
    max_length: int,
    required: bool,
    required_for: tuple[str, ...] = (),
) -> InputSpec:
    return InputSpec(
        kind="text",
        title=title,
        rule=f"{help_text}（{max_length}字以内）",
        validation={"validate": "length", "criteria": "<=", "value": max_length},
        required=required,
        required_for=required_for,
    )


FIELD_NUMBER_LIMIT = Decimal(10) ** 15
"""The range of a number field that declares none: what Excel holds exactly."""


def field_spec(spec: FieldSpec, title: str) -> InputSpec:
    """A custom field the department fills: its validation and its 記入要領 line, from
    its declaration (help text, kind, length, choices, places and range)."""
    help_text = spec.help or ""
    required = spec.required is True
    if spec.kind == "text":
        return text_spec(title, help_text, spec.longest, required, spec.required_for())
    if spec.kind == "choice":
        return InputSpec(
            kind="choice",
            title=title,
            rule=f"{help_text} 選択肢: {'、'.join(spec.choices)}".strip(),
            validation={"validate": "list", "source": list(spec.choices)},
            required=required,
            required_for=spec.required_for(),
        )
    whole = spec.decimals == 0
    low = spec.minimum if spec.minimum is not None else -FIELD_NUMBER_LIMIT
    high = spec.maximum if spec.maximum is not None else FIELD_NUMBER_LIMIT
    what = (
        "整数" if whole else "数値" + (f"（小数第{spec.decimals}位まで）" if spec.decimals else "")
    )
    unit = f"（単位「{spec.unit}」は付けない）" if spec.unit else ""
    bounds = ""
    if spec.minimum is not None or spec.maximum is not None:
        lo = "" if spec.minimum is None else _plain(spec.minimum)
        hi = "" if spec.maximum is None else _plain(spec.maximum)
        bounds = f"範囲 {lo}～{hi}。"
    return InputSpec(
        kind="number",
        title=title,
        rule=f"{help_text} {what}を半角で入力{unit}。{bounds}".strip(),
        validation={
            "validate": "integer" if whole else "decimal",
            "criteria": "between",
            "minimum": float(low),
            "maximum": float(high),
        },
        required=required,
        required_for=spec.required_for(),
    )


def prefilled_cell(value: Value | None) -> Decimal | str:
    """What a prefilled target or actual holds in the form: its number, or its state as
    text (増加, 集計中, －); no value at all shows as －, even when it carries a note."""
    if value is None or value.kind is ValueKind.EMPTY:
        return NO_VALUE
    if value.kind is ValueKind.NUMBER:
        assert value.number is not None
        return value.number
    return value.display()
