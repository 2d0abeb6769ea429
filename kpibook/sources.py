"""Load and save plans and entries by file type: the text form (YAML, or JSON for large
plans) or the plan workbook."""

from __future__ import annotations

from pathlib import Path

from kpibook.entries import Entries
from kpibook.errors import KpibookError
from kpibook.message import Message
from kpibook.plan import Plan
from kpibook.plantext import (
    JSON_SUFFIX,
    TEXT_SUFFIXES,
    load_entries_yaml,
    load_plan_yaml,
    save_json,
    save_yaml,
)

WORKBOOK_SUFFIXES = (".xlsx",)


class UnknownFormat(KpibookError):
    exit_code = 2

    def __init__(self, path: Path) -> None:
        super().__init__(
            Message(
                ja="計画は .yaml・.json（テキスト形式）か .xlsx（計画ブック）で指定してください",
                en="a plan is a .yaml or .json (text form) or .xlsx (plan workbook) file",
            ),
            where=path,
        )


def load_plan(path: Path) -> Plan:
    """A plan from its text form or its workbook, chosen by the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return load_plan_yaml(path)
    if suffix in WORKBOOK_SUFFIXES:
        from kpibook.planbook import read_plan_workbook

        return read_plan_workbook(path)
    raise UnknownFormat(path)


def save_plan(plan: Plan, path: Path) -> None:
    """Write a plan as text or workbook, chosen by the suffix; atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == JSON_SUFFIX:
        save_json(plan, path)
    elif suffix in TEXT_SUFFIXES:
        save_yaml(plan, path)
    elif suffix in WORKBOOK_SUFFIXES:
        from kpibook.planbook import write_plan_workbook

        write_plan_workbook(plan, path)
    else:
        raise UnknownFormat(path)


def load_entries(path: Path, plan: Plan) -> Entries:
    """Entries (text form) checked against the plan they belong to."""
    return load_entries_yaml(Path(path), plan)
