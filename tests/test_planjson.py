"""A JSON plan is read a project at a time (``kpibook/planjson.py``): the same plan as
read whole, every problem found and placed as before, and the parser's temporary
objects never all at once.

Counted with tracemalloc (bytes allocated, not time), so the test is the same on a busy
machine.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path

import pytest

from benchmarks.synthetic import synthetic_plan
from kpibook import planjson
from kpibook.api import load_plan
from kpibook.errors import LoadError
from kpibook.jsontext import parse_json
from kpibook.plan import Plan
from kpibook.planjson import plan_from_json
from kpibook.plantext import save_json
from tests.instrument import bytes_per_added_indicator

ROOT = Path(__file__).resolve().parents[1]

PARSED_BYTES_PER_INDICATOR = 1_500
"""What one more indicator (with its third of a project) may add to the memory a JSON
load needs above what the loaded plan holds.  Measured (CPython 3.11, pydantic 2.14):
1,037 bytes, mostly the plan's text (385 bytes of UTF-8 per indicator, twice that as a
str with Japanese in it), held while the models are made.  Read whole, as before: 2,224,
the text and, all at once, the dicts, lists and strings of every project -- which, once
freed, stayed resident as empty pools of small objects (130 MiB of a national merge).
The bound leaves about 40% for other interpreters and library versions."""


def _whole(text: str) -> Plan:
    data, _ = parse_json(text)
    return Plan.model_validate(data)


@pytest.mark.parametrize(
    "example", ["kashiwa-lifelong-learning-r1", "kashiwa-welfare-r5", "ibaraki-sousei-kpi"]
)
def test_a_plan_read_a_project_at_a_time_is_the_plan_read_whole(
    tmp_path: Path, example: str
) -> None:
    path = tmp_path / "plan.json"
    save_json(load_plan(ROOT / "examples" / example / "plan.yaml"), path)
    text = path.read_text(encoding="utf-8")
    streamed, whole = plan_from_json(text), _whole(text)
    assert streamed is not None
    assert streamed == whole
    assert streamed.model_dump_json() == whole.model_dump_json()
    assert streamed.model_dump(exclude_unset=True) == whole.model_dump(exclude_unset=True)
    for a, b in zip(streamed.projects, whole.projects, strict=True):
        assert a.model_fields_set == b.model_fields_set
    assert load_plan(path) == whole


def _broken(text: str) -> dict[str, str]:
    plan = json.loads(text)
    project = plan["projects"][1]
    unknown = dict(project, lead_department="どこにもない課")
    dumped = json.dumps(plan, ensure_ascii=False, indent=1)
    return {
        "a syntax error": text.replace('"projects": [', '"projects": [,', 1),
        "a key twice in a project": dumped.replace(
            '"id": "' + project["id"] + '",',
            '"id": "' + project["id"] + '", "id": "x",',
            1,
        ),
        "a key twice at the top": dumped.replace("{", '{"title": "x",', 1),
        "an invalid project": json.dumps(
            {**plan, "projects": [*plan["projects"][:1], {**project, "bogus": 1}]},
            ensure_ascii=False,
        ),
        "an unknown department": json.dumps(
            {**plan, "projects": [plan["projects"][0], unknown]}, ensure_ascii=False
        ),
        "text after the plan": text + "{}",
        "projects not a list": json.dumps({**plan, "projects": {}}, ensure_ascii=False),
    }


@pytest.mark.parametrize(
    "case",
    [
        "a syntax error",
        "a key twice in a project",
        "a key twice at the top",
        "an invalid project",
        "an unknown department",
        "text after the plan",
        "projects not a list",
    ],
)
def test_a_plan_with_a_problem_is_read_whole_and_reported_as_before(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "good.json"
    save_json(synthetic_plan(2), good)
    text = _broken(good.read_text(encoding="utf-8"))[case]
    assert plan_from_json(text) is None
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_plan(path)
    problems = caught.value.problems
    assert problems
    assert all(p.where.startswith(("plan.json", str(path))) for p in problems)
    # exactly what the whole text read alone reports
    monkeypatch.setattr(planjson, "plan_from_json", lambda text: None)
    with pytest.raises(LoadError) as whole:
        load_plan(path)
    assert whole.value.problems == problems


def _load_peak_over_held(path: Path) -> tuple[int, int]:
    """Bytes a JSON load needs at its peak above what the plan it gives holds, and the
    plan's number of indicators."""
    gc.collect()
    tracemalloc.start()
    try:
        plan = load_plan(path)
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - held, sum(len(p.indicators) for p in plan.projects)


def test_a_json_plan_never_holds_every_project_parsed_at_once(tmp_path: Path) -> None:
    per_indicator = bytes_per_added_indicator(_load_peak_over_held, tmp_path)
    assert per_indicator < PARSED_BYTES_PER_INDICATOR, f"{per_indicator:.0f} bytes"
