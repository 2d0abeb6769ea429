"""報告書: the computed grade beside the department's own, the legend, the front matter
and the ※ notes, as the official report prints them (read back through openpyxl)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kpibook.entries import Entries
from kpibook.forms.fill import write_filled_forms
from kpibook.forms.report import grade_ranges
from kpibook.master import write_master
from kpibook.merge import merge
from kpibook.plan import GradeBand, Plan
from kpibook.template import FormTemplate, GradesShown, load_template
from tests.test_grading import CARD_GRADES

Rows = list[tuple[Any, ...]]


def _master(
    plan: Plan, entries: Entries, folder: Path, template: FormTemplate | None = None
) -> Path:
    returns = write_filled_forms(plan, entries, folder / "returns")
    report, merged = merge(plan, [f.path for f in returns])
    path = folder / "master.xlsx"
    write_master(plan, report, merged, path, template=template)
    return path


def _rows(path: Path, sheet: str = "報告書") -> Rows:
    return [tuple(r) for r in openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def card_report(
    tmp_path_factory: pytest.TempPathFactory, card_plan: Plan, card_entries: Entries
) -> Rows:
    return _rows(_master(card_plan, card_entries, tmp_path_factory.mktemp("card")))


@pytest.fixture(scope="module")
def matrix_report(
    tmp_path_factory: pytest.TempPathFactory, matrix_plan: Plan, matrix_entries: Entries
) -> Rows:
    return _rows(_master(matrix_plan, matrix_entries, tmp_path_factory.mktemp("matrix")))


def _grade_rows(rows: Rows) -> list[tuple[Any, ...]]:
    return [r for r in rows if r[0] == "担当課の評価"]


def _card_names(rows: Rows) -> list[str]:
    return [r[1] for r in rows if r[0] == "具体的事業"]


def test_every_card_prints_its_computed_grade_beside_its_own(card_report: Rows) -> None:
    names = _card_names(card_report)
    grades = _grade_rows(card_report)
    assert len(names) == len(grades) == 22
    for name, row in zip(names, grades, strict=True):
        project = name.removesuffix("【再掲】")
        computed, own = CARD_GRADES[project]
        assert row[1] == own, project
        assert row[2] == "達成率による評価"
        assert row[4] == (computed or "評価不能"), project


def test_the_rate_printed_is_the_one_in_the_table(card_report: Rows) -> None:
    """出前講座: 104,490 ÷ 47,000 = 222.3%; はぐはぐ柏: 81.66% prints 81.7% (half up)."""
    cells = [c for r in card_report for c in r if isinstance(c, str)]
    assert "222.3%\nA" in cells
    assert "81.7%\nA" in cells
    grade_row = _grade_rows(card_report)[0]
    assert grade_row[5] == "222.3%"


def test_a_project_without_a_computed_grade_says_why(card_report: Rows) -> None:
    by_name = dict(zip(_card_names(card_report), _grade_rows(card_report), strict=True))
    row = by_name["ネットワーク化の推進"]
    assert row[4] == "評価不能"
    assert row[5] == "目標値がありません"


@pytest.mark.parametrize(
    ("shown", "computed", "own"), [("computed", True, False), ("self", False, True)]
)
def test_the_template_chooses_which_grades_to_print(
    shown: GradesShown,
    computed: bool,
    own: bool,
    tmp_path: Path,
    card_plan: Plan,
    card_entries: Entries,
) -> None:
    base = load_template(card_plan.layout)
    template = base.model_copy(update={"report": base.report.model_copy(update={"grades": shown})})
    rows = _rows(_master(card_plan, card_entries, tmp_path, template))
    labels = [r[0] for r in rows]
    assert ("担当課の評価" in labels) is own
    assert ("達成率による評価" in labels) is computed
    cells = {c for r in rows for c in r if isinstance(c, str)}
    assert ("222.3%\nA" in cells) is computed


def test_the_legend_prints_each_band(card_plan: Plan, matrix_plan: Plan) -> None:
    assert grade_ranges(card_plan.grading.bands) == [
        ("A", "かなり達成できた(80～100%)"),  # as seed 000 prints it
        ("B", "あまり達成できなかった(50～79%)"),
        ("C", "達成できなかった(0～49%)"),
    ]
    assert grade_ranges(matrix_plan.grading.bands) == [
        ("○", "目標を達成(100%以上)"),  # not (100～100%)
        ("△", "目標の8割以上(80～99%)"),
        ("×", "目標の8割未満(0～79%)"),
    ]
    bands = [
        GradeBand(grade="A", min_rate=Decimal("79.5"), label="a"),
        GradeBand(grade="B", min_rate=Decimal(0), label="b"),
    ]
    assert grade_ranges(bands) == [("A", "a(79.5～100%)"), ("B", "b(0%以上79.5%未満)")]


def test_the_front_matter_is_the_plans_text(card_report: Rows, card_plan: Plan) -> None:
    first = [c for r in card_report[:30] for c in r if isinstance(c, str)]
    for paragraph in card_plan.intro:
        assert paragraph in first
    assert card_plan.grading.description in first
    assert first.index("※評価について") < first.index(card_plan.grading.description)
    assert "評価指数" in first
    assert "達成度" in first


def test_footnotes_print_after_their_card(card_report: Rows, card_plan: Plan) -> None:
    labels = [r[0] for r in card_report]
    project = next(p for p in card_plan.projects if p.footnotes)
    start = _card_names(card_report).index(project.name)
    cards = [n for n, label in enumerate(labels) if label == "具体的事業"]
    after, end = cards[start], cards[start + 1]
    for note in project.footnotes:
        term = labels.index(f"※{note.term}", after)
        assert term < end
        assert labels[term + 1] == note.text


def test_the_matrix_prints_rate_and_both_grades(matrix_report: Rows) -> None:
    header = next(r for r in matrix_report if r[0] == "番号")
    rate, computed, own = (header.index(h) for h in ("達成率", "評価", "担当課の評価"))
    rows = {r[0]: r for r in matrix_report if isinstance(r[0], str) and r[0].startswith("柱")}
    pending = rows["柱2(1)①ア"]  # 集計中: not gradable, never ×
    assert (pending[rate], pending[computed]) == ("－", "－")
    assert pending[own] == "未記入"  # seed 003 printed no grade
    assert any(r[rate] not in (None, "－") and r[computed] in "○△×" for r in rows.values())


def test_the_status_sheet_prints_years_without_a_separator(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    master = _master(card_plan, card_entries, tmp_path)
    ws = openpyxl.load_workbook(master)["提出状況"]
    assert ws["D2"].value == 2019
    assert ws["D2"].number_format == "0"


def test_the_overview_has_charts_of_grades_by_section_and_by_department(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    import zipfile

    master = _master(card_plan, card_entries, tmp_path)
    with zipfile.ZipFile(master) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 2
        by_section, by_department = (z.read(c).decode("utf-8") for c in charts)
    assert "概要!$K$" in by_section  # labelled with the sections' numbers
    assert "概要!$A$" in by_department  # labelled with the departments' names
    for xml in (by_section, by_department):
        assert xml.count("<c:ser>") == len(card_plan.grading.grades) + 1  # and not gradable


def test_pages_break_between_cards_and_keep_headings_with_their_first_card(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    ws = openpyxl.load_workbook(_master(card_plan, card_entries, tmp_path))["報告書"]
    breaks = [b.id for b in ws.row_breaks.brk]  # a break after row id (1-based)
    assert len(breaks) >= 6  # several cards to a page, not one
    first_card = min(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "具体的事業")
    for b in breaks:
        if b + 1 < first_card:
            continue  # the intro, the legend and the index
        starts = str(ws.cell(b + 1, 1).value)
        assert starts == "具体的事業" or starts[0] in "0123456789(", (b, starts)
        ends = str(ws.cell(b, 1).value or "")
        assert not ends.startswith(("《", "(")), (b, ends)  # no heading ends a page
        assert not ends[:1].isdigit(), (b, ends)
