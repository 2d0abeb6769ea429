"""The merge and the master workbook, on both worked examples."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from kpibook.cli import main
from kpibook.contract.names import indicator_name, project_name
from kpibook.entries import Entries
from kpibook.forms import GeneratedForm
from kpibook.forms.fill import write_filled_forms
from kpibook.master import write_master
from kpibook.merge import Status, merge
from kpibook.plan import Plan
from tests.conftest import CARD
from tests.test_grading import CARD_GRADES
from tests.test_libreoffice import needs_libreoffice, pdf_text, to_pdf


@pytest.fixture(scope="module")
def card_returns(
    tmp_path_factory: pytest.TempPathFactory, card_plan: Plan, card_entries: Entries
) -> list[GeneratedForm]:
    return write_filled_forms(card_plan, card_entries, tmp_path_factory.mktemp("card"))


@pytest.fixture(scope="module")
def matrix_returns(
    tmp_path_factory: pytest.TempPathFactory, matrix_plan: Plan, matrix_entries: Entries
) -> list[GeneratedForm]:
    return write_filled_forms(matrix_plan, matrix_entries, tmp_path_factory.mktemp("matrix"))


@pytest.fixture(scope="module")
def card_master(
    tmp_path_factory: pytest.TempPathFactory, card_plan: Plan, card_returns: list[GeneratedForm]
) -> Path:
    report, entries = merge(card_plan, [f.path for f in card_returns])
    path = tmp_path_factory.mktemp("master") / "master.xlsx"
    write_master(card_plan, report, entries, path)
    return path


@pytest.fixture(scope="module")
def matrix_master(
    tmp_path_factory: pytest.TempPathFactory,
    matrix_plan: Plan,
    matrix_returns: list[GeneratedForm],
) -> Path:
    report, entries = merge(matrix_plan, [f.path for f in matrix_returns])
    path = tmp_path_factory.mktemp("master") / "master.xlsx"
    write_master(matrix_plan, report, entries, path)
    return path


def table(path: Path) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path)["一覧"]
    rows = list(ws.iter_rows(values_only=True))
    heads = [str(h) for h in rows[0]]
    return [dict(zip(heads, r, strict=True)) for r in rows[1:]]


def texts(path: Path, sheet: str) -> list[str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]


def test_master_has_its_four_sheets(card_master: Path) -> None:
    wb = openpyxl.load_workbook(card_master)
    visible = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert visible == ["概要", "一覧", "報告書", "提出状況"]
    assert wb["_kpibook"].sheet_state == "veryHidden"  # the plan and entries, for export


def test_card_master_holds_every_published_figure(
    card_master: Path, card_plan: Plan, card_entries: Entries
) -> None:
    rows = table(card_master)
    indicators = [i for p in card_plan.projects for i in p.indicators]
    assert [r["指標ID"] for r in rows if r["指標ID"]] == [i.id for i in indicators]
    by_id = {r["指標ID"]: r for r in rows}
    for entry in card_entries.entries:
        for iid, value in entry.actuals.items():
            assert Decimal(str(by_id[iid]["実績値 2019 (R1)"])) == value.number
    for ind in indicators:
        for year, value in ind.actuals.items():
            if value.number is not None:
                from kpibook.fiscal import era_label

                cell = by_id[ind.id][f"実績値 {year} ({era_label(year)})"]
                assert Decimal(str(cell)) == value.number


def test_card_master_grades_and_disagreements(card_master: Path) -> None:
    rows = table(card_master)
    by_name = {r["事業名"]: r for r in rows}
    assert {n: (r["事業の評価"], r["担当課の評価"]) for n, r in by_name.items()} == {
        n: (g or "評価不能", s) for n, (g, s) in CARD_GRADES.items()
    }
    assert sorted({r["事業名"] for r in rows if r["評価の一致"] == "不一致"}) == sorted(
        ["柏市民公益活動育成補助金", "地域子育て支援拠点事業", "「みんなの子育て広場」"]
    )
    rate = next(r for r in rows if r["指標ID"] == "p19-1")["達成率(%)"]
    assert rate == pytest.approx(81.7)


def test_card_report_prints_every_text_and_lists_the_relisting_twice(
    card_master: Path, card_entries: Entries, card_plan: Plan
) -> None:
    report = texts(card_master, "報告書")
    for entry in card_entries.entries:
        for text in (
            entry.activity_report,
            entry.issues,
            entry.future_plan,
            entry.grade_explanation,
        ):
            assert text in report
    assert report.count("・ 市民大学（カシワワカモノプロジェクト）") == 2  # twice in the index
    assert report.count("市民大学（カシワワカモノプロジェクト）") == 1  # its card under 1(1)
    assert report.count("市民大学（カシワワカモノプロジェクト）【再掲】") == 1  # and under 1(2)
    assert "1.(1) に掲載の事業の再掲です（記入は1回）" in report
    assert "かなり達成できた(80～100%)" in report
    overview = openpyxl.load_workbook(card_master)["概要"]
    total = next(r for r in overview.iter_rows(values_only=True) if r[0] == "合計（再掲は1回）")
    assert sum(v for v in total[1:5] if isinstance(v, int)) == len(card_plan.projects)


def test_card_report_index_follows_the_official_numbering(card_master: Path) -> None:
    ws = openpyxl.load_workbook(card_master)["報告書"]
    index = [
        (r[0], r[-1])
        for r in ws.iter_rows(values_only=True)
        if isinstance(r[0], str) and r[0].startswith("・ ") and isinstance(r[-1], int)
    ]
    assert [n for _, n in index] == list(range(1, 23))
    assert [n for name, n in index if "市民大学" in name] == [3, 7]  # as in seed 000's index
    sixth, seventh, eighth = (name for name, n in index if n in (6, 7, 8))
    assert "公益活動" in sixth
    assert "市民大学" in seventh
    assert "パレット柏" in eighth


def test_matrix_master(matrix_master: Path) -> None:
    rows = {r["指標ID"]: r for r in table(matrix_master) if r["指標ID"]}
    satisfaction = rows["p2-1-1-a-1"]
    # value columns hold numbers only; states are listed in their own column
    assert satisfaction["実績値 2023 (R5)"] is None
    assert "R5 実績値: 集計中" in satisfaction["数値でない値"]
    assert satisfaction["事業の評価"] == "－"  # pending: not gradable, never ×
    trainees = rows["p2-1-4-a-1"]
    assert trainees["目標値 2024 (R6)"] is None
    assert "R6 目標値: 増加" in trainees["数値でない値"]
    value_columns = [k for k in satisfaction if k.startswith(("目標値 ", "実績値 ", "最終目標"))]
    for row in rows.values():
        for key in value_columns:
            assert row[key] is None or isinstance(row[key], int | float), (key, row[key])
    assert trainees["指標の評価"] == "○"  # 1,542 (R5) > 1,229 (R4)
    report = texts(matrix_master, "報告書")
    assert any(
        t.startswith("高齢者の総合相談事業(地域包括支援センター)【再掲】柱2(1)①ア") for t in report
    )


def test_shared_project_is_filled_by_its_lead_only(
    matrix_plan: Plan, matrix_returns: list[GeneratedForm]
) -> None:
    report, entries = merge(matrix_plan, [f.path for f in matrix_returns])
    used = {d.department: d.used for d in report.departments}
    lead = next(r for r in report.returns if r.file == used["生活支援課"])
    other = next(r for r in report.returns if r.file == used["福祉政策課"])
    assert "p2-1-1-u" in [e.project for e in lead.entries]
    assert "p2-1-1-u" not in [e.project for e in other.entries]
    assert [e.project for e in entries.entries].count("p2-1-1-u") == 1


def test_missing_rejected_and_conflicting_departments(
    tmp_path: Path, card_plan: Plan, card_returns: list[GeneratedForm]
) -> None:
    files = [f.path for f in card_returns if f.department != "地域保健課"]
    bad = tmp_path / "kashiwa-lifelong-learning_R1_中央公民館.xlsx"
    wb = openpyxl.load_workbook(next(f.path for f in card_returns if f.department == "中央公民館"))
    [(sheet, ref)] = list(wb.defined_names[indicator_name("p02", "p02-1", "actual")].destinations)
    wb[sheet][ref.replace("$", "")] = "約2,400人"
    wb.save(bad)
    files = [f for f in files if "中央公民館" not in f.name] + [bad]
    second = tmp_path / "kashiwa-lifelong-learning_R1_生涯学習課 (2).xlsx"
    wb = openpyxl.load_workbook(next(f.path for f in card_returns if f.department == "生涯学習課"))
    [(sheet, ref)] = list(wb.defined_names[project_name("p01", "activity_report")].destinations)
    wb[sheet][ref.replace("$", "")] = "修正版の活動報告"
    wb.save(second)
    files.append(second)
    report, entries = merge(card_plan, files)
    status = {d.department: d for d in report.departments}
    assert status["地域保健課"].status is Status.MISSING
    assert status["中央公民館"].status is Status.REJECTED
    assert status["生涯学習課"].status is Status.CONFLICT
    assert len(status["生涯学習課"].files) == 2
    merged = {e.project for e in entries.entries}
    assert "p02" not in merged  # rejected: nothing of it is used
    assert "p01" not in merged  # conflict: nothing until one is chosen
    conflicting = [r for r in report.returns if r.department == "生涯学習課"]
    assert [[f.code for f in r.errors] for r in conflicting] == [["conflict"], ["conflict"]]
    assert all("--use" in r.errors[0].message_en for r in conflicting)
    resolved, entries = merge(card_plan, files, use=[second])
    assert resolved.status_of("生涯学習課").status is Status.RETURNED
    assert resolved.status_of("生涯学習課").used == second.name
    assert "p01" in {e.project for e in entries.entries}


def test_cli_strict_writes_nothing_and_json_is_the_library_report(
    tmp_path: Path, card_plan: Plan, card_returns: list[GeneratedForm]
) -> None:
    folder = tmp_path / "returns"
    folder.mkdir()
    for f in card_returns:
        shutil.copy(f.path, folder)
    target = folder / "kashiwa-lifelong-learning_R1_中央公民館.xlsx"
    wb = openpyxl.load_workbook(target)
    [(sheet, ref)] = list(wb.defined_names[indicator_name("p02", "p02-1", "actual")].destinations)
    wb[sheet][ref.replace("$", "")] = "=1+1"
    wb.save(target)
    master = tmp_path / "master.xlsx"
    runner = CliRunner()
    strict = runner.invoke(
        main, ["merge", "-p", str(CARD / "plan.yaml"), "-o", str(master), "--strict", str(folder)]
    )
    assert strict.exit_code == 1
    assert not master.exists()
    lenient = runner.invoke(
        main, ["merge", "-p", str(CARD / "plan.yaml"), "-o", str(master), "--json", str(folder)]
    )
    assert lenient.exit_code == 0
    assert master.exists()
    library, _ = merge(card_plan, sorted(folder.iterdir()))
    assert json.loads(lenient.stdout) == json.loads(library.model_dump_json())
    # printed as it is written (a national report is hundreds of MB), yet pydantic's text
    assert lenient.stdout == library.model_dump_json(indent=2) + "\n"
    over = runner.invoke(
        main, ["merge", "-p", str(CARD / "plan.yaml"), "-o", str(target), str(folder)]
    )
    assert over.exit_code == 2  # never writes over a return


def test_an_interrupted_merge_leaves_the_previous_master(
    tmp_path: Path,
    card_plan: Plan,
    card_returns: list[GeneratedForm],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report, entries = merge(card_plan, [f.path for f in card_returns])
    master = tmp_path / "master.xlsx"
    write_master(card_plan, report, entries, master)
    before = master.read_bytes()

    def crash(*_: object) -> None:
        raise KeyboardInterrupt  # the coordinator pressed Ctrl-C halfway

    monkeypatch.setattr("kpibook.master.write_status", crash)
    with pytest.raises(KeyboardInterrupt):
        write_master(card_plan, report, entries, master)
    assert master.read_bytes() == before
    assert openpyxl.load_workbook(master).sheetnames[0] == "概要"
    assert [p.name for p in tmp_path.iterdir()] == ["master.xlsx"]  # no temporary left


def test_same_returns_same_master(
    tmp_path: Path, card_plan: Plan, card_returns: list[GeneratedForm]
) -> None:
    report, entries = merge(card_plan, [f.path for f in card_returns])
    write_master(card_plan, report, entries, tmp_path / "a.xlsx")
    write_master(card_plan, report, entries, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_demo_runs_the_whole_cycle(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["demo", str(tmp_path / "demo"), "--example", "kashiwa-welfare-r5"]
    )
    assert result.exit_code == 0, result.output
    assert "提出 11/11 担当課" in result.stdout
    assert len(list((tmp_path / "demo" / "1-forms").glob("*.xlsx"))) == 11
    assert len(list((tmp_path / "demo" / "2-returns").glob("*.xlsx"))) == 11
    assert list((tmp_path / "demo").glob("3-master_*.xlsx"))


@needs_libreoffice
@pytest.mark.parametrize("which", ["card", "matrix"])
def test_master_prints_in_libreoffice_with_every_project(
    which: str,
    tmp_path: Path,
    card_master: Path,
    matrix_master: Path,
    card_plan: Plan,
    matrix_plan: Plan,
) -> None:
    master, plan = (card_master, card_plan) if which == "card" else (matrix_master, matrix_plan)
    [pdf] = to_pdf([master], tmp_path)
    text = "".join(pdf_text(pdf).split())
    for project in plan.projects:
        assert "".join(project.name.split()) in text, project.name


def test_a_byte_identical_copy_is_one_return_not_a_conflict(
    tmp_path: Path, card_plan: Plan, card_returns: list[GeneratedForm]
) -> None:
    """Mail clients and people save the same attachment twice (… (1).xlsx)."""
    original = next(f.path for f in card_returns if f.department == "生涯学習課")
    copy = tmp_path / (original.stem + " (1).xlsx")
    shutil.copy(original, copy)
    report, entries = merge(card_plan, [f.path for f in card_returns] + [copy])
    status = report.status_of("生涯学習課")
    assert status.status is Status.RETURNED
    assert sorted(status.files) == sorted([original.name, copy.name])
    copied = next(r for r in report.returns if r.file == copy.name)
    assert ("duplicate-copy", original.name) in [(f.code, f.raw) for f in copied.findings]
    assert not copied.errors
    assert [e.project for e in entries.entries].count("p01") == 1
