"""The third worked example: 茨城県's 数値目標・KPI進捗状況調書 (2018 edition, H29 data).

Built by hand from ``docs/research/ibaraki-kpi-chosho/transcription.json``; these tests
read the transcription directly and check the example against it, and that kpibook
reproduces every rate the 2018 edition prints.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpibook.cli import main
from kpibook.demo import run_demo
from kpibook.entries import Entries, ProjectEntry
from kpibook.fiscal import parse_fiscal_year
from kpibook.grading import grade_report
from kpibook.plan import Indicator, Plan
from kpibook.plantext import load_entries_yaml
from kpibook.sources import load_plan
from kpibook.values import ActualStatus, Value, ValueKind
from tests.conftest import EXAMPLES, ROOT
from tests.test_libreoffice import needs_libreoffice, pdf_text, to_pdf

NAME = "ibaraki-sousei-kpi"
FOLDER = EXAMPLES / NAME
RESEARCH = ROOT / "docs" / "research" / "ibaraki-kpi-chosho" / "transcription.json"
EDITION = "ed-H29data"  # the 2018 edition, whose report year (H29) the example is


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(FOLDER / "plan.yaml")


@pytest.fixture(scope="module")
def entries(plan: Plan) -> Entries:
    return load_entries_yaml(FOLDER / "entries.yaml", plan)


@pytest.fixture(scope="module")
def transcription() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RESEARCH.read_text(encoding="utf-8"))
    return data


def _indicator(plan: Plan, indicator_id: str) -> Indicator:
    return next(i for p in plan.projects for i in p.indicators if i.id == indicator_id)


def _card(transcription: dict[str, Any], indicator_id: str, edition: str) -> dict[str, Any]:
    ind = next(i for i in transcription["indicators"] if i["id"] == indicator_id)
    card: dict[str, Any] = next(c for c in ind["cards"] if c["edition"] == edition)
    return card


def _number(v: Value | None) -> Decimal | None:
    return v.number if v is not None and v.kind is ValueKind.NUMBER else None


def test_example_is_listed_and_loads(plan: Plan, entries: Entries) -> None:
    from kpibook.examples import example_names

    assert NAME in example_names()
    assert plan.id == NAME
    assert plan.issuer == "茨城県"
    assert (plan.period.start, plan.period.end, plan.report_year) == (2015, 2019, 2017)
    assert [b.grade for b in plan.grading.bands] == ["A", "B+", "B", "C"]
    assert [b.min_rate for b in plan.grading.bands] == [100, 80, 50, 0]
    assert plan.grading.rounding.method == "truncate"
    assert entries.fiscal_year == plan.report_year
    # one card per KPI: each project has exactly one indicator
    assert [len(p.indicators) for p in plan.projects] == [1, 1]


def test_committed_plan_workbook_equals_the_text_form(plan: Plan) -> None:
    assert load_plan(FOLDER / "plan.xlsx") == plan


def test_example_holds_the_transcribed_values(
    plan: Plan, entries: Entries, transcription: dict[str, Any]
) -> None:
    assert plan.title == transcription["source"]["series_title"]
    # 雇用創出数, 2018 edition: running totals; the plan holds each year's own figure
    card = _card(transcription, "koyo-soshutsu", EDITION)
    koyo = _indicator(plan, "koyo-soshutsu")
    assert koyo.cumulative
    end = plan.period.end
    for era, cell in card["expected"].items():
        year = parse_fiscal_year(era)
        original = koyo.original_final_target if year == end else koyo.original_targets.get(year)
        target = koyo.final_target if year == end else koyo.targets[year]
        assert _number(original or target) == cell["value"], era
    for era, cell in card["revised_expected"].items():
        if era.startswith("H"):
            year = parse_fiscal_year(era)
            target = koyo.final_target if year == end else koyo.targets[year]
            assert _number(target) == cell["value"], era
    entry = entries.for_project("koyo")
    assert entry is not None
    running = Decimal(0)
    for era, cell in card["actuals"].items():
        year = parse_fiscal_year(era)
        own = entry.actuals[koyo.id] if year == plan.report_year else koyo.actuals[year]
        running += own.number or 0
        assert running == cell["value"], era
    assert entry.actual_status == {koyo.id: ActualStatus.PRELIMINARY}  # H29 is a 速報値
    assert koyo.preliminary_allowed
    # 農業産出額, 2016 edition: the only card of this KPI in the store
    card = _card(transcription, "nogyo-sanshutsugaku", "ed-H26data")
    nogyo = _indicator(plan, "nogyo-sanshutsugaku")
    for era, cell in card["expected"].items():
        year = parse_fiscal_year(era)
        if year < plan.period.start:
            assert cell["raw"] in (nogyo.note or ""), era  # before the plan: kept in the note
        else:
            target = nogyo.final_target if year == end else nogyo.targets[year]
            assert _number(target) == cell["value"], era
    assert _number(nogyo.baseline) == card["baseline"]["used_for_rate"]["value"]
    assert nogyo.baseline_year == 2014
    # the card's items beyond the figures are custom fields, as printed
    assert nogyo.fields["source"] == card["source_raw"].removeprefix("出典: ")
    assert nogyo.fields["setting_rationale"] == card["setting_rationale"]
    assert nogyo.fields["calculation_method"] == card["calculation_method"]
    latest, upcoming = card["latest_data"], card["next_data"]
    assert nogyo.fields["latest_data"] == f"{latest['published']} {latest['year_reported']}"
    assert nogyo.fields["next_data"] == f"{upcoming['published']} {upcoming['year_reported']}"
    card = _card(transcription, "koyo-soshutsu", EDITION)
    assert koyo.fields == {
        "setting_rationale": card["setting_rationale"],
        "calculation_method": card["calculation_method"],
        "latest_data": card["latest_data"]["year_reported"],
        "next_data": card["next_data"]["year_reported"],
    }
    assert card["national_rank"] is None  # printed empty: the department's field, not given
    [rank] = [f for f in plan.fields if f.key == "national_rank"]
    assert rank.filled_by == "department"
    assert transcription["scale_footnote_2"]["text"].removeprefix("※2 ") in (rank.help or "")


def _rate_in(plan: Plan, entries: Entries, year: int) -> Decimal | None:
    """The printed rate of 雇用創出数 had ``year`` been the report year."""
    koyo = _indicator(plan, "koyo-soshutsu")
    own = entries.for_project("koyo")
    assert own is not None
    every = {**koyo.actuals, plan.report_year: own.actuals[koyo.id]}
    earlier = {y: v for y, v in every.items() if y < year}
    then = koyo.model_copy(update={"actuals": earlier})
    projects = [
        p.model_copy(update={"indicators": [then]}) if p.id == "koyo" else p for p in plan.projects
    ]
    as_then = plan.model_copy(update={"report_year": year, "projects": projects})
    returned = Entries(
        plan=plan.id,
        fiscal_year=year,
        entries=[ProjectEntry(project="koyo", actuals={koyo.id: every[year]})],
    )
    [grade] = grade_report(as_then, returned).projects[0].indicators
    return grade.rate_shown


def test_every_rate_the_2018_edition_prints_is_reproduced(
    plan: Plan, entries: Entries, transcription: dict[str, Any]
) -> None:
    card = _card(transcription, "koyo-soshutsu", EDITION)
    assert card["printed_rates"]  # H27, H28 and the report year H29
    for era, printed in card["printed_rates"].items():
        year = parse_fiscal_year(era)
        assert year <= plan.report_year
        assert _rate_in(plan, entries, year) == Decimal(str(printed["value"])), era
    # and the report year's as kpibook grades the example itself: 7,077 ÷ 6,000 = 117.95%
    report = grade_report(plan, entries)
    koyo = next(p for p in report.projects if p.project == "koyo")
    assert koyo.indicators[0].rate_shown == Decimal("117.9")
    assert koyo.grade == "A"
    nogyo = next(p for p in report.projects if p.project == "nogyo")
    assert nogyo.grade is None  # no H28 or H29 actual is in the stored copies


def test_demo_runs_the_whole_cycle_clean(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", str(tmp_path / "demo"), "--example", NAME])
    assert result.exit_code == 0, result.output
    assert "提出 2/2 担当部・課" in result.stdout  # the plan's own word
    assert result.stdout.count("エラー 0、警告 0") == 2
    assert len(list((tmp_path / "demo" / "1-forms").glob("*.xlsx"))) == 2
    assert len(list((tmp_path / "demo" / "2-returns").glob("*.xlsx"))) == 2
    assert list((tmp_path / "demo").glob("3-master_*.xlsx"))


def test_the_terminal_says_the_plans_words(tmp_path: Path) -> None:
    """The summary of merge (and demo) and the grades table name the department, the
    project, the indicator and the target in the plan's words, not the Kashiwa ones."""
    demo = CliRunner().invoke(main, ["demo", str(tmp_path / "demo"), "--example", NAME])
    assert demo.exit_code == 0, demo.output
    assert "担当部・課の評価 / self" in demo.stdout
    assert "担当課の評価" not in demo.stdout
    grades = CliRunner().invoke(main, ["grades", "--example", NAME])
    assert grades.exit_code == 0, grades.output
    header = grades.stdout.splitlines()[2].split()
    assert header[2:6] == ["事業", "担当部・課", "KPI", "期待値"]
    assert "担当部・課の評価" in grades.stdout
    assert "担当課の評価" not in grades.stdout


def test_demo_merges_what_the_entries_say(tmp_path: Path, entries: Entries) -> None:
    demo = run_demo(NAME, tmp_path / "demo")
    assert not demo.report.has_errors
    assert all(not r.findings for r in demo.report.returns)
    merged = {e.project: e for r in demo.report.returns for e in r.entries}
    for entry in entries.entries:
        got = merged[entry.project]
        # a lagging indicator's actual left blank on the form is read as an empty value
        filled = {k: v for k, v in got.actuals.items() if v.kind is not ValueKind.EMPTY}
        assert got.model_copy(update={"actuals": filled}) == entry


def test_the_report_labels_the_plans_notes_in_its_own_word(tmp_path: Path) -> None:
    """The ※ notes under a KPI are the plan's (期待値 and 基準値 notes, the lag), not the
    department's 実績値の注記: the template labels them 注記 in 報告書."""
    import openpyxl

    from kpibook.master import REPORT

    demo = run_demo(NAME, tmp_path / "demo")
    sheet = openpyxl.load_workbook(demo.master)[REPORT]
    rows = list(sheet.iter_rows(values_only=True))
    noted = [r for r in rows if any(isinstance(v, str) and v.startswith("※H27") for v in r)]
    assert noted
    assert all(r[0] == "注記" for r in noted)
    # the department's own note keeps its label
    assert any(r[0] == "実績値の注記" for r in rows)


@needs_libreoffice
def test_master_prints_in_libreoffice_with_every_kpi(tmp_path: Path, plan: Plan) -> None:
    demo = run_demo(NAME, tmp_path / "demo")
    [pdf] = to_pdf([demo.master], tmp_path)
    text = "".join(pdf_text(pdf).split())
    for project in plan.projects:
        for indicator in project.indicators:
            assert indicator.label in text, indicator.label
    assert "117.9%" in text
    assert "順調" in text
    for project in plan.projects:  # the custom fields print in full, on the cards
        for indicator in project.indicators:
            for value in indicator.fields.values():
                assert "".join(str(value).split()) in text, value


@needs_libreoffice
def test_report_command_prints_the_master(tmp_path: Path) -> None:
    demo = run_demo(NAME, tmp_path / "demo")
    out = tmp_path / "x.pdf"
    result = CliRunner().invoke(main, ["report", str(demo.master), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = "".join(pdf_text(out).split())
    assert "雇用創出数" in text
    assert "農業産出額" in text
