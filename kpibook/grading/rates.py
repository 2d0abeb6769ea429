"""The rate (達成率) of an indicator: its formula, declared once.

Each rate method and direction has one :class:`Formula`.  Grading computes the rate
with it, and the 記入要領 of every form and the master's legend print its text, so
what a department is told is what kpibook computes (a lower-is-better indicator reads
目標値 ÷ 実績値, never 実績値 ÷ 目標値).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from kpibook.plan import Direction, GradingScheme, Indicator
from kpibook.scheme import RateMethod, RateRounding, Rounding

RATE_NAME = "達成率"


class Term(StrEnum):
    """A quantity a formula uses, by the word the forms print for it."""

    ACTUAL = "実績値"
    TARGET = "目標値"
    BASELINE = "基準値"


CUMULATIVE_ACTUAL = "{actual}の累計"
"""How the actual is named for a cumulative (累計) indicator."""

Words = Mapping[Term, str]
"""The plan's own words for the terms (期待値 for 目標値); a term not given keeps its
own."""


def own_words(actual: str, target: str) -> Words:
    """The words of a plan that says, say, 実績 and 期待値."""
    return {Term.ACTUAL: actual, Term.TARGET: target}


def _words(words: Words | None) -> dict[Term, str]:
    return {t: (words or {}).get(t, t.value) for t in Term}


@dataclass(frozen=True)
class Difference:
    """``minuend`` − ``subtrahend``, or ``minuend`` alone."""

    minuend: Term
    subtrahend: Term | None = None

    def value(self, values: Mapping[Term, Decimal]) -> Decimal:
        if self.subtrahend is None:
            return values[self.minuend]
        return values[self.minuend] - values[self.subtrahend]

    def text(self, words: Mapping[Term, str]) -> str:
        if self.subtrahend is None:
            return words[self.minuend]
        return f"（{words[self.minuend]} − {words[self.subtrahend]}）"


@dataclass(frozen=True)
class Formula:
    """rate = numerator ÷ denominator × 100, in percent."""

    numerator: Difference
    denominator: Difference

    def rate(self, values: Mapping[Term, Decimal]) -> Decimal:
        """The exact rate (28 significant digits); the caller has excluded a zero
        denominator."""
        with localcontext() as ctx:
            ctx.prec = 28
            return self.numerator.value(values) / self.denominator.value(values) * 100

    def text(self, cumulative: bool = False, own: Words | None = None) -> str:
        """The right-hand side as printed: ``目標値 ÷ 実績値 × 100``."""
        words = _words(own)
        if cumulative:
            words[Term.ACTUAL] = CUMULATIVE_ACTUAL.format(actual=words[Term.ACTUAL])
        return f"{self.numerator.text(words)} ÷ {self.denominator.text(words)} × 100"

    @property
    def terms(self) -> set[Term]:
        return {
            t
            for d in (self.numerator, self.denominator)
            for t in (d.minuend, d.subtrahend)
            if t is not None
        }


A, T, B = Term.ACTUAL, Term.TARGET, Term.BASELINE
FORMULAS: dict[tuple[RateMethod, Direction], Formula] = {
    (RateMethod.RATIO, Direction.HIGHER): Formula(Difference(A), Difference(T)),
    (RateMethod.RATIO, Direction.LOWER): Formula(Difference(T), Difference(A)),
    (RateMethod.PROGRESS, Direction.HIGHER): Formula(Difference(A, B), Difference(T, B)),
    (RateMethod.PROGRESS, Direction.LOWER): Formula(Difference(B, A), Difference(B, T)),
}
"""The one definition of every rate kpibook computes."""


def method_of(indicator: Indicator, scheme: GradingScheme) -> RateMethod:
    """The indicator's own method, or the plan's."""
    return indicator.rate_method or scheme.rate_method


def formula_of(indicator: Indicator, scheme: GradingScheme) -> Formula:
    return FORMULAS[(method_of(indicator, scheme), indicator.direction)]


def formula_text(
    indicator: Indicator, scheme: GradingScheme, name: str = RATE_NAME, words: Words | None = None
) -> str:
    """``達成率 = 目標値 ÷ 実績値 × 100``: how the indicator's rate is computed."""
    return f"{name} = {formula_of(indicator, scheme).text(indicator.cumulative, words)}"


def formula_lines(
    indicators: Iterable[Indicator],
    scheme: GradingScheme,
    name: str = RATE_NAME,
    words: Words | None = None,
) -> list[str]:
    """The formulas used by ``indicators``, one line each; when they differ, each line
    names its indicators (at most five, then how many more).  ``name`` is what the rate
    is called (達成率, 進捗率)."""
    groups: dict[str, dict[str, None]] = {}  # each formula's labels, each once, in order
    for indicator in indicators:
        text = formula_text(indicator, scheme, name, words)
        groups.setdefault(text, {})[indicator.label] = None
    if len(groups) <= 1:
        default = FORMULAS[(scheme.rate_method, Direction.HIGHER)].text(own=words)
        return list(groups) or [f"{name} = {default}"]
    lines = []
    for text, labels in groups.items():
        names = list(labels)
        shown = "、".join(names[:5]) + (f" ほか{len(names) - 5}指標" if len(names) > 5 else "")
        lines.append(f"{text}（{shown}）")
    return lines


def terms_note(
    indicators: Iterable[Indicator],
    scheme: GradingScheme,
    fallback: bool,
    words: Words | None = None,
) -> str:
    """What the words of the formulas mean, for the indicators given."""
    listed = list(indicators)
    # the terms of each formula used, not of each indicator (a set each, all at once: 22
    # MiB for a national plan)
    formulas = {formula_of(i, scheme) for i in listed}
    used = set().union(*(f.terms for f in formulas)) if listed else {A, T}
    w = _words(words)
    actual, target_word = w[A], w[T]
    parts = [f"{actual}は報告年度の{actual}"]
    if any(i.data_lag for i in listed):
        parts[0] += f"（公表が遅れる指標は、{actual}のある最新の年度の値）"
    target = f"{target_word}はその年度の{target_word}" + (
        "（ない場合は最終目標）" if fallback else ""
    )
    parts.append(target)
    if B in used:
        parts.append("基準値は指標の基準値（策定時の値）")
    if any(i.cumulative for i in listed):
        parts.append(
            f"{actual}の累計は、基準年度の翌年度（基準年度がなければ計画の初年度）から"
            f"その年度までの各年度の{actual}の合計"
        )
    return "。".join(parts) + "。"


def shown_rate(rate: Decimal, rounding: RateRounding) -> Decimal:
    """The rate as the plan prints it: rounded half up (81.65 → 81.7) or truncated
    toward zero (56.25 → 56.2) to the plan's places."""
    mode = ROUND_HALF_UP if rounding.method is Rounding.HALF_UP else ROUND_DOWN
    return rate.quantize(Decimal(1).scaleb(-rounding.places), rounding=mode)
