"""Open data and next year: plan → forms → returns → master → export → rollover → forms."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kpibook.cli import main
from kpibook.contract.content import form_content
from kpibook.contract.inputs import prefilled_keys
from kpibook.contract.names import indicator_name
from kpibook.entries import Entries
from kpibook.forms import generate_forms
from kpibook.forms.fill import write_filled_forms
from kpibook.master import write_master
from kpibook.master.data import read_master
from kpibook.merge import merge
from kpibook.opendata import datapackage, neutralize, tables
from kpibook.opendata_tables import TABLES
from kpibook.plan import Plan
from kpibook.plantext import load_plan_yaml
from kpibook.rollover import RolloverError, rollover
from kpibook.template import load_template
from kpibook.values import ValueKind
from tests.conftest import CARD
from tests.named import destination
from tests.test_libreoffice import SOFFICE, convert, needs_libreoffice


def master_of(plan: Plan, entries: Entries, tmp: Path) -> Path:
    forms = write_filled_forms(plan, entries, tmp / "returns")
    report, merged = merge(plan, [f.path for f in forms])
    path = tmp / "master.xlsx"
    write_master(plan, report, merged, path)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.mark.parametrize("which", ["card", "matrix"])
def test_full_cycle_accounts_for_every_value(
    which: str,
    tmp_path: Path,
    card_plan: Plan,
    card_entries: Entries,
    matrix_plan: Plan,
    matrix_entries: Entries,
) -> None:
    plan, entries = (card_plan, card_entries) if which == "card" else (matrix_plan, matrix_entries)
    master = master_of(plan, entries, tmp_path)
    assert read_master(master) == (plan, entries)  # the master carries what it was made of

    result = CliRunner().invoke(main, ["export", str(master), "-o", str(tmp_path / "csv")])
    assert result.exit_code == 0, result.output
    values = read_csv(tmp_path / "csv" / "values.csv")
    expected = sum(
        len(i.targets) + len(i.actuals) + (not i.final_target.is_empty)
        for p in plan.projects
        for i in p.indicators
    ) + sum(not v.is_empty for e in entries.entries for v in e.actuals.values())
    assert len(values) == expected  # nothing lost, nothing duplicated
    keys = [(v["indicator_id"], v["kind"], v["fiscal_year"]) for v in values]
    assert len(set(keys)) == len(keys)
    projects = read_csv(tmp_path / "csv" / "projects.csv")
    placements = read_csv(tmp_path / "csv" / "placements.csv")
    assert len(projects) == len(plan.projects)  # a 再掲 project counted once
    inside = [p for p in placements if p["section_id"]]
    assert len(inside) == sum(len(p.placements) for p in plan.projects)
    for row in values:  # numbers without units or separators
        if row["state"] == "number":
            Decimal(row["value"])

    year = plan.report_year + 1
    result = CliRunner().invoke(
        main, ["rollover", str(master), "--to-year", str(year), "-o", str(tmp_path / "next.yaml")]
    )
    assert result.exit_code == 0, result.output
    nxt = load_plan_yaml(tmp_path / "next.yaml")
    assert nxt.report_year == year
    for entry in entries.entries:
        project = nxt.project(entry.project)
        for iid, value in entry.actuals.items():
            if not value.is_empty:
                ind = next(i for i in project.indicators if i.id == iid)
                assert ind.actuals[plan.report_year] == value  # this year became history
    forms = generate_forms(nxt, tmp_path / "next-forms")
    assert forms
    wb = openpyxl.load_workbook(forms[0].path)
    template = load_template(nxt.layout)
    prefilled = [
        key
        for fp in form_content(nxt, forms[0].department).projects
        for group in prefilled_keys(fp, nxt, template).values()
        for key in group
    ]
    name = next(k for k in prefilled if k.endswith(f".a{plan.report_year}"))  # a past actual now
    sheet, ref = destination(wb, name, nxt)
    assert wb[sheet][ref].value is not None


def test_card_rollover_moves_r1_into_history(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    nxt, notes = rollover(card_plan, card_entries, 2020)
    p01 = nxt.project("p01").indicators[0]
    assert p01.actuals[2019].number == 104490
    assert p01.targets == card_plan.project("p01").indicators[0].targets  # targets kept
    codes = {n.code for n in notes}
    assert "last-year" in codes
    assert ("no-target", "p11-1") in {(n.code, n.indicator) for n in notes}
    [form] = generate_forms(nxt, tmp_path, departments=["生涯学習課"])
    wb = openpyxl.load_workbook(form.path)
    sheet, ref = destination(wb, indicator_name("p01", "p01-1", "a2019"), nxt)
    assert wb[sheet][ref].value == 104490


def test_pending_is_carried_and_flagged(matrix_plan: Plan, matrix_entries: Entries) -> None:
    nxt, notes = rollover(matrix_plan, matrix_entries, 2024)
    carried = nxt.project("p2-1-1-a").indicators[0].actuals[2023]
    assert carried.kind is ValueKind.PENDING
    assert ("still-pending", "p2-1-1-a-1") in {(n.code, n.indicator) for n in notes}


def test_rollover_refuses_past_and_beyond_the_period(
    card_plan: Plan, card_entries: Entries
) -> None:
    with pytest.raises(RolloverError):
        rollover(card_plan, card_entries, 2019)
    with pytest.raises(RolloverError, match="計画期間"):
        rollover(card_plan, card_entries, 2021)


def test_formula_like_text_is_neutralised(tmp_path: Path, card_plan: Plan) -> None:
    project = card_plan.project("p01")
    hostile = card_plan.model_copy(
        update={
            "projects": [
                project.model_copy(
                    update={
                        "name": '=HYPERLINK("http://x","click")',
                        "overview": "+81 3 1234",
                        "annual_plan": "@SUM(A1)",
                    }
                ),
                *card_plan.projects[1:],
            ]
        }
    )
    result = CliRunner().invoke(
        main, ["export", str(_save(hostile, tmp_path)), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    row = read_csv(tmp_path / "out" / "projects.csv")[0]
    assert row["name"] == "'" + '=HYPERLINK("http://x","click")'
    assert row["overview"] == "'+81 3 1234"
    assert row["annual_plan"] == "'@SUM(A1)"
    assert neutralize("-5") == "'-5"
    values = read_csv(tmp_path / "out" / "values.csv")
    assert all(not v["value"].startswith("'") for v in values)  # numbers stay numbers


def _save(plan: Plan, tmp: Path) -> Path:
    from kpibook.plantext import save_yaml

    path = tmp / "plan.yaml"
    save_yaml(plan, path)
    return path


def test_json_and_descriptor_describe_the_same_tables(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    out = tmp_path / "data.json"
    master = master_of(card_plan, card_entries, tmp_path)
    result = CliRunner().invoke(main, ["export", str(master), "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    rows = tables(card_plan, card_entries)
    assert set(document["tables"]) == {t.name for t in TABLES}
    for table in TABLES:
        assert len(document["tables"][table.name]) == len(rows[table.name])
    package = datapackage(card_plan)
    for resource, table in zip(package["resources"], TABLES, strict=True):
        assert [f["name"] for f in resource["schema"]["fields"]] == [c.name for c in table.columns]
    CliRunner().invoke(main, ["export", str(master), "-o", str(tmp_path / "csv")])
    for resource in package["resources"]:
        header = read_csv(tmp_path / "csv" / resource["path"])
        if header:
            assert list(header[0]) == [f["name"] for f in resource["schema"]["fields"]]


def test_export_refuses_something_that_is_neither(tmp_path: Path) -> None:
    plain = tmp_path / "x.xlsx"
    openpyxl.Workbook().save(plain)
    result = CliRunner().invoke(main, ["export", str(plain), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_export_reads_a_plan_workbook_as_a_plan(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(CARD / "plan.xlsx"), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert read_csv(tmp_path / "projects.csv")


def test_a_master_of_another_version_is_not_read_as_a_plan(tmp_path: Path) -> None:
    """Which error is raised decides, never its text: the folder's name here is the
    text that used to send any master error on to the plan reader."""
    from kpibook.master.data import FORMAT, SHEET

    folder = tmp_path / "not a kpibook master"
    folder.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws.append(["format", FORMAT])
    ws.append(["version", 99])
    wb.save(folder / "master.xlsx")
    result = CliRunner().invoke(main, ["export", str(folder / "master.xlsx"), "-o", str(folder)])
    assert result.exit_code == 1
    assert "master version 99 is not supported" in result.stderr


@needs_libreoffice
def test_csv_opens_in_libreoffice_with_japanese_intact(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    from kpibook.opendata import write_csv

    write_csv(card_plan, card_entries, tmp_path / "csv")
    assert SOFFICE is not None
    # What a LibreOffice user picks in the text import dialog: comma, double quote, UTF-8.
    [xlsx] = convert(
        [tmp_path / "csv" / "projects.csv"],
        tmp_path / "lo",
        "xlsx:Calc MS Excel 2007 XML",
        ".xlsx",
        infilter="CSV:44,34,76",
    )
    ws = openpyxl.load_workbook(xlsx).active
    assert ws is not None
    names = [c.value for c in ws["B"]]
    assert names[0] == "name"
    assert "柏市生涯学習まちづくり出前講座" in names
    assert "市民大学（カシワワカモノプロジェクト）" in names


# -- fit to publish ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("which", ["card", "matrix"])
def test_the_data_package_validates_with_frictionless(
    which: str,
    tmp_path: Path,
    card_plan: Plan,
    card_entries: Entries,
    matrix_plan: Plan,
    matrix_entries: Entries,
) -> None:
    """Every table against its schema, every primary key unique and every foreign key
    resolved, by the Data Package's own validator."""
    from frictionless import validate

    plan, entries = (card_plan, card_entries) if which == "card" else (matrix_plan, matrix_entries)
    out = tmp_path / "open-data"
    CliRunner().invoke(main, ["export", str(master_of(plan, entries, tmp_path)), "-o", str(out)])
    report = validate(str(out / "datapackage.json"))
    errors = [e.message for task in report.tasks for e in task.errors][:5]
    assert report.valid, errors
    described = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    keys = {r["name"]: r["schema"]["foreignKeys"] for r in described["resources"]}
    assert {
        "fields": "indicator_id",
        "reference": {"resource": "indicators", "fields": "indicator_id"},
    } in keys["values"]


def test_project_grades_count_what_the_overview_counts(
    card_plan: Plan, card_entries: Entries
) -> None:
    """grade.value_counts() on the export gives the 概要's counts: projects and
    indicators are separate tables now (A = 30 mixed both)."""
    from collections import Counter

    from kpibook.grading import grade_report

    rows = tables(card_plan, card_entries)
    exported = Counter(r["grade"] for r in rows["project_grades"] if r["grade"])
    overview = grade_report(card_plan, card_entries).counts()
    grades = card_plan.grading.grades
    assert {g: exported[g] for g in grades} == {g: overview.get(g, 0) for g in grades}
    assert sum(exported.values()) == sum(overview.get(g, 0) for g in grades)
    assert len(rows["project_grades"]) == len(card_plan.projects)
    assert len(rows["indicator_grades"]) == sum(len(p.indicators) for p in card_plan.projects)


def test_machine_dependent_characters_get_a_plain_column(
    matrix_plan: Plan, matrix_entries: Entries
) -> None:
    from kpibook.opendata import plain_text

    assert plain_text("①子育て支援") == "(1)子育て支援"
    assert plain_text("柱Ⅱ　㈱柏 ㎡ ㍻") == "柱II　(株)柏 m2 平成"
    assert plain_text("ＡＢＣ１２３") == "ＡＢＣ１２３"  # full-width text stays as printed
    rows = tables(matrix_plan, matrix_entries)
    circled = [r for r in rows["sections"] if "①" in r["number"]]
    assert circled
    assert all(r["number_plain"] == r["number"].replace("①", "(1)") for r in circled)


def test_baselines_revisions_sums_and_lags_are_exported(
    prefecture_plan: Plan, prefecture_entries: Entries
) -> None:
    rows = tables(prefecture_plan, prefecture_entries)
    values = {(r["indicator_id"], r["kind"], r["fiscal_year"]): r["value"] for r in rows["values"]}
    assert values[("k5-1", "original_target", 2024)] == 3000  # 当初目標, kept beside
    assert values[("k5-1", "target", 2024)] == 3200  # the revised one
    grades = {r["indicator_id"]: r for r in rows["indicator_grades"]}
    assert (grades["k1-1"]["rate"], grades["k1-1"]["rate_shown"]) == (
        Decimal("56.25"),
        Decimal("56.2"),
    )
    assert (grades["k1-1"]["method"], grades["k1-1"]["baseline"]) == ("progress", Decimal("62.0"))
    assert grades["k3-1"]["cumulative_total"] == 395
    assert (grades["k4-1"]["graded_year"], grades["k4-1"]["actual"]) == (2022, Decimal("20.8"))
    assert grades["k5-1"]["original_target"] == 3000
    indicators = {r["indicator_id"]: r for r in rows["indicators"]}
    assert (indicators["k3-1"]["cumulative"], indicators["k4-1"]["data_lag"]) == (True, 1)
    assert indicators["k3-1"]["rate_method"] == "ratio"  # its own, not the plan's progress
    assert (indicators["k1-1"]["baseline"], indicators["k1-1"]["baseline_year"]) == (
        Decimal("62.0"),
        2019,
    )


@pytest.mark.slow
def test_a_prefecture_export_validates_with_frictionless(
    tmp_path: Path, prefecture_plan: Plan, prefecture_entries: Entries
) -> None:
    """Original targets, 累計 totals, lagging years and section evaluations keep every
    key unique and every reference resolved."""
    from frictionless import validate

    out = tmp_path / "open-data"
    master = master_of(prefecture_plan, prefecture_entries, tmp_path)
    result = CliRunner().invoke(main, ["export", str(master), "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = validate(str(out / "datapackage.json"))
    assert report.valid, [e.message for task in report.tasks for e in task.errors][:5]
    sections = read_csv(out / "section_grades.csv")
    assert [(r["section_id"], r["grade"]) for r in sections] == [
        ("1", "B"),
        ("1-1", "B"),
        ("1-2", "A"),
        ("2", "B"),
        ("2-1", "B"),
    ]
