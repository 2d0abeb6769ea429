"""The rate: each method's formula, computed and printed from one definition, and how the
plan rounds it."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kpibook.forms import generate_forms
from kpibook.grading import NotGradable, grade_indicator
from kpibook.grading.rates import FORMULAS, formula_text, shown_rate
from kpibook.plan import Direction, GradingScheme, Indicator, Plan
from kpibook.scheme import RateMethod, RateRounding
from kpibook.values import Value

# A prefecture's five-level scale, the top at 100% or more.
SABCD = [
    {"grade": "S", "min_rate": 100, "label": "目標達成"},
    {"grade": "A", "min_rate": 80, "label": "順調"},
    {"grade": "B", "min_rate": 50, "label": "概ね順調"},
    {"grade": "C", "min_rate": 20, "label": "やや遅れ"},
    {"grade": "D", "min_rate": 0, "label": "遅れ"},
]
REPORT, END = 2023, 2024


def scheme(**kw: Any) -> GradingScheme:
    return GradingScheme.model_validate({"bands": SABCD, **kw})


def indicator(**kw: Any) -> Indicator:
    return Indicator.model_validate({"id": "k1", "label": "KPI", **kw})


def graded(ind: Indicator, actual: Any, **scheme_kw: Any) -> Any:
    return grade_indicator(ind, Value.of(actual), scheme(**scheme_kw), REPORT, END)


# -- progress from the baseline ------------------------------------------------------------


def test_progress_from_the_baseline_truncated_as_the_plan_prints_it() -> None:
    """A prefecture KPI: 2019 = 62.0% (策定時), target 2024 = 70.0%, 2023 = 66.5%."""
    kpi = indicator(unit="%", baseline=62.0, baseline_year=2019, targets={2024: 70.0})
    g = graded(kpi, 66.5, rate_method="progress", rounding={"method": "truncate"})
    assert g.method is RateMethod.PROGRESS
    assert g.target_source == "final"  # 2023 has no target: the 2024 one
    assert g.baseline == Value.of(62.0)
    assert g.rate == Decimal("56.25")  # (66.5 − 62.0) ÷ (70.0 − 62.0)
    assert g.rate_shown == Decimal("56.2")  # truncated; half up would print 56.3
    assert g.grade == "B"


def test_progress_when_lower_is_better() -> None:
    """待機児童数: 120 at the baseline, 0 by 2024, 45 in 2023 → (120 − 45) ÷ (120 − 0)."""
    kpi = indicator(direction="lower", baseline=120, targets={2024: 0}, rate_method="progress")
    g = graded(kpi, 45)
    assert (g.rate, g.rate_shown, g.grade) == (Decimal("62.5"), Decimal("62.5"), "B")
    assert graded(kpi, 0).grade == "S"  # (120 − 0) ÷ 120 = 100%


def test_progress_below_the_baseline_is_negative_and_the_lowest_grade() -> None:
    kpi = indicator(baseline=62.0, targets={2023: 70.0}, rate_method="progress")
    g = graded(kpi, 60.0)
    assert (g.rate, g.grade) == (Decimal(-25), "D")


def test_progress_measures_negative_quantities() -> None:
    """社会増減 (net migration): −300 at the baseline, 0 by 2024, −120 in 2023.  A ratio
    of negative numbers means nothing; progress from the baseline does."""
    kpi = indicator(baseline=-300, targets={2024: 0}, rate_method="progress")
    assert graded(kpi, -120).rate == Decimal(60)
    ratio = indicator(targets={2024: 0})
    assert graded(ratio, -120).not_gradable is NotGradable.NEGATIVE


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"targets": {2023: 70}}, NotGradable.NO_BASELINE),
        ({"targets": {2023: 62}, "baseline": 62}, NotGradable.BASELINE_TARGET),
        ({"targets": {2023: 60}, "baseline": 62}, NotGradable.BASELINE_TARGET),
        (
            {"targets": {2023: 60}, "baseline": 50, "direction": "lower"},
            NotGradable.BASELINE_TARGET,
        ),
    ],
)
def test_progress_without_a_way_forward_is_not_gradable(
    kw: dict[str, Any], why: NotGradable
) -> None:
    assert graded(indicator(rate_method="progress", **kw), 66).not_gradable is why


def test_an_indicator_may_use_another_method_than_the_plan() -> None:
    kpi = indicator(baseline=62.0, targets={2023: 70.0}, rate_method="ratio")
    assert graded(kpi, 66.5, rate_method="progress").rate == Decimal("95")
    assert graded(
        kpi.model_copy(update={"rate_method": None}), 66.5, rate_method="progress"
    ).rate == Decimal("56.25")


# -- rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "method", "places", "shown"),
    [
        ("56.25", "truncate", 1, "56.2"),
        ("56.25", "half_up", 1, "56.3"),
        ("81.65", "half_up", 1, "81.7"),
        ("99.99", "truncate", 1, "99.9"),
        ("99.99", "truncate", 0, "99"),
        ("-12.35", "truncate", 1, "-12.3"),  # toward zero
        ("33.3333", "half_up", 2, "33.33"),
    ],
)
def test_printed_rate(rate: str, method: str, places: int, shown: str) -> None:
    rounding = RateRounding.model_validate({"method": method, "places": places})
    assert shown_rate(Decimal(rate), rounding) == Decimal(shown)


def test_the_grade_follows_the_exact_rate_unless_the_plan_grades_what_it_prints() -> None:
    kpi = indicator(targets={2023: 2000})
    exact = graded(kpi, 1999, rounding={"places": 1})  # 99.95%
    assert (exact.rate_shown, exact.grade) == (Decimal("100.0"), "A")
    shown = graded(kpi, 1999, rounding={"places": 1, "grade_on": "shown"})
    assert (shown.rate_shown, shown.grade) == (Decimal("100.0"), "S")
    truncated = graded(kpi, 1999, rounding={"method": "truncate", "grade_on": "shown"})
    assert (truncated.rate_shown, truncated.grade) == (Decimal("99.9"), "A")


# -- the formula states what is computed ---------------------------------------------------

WORDS = {"実績値": "actual", "目標値": "target", "基準値": "baseline"}
SAMPLE = {"actual": Decimal("66.5"), "target": Decimal("70"), "baseline": Decimal("62")}
SAMPLE_LOWER = {"actual": Decimal(45), "target": Decimal(10), "baseline": Decimal(120)}


def evaluate(text: str, numbers: dict[str, Decimal]) -> Decimal:
    """The printed right-hand side, evaluated as written: what a clerk with a calculator
    would get."""
    expr = text
    for word, name in WORDS.items():
        expr = expr.replace(word, f"Decimal('{numbers[name]}')")
    for sign, op in {"÷": "/", "×": "*", "−": "-", "（": "(", "）": ")"}.items():
        expr = expr.replace(sign, op)
    assert re.fullmatch(r"[\sDecimal()'0-9.+\-*/]+", expr), expr
    # Only decimals, brackets and + - * / are left (checked above): safe to evaluate.
    return Decimal(eval(expr, {"Decimal": Decimal}))


@pytest.mark.parametrize(("method", "direction"), list(FORMULAS))
def test_each_formula_prints_what_grading_computes(
    method: RateMethod, direction: Direction
) -> None:
    numbers = SAMPLE if direction is Direction.HIGHER else SAMPLE_LOWER
    kpi = indicator(
        direction=direction.value,
        rate_method=method.value,
        baseline=numbers["baseline"],
        targets={2023: numbers["target"]},
    )
    computed = graded(kpi, numbers["actual"]).rate
    text = formula_text(kpi, scheme())
    assert text.startswith("達成率 = ")
    assert evaluate(text.removeprefix("達成率 = "), numbers) == computed


def test_the_formulas_read_as_the_plans_print_them() -> None:
    texts = {key: f.text() for key, f in FORMULAS.items()}
    assert texts == {
        (RateMethod.RATIO, Direction.HIGHER): "実績値 ÷ 目標値 × 100",
        (RateMethod.RATIO, Direction.LOWER): "目標値 ÷ 実績値 × 100",
        (RateMethod.PROGRESS, Direction.HIGHER): "（実績値 − 基準値） ÷ （目標値 − 基準値） × 100",
        (RateMethod.PROGRESS, Direction.LOWER): "（基準値 − 実績値） ÷ （基準値 − 目標値） × 100",
    }


def test_instructions_give_a_lower_is_better_indicator_its_own_formula(
    tmp_path: Path, small_plan_data: dict[str, Any]
) -> None:
    """Issue #15 item 9: the 記入要領 said 達成率 = 実績値 ÷ 目標値 for every indicator, so a
    department computed 516% (A) for 待機児童数 where kpibook computes 19.4% (C)."""
    project = small_plan_data["projects"][0]
    project["indicators"].append(
        {
            "id": "p1-2",
            "label": "待機児童数",
            "unit": "人",
            "direction": "lower",
            "targets": {"R3": 25},
        }
    )
    plan = Plan.model_validate(small_plan_data)
    [form] = generate_forms(plan, tmp_path)
    sheet = openpyxl.load_workbook(form.path)["記入要領"]
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "達成率 = 実績値 ÷ 目標値 × 100（参加人数）" in texts
    assert "達成率 = 目標値 ÷ 実績値 × 100（待機児童数）" in texts
    assert not any("達成率 = 報告年度の実績値 ÷ 目標値" in t for t in texts)
    kpi = plan.projects[0].indicators[1]
    g = grade_indicator(kpi, Value.of(129), plan.grading, plan.report_year, plan.period.end)
    assert (g.rate_shown, g.grade) == (Decimal("19.4"), "C")  # 25 ÷ 129, not 129 ÷ 25


def test_the_form_accepts_the_figures_a_baseline_implies() -> None:
    """待機児童数 aims at 0 from 120: the input's range comes from the baseline too (not
    0～10¹²); 社会増減 from −300 accepts negative figures."""
    from kpibook.contract.specs import number_spec

    waiting = indicator(direction="lower", baseline=120, targets={2024: 0}, unit="人")
    assert number_spec(waiting, "R5").validation == {
        "validate": "integer",
        "criteria": "between",
        "minimum": 0.0,
        "maximum": 12_000.0,
    }
    migration = indicator(baseline=-300, targets={2024: 0}, unit="人")
    assert number_spec(migration, "R5").validation["minimum"] == -300.0


def test_the_printed_report_states_the_formulas_and_prints_rates_as_the_plan_does(
    tmp_path: Path, prefecture_plan: Plan, prefecture_entries: Any
) -> None:
    from tests.test_opendata import master_of

    book = openpyxl.load_workbook(master_of(prefecture_plan, prefecture_entries, tmp_path))
    report = [str(c.value) for row in book["報告書"].iter_rows() for c in row if c.value]
    legend = next(t for t in report if t.startswith("達成率による評価"))
    assert "達成率 = （実績値 − 基準値） ÷ （目標値 − 基準値） × 100" in legend
    assert "達成率 = （基準値 − 実績値） ÷ （基準値 − 目標値） × 100（待機児童数）" in legend
    assert "56.2%" in report  # 56.25% truncated, as the plan prints rates
    overview = [str(c.value) for row in book["概要"].iter_rows() for c in row if c.value]
    assert "達成率 = 実績値の累計 ÷ 目標値 × 100（新規就農者数（累計））" in overview
