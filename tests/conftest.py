"""Shared fixtures: the two worked examples and a small plan to spoil in tests."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from kpibook.entries import Entries
from kpibook.plan import Plan
from kpibook.plantext import load_entries_yaml, load_plan_yaml

# Property tests: a quick profile by default, a thorough one with HYPOTHESIS_PROFILE=thorough.
settings.register_profile(
    "default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CARD = EXAMPLES / "kashiwa-lifelong-learning-r1"
MATRIX = EXAMPLES / "kashiwa-welfare-r5"
REFERENCE = ROOT.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def card_plan() -> Plan:
    return load_plan_yaml(CARD / "plan.yaml")


@pytest.fixture(scope="session")
def card_entries(card_plan: Plan) -> Entries:
    return load_entries_yaml(CARD / "entries.yaml", card_plan)


@pytest.fixture(scope="session")
def matrix_plan() -> Plan:
    return load_plan_yaml(MATRIX / "plan.yaml")


@pytest.fixture(scope="session")
def matrix_entries(matrix_plan: Plan) -> Entries:
    return load_entries_yaml(MATRIX / "entries.yaml", matrix_plan)


SMALL_PLAN: dict[str, Any] = {
    "id": "small",
    "title": "小さな計画",
    "issuer": "テスト市",
    "period": {"start": "R1", "end": "R5"},
    "report_year": "R3",
    "layout": "card",
    "grading": {
        "bands": [
            {"grade": "A", "min_rate": 80, "label": "かなり達成できた"},
            {"grade": "B", "min_rate": 50, "label": "あまり達成できなかった"},
            {"grade": "C", "min_rate": 0, "label": "達成できなかった"},
        ]
    },
    "departments": [{"name": "生涯学習課"}, {"name": "協働推進課"}],
    "sections": [
        {
            "id": "1",
            "number": "1.",
            "title": "地域づくり",
            "children": [{"id": "1-1", "number": "(1)", "title": "人材の育成"}],
        }
    ],
    "projects": [
        {
            "id": "p1",
            "name": "出前講座",
            "lead_department": "生涯学習課",
            "placements": [{"section": "1-1"}],
            "indicators": [
                {
                    "id": "p1-1",
                    "label": "参加人数",
                    "unit": "人",
                    "targets": {"R3": 100},
                    "final_target": 120,
                    "actuals": {"R1": 80, "R2": {"value": 90, "note": "※会場変更"}},
                }
            ],
        }
    ],
}


@pytest.fixture
def small_plan_data() -> dict[str, Any]:
    """A fresh, valid plan as plain data; tests change it to make it invalid."""
    return copy.deepcopy(SMALL_PLAN)


# -- the fast reader gives what openpyxl gives ---------------------------------------------

COMPARED: list[str] = []
"""Files read by both readers during the run (a test checks that comparisons happened)."""
DIFFERED: list[str] = []
"""Files of ``openpyxl_differs`` tests on which openpyxl indeed read something else."""


class ReadersDisagree(BaseException):
    """The two readers read a file differently.  Not an ``Exception``: check_return turns
    any exception while reading one file into a finding for it, and this is no finding
    about the file but a failure of the test."""


def _comparable(value: Any) -> Any:
    """openpyxl returns array formulas as objects; the fast reader gives their text."""
    if type(value).__name__ in {"ArrayFormula", "DataTableFormula"}:
        return getattr(value, "text", None)
    return value


@pytest.fixture(autouse=True)
def _scan_agrees_with_openpyxl(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    """Every return any test checks is read by both readers, and they must agree.

    A test marked ``openpyxl_differs`` builds hostile files that openpyxl reads otherwise
    than Excel and LibreOffice do (a row inside ``<extLst>``, for one); LibreOffice is the
    reference there, and the test compares with it.  The mark is no blanket exemption:
    openpyxl must really differ on at least one of the test's files."""
    from kpibook.errors import LoadError
    from kpibook.xlsx_scan import FormBook
    from kpibook.xlsx_scan import read_form_book as fast
    from tests import oracle

    differs = request.node.get_closest_marker("openpyxl_differs") is not None
    differed: list[str] = []

    def both(path: Path, scan_rows: int = 60, probe: str | None = None) -> FormBook:
        book = fast(path, scan_rows, probe)
        try:
            ref = oracle.read_form_book(path, scan_rows, probe)
        except LoadError:
            return book  # openpyxl cannot read it; the fast reader may still
        for name, cell in ref.names.items():
            if cell is not None:
                ref.names[name] = cell.__class__(
                    cell.sheet, cell.row, cell.col, _comparable(cell.value), cell.kind
                )
        try:
            assert book.sheetnames == ref.sheetnames, path
            assert book.names == ref.names, path
            assert book.ranges == ref.ranges, path
            for sheet, merges in book.merged.items():  # the sheets it read
                assert sorted(merges) == sorted(ref.merged.get(sheet, [])), (path, sheet)
            assert book.strings == ref.strings, path
            assert book.probed == ref.probed, path
        except AssertionError as exc:
            if not differs:
                raise ReadersDisagree(str(exc)) from exc
            differed.append(str(path))
            return book
        COMPARED.append(str(path))
        return book

    monkeypatch.setattr("kpibook.returns.check.read_form_book", both)
    yield
    if differs:
        assert differed, "openpyxl read every file as kpibook did: remove openpyxl_differs"
        DIFFERED.extend(differed)
