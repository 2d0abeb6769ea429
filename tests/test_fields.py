"""Custom fields: declared once in the plan, they go through the whole cycle -- printed
locked or asked for on the forms, explained in the 記入要領, checked, merged, exported."""

from __future__ import annotations

import copy
import csv
import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pydantic import ValidationError

from kpibook import api
from kpibook.contract.names import field_name
from kpibook.entries import Entries, ProjectEntry
from kpibook.errors import LoadError
from kpibook.findings import Code
from kpibook.forms.fill import write_filled_forms
from kpibook.master import write_master
from kpibook.merge import merge
from kpibook.plan import Plan, PlanIntegrityError
from kpibook.planbook import read_plan_workbook, write_plan_workbook
from kpibook.plancheck import plan_problems
from kpibook.plantext import dump_yaml, load_entries_yaml, load_plan_yaml
from kpibook.returns.check import check_returns
from kpibook.template import FormTemplate, load_template
from kpibook.values import Value
from tests.named import destination
from tests.test_libreoffice import needs_libreoffice, to_pdf
from tests.test_print import Case, pieces, read_pdf, report_pages

FIELDS: list[dict[str, Any]] = [
    {"key": "source", "label": "出典", "of": "indicator", "help": "統計の名前"},
    {
        "key": "rank",
        "label": "全国順位",
        "kind": "number",
        "of": "indicator",
        "decimals": 0,
        "unit": "位",
        "minimum": 1,
        "maximum": 47,
    },
    {"key": "next_release", "label": "次回公表時期", "of": "indicator"},
    {
        "key": "measure",
        "label": "改善策",
        "filled_by": "department",
        "max_length": 100,
        "help": "評価がB・Cのとき、来年度の改善策を記入",
        "required": ["B", "C"],
    },
    {
        "key": "share",
        "label": "県内シェア",
        "kind": "number",
        "of": "indicator",
        "filled_by": "department",
        "decimals": 1,
        "minimum": 0,
        "maximum": 100,
        "help": "県内に占める割合（%）",
    },
    {
        "key": "outlook",
        "label": "見通し",
        "kind": "choice",
        "choices": ["順調", "要注意"],
        "filled_by": "department",
        "required": True,
        "help": "来年度の見通し",
    },
]


def plan_with_fields(data: dict[str, Any], layout: str = "card") -> Plan:
    data = copy.deepcopy(data)
    data["layout"] = layout
    data["fields"] = FIELDS
    data["projects"][0] |= {"overview": "地域に出向く講座", "annual_plan": "年10回"}
    ind = data["projects"][0]["indicators"][0]
    ind["fields"] = {
        "source": "市民活動統計（市民生活課）",
        "rank": 12,
        "next_release": "令和4年12月",
    }
    return Plan.model_validate(data)


def entries_with_fields(
    plan: Plan, grade: str = "B", measure: str | None = "会場を増やす"
) -> Entries:
    fields: dict[str, Any] = {"outlook": "順調"}
    if measure is not None:
        fields["measure"] = measure
    return Entries(
        plan=plan.id,
        fiscal_year=plan.report_year,
        entries=[
            ProjectEntry(
                project="p1",
                actuals={"p1-1": Value.of(95)},
                self_grade=grade,
                fields=fields,
                indicator_fields={"p1-1": {"share": Decimal("12.5")}},
                **(
                    {
                        "activity_report": "実施した",
                        "issues": "会場",
                        "future_plan": "継続",
                        "grade_explanation": "会場が不足",
                    }
                    if plan.layout.value == "card"
                    else {"comment": "実施した", "improvement": "見直す"}
                ),
            )
        ],
    )


@pytest.mark.parametrize("layout", ["card", "matrix"])
def test_fields_go_the_whole_cycle(
    tmp_path: Path, small_plan_data: dict[str, Any], layout: str
) -> None:
    plan = plan_with_fields(small_plan_data, layout)
    entries = entries_with_fields(plan)
    forms = write_filled_forms(plan, entries, tmp_path / "returns")
    [form] = forms
    wb = openpyxl.load_workbook(form.path)
    # the coordinator's values printed, locked, under their names
    sheet, cell = _cell(wb, field_name("p1", "source", "p1-1"), plan)
    assert wb[sheet][cell].value == "市民活動統計（市民生活課）"
    assert wb[sheet][cell].protection.locked
    sheet, cell = _cell(wb, field_name("p1", "rank", "p1-1"), plan)
    assert wb[sheet][cell].value == "12位"
    # the department's: inputs with the validation their declaration gives
    sheet, cell = _cell(wb, field_name("p1", "outlook"), plan)
    assert not wb[sheet][cell].protection.locked
    kinds = {
        (dv.type, dv.formula1, dv.formula2)
        for dv in wb[sheet].data_validations.dataValidation
        if cell in dv.sqref
    }
    assert kinds == {("list", '"順調,要注意"', None)}
    sheet, share = _cell(wb, field_name("p1", "share", "p1-1"), plan)
    kinds = {
        (dv.type, dv.formula1, dv.formula2)
        for dv in wb[sheet].data_validations.dataValidation
        if share in dv.sqref
    }
    assert kinds == {("decimal", "0.0", "100.0")}
    # the 記入要領 explains each department field with its help text
    guide = " ".join(str(c.value) for row in wb["記入要領"].iter_rows() for c in row if c.value)
    assert "来年度の見通し 選択肢: 順調、要注意" in guide
    assert "評価がB・Cのとき、来年度の改善策を記入（100字以内）（評価がB・Cのとき必須）" in guide
    assert "県内に占める割合（%） 数値（小数第1位まで）を半角で入力。範囲 0～100。" in guide
    assert (
        "計画で記入済みの項目（変更できません） 出典 統計の名前" in guide
    )  # the plan's, explained

    report = check_returns(plan, [form.path])
    assert [f.code for f in report.returns[0].findings] == []
    [entry] = report.returns[0].entries
    assert entry.fields == {"outlook": "順調", "measure": "会場を増やす"}
    assert entry.indicator_fields == {"p1-1": {"share": Decimal("12.5")}}

    merged = api.merge_returns(plan, returns=[form.path])
    master = tmp_path / "master.xlsx"
    api.write_master(merged, path=master, printable=True)
    mb = openpyxl.load_workbook(master)
    table = [[c.value for c in row] for row in mb["一覧"].iter_rows()]
    heads = next(r for r in table if "出典" in r)
    row = next(r for r in table if "市民活動統計（市民生活課）" in r)
    for label, value in [
        ("出典", "市民活動統計（市民生活課）"),
        ("全国順位", 12),
        ("次回公表時期", "令和4年12月"),
        ("改善策", "会場を増やす"),
        ("県内シェア", 12.5),
        ("見通し", "順調"),
    ]:
        assert row[heads.index(label)] == value, label
    _, read_back = api.read_master(master)
    assert read_back.entries[0].fields == entry.fields

    out = tmp_path / "export"
    api.export_master(master, output=out, format="csv")
    from frictionless import validate

    checked = validate(str(out / "datapackage.json"))  # the typed columns hold their types
    assert checked.valid, [e.message for task in checked.tasks for e in task.errors][:5]
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    schemas = {r["name"]: r["schema"]["fields"] for r in package["resources"]}
    types = {f["name"]: f["type"] for fs in schemas.values() for f in fs}
    assert types["field_rank"] == "integer"
    assert types["field_share"] == "number"
    assert types["field_source"] == "string"
    rows = _csv_rows(out)
    assert any(
        r.get("field_source") == "市民活動統計（市民生活課）" and r.get("field_rank") == "12"
        for r in rows
    )
    assert any(
        r.get("field_outlook") == "順調" and r.get("field_measure") == "会場を増やす" for r in rows
    )
    data = json.loads(
        api.export_master(master, output=tmp_path / "x.json", format="json")[0].read_text(
            encoding="utf-8"
        )
    )
    assert "12.5" in json.dumps(data) or 12.5 in _values(data)


def _values(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [v for x in data.values() for v in _values(x)]
    if isinstance(data, list):
        return [v for x in data for v in _values(x)]
    return [data]


def _csv_rows(folder: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def _cell(wb: Any, name: str, plan: Plan, template: FormTemplate | None = None) -> tuple[str, str]:
    """Where an input's name, or a prefilled cell through its group's name, points."""
    return destination(wb, name, plan, template)


def test_department_fields_are_checked_at_their_cells(
    tmp_path: Path, small_plan_data: dict[str, Any]
) -> None:
    plan = plan_with_fields(small_plan_data)
    entries = entries_with_fields(plan, grade="C", measure=None)
    [form] = write_filled_forms(plan, entries, tmp_path)
    wb = openpyxl.load_workbook(form.path)
    sheet, outlook = _cell(wb, field_name("p1", "outlook"), plan)
    wb[sheet][outlook] = "たぶん"
    _, share = _cell(wb, field_name("p1", "share", "p1-1"), plan)
    wb[sheet][share] = 12.25
    _, source = _cell(wb, field_name("p1", "source", "p1-1"), plan)
    wb[sheet][source] = "別の統計"
    _, measure = _cell(wb, field_name("p1", "measure"), plan)
    wb.save(form.path)
    findings = check_returns(plan, [form.path]).returns[0].findings
    got = sorted((f.code, f.cell, f.raw) for f in findings)
    assert got == sorted(
        [
            (Code.NOT_A_CHOICE, outlook, "たぶん"),
            (Code.TOO_MANY_DECIMALS, share, "12.25"),
            (Code.PREFILLED_CHANGED, source, "別の統計"),
            (Code.EXPLANATION_REQUIRED, measure, "C"),
        ]
    )


def test_plan_values_are_checked_when_the_plan_loads(small_plan_data: dict[str, Any]) -> None:
    data = copy.deepcopy(small_plan_data)
    data["fields"] = FIELDS
    ind = data["projects"][0]["indicators"][0]
    ind["fields"] = {"rank": 48, "share": 3}
    data["projects"][0]["fields"] = {"nope": "x"}
    plan, problems = plan_problems(data, lambda loc: ".".join(map(str, loc)))
    assert plan is None
    where = {p.where for p in problems}
    assert where == {
        "projects.0.indicators.0.fields.rank",  # outside 1～47
        "projects.0.indicators.0.fields.share",  # the department's to fill
    }
    # "nope" may be a field of the template: checked with it (the next test)


def test_a_value_given_to_the_project_of_an_indicator_field_says_so(
    small_plan_data: dict[str, Any],
) -> None:
    # 追加項目の値 with the 指標ID left empty: 全国順位 *is* declared, for indicators;
    # the message said it was not declared and to add it to `fields`
    data = copy.deepcopy(small_plan_data)
    data["fields"] = FIELDS
    data["projects"][0]["fields"] = {"rank": 3}
    data["projects"][0]["indicators"][0]["fields"] = {"measure": "x"}
    plan, problems = plan_problems(data, lambda loc: ".".join(map(str, loc)))
    assert plan is None
    said = {p.where: p.message.ja for p in problems}
    assert said["projects.0.fields.rank"] == (
        "「全国順位」（rank）は指標の項目です（指標ごとに書きます。計画ブックでは指標IDを記入）"
    )
    assert said["projects.0.indicators.0.fields.measure"] == (
        "「改善策」（measure）は事業の項目です（事業ごとに書きます。計画ブックでは指標IDを空欄に）"
    )


def test_a_field_of_the_template_needs_no_plan_declaration(
    tmp_path: Path, small_plan_data: dict[str, Any]
) -> None:
    data = copy.deepcopy(small_plan_data)
    data["projects"][0]["fields"] = {"basis": "総合計画の目標"}
    plan = Plan.model_validate(data)
    base = load_template(plan.layout)
    template = base.model_copy(
        update={"fields": [*base.fields, *_specs([{"key": "basis", "label": "設定の考え方"}])]}
    )
    [form] = write_filled_forms(
        plan, Entries(plan=plan.id, fiscal_year=plan.report_year), tmp_path, template
    )
    wb = openpyxl.load_workbook(form.path)
    sheet, cell = _cell(wb, field_name("p1", "basis"), plan, template)
    assert wb[sheet][cell].value == "総合計画の目標"
    # without the template, the value has no declaration: said, not dropped
    with pytest.raises(PlanIntegrityError, match="basis"):
        api.generate_forms(plan, outdir=tmp_path / "plain")


def _specs(raw: list[dict[str, Any]]) -> list[Any]:
    from kpibook.fields import FieldSpec

    return [FieldSpec.model_validate(r) for r in raw]


def test_a_declaration_that_does_not_fit_its_kind_is_refused(
    small_plan_data: dict[str, Any],
) -> None:
    for bad in (
        {"key": "a", "label": "A", "kind": "choice"},
        {"key": "a", "label": "A", "choices": ["x"]},
        {"key": "a", "label": "A", "kind": "number", "max_length": 3},
        {"key": "a", "label": "A", "required": ["B"]},  # a coordinator's, by grade
        {"key": "A-1", "label": "A"},
    ):
        with pytest.raises(ValidationError):
            Plan.model_validate({**small_plan_data, "fields": [bad]})


def test_a_declaration_that_does_not_fit_its_kind_says_why_in_japanese(
    small_plan_data: dict[str, Any],
) -> None:
    # the 追加項目 sheet's 選択 without 選択肢 said only 値が正しくありません in Japanese
    said = {}
    for name, bad in (
        ("no choices", {"key": "a", "label": "A", "kind": "choice"}),
        ("choices of text", {"key": "a", "label": "A", "choices": ["x"]}),
        ("twice", {"key": "a", "label": "A", "kind": "choice", "choices": ["x", "x"]}),
        ("range", {"key": "a", "label": "A", "kind": "number", "minimum": 5, "maximum": 1}),
        ("by grade", {"key": "a", "label": "A", "required": ["B"]}),
    ):
        plan, problems = plan_problems({**small_plan_data, "fields": [bad]}, str)
        assert plan is None
        [problem] = problems
        said[name] = problem.message.ja
    assert said == {
        "no choices": "選択の項目には選択肢が必要です",
        "choices of text": "選択肢 は文字の項目には使えません",
        "twice": "同じ選択肢が2回あります",
        "range": "最小値が最大値より大きくなっています",
        "by grade": "計画で記入する項目は、評価によって必須にはできません（常に必須か任意）",
    }


LONG_METHOD = (
    "県内の事業所を対象とした就業実態調査（毎年6月1日時点）において、"
    "テレワークを導入していると回答した事業所の数を、回答した事業所の総数で除して算出する。"
) * 3


@needs_libreoffice
@pytest.mark.parametrize("layout", ["card", "matrix"])
def test_field_values_are_printed_in_the_form_and_the_report(
    tmp_path: Path, small_plan_data: dict[str, Any], layout: str
) -> None:
    data = copy.deepcopy(small_plan_data)
    data["layout"] = layout
    data["fields"] = [*FIELDS, {"key": "method", "label": "算出方法", "of": "indicator"}]
    data["projects"][0] |= {"overview": "地域に出向く講座", "annual_plan": "年10回"}
    data["projects"][0]["indicators"][0]["fields"] = {
        "source": "市民活動統計（市民生活課）",
        "rank": 12,
        "method": LONG_METHOD,
    }
    plan = Plan.model_validate(data)
    entries = entries_with_fields(plan)
    [form] = write_filled_forms(plan, entries, tmp_path / "returns")
    report, merged = merge(plan, [form.path])
    master = tmp_path / "master.xlsx"
    write_master(plan, report, merged, master, printable=True)
    form_pdf, master_pdf = to_pdf([form.path, master], tmp_path / "pdf")
    form_pages = read_pdf(form.path, form_pdf).pages
    case = Case(plan, entries, read_pdf(master, master_pdf))
    for text in ("市民活動統計（市民生活課）", "12位", LONG_METHOD, "会場を増やす", "順調", "12.5"):
        assert pieces(text, form_pages) is not None, text
        assert pieces(text, report_pages(case)) is not None, text
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            "3",
            str(master_pdf),
            str(tmp_path / "page"),
        ],
        check=False,
    )


def test_fields_round_trip_through_the_plan_workbook_and_yaml(
    tmp_path: Path, small_plan_data: dict[str, Any]
) -> None:
    plan = plan_with_fields(small_plan_data)
    write_plan_workbook(plan, tmp_path / "plan.xlsx")
    assert read_plan_workbook(tmp_path / "plan.xlsx") == plan
    (tmp_path / "plan.yaml").write_text(dump_yaml(plan), encoding="utf-8")
    assert load_plan_yaml(tmp_path / "plan.yaml") == plan
    # a value that does not fit its field is named by sheet and cell
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    sheet = wb["追加項目の値"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[2].value == "rank")
    row[3].value = 99
    wb.save(tmp_path / "plan.xlsx")
    with pytest.raises(LoadError) as caught:
        read_plan_workbook(tmp_path / "plan.xlsx")
    [problem] = caught.value.problems
    assert f"シート「追加項目の値」D{row[3].row}" in problem.where
    assert "全国順位" in problem.message.ja


def test_entries_written_as_yaml_carry_fields_checked_against_their_declaration(
    tmp_path: Path, small_plan_data: dict[str, Any]
) -> None:
    plan = plan_with_fields(small_plan_data)
    entries = entries_with_fields(plan)
    (tmp_path / "entries.yaml").write_text(dump_yaml(entries), encoding="utf-8")
    assert load_entries_yaml(tmp_path / "entries.yaml", plan) == entries
    bad = entries.model_copy(
        update={
            "entries": [
                entries.entries[0].model_copy(
                    update={"fields": {"outlook": "たぶん", "source": "x"}}
                )
            ]
        }
    )
    (tmp_path / "bad.yaml").write_text(dump_yaml(bad), encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_entries_yaml(tmp_path / "bad.yaml", plan)
    messages = [p.message.ja for p in caught.value.problems]
    assert len(messages) == 2
    assert any("「たぶん」は「見通し」の選択肢" in m for m in messages)
    assert any("項目「source」は宣言されていません" in m for m in messages)


def test_the_documented_example_declares_valid_fields() -> None:
    """docs/plan-format.md's example of fields is what a plan may say."""
    import re

    import yaml

    from kpibook.fields import FieldSpec

    doc = (Path(__file__).parent.parent / "docs" / "plan-format.md").read_text("utf-8")
    section = doc.split("### Custom fields", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    data = yaml.safe_load(block.group(1))
    specs = [FieldSpec.model_validate(f) for f in data["fields"]]
    assert {(s.kind, s.filled_by) for s in specs} == {
        ("text", "coordinator"),
        ("number", "department"),
        ("choice", "department"),
        ("text", "department"),
    }
    assert specs[-1].required_for() == ("△", "×")
