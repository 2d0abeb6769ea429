"""The form contract: forms already handed out keep checking clean, the fingerprint is
pinned, names and file names are built and parsed in one place."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from kpibook.contract import fingerprint as fingerprint_module
from kpibook.contract.content import form_content
from kpibook.contract.files import department_in_file_name, form_filename
from kpibook.contract.fingerprint import VERSIONS, Fingerprinter
from kpibook.contract.names import (
    SCHEMES,
    NameRef,
    casefold_key,
    decode_id,
)
from kpibook.contract.stamp import FORM_VERSION, SUPPORTED_VERSIONS, Stamp, StampError
from kpibook.plan import Plan, Project
from kpibook.plantext import load_plan_yaml
from kpibook.returns.check import check_returns
from kpibook.template import load_template
from tests.conftest import EXAMPLES

FIXTURES = Path(__file__).parent / "fixtures" / "forms-v1"
EXAMPLE_NAMES = ["kashiwa-lifelong-learning-r1", "kashiwa-welfare-r5"]

# -- forms written before the contract moved ---------------------------------------------


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_forms_of_version_1_still_check_clean(example: str) -> None:
    """The filled forms of both examples as form version 1 wrote them: no error, the same
    warnings at the same cells, and exactly the entries kpibook read from them then."""
    plan = load_plan_yaml(EXAMPLES / example / "plan.yaml")
    expected = json.loads((FIXTURES / f"{example}.expected.json").read_text("utf-8"))
    paths = sorted((FIXTURES / example).glob("*.xlsx"))
    assert len(paths) == len(expected["returns"])
    report = check_returns(plan, paths, jobs=1)
    assert report.ok
    by_file = {r["file"]: r for r in expected["returns"]}
    for result in report.returns:
        assert result.stamp is not None
        assert result.stamp.form_version == 1
        want = by_file[result.file]
        assert result.department == want["department"]
        assert [[f.code, f.sheet, f.cell] for f in result.findings] == want["findings"]
        # (a version 1 form has no custom fields: entries read from it have none; nor
        # 速報値 statuses)
        assert all(not e.fields and not e.indicator_fields for e in result.entries)
        assert all(not e.actual_status for e in result.entries)
        custom = {"fields", "indicator_fields", "actual_status"}
        got = [e.model_dump(mode="json", exclude=custom) for e in result.entries]
        assert got == want["entries"]


def test_a_fixture_stamped_with_a_changed_plan_is_outdated() -> None:
    """The fixtures are not read clean by accident: a prefilled target changed in the
    plan outdates the forms of the department that shows it."""
    example = "kashiwa-lifelong-learning-r1"
    plan = load_plan_yaml(EXAMPLES / example / "plan.yaml")
    project = plan.projects[0]
    indicator = project.indicators[0]
    year = next(iter(indicator.targets))
    changed_indicator = indicator.model_copy(
        update={"targets": {**indicator.targets, year: indicator.targets[year].with_note("改")}}
    )
    changed = plan.model_copy(
        update={
            "projects": [
                project.model_copy(update={"indicators": [changed_indicator]}),
                *plan.projects[1:],
            ]
        }
    )
    path = FIXTURES / example / form_filename(plan, project.lead_department)
    result = check_returns(changed, [path], jobs=1).returns[0]
    assert [f.code for f in result.errors] == ["outdated-form"]


# -- the fingerprint ------------------------------------------------------------------------


def test_fingerprint_is_pinned() -> None:
    """A change to what is hashed fails here until the form version is bumped on purpose
    (add the new version to VERSIONS and pin its hash)."""
    example = "kashiwa-lifelong-learning-r1"
    plan = load_plan_yaml(EXAMPLES / example / "plan.yaml")
    department = "生涯学習課"
    projects = [fp.project for fp in form_content(plan, department).projects]
    prints = Fingerprinter(plan, load_template(plan.layout))
    # The 生涯学習課 form of the card example as version 1 stamped it (the committed
    # fixture's stamp); version 2 hashes the same content.
    literal = "df272b2eb4aeee0a90f41b70d5af628888c7622d4e3b76212c1fc8483d8bc2cd"
    stamped = _fixture_stamp(example, form_filename(plan, department))
    assert prints.of(department, projects, 1) == stamped.fingerprint == literal
    assert prints.of(department, projects, 2) == literal
    # Version 3 hashes the custom fields too (none in this plan, so an empty list), each
    # indicator's 速報値 status and whether a preliminary actual may be reported, how
    # sections are evaluated and which ones the department evaluates (none here), what
    # its forms print besides (the baseline, the original targets, the data lag, the
    # template's years, and how the rates a card may print are computed), the template
    # through its digest, and the template's terms.  Its performance part (prefilled cells
    # named by group) changed names, not the hash.
    v3 = "c60206a07f93266b72d0c6ec056eb79524cd5da1ea8861e9ac2ed000aca02f46"
    assert prints.of(department, projects, 3) == v3
    assert set(VERSIONS) == SUPPORTED_VERSIONS == set(SCHEMES)
    assert max(VERSIONS) == FORM_VERSION


def _fixture_stamp(example: str, name: str) -> Stamp:
    from kpibook.contract.stamp import STAMP_NAME
    from kpibook.xlsx_scan import read_form_book

    book = read_form_book(FIXTURES / example / name)
    return Stamp.from_rows(book.ranges[STAMP_NAME])


NOT_HASHED: dict[str, set[str]] = {
    # Fields of hashed models that no form version hashes, each with the reason. A field
    # added to a hashed model must be listed here (the form does not show it, or shows
    # it only in a later form version) or hashed by a new form version.
    "Section": {
        "children",  # every section is hashed on its own, along its path
        # Who enters a section's evaluation: form version 3 hashes the sections a
        # department evaluates into that department's form alone (_V3_SECTIONS).
        "owner",
    },
    # Printing only: how the form goes on paper, and the master's report, which no form
    # shows. A form printed on other paper or with the report set up otherwise checks
    # the same.
    "Font": {"input_size"},  # the size text inputs are shown at
    "PrintSettings": {"paper"},
    # (Indicator: the baseline, the original targets, the data lag, the rate method, 累計
    # and the 速報値 status are printed from form version 3, which hashes them; forms of
    # versions 1 and 2 print none of them and their 記入要領 only explains, in words, the
    # formula kpibook uses: such a form still collects the same figures, graded by the
    # plan as it is now.)
    "GradingScheme": {
        "description",  # printed above the legend of the report only
        # Forms of versions 1 and 2 show no evaluation of a section; version 3 hashes the
        # evaluations (rule, scale, which reasons are optional) for the owners' inputs.
        "evaluations",
        # Levels only a department chooses (着手済) join the self-grade list of forms made
        # from a plan that has them. A form made before a level was added lacks it in its
        # list, and one removed since is refused by the check (not-a-choice): neither is
        # silent, and the prefilled content is unchanged. A form version that prints the
        # scale's meanings would hash them.
        "owner_levels",
    },
    "GradeBand": {"description", "score"},  # the legend prints label and range only
    # Whether a grade follows the exact or the printed rate: no form prints a grade.
    "RateRounding": {"grade_on"},
    # Which grades make a text required is a rule of the check; the form says it in the
    # entry's help (hashed) and in the 記入要領. A form whose 記入要領 states an older rule
    # collects the same entries and is checked by the rule as it is now.
    "TextEntry": {"required_below_top"},
    # The template's custom fields are hashed (from version 3) merged with the plan's,
    # as the form shows them, under the key "fields" of what every form shares.
    "CardTemplate": {"report", "fields"},
    "MatrixTemplate": {"report", "fields"},
}


LATEST_FIELDS = fingerprint_module._V3_FIELDS
"""What the latest form version hashes, by model (a superset of the earlier versions')."""


def _hashed_models() -> list[type[BaseModel]]:
    return list(LATEST_FIELDS)


@pytest.mark.parametrize("model", _hashed_models(), ids=lambda m: m.__name__)
def test_every_field_of_a_hashed_model_is_decided(model: type[BaseModel]) -> None:
    """Adding a field to Project, Indicator, Section or a template is a decision: either
    no form shows it (list it in NOT_HASHED) or a new form version hashes it. Nothing is
    hashed because it happens to be in a model dump."""
    listed = set(LATEST_FIELDS[model])
    fields = set(model.model_fields)
    assert listed <= fields, f"{model.__name__}: hashed fields that no longer exist"
    undecided = fields - listed - NOT_HASHED.get(model.__name__, set())
    assert not undecided, f"{model.__name__}: decide whether forms show {sorted(undecided)}"


def test_fingerprint_ignores_how_models_dump(
    monkeypatch: pytest.MonkeyPatch, card_plan: Plan
) -> None:
    """The hash is computed from the listed fields, never from a model dump (whose
    defaults and field set change with the code)."""
    projects = [fp.project for fp in form_content(card_plan, "生涯学習課").projects]
    before = Fingerprinter(card_plan, load_template(card_plan.layout)).of(
        "生涯学習課", projects, FORM_VERSION
    )

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the fingerprint must not dump models")

    monkeypatch.setattr(BaseModel, "model_dump", refuse)
    monkeypatch.setattr(BaseModel, "model_dump_json", refuse)
    after = Fingerprinter(card_plan, load_template(card_plan.layout)).of(
        "生涯学習課", projects, FORM_VERSION
    )
    assert after == before


def test_fingerprint_of_an_unknown_version_is_refused(card_plan: Plan) -> None:
    prints = Fingerprinter(card_plan, load_template(card_plan.layout))
    with pytest.raises(KeyError):
        prints.of("生涯学習課", [], max(VERSIONS) + 1)


# -- names ----------------------------------------------------------------------------------

ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,20}\Z")
parts = st.sampled_from(["actual", "state", "note", "final", "t2019", "a2018"])
fields = st.sampled_from(["activity_report", "self_grade", "name", "overview"])


@given(ids, ids, parts)
def test_indicator_names_parse_back(project: str, indicator: str, part: str) -> None:
    scheme = SCHEMES[FORM_VERSION]
    name = scheme.indicator(project, indicator, part)
    assert scheme.parse(name) == NameRef(project, indicator, part)
    assert re.fullmatch(r"kpi(\.[A-Za-z0-9_]+){3}", name)


@given(ids, fields)
def test_project_names_parse_back(project: str, field: str) -> None:
    scheme = SCHEMES[FORM_VERSION]
    assert scheme.parse(scheme.project(project, field)) == NameRef(project, None, field)


@given(st.lists(st.tuples(ids, ids), min_size=2, max_size=6, unique_by=lambda t: t))
def test_names_are_unique_as_excel_compares_them(pairs: list[tuple[str, str]]) -> None:
    """Distinct (project, indicator) pairs whose ids are distinct without regard to case
    give names that are distinct without regard to case, dots and all (q.r/s vs q/r.s)."""
    keys = {(casefold_key(p), casefold_key(i)) for p, i in pairs}
    if len(keys) < len(pairs):
        return  # the plan refuses ids that differ only in case
    scheme = SCHEMES[FORM_VERSION]
    names = {scheme.indicator(p, i, "actual").casefold() for p, i in pairs}
    assert len(names) == len(pairs)


def test_version_1_names_are_kept_for_forms_already_out() -> None:
    """Version 1 left dots as they were (ambiguous); it is still how its forms are read."""
    assert SCHEMES[1].indicator("q.r", "s", "actual") == "kpi.q.r.s.actual"
    assert SCHEMES[1].indicator("q", "r.s", "actual") == "kpi.q.r.s.actual"
    assert SCHEMES[2].indicator("q.r", "s", "actual") == "kpi.q_1r.s.actual"
    assert SCHEMES[2].indicator("q", "r.s", "actual") == "kpi.q.r_1s.actual"
    assert SCHEMES[1].indicator("p-1", "p_1", "t2019") == SCHEMES[2].indicator(
        "p-1", "p_1", "t2019"
    )


@pytest.mark.parametrize(
    "name", ["kpibook.stamp", "kpi.p1", "kpi.p_2.x", "kpi.p1.i1.bogus", "other.p1.x", "kpi..x"]
)
def test_names_of_no_input_parse_to_none(name: str) -> None:
    assert SCHEMES[FORM_VERSION].parse(name) is None


def test_decode_refuses_what_no_encoding_makes() -> None:
    with pytest.raises(ValueError, match="not an encoded id"):
        decode_id("a_2")


# -- file names and the stamp ---------------------------------------------------------------


def test_file_names_are_built_and_parsed_in_one_place(card_plan: Plan) -> None:
    for department in card_plan.department_names():
        name = form_filename(card_plan, department)
        assert department_in_file_name(name, card_plan) == department
        renamed = name.removesuffix(".xlsx") + " (1).xlsx"
        assert department_in_file_name(renamed, card_plan) == department


def test_stamp_rows_round_trip() -> None:
    stamp = Stamp(
        format="kpibook-form",
        form_version=FORM_VERSION,
        plan="p",
        fiscal_year=2019,
        department="生涯学習課",
        fingerprint="0" * 64,
        generator="kpibook test",
    )
    # A spreadsheet gives numbers back as numbers.
    rows = [(k, int(v) if v.isdigit() and k != "fingerprint" else v) for k, v in stamp.rows()]
    assert Stamp.from_rows(rows) == stamp
    with pytest.raises(StampError):
        Stamp.from_rows([("format", "kpibook-form")])


def test_the_reader_does_not_import_the_writer() -> None:
    """returns/ depends on the contract, never on forms/ (which writes)."""
    package = Path(__file__).parent.parent / "kpibook" / "returns"
    for source in package.glob("*.py"):
        text = source.read_text("utf-8")
        assert "kpibook.forms" not in text, source


def test_a_project_subclass_is_not_hashed_by_accident(card_plan: Plan) -> None:
    """A model the fingerprint does not list is an error, not silently dumped."""

    class Wider(Project):
        pass

    project = Wider.model_validate(card_plan.projects[0].model_dump())
    prints = Fingerprinter(card_plan, load_template(card_plan.layout))
    with pytest.raises(TypeError, match="lists no fields"):
        prints.of("生涯学習課", [project], FORM_VERSION)
