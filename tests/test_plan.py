"""The plan model: unknown keys and bad values are refused, and say where."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

import kpibook.textfit
from kpibook.entries import Entries
from kpibook.errors import LoadError
from kpibook.plan import Plan
from kpibook.plantext import load_plan_yaml


def _load(tmp_path: Path, data: dict[str, Any]) -> Plan:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_plan_yaml(path)


def _problems(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    with pytest.raises(LoadError) as info:
        _load(tmp_path, data)
    return [str(p) for p in info.value.problems]


def test_small_plan_loads(tmp_path: Path, small_plan_data: dict[str, Any]) -> None:
    plan = _load(tmp_path, small_plan_data)
    assert plan.report_year == 2021  # given as R3
    assert list(plan.projects[0].indicators[0].actuals) == [2019, 2020]


def test_unknown_key_is_refused_with_its_place(
    tmp_path: Path, small_plan_data: dict[str, Any]
) -> None:
    small_plan_data["projects"][0]["indicators"][0]["unti"] = "人"
    [problem] = _problems(tmp_path, small_plan_data)
    assert "projects[0].indicators[0].unti" in problem
    assert "この項目は使えません" in problem
    assert "line " in problem


def test_text_in_a_number_is_refused(tmp_path: Path, small_plan_data: dict[str, Any]) -> None:
    small_plan_data["projects"][0]["indicators"][0]["targets"]["R3"] = "約100人"
    [problem] = _problems(tmp_path, small_plan_data)
    assert "projects[0].indicators[0].targets[2021]" in problem or "targets.2021" in problem
    assert "約100人" in problem
    assert "数値（単位なし）" in problem


def test_every_problem_is_reported_at_once(tmp_path: Path, small_plan_data: dict[str, Any]) -> None:
    small_plan_data["report_year"] = "R99"
    small_plan_data["layout"] = "cards"
    del small_plan_data["issuer"]
    problems = _problems(tmp_path, small_plan_data)
    assert len(problems) == 3
    assert any("report_year" in p and "年度として読めません" in p for p in problems)
    assert any("layout" in p and "いずれか" in p for p in problems)
    assert any("issuer" in p and "必須" in p for p in problems)


@pytest.mark.parametrize(
    ("spoil", "where", "ja"),
    [
        (
            lambda d: d["projects"][0].update(lead_department="福祉課"),
            "projects[0].lead_department",
            "担当課の一覧にありません",
        ),
        (
            lambda d: d["projects"][0]["placements"].append({"section": "9-9"}),
            "projects[0].placements[1].section",
            "体系ID「9-9」がありません",
        ),
        (
            lambda d: d["projects"][0]["indicators"][0]["actuals"].update(R3=100),
            "projects[0].indicators[0].actuals[2021]",
            "報告年度以降の実績値",
        ),
        (
            lambda d: d["departments"].append({"name": "生涯学習課"}),
            "departments",
            "重複しています",
        ),
        (
            lambda d: d["projects"].append(dict(d["projects"][0])),
            "projects",
            "事業ID「p1」が重複しています",
        ),
        (
            lambda d: d.update(report_year="R9"),
            "report_year",
            "報告年度が計画期間の外です",
        ),
        (
            lambda d: d.update(checks={"required_when": {"improvement": ["B"]}}),
            "checks.required_when.improvement",
            "この様式にはない記入欄です",  # 改善策 is the matrix layout's
        ),
        (
            lambda d: d.update(checks={"required_when": {"grade_explanation": ["B", "×"]}}),
            "checks.required_when.grade_explanation[1]",
            "「×」は評価（A・B・C）にありません",
        ),
        (
            lambda d: d["grading"].update(
                evaluations=[{"depth": 1, "rule": "worst", "of": "sections"}]
            ),
            "grading.evaluations[0].of",
            "第2階層にも評価が必要です",
        ),
        (
            lambda d: d["projects"][0]["indicators"][0].update(original_targets={"R4": 90}),
            "projects[0].indicators[0].original_targets[2022]",
            "当初目標の年度に（改訂後の）目標値がありません",
        ),
    ],
)
def test_references_inside_the_plan_are_checked(
    tmp_path: Path, small_plan_data: dict[str, Any], spoil: Any, where: str, ja: str
) -> None:
    spoil(small_plan_data)
    problems = _problems(tmp_path, small_plan_data)
    assert any(where in p and ja in p for p in problems), problems


def test_grade_scale_must_be_ordered(small_plan_data: dict[str, Any]) -> None:
    bands = small_plan_data["grading"]["bands"]
    bands[0]["min_rate"], bands[1]["min_rate"] = 50, 80
    with pytest.raises(ValidationError, match="decreasing"):
        Plan.model_validate(small_plan_data)


def test_department_names_must_be_file_safe(small_plan_data: dict[str, Any]) -> None:
    small_plan_data["departments"][0]["name"] = "生涯/学習課"
    with pytest.raises(ValidationError, match="may not contain"):
        Plan.model_validate(small_plan_data)


def test_relisting_is_one_project_in_two_places(card_plan: Plan) -> None:
    shimin = [p for p in card_plan.projects if p.name.startswith("市民大学")]
    assert len(shimin) == 1
    assert [pl.section for pl in shimin[0].placements] == ["1-1", "1-2"]
    assert len(card_plan.projects) == 21
    assert sum(len(p.placements) for p in card_plan.projects) == 22


def test_shared_projects_have_one_lead(matrix_plan: Plan) -> None:
    shared = {
        p.name: (p.lead_department, p.other_departments)
        for p in matrix_plan.projects
        if p.other_departments
    }
    assert shared == {
        "地域生活支援センター事業(あいネット)": ("生活支援課", ["福祉政策課"]),
        "地域の支えあいの充実と体制整備": ("地域包括支援課", ["柏市社会福祉協議会"]),
        "災害情報発信事業": ("広報広聴課", ["防災安全課"]),
    }


def test_latest_actual_before_counts_numbers_only() -> None:
    """What 増加/減少/維持 targets are graded against and the jump check compares with."""
    from kpibook.plan import Indicator
    from kpibook.values import Value

    ind = Indicator.model_validate(
        {
            "id": "i",
            "label": "x",
            "actuals": {2015: 7, 2016: {"value": 5, "note": "※"}, 2017: "集計中", 2018: "－"},
        }
    )
    assert ind.latest_actual_before(2019) == (2016, Value.of({"value": 5, "note": "※"}))
    assert ind.latest_actual_before(2016) == (2015, Value.of(7))
    assert ind.latest_actual_before(2015) is None
    assert Indicator(id="j", label="y").latest_actual_before(2019) is None


def test_indexes_are_not_fields_and_copies_build_their_own(
    card_plan: Plan, card_entries: Entries
) -> None:
    """A plan's indexes are cached on it, but never dumped, compared or copied: a
    ``model_copy(update=...)`` never answers from its original's index.  A pickle (what a
    spawned worker receives) is the same plan, and carries the indexes already built."""
    import copy
    import pickle

    from kpibook.plan import Plan

    plan = card_plan.model_copy()
    p01 = plan.project("p01")
    assert plan.has_department(p01.lead_department)
    fields = set(Plan.model_fields)
    assert set(plan.model_dump()) == fields
    assert plan == Plan.model_validate(plan.model_dump())  # indexed or not, equal

    renamed = plan.model_copy(
        update={"projects": [p01.model_copy(update={"id": "p99"}), *plan.projects[1:]]}
    )
    assert renamed.project("p99").name == p01.name
    with pytest.raises(KeyError):
        renamed.project("p01")
    assert plan.project("p01") is p01
    fewer = plan.model_copy(update={"departments": plan.departments[1:]})
    assert not fewer.has_department(plan.departments[0].name)
    for other in (copy.copy(plan), copy.deepcopy(plan)):
        assert set(vars(other)) == fields
        assert other.project("p01") == p01
    pickled = pickle.loads(pickle.dumps(plan))
    assert set(vars(pickled)) - fields == set(vars(plan)) - fields  # the indexes built
    assert pickled.project("p01") == p01

    entry = card_entries.for_project("p01")
    assert entry is not None
    moved = card_entries.model_copy(update={"entries": [entry.model_copy(update={"project": "x"})]})
    assert moved.for_project("p01") is None
    assert moved.for_project("x") is not None


def _two_projects(data: dict[str, Any], first: tuple[str, str], second: tuple[str, str]) -> None:
    project = data["projects"][0]
    twin = copy.deepcopy(project)
    project["id"], project["indicators"][0]["id"] = first
    twin["id"], twin["indicators"][0]["id"] = second
    data["projects"].append(twin)


def test_ids_that_differ_only_in_case_are_refused_where_they_are(
    tmp_path: Path, small_plan_data: dict[str, Any]
) -> None:
    """Excel compares names without case: pX and px would share every name of a form
    (after a LibreOffice save, inputs were lost)."""
    _two_projects(small_plan_data, ("px", "px-1"), ("pX", "pX-1"))
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(small_plan_data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_plan_yaml(path)
    problems = [(p.where, p.message.en) for p in caught.value.problems]
    assert len(problems) == 2
    assert "projects[1].id" in problems[0][0]
    assert "'pX' differs from 'px' (at projects[0].id) only in case" in problems[0][1]
    assert "projects[1].indicators[0].id" in problems[1][0]


def test_a_duplicate_id_is_reported_at_its_second_use(small_plan_data: dict[str, Any]) -> None:
    _two_projects(small_plan_data, ("p1", "p1-1"), ("p1", "p1-2"))
    with pytest.raises(ValidationError) as caught:
        Plan.model_validate(small_plan_data)
    assert "projects.1.id: project id 'p1' is used twice (also at projects[0].id)" in str(
        caught.value
    )


def test_ids_too_long_for_an_excel_name_are_refused(small_plan_data: dict[str, Any]) -> None:
    long = "p" + "_" * 63  # each underscore is two characters in a name
    small_plan_data["projects"][0]["id"] = long
    small_plan_data["projects"][0]["indicators"][0]["id"] = "i" + "-" * 63
    with pytest.raises(ValidationError, match="too long for the form's cell names"):
        Plan.model_validate(small_plan_data)


def test_field_errors_do_not_hide_reference_errors(
    tmp_path: Path, small_plan_data: dict[str, Any]
) -> None:
    """Seven problems, reported in one run at seven places: the fields pydantic checks
    first no longer hide the references checked after them."""
    data = small_plan_data
    pristine = copy.deepcopy(data["projects"][0])
    data["titel"] = "誤字"  # 1 unknown key
    data["departments"].append({"name": "福祉課/高齢"})  # 2 a character Windows forbids
    project = data["projects"][0]
    project["lead_department"] = "福祉課/高齢"  # the broken department: no second error
    project["placements"].append({"section": "9-9"})  # 3 unknown section
    project["indicators"][0]["targets"]["H30"] = 90  # 4 target before the plan period
    broken = copy.deepcopy(pristine)
    broken["id"] = "p2"
    broken["indicators"][0]["id"] = "p2-1"
    broken["indicators"][0]["unit"] = "人\t"  # 5 a tab in a label
    data["projects"].append(broken)
    twin = copy.deepcopy(pristine)
    twin["id"] = "P1"  # 6 differs from p1 only in case
    twin["indicators"][0]["id"] = "p3-1"
    twin["lead_department"] = "総務課"  # 7 not a department
    data["projects"].append(twin)
    problems = _problems(tmp_path, data)
    assert len(problems) == 7, "\n".join(problems)
    places = [p.split(":")[0] for p in problems]
    assert len(set(places)) == 7
    expected = [
        "titel",
        "departments[2].name",
        "projects[1].indicators[0].unit",
        "projects[0].placements[1].section",
        "projects[0].indicators[0].targets[2018]",
        "projects[2].id",
        "projects[2].lead_department",
    ]
    for where in expected:
        assert any(where in p for p in problems), (where, problems)


def test_a_pickled_plan_carries_its_widest_values(
    card_plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spawned worker gets the plan pickled: the widest values worked out before the
    workers start come with it, instead of every value being measured again in each."""
    fresh = pickle.loads(pickle.dumps(Plan.model_validate(card_plan.model_dump())))
    widest = card_plan.widest_values
    carried = pickle.loads(pickle.dumps(card_plan))

    def measured(text: str) -> float:
        raise AssertionError(f"measured again: {text!r}")

    monkeypatch.setattr(kpibook.textfit, "em_width", measured)
    assert carried.widest_values == widest
    assert carried == card_plan
    with pytest.raises(AssertionError, match="measured again"):
        fresh.widest_values  # noqa: B018 -- a plan pickled before: worked out afresh


def test_a_pickled_plan_carries_its_indexes(card_plan: Plan) -> None:
    """The indexes built before the workers start come with the plan to a spawned worker
    (each built them again on its first file), as the plan's own objects, not copies."""
    plan = Plan.model_validate(card_plan.model_dump())
    plan.build_indexes()
    carried = pickle.loads(pickle.dumps(plan))
    assert "_projects_by_id" in carried.__dict__  # not built again: came with the plan
    assert carried.__dict__["_projects_by_id"] == plan.__dict__["_projects_by_id"]
    for project in carried.projects:
        assert carried.project(project.id) is project
    assert carried.actual_years == plan.actual_years
    assert carried == plan
    unbuilt = pickle.loads(pickle.dumps(Plan.model_validate(card_plan.model_dump())))
    assert "_projects_by_id" not in unbuilt.__dict__  # nothing carried that was not built
