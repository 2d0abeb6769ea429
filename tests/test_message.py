"""One bilingual message type: built with keywords, rendered in one place, never by hand."""

from __future__ import annotations

import ast
import dataclasses
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kpibook.atomic import OutputError
from kpibook.errors import KpibookError, LoadError, Problem
from kpibook.findings import Code, finding
from kpibook.fiscal import FiscalYearError, parse_fiscal_year
from kpibook.message import Message
from kpibook.values import BadValue, Value
from tests.conftest import ROOT

PACKAGE = ROOT / "kpibook"


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
    found = finding(Code.NOT_A_NUMBER, "x.xlsx", raw="約100人")
    assert found.message == Message(
        ja="数値として読めません（約100人）。半角の数値だけを、単位や「約」を付けずに入力してください。",
        en="'約100人' is not a number; enter the number alone, without units or 約",
    )
    dumped = found.model_dump()
    assert (dumped["message_ja"], dumped["message_en"]) == (found.message.ja, found.message.en)
    assert "message" not in dumped


# -- no hand-joined "ja / en" strings -----------------------------------------------------

HAND_JOINED = [
    re.compile(r"[^\x00-\x7f] / [A-Za-z-]"),  # 日本語 / English
    re.compile(r"[^\x00-\x7f][^/]*\{\} / [A-Za-z]"),  # エラー {n} / errors
    re.compile(r"[A-Za-z.;)] / [A-Za-z]*[^\x00-\x7f]"),  # English / 日本語 (or XML攻撃)
    re.compile(r"\{\} / \{\}"),  # f"{ja} / {en}"
]
RENDERER = PACKAGE / "message.py"
"""The one place that joins the two languages."""


def _literals(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string literal that is not a docstring, f-string placeholders as ``{}``."""
    docs = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    inner = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values
            )
            found.append((node.lineno, text))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docs | inner
        ):
            found.append((node.lineno, node.value))
    return found


def hand_joined(source: str) -> list[tuple[int, str]]:
    """The string literals of ``source`` that join Japanese and English by hand."""
    return [
        (line, text)
        for line, text in sorted(_literals(ast.parse(source)))
        if any(p.search(text) for p in HAND_JOINED)
    ]


def test_the_check_finds_hand_joined_strings() -> None:
    source = (
        "def f(ja: str, en: str, n: int) -> list[str]:\n"
        '    """A docstring may say 担当課 / department."""\n'
        "    return [\n"
        '        "ファイルがありません / no such file",\n'
        '        f"{n}: the master was not written / 作成しませんでした",\n'
        '        f"{ja} / {en}",\n'
        '        f"エラー {n} / errors {n}",\n'
        '        "no protection against XML attacks. / XML攻撃への対策が無効です",\n'
        '        "計算 / 自己評価", "true / false で入力", "&P / &N",\n'
        "    ]\n"
    )
    assert [text for _, text in hand_joined(source)] == [
        "ファイルがありません / no such file",
        "{}: the master was not written / 作成しませんでした",
        "{} / {}",
        "エラー {} / errors {}",
        "no protection against XML attacks. / XML攻撃への対策が無効です",
    ]


def test_no_hand_joined_bilingual_strings() -> None:
    """Japanese and English are joined by :class:`~kpibook.message.Message` only."""
    hits = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != RENDERER
        for line, text in hand_joined(path.read_text(encoding="utf-8"))
    ]
    assert hits == [], "build a Message(ja=..., en=...) instead:\n" + "\n".join(hits)


def test_messages_and_errors_load_without_pydantic() -> None:
    """``kpibook --help`` imports the errors, not pydantic (which takes a while to load)."""
    code = (
        "import sys\n"
        "from kpibook.cli import main\n"
        "import kpibook.errors, kpibook.message\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'pydantic' not in sys.modules, 'pydantic was imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
