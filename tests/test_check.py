"""Checking returns: clean returns check clean; each spoiled one names exactly its cells.

The returns are the examples' forms filled in with the seeds' entries (as the
departments reported), then spoiled one way each with openpyxl, as a clerk or another
tool would.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook

from kpibook.contract.content import form_content
from kpibook.contract.inputs import prefilled_keys
from kpibook.contract.names import SCHEMES, indicator_name, project_name
from kpibook.contract.stamp import FORM_VERSION, STAMP_SHEET
from kpibook.entries import Entries
from kpibook.forms import GeneratedForm, generate_forms
from kpibook.forms.fill import write_filled_forms
from kpibook.plan import Plan
from kpibook.returns.check import ReturnResult, check_return, check_returns
from kpibook.template import CardTemplate, FormTemplate, load_template
from kpibook.values import ValueKind
from tests.named import destination
from tests.test_libreoffice import needs_libreoffice, pdf_text, resave_xlsx, to_pdf

Spoil = Callable[[Workbook], None]
FORM = "記入様式"


@pytest.fixture(scope="module")
def card_returns(
    tmp_path_factory: pytest.TempPathFactory, card_plan: Plan, card_entries: Entries
) -> dict[str, GeneratedForm]:
    forms = write_filled_forms(card_plan, card_entries, tmp_path_factory.mktemp("card"))
    return {f.department: f for f in forms}


@pytest.fixture(scope="module")
def matrix_returns(
    tmp_path_factory: pytest.TempPathFactory, matrix_plan: Plan, matrix_entries: Entries
) -> dict[str, GeneratedForm]:
    forms = write_filled_forms(matrix_plan, matrix_entries, tmp_path_factory.mktemp("matrix"))
    return {f.department: f for f in forms}


def cell_of(
    form: GeneratedForm, name: str, plan: Plan | None = None, template: FormTemplate | None = None
) -> str:
    """The cell a defined name points at in a generated form (a prefilled cell through
    its group's name, in a form of ``plan`` and ``template`` when given)."""
    return destination(openpyxl.load_workbook(form.path), name, plan, template)[1]


def spoiled(form: GeneratedForm, tmp_path: Path, spoil: Spoil, name: str | None = None) -> Path:
    target = tmp_path / (name or form.path.name)
    wb = openpyxl.load_workbook(form.path)
    spoil(wb)
    wb.save(target)
    return target


def found(result: ReturnResult) -> list[tuple[str | None, str | None, str]]:
    return [(f.sheet, f.cell, f.code) for f in result.findings]


def check(plan: Plan, path: Path) -> ReturnResult:
    return check_return(plan, path, load_template(plan.layout))


def test_every_clean_return_checks_without_errors(
    card_plan: Plan,
    matrix_plan: Plan,
    card_returns: dict[str, GeneratedForm],
    matrix_returns: dict[str, GeneratedForm],
) -> None:
    for plan, returns in ((card_plan, card_returns), (matrix_plan, matrix_returns)):
        report = check_returns(plan, [f.path for f in returns.values()])
        for r in report.returns:
            assert r.errors == [], (r.file, [f.message_en for f in r.errors])
            assert {f.code for f in r.warnings} <= {"jump"}, r.file


def test_clean_return_gives_back_the_entries(
    card_plan: Plan, card_entries: Entries, card_returns: dict[str, GeneratedForm]
) -> None:
    result = check(card_plan, card_returns["協働推進課"].path)
    for entry in result.entries:
        assert entry == card_entries.for_project(entry.project)


def test_pending_and_not_applicable_come_back_as_states(
    matrix_plan: Plan, matrix_returns: dict[str, GeneratedForm]
) -> None:
    houkatsu = check(matrix_plan, matrix_returns["地域包括支援課"].path)
    [satisfaction] = [e for e in houkatsu.entries if e.project == "p2-1-1-a"]
    assert satisfaction.actuals["p2-1-1-a-1"].kind is ValueKind.PENDING
    iryo = check(matrix_plan, matrix_returns["地域医療推進課"].path)
    assert all(v.kind is ValueKind.NOT_APPLICABLE for v in iryo.entries[0].actuals.values())


def test_jump_warning_quotes_both_figures(
    card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    form = card_returns["生涯学習課"]
    result = check(card_plan, form.path)
    [jump] = [f for f in result.findings if f.code == "jump"]
    assert jump.cell == cell_of(form, indicator_name("p01", "p01-1", "actual"))
    assert "104,490 (R1) vs 47,233 (H30): +121%" in jump.message_en


def test_jump_compares_with_the_actual_grading_would(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    """An earlier year reported as 集計中 is passed over, as grading passes over it."""
    from kpibook.forms.fill import entry_values
    from kpibook.values import Value

    project = card_plan.project("p01")
    [indicator] = project.indicators
    pending = indicator.model_copy(
        update={"actuals": {**indicator.actuals, 2018: Value.of("集計中")}}
    )
    plan = card_plan.model_copy(
        update={
            "projects": [
                project.model_copy(update={"indicators": [pending]}) if p is project else p
                for p in card_plan.projects
            ]
        }
    )
    assert plan.project("p01").indicators[0].latest_actual_before(2019) == (
        2017,
        Value.of(36140),
    )
    template = load_template(plan.layout)
    [form] = generate_forms(
        plan,
        tmp_path,
        departments=[project.lead_department],
        values=lambda d: entry_values(plan, d, card_entries, template),
    )
    [jump] = [f for f in check(plan, form.path).findings if f.code == "jump"]
    assert "104,490 (R1) vs 36,140 (H29): +189%" in jump.message_en


# -- spoiled returns: (what to do, which input, the findings expected there) -----------

ACTUAL = indicator_name("p04", "p04-1", "actual")
STATE = indicator_name("p04", "p04-1", "state")
REPORT = project_name("p04", "activity_report")
GRADE = project_name("p04", "self_grade")
EXPLAIN = project_name("p04", "grade_explanation")


def set_name(
    name: str, value: Any, plan: Plan | None = None, template: FormTemplate | None = None
) -> Spoil:
    def spoil(wb: Workbook) -> None:
        sheet, ref = destination(wb, name, plan, template)
        wb[sheet][ref].value = value

    return spoil


CASES: list[tuple[str, Spoil, list[tuple[str, str]]]] = [
    ("approximation", set_name(ACTUAL, "約400人"), [(ACTUAL, "not-a-number")]),
    ("other unit", set_name(ACTUAL, "435名"), [(ACTUAL, "not-a-number")]),
    ("negative mark", set_name(ACTUAL, "▲435"), [(ACTUAL, "not-a-number")]),
    ("underscore", set_name(ACTUAL, "4_35"), [(ACTUAL, "not-a-number")]),
    ("boolean", set_name(ACTUAL, True), [(ACTUAL, "not-a-number")]),
    ("full width with unit", set_name(ACTUAL, "４３５人"), [(ACTUAL, "number-normalized")]),
    ("thousands separator", set_name(ACTUAL, "1,000"), [(ACTUAL, "number-normalized")]),
    ("spaces", set_name(ACTUAL, "\u3000435 "), [(ACTUAL, "number-normalized")]),
    ("dash", set_name(ACTUAL, "―"), [(ACTUAL, "dash-as-not-applicable")]),
    ("formula", set_name(ACTUAL, "=2000+418"), [(ACTUAL, "formula-in-input")]),
    ("decimal in a whole count", set_name(ACTUAL, 435.5), [(ACTUAL, "not-whole")]),
    ("negative count", set_name(ACTUAL, -120), [(ACTUAL, "out-of-range")]),
    (
        "minus sign typed as text",
        set_name(ACTUAL, "−13"),
        [(ACTUAL, "out-of-range")],
    ),
    ("slip of several zeros", set_name(ACTUAL, 435_000_000), [(ACTUAL, "out-of-range")]),
    ("pending typed as the number", set_name(ACTUAL, "集計中"), [(ACTUAL, "state-in-number")]),
    (
        "pending typed and another state chosen",
        lambda wb: (set_name(ACTUAL, "集計中")(wb), set_name(STATE, "該当なし")(wb))[0],
        [(ACTUAL, "actual-and-state"), (ACTUAL, "state-in-number")],
    ),
    ("lower-case grade", set_name(GRADE, "b"), [(GRADE, "choice-normalized")]),
    ("error value", set_name(ACTUAL, "#DIV/0!"), [(ACTUAL, "error-value")]),
    ("number and state", set_name(STATE, "集計中"), [(ACTUAL, "actual-and-state")]),
    ("not a state", set_name(STATE, "未定"), [(STATE, "not-a-choice")]),
    ("missing actual", set_name(ACTUAL, None), [(ACTUAL, "required-missing")]),
    ("missing text", set_name(REPORT, None), [(REPORT, "required-missing")]),
    ("too long", set_name(REPORT, "あ" * 1001), [(REPORT, "text-too-long")]),
    ("control character", set_name(REPORT, "取組\x7fを実施"), [(REPORT, "illegal-character")]),
    ("grade not in scale", set_name(GRADE, "D"), [(GRADE, "not-a-choice")]),
    ("full-width grade", set_name(GRADE, "Ｂ"), [(GRADE, "choice-normalized")]),
    (
        "grade below top, no explanation",
        set_name(EXPLAIN, None),
        [(EXPLAIN, "explanation-required")],
    ),
    (
        "target typed over",
        set_name(indicator_name("p04", "p04-1", "t2019"), 2000),
        [(indicator_name("p04", "p04-1", "t2019"), "prefilled-changed")],
    ),
    (
        "past actual typed over",
        set_name(indicator_name("p04", "p04-1", "a2018"), 9999),
        [(indicator_name("p04", "p04-1", "a2018"), "prefilled-changed")],
    ),
    (
        "project name edited",
        set_name(project_name("p04", "name"), "ボランティア養成事業（改）"),
        [(project_name("p04", "name"), "prefilled-changed")],
    ),
]


@pytest.mark.parametrize(("label", "spoil", "expected"), CASES, ids=[c[0] for c in CASES])
def test_spoiled_return_names_exactly_its_cells(
    label: str,
    spoil: Spoil,
    expected: list[tuple[str, str]],
    tmp_path: Path,
    card_plan: Plan,
    card_returns: dict[str, GeneratedForm],
) -> None:
    form = card_returns["社会福祉協議会"]  # ボランティア養成事業: graded B
    result = check(card_plan, spoiled(form, tmp_path, spoil))
    assert found(result) == [(FORM, cell_of(form, name), code) for name, code in expected]


def test_merged_input_cells_are_refused(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    form = card_returns["社会福祉協議会"]
    actual, state = cell_of(form, ACTUAL), cell_of(form, STATE)

    def merge(wb: Workbook) -> None:
        wb[FORM].protection.sheet = False
        wb[FORM].merge_cells(f"{actual}:{state}")

    codes = found(check(card_plan, spoiled(form, tmp_path, merge)))
    assert codes == [(FORM, actual, "input-merged"), (FORM, state, "input-merged")]


def test_lost_name_is_reported_not_guessed(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    form = card_returns["社会福祉協議会"]

    def drop(wb: Workbook) -> None:
        del wb.defined_names[REPORT]

    result = check(card_plan, spoiled(form, tmp_path, drop))
    assert [(f.code, f.field) for f in result.findings] == [("name-missing", "活動報告")]
    # the department is told which project, as its form numbers and names it
    assert "ボランティア養成事業の記入欄「活動報告」" in result.findings[0].message_ja


def _stamp(key: str, value: Any) -> Spoil:
    def spoil(wb: Workbook) -> None:
        ws = wb[STAMP_SHEET]
        for row in ws.iter_rows():
            if row[0].value == key:
                row[1].value = value

    return spoil


@pytest.mark.parametrize(
    ("spoil", "code"),
    [
        (_stamp("plan", "another-plan"), "wrong-plan"),
        (_stamp("fiscal_year", "2020"), "wrong-year"),
        (_stamp("department", "教育委員会"), "unknown-department"),
        (_stamp("department", "生涯学習課"), "department-mismatch"),
        (_stamp("form_version", "99"), "form-version"),
        (_stamp("fiscal_year", "令和元年"), "stamp-invalid"),
    ],
)
def test_which_form_is_this(
    spoil: Spoil,
    code: str,
    tmp_path: Path,
    card_plan: Plan,
    card_returns: dict[str, GeneratedForm],
) -> None:
    result = check(card_plan, spoiled(card_returns["中央公民館"], tmp_path, spoil))
    assert [f.code for f in result.findings] == [code]
    assert result.entries == []


def test_renamed_to_another_department(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    target = tmp_path / "kashiwa-lifelong-learning_R1_生涯学習課.xlsx"
    shutil.copy(card_returns["中央公民館"].path, target)
    result = check(card_plan, target)
    assert [(f.code, f.raw) for f in result.findings] == [("department-mismatch", "生涯学習課")]
    copy = tmp_path / "kashiwa-lifelong-learning_R1_中央公民館 (2).xlsx"
    shutil.copy(card_returns["中央公民館"].path, copy)
    assert check(card_plan, copy).ok
    renamed = tmp_path / "kashiwa-lifelong-learning_R1_生涯学習課_修正.xlsx"
    shutil.copy(card_returns["中央公民館"].path, renamed)
    assert [(f.code, f.raw) for f in check(card_plan, renamed).findings] == [
        ("department-mismatch", "生涯学習課")
    ]


def test_file_name_names_the_longest_known_department(card_plan: Plan) -> None:
    """Renamed copies keep the department's name first; a department whose name starts
    another's is not mistaken for it."""
    from kpibook.contract.files import department_in_file_name
    from kpibook.plan import Department

    plan = card_plan.model_copy(
        update={"departments": [*card_plan.departments, Department(name="中央公民館_分館")]}
    )
    prefix = "kashiwa-lifelong-learning_R1_"
    assert department_in_file_name(prefix + "中央公民館_分館 (1).xlsx", plan) == "中央公民館_分館"
    assert department_in_file_name(prefix + "中央公民館（修正）.xlsx", plan) == "中央公民館"
    assert department_in_file_name(prefix + "中央公民館\u3000最終.xlsx", plan) == "中央公民館"
    assert department_in_file_name(prefix + "中央公民館版.xlsx", plan) is None
    assert department_in_file_name("other_R1_中央公民館.xlsx", plan) is None


def test_form_of_an_older_plan(tmp_path: Path, card_plan: Plan) -> None:
    older = card_plan.model_copy(update={"title": "第3次柏市生涯学習推進計画（案）"})
    [form] = generate_forms(older, tmp_path, departments=["中央公民館"])
    assert [f.code for f in check(card_plan, form.path).findings] == ["outdated-form"]


def test_content_pasted_into_a_fresh_workbook(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    source = openpyxl.load_workbook(card_returns["中央公民館"].path)
    fresh = openpyxl.Workbook()
    ws = fresh.active
    assert ws is not None
    for row in source[FORM].iter_rows():
        for c in row:
            if c.value is not None and not isinstance(c, openpyxl.cell.cell.MergedCell):
                ws[c.coordinate] = c.value
    path = tmp_path / "pasted.xlsx"
    fresh.save(path)
    assert [f.code for f in check(card_plan, path).findings] == ["names-lost"]


def test_hidden_sheets_removed_is_told_apart_from_pasting(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    """Excel's Document Inspector removes hidden sheets: the inputs keep their names, the
    stamp is gone. The department is told what happened, not that it pasted."""

    def inspect(wb: Workbook) -> None:
        for sheet in [STAMP_SHEET, "選択肢"]:
            del wb[sheet]
        for name in [n for n, d in wb.defined_names.items() if d.attr_text.find("#REF") >= 0]:
            del wb.defined_names[name]
        for name in ["kpibook.stamp", "kpibook.labels"]:
            if name in wb.defined_names:
                del wb.defined_names[name]

    result = check(card_plan, spoiled(card_returns["中央公民館"], tmp_path, inspect))
    assert [f.code for f in result.findings] == ["hidden-sheets-removed"]
    assert "ドキュメント検査" in result.findings[0].message_ja


def test_not_a_form_and_not_a_workbook(tmp_path: Path, card_plan: Plan) -> None:
    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "集計表"  # type: ignore[index]
    wb.save(plain)
    csv = tmp_path / "renamed.xlsx"
    csv.write_text("事業名,実績\n公民館事業,2418\n", encoding="utf-8")
    report = check_returns(card_plan, [plain, csv])
    assert [[f.code for f in r.findings] for r in report.returns] == [
        ["not-a-form"],
        ["text-not-workbook"],
    ]


def test_pending_refused_when_the_plan_says_so(
    tmp_path: Path, matrix_plan: Plan, matrix_returns: dict[str, GeneratedForm]
) -> None:
    strict = matrix_plan.model_copy(
        update={"checks": matrix_plan.checks.model_copy(update={"allow_pending": False})}
    )
    form = matrix_returns["地域包括支援課"]
    result = check(strict, form.path)
    state = cell_of(form, indicator_name("p2-1-1-a", "p2-1-1-a-1", "state"))
    assert ("記入様式", state, "pending-not-allowed") in found(result)


def test_improvement_required_for_a_self_graded_cross(
    tmp_path: Path, matrix_plan: Plan, matrix_returns: dict[str, GeneratedForm]
) -> None:
    form = matrix_returns["子育て支援課"]
    path = spoiled(form, tmp_path, set_name(project_name("p2-1-2-o", "self_grade"), "×"))
    improvement = cell_of(form, project_name("p2-1-2-o", "improvement"))
    assert found(check(matrix_plan, path)) == [(FORM, improvement, "improvement-required")]


def test_every_finding_has_both_languages_and_a_place(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    form = card_returns["社会福祉協議会"]

    def many(wb: Workbook) -> None:
        for spoil, _ in [(c[1], c[2]) for c in CASES[:3]]:
            spoil(wb)
        set_name(REPORT, "あ" * 1001)(wb)

    result = check(card_plan, spoiled(form, tmp_path, many))
    assert result.errors
    for f in result.findings:
        assert f.message_ja
        assert f.message_en
        assert f.file == form.path.name
        assert f.sheet == FORM
        assert f.cell


# -- the command, annotated copies, and a real client ------------------------------------


def test_cli_json_is_the_library_report(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    import json

    from click.testing import CliRunner

    from kpibook.cli import main
    from tests.conftest import CARD

    bad = spoiled(card_returns["社会福祉協議会"], tmp_path, set_name(ACTUAL, "約400人"))
    paths = [bad, card_returns["中央公民館"].path]
    result = CliRunner().invoke(
        main, ["check", "-p", str(CARD / "plan.yaml"), "--json", *map(str, paths)]
    )
    assert result.exit_code == 1
    library = check_returns(card_plan, paths)
    assert json.loads(result.stdout) == json.loads(library.model_dump_json())


def test_cli_plain_output_and_exit_codes(
    tmp_path: Path, card_returns: dict[str, GeneratedForm]
) -> None:
    from click.testing import CliRunner

    from kpibook.cli import main
    from tests.conftest import CARD

    folder = tmp_path / "returns"
    folder.mkdir()
    shutil.copy(card_returns["地域支援課"].path, folder)
    (folder / "~$lock.xlsx").write_bytes(b"owner")  # Excel's lock file is not a return
    runner = CliRunner()
    ok = runner.invoke(main, ["check", "-p", str(CARD / "plan.yaml"), str(folder)])
    assert ok.exit_code == 0
    assert "[地域支援課]: OK" in ok.stdout
    assert "checked 1 return(s)" in ok.stdout
    bad = spoiled(card_returns["社会福祉協議会"], folder, set_name(ACTUAL, "約400人"))
    out = runner.invoke(main, ["check", "-p", str(CARD / "plan.yaml"), str(folder)])
    assert out.exit_code == 1
    assert f"{bad.name}  [社会福祉協議会]: エラー 1" in out.stdout
    assert "not-a-number" in out.stdout
    assert "約400人" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr
    usage = runner.invoke(main, ["check", str(folder)])
    assert usage.exit_code == 2


def test_annotated_copy_marks_each_problem(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    from kpibook.forms.annotate import annotate_returns

    form = card_returns["社会福祉協議会"]

    def spoil(wb: Workbook) -> None:
        set_name(ACTUAL, "約400人")(wb)
        set_name(GRADE, "D")(wb)

    path = spoiled(form, tmp_path, spoil)
    before = path.read_bytes()
    report = check_returns(card_plan, [path])
    [copy] = annotate_returns(card_plan, report, tmp_path / "annotated")
    assert path.read_bytes() == before  # the return itself is never modified
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames[0] == "エラー一覧"
    ws = wb[FORM]
    for name in (ACTUAL, GRADE):
        [(_, ref)] = list(wb.defined_names[name].destinations)
        cell = ws[str(ref).replace("$", "")]
        assert cell.comment is not None
        assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    actual_cell = ws[cell_of(form, ACTUAL)]
    assert actual_cell.value == "約400人"  # what they typed, to correct
    assert "数値として読めません" in str(actual_cell.comment.text)
    errors = wb["エラー一覧"]
    links = [c.hyperlink.location for row in errors.iter_rows() for c in row if c.hyperlink]
    assert f"'{FORM}'!{cell_of(form, ACTUAL)}" in links
    # fixing the two cells in the copy gives a clean return
    fixed = openpyxl.load_workbook(copy)
    set_name(ACTUAL, 435)(fixed)
    set_name(GRADE, "B")(fixed)
    fixed.save(tmp_path / "fixed.xlsx")
    assert check(card_plan, tmp_path / "fixed.xlsx").ok


@needs_libreoffice
def test_a_return_resaved_by_libreoffice_reads_back_the_same(
    tmp_path: Path,
    card_plan: Plan,
    matrix_plan: Plan,
    card_returns: dict[str, GeneratedForm],
    matrix_returns: dict[str, GeneratedForm],
) -> None:
    for plan, form in (
        (card_plan, card_returns["協働推進課"]),
        (matrix_plan, matrix_returns["地域包括支援課"]),
    ):
        [resaved] = resave_xlsx([form.path], tmp_path / plan.id)
        before, after = check(plan, form.path), check(plan, resaved)
        assert after.errors == []
        assert after.entries == before.entries
        assert after.stamp == before.stamp


@needs_libreoffice
def test_a_prefilled_cell_changed_after_libreoffice_saved_the_form_is_found_at_its_cell(
    tmp_path: Path, matrix_plan: Plan, matrix_returns: dict[str, GeneratedForm]
) -> None:
    """LibreOffice writes a version-3 group name back in its own notation
    (``記入様式!$F$8,記入様式!$G$8,...``), keeping the order: each cell is still located,
    and a value changed there is reported at its cell."""
    form = matrix_returns["地域包括支援課"]
    [resaved] = resave_xlsx([form.path], tmp_path / "resaved")
    project = next(p for p in matrix_plan.projects if p.lead_department == form.department)
    indicator = project.indicators[0]
    last = max(indicator.targets)
    name = indicator_name(project.id, indicator.id, f"t{last}")
    wb = openpyxl.load_workbook(resaved)
    sheet, ref = destination(wb, name, matrix_plan)
    assert ref == cell_of(form, name)  # where the writer put it
    wb[sheet][ref].value = 999999
    wb.save(tmp_path / form.path.name)
    result = check(matrix_plan, tmp_path / form.path.name)
    assert [(f.sheet, f.cell, f.code) for f in result.errors] == [(FORM, ref, "prefilled-changed")]


@needs_libreoffice
def test_annotated_copy_opens_in_libreoffice_with_its_comments(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    from kpibook.forms.annotate import annotate_returns

    path = spoiled(card_returns["社会福祉協議会"], tmp_path, set_name(ACTUAL, "約400人"))
    [copy] = annotate_returns(card_plan, check_returns(card_plan, [path]), tmp_path / "a")
    [pdf] = to_pdf([copy], tmp_path / "pdf")
    assert "数値として読めません" in pdf_text(pdf)
    [resaved] = resave_xlsx([copy], tmp_path / "resaved")
    ws = openpyxl.load_workbook(resaved)[FORM]
    assert ws[cell_of(card_returns["社会福祉協議会"], ACTUAL)].comment is not None


def test_a_changed_label_is_named_by_its_cell(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    form = card_returns["社会福祉協議会"]
    wb = openpyxl.load_workbook(form.path)
    label = next(c for row in wb[FORM].iter_rows() for c in row if c.value == "事業の概要")

    def spoil(wb: Workbook) -> None:
        wb[FORM].protection.sheet = False
        wb[FORM][label.coordinate] = "事業の内容"

    result = check(card_plan, spoiled(form, tmp_path, spoil))
    assert found(result) == [(FORM, label.coordinate, "prefilled-changed")]
    assert result.findings[0].raw == "事業の内容"


@pytest.mark.parametrize(
    ("typed", "choices", "read"),
    [
        ("◯", ["○", "△", "×"], "○"),
        ("〇", ["○", "△", "×"], "○"),
        ("ａ", ["A", "B", "C"], "A"),
        ("b", ["A", "B", "C"], "B"),
        ("ｂ ", ["A", "B", "C"], "B"),
        ("D", ["A", "B", "C"], None),
        ("a", ["A", "a"], "a"),
        ("Ａ", ["A", "a"], "A"),
    ],
)
def test_a_choice_typed_by_hand_is_read_as_what_it_can_only_mean(
    typed: str, choices: list[str], read: str | None
) -> None:
    from kpibook.returns.normalize import fold_choice

    assert fold_choice(typed, choices) == read


# -- every prefilled cell is compared with the plan -----------------------------------


def test_every_prefilled_name_of_a_form_is_one_the_reader_compares(
    card_returns: dict[str, GeneratedForm],
    matrix_returns: dict[str, GeneratedForm],
    card_plan: Plan,
    matrix_plan: Plan,
) -> None:
    """The writer names exactly the prefilled cells the contract lists, so none is left
    out of the comparison (the matrix's final target column was).  Since form version 3
    a form names its inputs one by one and nothing else but the groups of prefilled
    cells (one name over each project's texts, one over each indicator's values), each
    over as many cells as the contract lists in that group."""
    from kpibook.contract.names import PREFILLED, parse_name

    for plan, forms in ((card_plan, card_returns), (matrix_plan, matrix_returns)):
        template = load_template(plan.layout)
        for form in forms.values():
            wb = openpyxl.load_workbook(form.path)
            ours = {n: dn for n, dn in wb.defined_names.items() if parse_name(n) is not None}
            groups = {
                n: len(list(dn.destinations)) for n, dn in ours.items() if n.endswith(PREFILLED)
            }
            content = form_content(plan, form.department)
            listed = {
                group: len(keys)
                for fp in content.projects
                for group, keys in prefilled_keys(fp, plan, template).items()
            }
            assert groups == listed, form.department
            inputs = {i.name for i in form.inputs}
            assert set(ours) - set(groups) == inputs, form.department
            assert sum(listed.values()) > len(groups)  # fewer names than prefilled cells


def test_a_changed_final_target_in_the_matrix_is_found(
    tmp_path: Path, matrix_plan: Plan, matrix_returns: dict[str, GeneratedForm]
) -> None:
    department, form = next(iter(matrix_returns.items()))
    project = next(p for p in matrix_plan.projects if p.lead_department == department)
    indicator = next(i for i in project.indicators if i.targets)
    last = max(indicator.targets)
    assert last > matrix_plan.report_year  # the target column after the report year
    name = indicator_name(project.id, indicator.id, f"t{last}")
    result = check(matrix_plan, spoiled(form, tmp_path, set_name(name, 999999)))
    assert found(result) == [(FORM, cell_of(form, name), "prefilled-changed")]


def test_a_dash_cell_typed_over_is_found(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    """A prefilled cell showing 「－」 (no value in the plan) is compared too."""
    form = card_returns["社会福祉協議会"]
    from kpibook.contract.content import form_content
    from kpibook.contract.inputs import prefilled_values

    content = form_content(card_plan, "社会福祉協議会")
    template = load_template(card_plan.layout)
    name = next(
        n
        for fp in content.projects
        for n, v in prefilled_values(fp, card_plan, template)
        if v is None
    )
    result = check(card_plan, spoiled(form, tmp_path, set_name(name, 500)))
    assert found(result) == [(FORM, cell_of(form, name), "prefilled-changed")]


def test_a_deleted_prefilled_name_is_found(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    """Since form version 3 a prefilled cell is named through its group: a deleted group
    name leaves each of its cells unlocated, and each is reported, none silently passed."""
    form = card_returns["社会福祉協議会"]
    name = indicator_name("p04", "p04-1", "t2019")
    group = SCHEMES[FORM_VERSION].group(name)
    content = form_content(card_plan, "社会福祉協議会")
    fp = next(fp for fp in content.projects if fp.project.id == "p04")
    keys = prefilled_keys(fp, card_plan, load_template(card_plan.layout))[group]
    assert name in keys
    assert len(keys) > 1

    def drop(wb: Workbook) -> None:
        del wb.defined_names[group]

    result = check(card_plan, spoiled(form, tmp_path, drop))
    assert [(f.code, f.raw) for f in result.errors] == [("prefilled-missing", k) for k in keys]


def test_a_group_name_over_other_cells_locates_none_of_them(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    """A group name that lists one cell fewer (edited, or a cell deleted) cannot say
    which cell is which: each of its cells is reported, never compared with a
    neighbour's value."""
    form = card_returns["社会福祉協議会"]
    name = indicator_name("p04", "p04-1", "t2019")
    group = SCHEMES[FORM_VERSION].group(name)
    content = form_content(card_plan, "社会福祉協議会")
    fp = next(fp for fp in content.projects if fp.project.id == "p04")
    keys = prefilled_keys(fp, card_plan, load_template(card_plan.layout))[group]

    def shorten(wb: Workbook) -> None:
        text = wb.defined_names[group].attr_text
        wb.defined_names[group].attr_text = text.rsplit(",", 1)[0]

    result = check(card_plan, spoiled(form, tmp_path, shorten))
    assert [(f.code, f.raw) for f in result.errors] == [("prefilled-missing", k) for k in keys]


def test_ids_with_dots_never_share_a_name(tmp_path: Path, small_plan_data: dict[str, Any]) -> None:
    """Project q.r with indicator s and project q with indicator r.s wrote one name in
    form version 1 (kpi.q.r.s.actual): 111 and 222 filled came back as 222 for both."""
    import copy

    from kpibook.entries import ProjectEntry
    from kpibook.values import Value

    data = small_plan_data
    twin = copy.deepcopy(data["projects"][0])
    data["projects"][0]["id"], data["projects"][0]["indicators"][0]["id"] = "q.r", "s"
    twin["id"], twin["indicators"][0]["id"] = "q", "r.s"
    data["projects"].append(twin)
    plan = Plan.model_validate(data)
    entries = Entries(
        plan=plan.id,
        fiscal_year=plan.report_year,
        entries=[
            ProjectEntry(project="q.r", actuals={"s": Value.of(111)}),
            ProjectEntry(project="q", actuals={"r.s": Value.of(222)}),
        ],
    )
    [form] = write_filled_forms(plan, entries, tmp_path)
    result = check(plan, form.path)
    read = {e.project: e.actuals for e in result.entries}
    assert read["q.r"]["s"].number == 111
    assert read["q"]["r.s"].number == 222


def test_a_lagging_statistic_may_come_back_empty(
    tmp_path: Path, prefecture_plan: Plan, prefecture_entries: Entries
) -> None:
    """県内総生産 lags a year: its report-year actual is optional; the others are not."""
    entries = prefecture_entries.model_copy(
        update={
            "entries": [
                e.model_copy(update={"actuals": {}}) if e.project in ("k4", "k5") else e
                for e in prefecture_entries.entries
            ]
        }
    )
    forms = {f.department: f for f in write_filled_forms(prefecture_plan, entries, tmp_path)}
    result = check(prefecture_plan, forms["企画課"].path)
    k4, k5 = (cell_of(forms["企画課"], indicator_name(k, f"{k}-1", "actual")) for k in ("k4", "k5"))
    actuals = [f for f in found(result) if f[1] in (k4, k5)]
    assert actuals == [(FORM, k5, "required-missing")]


def _with_grades(entries: Entries, grades: dict[str, str], **update: Any) -> Entries:
    return entries.model_copy(
        update={
            "entries": [
                e.model_copy(update={"self_grade": grades[e.project], **update})
                if e.project in grades
                else e
                for e in entries.entries
            ]
        }
    )


def test_the_plan_says_which_grades_require_an_explanation(
    tmp_path: Path, prefecture_plan: Plan, prefecture_entries: Entries
) -> None:
    """A prefecture asks for 評価の説明 only at C or D, not below the top grade (S)."""
    plan = prefecture_plan.model_copy(
        update={
            "checks": prefecture_plan.checks.model_copy(
                update={"required_when": {"grade_explanation": ["C", "D"]}}
            )
        }
    )
    entries = _with_grades(
        prefecture_entries,
        {"k1": "B", "k2": "C", "k3": "D"},
        grade_explanation=None,
    )
    by_department = {f.department: f for f in write_filled_forms(plan, entries, tmp_path)}
    assert not check(plan, by_department["健康づくり課"].path).findings  # B: none needed
    c = by_department["こども家庭課"]
    explain = cell_of(c, project_name("k2", "grade_explanation"))
    assert found(check(plan, c.path)) == [(FORM, explain, "explanation-required")]
    d = by_department["農業振興課"]
    explain = cell_of(d, project_name("k3", "grade_explanation"))
    assert found(check(plan, d.path)) == [(FORM, explain, "explanation-required")]
    sheet = openpyxl.load_workbook(d.path)["記入要領"]
    lines = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert any(line.endswith("（評価がC・Dのとき必須）") for line in lines)


def test_a_template_that_requires_no_explanation_is_obeyed(tmp_path: Path, card_plan: Plan) -> None:
    """A template's required: false is no longer overridden by a rule in the code."""
    template = load_template(card_plan.layout)
    assert isinstance(template, CardTemplate)
    lenient = template.model_copy(
        update={
            "grade_explanation": template.grade_explanation.model_copy(
                update={"required_below_top": False}
            )
        }
    )
    entries = _without_explanations(card_plan)
    strict = write_filled_forms(card_plan, entries, tmp_path / "strict")
    strict_report = check_returns(card_plan, [f.path for f in strict])
    assert "explanation-required" in [f.code for r in strict_report.returns for f in r.findings]
    forms = write_filled_forms(card_plan, entries, tmp_path / "lenient", lenient)
    report = check_returns(card_plan, [f.path for f in forms], lenient)
    assert report.ok
    assert "explanation-required" not in [f.code for r in report.returns for f in r.findings]


def _without_explanations(plan: Plan) -> Entries:
    from kpibook.plantext import load_entries_yaml
    from tests.conftest import CARD

    entries = load_entries_yaml(CARD / "entries.yaml", plan)
    return entries.model_copy(
        update={
            "entries": [e.model_copy(update={"grade_explanation": None}) for e in entries.entries]
        }
    )


def _percent(name: str, value: float) -> Spoil:
    """What LibreOffice Calc stores when a clerk types 93.8% into a cell: 0.938, in a
    cell it formats as a percent."""

    def spoil(wb: Workbook) -> None:
        [(sheet, ref)] = list(wb.defined_names[name].destinations)
        cell = wb[sheet][ref.replace("$", "")]
        cell.value = value
        cell.number_format = "0.0%"

    return spoil


def test_a_percent_typed_as_percent_is_read_as_shown(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    """89.8% typed in Calc is 0.898 in the file: for a % indicator that is 89.8, with a
    warning, never 0.898 merged silently."""
    name = indicator_name("p20", "p20-1", "actual")
    form = card_returns["地域保健課"]
    result = check(card_plan, spoiled(form, tmp_path, _percent(name, 0.938)))
    assert found(result) == [(FORM, cell_of(form, name), "percent-normalized")]
    [entry] = [e for e in result.entries if e.project == "p20"]
    assert str(entry.actuals["p20-1"].number) == "93.8"


def test_a_percent_sign_escaped_by_libreoffice_is_not_a_percent(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    """LibreOffice re-saves the form's ``0.0"%"`` as ``0.0\\%``: a literal sign, so 66.5
    stays 66.5 (it was read as 6,650% and refused as out of range)."""
    name = indicator_name("p20", "p20-1", "actual")
    form = card_returns["地域保健課"]

    def resaved(wb: Workbook) -> None:
        [(sheet, ref)] = list(wb.defined_names[name].destinations)
        cell = wb[sheet][ref.replace("$", "")]
        cell.value = 66.5
        cell.number_format = "#,##0.0\\%"

    result = check(card_plan, spoiled(form, tmp_path, resaved))
    assert found(result) == []
    [entry] = [e for e in result.entries if e.project == "p20"]
    assert str(entry.actuals["p20-1"].number) == "66.5"


def test_a_percent_in_a_count_is_an_error(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    form = card_returns["社会福祉協議会"]
    result = check(card_plan, spoiled(form, tmp_path, _percent(ACTUAL, 0.5)))
    assert found(result) == [(FORM, cell_of(form, ACTUAL), "percent-in-count")]
    assert "50%" in result.findings[0].message_ja


def test_a_renamed_sheet_is_one_finding_and_the_values_are_read(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    """Renaming 記入様式 in Calc (which does not apply the structure lock) gave 109
    prefilled-changed errors, each saying a label became 「」."""
    form = card_returns["社会福祉協議会"]

    def rename(wb: Workbook) -> None:
        wb[FORM].title = "提出用"
        for defined in wb.defined_names.values():  # as Calc moves the names with the sheet
            defined.attr_text = defined.attr_text.replace(f"'{FORM}'!", "'提出用'!")

    clean = check(card_plan, form.path)
    result = check(card_plan, spoiled(form, tmp_path, rename))
    assert [f.code for f in result.findings] == ["sheet-renamed"] + [f.code for f in clean.findings]
    assert "記入様式 → 提出用" in result.findings[0].message_ja
    assert result.entries == clean.entries


def test_text_typed_outside_the_inputs_is_said_not_dropped(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    """A clerk removes the protection and writes a remark beside the actual: it is not
    read, and the coordinator is told so, at the cell."""
    form = card_returns["社会福祉協議会"]
    wb = openpyxl.load_workbook(form.path)
    [(sheet, ref)] = list(wb.defined_names[ACTUAL].destinations)
    actual = wb[sheet][ref.replace("$", "")]
    beside = wb[sheet].cell(row=actual.row, column=actual.column + 3).coordinate

    def remark(wb: Workbook) -> None:
        wb[sheet][beside] = "※3月分は速報値"

    clean = check(card_plan, form.path)
    result = check(card_plan, spoiled(form, tmp_path, remark))
    assert [(f.sheet, f.cell, f.code) for f in result.warnings if f.code == "not-read"] == [
        (FORM, beside, "not-read")
    ]
    assert result.entries == clean.entries
    assert not [f for f in clean.findings if f.code == "not-read"]


def test_rows_inserted_are_one_warning_and_the_values_are_read(
    tmp_path: Path, card_plan: Plan, card_returns: dict[str, GeneratedForm]
) -> None:
    """A row inserted above the inputs (as Calc does it: the names move with the cells)
    gave 126 prefilled-changed errors, one per label below it."""
    import re

    form = card_returns["社会福祉協議会"]
    at = 8  # a row near the top of the form, above every input

    def insert(wb: Workbook) -> None:
        ws = wb[FORM]
        merges = [r for r in ws.merged_cells.ranges if r.min_row >= at]
        for merge in merges:  # openpyxl leaves merges where they were; Calc moves them
            ws.unmerge_cells(str(merge))
        ws.insert_rows(at, 2)
        for merge in merges:
            merge.shift(row_shift=2)
            ws.merge_cells(str(merge))

        def moved(m: re.Match[str]) -> str:
            row = int(m[2])
            return f"${m[1]}${row + 2 if row >= at else row}"

        for defined in wb.defined_names.values():
            if f"'{FORM}'!" in defined.attr_text:
                defined.attr_text = re.sub(r"\$([A-Z]+)\$(\d+)", moved, defined.attr_text)

    clean = check(card_plan, form.path)
    result = check(card_plan, spoiled(form, tmp_path, insert))
    inserted = [f for f in result.findings if f.code == "rows-inserted"]
    assert len(inserted) == 1
    assert "2行" in inserted[0].message_ja
    assert not result.errors
    assert result.entries == clean.entries
