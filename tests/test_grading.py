"""Grading: rates, bands and their boundaries, and the seeds' grades."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kpibook.entries import Entries
from kpibook.grading import (
    NotGradable,
    grade_indicator,
    grade_report,
    graded_against,
    round_rate,
)
from kpibook.plan import GradingScheme, Indicator, Plan
from kpibook.values import Value

ABC = GradingScheme.model_validate(
    {
        "bands": [
            {"grade": "A", "min_rate": 80, "label": "かなり達成できた"},
            {"grade": "B", "min_rate": 50, "label": "あまり達成できなかった"},
            {"grade": "C", "min_rate": 0, "label": "達成できなかった"},
        ]
    }
)
REPORT, END = 2019, 2020


def grade(actual: Any, target: Any = None, **indicator: Any) -> tuple[str | None, Any]:
    data: dict[str, Any] = {"id": "i", "label": "x", **indicator}
    if target is not None:
        data.setdefault("targets", {})[REPORT] = target
    g = grade_indicator(Indicator.model_validate(data), Value.of(actual), ABC, REPORT, END)
    return g.grade, (g.rate if g.grade else g.not_gradable)


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [
        (80, 100, "A"),  # exactly 80%
        (79.99, 100, "B"),  # not rounded up into A
        (7999, 10000, "B"),
        (50, 100, "B"),  # exactly 50%
        (49.99, 100, "C"),
        (0, 100, "C"),
        (150, 100, "A"),  # over 100%
        (4, 5, "A"),
        (2418, 3500, "B"),  # 公民館事業, 69.1%
        (6024, 13500, "C"),  # 母と子のつどい, 44.6%
    ],
)
def test_bands(actual: float, target: float, expected: str) -> None:
    assert grade(actual, target)[0] == expected


def test_rate_is_exact_and_rounded_only_for_display() -> None:
    _, rate = grade(1633294, 2000000)
    assert rate == Decimal("81.6647")
    assert round_rate(rate) == Decimal("81.7")


def test_lower_is_better_inverts_the_rate() -> None:
    assert grade(10, 8, direction="lower") == ("A", Decimal(80))
    assert grade(20, 8, direction="lower") == ("C", Decimal(40))
    assert grade(0, 8, direction="lower")[0] == "A"  # met outright
    assert grade(0, 0, direction="lower")[0] == "A"
    assert grade(3, 0, direction="lower") == ("C", Decimal(0))


def test_zero_target_is_not_gradable_rather_than_a_guess() -> None:
    assert grade(5, 0) == (None, NotGradable.ZERO_TARGET)


@pytest.mark.parametrize(
    ("actual", "why"),
    [
        ("集計中", NotGradable.PENDING),
        ("－", NotGradable.NOT_APPLICABLE),
        (None, NotGradable.NO_ACTUAL),
    ],
)
def test_missing_or_pending_actual_is_not_gradable_never_c(actual: Any, why: NotGradable) -> None:
    assert grade(actual, 100) == (None, why)


def test_no_target_is_not_gradable() -> None:
    assert grade(100) == (None, NotGradable.NO_TARGET)
    assert grade(100, "－") == (None, NotGradable.NO_TARGET)


def test_falls_back_to_the_final_target() -> None:
    g = grade_indicator(
        Indicator.model_validate({"id": "i", "label": "x", "final_target": 350}),
        Value.of(322),
        ABC,
        REPORT,
        END,
    )
    assert (g.grade, g.target_source) == ("A", "final")
    assert g.rate is not None
    assert round_rate(g.rate) == Decimal("92.0")


def test_final_target_is_the_last_plan_year_when_not_given() -> None:
    ind = Indicator.model_validate({"id": "i", "label": "x", "targets": {END: 100}})
    g = grade_indicator(ind, Value.of(90), ABC, REPORT, END)
    assert (g.grade, g.target_source) == ("A", "final")


def test_no_fallback_when_the_plan_says_so() -> None:
    scheme = ABC.model_copy(update={"fallback_to_final": False})
    ind = Indicator.model_validate({"id": "i", "label": "x", "final_target": 350})
    g = grade_indicator(ind, Value.of(322), scheme, REPORT, END)
    assert g.not_gradable is NotGradable.NO_TARGET


@pytest.mark.parametrize(
    ("target", "previous", "actual", "expected"),
    [
        ("増加", 1229, 1542, "A"),
        ("増加", 1229, 1229, "C"),  # no increase
        ("増加", 1229, 1000, "C"),
        ("減少", 50, 40, "A"),
        ("減少", 50, 60, "C"),
        ("維持", 50, 50, "A"),
        ("維持", 50, 49, "C"),
    ],
)
def test_qualitative_targets_compare_with_the_previous_actual(
    target: str, previous: int, actual: int, expected: str
) -> None:
    g, _ = grade(actual, target, actuals={2017: 1, 2018: previous})
    assert g == expected


def test_qualitative_target_uses_the_latest_earlier_number() -> None:
    ind = Indicator.model_validate(
        {"id": "i", "label": "x", "targets": {REPORT: "増加"}, "actuals": {2016: 5, 2018: "－"}}
    )
    g = grade_indicator(ind, Value.of(6), ABC, REPORT, END)
    assert (g.grade, g.previous_year) == ("A", 2016)


def test_qualitative_target_without_history_is_not_gradable() -> None:
    assert grade(5, "増加") == (None, NotGradable.NO_PREVIOUS)


# -- the worked examples ---------------------------------------------------------------

CARD_GRADES = {
    "柏市生涯学習まちづくり出前講座": ("A", "A"),
    "公民館事業": ("B", "B"),
    "市民大学（カシワワカモノプロジェクト）": ("A", "A"),
    "ボランティア養成事業": ("B", "B"),
    "地域活動支援補助金": ("A", "A"),
    "柏市民公益活動育成補助金": ("A", "B"),
    "市民交流センター(パレット柏)の運営": ("A", "A"),
    "地区担当職員による地域支援": ("A", "A"),
    "地域いきいきセンター": ("A", "A"),
    "ネットワーク化の推進": (None, "B"),
    "団体間の交流の場づくり": (None, "B"),
    "地域子育て支援拠点事業": ("A", "B"),
    "「みんなの子育て広場」": ("A", "B"),
    "母と子のつどい": ("C", "C"),
    "子育てサロンの開催": (None, "A"),
    "利用者支援事業（基本型）": ("A", "A"),
    "利用者支援事業(母子保健型)": ("A", "A"),
    "子育てサイト「はぐはぐ柏」の管理・運営 (子育て支援情報提供事業)": ("A", "A"),
    "幼児健診": ("A", "A"),
    "生涯学習情報提供システム": ("A", "A"),
    "ライフスタイルに合わせた学習機会の提供": (None, "C"),
}


def test_card_example_grades_every_project_as_its_numbers_say(
    card_plan: Plan, card_entries: Entries
) -> None:
    report = grade_report(card_plan, card_entries)
    assert {p.name: (p.grade, p.self_grade) for p in report.projects} == CARD_GRADES


def test_card_example_flags_the_three_stricter_self_grades(
    card_plan: Plan, card_entries: Entries
) -> None:
    report = grade_report(card_plan, card_entries)
    assert [p.name for p in report.projects if p.mismatch] == [
        "柏市民公益活動育成補助金",
        "地域子育て支援拠点事業",
        "「みんなの子育て広場」",
    ]


def test_card_example_counts_the_relisted_project_once(
    card_plan: Plan, card_entries: Entries
) -> None:
    report = grade_report(card_plan, card_entries)
    assert report.counts() == {"A": 14, "B": 2, "C": 1, "評価不能": 4}
    shimin = next(p for p in report.projects if p.name.startswith("市民大学"))
    assert shimin.sections == ["1.(1)", "1.(2)"]


def test_matrix_example_pending_and_qualitative(matrix_plan: Plan, matrix_entries: Entries) -> None:
    report = grade_report(matrix_plan, matrix_entries)
    by_name = {p.name: p for p in report.projects}
    satisfaction = by_name["高齢者の総合相談事業(地域包括支援センター)"]
    assert satisfaction.grade is None
    assert satisfaction.not_gradable is NotGradable.PENDING  # 集計中
    trainees = by_name["介護支援専門員支援事業"].indicators[0]
    assert (trainees.grade, trainees.previous_year) == ("○", 2022)  # 増加: 1,542 > 1,229
    assert by_name["利用者支援事業"].grade == "×"  # 1,095 against the R6 target 3,000
    assert by_name["災害情報発信事業"].not_gradable is NotGradable.NO_INDICATOR


def test_a_rate_on_the_half_is_rounded_up_in_the_terminal_and_in_the_master(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    """81.65% is 81.7% wherever it is shown; rounding half to even would print 81.6."""
    import openpyxl
    from click.testing import CliRunner

    from kpibook.cli import main
    from kpibook.forms import generate_forms
    from kpibook.forms.fill import entry_values
    from kpibook.master import write_master
    from kpibook.merge import merge
    from kpibook.plantext import save_yaml
    from kpibook.template import load_template

    entries = card_entries.model_copy(
        update={
            "entries": [
                e.model_copy(update={"actuals": {"p19-1": Value.of(1633000)}})  # ÷ 2,000,000
                if e.project == "p19"
                else e
                for e in card_entries.entries
            ]
        }
    )
    [g] = [
        i
        for p in grade_report(card_plan, entries).projects
        for i in p.indicators
        if i.indicator == "p19-1"
    ]
    assert g.rate == Decimal("81.65")

    save_yaml(card_plan, tmp_path / "plan.yaml")
    save_yaml(entries, tmp_path / "entries.yaml")
    result = CliRunner().invoke(
        main, ["grades", str(tmp_path / "plan.yaml"), "--entries", str(tmp_path / "entries.yaml")]
    )
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.stdout.splitlines() if "1,633,000件" in line]
    assert "81.7%" in line.split()

    department = card_plan.project("p19").lead_department
    template = load_template(card_plan.layout)
    [form] = generate_forms(
        card_plan,
        tmp_path / "returns",
        departments=[department],
        values=lambda d: entry_values(card_plan, d, entries, template),
    )
    report, merged = merge(card_plan, [form.path])
    write_master(card_plan, report, merged, tmp_path / "master.xlsx", printable=False)
    table = openpyxl.load_workbook(tmp_path / "master.xlsx")["一覧"]
    rows = list(table.iter_rows(values_only=True))
    column = rows[0].index("達成率(%)")
    [rate] = [r[column] for r in rows if "p19-1" in r]
    assert rate == 81.7


# -- a prefecture's KPIs: baselines, 累計, revised targets, lagging statistics -----------------


def _kpi_grades(plan: Plan, entries: Entries) -> dict[str, Any]:
    return {i.indicator: i for p in grade_report(plan, entries).projects for i in p.indicators}


def test_prefecture_kpis_are_graded_as_the_plan_says(
    prefecture_plan: Plan, prefecture_entries: Entries
) -> None:
    g = _kpi_grades(prefecture_plan, prefecture_entries)
    assert {k: (v.rate_shown, v.grade) for k, v in g.items()} == {
        "k1-1": (Decimal("56.2"), "B"),  # (66.5 − 62.0) ÷ (70.0 − 62.0) = 56.25%, truncated
        "k2-1": (Decimal("62.5"), "B"),  # (120 − 45) ÷ (120 − 0)
        "k3-1": (Decimal("98.7"), "A"),  # 累計 395 ÷ 400 = 98.75%, ratio
        "k4-1": (Decimal("80.0"), "A"),  # R4's (20.8 − 20.0) ÷ (21.0 − 20.0)
        "k5-1": (Decimal("37.5"), "C"),  # (2,950 − 2,800) ÷ (3,200 − 2,800), the revised target
    }


def test_a_cumulative_target_is_compared_with_the_sum_since_the_baseline(
    prefecture_plan: Plan, prefecture_entries: Entries
) -> None:
    """新規就農者数（累計）: 95 + 110 + 88 (R2–R4, from the plan) + 102 (R5, reported)."""
    g = _kpi_grades(prefecture_plan, prefecture_entries)["k3-1"]
    assert (g.cumulative_from, g.year, g.total, g.target) == (2020, 2023, 395, Value.of(400))
    assert g.rate == Decimal("98.75")


def _cumulative(actuals: dict[int, Any], **kw: Any) -> Any:
    ind = Indicator.model_validate(
        {
            "id": "c",
            "label": "新規就農者数",
            "cumulative": True,
            "targets": {2023: 400},
            "actuals": actuals,
            **kw,
        }
    )
    return grade_indicator(ind, Value.of(102), ABC, 2023, 2024, period_start=2020)


def test_cumulative_sums_from_the_plans_first_year_without_a_baseline_year() -> None:
    g = _cumulative({2018: 500, 2019: 500, 2020: 95, 2021: 110, 2022: 88})
    assert (g.cumulative_from, g.total) == (2020, 395)  # years before the plan are not summed
    g = _cumulative({2020: 95, 2021: 110, 2022: 88}, baseline=0, baseline_year=2020)
    assert (g.cumulative_from, g.total) == (2021, 300)


def test_cumulative_with_a_year_missing_is_not_gradable_and_says_which() -> None:
    g = _cumulative({2020: 95, 2021: "集計中", 2022: 88})
    assert (g.grade, g.not_gradable, g.missing_years) == (None, NotGradable.MISSING_YEARS, [2021])
    done_nothing = _cumulative({2020: 95, 2021: "－", 2022: 88})  # － adds nothing
    assert done_nothing.total == 285


def test_a_lagging_statistic_is_graded_on_its_latest_year_and_says_so(
    prefecture_plan: Plan, prefecture_entries: Entries
) -> None:
    """県内総生産 is published a year late: for R5 the department reports 集計中 and the
    indicator is graded on R4's 20.8 against R4's target 21.0."""
    g = _kpi_grades(prefecture_plan, prefecture_entries)["k4-1"]
    assert (g.year, g.actual, g.target, g.target_source) == (
        2022,
        Value.of(20.8),
        Value.of(21.0),
        "year",
    )
    assert graded_against(g, 2023) == "R4: 21兆円（R4の実績で評価）"
    # With the report year's figure in, that is graded.
    kpi = prefecture_plan.project("k4").indicators[0]
    now = grade_indicator(kpi, Value.of(21.2), prefecture_plan.grading, 2023, 2024)
    assert (now.year, now.target_source) == (2023, "final")
    # Not further back than the lag allows.
    stale = kpi.model_copy(update={"actuals": {2021: Value.of(20.5)}})
    late = grade_indicator(stale, Value.of("集計中"), prefecture_plan.grading, 2023, 2024)
    assert (late.year, late.not_gradable) == (2023, NotGradable.PENDING)


def test_a_revised_target_is_graded_and_the_original_kept(
    prefecture_plan: Plan, prefecture_entries: Entries
) -> None:
    g = _kpi_grades(prefecture_plan, prefecture_entries)["k5-1"]
    assert (g.target, g.original_target) == (Value.of(3200), Value.of(3000))
    assert graded_against(g, 2023) == "最終目標: 3,200万人（当初 3,000万人）"


def test_an_original_target_needs_a_revised_one(small_plan_data: dict[str, Any]) -> None:
    indicator = small_plan_data["projects"][0]["indicators"][0]
    indicator["original_targets"] = {"R4": 90}
    indicator["original_final_target"] = 100
    indicator.pop("final_target")
    with pytest.raises(ValueError, match="original target") as info:
        Plan.model_validate(small_plan_data)
    assert "original final target" in str(info.value)


# -- rates other governments printed (docs/research) --------------------------------------

IBARAKI = GradingScheme.model_validate(
    {
        "bands": [
            {"grade": "A", "min_rate": 100, "label": "順調"},
            {"grade": "B+", "min_rate": 80, "label": "概ね順調"},
            {"grade": "B", "min_rate": 50, "label": "やや遅れ"},
            {"grade": "C", "min_rate": 0, "label": "遅れ"},
        ],
        "rounding": {"method": "truncate"},
    }
)


@pytest.mark.parametrize(
    ("year", "rate", "shown"),
    [(2015, "137.4", "137.4"), (2016, "129.075", "129.0"), (2017, "117.95", "117.9")],
)
def test_ibaraki_cumulative_job_creation_as_its_2018_card_prints_it(
    year: int, rate: str, shown: str
) -> None:
    """茨城県 雇用創出数（H27~H31累計）: 2,000 a year; 2,748, 2,415 and 1,914 (速報値) created,
    printed against the running totals as 137.4%, 129.0% and 117.9% (truncated)."""
    jobs = Indicator.model_validate(
        {
            "id": "jobs",
            "label": "雇用創出数",
            "cumulative": True,
            "targets": {2015: 2000, 2016: 4000, 2017: 6000, 2018: 8000, 2019: 10000},
            "actuals": {2015: 2748, 2016: 2415},
        }
    )
    reported = {2015: 2748, 2016: 2415, 2017: 1914}[year]
    past = {y: v for y, v in jobs.actuals.items() if y < year}
    g = grade_indicator(
        jobs.model_copy(update={"actuals": past}),
        Value.of(reported),
        IBARAKI,
        year,
        2019,
        period_start=2015,
    )
    assert (g.rate, g.rate_shown, g.grade) == (Decimal(rate), Decimal(shown), "A")


def test_ama_new_hires_over_the_plan_period_add_up() -> None:
    """海士町 福祉事業所の新たな雇用数（諏訪苑）「計画期間中に新規5名」: 2, 2, 2, 0 and 3
    hired; the running total 9 against 5 is 180%, not 3 ÷ 5."""
    hires = Indicator.model_validate(
        {
            "id": "suwaen",
            "label": "福祉事業所の新たな雇用数：諏訪苑",
            "cumulative": True,
            "final_target": 5,
            "actuals": {2020: 2, 2021: 2, 2022: 2, 2023: 0},
        }
    )
    g = grade_indicator(hires, Value.of(3), ABC, 2024, 2024, period_start=2020)
    assert (g.total, g.rate, g.target_source) == (Decimal(9), Decimal(180), "final")
