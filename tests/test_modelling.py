"""docs/modelling.md: every plan excerpt is a working plan of the shape it shows.

Each ```yaml block starting ``# shape: <name>`` is loaded as a plan with only what it
leaves out added (an id, a title, the period R1–R5 reported for R3, the A/B/C scale and
the departments its projects name), so what is validated is the excerpt itself: its
keys are the plan's. Each plan then goes the whole cycle — forms, filled returns, check,
merge, master — and the shape it illustrates is asserted on the result.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from kpibook.entries import Entries, ProjectEntry
from kpibook.fiscal import parse_fiscal_year
from kpibook.forms import generate_forms
from kpibook.forms.fill import write_filled_forms
from kpibook.grading import GradeReport
from kpibook.master import write_master
from kpibook.merge import merge
from kpibook.plan import Layout, Plan
from kpibook.planbook import read_plan_workbook, write_plan_workbook
from kpibook.plantext import load_plan_yaml
from kpibook.values import Value, ValueKind
from tests.conftest import ROOT

DOC = ROOT / "docs" / "modelling.md"
BLOCK = re.compile(r"```yaml\n(# shape: ([\w-]+)\n.*?)```", re.S)
R3 = parse_fiscal_year("R3")

BASE: dict[str, Any] = {
    "title": "計画の例",
    "issuer": "例市",
    "period": {"start": "R1", "end": "R5"},
    "report_year": "R3",
    "layout": "card",
    "grading": {
        "bands": [
            {"grade": "A", "min_rate": 100, "label": "達成"},
            {"grade": "B", "min_rate": 50, "label": "概ね達成"},
            {"grade": "C", "min_rate": 0, "label": "未達成"},
        ]
    },
}


def excerpts() -> dict[str, str]:
    found = {name: text for text, name in BLOCK.findall(DOC.read_text(encoding="utf-8"))}
    assert found, "docs/modelling.md has no '# shape:' excerpt"
    return found


SHAPES = sorted(excerpts())


def completed(name: str, text: str) -> dict[str, Any]:
    """The excerpt with what it leaves out: its own keys are kept as written (the
    grading's keys over the default scale's)."""
    excerpt: dict[str, Any] = yaml.safe_load(text)
    plan = {**BASE, "id": f"modelling-{name}", **excerpt}
    plan["grading"] = {**BASE["grading"], **excerpt.get("grading", {})}
    departments: list[str] = []
    for p in excerpt["projects"]:
        for d in [p["lead_department"], *p.get("other_departments", [])]:
            if d not in departments:
                departments.append(d)
    plan.setdefault("departments", [{"name": d} for d in departments])
    return plan


def _load(tmp_path: Path, name: str) -> tuple[Plan, dict[str, Any]]:
    text = excerpts()[name]
    data = completed(name, text)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    plan = load_plan_yaml(path)
    excerpt = yaml.safe_load(text)
    # the excerpt is what was validated: its sections and projects are the plan's
    assert [p.id for p in plan.projects] == [p["id"] for p in excerpt["projects"]]
    assert [s.id for s in plan.sections] == [s["id"] for s in excerpt["sections"]]
    return plan, excerpt


def _entries(
    plan: Plan, actual: Decimal | None = None, skip: frozenset[str] = frozenset()
) -> Entries:
    """Every project reported: each actual its report year's target (or ``actual``)."""
    out: list[ProjectEntry] = []
    for p in plan.projects:
        actuals: dict[str, Value] = {}
        for ind in p.indicators:
            if ind.id in skip:
                continue
            target = ind.targets.get(R3)
            number = actual if actual is not None else target.number if target else None
            actuals[ind.id] = Value.of(number if number is not None else 1)
        out.append(
            ProjectEntry(
                project=p.id,
                actuals=actuals,
                activity_report="記入例の活動報告",
                issues="記入例の課題",
                future_plan="記入例の予定",
                comment="記入例の成果と課題",
                improvement="記入例の改善策",
                self_grade=plan.grading.grades[0],
                grade_explanation="記入例の説明",
            )
        )
    return Entries(plan=plan.id, fiscal_year=plan.report_year, entries=out)


def _cycle(tmp_path: Path, plan: Plan, entries: Entries) -> GradeReport:
    """Forms, filled returns, check, merge and master, as a coordinator runs them."""
    forms = generate_forms(plan, tmp_path / "forms")
    assert {f.department for f in forms} == {p.lead_department for p in plan.projects}
    returned = write_filled_forms(plan, entries, tmp_path / "returns")
    report, merged = merge(plan, [f.path for f in returned])
    errors = [f for r in report.returns for f in r.errors]
    assert not errors, [(f.code, f.cell, f.raw) for f in errors]
    master = tmp_path / "master.xlsx"
    write_master(plan, report, merged, master)
    assert "報告書" in openpyxl.load_workbook(master, read_only=True).sheetnames
    return report.grades


@pytest.mark.parametrize("name", SHAPES)
def test_every_excerpt_is_a_working_plan(tmp_path: Path, name: str) -> None:
    plan, _ = _load(tmp_path, name)
    _cycle(tmp_path, plan, _entries(plan))


@pytest.mark.parametrize("name", SHAPES)
def test_every_shape_can_be_kept_in_the_plan_workbook(tmp_path: Path, name: str) -> None:
    """A coordinator who does not program keeps the plan in Excel: every shape survives
    the plan workbook unchanged (sections' evaluations, baselines, lags, revisions)."""
    plan, _ = _load(tmp_path, name)
    book = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, book)
    assert read_plan_workbook(book) == plan


def test_the_page_shows_every_shape_the_issue_names() -> None:
    assert set(SHAPES) == {
        "card-per-project",
        "card-per-kpi",
        "matrix",
        "evaluations",
        "baseline",
        "data-lag",
        "revised",
    }


def test_a_card_per_project_has_several_indicators(tmp_path: Path) -> None:
    plan, _ = _load(tmp_path, "card-per-project")
    assert plan.layout is Layout.CARD
    [project] = plan.projects
    assert len(project.indicators) == 2
    [form] = generate_forms(plan, tmp_path / "forms")
    assert sum(i.name.endswith(".actual") for i in form.inputs) == 2


def test_a_card_per_kpi_has_one_indicator_per_project(tmp_path: Path) -> None:
    plan, _ = _load(tmp_path, "card-per-kpi")
    assert all(len(p.indicators) == 1 for p in plan.projects)
    assert all(p.name == p.indicators[0].label for p in plan.projects)
    # a 数値目標 on the 基本目標 itself, a KPI on its 施策
    assert [p.placements[0].section for p in plan.projects] == ["1", "1-1"]


def test_a_matrix_has_a_row_per_indicator(tmp_path: Path) -> None:
    plan, _ = _load(tmp_path, "matrix")
    assert plan.layout is Layout.MATRIX
    [form] = generate_forms(plan, tmp_path / "forms", departments=["福祉政策課"])
    assert sum(i.name.endswith(".actual") for i in form.inputs) == 2


def test_sections_are_evaluated_at_both_levels(tmp_path: Path) -> None:
    """k1 and k2 at their targets (A, 3 points) and k3 below half of it (C, 1): 施策(1)
    averages 3.0 → 順調, 施策(2) 1.0 → 遅れ, and 基本目標1 is its worst 施策, 遅れ."""
    plan, _ = _load(tmp_path, "evaluations")
    entries = _entries(plan)
    low = entries.entries[2].model_copy(update={"actuals": {"k3-1": Value.of(300)}})
    entries = entries.model_copy(update={"entries": [*entries.entries[:2], low]})
    report = _cycle(tmp_path, plan, entries)
    grades = {s.section: (s.depth, s.grade) for s in report.sections}
    assert grades == {"1-1": (2, "順調"), "1-2": (2, "遅れ"), "1": (1, "遅れ")}


def test_the_rate_is_measured_from_the_baseline(tmp_path: Path) -> None:
    plan, _ = _load(tmp_path, "baseline")
    report = _cycle(tmp_path, plan, _entries(plan, Decimal("65.0")))
    [ig] = report.projects[0].indicators
    assert (ig.rate_shown, ig.grade) == (Decimal("75.0"), "B")
    assert plan.projects[0].indicators[0].baseline_year == parse_fiscal_year("H30")


def test_a_lagging_statistic_is_graded_on_the_year_before(tmp_path: Path) -> None:
    plan, _ = _load(tmp_path, "data-lag")
    report = _cycle(tmp_path, plan, _entries(plan, skip=frozenset({"a1-1"})))
    [ig] = report.projects[0].indicators
    assert ig.year == parse_fiscal_year("R2")
    assert (ig.rate_shown, ig.grade) == (Decimal("100.2"), "A")


def test_revised_targets_keep_the_original(tmp_path: Path) -> None:
    plan, _ = _load(tmp_path, "revised")
    [ind] = plan.projects[0].indicators
    r4 = parse_fiscal_year("R4")
    assert ind.targets[r4].number == 10000
    assert ind.original_targets[r4].number == 8000
    assert ind.original_final_target.kind is ValueKind.NUMBER
    _cycle(tmp_path, plan, _entries(plan))
