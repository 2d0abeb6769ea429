"""速報値 / 確定値: an actual may be preliminary.  The plan marks past actuals as 速報値 and
says where a department may report one; the form offers 速報値 beside the actual; check,
grading, the master, the report and the export say so; rollover keeps it and asks for the
確定値.  The worked case is the Ibaraki example, whose H29 雇用創出数 is a 速報値."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pydantic import ValidationError

from kpibook.contract.content import form_content
from kpibook.contract.fingerprint import Fingerprinter
from kpibook.contract.names import indicator_name
from kpibook.contract.specs import STATE_PRELIMINARY
from kpibook.contract.stamp import FORM_VERSION
from kpibook.entries import Entries, entry_problems
from kpibook.forms import GeneratedForm, generate_forms
from kpibook.forms.fill import write_filled_forms
from kpibook.grading import grade_report
from kpibook.master import write_master
from kpibook.merge import merge
from kpibook.opendata import tables
from kpibook.plan import Plan
from kpibook.plantext import load_entries_yaml
from kpibook.returns.check import check_return
from kpibook.rollover import rollover
from kpibook.sources import load_plan
from kpibook.template import load_template, plan_template
from kpibook.values import ActualStatus
from tests.conftest import EXAMPLES
from tests.named import destination
from tests.test_libreoffice import needs_libreoffice, pdf_text, to_pdf

FOLDER = EXAMPLES / "ibaraki-sousei-kpi"
KOYO, NOGYO = ("koyo", "koyo-soshutsu"), ("nogyo", "nogyo-sanshutsugaku")
KOYO_DEPT = "政策企画部・計画推進課"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(FOLDER / "plan.yaml")


@pytest.fixture(scope="module")
def entries(plan: Plan) -> Entries:
    return load_entries_yaml(FOLDER / "entries.yaml", plan)


@pytest.fixture(scope="module")
def returns(
    tmp_path_factory: pytest.TempPathFactory, plan: Plan, entries: Entries
) -> dict[str, GeneratedForm]:
    forms = write_filled_forms(plan, entries, tmp_path_factory.mktemp("returns"))
    return {f.department: f for f in forms}


def _validation(form: GeneratedForm, name: str) -> Any:
    wb = openpyxl.load_workbook(form.path)
    [(sheet, ref)] = list(wb.defined_names[name].destinations)
    cell = ref.replace("$", "")
    return next(v for v in wb[sheet].data_validations.dataValidation if cell in v.sqref)


# -- the plan -------------------------------------------------------------------------------


def test_a_status_is_kept_only_where_it_says_something(plan: Plan) -> None:
    data = plan.model_dump(mode="json")
    ind = data["projects"][0]["indicators"][0]
    ind["actual_status"] = {"H27": "preliminary", "H28": "final"}
    changed = Plan.model_validate(data).projects[0].indicators[0]
    assert changed.actual_status == {2015: ActualStatus.PRELIMINARY}  # 確定値 is the default


def test_a_status_without_a_numeric_actual_is_refused(plan: Plan) -> None:
    data = plan.model_dump(mode="json")
    data["projects"][0]["indicators"][0]["actual_status"] = {"H26": "preliminary"}
    with pytest.raises(ValidationError, match="only for a year with a numeric actual"):
        Plan.model_validate(data)


def test_entries_may_mark_a_preliminary_actual_only_where_the_plan_allows(
    plan: Plan, entries: Entries
) -> None:
    assert list(entry_problems(plan, entries)) == []
    data = entries.model_dump(mode="json")
    data["entries"][1]["actual_status"] = {"nogyo-sanshutsugaku": "preliminary"}
    [(loc, message)] = list(entry_problems(plan, Entries.model_validate(data)))
    assert loc == ("entries", 1, "actual_status", "nogyo-sanshutsugaku")
    assert "速報値" in message.ja


# -- the form offers it, and check reads it -------------------------------------------------


def test_the_form_offers_a_preliminary_actual_only_where_the_plan_allows(
    returns: dict[str, GeneratedForm],
) -> None:
    koyo = _validation(returns[KOYO_DEPT], indicator_name(*KOYO, "state"))
    assert koyo.formula1 == f'"集計中,該当なし,{STATE_PRELIMINARY}"'
    nogyo = _validation(returns["農林水産部・農業政策課"], indicator_name(*NOGYO, "state"))
    assert nogyo.formula1 == '"集計中,該当なし"'


def test_a_return_gives_back_the_preliminary_status(
    plan: Plan, returns: dict[str, GeneratedForm]
) -> None:
    result = check_return(plan, returns[KOYO_DEPT].path, plan_template(plan))
    assert result.errors == []
    [entry] = result.entries
    assert entry.actual_status == {KOYO[1]: ActualStatus.PRELIMINARY}


def test_preliminary_without_a_figure_is_named_by_its_cell(
    tmp_path: Path, plan: Plan, returns: dict[str, GeneratedForm]
) -> None:
    form = returns[KOYO_DEPT]
    wb = openpyxl.load_workbook(form.path)
    name = indicator_name(*KOYO, "actual")
    [(sheet, ref)] = list(wb.defined_names[name].destinations)
    wb[sheet][ref.replace("$", "")].value = None
    wb.save(tmp_path / form.path.name)
    result = check_return(plan, tmp_path / form.path.name, plan_template(plan))
    assert [(f.sheet, f.cell, f.code) for f in result.findings] == [
        (sheet, ref.replace("$", ""), "required-missing")
    ]
    # the clerk chose 速報値 on purpose: the message says why a figure is needed
    assert "速報値を選んだときは数値を記入" in result.findings[0].message_ja


def test_preliminary_where_the_plan_does_not_allow_it_is_not_a_choice(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    [form] = write_filled_forms(card_plan, card_entries, tmp_path / "forms")[:1]
    pid = form_content(card_plan, form.department).projects[0].project
    wb = openpyxl.load_workbook(form.path)
    name = indicator_name(pid.id, pid.indicators[0].id, "state")
    [(sheet, ref)] = list(wb.defined_names[name].destinations)
    wb[sheet][ref.replace("$", "")].value = STATE_PRELIMINARY
    wb.save(tmp_path / form.path.name)
    result = check_return(card_plan, tmp_path / form.path.name, load_template(card_plan.layout))
    assert [(f.cell, f.code, f.raw) for f in result.errors] == [
        (ref.replace("$", ""), "not-a-choice", STATE_PRELIMINARY)
    ]


def test_marking_a_past_actual_preliminary_outdates_its_form(plan: Plan) -> None:
    data = plan.model_dump(mode="json")
    data["projects"][0]["indicators"][0]["actual_status"] = {"H28": "preliminary"}
    other = Plan.model_validate(data)
    template = plan_template(plan)

    def prints(p: Plan) -> str:
        projects = [fp.project for fp in form_content(p, KOYO_DEPT).projects]
        return Fingerprinter(p, template).of(KOYO_DEPT, projects, FORM_VERSION)

    assert prints(plan) != prints(other)


# -- grading, the master, the export --------------------------------------------------------


def test_a_grade_on_a_preliminary_actual_is_flagged(plan: Plan, entries: Entries) -> None:
    report = grade_report(plan, entries)
    [koyo] = next(p for p in report.projects if p.project == "koyo").indicators
    assert (koyo.grade, koyo.rate_shown, koyo.preliminary) == ("A", Decimal("117.9"), True)
    final = copy.deepcopy(entries.model_dump(mode="json"))
    final["entries"][0]["actual_status"] = {}
    [again] = next(
        p for p in grade_report(plan, Entries.model_validate(final)).projects if p.project == "koyo"
    ).indicators
    assert (again.grade, again.preliminary) == ("A", False)  # graded the same, not flagged


def test_the_master_and_the_export_say_preliminary(
    tmp_path: Path, plan: Plan, returns: dict[str, GeneratedForm]
) -> None:
    report, merged = merge(plan, [f.path for f in returns.values()], jobs=1)
    assert merged.for_project("koyo").actual_status == {KOYO[1]: ActualStatus.PRELIMINARY}  # type: ignore[union-attr]
    master = tmp_path / "master.xlsx"
    write_master(plan, report, merged, master)
    rows = list(openpyxl.load_workbook(master)["一覧"].iter_rows(values_only=True))
    head = rows[0]
    id_column = head.index(f"{plan_template(plan).terms.indicator}ID")  # KPIID: its own word
    koyo = next(r for r in rows[1:] if r[id_column] == KOYO[1])
    assert koyo[head.index("速報値の実績")] == "H29"
    assert koyo[head.index("速報値で評価")] == "速報値"
    out = tables(plan, merged)
    actuals = {
        v["fiscal_year"]: v
        for v in out["values"]
        if v["indicator_id"] == KOYO[1] and v["kind"] == "actual"
    }
    actual = actuals[2017]
    assert (actual["value"], actual["status"], actual["source"]) == (1914, "preliminary", "return")
    assert actuals[2016]["status"] == "final"
    graded = next(g for g in out["indicator_grades"] if g["indicator_id"] == KOYO[1])
    assert graded["preliminary"] is True


# -- next year asks for the 確定値 -----------------------------------------------------------


def test_rollover_keeps_the_status_and_asks_for_the_final_figure(
    plan: Plan, entries: Entries
) -> None:
    following, notes = rollover(plan, entries, 2018)
    koyo = following.project("koyo").indicators[0]
    assert koyo.actual_status == {2017: ActualStatus.PRELIMINARY}
    [asked] = [n for n in notes if n.code == "preliminary"]
    assert "H29の実績値 1,914 は速報値です" in asked.message.ja
    assert "確定値" in asked.message.ja


@needs_libreoffice
def test_a_preliminary_actual_prints_as_such_in_the_report_and_next_years_form(
    tmp_path: Path, plan: Plan, entries: Entries, returns: dict[str, GeneratedForm]
) -> None:
    from kpibook.pdf import print_master

    report, merged = merge(plan, [f.path for f in returns.values()], jobs=1)
    write_master(plan, report, merged, tmp_path / "master.xlsx")
    pdf = print_master(tmp_path / "master.xlsx", tmp_path / "report.pdf", ["報告書"])
    assert "1,914（速報値）" in pdf_text(pdf).replace(" ", "")
    following, _ = rollover(plan, entries, 2018)
    [form] = generate_forms(following, tmp_path / "next", departments=[KOYO_DEPT])
    wb = openpyxl.load_workbook(form.path)
    sheet, ref = destination(wb, indicator_name(*KOYO, "a2017"), following)
    assert "速報値" in wb[sheet][ref].number_format
    [printed] = to_pdf([form.path], tmp_path / "pdf")
    assert "1,914人（速報値）" in pdf_text(printed).replace(" ", "")  # the form prints units
