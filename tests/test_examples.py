"""The worked examples hold every project, value and text of the seeds (nothing sampled).

The checks walk the seed transcriptions directly rather than trusting the importer, and
also prove that the committed files are what ``examples/import_seeds.py`` produces.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest

from kpibook.entries import Entries
from kpibook.fiscal import parse_fiscal_year
from kpibook.plan import Indicator, Plan, Project
from kpibook.values import Value, ValueKind
from tests.conftest import REFERENCE, ROOT

# CI always has shared/ beside the checkout, so there these tests never skip.
needs_reference = pytest.mark.skipif(
    not (REFERENCE / "seed000.json").exists() and not os.environ.get("CI"),
    reason="shared/reference is not beside the repo",
)


def _seed(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REFERENCE / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _number(v: Value | None) -> Decimal | None:
    return v.number if v is not None and v.kind is ValueKind.NUMBER else None


@needs_reference
def test_committed_examples_are_what_the_importer_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "import_seeds.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@needs_reference
def test_card_example_holds_every_card(card_plan: Plan, card_entries: Entries) -> None:
    seed = _seed("seed000")
    by_name = {p.name: p for p in card_plan.projects}
    for card in seed["cards"]:
        project = by_name[card["name_in_index"]]
        section = card_plan.section_path(project.placements[0].section)
        listed = [card_plan.section_path(pl.section).numbers() for pl in project.placements]
        code = card["section_path"]["code"]
        assert f"{code[0]}.({code[2]})" in listed, (card["name"], listed)
        assert project.lead_department == card["dept"]
        assert section.nodes[0].title == card["section_path"]["basic_policy"]
        entry = card_entries.for_project(project.id)
        assert entry is not None
        assert entry.self_grade == card["self_grade"]
        # The re-listed card repeats the first one, differing only in punctuation (、/，);
        # the first listing's texts are the project's.
        if not (card.get("relisted") or {}).get("is_relisting"):
            assert entry.grade_explanation == card["self_grade_explanation"]
            assert entry.activity_report == card["activity_report"]
            assert entry.future_plan == card["future_plan"]
            assert project.overview == card["overview"]
            assert project.annual_plan == card["annual_plan"]
            assert [(f.term, f.text) for f in project.footnotes] == [
                (f["term"], f["text"]) for f in card["footnotes"]
            ]
            for ind in card["indicators"]:
                _check_card_indicator(project, entry.actuals, ind)


def _check_card_indicator(project: Project, report: dict[str, Value], seed: dict[str, Any]) -> None:
    mine = next(i for i in project.indicators if i.label == seed["metric"])
    for era, v in seed["targets"].items():
        got = mine.final_target if era == "final" else mine.targets.get(parse_fiscal_year(era))
        assert _number(got) == (None if v is None else Decimal(str(v))), (mine.label, era)
    for era, v in seed["actuals"].items():
        year = parse_fiscal_year(era)
        got = report.get(mine.id) if year == 2019 else mine.actuals.get(year)
        assert _number(got) == (None if v is None else Decimal(str(v))), (mine.label, era)
    for key, note in (seed.get("notes") or {}).items():
        if not key.startswith("actual_"):
            continue  # the only other note is the transcriber's remark on an em dash
        era = key.split("_", 1)[1]
        year = parse_fiscal_year(era)
        got = report.get(mine.id) if year == 2019 else mine.actuals.get(year)
        assert got is not None
        assert got.note is not None
        assert note.split(" ", 1)[0] in got.note
    if "examinees" in seed:
        which = seed["metric"].split("（", 1)[1]
        count: Indicator = next(i for i in project.indicators if i.label == f"受診者数（{which}")
        for era, v in seed["examinees"].items():
            year = parse_fiscal_year(era)
            got = report.get(count.id) if year == 2019 else count.actuals.get(year)
            assert _number(got) == Decimal(v)


@needs_reference
def test_card_example_structure(card_plan: Plan) -> None:
    seed = _seed("seed000")
    assert len(card_plan.sections) == 3
    assert sum(len(s.children) for s in card_plan.sections) == 6
    assert len(card_plan.projects) == 21
    assert sum(len(p.placements) for p in card_plan.projects) == len(seed["index"]) == 22
    assert card_plan.intro == seed["source"]["intro"]
    for section in seed["sections"]:
        node = card_plan.section_path(f"{section['basic_policy_no']}-{section['measure_no']}")
        assert node.section.action_goal == section["action_goal"]
        assert node.section.outcome_goal == section["outcome_goal"]


MATRIX_COLUMNS = {
    "H29_actual": ("actuals", 2017),
    "R1_actual": ("actuals", 2019),
    "R2_actual": ("actuals", 2020),
    "R3_midterm_target": ("targets", 2021),
    "R3_actual": ("actuals", 2021),
    "R4_actual": ("actuals", 2022),
    "R5_actual": ("report", 2023),
    "R6_target": ("targets", 2024),
}


@needs_reference
def test_matrix_example_holds_every_row(matrix_plan: Plan, matrix_entries: Entries) -> None:
    seed = _seed("seed003")
    listed: dict[str, Project] = {}
    for project in matrix_plan.projects:
        for pl in project.placements:
            listed[matrix_plan.section_path(pl.section).numbers() + (pl.number or "")] = project
    assert len(listed) == len(seed["rows"]) == 32
    for row in seed["rows"]:
        project = listed[row["number"]]
        assert project.name == row["business_name"]
        assert sorted(project.departments) == sorted(row["departments"])
        placement = next(
            pl
            for pl in project.placements
            if matrix_plan.section_path(pl.section).numbers() + (pl.number or "") == row["number"]
        )
        assert (placement.content or project.overview) == row["content"]
        entry = matrix_entries.for_project(project.id)
        assert entry is not None
        if not row["is_relisting"] and row["number"] != "柱2(2)①イ":
            assert entry.comment == row["comment"]
        for key, (where, year) in MATRIX_COLUMNS.items():
            seed_value = row["values"][key]
            for indicator in project.indicators:
                if where == "report":
                    got = entry.actuals.get(indicator.id)
                else:
                    got = getattr(indicator, where).get(year)
                _check_matrix_value(indicator, got, seed_value)


def _check_matrix_value(indicator: Indicator, got: Value | None, seed: dict[str, Any]) -> None:
    kind = seed["kind"]
    if kind == "number":
        assert _number(got) == Decimal(str(seed["value"])), indicator.label
    elif kind == "multi":
        sub = indicator.label.rsplit("（", 1)[1].rstrip("）")
        expected = seed["values"].get(sub)
        assert _number(got) == (None if expected is None else Decimal(str(expected)))
    elif kind == "pending":
        assert got is not None
        assert got.kind is ValueKind.PENDING
    elif kind == "qualitative":
        assert got is not None
        assert got.display() == seed["text"]
    else:
        assert got is not None
        assert got.kind is ValueKind.NOT_APPLICABLE


@needs_reference
def test_matrix_example_relistings(matrix_plan: Plan) -> None:
    relisted = [p for p in matrix_plan.projects if len(p.placements) > 1]
    assert len(matrix_plan.projects) == 25
    assert sum(len(p.placements) - 1 for p in relisted) == 7  # 6 marked + 1 unmarked
    ikiiki = next(p for p in matrix_plan.projects if p.name == "地域いきいきセンター")
    assert ikiiki.other_listings == ["柱1(1)②ア", "柱1(2)①エ", "柱1(2)②イ", "柱1(2)③イ"]
