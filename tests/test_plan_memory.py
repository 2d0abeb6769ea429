"""A plan is small in memory: what each indicator costs, counted, and what keeps it small.

A national plan (104,460 indicators) took 630 MiB resident when each value was an object
with its own Decimal and each model its own set of given fields.  Values are now held as
columns (``kpibook/series.py``), and what many models hold alike is held once: the set
of fields a model was given, its empty lists and dicts, its repeated labels and units.
Counted with tracemalloc (bytes allocated, not time), so the test is the same on a busy
machine.
"""

from __future__ import annotations

import gc
import inspect
import pickle
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.synthetic import synthetic_plan
from kpibook import model as model_module
from kpibook.api import load_plan
from kpibook.model import Model, no_items, no_keys
from kpibook.plan import Plan
from kpibook.plantext import save_json
from tests.instrument import bytes_per_added_indicator

ROOT = Path(__file__).resolve().parents[1]

BYTES_PER_INDICATOR = 1_700
"""What one more indicator may add to a loaded plan (with its third of a project, as the
synthetic plan gives each project three).  Measured: 1,349 bytes (CPython 3.11, pydantic
2.14): the indicator and its ``__dict__`` (544), its two series (about 270), its id, and
a third of its project (about 430).  Before: 4,602.  Losing the columns of values adds
about 1,400 bytes, losing the shared sets of given fields about 1,000; the bound leaves
about 20% for other interpreters and library versions.  The smaller savings (labels
interned, empty containers shared, about 200 bytes each) are checked by what they are,
below, not by this count."""


def _interning() -> tracemalloc.Filter:
    """Leaves out the table of Python's interned strings: shared by the whole process, it
    doubles now and then as any code interns names, whichever plan is being loaded then."""
    lines, first = inspect.getsourcelines(model_module._no_edge_space)
    at = next(first + n for n, line in enumerate(lines) if "sys.intern(" in line)
    return tracemalloc.Filter(False, model_module.__file__, lineno=at)


def _held(path: Path) -> tuple[int, int]:
    """Bytes a plan loaded from ``path`` holds, and its number of indicators."""
    gc.collect()
    tracemalloc.start()
    try:
        plan = load_plan(path)
        gc.collect()
        traces = tracemalloc.take_snapshot().filter_traces([_interning()])
    finally:
        tracemalloc.stop()
    held = sum(stat.size for stat in traces.statistics("filename"))
    return held, sum(len(p.indicators) for p in plan.projects)


def test_an_indicator_costs_at_most_its_bound(tmp_path: Path) -> None:
    """Read from its JSON text as a real plan is (each string its own until interned);
    the difference between two sizes leaves out what any plan holds once."""
    per_indicator = bytes_per_added_indicator(_held, tmp_path)
    assert per_indicator < BYTES_PER_INDICATOR, f"{per_indicator:.0f} bytes per indicator"


def test_what_models_hold_alike_is_held_once(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_json(synthetic_plan(3), path)
    plan = load_plan(path)
    a, b = plan.projects[0], plan.projects[1]
    ia, ib = a.indicators[0], b.indicators[0]
    assert ia.unit == ib.unit
    assert ia.unit is ib.unit  # read as two strings, kept as one
    assert a.lead_department is b.lead_department
    assert ia.__pydantic_fields_set__ is ib.__pydantic_fields_set__
    assert ia.fields is no_keys()
    assert a.footnotes is no_items()
    assert ia.targets._years is ib.targets._years
    # and so do the models a spawned worker unpickles
    again = pickle.loads(pickle.dumps(plan))
    assert again == plan
    assert again.projects[0].indicators[0].__pydantic_fields_set__ is ia.__pydantic_fields_set__
    assert again.projects[0].footnotes is no_items()


def _given_as_read(model: Any, raw: Any, where: str) -> None:
    """Each model's given fields are the keys its text gave, at every depth."""
    if isinstance(model, Model):
        assert isinstance(raw, dict), where
        assert set(model.model_fields_set) == set(raw), where
        for name in model.model_fields_set:
            _given_as_read(getattr(model, name), raw[name], f"{where}.{name}")
    elif isinstance(model, list):
        for n, (m, r) in enumerate(zip(model, raw, strict=True)):
            _given_as_read(m, r, f"{where}[{n}]")


@pytest.mark.parametrize(
    "example", ["kashiwa-lifelong-learning-r1", "kashiwa-welfare-r5", "ibaraki-sousei-kpi"]
)
def test_shared_given_fields_leave_exclude_unset_dumps_as_they_were(example: str) -> None:
    """Models given the same fields share one set of them; each still dumps with
    ``exclude_unset`` exactly what its own text gave, and a copy made with an update
    changes only its own."""
    path = ROOT / "examples" / example / "plan.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    plan = load_plan(path)
    _given_as_read(plan, raw, "plan")
    dumped = plan.model_dump(exclude_unset=True)
    assert Plan.model_validate(dumped).model_dump(exclude_unset=True) == dumped

    alike: dict[tuple[type, frozenset[str]], list[Model]] = {}
    indicators = [i for p in plan.projects for i in p.indicators]
    sections = [path.section for path in plan.iter_sections()]
    for model in [*indicators, *plan.projects, *plan.departments, *sections]:
        alike.setdefault((type(model), frozenset(model.model_fields_set)), []).append(model)
    first, twin = next(group for group in alike.values() if len(group) > 1)[:2]
    assert first.__pydantic_fields_set__ is twin.__pydantic_fields_set__
    unset = next(name for name in type(first).model_fields if name not in first.model_fields_set)
    copied = first.model_copy(update={unset: getattr(first, unset)})
    assert unset in copied.model_dump(exclude_unset=True)
    assert unset not in first.model_dump(exclude_unset=True)
    assert unset not in twin.model_dump(exclude_unset=True)
    with pytest.raises(TypeError):
        first.__pydantic_fields_set__.add(unset)
