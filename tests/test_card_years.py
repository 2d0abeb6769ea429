"""The card's years (issue #15, item 8) and what form version 3 prints besides the targets:
the baseline and its year, the original of a revised target, the targets still ahead,
【最終目標】 from the last plan year's target, and which years a lagging statistic may be
graded on — on the department form (years down or across, as the template says), in
the prefilled-value comparison, in the fingerprint, and in the master's 報告書.

The plan is the 茨城県 example (``examples/ibaraki-sousei-kpi``): a baseline (農業産出額),
a revised target (雇用創出数 H30 and 目標値), a lagging statistic and a target ahead of
the report year, printed with its own template (years across) and the built-in one.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kpibook.contract.content import final_shown, form_content, years_shown
from kpibook.contract.fingerprint import Fingerprinter
from kpibook.contract.inputs import form_inputs, prefilled_values
from kpibook.contract.names import SCHEMES, indicator_name
from kpibook.entries import Entries
from kpibook.examples import TEMPLATE_FILE
from kpibook.fiscal import parse_fiscal_year
from kpibook.forms import GeneratedForm
from kpibook.forms.fill import write_filled_forms
from kpibook.master import write_master
from kpibook.merge import merge
from kpibook.plan import Plan
from kpibook.plantext import load_entries_yaml
from kpibook.returns.check import check_return
from kpibook.sources import load_plan
from kpibook.template import CardTemplate, FormTemplate, load_template
from kpibook.values import Value
from tests.conftest import EXAMPLES
from tests.named import destination
from tests.test_check import FORM, cell_of, found, set_name, spoiled

FOLDER = EXAMPLES / "ibaraki-sousei-kpi"
H = {f"H{n}": parse_fiscal_year(f"H{n}") for n in range(25, 32)}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(FOLDER / "plan.yaml")


@pytest.fixture(scope="module")
def entries(plan: Plan) -> Entries:
    return load_entries_yaml(FOLDER / "entries.yaml", plan)


@pytest.fixture(scope="module")
def across() -> CardTemplate:
    template = load_template(load_plan(FOLDER / "plan.yaml").layout, FOLDER / TEMPLATE_FILE)
    assert isinstance(template, CardTemplate)
    return template


@pytest.fixture(scope="module")
def down() -> CardTemplate:
    template = load_template(load_plan(FOLDER / "plan.yaml").layout)
    assert isinstance(template, CardTemplate)
    return template


@pytest.fixture(scope="module", params=["down", "across"])
def returns(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    plan: Plan,
    entries: Entries,
    down: CardTemplate,
    across: CardTemplate,
) -> tuple[CardTemplate, dict[str, GeneratedForm]]:
    template = down if request.param == "down" else across
    folder = tmp_path_factory.mktemp(request.param)
    forms = write_filled_forms(plan, entries, folder, template)
    return template, {f.department: f for f in forms}


def _cell(path: Path, name: str, plan: Plan, template: CardTemplate) -> Any:
    """An input's cell, or a prefilled cell through its group's name (form version 3)."""
    wb = openpyxl.load_workbook(path)
    sheet, ref = destination(wb, name, plan, template)
    return wb[sheet][ref]


def _sheet_texts(path: Path, sheet: str = FORM) -> list[str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_the_templates_choose_the_years(down: CardTemplate, across: CardTemplate) -> None:
    """The built-in card prints the years down as before; the 茨城県 card across, as the
    official card does, with its own words."""
    assert down.years == "down"
    assert across.years == "across"
    assert (across.labels.targets, across.labels.final_target) == ("期待値", "目標値")
    assert across.year_rates


def test_the_card_shows_the_targets_still_ahead(plan: Plan) -> None:
    """Every plan year to the last with a target: 雇用創出数's H30 (ahead of the report
    year H29) is shown; H31 has no target of its own (its 目標値 is the final target), so
    the card stops before it. Forms of version 2 stopped at the report year."""
    koyo = plan.projects[0].indicators[0]
    assert years_shown(plan, koyo) == [H["H27"], H["H28"], H["H29"], H["H30"]]
    assert years_shown(plan, koyo, 2) == [H["H27"], H["H28"], H["H29"]]


def test_the_final_target_falls_back_to_the_last_years(plan: Plan) -> None:
    """【最終目標】 is the last plan year's target when the plan gives none apart (as
    grading has it); a form of version 2 printed the plan's final target as it was."""
    koyo = plan.projects[0].indicators[0]
    last = Value.of(Decimal(13000))
    without = koyo.model_copy(
        update={"final_target": Value.of(None), "targets": {**koyo.targets, H["H31"]: last}}
    )
    assert final_shown(plan, without) == last
    assert final_shown(plan, without, 2).is_empty
    assert final_shown(plan, koyo) == koyo.final_target


def test_version_3_prefills_the_baseline_and_the_original_targets(
    plan: Plan, returns: tuple[CardTemplate, dict[str, GeneratedForm]]
) -> None:
    """The baseline, the original of each revised target and the target ahead are
    prefilled in named, locked cells holding the plan's numbers, in either layout."""
    template, forms = returns
    koyo, nogyo = (p.indicators[0] for p in plan.projects)
    expected = {
        ("nogyo", nogyo.id, "base"): Decimal(4292),
        ("koyo", koyo.id, f"t{H['H30']}"): Decimal(10000),
        ("koyo", koyo.id, f"o{H['H30']}"): Decimal(8000),
        ("koyo", koyo.id, "final"): Decimal(13000),
        ("koyo", koyo.id, "ofinal"): Decimal(10000),
    }
    by_project = {p.id: p.lead_department for p in plan.projects}
    for (project, indicator, part), number in expected.items():
        name = indicator_name(project, indicator, part)
        cell = _cell(forms[by_project[project]].path, name, plan, template)
        assert Decimal(str(cell.value)) == number, (template.years, part)
        assert cell.protection.locked is not False
    # A year ahead of the report year has a target, but its actual is no input and has
    # no name: nothing is asked of the department for a year not yet reported.
    wb = openpyxl.load_workbook(forms[by_project["koyo"]].path)
    assert indicator_name("koyo", koyo.id, f"a{H['H30']}") not in wb.defined_names


def test_the_form_holds_exactly_the_contracts_inputs_and_prefilled_names(
    plan: Plan, returns: tuple[CardTemplate, dict[str, GeneratedForm]]
) -> None:
    from kpibook.contract.inputs import prefilled_keys
    from kpibook.contract.names import PREFILLED, parse_name

    template, forms = returns
    for department, form in forms.items():
        content = form_content(plan, department)
        expected = form_inputs(content, template)
        # (by name: the card writes an indicator's custom field inputs with the indicator,
        # the contract lists them last)
        written_inputs = sorted((r.name, repr(r.spec)) for r in form.inputs)
        assert written_inputs == sorted((i.name, repr(i.spec)) for i in expected)
        wb = openpyxl.load_workbook(form.path)
        # since form version 3 prefilled cells are named by group, each group over as
        # many cells as the contract lists in it
        written = {
            n: len(list(wb.defined_names[n].destinations))
            for n in wb.defined_names
            if (ref := parse_name(n)) is not None and ref.part == PREFILLED
        }
        listed = {
            group: len(keys)
            for fp in content.projects
            for group, keys in prefilled_keys(fp, plan, template).items()
        }
        assert written == listed, (template.years, department)
        values = {n for fp in content.projects for n, _ in prefilled_values(fp, plan, template)}
        assert values <= {
            k
            for fp in content.projects
            for g in prefilled_keys(fp, plan, template).values()
            for k in g
        }


def test_the_returns_check_clean(
    plan: Plan, returns: tuple[CardTemplate, dict[str, GeneratedForm]]
) -> None:
    template, forms = returns
    for form in forms.values():
        result = check_return(plan, form.path, template)
        assert not result.errors, [f.code for f in result.errors]


@pytest.mark.parametrize("part", ["base", "o", "ofinal"])
def test_a_changed_baseline_or_original_target_is_found(
    tmp_path: Path, plan: Plan, returns: tuple[CardTemplate, dict[str, GeneratedForm]], part: str
) -> None:
    """Typed over in the file, the baseline or an original target is a prefilled-changed
    error at its cell, as a target is."""
    template, forms = returns
    project = "nogyo" if part == "base" else "koyo"
    p = next(p for p in plan.projects if p.id == project)
    name = indicator_name(project, p.indicators[0].id, f"o{H['H30']}" if part == "o" else part)
    form = forms[p.lead_department]
    spoil = set_name(name, 1, plan, template)
    result = check_return(plan, spoiled(form, tmp_path, spoil), template)
    assert found(result) == [(FORM, cell_of(form, name, plan, template), "prefilled-changed")]


def test_the_fingerprint_of_version_3_covers_what_it_prints(
    plan: Plan, across: CardTemplate
) -> None:
    """Version 3 hashes the baseline, the original targets, the data lag and the template's
    years; versions 1 and 2 hash none of them, so their forms stay current."""
    projects = list(plan.projects)
    nogyo = projects[1].model_copy(
        update={
            "indicators": [
                projects[1].indicators[0].model_copy(update={"baseline": Value.of(Decimal(4300))})
            ]
        }
    )
    changed = plan.model_copy(update={"projects": [projects[0], nogyo]})
    department = projects[1].lead_department
    before = Fingerprinter(plan, across)
    after = Fingerprinter(changed, across)
    assert before.of(department, [projects[1]], 3) != after.of(department, [nogyo], 3)
    assert before.of(department, [projects[1]], 2) == after.of(department, [nogyo], 2)
    down = across.model_copy(update={"years": "down"})
    assert Fingerprinter(plan, down).of(department, [projects[1]], 3) != before.of(
        department, [projects[1]], 3
    )
    assert Fingerprinter(plan, down).of(department, [projects[1]], 2) == before.of(
        department, [projects[1]], 2
    )


def test_forms_of_version_2_are_compared_as_they_were_printed(
    plan: Plan, down: CardTemplate
) -> None:
    """A version 2 form showed the years to the report year and the plan's final target,
    no baseline and no original: the reader compares exactly those names."""
    for fp in form_content(plan, plan.projects[0].lead_department).projects:
        names = [n.rsplit(".", 1)[1] for n, _ in prefilled_values(fp, plan, down, SCHEMES[2])]
        assert names == [
            f"t{H['H27']}",
            f"a{H['H27']}",
            f"t{H['H28']}",
            f"a{H['H28']}",
            f"t{H['H29']}",
            "final",
        ]


def test_a_lagging_statistic_says_which_years_may_be_graded(
    plan: Plan, returns: tuple[CardTemplate, dict[str, GeneratedForm]]
) -> None:
    _, forms = returns
    nogyo = next(p for p in plan.projects if p.id == "nogyo")
    texts = "\n".join(_sheet_texts(forms[nogyo.lead_department].path))
    assert (
        "公表が遅れる統計のため、H29の実績が未公表ならH28までの実績のある最新の年度で評価" in texts
    )
    koyo = next(p for p in plan.projects if p.id == "koyo")
    assert "公表が遅れる" not in "\n".join(_sheet_texts(forms[koyo.lead_department].path))


def _report(
    tmp_path: Path, plan: Plan, entries: Entries, template: FormTemplate
) -> list[tuple[Any, ...]]:
    returned = write_filled_forms(plan, entries, tmp_path / "returns", template)
    report, merged = merge(plan, [f.path for f in returned], template)
    master = tmp_path / "master.xlsx"
    write_master(plan, report, merged, master, template)
    ws = openpyxl.load_workbook(master)["報告書"]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def test_the_report_prints_baseline_originals_and_a_rate_per_year(
    tmp_path: Path, plan: Plan, entries: Entries, across: CardTemplate
) -> None:
    """報告書 prints the baseline with its year, the original targets on their own row,
    the year ahead, and (as the template asks) the 達成率 of every year with an actual:
    137.4% and 129.0% as the 2018 edition printed them, 117.9% for the report year."""
    rows = _report(tmp_path, plan, entries, across)
    koyo_head = next(r for r in rows if r[0] == "雇用創出数（人）")
    assert list(koyo_head[1:6]) == ["H27", "H28", "H29", "H30", "目標値"]
    start = rows.index(koyo_head)
    labels = [r[0] for r in rows[start + 1 : start + 5]]
    assert labels == ["期待値", "改訂前の期待値", "実績値", "達成率"]
    targets, originals, actuals, rates = rows[start + 1 : start + 5]
    assert [targets[4], targets[5]] == [10000, 13000]
    assert [originals[4], originals[5]] == [8000, 10000]
    assert originals[1] is None  # no original where the target was never revised
    assert actuals[4] is None  # H30 is not reported yet
    assert list(rates[1:4]) == ["137.4%", "129.0%", "117.9%"]
    nogyo_head = next(r for r in rows if r[0] == "農業産出額（億円）")
    assert nogyo_head[1] == "基準値（H26）"
    nogyo_targets = rows[rows.index(nogyo_head) + 1]
    assert nogyo_targets[1] == 4292


def test_the_report_says_the_year_a_lagging_statistic_was_graded_on(
    tmp_path: Path, plan: Plan, entries: Entries, down: CardTemplate
) -> None:
    """With H28's 農業産出額 in the plan and H29's not yet published, the indicator is
    graded on H28, and 報告書 says so beside the rate."""
    nogyo = plan.projects[1]
    ind = nogyo.indicators[0]
    published = ind.model_copy(
        update={"actuals": {**ind.actuals, H["H28"]: Value.of(Decimal(4330))}}
    )
    changed = plan.model_copy(
        update={
            "projects": [plan.projects[0], nogyo.model_copy(update={"indicators": [published]})]
        }
    )
    rows = _report(tmp_path, changed, entries, down)
    # progress from the baseline: (4,330 − 4,292) ÷ (4,320 − 4,292) = 135.7%, H28's target
    cells = [c for r in rows for c in r if isinstance(c, str) and "（H28）" in c]
    assert cells == ["135.7%（H28）\nA"], cells


def test_a_card_across_prints_each_past_years_rate(
    plan: Plan, returns: tuple[CardTemplate, dict[str, GeneratedForm]]
) -> None:
    """With year_rates, the card across prints a 達成率 row: H27 137.4% and H28 129.0%,
    as the 2018 edition prints them (累計, truncated); the report year's rate is not
    known before the department's figure is in, so its cell is empty."""
    template, forms = returns
    koyo = next(p for p in plan.projects if p.id == "koyo")
    ws = openpyxl.load_workbook(forms[koyo.lead_department].path)[FORM]
    rows = [[c for c in r] for r in ws.iter_rows()]
    rate_rows = [r for r in rows if r[1].value == template.labels.rate]
    if not template.year_rates:
        assert not rate_rows
        return
    [rate_row] = rate_rows
    heads = next(r for r in rows if r[1].value == template.labels.year)
    by_year = {h.value: c for h, c in zip(heads, rate_row, strict=True) if h.value}
    assert by_year["H27"].value == "137.4%"
    assert by_year["H28"].value == "129.0%"
    assert by_year["H29"].value is None
    assert by_year["H27"].protection.locked is not False


def test_version_3_covers_how_printed_rates_are_computed(plan: Plan, across: CardTemplate) -> None:
    """Rounding half up instead of truncating would print 129.1% for H28: a form of
    version 3 is then outdated; one of version 2, which prints no rate, is not."""
    rounding = plan.grading.rounding.model_copy(update={"method": "half_up"})
    changed = plan.model_copy(
        update={"grading": plan.grading.model_copy(update={"rounding": rounding})}
    )
    department = plan.projects[0].lead_department
    projects = [plan.projects[0]]
    before, after = Fingerprinter(plan, across), Fingerprinter(changed, across)
    assert before.of(department, projects, 3) != after.of(department, projects, 3)
    assert before.of(department, projects, 2) == after.of(department, projects, 2)
