"""A form's file name: ``<plan>_<R1>_<department>.xlsx``, built by ``generate`` and read
back by ``check`` (a return named for another department than its stamp is refused).

Department names cannot hold the characters Windows forbids (the plan checks that); the
name is NFC-normalised so macOS and Linux see the same bytes.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from kpibook.fiscal import era_label
from kpibook.plan import Plan

SUFFIX = ".xlsx"
COPY_MARKS = frozenset("_(（-")
"""Where people's copies part from the name: ``…_課 (1)``, ``…_課_修正``, ``…_課（2）``."""


def form_filename(plan: Plan, department: str) -> str:
    """``kashiwa-lifelong-learning_R1_生涯学習課.xlsx``: safe on Windows, macOS and Linux."""
    name = f"{_prefix(plan)}{department}".rstrip(". ")
    return unicodedata.normalize("NFC", name) + SUFFIX


def _prefix(plan: Plan) -> str:
    return f"{plan.id}_{era_label(plan.report_year)}_"


def department_in_file_name(name: str, plan: Plan) -> str | None:
    """The department a file name written by :func:`form_filename` names, also after a
    person renamed a copy; None when the name is not of that pattern or names no
    department of the plan."""
    prefix = _prefix(plan)
    stem = unicodedata.normalize("NFC", Path(name).stem)
    if not stem.startswith(prefix):
        return None
    named = stem.removeprefix(prefix)
    # Only a known department counts: the longest one the name starts with.
    if plan.has_department(named):
        return named
    for end in range(len(named) - 1, 0, -1):
        mark = named[end]
        if (mark.isspace() or mark in COPY_MARKS) and plan.has_department(named[:end]):
            return named[:end]
    return None
