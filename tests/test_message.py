"""One bilingual message type: built with keywords, rendered in one place, never by hand."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from kpibook.atomic import OutputError
from kpibook.errors import KpibookError, LoadError, Problem
from kpibook.findings import finding
from kpibook.fiscal import FiscalYearError, parse_fiscal_year
from kpibook.message import Message
from kpibook.values import BadValue, Value


def test_a_message_renders_japanese_then_english() -> None:
    message = Message(ja="ファイルがありません", en="no such file")
    assert str(message) == "ファイルがありません / no such file"
    assert message.format() == message


def test_a_message_is_built_with_keywords_only() -> None:
    with pytest.raises(TypeError):
        Message("ファイルがありません", "no such file")  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Message(ja="a", en="b").ja = "c"  # type: ignore[misc]


def test_templates_fill_both_languages() -> None:
    template = Message(ja="「{raw}」は選択肢にありません", en="{raw!r} is not one of {expected}")
    assert template.format(raw="x", expected="A, B") == Message(
        ja="「x」は選択肢にありません", en="'x' is not one of A, B"
    )


def test_a_problem_renders_its_place_message_and_value() -> None:
    problem = Problem(
        where="plan.yaml line 3 (id)", message=Message(ja="必須です", en="required"), raw="x"
    )
    assert str(problem) == "plan.yaml line 3 (id): 必須です / required [x]"


def test_value_errors_speak_english_to_pydantic_and_both_to_kpibook() -> None:
    with pytest.raises(BadValue) as bad:
        Value.of("約5000人")
    assert str(bad.value) == bad.value.message.en
    assert "数値（単位なし）" in bad.value.message.ja
    with pytest.raises(FiscalYearError) as year:
        parse_fiscal_year("Q5")
    assert str(year.value) == year.value.message.en
    assert year.value.message.ja.startswith("年度として読めません")


def test_errors_render_their_file_and_message() -> None:
    error = LoadError.single("plan.yaml", Message(ja="ファイルがありません", en="no such file"))
    assert str(error) == (
        "plan.yaml: 読み込めません / cannot load (1 problem(s))\n"
        "  - plan.yaml: ファイルがありません / no such file"
    )
    assert str(KpibookError(Message(ja="あ", en="a"), where=Path("x.xlsx"))) == "x.xlsx: あ / a"


@pytest.mark.parametrize(
    "error",
    [
        KpibookError(Message(ja="あ", en="a")),
        LoadError.single("plan.yaml", Message(ja="ファイルがありません", en="no such file")),
        OutputError(Path("x.xlsx"), PermissionError(13, "Permission denied")),
        BadValue(Message(ja="値が正しくありません", en="bad")),
        FiscalYearError("Q5", "expected R1"),
    ],
)
def test_errors_survive_a_worker_process(error: Exception) -> None:
    """What a worker raises is pickled back to the CLI: it must arrive whole, whatever
    arguments its class takes."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


def test_a_finding_has_a_message_and_keeps_its_two_json_fields() -> None:
    found = finding("not-a-number", "x.xlsx", raw="約100人")
    assert found.message == Message(
        ja="数値として読めません（約100人）。半角の数値だけを、単位や「約」を付けずに入力してください。",
        en="'約100人' is not a number; enter the number alone, without units or 約",
    )
    dumped = found.model_dump()
    assert (dumped["message_ja"], dumped["message_en"]) == (found.message.ja, found.message.en)
    assert "message" not in dumped
