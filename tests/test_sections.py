"""Evaluation levels: a 施策 or 基本目標 evaluated from what is under it, or by its owner;
and scales of any size with levels only an owner chooses."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pydantic import ValidationError

from kpibook.contract.content import form_content
from kpibook.contract.inputs import form_inputs
from kpibook.entries import Entries, entry_problems
from kpibook.grading import NotGradable, grade_report
from kpibook.opendata import tables
from kpibook.plan import Plan, PlanIntegrityError
from kpibook.scheme import EvaluationRule
from kpibook.template import load_template
from tests.conftest import PREFECTURE_ENTRIES, PREFECTURE_PLAN
from tests.test_opendata import master_of


def plan_with(evaluations: list[dict[str, Any]], **grading: Any) -> Plan:
    data = copy.deepcopy(PREFECTURE_PLAN)
    data["grading"] = {**data["grading"], "evaluations": evaluations, **grading}
    return Plan.model_validate(data)


def sections(plan: Plan, entries: dict[str, Any] | None = None) -> dict[str, Any]:
    report = grade_report(plan, Entries.model_validate(entries or PREFECTURE_ENTRIES))
    return {s.section: s for s in report.sections}


# -- computed evaluations -------------------------------------------------------------------


def test_a_measure_is_the_average_of_its_kpis_scores(prefecture_plan: Plan) -> None:
    """S/A/B/C/D score 5/4/3/2/1: (1) has B and B (3.0), (2) has A (4.0), 2(1) has A and C."""
    got = sections(prefecture_plan)
    assert {k: (v.grade, v.measure, v.counted) for k, v in got.items() if v.depth == 2} == {
        "1-1": ("B", Decimal(3), 2),
        "1-2": ("A", Decimal(4), 1),
        "2-1": ("B", Decimal(3), 2),
    }
    first = got["1-1"]
    assert (first.name, first.rule, first.scale) == (
        "施策の評価",
        EvaluationRule.AVERAGE,
        ["A", "B", "C"],
    )


def test_a_goal_is_the_worst_of_its_measures(prefecture_plan: Plan) -> None:
    got = sections(prefecture_plan)
    assert (got["1"].grade, got["1"].counted, got["1"].name) == ("B", 2, "基本目標の評価")
    assert got["1"].scale == ["A", "B", "C"]  # it picks from its 施策' scale
    assert list(got) == ["1", "1-1", "1-2", "2", "2-1"]  # printed order


def test_the_share_of_kpis_at_a_or_above() -> None:
    plan = plan_with(
        [
            {
                "depth": 1,
                "rule": "share",
                "at_least": "A",
                "bands": [
                    {"grade": "◎", "threshold": 80, "label": "順調"},
                    {"grade": "○", "threshold": 50, "label": "概ね順調"},
                    {"grade": "△", "threshold": 0, "label": "遅れ"},
                ],
            }
        ]
    )
    got = sections(plan)
    # 基本目標1: B, B, A → 1 of 3 = 33.33…%, truncated to 33.3; 基本目標2: A, C → 50%.
    assert (got["1"].measure_shown, got["1"].grade) == (Decimal("33.3"), "△")
    assert (got["2"].measure, got["2"].grade) == (Decimal(50), "○")


def test_projects_listed_twice_count_once() -> None:
    data = copy.deepcopy(PREFECTURE_PLAN)
    data["projects"][0]["placements"].append({"section": "1-2"})  # k1 is also in (2): 再掲
    data["grading"]["evaluations"] = [
        {
            "depth": 1,
            "rule": "average",
            "of": "projects",
            "bands": [
                {"grade": "A", "threshold": 3.5, "label": "順調"},
                {"grade": "B", "threshold": 0, "label": "遅れ"},
            ],
        }
    ]
    got = sections(Plan.model_validate(data))
    assert (got["1"].counted, got["1"].measure) == (3, Decimal(10) / 3)  # B, B, A; not B twice


def test_nothing_to_combine_is_not_gradable_never_the_lowest(prefecture_plan: Plan) -> None:
    entries = copy.deepcopy(PREFECTURE_ENTRIES)
    for entry in entries["entries"]:
        if entry["project"] == "k3":
            entry["actuals"] = {"k3-1": "集計中"}
    got = sections(prefecture_plan, entries)
    assert (got["1-2"].grade, got["1-2"].not_gradable) == (None, NotGradable.NOTHING_GRADED)
    assert (got["1"].grade, got["1"].counted) == ("B", 1)  # from (1) alone


def test_an_owners_evaluation_is_kept_beside_a_computed_one(prefecture_plan: Plan) -> None:
    entries = {**PREFECTURE_ENTRIES, "sections": [{"section": "1-1", "grade": "A"}]}
    got = sections(prefecture_plan, entries)["1-1"]
    assert (got.grade, got.self_grade, got.mismatch) == ("B", "A", True)


def test_an_evaluation_entered_by_its_owner() -> None:
    plan = plan_with(
        [
            {
                "depth": 2,
                "rule": "owner",
                "owner": "企画課",
                "owner_levels": [
                    {"grade": "順調", "label": "計画どおり進んでいる"},
                    {"grade": "遅れ", "label": "遅れている"},
                ],
            }
        ]
    )
    entries = {**PREFECTURE_ENTRIES, "sections": [{"section": "1-1", "grade": "順調"}]}
    got = sections(plan, entries)
    assert (got["1-1"].grade, got["1-1"].mismatch) == ("順調", False)
    assert (got["1-2"].grade, got["1-2"].not_gradable) == (None, NotGradable.NOT_ENTERED)
    wrong = Entries.model_validate(
        {**PREFECTURE_ENTRIES, "sections": [{"section": "1-1", "grade": "A"}]}
    )
    [(loc, message)] = list(entry_problems(plan, wrong))
    assert loc == ("sections", 0, "grade")
    assert "順調・遅れ" in message.ja


# -- the plan says it consistently ----------------------------------------------------------


@pytest.mark.parametrize(
    ("evaluation", "match"),
    [
        (
            {"depth": 1, "rule": "worst", "bands": [{"grade": "A", "threshold": 0, "label": "a"}]},
            "keeps the grades",
        ),
        ({"depth": 1, "rule": "average"}, "at least two bands"),
        (
            {
                "depth": 1,
                "rule": "share",
                "bands": [
                    {"grade": "A", "threshold": 120, "label": "a"},
                    {"grade": "B", "threshold": 0, "label": "b"},
                ],
                "at_least": "A",
            },
            "at most 100",
        ),
        (
            {
                "depth": 1,
                "rule": "share",
                "bands": [
                    {"grade": "A", "threshold": 50, "label": "a"},
                    {"grade": "B", "threshold": 0, "label": "b"},
                ],
            },
            "exactly for the rule 'share'",
        ),
        ({"depth": 1, "rule": "owner"}, "owner_levels"),
    ],
)
def test_an_evaluation_that_cannot_work_is_refused(evaluation: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        plan_with([evaluation])


def test_evaluations_must_fit_the_tree() -> None:
    share = {
        "rule": "share",
        "at_least": "Z",
        "bands": [
            {"grade": "A", "threshold": 50, "label": "a"},
            {"grade": "B", "threshold": 0, "label": "b"},
        ],
    }
    with pytest.raises(ValidationError) as info:
        plan_with(
            [
                {"depth": 3, "rule": "worst"},
                {"depth": 1, "rule": "worst", "of": "sections"},
                {"depth": 2, **share},
            ]
        )
    error = info.value.errors()[0]["ctx"]["error"]
    assert isinstance(error, PlanIntegrityError)
    found = {loc: m.en for loc, m in error.problems}
    assert found == {
        ("grading", "evaluations", 0, "depth"): "the plan's sections are 2 levels deep",
        ("grading", "evaluations", 2, "at_least"): "'Z' is not one of the grades counted "
        "['S', 'A', 'B', 'C', 'D', '着手済', '未着手']",
    }
    with pytest.raises(ValidationError, match="depth 2 is not evaluated"):
        plan_with([{"depth": 1, "rule": "worst", "of": "sections"}])


def test_evaluations_round_trip_through_the_plan_workbook(
    tmp_path: Path, prefecture_plan: Plan
) -> None:
    from kpibook.planbook import read_plan_workbook, write_plan_workbook

    write_plan_workbook(prefecture_plan, tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    rows = [[c.value for c in r] for r in wb["体系の評価区分"].iter_rows()]
    assert rows[1][:4] == [2, "A", 3.5, "順調"]
    assert read_plan_workbook(tmp_path / "plan.xlsx") == prefecture_plan


def test_a_band_below_an_owners_level_is_named_by_cell(
    tmp_path: Path, prefecture_plan: Plan
) -> None:
    from kpibook.errors import LoadError
    from kpibook.planbook import read_plan_workbook, write_plan_workbook

    path = tmp_path / "plan.xlsx"
    write_plan_workbook(prefecture_plan, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["評価区分"]
    ws.append(["E", 0, "大幅な遅れ"])  # after 着手済 / 未着手
    ws["B7"] = 5  # 着手済 with a threshold
    wb.save(path)
    with pytest.raises(LoadError) as info:
        read_plan_workbook(path)
    problems = [str(p) for p in info.value.problems]
    assert any("シート「評価区分」B9" in p and "担当のみの段階より前" in p for p in problems)
    assert any("シート「評価区分」B7" in p and "下限を書きません" in p for p in problems)


# -- scales ---------------------------------------------------------------------------------


def test_a_five_level_scale_with_levels_only_the_department_chooses(prefecture_plan: Plan) -> None:
    scheme = prefecture_plan.grading
    assert scheme.grades == ["S", "A", "B", "C", "D", "着手済", "未着手"]
    assert dict(scheme.scale.scores) == {
        "S": 5,
        "A": 4,
        "B": 3,
        "C": 2,
        "D": 1,
        "着手済": None,
        "未着手": None,
    }
    # The department may choose 着手済; kpibook never computes it.
    content = form_content(prefecture_plan, "健康づくり課")
    [grade] = [
        i
        for i in form_inputs(content, load_template(prefecture_plan.layout))
        if i.field == "self_grade"
    ]
    assert grade.spec.validation["source"] == scheme.grades
    assert "着手済（取組に着手した・担当課が判断）" in grade.spec.rule
    entries = Entries.model_validate(
        {**PREFECTURE_ENTRIES, "entries": [{"project": "k1", "self_grade": "着手済"}]}
    )
    assert not list(entry_problems(prefecture_plan, entries))
    [k1] = [p for p in grade_report(prefecture_plan, entries).projects if p.project == "k1"]
    assert (k1.grade, k1.self_grade) == (None, "着手済")


def test_a_three_word_scale_and_explicit_scores() -> None:
    data = copy.deepcopy(PREFECTURE_PLAN)
    data["grading"]["bands"] = [
        {"grade": "達成", "min_rate": 100, "label": "目標を達成した", "score": 2},
        {
            "grade": "概ね達成",
            "min_rate": 80,
            "label": "目標の8割以上",
            "description": "おおむね順調",
            "score": 1,
        },
        {"grade": "未達成", "min_rate": 0, "label": "目標の8割未満", "score": 0},
    ]
    data["grading"]["owner_levels"] = []
    data["grading"]["evaluations"] = [{"depth": 1, "rule": "worst"}]
    plan = Plan.model_validate(data)
    assert dict(plan.grading.scale.scores) == {"達成": 2, "概ね達成": 1, "未達成": 0}
    got = sections(plan, {**PREFECTURE_ENTRIES, "entries": PREFECTURE_ENTRIES["entries"]})
    assert got["2"].grade == "未達成"  # 観光入込客数 37.5%


def test_the_master_and_the_export_carry_the_evaluations(
    tmp_path: Path, prefecture_plan: Plan, prefecture_entries: Entries
) -> None:
    path = master_of(prefecture_plan, prefecture_entries, tmp_path)
    wb = openpyxl.load_workbook(path)
    overview = list(wb["概要"].iter_rows(values_only=True))
    heads = next(r for r in overview if r[1] == "計算 S")
    assert "担当課 着手済" in heads  # a department may choose it ...
    assert "計算 着手済" not in heads  # ... kpibook never computes it
    start = next(n for n, r in enumerate(overview) if r[0] == "体系の評価")
    assert overview[start + 3][:4] == (
        "　基本目標1(1) 健康と子育て",
        "施策の評価",
        "B",
        "指標2件の平均点 3.0",
    )
    table = list(wb["一覧"].iter_rows(values_only=True))
    head = table[0]
    k5 = next(r for r in table if r[head.index("指標ID")] == "k5-1")
    assert (k5[head.index("施策の評価")], k5[head.index("基本目標の評価")]) == ("B", "B")
    rows = {
        r["section_id"]: r for r in tables(prefecture_plan, prefecture_entries)["section_grades"]
    }
    assert (rows["1-1"]["rule"], rows["1-1"]["measure"], rows["1-1"]["grade"]) == (
        "average",
        Decimal(3),
        "B",
    )
    assert (rows["1"]["rule"], rows["1"]["of"], rows["1"]["grade"]) == ("worst", "sections", "B")


def test_a_section_scale_out_of_order_is_named_by_its_sheet(
    tmp_path: Path, prefecture_plan: Plan
) -> None:
    from kpibook.errors import LoadError
    from kpibook.planbook import read_plan_workbook, write_plan_workbook

    path = tmp_path / "plan.xlsx"
    write_plan_workbook(prefecture_plan, path)
    wb = openpyxl.load_workbook(path)
    wb["体系の評価区分"]["C3"] = 4  # B's threshold above A's 3.5
    wb.save(path)
    with pytest.raises(LoadError) as info:
        read_plan_workbook(path)
    [problem] = [str(p) for p in info.value.problems]
    assert "シート「体系の評価区分」2行目" in problem
    assert "下限が小さくなるように" in problem
