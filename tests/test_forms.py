"""Department forms: what a clerk sees and what a reader relies on, checked through openpyxl."""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from kpibook.contract.content import departments_with_forms, form_content
from kpibook.contract.files import form_filename
from kpibook.contract.names import encode_id, indicator_name, project_name
from kpibook.contract.specs import STATES
from kpibook.contract.stamp import STAMP_NAME, STAMP_SHEET, Stamp
from kpibook.errors import KpibookError
from kpibook.forms import GeneratedForm, generate_forms
from kpibook.plan import Plan
from kpibook.plantext import load_plan_yaml
from kpibook.template import CardTemplate, load_template
from kpibook.values import ValueKind
from tests.conftest import CARD, ROOT
from tests.named import cell as named_cell
from tests.test_roundtrip import plans

GOLDEN = ROOT / "tests" / "golden"


def _generate(plan: Plan, tmp_path: Path, **kw: Any) -> list[GeneratedForm]:
    return generate_forms(plan, tmp_path / plan.id, **kw)


def _cell(wb: Workbook, name: str) -> Any:
    return named_cell(wb, name)


def _validation_of(ws: Worksheet, coordinate: str) -> Any:
    found = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1, coordinate
    return found[0]


def _stamp(wb: Workbook) -> Stamp:
    [(sheet, ref)] = list(wb.defined_names[STAMP_NAME].destinations)
    rows = wb[sheet][ref.replace("$", "")]
    return Stamp.model_validate({k.value: v.value for k, v in rows})


@pytest.fixture(scope="module")
def card_forms(tmp_path_factory: pytest.TempPathFactory, card_plan: Plan) -> list[GeneratedForm]:
    return generate_forms(card_plan, tmp_path_factory.mktemp("card"))


@pytest.fixture(scope="module")
def matrix_forms(
    tmp_path_factory: pytest.TempPathFactory, matrix_plan: Plan
) -> list[GeneratedForm]:
    return generate_forms(matrix_plan, tmp_path_factory.mktemp("matrix"))


def test_one_form_per_department_with_something_to_fill(
    card_plan: Plan,
    matrix_plan: Plan,
    card_forms: list[GeneratedForm],
    matrix_forms: list[GeneratedForm],
) -> None:
    assert [f.department for f in card_forms] == card_plan.department_names()
    # 防災安全課 only shares 災害情報発信事業 (広報広聴課 writes it): nothing to fill
    assert "防災安全課" not in [f.department for f in matrix_forms]
    assert len(matrix_forms) == len(matrix_plan.departments) - 1
    assert card_forms[0].path.name == "kashiwa-lifelong-learning_R1_生涯学習課.xlsx"


@pytest.mark.parametrize("which", ["card", "matrix"])
def test_every_input_is_named_unlocked_validated_and_filled_yellow(
    which: str, card_forms: list[GeneratedForm], matrix_forms: list[GeneratedForm]
) -> None:
    for form in card_forms if which == "card" else matrix_forms:
        wb = openpyxl.load_workbook(form.path)
        ws = wb["記入様式"]
        assert ws.protection.sheet
        merged = [str(r) for r in ws.merged_cells.ranges]
        for record in form.inputs:
            cell = _cell(wb, record.name)
            assert cell.coordinate == record.cell
            assert cell.protection.locked is False, record.name
            assert cell.fill.fgColor.rgb.endswith("FFF2CC"), record.name
            assert not any(cell.coordinate in CellRange(m) for m in merged), record.name
            dv = _validation_of(ws, cell.coordinate)
            assert dv.showErrorMessage
            assert dv.prompt  # Japanese input message
        locked_names = [
            n
            for n in wb.defined_names
            if n.startswith("kpi.") and n not in {r.name for r in form.inputs}
        ]
        for name in locked_names:  # since form version 3: groups of prefilled cells
            for sheet, ref in wb.defined_names[name].destinations:
                assert wb[sheet][ref.replace("$", "")].protection.locked is not False, name


def test_prefilled_values_are_the_plans(card_plan: Plan, card_forms: list[GeneratedForm]) -> None:
    checked = 0
    for form in card_forms:
        wb = openpyxl.load_workbook(form.path)
        for fp in form_content(card_plan, form.department).projects:
            for ind in fp.project.indicators:
                for year, value in ind.targets.items():
                    cell = _cell(wb, indicator_name(fp.project.id, ind.id, f"t{year}"))
                    if value.kind is ValueKind.NUMBER:
                        assert Decimal(str(cell.value)) == value.number
                        checked += 1
                for year, value in ind.actuals.items():
                    cell = _cell(wb, indicator_name(fp.project.id, ind.id, f"a{year}"))
                    if value.kind is ValueKind.NUMBER:
                        assert Decimal(str(cell.value)) == value.number
                        checked += 1
    assert checked > 100


def test_units_and_year_labels_show_as_in_the_official_form(
    card_forms: list[GeneratedForm],
) -> None:
    wb = openpyxl.load_workbook(card_forms[0].path)  # 生涯学習課
    target = _cell(wb, indicator_name("p01", "p01-1", "t2019"))
    assert target.value == 47000
    assert target.number_format == '#,##0"人"'
    actual = _cell(wb, indicator_name("p01", "p01-1", "actual"))
    dv = _validation_of(wb["記入様式"], actual.coordinate)
    assert dv.type == "whole"
    assert dv.operator in (None, "between")  # "between" is the default, often not written
    state = _validation_of(
        wb["記入様式"], _cell(wb, indicator_name("p01", "p01-1", "state")).coordinate
    )
    assert state.type == "list"
    assert state.formula1 == '"' + ",".join(STATES) + '"'
    grade = _validation_of(wb["記入様式"], _cell(wb, project_name("p01", "self_grade")).coordinate)
    assert grade.formula1 == '"A,B,C"'
    text = _validation_of(
        wb["記入様式"], _cell(wb, project_name("p01", "activity_report")).coordinate
    )
    assert (text.type, text.operator, text.formula1) == ("textLength", "lessThanOrEqual", "1000")


def test_stamp_identifies_the_form(card_plan: Plan, card_forms: list[GeneratedForm]) -> None:
    for form in card_forms:
        wb = openpyxl.load_workbook(form.path)
        assert wb[STAMP_SHEET].sheet_state == "veryHidden"
        stamp = _stamp(wb)
        assert stamp == form.stamp
        assert (stamp.plan, stamp.fiscal_year, stamp.department) == (
            card_plan.id,
            2019,
            form.department,
        )
    assert len({f.stamp.fingerprint for f in card_forms}) == len(card_forms)


def test_fingerprint_changes_when_prefilled_content_changes(
    tmp_path: Path, card_plan: Plan
) -> None:
    [before] = _generate(card_plan, tmp_path / "a", departments=["中央公民館"])
    changed = card_plan.model_copy(deep=True)
    p02 = changed.project("p02")
    object.__setattr__(p02, "overview", f"{p02.overview}（改訂）")
    [after] = _generate(changed, tmp_path / "b", departments=["中央公民館"])
    [other] = _generate(changed, tmp_path / "c", departments=["生涯学習課"])
    [other_before] = _generate(card_plan, tmp_path / "d", departments=["生涯学習課"])
    assert before.stamp.fingerprint != after.stamp.fingerprint
    assert other.stamp.fingerprint == other_before.stamp.fingerprint


def test_relisted_project_is_one_input_with_its_other_places(
    card_forms: list[GeneratedForm],
) -> None:
    form = next(f for f in card_forms if f.department == "協働推進課")
    assert [r.name for r in form.inputs].count(project_name("p03", "activity_report")) == 1
    wb = openpyxl.load_workbook(form.path)
    texts = [c.value for row in wb["記入様式"].iter_rows() for c in row if isinstance(c.value, str)]
    assert "この事業は次の箇所にも掲載されます: 1.(2)" in texts
    assert sum(t == "市民大学（カシワワカモノプロジェクト）" for t in texts) == 1


def test_shared_project_is_filled_by_the_lead_only(matrix_forms: list[GeneratedForm]) -> None:
    by_dept = {f.department: f for f in matrix_forms}
    lead = {r.name for r in by_dept["生活支援課"].inputs}
    other = {r.name for r in by_dept["福祉政策課"].inputs}
    assert project_name("p2-1-1-u", "comment") in lead
    assert project_name("p2-1-1-u", "comment") not in other
    wb = openpyxl.load_workbook(by_dept["福祉政策課"].path)
    ws = wb["記入様式"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == "生活支援課\n福祉政策課"]
    assert len(cells) == 1
    assert cells[0].fill.fgColor.rgb.endswith("BDD7EE")  # the blue 青色セル
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "生活支援課が記入します（閲覧のみ）" in texts


def test_matrix_has_the_official_two_row_header(matrix_forms: list[GeneratedForm]) -> None:
    ws = openpyxl.load_workbook(matrix_forms[0].path)["記入様式"]
    top = [c.value for c in ws[4]]
    below = [c.value for c in ws[5]]
    years = [v for v in top if isinstance(v, str) and v[:1] in "HR" and v[1:2].isdigit()]
    assert years == ["H29", "R1", "R2", "R3(中間年)", "R3", "R4", "R5", "R6"]
    assert below.count("実績値") == 6
    assert below.count("目標値") == 2
    assert top[0] == "番号"
    assert ws.print_title_rows == "$4:$5"


@pytest.mark.parametrize(("which", "landscape"), [("card", False), ("matrix", True)])
def test_print_settings(
    which: str, landscape: bool, card_forms: list[GeneratedForm], matrix_forms: list[GeneratedForm]
) -> None:
    """On the template's paper at a scale kpibook chose (Excel ignores manual page breaks
    on a sheet scaled to fit), the matrix split into column groups printed across."""
    form = (card_forms if which == "card" else matrix_forms)[0]
    ws = openpyxl.load_workbook(form.path)["記入様式"]
    assert ws.page_setup.paperSize == 8  # A3, as the templates say
    assert ws.page_setup.orientation == ("landscape" if landscape else "portrait")
    setup = ws.sheet_properties.pageSetUpPr
    assert setup is None or not setup.fitToPage
    assert 89 <= int(ws.page_setup.scale or 100) <= 100  # 9 pt prints at 8 pt or more
    if which == "matrix":
        assert ws.print_title_cols == "$A:$B"  # 番号 and 事業名 on every group of pages
        assert [b.id for b in ws.col_breaks.brk]
        assert ws.page_setup.pageOrder == "overThenDown"
    else:
        assert not ws.col_breaks.brk  # a card is never split side by side
    header, footer = ws.oddHeader, ws.oddFooter
    assert header is not None
    assert footer is not None
    assert form.department in str(header.center.text)
    assert "&P" in str(footer.center.text)


def test_text_inputs_are_as_tall_as_their_longest_text(card_forms: list[GeneratedForm]) -> None:
    """Every text input's row holds its longest accepted text (at most 409 pt), and no
    row is taller than Excel allows."""
    from kpibook.textfit import MAX_ROW_POINTS, lines_needed, row_height

    form = next(f for f in card_forms if f.department == "生涯学習課")
    wb = openpyxl.load_workbook(form.path)
    ws = wb["記入様式"]
    texts = [r for r in form.inputs if r.spec.kind == "text"]
    assert texts
    for record in texts:
        cell = ws[record.cell]
        width = ws.column_dimensions[cell.column_letter].width - 0.71  # as stored
        height = ws.row_dimensions[cell.row].height
        longest = "あ" * record.spec.validation["value"]
        assert height >= row_height(lines_needed(longest, width, 10), 10) - 0.75, record.name
    heights = [d.height for d in ws.row_dimensions.values() if d.height]
    assert max(heights) <= MAX_ROW_POINTS


def test_same_plan_same_bytes(tmp_path: Path, matrix_plan: Plan) -> None:
    a = _generate(matrix_plan, tmp_path / "a", departments=["障害福祉課"])[0].path
    b = _generate(matrix_plan, tmp_path / "b", departments=["障害福祉課"])[0].path
    assert a.read_bytes() == b.read_bytes()


def test_instructions_list_every_input(card_forms: list[GeneratedForm]) -> None:
    form = card_forms[1]
    ws = openpyxl.load_workbook(form.path)["記入要領"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value]
    for record in form.inputs:
        assert f"記入様式!{record.cell}" in texts
    assert any("かなり達成できた（80%以上）" in t for t in texts)


def test_password_protects_the_sheets(tmp_path: Path, card_plan: Plan) -> None:
    [form] = _generate(card_plan, tmp_path, departments=["中央公民館"], password="secret")
    ws = openpyxl.load_workbook(form.path)["記入様式"]
    assert ws.protection.sheet
    assert ws.protection.password  # stored as a hash


def test_unknown_department_is_refused(tmp_path: Path, card_plan: Plan) -> None:
    with pytest.raises(KpibookError, match="公民館"):
        _generate(card_plan, tmp_path, departments=["公民館"])


def test_names_encode_ids_injectively() -> None:
    assert encode_id("p2-1-1-a") == "p2_01_01_0a"
    assert encode_id("a_-b") != encode_id("a-_b")
    assert form_filename.__doc__


# -- golden summaries ------------------------------------------------------------------


def summarize(path: Path) -> dict[str, Any]:
    """What matters of a form, without bytes: sheets, names, validations, protection."""
    wb = openpyxl.load_workbook(path)
    ws = wb["記入様式"]
    validations = sorted(
        (str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.formula2)
        for dv in ws.data_validations.dataValidation
    )
    stamp = _stamp(wb).model_dump()
    stamp["generator"] = "<masked>"
    return {
        "sheets": [(s.title, s.sheet_state) for s in wb.worksheets],
        "names": {n: d.attr_text for n, d in sorted(wb.defined_names.items())},
        "validations": [list(v) for v in validations],
        "protected": [s.title for s in wb.worksheets if s.protection.sheet],
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "stamp": stamp,
        "print": [ws.page_setup.orientation, ws.print_title_rows],
    }


@pytest.mark.parametrize("which", ["card", "matrix"])
def test_golden_summary(
    which: str, card_forms: list[GeneratedForm], matrix_forms: list[GeneratedForm]
) -> None:
    forms = card_forms if which == "card" else matrix_forms
    summary = {f.department: summarize(f.path) for f in forms}
    golden = GOLDEN / f"forms-{which}.json"
    text = json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=True)
    if os.environ.get("KPIBOOK_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text + "\n", encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == text + "\n", (
        "forms changed; if intended, rerun with KPIBOOK_UPDATE_GOLDEN=1 and review the diff"
    )


def test_templates_load(card_plan: Plan, matrix_plan: Plan) -> None:
    template = load_template(card_plan.layout)
    assert isinstance(template, CardTemplate)
    assert template.labels.project == "具体的事業"
    assert departments_with_forms(matrix_plan)[0] == "地域包括支援課"


# -- any plan --------------------------------------------------------------------------


@pytest.mark.slow
@given(plans())
def test_any_plan_gives_forms_whose_stamp_and_names_read_back(plan: Plan) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        forms = generate_forms(plan, Path(tmp))
        assert [f.department for f in forms] == departments_with_forms(plan)
        for form in forms:
            wb = openpyxl.load_workbook(form.path)
            assert _stamp(wb) == form.stamp
            content = form_content(plan, form.department)
            template = load_template(plan.layout)
            from kpibook.contract.inputs import form_inputs

            expected = {inp.name for inp in form_inputs(content, template)}
            assert {r.name for r in form.inputs} == expected
            assert expected <= set(wb.defined_names)
            for name in expected:
                assert _cell(wb, name).protection.locked is False


def test_long_choice_lists_go_to_the_hidden_lists_sheet(tmp_path: Path) -> None:
    from kpibook.contract.inputs import FormInput
    from kpibook.contract.specs import InputSpec
    from kpibook.forms.sheet import FormSheet
    from kpibook.plan import Layout
    from kpibook.xlsx_write import Book

    choices = [f"選択肢{n:03d}（長い説明つきの選択肢）" for n in range(30)]
    assert len(",".join(choices)) > 255
    spec = InputSpec(
        "grade", "評価", "選んでください", {"validate": "list", "source": choices}, True
    )
    path = tmp_path / "x.xlsx"
    template = load_template(Layout.CARD)
    with Book(path) as book:
        sheet, lists = book.sheet("記入様式"), book.sheet("選択肢")
        fs = FormSheet(book, sheet, template, [10.0], lists)
        fs.input(
            0, 0, FormInput("kpi.x.choice", "x", "self_grade", "評価", spec), fs.styles.input_choice
        )
        lists.hide()
    wb = openpyxl.load_workbook(path)
    dv = _validation_of(wb["記入様式"], "A1")
    assert dv.formula1 == "'選択肢'!$A$1:$A$30"
    assert [c.value for c in wb["選択肢"]["A"]] == choices
    assert wb["選択肢"].sheet_state == "hidden"


def test_instructions_carry_deadline_and_contact(tmp_path: Path, card_plan: Plan) -> None:
    import datetime as dt

    from kpibook.plan import Department

    departments = [
        Department(
            name=d.name, contact="内線1234 shogai@example.jp" if d.name == "中央公民館" else None
        )
        for d in card_plan.departments
    ]
    plan = card_plan.model_copy(
        update={"deadline": dt.date(2020, 5, 29), "departments": departments}
    )
    [form] = _generate(plan, tmp_path, departments=["中央公民館"])
    wb = openpyxl.load_workbook(form.path)
    texts = [str(c.value) for row in wb["記入要領"].iter_rows() for c in row if c.value]
    assert "2020年05月29日" in texts
    assert "内線1234 shogai@example.jp" in texts
    form_texts = [str(c.value) for row in wb["記入様式"].iter_rows() for c in row if c.value]
    assert any("提出期限: 2020年05月29日" in t for t in form_texts)


@pytest.mark.parametrize("which", ["card", "matrix"])
def test_forms_hold_exactly_the_inputs_the_checker_expects(
    which: str,
    card_plan: Plan,
    matrix_plan: Plan,
    card_forms: list[GeneratedForm],
    matrix_forms: list[GeneratedForm],
) -> None:
    from kpibook.contract.inputs import form_inputs

    plan = card_plan if which == "card" else matrix_plan
    for form in card_forms if which == "card" else matrix_forms:
        expected = form_inputs(form_content(plan, form.department), load_template(plan.layout))
        assert [(r.name, r.spec) for r in form.inputs] == [(i.name, i.spec) for i in expected]


def test_the_workbook_structure_is_locked(card_forms: list[GeneratedForm], tmp_path: Path) -> None:
    """Excel refuses to rename, delete, move or unhide a form's sheets, so the stamp and
    the sheet the names point at stay where check looks for them."""
    from openpyxl.utils.protection import hash_password

    wb = openpyxl.load_workbook(card_forms[0].path)
    assert wb.security is not None
    assert wb.security.lockStructure
    assert wb.security.workbookPassword is None
    plan = load_plan_yaml(CARD / "plan.yaml")
    [locked] = generate_forms(plan, tmp_path, ["生涯学習課"], password="秘密")
    protected = openpyxl.load_workbook(locked.path).security
    assert protected is not None
    assert protected.lockStructure
    assert protected.workbookPassword == hash_password("秘密")
