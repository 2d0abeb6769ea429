"""The template travels with the plan (issue #15, item 6): a plan names its form template,
so generate, check and merge agree without --template, and a return made with another
template says exactly that instead of asking the department to refill it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kpibook.cli import main
from kpibook.errors import LoadError
from kpibook.sources import load_plan, save_plan
from kpibook.template import TemplateMissing, load_template, plan_template, templates_root
from tests.conftest import CARD


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The card example with a template of its own (所管課 for 担当課) that its plan names,
    and its returns filled in with that template."""
    own = (templates_root() / "card.yaml").read_text(encoding="utf-8")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "own.yaml").write_text(
        own.replace("department: 担当課", "department: 所管課"), encoding="utf-8"
    )
    plan = (CARD / "plan.yaml").read_text(encoding="utf-8")
    named = plan.replace("layout: card\n", "layout: card\ntemplate: templates/own.yaml\n", 1)
    assert named != plan
    (tmp_path / "plan.yaml").write_text(named, encoding="utf-8")
    shutil.copy(CARD / "entries.yaml", tmp_path / "entries.yaml")
    from kpibook.forms.fill import write_filled_forms
    from kpibook.plantext import load_entries_yaml

    loaded = load_plan(tmp_path / "plan.yaml")
    write_filled_forms(loaded, load_entries_yaml(tmp_path / "entries.yaml", loaded), tmp_path / "r")
    return tmp_path


def test_the_plan_names_its_template_relative_to_itself(folder: Path) -> None:
    plan = load_plan(folder / "plan.yaml")
    assert plan.template == str((folder / "templates" / "own.yaml").resolve())
    assert plan_template(plan).labels.department == "所管課"


def test_generate_check_merge_agree_without_template(folder: Path) -> None:
    """The same cycle with and without --template gives the same forms, check and master."""
    own = folder / "templates" / "own.yaml"
    plan = folder / "plan.yaml"
    assert run("generate", plan, "-o", folder / "a")[0] == 0
    assert run("generate", plan, "-o", folder / "b", "--template", own)[0] == 0
    for form in sorted((folder / "a").iterdir()):
        assert form.read_bytes() == (folder / "b" / form.name).read_bytes()
        assert "所管課" in _texts(form)
    code, without, _ = run("check", "-p", plan, folder / "r", "--json")
    assert code == 0, without
    code, given, _ = run("check", "-p", plan, folder / "r", "--json", "--template", own)
    assert code == 0
    assert _findings(without) == _findings(given)
    assert {code for code, _ in _findings(without)} == {"jump"}  # the example's own warnings
    assert run("merge", "-p", plan, "-o", folder / "m1.xlsx", folder / "r")[0] == 0
    assert (
        run("merge", "-p", plan, "-o", folder / "m2.xlsx", folder / "r", "--template", own)[0] == 0
    )
    assert _texts(folder / "m1.xlsx") == _texts(folder / "m2.xlsx")
    assert "所管課" in _texts(folder / "m1.xlsx")  # the 報告書 prints the labels


def test_a_return_made_with_another_template_says_so(folder: Path) -> None:
    """Checked with the built-in template: the returns are not 'outdated', they were made
    with another template, and nothing needs refilling."""
    builtin = templates_root() / "card.yaml"
    code, out, _ = run(
        "check", "-p", folder / "plan.yaml", folder / "r", "--json", "--template", builtin
    )
    assert code == 1
    found = _findings(out)
    assert len(found) == len(list((folder / "r").iterdir()))
    assert {code for code, _ in found} == {"template-differs"}
    assert all("記入し直す必要はありません" in ja for _, ja in found)


def test_a_changed_plan_is_still_outdated_whatever_the_template(folder: Path) -> None:
    """Plan content changed too: the fingerprint differs beyond the template."""
    plan = folder / "plan.yaml"
    changed = plan.read_text(encoding="utf-8").replace("final_target: 350", "final_target: 351", 1)
    assert changed != plan.read_text(encoding="utf-8")
    plan.write_text(changed, encoding="utf-8")
    builtin = templates_root() / "card.yaml"
    _, out, _ = run("check", "-p", plan, folder / "r", "--json", "--template", builtin)
    codes = {code for code, _ in _findings(out)}
    assert "outdated-form" in codes
    _, out, _ = run("check", "-p", plan, folder / "r", "--json")
    assert "template-differs" not in {code for code, _ in _findings(out)}


def test_the_plan_workbook_carries_the_template_cell(folder: Path) -> None:
    """Converted into a sub-folder, the plan workbook names the same template from there."""
    target = folder / "sub" / "plan.xlsx"
    target.parent.mkdir()
    save_plan(load_plan(folder / "plan.yaml"), target)
    wb = openpyxl.load_workbook(target)
    cells = {row[0]: row[1] for row in wb["計画"].iter_rows(values_only=True) if row[0]}
    assert cells["様式テンプレート"] == "../templates/own.yaml"
    assert load_plan(target).template == load_plan(folder / "plan.yaml").template
    code, out, _ = run("check", "-p", target, folder / "r", "--json")
    assert code == 0, out


def test_a_missing_template_names_the_plans_field(folder: Path) -> None:
    (folder / "templates" / "own.yaml").unlink()
    code, _, err = run("plan", "check", folder / "plan.yaml")
    assert code == 1
    assert "template" in err
    assert "様式テンプレート「templates/own.yaml」が見つかりません" in err
    save = folder / "plan.xlsx"
    text = (folder / "plan.yaml").read_text(encoding="utf-8")
    (folder / "plain.yaml").write_text(text.replace("template: templates/own.yaml\n", ""), "utf-8")
    save_plan(load_plan(folder / "plain.yaml"), save)
    wb = openpyxl.load_workbook(save)
    for row in wb["計画"].iter_rows():
        if row[0].value == "様式テンプレート":
            row[1].value = "gone.yaml"
    wb.save(save)
    with pytest.raises(LoadError) as caught:
        load_plan(save)
    assert "シート「計画」 様式テンプレート" in str(caught.value)


def test_a_broken_template_names_the_plans_field(folder: Path) -> None:
    own = folder / "templates" / "own.yaml"
    own.write_text(
        own.read_text(encoding="utf-8").replace("  department: 所管課", "  department: [x]"),
        "utf-8",
    )
    load_template.cache_clear()  # as a new run would read it
    code, _, err = run("generate", folder / "plan.yaml", "-o", folder / "x")
    assert code == 1
    assert "計画の「様式テンプレート」（template）に指定した様式テンプレートです" in err
    assert "labels.department" in err


def test_a_template_gone_after_loading_is_a_clear_error(folder: Path) -> None:
    plan = load_plan(folder / "plan.yaml")
    (folder / "templates" / "own.yaml").unlink()
    load_template.cache_clear()  # as a new run would find it
    with pytest.raises(TemplateMissing):
        plan_template(plan)


def _texts(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    return "\n".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )


def _findings(out: str) -> list[tuple[str, str]]:
    report = json.loads(out)
    return [(f["code"], f["message_ja"]) for r in report["returns"] for f in r["findings"]]


def test_the_master_and_next_years_plan_name_the_same_template(folder: Path) -> None:
    """The master keeps the template's path relative to itself; rollover writes next
    year's plan naming it relative to the new plan."""
    master = folder / "out" / "master.xlsx"
    master.parent.mkdir()
    assert run("merge", "-p", folder / "plan.yaml", "-o", master, folder / "r")[0] == 0
    assert str(folder) not in _hidden_data(master)  # no folder of this machine inside
    nxt = folder / "next" / "plan.yaml"
    nxt.parent.mkdir()
    assert run("rollover", master, "--to-year", "R2", "-o", nxt)[0] == 0
    assert "template: ../templates/own.yaml" in nxt.read_text(encoding="utf-8")
    assert plan_template(load_plan(nxt)).labels.department == "所管課"


def _hidden_data(master: Path) -> str:
    wb = openpyxl.load_workbook(master)
    ws = wb["_kpibook"]
    return "".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v)


def test_forms_of_version_2_made_with_the_built_in_template_say_so(folder: Path) -> None:
    """Forms handed out before the plan named its template (version 2, built-in
    template, no digest in the stamp): checked with the plan's template now, they are
    told as made with another template, not as outdated."""
    from kpibook import api
    from kpibook.contract import stamp

    plan = api.load_plan(folder / "plan.yaml")
    builtin = api.load_template(plan, templates_root() / "card.yaml")
    plain = api.load_plan(CARD / "plan.yaml")
    from kpibook.forms.fill import write_filled_forms
    from kpibook.plantext import load_entries_yaml

    entries = load_entries_yaml(CARD / "entries.yaml", plain)
    with pytest.MonkeyPatch.context() as patch:  # as the kpibook of last round wrote them
        patch.setattr("kpibook.forms.FORM_VERSION", 2)
        patch.setattr(stamp, "FORM_VERSION", 2)
        write_filled_forms(plain, entries, folder / "v2", builtin)
    as_made = api.check_returns(plain, returns=[folder / "v2"])
    assert as_made.ok  # with the plan and template they were made from, all is well
    assert {r.stamp.form_version for r in as_made.returns if r.stamp} == {2}
    report = api.check_returns(plan, returns=[folder / "v2"])
    codes = {f.code for r in report.returns for f in r.findings}
    assert codes == {"template-differs"}


def test_the_library_uses_the_plans_template_too(folder: Path) -> None:
    from kpibook import api

    plan = api.load_plan(folder / "plan.yaml")
    assert api.check_returns(plan, returns=[folder / "r"]).ok
    assert api.load_template(plan).labels.department == "所管課"
