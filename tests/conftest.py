"""Shared fixtures: the two worked examples and a small plan to spoil in tests."""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from kpibook.entries import Entries
from kpibook.plan import Plan
from kpibook.plantext import load_entries_yaml, load_plan_yaml
from tests.named import remember

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
    return remember(load_plan_yaml(CARD / "plan.yaml"))


@pytest.fixture(scope="session")
def card_entries(card_plan: Plan) -> Entries:
    return load_entries_yaml(CARD / "entries.yaml", card_plan)


@pytest.fixture(scope="session")
def matrix_plan() -> Plan:
    return remember(load_plan_yaml(MATRIX / "plan.yaml"))


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


# A prefecture's KPIs, one card per KPI, as other governments' reports have them: progress
# from a 2019 baseline, a five-level scale whose top is ≥ 100%, printed rates truncated, a
# 累計 KPI, a revised target and a statistic that lags a year.  Reported for 令和5年度.
PREFECTURE_SCALE: list[dict[str, Any]] = [
    {"grade": "S", "min_rate": 100, "label": "目標達成"},
    {"grade": "A", "min_rate": 80, "label": "順調"},
    {"grade": "B", "min_rate": 50, "label": "概ね順調"},
    {"grade": "C", "min_rate": 20, "label": "やや遅れ"},
    {"grade": "D", "min_rate": 0, "label": "遅れ"},
]


def _kpi(pid: str, name: str, dept: str, section: str, **indicator: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "name": name,
        "lead_department": dept,
        "placements": [{"section": section}],
        "indicators": [{"id": f"{pid}-1", "label": name, **indicator}],
    }


PREFECTURE_PLAN: dict[str, Any] = {
    "id": "pref-sogo-senryaku",
    "title": "第2期まち・ひと・しごと創生総合戦略",
    "issuer": "テスト県",
    "period": {"start": 2020, "end": 2024},
    "report_year": 2023,
    "layout": "card",
    "section_levels": ["基本目標", "施策"],
    "grading": {
        "bands": PREFECTURE_SCALE,
        "rate_method": "progress",
        "rounding": {"method": "truncate", "places": 1},
        "owner_levels": [
            {"grade": "着手済", "label": "取組に着手した"},
            {"grade": "未着手", "label": "取組に着手していない"},
        ],
        "evaluations": [
            {
                "depth": 2,  # 施策: the average of its KPIs' scores (S 5, A 4, ... D 1)
                "rule": "average",
                "bands": [
                    {"grade": "A", "threshold": 3.5, "label": "順調"},
                    {"grade": "B", "threshold": 2.5, "label": "概ね順調"},
                    {"grade": "C", "threshold": 0, "label": "遅れている"},
                ],
            },
            {"depth": 1, "rule": "worst", "of": "sections"},  # 基本目標: its worst 施策
        ],
    },
    "departments": [
        {"name": "健康づくり課"},
        {"name": "こども家庭課"},
        {"name": "農業振興課"},
        {"name": "企画課"},
    ],
    "sections": [
        {
            "id": "1",
            "number": "基本目標1",
            "title": "健やかに暮らせる県",
            "children": [
                {"id": "1-1", "number": "(1)", "title": "健康と子育て"},
                {"id": "1-2", "number": "(2)", "title": "農業の担い手"},
            ],
        },
        {
            "id": "2",
            "number": "基本目標2",
            "title": "稼ぐ力のある県",
            "children": [{"id": "2-1", "number": "(1)", "title": "経済と観光"}],
        },
    ],
    "projects": [
        _kpi(
            "k1",
            "県民の健康づくり実践率",
            "健康づくり課",
            "1-1",
            unit="%",
            baseline=62.0,
            baseline_year=2019,
            targets={2024: 70.0},
        ),
        _kpi(
            "k2",
            "待機児童数",
            "こども家庭課",
            "1-1",
            unit="人",
            direction="lower",
            baseline=120,
            baseline_year=2019,
            targets={2024: 0},
        ),
        _kpi(
            "k3",
            "新規就農者数（累計）",
            "農業振興課",
            "1-2",
            unit="人",
            rate_method="ratio",
            cumulative=True,
            baseline=0,
            baseline_year=2019,
            targets={2020: 100, 2021: 200, 2022: 300, 2023: 400, 2024: 500},
            actuals={2020: 95, 2021: 110, 2022: 88},
        ),
        _kpi(
            "k4",
            "県内総生産（実質）",
            "企画課",
            "2-1",
            unit="兆円",
            data_lag=1,
            baseline=20.0,
            baseline_year=2019,
            targets={2022: 21.0, 2024: 22.0},
            actuals={2021: 20.5, 2022: 20.8},
        ),
        _kpi(
            "k5",
            "観光入込客数",
            "企画課",
            "2-1",
            unit="万人",
            baseline=2800,
            baseline_year=2019,
            targets={2024: 3200},
            original_targets={2024: 3000},
        ),
    ],
}
_TEXTS = {
    "activity_report": "取組を進めた。",
    "issues": "目標との差が残る。",
    "future_plan": "取組を続ける。",
    "grade_explanation": "目標値に届いていないため。",
}
PREFECTURE_ENTRIES: dict[str, Any] = {
    "plan": "pref-sogo-senryaku",
    "fiscal_year": 2023,
    "entries": [
        {"project": "k1", "actuals": {"k1-1": 66.5}, "self_grade": "B", **_TEXTS},
        {"project": "k2", "actuals": {"k2-1": 45}, "self_grade": "B", **_TEXTS},
        {"project": "k3", "actuals": {"k3-1": 102}, "self_grade": "A", **_TEXTS},
        {"project": "k4", "actuals": {"k4-1": "集計中"}, "self_grade": "A", **_TEXTS},
        {"project": "k5", "actuals": {"k5-1": 2950}, "self_grade": "B", **_TEXTS},
    ],
}


@pytest.fixture(scope="session")
def prefecture_plan() -> Plan:
    return Plan.model_validate(PREFECTURE_PLAN)


@pytest.fixture(scope="session")
def prefecture_entries(prefecture_plan: Plan) -> Entries:
    return Entries.model_validate(PREFECTURE_ENTRIES)


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
    from tests import oracle, sheetdata

    differs = request.node.get_closest_marker("openpyxl_differs") is not None
    differed: list[str] = []

    def both(
        path: Path,
        scan_rows: int = 60,
        probe: str | None = None,
        unpacked: Mapping[str, bytes] | None = None,
    ) -> FormBook:
        # plain sheets read by regular expressions as by their element tree, always
        unlike = sheetdata.differs(path, scan_rows, probe)
        if unlike is not None:
            raise ReadersDisagree(f"plain and tree readings differ: {unlike}")
        book = fast(path, scan_rows, probe, unpacked)
        try:
            ref = oracle.read_form_book(path, scan_rows, probe)
        except LoadError:
            return book  # openpyxl cannot read it; the fast reader may still
        for name, cell in ref.names.items():
            if cell is not None:
                ref.names[name] = cell.__class__(
                    cell.sheet, cell.row, cell.col, _comparable(cell.value), cell.kind
                )
        for name, cells in ref.unions.items():
            ref.unions[name] = [
                c.__class__(c.sheet, c.row, c.col, _comparable(c.value), c.kind) for c in cells
            ]
        try:
            assert book.sheetnames == ref.sheetnames, path
            assert book.names == ref.names, path
            assert book.unions == ref.unions, path
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


# -- every finding code is emitted by some test ---------------------------------------------

EMITTED = Path(tempfile.gettempdir()) / f"kpibook-test-codes-{os.getpid()}.txt"
"""Codes of every finding made during the run, one a line, by this process and the worker
processes it forks (appended, so workers' findings count too)."""


def _record_findings() -> None:
    from kpibook.findings import Finding

    made = Finding.__init__

    def init(self: Finding, /, **data: Any) -> None:
        made(self, **data)
        with open(EMITTED, "a", encoding="utf-8") as f:
            f.write(f"{data['code']}\n")

    Finding.__init__ = init  # type: ignore[method-assign, assignment]


def pytest_sessionstart(session: pytest.Session) -> None:
    EMITTED.unlink(missing_ok=True)
    _record_findings()


def _whole_suite(config: pytest.Config) -> bool:
    option = config.option
    narrowed = option.keyword or option.markexpr or getattr(option, "lf", False) or option.deselect
    return not narrowed and [Path(a).resolve() for a in config.args] == [ROOT / "tests"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Every code of the catalogue is emitted by at least one test's fixture: a code no
    test can make is a finding no department will ever see, or an untested path."""
    from kpibook.findings import Code

    emitted = set(EMITTED.read_text(encoding="utf-8").split()) if EMITTED.exists() else set()
    EMITTED.unlink(missing_ok=True)
    if exitstatus != 0 or not _whole_suite(session.config):
        return
    missing = sorted(code.value for code in Code if code.value not in emitted)
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"finding codes no test emitted: {', '.join(missing)}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
