"""A plan in its own words (issue #15, item 7): a prefecture that writes 所管課, 取組 and
期待値 gets forms, 記入要領, a master and a report in those words, not Kashiwa's."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pydantic import BaseModel

from kpibook.contract.content import form_content
from kpibook.contract.inputs import form_inputs
from kpibook.entries import Entries
from kpibook.findings import Code, finding
from kpibook.fiscal import era_label
from kpibook.forms import generate_forms
from kpibook.forms.fill import write_filled_forms
from kpibook.master import REPORT, write_master
from kpibook.merge import merge
from kpibook.pdf import print_master
from kpibook.plan import Layout, Plan
from kpibook.planbook.starter import starter_template
from kpibook.plantext import load_entries_yaml
from kpibook.returns.check import check_returns
from kpibook.sources import load_plan
from kpibook.template import Terms, load_template, plan_template
from tests.conftest import CARD, MATRIX
from tests.test_libreoffice import needs_libreoffice, to_pdf

Cycle = tuple[Plan, Entries, list[Path], list[Path], Path]
"""The plan, its entries, the blank forms, the filled returns and the master."""
OWN = Terms(department="所管課", project="取組", target="期待値")
KASHIWA = ("担当課", "目標値")
"""Kashiwa's words the plan replaced; its project names and notes never use them."""


def _own_plan(folder: Path, example: Path, layout: Layout) -> Plan:
    """The example's plan naming a template in its own words, as `plan new` writes one;
    a target of each plan gets a note, so that ※R1 期待値: shows."""
    text = starter_template(layout, OWN)
    assert text is not None
    (folder / "own.template.yaml").write_text(text, encoding="utf-8")
    plan_text = (example / "plan.yaml").read_text(encoding="utf-8")
    named = f"layout: {layout.value}\ntemplate: own.template.yaml\n"
    plan_text = plan_text.replace(f"layout: {layout.value}\n", named, 1)
    (folder / "plan.yaml").write_text(plan_text, encoding="utf-8")
    shutil.copy(example / "entries.yaml", folder / "entries.yaml")
    plan = load_plan(folder / "plan.yaml")
    assert plan.template == str((folder / "own.template.yaml").resolve())
    return plan


def _strings(path: Path, *own: BaseModel) -> str:
    """Every text of every visible sheet of a written workbook, and its sheet names,
    without the texts of the plan and entries ``own`` (a department may well write
    担当課 in its report)."""
    wb = openpyxl.load_workbook(path)
    out = list(wb.sheetnames)
    for ws in wb.worksheets:
        if ws.sheet_state == "visible":
            for row in ws.iter_rows(values_only=True):
                out += [str(v) for v in row if isinstance(v, str)]
    text = "\n".join(out)
    # (only long ones: a unit or a number would take parts of kpibook's own words with it)
    texts = {t for m in own for t in _texts(m.model_dump()) if len(t) >= 6}
    for value in sorted(texts, key=len, reverse=True):
        text = text.replace(value, "")
    return text


def _texts(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [t for v in data.values() for t in _texts(v)]
    if isinstance(data, list | tuple):
        return [t for v in data for t in _texts(v)]
    return []


@pytest.fixture(scope="module", params=[Layout.CARD, Layout.MATRIX], ids=["card", "matrix"])
def cycle(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Cycle:
    layout: Layout = request.param
    folder = tmp_path_factory.mktemp(f"own-{layout.value}")
    plan = _own_plan(folder, CARD if layout is Layout.CARD else MATRIX, layout)
    entries: Entries = load_entries_yaml(folder / "entries.yaml", plan)
    forms = [f.path for f in generate_forms(plan, folder / "forms")]
    returns = [f.path for f in write_filled_forms(plan, entries, folder / "returns")]
    report, merged = merge(plan, returns)
    assert not report.has_errors
    master = folder / "master.xlsx"
    write_master(plan, report, merged, master)
    return plan, entries, forms, returns, master


def test_forms_and_their_instructions_are_in_the_plans_words(
    cycle: Cycle,
) -> None:
    plan, _, forms, _, _ = cycle
    for form in forms:
        text = _strings(form, plan)
        for word in ("所管課", "取組"):
            assert word in text, (form.name, word)
        for word in KASHIWA:
            assert word not in text, (form.name, word)


def test_the_card_notes_say_the_plans_word_for_a_target(tmp_path: Path) -> None:
    plan = _own_plan(tmp_path, CARD, Layout.CARD)
    at = next(n for n, p in enumerate(plan.projects) if p.id == "p03")  # notes on actuals
    project = plan.projects[at]
    ind = project.indicators[0]
    year = plan.report_year
    noted = dataclasses.replace(ind.final_target, note="見直し後の値")
    changed = ind.model_copy(update={"targets": {**ind.targets, year: noted}})
    plan = plan.model_copy(
        update={
            "projects": [
                *plan.projects[:at],
                project.model_copy(update={"indicators": [changed, *project.indicators[1:]]}),
                *plan.projects[at + 1 :],
            ]
        }
    )
    [form] = generate_forms(plan, tmp_path / "forms", [project.lead_department])
    text = _strings(form.path)  # the note itself is the plan's: the text is kept
    assert f"※{era_label(year)} 期待値: 見直し後の値" in text
    assert "目標: 見直し後の値" not in text
    # the plan's own way of writing the year: 平成28年度の期待値, 2016年度
    template = plan_template(plan)
    long = template.model_copy(
        update={
            "terms": template.terms.model_copy(
                update={"target_note": "{year_long}の期待値", "actual_note": "{western}年度"}
            )
        }
    )
    [form] = generate_forms(plan, tmp_path / "long", [project.lead_department], template=long)
    text = _strings(form.path)
    assert f"※{era_label(year, 'long')}の期待値: 見直し後の値" in text
    noted_actuals = [(y, v.note) for y, v in ind.actuals.items() if v.note]
    assert noted_actuals
    for y, note in noted_actuals:
        assert f"※{y}年度: {note.removeprefix('※')}" in text  # one ※, not two


def test_the_master_and_its_report_are_in_the_plans_words(
    cycle: Cycle,
) -> None:
    plan, entries, _, _, master = cycle
    text = _strings(master, plan, entries)
    for word in ("所管課", "取組", "期待値", "所管課の評価"):
        assert word in text, word
    for word in KASHIWA:
        assert word not in text, word


def test_findings_to_departments_use_the_plans_words(
    cycle: Cycle,
) -> None:
    """Two returns of one department (the blank form and the filled one): the conflict
    is told in the plan's word for a department."""
    plan, _, forms, returns, _ = cycle
    filled = returns[0]
    blank = next(f for f in forms if f.name == filled.name)
    report = check_returns(plan, [filled, blank], jobs=1)
    conflicts = [f for r in report.returns for f in r.findings if f.code is Code.CONFLICT]
    assert len(conflicts) == 2
    for found in conflicts:
        assert "同じ所管課" in found.message_ja
        assert "所管課に確認" in found.message_ja
        assert "担当課" not in found.message_ja
    assert "同じ担当課" in finding(Code.CONFLICT, "x.xlsx", field="a", raw="b").message_ja


def test_input_labels_in_findings_use_the_plans_word_for_an_actual(card_plan: Plan) -> None:
    own = load_template(Layout.CARD).model_copy(update={"terms": Terms(actual="実績")})
    inputs = form_inputs(form_content(card_plan, "生涯学習課"), own)
    actual = next(i for i in inputs if i.field == "actual")
    assert actual.label.startswith("R1 実績（")
    assert "実績がまだ出ていない" in next(i for i in inputs if i.field == "state").spec.rule


def test_defaults_are_kashiwas_words() -> None:
    """The built-in templates name no terms: Kashiwa's examples print as before."""
    for layout in Layout:
        assert load_template(layout).terms == Terms()
    assert Terms().not_gradable == "目標値または実績値がなく評価できない（集計中・該当なしを含む）"


@needs_libreoffice
def test_the_printed_form_and_report_say_the_plans_words(cycle: Cycle, tmp_path: Path) -> None:
    """What LibreOffice prints of a form (its sheet and 記入要領) and of the master's
    報告書: the plan's words on paper, not Kashiwa's."""
    plan, entries, forms, _, master = cycle
    report = tmp_path / "report.pdf"
    print_master(master, report, [REPORT])
    [form_pdf] = to_pdf([forms[0]], tmp_path)
    for pdf, words in ((form_pdf, ("所管課", "取組")), (report, ("所管課",))):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        for value in sorted(
            {t for m in (plan, entries) for t in _texts(m.model_dump()) if len(t) >= 6},
            key=len,
            reverse=True,
        ):
            text = text.replace(value, "")
        for word in words:
            assert word in text, (pdf.name, word)
        assert "担当課" not in text, pdf.name


def test_a_note_written_with_its_own_mark_prints_one_mark(card_plan: Plan) -> None:
    """The plan workbook's 説明 shows notes as ※…; the card prints ※R1 目標: …, not ※…: ※…."""
    from kpibook.forms.card_values import indicator_text

    ind = card_plan.projects[0].indicators[0]
    year = card_plan.report_year
    target = dataclasses.replace(ind.targets[year], note="※見直し後の値")
    noted = ind.model_copy(update={"targets": {**ind.targets, year: target}})
    text = indicator_text(noted, "【最終目標】", Terms())
    assert f"※{era_label(year)} 目標: 見直し後の値" in text.split("\n")
    assert ": ※" not in text
