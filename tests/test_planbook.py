"""The plan workbook: round trip, and every error names its sheet and cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kpibook.errors import LoadError
from kpibook.plan import Plan
from kpibook.planbook import read_plan_workbook, write_blank_plan_workbook, write_plan_workbook
from tests.conftest import CARD, MATRIX


def test_examples_round_trip(tmp_path: Path, card_plan: Plan, matrix_plan: Plan) -> None:
    for plan in (card_plan, matrix_plan):
        path = tmp_path / f"{plan.id}.xlsx"
        write_plan_workbook(plan, path)
        assert read_plan_workbook(path) == plan


def test_a_plan_with_a_deadline_round_trips(tmp_path: Path, card_plan: Plan) -> None:
    # 提出期限 is a date: `plan convert plan.yaml plan.xlsx` and `rollover -o plan.xlsx`
    # wrote it through an assertion that only knew text and numbers
    plan = card_plan.model_copy(update={"deadline": dt.date(2027, 5, 15)})
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, path)
    assert read_plan_workbook(path) == plan
    sheet = openpyxl.load_workbook(path)["計画"]
    settings = {r[0]: r[1] for r in sheet.iter_rows(values_only=True)}
    assert settings["提出期限"] == dt.datetime(2027, 5, 15)


def test_committed_plan_workbooks_equal_the_text_form(card_plan: Plan, matrix_plan: Plan) -> None:
    assert read_plan_workbook(CARD / "plan.xlsx") == card_plan
    assert read_plan_workbook(MATRIX / "plan.xlsx") == matrix_plan


def test_same_plan_same_bytes(tmp_path: Path, card_plan: Plan) -> None:
    write_plan_workbook(card_plan, tmp_path / "a.xlsx")
    write_plan_workbook(card_plan, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_workbook_is_tidy_and_readable(tmp_path: Path, matrix_plan: Plan) -> None:
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(matrix_plan, path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "説明"
    ws = wb["指標"]
    headers = [c.value for c in ws[1]]
    # the official columns of seed 003: H29, R1..R4 actuals, R3 and R6 targets
    assert "実績値 H29" in headers
    assert "実績値 H30" not in headers
    assert {"目標値 R3", "目標値 R6", "最終目標"} <= set(headers)
    assert ws.freeze_panes == "A2"
    assert not ws.merged_cells.ranges
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[1] == "p2-1-1-a-1")
    assert row[headers.index("目標値 R3")] == "増加"
    assert row[headers.index("実績値 H29")] == 87.2


def _spoil(tmp_path: Path, plan: Plan, edit: Any) -> list[str]:
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, path)
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    with pytest.raises(LoadError) as info:
        read_plan_workbook(path)
    return [str(p) for p in info.value.problems]


def _cell(wb: openpyxl.Workbook, sheet: str, header: str, row: int) -> Any:
    ws = wb[sheet]
    col = [c.value for c in ws[1]].index(header) + 1
    return ws.cell(row=row, column=col)


def test_text_in_a_number_cell_is_named_by_sheet_and_cell(tmp_path: Path, card_plan: Plan) -> None:
    def edit(wb: openpyxl.Workbook) -> None:
        _cell(wb, "指標", "目標値 R1", 2).value = "約47,000人"

    [problem] = _spoil(tmp_path, card_plan, edit)
    assert "シート「指標」" in problem
    assert "（目標値 R1）" in problem
    assert "約47,000人" in problem
    col = [h for h in openpyxl.load_workbook(tmp_path / "plan.xlsx")["指標"][1]]
    letter = next(c.column_letter for c in col if c.value == "目標値 R1")
    assert f"{letter}2" in problem


def test_unknown_department_is_named_by_cell(tmp_path: Path, card_plan: Plan) -> None:
    def edit(wb: openpyxl.Workbook) -> None:
        _cell(wb, "事業", "主担当課", 3).value = "公民館"

    [problem] = _spoil(tmp_path, card_plan, edit)
    assert "シート「事業」C3" in problem
    assert "「公民館」は担当課の一覧にありません" in problem


def test_a_bad_value_and_a_bad_reference_are_reported_together(
    tmp_path: Path, card_plan: Plan
) -> None:
    """A number cell with text no longer hides an unknown department two rows below."""

    def edit(wb: openpyxl.Workbook) -> None:
        _cell(wb, "指標", "目標値 R1", 2).value = "約47,000人"
        _cell(wb, "事業", "主担当課", 3).value = "公民館"

    problems = _spoil(tmp_path, card_plan, edit)
    assert len(problems) == 2, problems
    assert any("シート「指標」" in p and "約47,000人" in p for p in problems)
    assert any(
        "シート「事業」C3" in p and "「公民館」は担当課の一覧にありません" in p for p in problems
    )


def test_structure_problems_are_all_reported(tmp_path: Path, card_plan: Plan) -> None:
    def edit(wb: openpyxl.Workbook) -> None:
        wb.create_sheet("メモ")
        wb["掲載"]["A2"].value = "p99"
        ws = wb["指標"]
        ws.cell(row=1, column=ws.max_column + 1).value = "目標値 令和100年度"
        del wb["担当課"]

    problems = _spoil(tmp_path, card_plan, edit)
    assert any("シート「メモ」" in p for p in problems)
    assert any("シート「担当課」" in p and "必要なシート" in p for p in problems)
    assert any("目標値 令和100年度" in p for p in problems)
    assert any("事業ID「p99」" in p and "掲載" in p for p in problems)


def test_formula_without_saved_result_is_refused(tmp_path: Path, card_plan: Plan) -> None:
    def edit(wb: openpyxl.Workbook) -> None:
        _cell(wb, "指標", "目標値 R1", 2).value = "=40000+7000"

    [problem] = _spoil(tmp_path, card_plan, edit)
    assert "数式" in problem


def test_hand_typed_forms_are_accepted(tmp_path: Path, card_plan: Plan) -> None:
    """What a coordinator types: an id as a number, era years, lists with 、."""
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(card_plan, path)
    wb = openpyxl.load_workbook(path)
    settings = wb["計画"]
    for row in settings.iter_rows(min_row=2):
        if row[0].value == "報告年度":
            row[1].value = "R1"
        if row[0].value == "階層名":
            row[1].value = "基本方針、施策"
    wb.save(path)
    assert read_plan_workbook(path) == card_plan


def test_blank_workbook_explains_itself_and_names_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "new.xlsx"
    write_blank_plan_workbook(path, 2025, 2029)
    wb = openpyxl.load_workbook(path)
    instructions = "\n".join(str(c.value) for row in wb["説明"].iter_rows() for c in row if c.value)
    for header in ("計画ID", "事業ID", "主担当課", "目標値 R7", "指標ID", "最終目標で評価"):
        assert header in instructions
    with pytest.raises(LoadError) as info:
        read_plan_workbook(path)
    problems = [str(p) for p in info.value.problems]
    assert any("（計画ID）" in p and "必須" in p for p in problems)
    assert any("シート「担当課」" in p for p in problems)


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_text("番号,事業名\n1,x\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"\.xlsx"):
        read_plan_workbook(path)


def test_baselines_and_rate_settings_are_named_by_cell(tmp_path: Path, card_plan: Plan) -> None:
    """The columns and settings issue #15 adds point at their own cells like any other."""

    def setting(wb: openpyxl.Workbook, label: str, value: Any) -> None:
        for row in wb["計画"].iter_rows(min_row=2):
            if row[0].value == label:
                row[1].value = value

    def letter(header: str) -> str:
        ws = openpyxl.load_workbook(tmp_path / "plan.xlsx")["指標"]
        return next(c.column_letter for c in ws[1] if c.value == header)

    [problem] = _spoil(tmp_path, card_plan, lambda wb: setting(wb, "達成率の端数処理", "切上げ"))
    assert "（達成率の端数処理）" in problem  # the setting's name, not the column's
    assert "四捨五入／切り捨て" in problem

    def values(wb: openpyxl.Workbook) -> None:
        _cell(wb, "指標", "基準値", 2).value = "増加"
        _cell(wb, "指標", "計算方法", 4).value = "進捗"
        setting(wb, "達成率の小数桁数", 7)

    problems = _spoil(tmp_path, card_plan, values)
    assert any(f"シート「指標」{letter('計算方法')}4（計算方法）" in p for p in problems)

    def model(wb: openpyxl.Workbook) -> None:
        _cell(wb, "指標", "基準値", 2).value = "増加"
        setting(wb, "達成率の小数桁数", 7)

    problems = _spoil(tmp_path, card_plan, model)
    assert any(f"シート「指標」{letter('基準値')}2" in p and "baseline" in p for p in problems)
    assert any("（達成率の小数桁数）" in p for p in problems)

    [problem] = _spoil(
        tmp_path, card_plan, lambda wb: setattr(_cell(wb, "指標", "基準年度", 3), "value", "R1")
    )
    assert f"シート「指標」{letter('基準年度')}3" in problem
    assert "基準値がありません" in problem


def test_a_prefecture_plan_round_trips(tmp_path: Path, prefecture_plan: Plan) -> None:
    """Baselines, 累計, a revised target and a lagging statistic, in both forms."""
    from kpibook.plantext import dump_yaml, load_plan_yaml

    write_plan_workbook(prefecture_plan, tmp_path / "plan.xlsx")
    assert read_plan_workbook(tmp_path / "plan.xlsx") == prefecture_plan
    headers = [c.value for c in openpyxl.load_workbook(tmp_path / "plan.xlsx")["指標"][1]]
    assert {"基準値", "基準年度", "累計", "公表の遅れ(年)", "当初目標 R6"} <= set(headers)
    (tmp_path / "plan.yaml").write_text(dump_yaml(prefecture_plan), encoding="utf-8")
    assert load_plan_yaml(tmp_path / "plan.yaml") == prefecture_plan


def test_required_texts_are_a_sheet_named_by_cell(tmp_path: Path, card_plan: Plan) -> None:
    plan = card_plan.model_copy(
        update={"checks": card_plan.checks.model_copy(update={"required_when": {"issues": []}})}
    )
    write_plan_workbook(plan, tmp_path / "plan.xlsx")
    assert read_plan_workbook(tmp_path / "plan.xlsx") == plan  # an empty cell: never

    def edit(wb: openpyxl.Workbook) -> None:
        wb["記入の条件"].append(["評価の説明", "B\n×"])

    [problem] = _spoil(tmp_path, plan, edit)
    assert "シート「記入の条件」B3（必須とする評価）" in problem
    assert "「×」は評価（A・B・C）にありません" in problem
