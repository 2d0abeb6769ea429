"""The matrix form and its 報告書 from form version 3: a 基準値 column when the plan has
baselines, a 当初目標 column after a revised year's target, and a lagging statistic's
graded years — each printed only where the plan has it, so the Kashiwa matrix prints as
before (its golden summary changes only in the stamp).

The plan is the Kashiwa welfare example with one indicator given a baseline (R1 実績
8,337 as 策定時), a revised R6 target (originally 5,800) and a one-year data lag.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kpibook.contract.content import form_content, value_columns
from kpibook.contract.inputs import prefilled_keys, prefilled_values
from kpibook.contract.names import PREFILLED, SCHEMES, indicator_name, parse_name
from kpibook.entries import Entries
from kpibook.forms import GeneratedForm
from kpibook.forms.fill import write_filled_forms
from kpibook.master import write_master
from kpibook.merge import merge
from kpibook.plan import Plan
from kpibook.returns.check import check_return
from kpibook.template import load_template
from kpibook.values import EMPTY, Value
from tests.named import destination
from tests.test_check import FORM, cell_of, set_name, spoiled

PROJECT, INDICATOR = "p2-1-1-i", "p2-1-1-i-1"
R1, R4, R5, R6 = 2019, 2022, 2023, 2024


@pytest.fixture(scope="module")
def plan(matrix_plan: Plan) -> Plan:
    return with_baseline(matrix_plan)


def with_baseline(matrix_plan: Plan) -> Plan:
    """The welfare plan with one indicator's baseline, revised target and data lag."""
    projects = []
    for p in matrix_plan.projects:
        if p.id == PROJECT:
            [ind] = p.indicators
            ind = ind.model_copy(
                update={
                    "baseline": Value.of(Decimal(8337)),
                    "baseline_year": R1,
                    "original_targets": {R6: Value.of(Decimal(5800))},
                    "data_lag": 1,
                }
            )
            p = p.model_copy(update={"indicators": [ind]})
        projects.append(p)
    return matrix_plan.model_copy(update={"projects": projects})


@pytest.fixture(scope="module")
def department(plan: Plan) -> str:
    return next(p.lead_department for p in plan.projects if p.id == PROJECT)


@pytest.fixture(scope="module")
def returns(
    tmp_path_factory: pytest.TempPathFactory, plan: Plan, matrix_entries: Entries
) -> dict[str, GeneratedForm]:
    forms = write_filled_forms(plan, matrix_entries, tmp_path_factory.mktemp("matrix-v3"))
    return {f.department: f for f in forms}


def _cell(path: Path, name: str, plan: Plan) -> Any:
    """A prefilled cell, through its group's name (form version 3)."""
    wb = openpyxl.load_workbook(path)
    sheet, ref = destination(wb, name, plan)
    return wb[sheet][ref]


def test_the_columns_are_added_only_where_the_plan_has_them(plan: Plan, matrix_plan: Plan) -> None:
    kinds = [(c.kind, c.year) for c in value_columns(plan)]
    assert kinds[0] == ("baseline", plan.period.start)
    assert kinds.index(("original", R6)) == kinds.index(("target", R6)) + 1
    assert value_columns(plan, 2) == value_columns(matrix_plan)  # version 2's columns
    assert all(c.kind in ("actual", "target", "input") for c in value_columns(matrix_plan))


def test_the_form_prefills_the_baseline_with_its_year_and_the_original_target(
    plan: Plan, returns: dict[str, GeneratedForm], department: str
) -> None:
    path = returns[department].path
    base = _cell(path, indicator_name(PROJECT, INDICATOR, "base"), plan)
    assert base.value == 8337
    assert base.number_format.endswith('（R1）"')  # the baseline's year, printed with it
    assert _cell(path, indicator_name(PROJECT, INDICATOR, f"o{R6}"), plan).value == 5800
    assert _cell(path, indicator_name(PROJECT, INDICATOR, f"t{R6}"), plan).value == 6000
    ws = openpyxl.load_workbook(path)[FORM]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "基準値" in texts
    assert "当初目標" in texts
    assert any("R5の実績が未公表ならR4まで" in t for t in texts)


def listed_keys(content: Any, plan: Plan, template: Any) -> list[list[str]]:
    return [keys for fp in content.projects for keys in prefilled_keys(fp, plan, template).values()]


def test_every_prefilled_name_is_compared_and_the_returns_check_clean(
    plan: Plan, returns: dict[str, GeneratedForm]
) -> None:
    template = load_template(plan.layout)
    for department, form in returns.items():
        wb = openpyxl.load_workbook(form.path)
        written = {  # since form version 3 prefilled cells are named by group
            n: len(list(wb.defined_names[n].destinations))
            for n in wb.defined_names
            if (ref := parse_name(n)) is not None and ref.part == PREFILLED
        }
        content = form_content(plan, department)
        listed = {
            group: len(keys)
            for fp in content.projects
            for group, keys in prefilled_keys(fp, plan, template).items()
        }
        assert written == listed, department
        values = {n for fp in content.projects for n, _ in prefilled_values(fp, plan, template)}
        assert values <= {k for keys in listed_keys(content, plan, template) for k in keys}
        assert not check_return(plan, form.path, template).errors, department


@pytest.mark.parametrize("part", ["base", f"o{R6}"])
def test_a_changed_baseline_or_original_is_found(
    tmp_path: Path, plan: Plan, returns: dict[str, GeneratedForm], department: str, part: str
) -> None:
    form = returns[department]
    name = indicator_name(PROJECT, INDICATOR, part)
    result = check_return(
        plan, spoiled(form, tmp_path, set_name(name, 1, plan)), load_template(plan.layout)
    )
    errors = [(f.sheet, f.cell, f.code) for f in result.errors]
    assert errors == [(FORM, cell_of(form, name, plan), "prefilled-changed")]


def test_version_2_names_are_as_before(plan: Plan, matrix_plan: Plan, department: str) -> None:
    template = load_template(plan.layout)
    [fp] = [fp for fp in form_content(plan, department).projects if fp.project.id == PROJECT]
    [old] = [
        fp for fp in form_content(matrix_plan, department).projects if fp.project.id == PROJECT
    ]
    v2 = [n for n, _ in prefilled_values(fp, plan, template, SCHEMES[2])]
    assert v2 == [n for n, _ in prefilled_values(old, matrix_plan, template, SCHEMES[2])]
    assert not any(n.endswith((".base", f".o{R6}")) for n in v2)


def test_the_report_prints_them_and_the_year_graded(
    tmp_path: Path, plan: Plan, matrix_entries: Entries
) -> None:
    """R5's figure not yet published: graded on R4's, and 報告書 says so by the rate."""
    entries = matrix_entries.model_copy(
        update={
            "entries": [
                e.model_copy(update={"actuals": {**e.actuals, INDICATOR: EMPTY}})
                if e.project == PROJECT
                else e
                for e in matrix_entries.entries
            ]
        }
    )
    returned = write_filled_forms(plan, entries, tmp_path / "returns")
    report, merged = merge(plan, [f.path for f in returned])
    master = tmp_path / "master.xlsx"
    write_master(plan, report, merged, master)
    rows = [r for r in openpyxl.load_workbook(master)["報告書"].iter_rows(values_only=True)]
    cells = [c for r in rows for c in r if c is not None]
    assert "基準値" in cells
    assert "当初目標" in cells
    assert "8,337（R1）" in cells
    row = next(r for r in rows if "8,337（R1）" in r)  # (listed three times: 再掲)
    assert 5800 in row
    assert any(isinstance(c, str) and c.endswith("\n（R4）") for c in row), row
