"""A plan's JSON read a project at a time: what a national plan is loaded with.

Parsed whole, a national plan's JSON (35,000 projects) is a tree of dicts, lists and
strings about as large as the plan it becomes, and all of it exists at once while the
plan's models are made.  Once freed, that memory stays with the process as empty pools
of small objects, which only later allocations reuse: a merge kept about 130 MiB of them
resident for nothing.  Here the plan's ``projects`` array is parsed one project at a
time and each project's dict is dropped as soon as its model is made, so the dicts of
one project exist at once, not of every project.

This is only the fast path of a plan that is valid and plain JSON.  Anything else -- a
syntax error, a key given twice, an invalid project, a broken reference, text this
reader does not take on -- makes :func:`plan_from_json` give ``None``, and the caller
reads the text again the usual way (``plantext.py``), which finds every problem at the
place it always did.  A plan that loads therefore loads as the same plan either way, and
a plan that does not is reported exactly as before.
"""

from __future__ import annotations

from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from pydantic import ValidationError

from kpibook.jsontext import decode_value, skip_space
from kpibook.plan import Plan, Project

_PROJECTS = "projects"


class _Other(Exception):
    """Text that this reader does not take on: the usual reader reads it."""


def plan_from_json(text: str) -> Plan | None:
    """The plan of a JSON text, read a project at a time; ``None`` when the text has a
    problem of any kind (or is not laid out as a plain JSON object), for the usual
    reader to find and place."""
    try:
        return _plan(text)
    except (_Other, ValidationError, ValueError, TypeError, IndexError):
        return None


def _plan(text: str) -> Plan:
    i = skip_space(text, 0)
    if text[i] != "{":
        raise _Other
    i = skip_space(text, i + 1)
    top: dict[str, Any] = {}
    while True:
        if text[i] != '"':
            raise _Other
        key, i = scanstring(text, i + 1)
        if key in top:
            raise _Other
        i = skip_space(text, i)
        if text[i] != ":":
            raise _Other
        i = skip_space(text, i + 1)
        if key == _PROJECTS and text[i] == "[":
            top[key], i = _projects(text, i)
        else:
            top[key], i = decode_value(text, i)
        i = skip_space(text, i)
        if text[i] == ",":
            i = skip_space(text, i + 1)
        elif text[i] == "}":
            break
        else:
            raise _Other
    if skip_space(text, i + 1) != len(text):
        raise _Other
    return Plan.model_validate(top)


def _projects(text: str, i: int) -> tuple[list[Project], int]:
    """Each project of the array at ``i`` made into its model as soon as it is parsed,
    and where the array ends."""
    projects: list[Project] = []
    i = skip_space(text, i + 1)
    if text[i] == "]":
        return projects, i + 1
    while True:
        raw, i = decode_value(text, i)
        if not isinstance(raw, dict):
            raise _Other
        projects.append(Project.model_validate(raw))
        del raw  # this project's dicts go before the next project's are made
        i = skip_space(text, i)
        if text[i] == ",":
            i = skip_space(text, i + 1)
        elif text[i] == "]":
            return projects, i + 1
        else:
            raise _Other
