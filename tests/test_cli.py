"""The command line: thin commands, clean errors, and --json equal to the library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from kpibook import __version__
from kpibook.cli import main
from kpibook.entries import Entries
from kpibook.grading import grade_report
from kpibook.plan import Plan
from kpibook.planbook import read_plan_workbook
from kpibook.plantext import load_plan_yaml
from tests.conftest import CARD, MATRIX, ROOT


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert __version__ in out


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kpibook", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_grades_of_the_built_in_example() -> None:
    code, out, _ = run("grades", "--example", "kashiwa-lifelong-learning-r1")
    assert code == 0
    assert "令和元年度（FY2019）" in out
    assert "評価の不一致 / computed and self grade differ: 3" in out
    assert "≠ 地域子育て支援拠点事業（子育て支援課）: 計算 A / 自己評価 B" in out
    assert "1.(1)、1.(2)" in out  # 市民大学, listed twice


def test_grades_json_is_the_library_report(card_plan: Plan, card_entries: Entries) -> None:
    code, out, _ = run(
        "grades", str(CARD / "plan.xlsx"), "--entries", str(CARD / "entries.yaml"), "--json"
    )
    assert code == 0
    assert json.loads(out) == json.loads(grade_report(card_plan, card_entries).model_dump_json())


def test_grades_without_entries_grades_nothing() -> None:
    code, out, _ = run("grades", str(MATRIX / "plan.yaml"), "--json")
    assert code == 0
    assert all(p["grade"] is None for p in json.loads(out)["projects"])


def test_plan_error_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text(
        (CARD / "plan.yaml")
        .read_text(encoding="utf-8")
        .replace("lead_department: 中央公民館", "lead_department: 公民館"),
        encoding="utf-8",
    )
    code, out, err = run("plan", "check", str(bad))
    assert code == 1
    assert "Traceback" not in err + out
    assert "「公民館」は担当課の一覧にありません" in err
    assert "plan.yaml line" in err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("grades")[0] == 2
    assert run("grades", "--example", "nope")[0] == 1
    assert run("plan", "check", str(tmp_path / "plan.csv"))[0] == 2
    assert run("plan", "new", str(tmp_path / "x.xlsx"), "--start", "R7", "--end", "R5")[0] == 2


def test_convert_both_ways(tmp_path: Path, matrix_plan: Plan) -> None:
    book = tmp_path / "plan.xlsx"
    text = tmp_path / "plan.yaml"
    assert run("plan", "convert", str(MATRIX / "plan.yaml"), str(book))[0] == 0
    assert run("plan", "convert", str(book), str(text))[0] == 0
    assert read_plan_workbook(book) == matrix_plan
    assert load_plan_yaml(text) == matrix_plan


def test_plan_new_writes_a_blank_workbook(tmp_path: Path) -> None:
    target = tmp_path / "new.xlsx"
    code, _out, _ = run("plan", "new", str(target), "--start", "令和7年度", "--end", "R11")
    assert code == 0
    assert target.exists()
    assert run("plan", "new", str(target), "--start", "R7", "--end", "R11")[0] == 2  # no clobber


def test_examples_are_listed() -> None:
    code, out, _ = run("examples")
    assert code == 0
    assert "kashiwa-lifelong-learning-r1" in out
    assert "kashiwa-welfare-r5" in out


def test_every_command_has_help() -> None:
    def walk(cmd: object, path: list[str]) -> list[list[str]]:
        subs = getattr(cmd, "commands", {})
        return [path] + [p for name, sub in subs.items() for p in walk(sub, [*path, name])]

    for path in walk(main, []):
        code, out, _ = run(*path, "--help")
        assert code == 0, path
        assert "Usage:" in out, path


def test_generate_writes_one_form_per_department(tmp_path: Path) -> None:
    code, out, _ = run("generate", str(MATRIX / "plan.yaml"), "-o", str(tmp_path))
    assert code == 0
    assert "11 form(s)" in out
    assert len(list(tmp_path.glob("*.xlsx"))) == 11
    code, _, err = run(
        "generate", str(MATRIX / "plan.yaml"), "-o", str(tmp_path), "--department", "防災安全課"
    )
    assert code == 2
    assert "防災安全課" in err


def test_a_city_changes_a_label_in_its_own_template(tmp_path: Path) -> None:
    template = tmp_path / "card.yaml"
    template.write_text(
        (ROOT / "templates" / "card.yaml")
        .read_text(encoding="utf-8")
        .replace("project: 具体的事業", "project: 事務事業"),
        encoding="utf-8",
    )
    out = tmp_path / "forms"
    code, _, err = run(
        "generate",
        str(CARD / "plan.yaml"),
        "-o",
        str(out),
        "--department",
        "中央公民館",
        "--template",
        str(template),
    )
    assert code == 0, err
    [path] = out.glob("*.xlsx")
    ws = openpyxl.load_workbook(path)["記入様式"]
    labels = {c.value for row in ws.iter_rows() for c in row}
    assert "事務事業" in labels
    assert "具体的事業" not in labels


def test_a_broken_template_names_its_line(tmp_path: Path) -> None:
    template = tmp_path / "card.yaml"
    template.write_text(
        (ROOT / "templates" / "card.yaml")
        .read_text(encoding="utf-8")
        .replace("  project: 具体的事業", "  projekt: 具体的事業"),
        encoding="utf-8",
    )
    code, _, err = run(
        "generate", str(CARD / "plan.yaml"), "-o", str(tmp_path / "o"), "--template", str(template)
    )
    assert code == 1
    assert "card.yaml line" in err
    assert "labels.projekt" in err


def test_explicit_timestamp(tmp_path: Path) -> None:
    code, _, _ = run(
        "generate",
        str(CARD / "plan.yaml"),
        "-o",
        str(tmp_path),
        "--department",
        "中央公民館",
        "--timestamp",
        "2020-04-01",
    )
    assert code == 0
    [path] = tmp_path.glob("*.xlsx")
    assert openpyxl.load_workbook(path).properties.created.year == 2020


def test_an_error_in_a_worker_process_is_a_message(tmp_path: Path, matrix_plan: Plan) -> None:
    """Forms are written on several processes; an output that cannot be written is an
    error message there too, not a broken process pool."""
    from kpibook.contract.files import form_filename

    (tmp_path / form_filename(matrix_plan, "障害福祉課")).mkdir()
    code, _, err = run("generate", str(MATRIX / "plan.yaml"), "-o", str(tmp_path), "--jobs", "2")
    assert code == 1
    assert "Traceback" not in err
    assert "障害福祉課.xlsx: 書き込めません" in err


def test_a_cp932_console_prints_every_message(
    tmp_path: Path, small_plan_data: dict[str, Any]
) -> None:
    """A Windows console, or output redirected there, is often cp932: a 𠮷 or an em dash
    in a name must print as an escape, never end the run with UnicodeEncodeError."""
    import yaml

    data = small_plan_data
    data["departments"][0]["name"] = "𠮷野課"
    data["projects"][0]["lead_department"] = "𠮷野課"
    data["projects"][0]["name"] = "出前講座 — 𠮷田地区"
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "cp932"}
    forms = tmp_path / "forms"
    runs = [
        (["plan", "check", str(plan)], 0),
        (["grades", str(plan)], 0),
        (["generate", str(plan), "-o", str(forms)], 0),
        (["check", "-p", str(plan), str(forms)], 1),  # nothing filled in: errors
        (["check", "-p", str(plan), "--json", str(forms)], 1),
        (["merge", "-p", str(plan), "-o", str(tmp_path / "m.xlsx"), str(forms)], 0),
    ]
    for args, code in runs:
        done = subprocess.run(
            [sys.executable, "-m", "kpibook", *args], capture_output=True, env=env, check=False
        )
        err = done.stderr.decode("cp932", errors="replace")
        assert done.returncode == code, (args, err)
        assert b"Traceback" not in done.stderr, (args, err)
        out = done.stdout.decode("cp932")
        if args[0] in ("check", "merge") and "--json" not in args:
            assert "\\U00020bb7" in out, (args, out[:300])


def _settings(book: Path) -> dict[Any, Any]:
    wb = openpyxl.load_workbook(book)
    return {row[0]: row[1] for row in wb["計画"].iter_rows(values_only=True) if row[0]}


def _scale(book: Path) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(book)
    return [tuple(row[:3]) for row in wb["評価区分"].iter_rows(min_row=2, values_only=True)]


def test_plan_new_takes_layout_scale_and_words(tmp_path: Path) -> None:
    """A prefecture's plan: one row per indicator, A/B+/B/C, 所管課 / 取組 / 期待値. The
    words go into a template beside the workbook, which the workbook names."""
    from kpibook.template import MatrixTemplate, Terms

    target = tmp_path / "県計画.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "plan", "new", str(target), "--start", "R7", "--end", "R11", "--layout", "matrix",
            "--scale", "ab+bc", "--department-term", "所管課", "--project-term", "取組",
            "--indicator-term", "KPI", "--target-term", "期待値", "--actual-term", "実績",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "既定値" not in result.stderr  # nothing was left to a default
    template = tmp_path / "県計画.template.yaml"
    settings = _settings(target)
    assert settings["様式"] == "一覧表"
    assert settings["様式テンプレート"] == template.name
    assert _scale(target) == [
        ("A", 100, "順調"),
        ("B+", 80, "概ね順調"),
        ("B", 50, "やや遅れ"),
        ("C", 0, "遅れ"),
    ]
    from kpibook.plantext import load_model_yaml

    own = load_model_yaml(template, MatrixTemplate)
    assert own.terms == Terms(
        department="所管課", project="取組", indicator="KPI", target="期待値", actual="実績",
        target_note="{year} 期待値",
    )  # fmt: skip
    assert own.labels.department == "所管課"  # the table's 担当部局 too
    assert (
        own.labels.department_note
        == "※複数の担当が該当する場合，青色セルの所管課がご記入ください。"
    )
    assert own.labels.name == "取組名"
    assert own.labels.target == "期待値"


def test_plan_new_prints_a_cards_years_across_when_asked(tmp_path: Path) -> None:
    """One column a year, as 茨城県's KPI cards print them: the plan gets a template of
    its own saying so, which its workbook names; on a terminal the choice is asked."""
    from kpibook.plantext import load_model_yaml
    from kpibook.template import CardTemplate

    target = tmp_path / "across.xlsx"
    code, _, _ = run(
        "plan", "new", str(target), "--start", "R7", "--end", "R11", "--layout", "card",
        "--years", "across", "--no-ask",
    )  # fmt: skip
    assert code == 0
    template = tmp_path / "across.template.yaml"
    assert _settings(target)["様式テンプレート"] == template.name
    assert load_model_yaml(template, CardTemplate).years == "across"
    asked = tmp_path / "asked.xlsx"
    answers = "card\nacross\nabc\n\n\n\n\n\n"
    result = CliRunner().invoke(
        main, ["plan", "new", str(asked), "--start", "R7", "--end", "R11", "--ask"], input=answers
    )
    assert result.exit_code == 0, result.output
    assert "年度の並び" in result.output
    own = load_model_yaml(tmp_path / "asked.template.yaml", CardTemplate)
    assert own.years == "across"


def test_a_card_started_with_its_years_across_prints_at_8_pt(tmp_path: Path) -> None:
    """A card's years across (a baseline, past years, five targets and 【最終目標】)
    are too wide for portrait paper: the started template printed the whole card at
    66 %, its text at 6.6 pt. It prints landscape, as 茨城県's own template does."""
    from kpibook.forms import generate_forms
    from kpibook.plantext import load_model_yaml
    from kpibook.template import CardTemplate

    target = tmp_path / "across.xlsx"
    code, _, _ = run(
        "plan", "new", str(target), "--start", "R7", "--end", "R11", "--layout", "card",
        "--years", "across", "--no-ask",
    )  # fmt: skip
    assert code == 0
    template = load_model_yaml(tmp_path / "across.template.yaml", CardTemplate)
    plan = load_plan_yaml(ROOT / "examples" / "ibaraki-sousei-kpi" / "plan.yaml")
    department = plan.projects[0].lead_department
    [form] = generate_forms(plan, tmp_path / "forms", [department], template=template)
    sheet = openpyxl.load_workbook(form.path)[template.sheet]
    smallest = min(template.font.size, template.font.text_input_size)
    scale = sheet.page_setup.scale
    assert scale is not None
    assert scale * smallest / 100 >= 8


@pytest.mark.parametrize(
    ("scale", "below"), [("abc", ["B", "C"]), ("marks", ["○", "△", "×"]), ("achieved", None)]
)
def test_a_matrix_started_with_another_scale_names_its_grades(
    tmp_path: Path, scale: str, below: list[str] | None
) -> None:
    """The built-in table asks for 改善策 when the grade is △ or ×, the welfare plan's
    scale: a plan started with A/B/C (or ◎○△×, where ○ is below the top too) gets a
    template of its own that names its own grades below the top."""
    from kpibook.plantext import load_model_yaml
    from kpibook.template import MatrixTemplate

    target = tmp_path / "plan.xlsx"
    code, _, _ = run(
        "plan", "new", str(target), "--start", "R7", "--end", "R11", "--layout", "matrix",
        "--scale", scale, "--no-ask",
    )  # fmt: skip
    assert code == 0
    own = tmp_path / "plan.template.yaml"
    if below is None:  # 達成/概ね達成/未達成: no △ to replace; the words are its own
        below = ["概ね達成", "未達成"]
    template = load_model_yaml(own, MatrixTemplate)
    [improvement] = [t for t in template.texts if t.key == "improvement"]
    assert improvement.label == f"・{{year}}実績が{'，'.join(below)}の場合は改善策"
    assert "・".join(below) in template.self_grade.help
    if scale != "marks":
        assert "△" not in own.read_text(encoding="utf-8")


def test_plan_new_without_a_terminal_says_which_defaults_it_used(tmp_path: Path) -> None:
    target = tmp_path / "new.xlsx"
    result = CliRunner().invoke(main, ["plan", "new", str(target), "--start", "R7", "--end", "R11"])
    assert result.exit_code == 0
    assert "既定値を使いました" in result.stderr
    for option in (
        "--layout card",
        "--years down",
        "--scale abc",
        "--department-term 担当課",
        "--target-term 目標値",
    ):
        assert option in result.stderr
    assert not list(tmp_path.glob("*.template.yaml"))  # the built-in template's words
    assert _settings(target)["様式"] == "カード"
    assert _settings(target).get("様式テンプレート") is None
    assert _scale(target) == [
        ("A", 80, "かなり達成できた"),
        ("B", 50, "あまり達成できなかった"),
        ("C", 0, "達成できなかった"),
    ]


def test_plan_new_asks_on_a_terminal(tmp_path: Path) -> None:
    """--ask (the default on a terminal): each choice is asked, a scale not understood is
    asked again, and Enter keeps the shown default."""
    target = tmp_path / "asked.xlsx"
    answers = "matrix\nnonsense\nmarks\n担当部・課\n\n\n\n実績\n"
    result = CliRunner().invoke(
        main, ["plan", "new", str(target), "--start", "R7", "--end", "R11", "--ask"], input=answers
    )
    assert result.exit_code == 0, result.output
    assert "評価区分「nonsense」はありません" in result.output
    assert "記入する課の呼び方" in result.output
    assert _settings(target)["様式"] == "一覧表"
    assert [row[0] for row in _scale(target)] == ["◎", "○", "△", "×"]
    text = (tmp_path / "asked.template.yaml").read_text(encoding="utf-8")
    assert 'department: "担当部・課"' in text
    assert 'actual: "実績"' in text
    assert 'project: "事業"' in text
    assert "既定値" not in result.stderr


def test_plan_new_takes_a_scale_of_ones_own(tmp_path: Path) -> None:
    target = tmp_path / "own.xlsx"
    scale = "達成:100:目標を達成,ほぼ達成:90:9割以上,未達成:0:9割未満"
    code, _, _ = run("plan", "new", str(target), "--start", "R7", "--end", "R9", "--scale", scale)
    assert code == 0
    assert _scale(target) == [
        ("達成", 100, "目標を達成"),
        ("ほぼ達成", 90, "9割以上"),
        ("未達成", 0, "9割未満"),
    ]
