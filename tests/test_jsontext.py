"""The text form as JSON: read as the YAML reader reads it, errors located as well."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpibook.cli import main
from kpibook.errors import LoadError
from kpibook.jsontext import parse_json
from kpibook.plan import Plan
from kpibook.plantext import dump_json, dump_yaml, load_entries_yaml, load_plan_yaml, read_yaml
from tests.conftest import CARD, MATRIX


def _problems(path: Path) -> list[str]:
    with pytest.raises(LoadError) as caught:
        load_plan_yaml(path)
    return [str(p) for p in caught.value.problems]


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_plans_round_trip_through_json(
    tmp_path: Path, card_plan: Plan, matrix_plan: Plan, suffix: str
) -> None:
    """A .json file, and a .yaml file that is JSON, load as the plan they were written from."""
    for plan in (card_plan, matrix_plan):
        path = tmp_path / f"{plan.id}{suffix}"
        path.write_text(dump_json(plan), encoding="utf-8")
        assert load_plan_yaml(path) == plan


def test_json_means_what_it_means_to_the_yaml_reader(tmp_path: Path, matrix_plan: Plan) -> None:
    text = dump_json(matrix_plan)
    doc = json.loads(text)
    doc["extras"] = {"a": 1.50, "b": -0.0, "c": 1e3, "d": [True, None, "NaN"], "e": "2020-05-31"}
    text = json.dumps(doc, ensure_ascii=False, indent=1).replace('"NaN"', "NaN")
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    assert parse_json(text)[0] == read_yaml(path)[0]


def test_entries_load_from_json(tmp_path: Path, card_plan: Plan) -> None:
    entries = load_entries_yaml(CARD / "entries.yaml", card_plan)
    path = tmp_path / "entries.json"
    path.write_text(dump_json(entries), encoding="utf-8")
    assert load_entries_yaml(path, card_plan) == entries


def test_era_label_keys_are_read_and_located(tmp_path: Path, card_plan: Plan) -> None:
    text = dump_json(card_plan)
    assert '"2019": 47000' in text
    path = tmp_path / "plan.json"
    path.write_text(text.replace('"2019": 47000', '"令和元年度": 47000'), encoding="utf-8")
    assert load_plan_yaml(path) == card_plan
    path.write_text(text.replace('"2019": 47000', '"令和元年度": "約47000人"'), encoding="utf-8")
    [problem] = _problems(path)
    line = _line_of(path.read_text(encoding="utf-8"), "約47000人")
    assert problem.startswith(f"plan.json line {line} (projects[")
    assert re.search(r"\.targets\[2019\]\): ", problem)


def test_every_problem_names_its_line_and_key_path(tmp_path: Path, matrix_plan: Plan) -> None:
    """The same problems as in YAML, each at the line of the value it is about."""
    doc: dict[str, Any] = json.loads(dump_json(matrix_plan))
    doc["projects"][3]["indicators"][0]["unit"] = 5
    del doc["projects"][7]["name"]
    doc["title"] = ""
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    yaml_path = tmp_path / "plan.yaml"
    yaml_path.write_text(dump_yaml(matrix_plan), encoding="utf-8")

    problems = _problems(path)
    keys = [p.split(" (", 1)[1].split(")", 1)[0] for p in problems]
    assert keys == [
        "title",
        "projects[3].indicators[0].unit",
        "projects[7].name",
    ]
    lines = [int(p.split(" line ", 1)[1].split(" ", 1)[0]) for p in problems]
    project_7 = json.dumps(doc["projects"][7]["id"], ensure_ascii=False)
    assert lines == [
        _line_of(text, '"title": ""'),
        _line_of(text, '"unit": 5'),
        _line_of(text, f'"id": {project_7}') - 1,  # the project's opening brace
    ]


def test_references_between_parts_are_located(tmp_path: Path, matrix_plan: Plan) -> None:
    doc: dict[str, Any] = json.loads(dump_json(matrix_plan))
    doc["projects"][9]["lead_department"] = "存在しない課"
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    [problem] = _problems(path)
    assert problem.startswith(
        f"plan.json line {_line_of(text, '存在しない課')} (projects[9].lead_department): "
    )


def test_a_syntax_error_names_line_and_column(tmp_path: Path, card_plan: Plan) -> None:
    text = dump_json(card_plan).replace('"issuer": "柏市",', '"issuer": "柏市"', 1)
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    [problem] = _problems(path)
    line = _line_of(text, '"issuer"') + 1
    assert f"plan.json line {line} column 2: JSON の書き方に誤りがあります" in problem
    assert "Expecting ',' delimiter" in problem


def test_a_key_given_twice_is_an_error_with_its_place(tmp_path: Path, matrix_plan: Plan) -> None:
    n = next(n for n, p in enumerate(matrix_plan.projects) if len(p.indicators) > 1)
    indicator = matrix_plan.projects[n].indicators[1].id
    needle = f'"id": "{indicator}",'
    text = dump_json(matrix_plan)
    assert text.count(needle) == 1
    text = text.replace(needle, f"{needle} {needle}")
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    [problem] = _problems(path)
    assert problem == (
        f"{path} line {_line_of(text, needle)} (projects[{n}].indicators[1].id): "
        "同じ項目が2回書かれています / key 'id' is given twice"
    )


def test_yaml_in_flow_style_is_still_yaml(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("{a: 1, b: [x, y]}\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"x.yaml line 1 \(id\)"):
        load_plan_yaml(path)


def test_plan_convert_writes_json(tmp_path: Path, matrix_plan: Plan) -> None:
    target = tmp_path / "plan.json"
    result = CliRunner().invoke(main, ["plan", "convert", str(MATRIX / "plan.yaml"), str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8"))["id"] == matrix_plan.id
    result = CliRunner().invoke(main, ["plan", "check", str(target)])
    assert result.exit_code == 0, result.output
    assert load_plan_yaml(target) == matrix_plan
