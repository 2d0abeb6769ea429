"""Section evaluations entered by their owner: the plan names who evaluates a 施策 or a
基本目標, that department's form asks for the grade and the reasons, ``check`` validates
them at their cells, and ``merge`` carries them into 概要, 一覧, the 報告書 and the export."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pydantic import ValidationError

from kpibook.contract.content import departments_with_forms, form_content
from kpibook.contract.fingerprint import Fingerprinter
from kpibook.contract.names import CURRENT, SECTION_PREFIX
from kpibook.contract.stamp import FORM_VERSION
from kpibook.entries import Entries
from kpibook.findings import Code
from kpibook.forms import GeneratedForm
from kpibook.forms.fill import write_filled_forms
from kpibook.forms.sections import SHEET_NAME
from kpibook.master import write_master
from kpibook.merge import merge
from kpibook.opendata import tables
from kpibook.plan import Plan
from kpibook.planbook import read_plan_workbook, write_plan_workbook
from kpibook.returns.check import ReturnResult, check_return
from kpibook.template import load_template
from tests.conftest import PREFECTURE_ENTRIES, PREFECTURE_PLAN
from tests.test_libreoffice import PDFTOTEXT, needs_libreoffice, pdf_text, resave_xlsx, to_pdf

PLANNING = "政策企画課"
"""Evaluates every 基本目標 and leads no project: its form is the evaluation alone."""


def owned_plan_data(layout: str = "card") -> dict[str, Any]:
    """The prefecture's plan with 施策 evaluated by their lead departments (beside the
    computed average) and 基本目標 by the planning department, whose reasons may be left
    empty only when it rates a goal A."""
    data = copy.deepcopy(PREFECTURE_PLAN)
    data["layout"] = layout
    data["departments"].append({"name": PLANNING})
    goals = data["grading"]["evaluations"][1]
    goals["owner"] = PLANNING
    goals["explanation_optional_for"] = ["A"]
    owners = {"1-1": "健康づくり課", "1-2": "農業振興課", "2-1": "企画課"}
    for top in data["sections"]:
        for child in top["children"]:
            child["owner"] = owners[child["id"]]
    return data


EVALUATIONS = [
    {"section": "1", "grade": "B", "explanation": "農業の担い手の確保が遅れている。"},
    {"section": "1-1", "grade": "A", "explanation": "健康づくり実践率が基準値から伸びた。"},
    {"section": "1-2", "grade": "C", "explanation": "新規就農者が目標を下回った。"},
    {"section": "2", "grade": "A"},
    {"section": "2-1", "grade": "B", "explanation": "観光入込客数は回復途上。"},
]


@pytest.fixture(scope="module")
def owned_plan() -> Plan:
    return Plan.model_validate(owned_plan_data())


@pytest.fixture(scope="module")
def owned_entries() -> Entries:
    return Entries.model_validate({**PREFECTURE_ENTRIES, "sections": EVALUATIONS})


@pytest.fixture(scope="module")
def returns(
    tmp_path_factory: pytest.TempPathFactory, owned_plan: Plan, owned_entries: Entries
) -> dict[str, GeneratedForm]:
    forms = write_filled_forms(owned_plan, owned_entries, tmp_path_factory.mktemp("owned"))
    return {f.department: f for f in forms}


def found(result: ReturnResult) -> list[tuple[str | None, str | None, str]]:
    return [(f.sheet, f.cell, f.code) for f in result.findings]


def cell_of(form: GeneratedForm, name: str) -> tuple[str, str]:
    wb = openpyxl.load_workbook(form.path)
    [(sheet, ref)] = list(wb.defined_names[name].destinations)
    return sheet, ref.replace("$", "")


def spoiled(form: GeneratedForm, tmp_path: Path, values: dict[str, Any]) -> Path:
    wb = openpyxl.load_workbook(form.path)
    for name, value in values.items():
        [(sheet, ref)] = list(wb.defined_names[name].destinations)
        wb[sheet][ref.replace("$", "")].value = value
    target = tmp_path / form.path.name
    wb.save(target)
    return target


GOAL_1 = CURRENT.section("1", "grade")
GOAL_1_REASONS = CURRENT.section("1", "explanation")
GOAL_2 = CURRENT.section("2", "grade")
GOAL_2_REASONS = CURRENT.section("2", "explanation")


# -- the plan says who evaluates ------------------------------------------------------------


def test_a_sections_owner_or_its_levels(owned_plan: Plan) -> None:
    by_id = {p.section.id: owned_plan.section_owner(p) for p in owned_plan.iter_sections()}
    assert by_id == {
        "1": PLANNING,
        "1-1": "健康づくり課",
        "1-2": "農業振興課",
        "2": PLANNING,
        "2-1": "企画課",
    }
    assert [p.section.id for p in owned_plan.owned_sections(PLANNING)] == ["1", "2"]


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (
            lambda d: d["grading"]["evaluations"][1].update(owner="総務課"),
            "grading.evaluations.1.owner",
            "総務課",
        ),
        (
            lambda d: d["sections"][0]["children"][0].update(owner="総務課"),
            "sections.0.children.0.owner",
            "総務課",
        ),
        (
            lambda d: d["grading"].update(evaluations=d["grading"]["evaluations"][:1]),
            "sections.0.owner",
            "evaluates no section at depth 1",
        ),
        (
            lambda d: d["grading"]["evaluations"][1].update(explanation_optional_for=["S"]),
            "grading.evaluations.1.explanation_optional_for",
            "'S' is not one of this level's grades",
        ),
        (
            lambda d: (
                d["grading"]["evaluations"][0].update(
                    rule="owner",
                    bands=[],
                    owner_levels=[{"grade": "順調", "label": "順調"}],
                ),
                d["sections"][0]["children"][0].pop("owner"),
            ),
            "sections.0.children.0.owner",
            "name the department that enters it",
        ),
    ],
    ids=[
        "unknown owner of a level",
        "unknown owner of a section",
        "owner where nothing is evaluated",
        "optional reasons for a grade not on the scale",
        "entered by its owner, and nobody owns it",
    ],
)
def test_an_owner_that_cannot_work_is_refused(change: Any, where: str, words: str) -> None:
    data = owned_plan_data()
    if where == "sections.0.owner":
        data["sections"][0]["owner"] = PLANNING
    change(data)
    with pytest.raises(ValidationError) as err:
        Plan.model_validate(data)
    text = str(err.value)
    assert where in text, text
    assert words in text, text


def test_owners_round_trip_through_the_plan_workbook(tmp_path: Path, owned_plan: Plan) -> None:
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(owned_plan, path)
    assert read_plan_workbook(path) == owned_plan


# -- the forms ask for it -------------------------------------------------------------------


def test_a_department_that_only_evaluates_gets_a_form_of_the_evaluation_alone(
    owned_plan: Plan, returns: dict[str, GeneratedForm]
) -> None:
    assert PLANNING in departments_with_forms(owned_plan)
    wb = openpyxl.load_workbook(returns[PLANNING].path)
    template = load_template(owned_plan.layout)
    assert template.sheet not in wb.sheetnames  # no projects: no project sheet
    assert SHEET_NAME in wb.sheetnames
    ours = sorted(n for n in wb.defined_names if n.startswith(f"{SECTION_PREFIX}."))
    assert ours == sorted([GOAL_1, GOAL_1_REASONS, GOAL_2, GOAL_2_REASONS])
    sheet = wb[SHEET_NAME]
    [(_, grade_ref)] = list(wb.defined_names[GOAL_1].destinations)
    grade_cell = grade_ref.replace("$", "")
    [validation] = [v for v in sheet.data_validations.dataValidation if grade_cell in v.sqref]
    assert validation.type == "list"
    assert validation.formula1 == '"A,B,C"'  # the 施策' scale the worst of them picks from
    assert sheet[grade_cell].protection.locked is False
    texts = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    # What the evaluation rests on, read-only: its 施策 and who evaluates them.
    assert "基本目標1(1) 健康と子育て（健康づくり課）" in texts
    assert "基本目標1(2) 農業の担い手（農業振興課）" in texts
    assert "最も低い評価" in texts
    guide = wb[template.instructions_sheet]
    guide_text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert f"{SHEET_NAME}!{grade_cell}" in guide_text
    assert "（評価がB・Cのとき必須）" in guide_text  # reasons: optional with A only


def test_a_lead_department_evaluates_its_measure_beside_its_projects(
    owned_plan: Plan, returns: dict[str, GeneratedForm]
) -> None:
    wb = openpyxl.load_workbook(returns["健康づくり課"].path)
    template = load_template(owned_plan.layout)
    assert wb.sheetnames[:3] == [template.instructions_sheet, template.sheet, SHEET_NAME]
    sheet = wb[SHEET_NAME]
    texts = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "事業 2件・指標 2件" in texts
    assert "・県民の健康づくり実践率（健康づくり課）指標1件" in texts
    assert "・待機児童数（こども家庭課）指標1件" in texts
    assert "指標の評価の平均点を区分にあてはめて計算します" in texts
    assert returns["健康づくり課"].stamp.form_version == FORM_VERSION == 3


def test_what_an_evaluation_rests_on_is_in_the_plans_words(
    tmp_path: Path, owned_plan: Plan
) -> None:
    # a plan of 取組 and KPI: the 対象 of its evaluation said 事業 2件・指標 2件
    from kpibook.forms import generate_forms
    from kpibook.template import Terms

    template = load_template(owned_plan.layout)
    template = template.model_copy(update={"terms": Terms(project="取組", indicator="KPI")})
    [form] = generate_forms(owned_plan, tmp_path, ["健康づくり課"], template=template)
    sheet = openpyxl.load_workbook(form.path)[SHEET_NAME]
    texts = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "取組 2件・KPI 2件" in texts
    assert "・県民の健康づくり実践率（健康づくり課）KPI1件" in texts
    assert "KPIの評価の平均点を区分にあてはめて計算します" in texts
    assert "事業 2件" not in texts


def test_naming_an_owner_outdates_only_that_departments_form(owned_plan: Plan) -> None:
    moved = owned_plan_data()
    moved["sections"][1]["children"][0]["owner"] = "こども家庭課"  # 2-1: 企画課 → こども家庭課
    other = Plan.model_validate(moved)
    template = load_template(owned_plan.layout)
    before, after = Fingerprinter(owned_plan, template), Fingerprinter(other, template)

    def prints(fp: Fingerprinter, plan: Plan, department: str) -> str:
        projects = [f.project for f in form_content(plan, department).projects]
        return fp.of(department, projects, FORM_VERSION)

    changed = {
        d
        for d in departments_with_forms(owned_plan)
        if prints(before, owned_plan, d) != prints(after, other, d)
    }
    assert changed == {"企画課", "こども家庭課"}


# -- check reads it back --------------------------------------------------------------------


def test_clean_returns_give_back_the_owners_evaluations(
    owned_plan: Plan, returns: dict[str, GeneratedForm]
) -> None:
    template = load_template(owned_plan.layout)
    results = {d: check_return(owned_plan, f.path, template) for d, f in returns.items()}
    assert {d: found(r) for d, r in results.items() if r.findings} == {}
    planning = results[PLANNING]
    assert [(s.section, s.grade, s.explanation) for s in planning.sections] == [
        ("1", "B", "農業の担い手の確保が遅れている。"),
        ("2", "A", None),  # A: the plan lets the reasons be left empty
    ]
    assert [s.section for s in results["健康づくり課"].sections] == ["1-1"]
    assert results["こども家庭課"].sections == []


@pytest.mark.parametrize(
    ("label", "values", "expected"),
    [
        ("no grade", {GOAL_2: None}, [(GOAL_2, "required-missing")]),
        ("not on the scale", {GOAL_1: "S"}, [(GOAL_1, "not-a-choice")]),
        ("full-width grade", {GOAL_1: "Ｂ"}, [(GOAL_1, "choice-normalized")]),
        ("no reasons for B", {GOAL_1_REASONS: None}, [(GOAL_1_REASONS, "explanation-required")]),
        (
            "reasons required once A becomes C",
            {GOAL_2: "C"},
            [(GOAL_2_REASONS, "explanation-required")],
        ),
        ("too long", {GOAL_1_REASONS: "あ" * 801}, [(GOAL_1_REASONS, "text-too-long")]),
        ("a formula", {GOAL_1: "=A1"}, [(GOAL_1, "formula-in-input")]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_spoiled_evaluation_is_named_by_its_cell(
    tmp_path: Path,
    owned_plan: Plan,
    returns: dict[str, GeneratedForm],
    label: str,
    values: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    form = returns[PLANNING]
    result = check_return(
        owned_plan, spoiled(form, tmp_path, values), load_template(owned_plan.layout)
    )
    assert found(result) == [(*cell_of(form, name), code) for name, code in expected], label
    for f in result.findings:
        assert f.file == form.path.name
        assert f.message_ja
        assert f.message_en


def test_a_missing_evaluation_name_is_reported(
    tmp_path: Path, owned_plan: Plan, returns: dict[str, GeneratedForm]
) -> None:
    wb = openpyxl.load_workbook(returns[PLANNING].path)
    del wb.defined_names[GOAL_1]
    target = tmp_path / returns[PLANNING].path.name
    wb.save(target)
    result = check_return(owned_plan, target, load_template(owned_plan.layout))
    missing = [f for f in result.findings if f.code == "name-missing"]
    assert [(f.raw, f.field) for f in missing] == [(GOAL_1, "基本目標の評価")]
    assert missing[0].message_ja.startswith("基本目標1 健やかに暮らせる県の記入欄")


def test_an_annotated_copy_links_each_problem_to_its_evaluation_cell(
    tmp_path: Path, owned_plan: Plan, returns: dict[str, GeneratedForm]
) -> None:
    from kpibook.forms.annotate import annotate_returns
    from kpibook.returns.check import check_returns

    form = returns[PLANNING]
    path = spoiled(form, tmp_path, {GOAL_1: "S", GOAL_2: None})
    report = check_returns(owned_plan, [path], jobs=1)
    [copy] = annotate_returns(owned_plan, report, tmp_path / "annotated")
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames[0] == "エラー一覧"
    links = {
        c.hyperlink.location for row in wb["エラー一覧"].iter_rows() for c in row if c.hyperlink
    }
    assert links == {f"'{SHEET_NAME}'!{cell_of(form, name)[1]}" for name in (GOAL_1, GOAL_2)}
    marked = wb[SHEET_NAME][cell_of(form, GOAL_1)[1]]
    assert marked.value == "S"  # what they chose, to correct
    assert marked.comment is not None
    # corrected in the copy, it is a clean return
    fixed = openpyxl.load_workbook(copy)
    for name, value in ((GOAL_1, "B"), (GOAL_2, "A")):
        fixed[SHEET_NAME][cell_of(form, name)[1]].value = value
    fixed.save(tmp_path / form.path.name)
    assert check_return(owned_plan, tmp_path / form.path.name, load_template(owned_plan.layout)).ok


# -- merge shows it everywhere --------------------------------------------------------------


@pytest.fixture(scope="module")
def merged(
    tmp_path_factory: pytest.TempPathFactory, owned_plan: Plan, returns: dict[str, GeneratedForm]
) -> tuple[Path, Entries]:
    report, entries = merge(owned_plan, [f.path for f in returns.values()], jobs=1)
    master = tmp_path_factory.mktemp("master") / "master.xlsx"
    write_master(owned_plan, report, entries, master)
    return master, entries


def _rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path)
    return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]


def test_merge_carries_the_evaluations_into_the_entries(
    merged: tuple[Path, Entries], owned_entries: Entries
) -> None:
    _, entries = merged
    assert entries.sections == owned_entries.sections


def test_the_overview_lists_the_owners_grade_department_and_reasons(
    merged: tuple[Path, Entries],
) -> None:
    rows = _rows(merged[0], "概要")
    head = next(n for n, r in enumerate(rows) if r[:2] == ("体系", "評価の種類"))
    assert rows[head][:7] == (
        "体系",
        "評価の種類",
        "評価",
        "根拠",
        "担当の評価",
        "担当課",
        "評価の理由",
    )
    got = {r[0].strip(): r[1:7] for r in rows[head + 1 : head + 6]}
    assert got["基本目標1(1) 健康と子育て"] == (
        "施策の評価",
        "B",
        "指標2件の平均点 3.0",
        "A",
        "健康づくり課",
        "健康づくり実践率が基準値から伸びた。",
    )
    assert got["基本目標2 稼ぐ力のある県"][3:6] == ("A", PLANNING, None)


def test_what_a_computed_evaluation_rests_on_is_in_the_plans_words() -> None:
    # the 概要, the 報告書 and `kpibook grades` said 指標2件の平均点 in a plan of KPI
    from kpibook.grading import grade_report
    from kpibook.grading.sections import section_basis
    from kpibook.template import Terms

    plan = Plan.model_validate(owned_plan_data())
    [computed, *_] = [g for g in grade_report(plan, None).sections if g.of == "indicators"]
    assert section_basis(computed) == "指標0件（評価できるものがありません）"
    assert section_basis(computed, Terms(indicator="KPI")) == "KPI0件（評価できるものがありません）"


def test_the_table_shows_the_owners_grade_beside_the_computed(
    merged: tuple[Path, Entries],
) -> None:
    rows = _rows(merged[0], "一覧")
    head = rows[0]
    computed, own = head.index("施策の評価"), head.index("施策の評価（担当）")
    by_project = {r[head.index("事業ID")]: (r[computed], r[own]) for r in rows[1:]}
    assert by_project["k1"] == ("B", "A")
    assert by_project["k3"][1] == "C"
    assert "基本目標の評価（担当）" in head


def test_the_export_has_the_owners_evaluation_beside_the_computed(
    owned_plan: Plan, merged: tuple[Path, Entries]
) -> None:
    rows = {r["section_id"]: r for r in tables(owned_plan, merged[1])["section_grades"]}
    one = rows["1-1"]
    assert (one["grade"], one["self_grade"], one["owner"], one["mismatch"]) == (
        "B",
        "A",
        "健康づくり課",
        True,
    )
    assert one["explanation"] == "健康づくり実践率が基準値から伸びた。"
    assert (rows["2"]["self_grade"], rows["2"]["explanation"]) == ("A", None)


# -- real clients ---------------------------------------------------------------------------


@needs_libreoffice
def test_the_report_prints_the_owners_grade_and_reasons(
    tmp_path: Path, merged: tuple[Path, Entries]
) -> None:
    from kpibook.pdf import print_master

    pdf = print_master(merged[0], tmp_path / "report.pdf", ["報告書"])
    text = pdf_text(pdf).replace(" ", "")
    for words in (
        "担当の評価（健康づくり課）:A",
        "健康づくり実践率が基準値から伸びた。",
        "担当の評価（政策企画課）:B",
        "農業の担い手の確保が遅れている。",
        "計算上の評価:B（指標2件の平均点3.0）",
    ):
        assert words in text, words
    # each block at the head of its section: after its heading, before its first card
    assert PDFTOTEXT is not None
    shown = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.replace(" ", "")
    heading = shown.rindex("(1)健康と子育て")  # the last: the index lists it first
    reasons = shown.index("健康づくり実践率が基準値から伸びた。")
    assert heading < reasons < shown.index("具体的事業県民の健康づくり実践率")


@needs_libreoffice
@pytest.mark.parametrize("layout", ["card", "matrix"])
def test_a_form_saved_by_libreoffice_reads_back_the_same(tmp_path: Path, layout: str) -> None:
    plan = Plan.model_validate(owned_plan_data(layout))
    entries = Entries.model_validate({**PREFECTURE_ENTRIES, "sections": EVALUATIONS})
    if layout == "matrix":
        texts = ("activity_report", "issues", "future_plan", "grade_explanation")
        entries = Entries.model_validate(
            {
                **PREFECTURE_ENTRIES,
                "entries": [
                    {k: v for k, v in e.items() if k not in texts}
                    for e in PREFECTURE_ENTRIES["entries"]
                ],
                "sections": EVALUATIONS,
            }
        )
    forms = write_filled_forms(plan, entries, tmp_path / "forms")
    owners = [f for f in forms if f.department in (PLANNING, "健康づくり課")]
    saved = resave_xlsx([f.path for f in owners], tmp_path / "saved")
    template = load_template(plan.layout)
    results = [check_return(plan, path, template) for path in saved]
    got = [(s.section, s.grade, s.explanation) for r in results for s in r.sections]
    assert sorted(got, key=str) == sorted(
        [
            (e["section"], e["grade"], e.get("explanation"))
            for e in EVALUATIONS
            if e["section"] in ("1", "2", "1-1")
        ],
        key=str,
    )
    # the whole form reads back clean: a % indicator's 66.5 once read as 6,650% here
    # the texts left out above
    unfilled = {Code.REQUIRED_MISSING, Code.EXPLANATION_REQUIRED, Code.IMPROVEMENT_REQUIRED}
    found = [(f.sheet, f.cell, f.code) for r in results for f in r.findings]
    assert [f for f in found if layout == "card" or f[2] not in unfilled] == []
    pdfs = to_pdf([owners[0].path], tmp_path / "pdf")
    assert "評価の理由" in pdf_text(pdfs[0])
