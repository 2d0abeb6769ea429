"""Every problem of a plan in one run, each at its own place.

pydantic checks the references between a plan's parts (departments, sections, ids,
years) only once every field is valid, so a plan with a misspelt key and an unknown
department reported the key first and the department only after the key was fixed.
:func:`plan_problems` reports both at once: when fields are invalid it checks the
references of the parts that are valid, with stand-ins for the departments and sections
it could not read (so a broken department entry does not make every project that names
it an error too), and places each problem at its original position.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from kpibook.errors import Loc, Problem, problems_from_validation
from kpibook.plan import Department, Plan, Project, Section
from kpibook.plan_integrity import integrity_problems


def plan_problems(data: Any, where: Callable[[Loc], str]) -> tuple[Plan | None, list[Problem]]:
    """The plan, or None and every problem found in ``data``."""
    try:
        return Plan.model_validate(data), []
    except ValidationError as exc:
        problems = list(problems_from_validation(exc, where))
    seen = {(p.where, p.message) for p in problems}
    for loc, message in _references_of_valid_parts(data):
        problem = Problem(where=where(loc), message=message)
        if (problem.where, problem.message) not in seen:
            seen.add((problem.where, problem.message))
            problems.append(problem)
    return None, problems


_LISTS: dict[str, type[BaseModel]] = {
    "departments": Department,
    "sections": Section,
    "projects": Project,
}


def _references_of_valid_parts(data: Any) -> list[tuple[Loc, Any]]:
    if not isinstance(data, dict):
        return []
    parts: dict[str, Any] = {}
    positions: dict[str, list[int]] = {}
    for name, field in Plan.model_fields.items():
        if name not in data:
            continue
        raw = data[name]
        if name in _LISTS and isinstance(raw, list):
            kept = [(n, _valid(_LISTS[name], item, name)) for n, item in enumerate(raw)]
            parts[name] = [obj for _, obj in kept if obj is not None]
            positions[name] = [n for n, obj in kept if obj is not None]
            continue
        try:
            parts[name] = TypeAdapter(field.rebuild_annotation()).validate_python(raw)
        except (ValidationError, ValueError, TypeError):
            continue
    if "period" not in parts or "report_year" not in parts:
        return []  # the references are all checked against the plan's years
    skeleton = Plan.model_construct(**parts)
    try:
        found = list(integrity_problems(skeleton))
    except (AttributeError, KeyError, TypeError, ValueError):
        return []  # a part the checks need could not be read: its own error says so
    return [(_original(loc, positions), message) for loc, message in found]


def _valid(model: type[BaseModel], raw: Any, kind: str) -> Any:
    """The part if it is valid; a stand-in for a department or section that is not (its
    name or ids are still referenced), None for a project."""
    try:
        return model.model_validate(raw)
    except (ValidationError, ValueError, TypeError):
        if not isinstance(raw, dict):
            return None
        if kind == "departments" and isinstance(raw.get("name"), str):
            return Department.model_construct(name=raw["name"], contact=None)
        if kind == "sections":
            return _stand_in(raw)
        return None


def _stand_in(raw: dict[str, Any]) -> Section:
    children = raw.get("children")
    return Section.model_construct(
        id=str(raw.get("id")),
        number=str(raw.get("number", "")),
        title=None,
        action_goal=None,
        outcome_goal=None,
        children=[_stand_in(c) for c in children if isinstance(c, dict)]
        if isinstance(children, list)
        else [],
    )


def _original(loc: Loc, positions: dict[str, list[int]]) -> Loc:
    """A location in the skeleton as a location in the data (invalid items were left
    out, so later indexes moved)."""
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        kept = positions.get(loc[0])
        if kept is not None and loc[1] < len(kept):
            return (loc[0], kept[loc[1]], *loc[2:])
    return loc
