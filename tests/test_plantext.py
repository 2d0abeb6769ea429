"""The YAML text form: YAML 1.1 surprises are off, errors carry line numbers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kpibook.errors import LoadError
from kpibook.plan import Model, Plan
from kpibook.plantext import dump_yaml, load_plan_yaml, read_yaml
from kpibook.values import Value


def _yaml(tmp_path: Path, text: str) -> object:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return read_yaml(path)[0]


def test_yaml_11_surprises_are_plain_text(tmp_path: Path) -> None:
    data = _yaml(tmp_path, "a: no\nb: on\nc: 1_000\nd: 0123\ne: 1:30\nf: 87.2\ng: true\n")
    assert data == {
        "a": "no",
        "b": "on",
        "c": "1_000",
        "d": 123,
        "e": "1:30",
        "f": Decimal("87.2"),
        "g": True,
    }


def test_duplicate_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb: 2\na: 3\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        read_yaml(path)
    assert "line 3" in str(info.value)
    assert "given twice" in str(info.value)


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: [1, 2\nb: 3\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"line \d+"):
        read_yaml(path)


@pytest.mark.parametrize(
    ("content", "ja"),
    [
        (b"\xff\xfe\x00bad", "UTF-8"),
        (b"- just\n- a list\n", "項目: 値"),
    ],
)
def test_unusable_files_say_why(tmp_path: Path, content: bytes, ja: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(content)
    with pytest.raises(LoadError, match=ja):
        load_plan_yaml(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="ファイルがありません"):
        load_plan_yaml(tmp_path / "nope.yaml")


def test_era_label_keys_are_stored_as_western_years(tmp_path: Path, card_plan: Plan) -> None:
    text = dump_yaml(card_plan)
    assert "2019: 47000" in text  # western years in storage
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace("2019: 47000", "令和元年度: 47000"), encoding="utf-8")
    assert load_plan_yaml(path) == card_plan


def test_text_form_round_trips(tmp_path: Path, card_plan: Plan, matrix_plan: Plan) -> None:
    for plan in (card_plan, matrix_plan):
        path = tmp_path / f"{plan.id}.yaml"
        path.write_text(dump_yaml(plan), encoding="utf-8")
        assert load_plan_yaml(path) == plan


def test_strings_that_look_like_numbers_stay_strings(tmp_path: Path) -> None:
    class Doc(Model):
        a: str
        b: str
        c: str
        v: Value

    path = tmp_path / "x.yaml"
    path.write_text(dump_yaml(Doc(a="08", b="no", c="1_000", v=Value.of(8))), encoding="utf-8")
    assert read_yaml(path)[0] == {"a": "08", "b": "no", "c": "1_000", "v": 8}
