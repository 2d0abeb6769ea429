"""A merge holds little more than the plan: what it keeps per department is bounded.

A national merge is 1,741 returns against a plan of 104,460 indicators.  Beside the plan,
the main process keeps each department's entries (they are the merged entries and the
JSON report's), a graded record per indicator and project, and writes the master row by
row.  These tests count memory, not time: the same on any machine.
"""

from __future__ import annotations

import gc
import pickle
from pathlib import Path

import pytest

from benchmarks.synthetic import synthetic_entries, synthetic_plan
from kpibook import xlsx_scan
from kpibook.entries import Entries
from kpibook.forms.fill import write_filled_forms
from kpibook.jsonpieces import json_pieces
from kpibook.master import table as master_table
from kpibook.master import write_master
from kpibook.master.data import _json
from kpibook.merge import merge
from kpibook.model import no_items, no_keys
from kpibook.plan import Plan
from tests.instrument import peak_memory

PER_DEPARTMENT = 80 * 1024
"""What a merge may hold at its peak for one more department of the synthetic plan (20
projects, 60 indicators).  Measured on 2026-11-30: 369 KiB before the grades became
slotted records, 91 KiB after, 53 KiB once what entries and grades hold alike was held
once (empty dicts and lists, rates as shown, listings) and main's check merged.  The
figures below are the 91 KiB's.  What it holds, by tracemalloc at 20 departments: the
department's 20 entries as read from its return (pydantic models with their 60 exact
values and texts: about 33 KiB), its 60 indicator and 20 project grades (slotted records
with their exact rates: about 32 KiB; as pydantic models, each with a ``__dict__`` and a
set of the fields given, they were 250 KiB), and what the master's writer remembers of
its 60 一覧 rows (line counts of wrapped texts, in a cache bounded for a national table:
about 20 KiB).  The cache of every text of 一覧 the writer had adds 33 KiB: 124 KiB."""


def _merge_peak(plan: Plan, returns: list[Path], folder: Path) -> int:
    """The most memory allocated at once by merging the returns and writing the master
    (the plan is already in memory), in this process."""

    def run() -> None:
        report, entries = merge(plan, returns, jobs=1)
        write_master(plan, report, entries, folder / "master.xlsx", printable=False)

    gc.collect()
    return peak_memory(run)[1]


def _returns(departments: int, folder: Path) -> tuple[Plan, list[Path]]:
    plan = synthetic_plan(departments)
    forms = write_filled_forms(plan, synthetic_entries(plan), folder / str(departments))
    return plan, [f.path for f in forms]


def test_a_merge_holds_a_bounded_amount_per_department(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twice the departments: the merge's peak grows by at most PER_DEPARTMENT for each
    one added.  As at national scale, 一覧 has no sparklines (each is held until the book
    closes) and the printable 報告書 is left out."""
    monkeypatch.setattr(master_table, "SPARKLINE_LIMIT", 0)
    # every return read by kpibook alone, not also by openpyxl to compare (conftest)
    monkeypatch.setattr("kpibook.returns.check.read_form_book", xlsx_scan.read_form_book)
    # the readers' caches of cell references are filled by the first form of a layout:
    # filled here, they count in neither figure
    _merge_peak(*_returns(2, tmp_path), tmp_path)
    small = _merge_peak(*_returns(10, tmp_path), tmp_path)
    large = _merge_peak(*_returns(20, tmp_path), tmp_path)
    per_department = (large - small) / 10
    assert 0 < per_department < PER_DEPARTMENT


@pytest.mark.parametrize("which", ["card", "matrix", "synthetic"])
def test_the_embedded_data_is_written_as_pydantic_writes_it_whole(
    which: str, request: pytest.FixtureRequest
) -> None:
    """The master's embedded plan and entries are serialised a project and an entry at a
    time, and must read as the whole of each serialised at once."""
    if which == "synthetic":
        plan = synthetic_plan(3)
        entries = synthetic_entries(plan)
    else:
        plan = request.getfixturevalue(f"{which}_plan")
        entries = request.getfixturevalue(f"{which}_entries")
    whole = '{"entries": ' + entries.model_dump_json() + ', "plan": ' + plan.model_dump_json() + "}"
    assert "".join(_json(plan, entries)) == whole
    # no entries at all (every department missing): the list is written whole
    empty = Entries(plan=plan.id, fiscal_year=plan.report_year)
    assert "".join(_json(plan, empty)) == (
        '{"entries": ' + empty.model_dump_json() + ', "plan": ' + plan.model_dump_json() + "}"
    )


@pytest.mark.parametrize("which", ["card", "matrix"])
def test_the_json_reports_are_pydantic_s_text_written_in_pieces(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """``--json`` prints the merge, check and grade reports a return and a project at a
    time: the text is pydantic's for the whole report, byte for byte, with the returns'
    findings and entries and every grade."""
    plan: Plan = request.getfixturevalue(f"{which}_plan")
    filled: Entries = request.getfixturevalue(f"{which}_entries")
    forms = write_filled_forms(plan, filled, tmp_path)
    # one return with an error, so that findings are printed too
    spoiled = forms[0].path.with_name("spoiled.xlsx")
    spoiled.write_bytes(b"not a workbook")
    report, _ = merge(plan, [f.path for f in forms] + [spoiled])
    assert report.has_errors
    for indent in (2, None):
        pieces = list(json_pieces(report, ["returns", "grades.projects"], indent=indent))
        assert len(pieces) > len(report.returns) + len(report.grades.projects)
        assert "".join(pieces) == report.model_dump_json(indent=indent)
    grades = report.grades
    assert "".join(json_pieces(grades, ["projects"], indent=2)) == grades.model_dump_json(indent=2)


def test_what_entries_and_grades_hold_alike_is_held_once(tmp_path: Path) -> None:
    """A national merge holds 35,000 entries and 104,460 indicator grades: what they
    hold alike is one object, not one each (about 27 MiB of a national merge)."""
    plan, returns = _returns(3, tmp_path)
    report, _ = merge(plan, returns, jobs=1)
    # an entry arrives from a worker pickled: its empty dicts come back as the shared one
    arrived = pickle.loads(pickle.dumps(report.returns))
    entries = [e for r in arrived for e in r.entries]
    assert entries
    for entry in entries:
        assert entry.actual_status is no_keys()
        assert entry.fields is no_keys()
        assert entry.indicator_fields is no_keys()
    grades = [g for p in report.grades.projects for g in p.indicators]
    assert all(g.missing_years is no_items() for g in grades if not g.missing_years)
    shown = [g.rate_shown for g in grades if g.rate_shown is not None]
    assert len(shown) > len({s.as_tuple() for s in shown})  # some rates repeat
    assert len({id(s) for s in shown}) == len({s.as_tuple() for s in shown})
    listings = {tuple(p.sections): p.sections for p in report.grades.projects}
    for project in report.grades.projects:
        assert project.sections is listings[tuple(project.sections)]


def test_a_rate_as_shown_is_shared_only_with_the_very_same_decimal() -> None:
    """81.7 and 81.70 are equal but printed differently; so are 0.0 and -0.0."""
    from decimal import Decimal

    from kpibook.grading.rates import shown_rate
    from kpibook.scheme import RateRounding

    one = RateRounding()
    assert str(shown_rate(Decimal("81.65"), one)) == "81.7"
    assert shown_rate(Decimal("81.65"), one) is shown_rate(Decimal("81.7"), one)
    two = RateRounding(places=2)
    assert str(shown_rate(Decimal("81.7"), two)) == "81.70"
    assert str(shown_rate(Decimal("0.01"), one)) == "0.0"
    assert str(shown_rate(Decimal("-0.01"), one)) == "-0.0"
