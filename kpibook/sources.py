"""Load and save plans and entries by file type: the text form (YAML, or JSON for large
plans) or the plan workbook."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from kpibook.entries import Entries
from kpibook.errors import KpibookError, LoadError
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
        plan = load_plan_yaml(path)
    elif suffix in WORKBOOK_SUFFIXES:
        from kpibook.planbook import read_plan_workbook

        plan = read_plan_workbook(path)
    else:
        raise UnknownFormat(path)
    return _with_template(plan, path)


def _with_template(plan: Plan, path: Path) -> Plan:
    """``plan`` with the template it names resolved against the plan file's folder, and
    that template loaded once, so that a missing or broken one is reported now, naming
    the plan's field, rather than halfway through a check."""
    if plan.template is None:
        return plan
    from kpibook.template import TEMPLATE_FIELD, TemplateMissing, plan_template

    resolved = resolve_template(plan, path)
    named = resolved.template
    try:
        plan_template(resolved)
    except TemplateMissing:
        field = (
            f"シート「計画」 様式テンプレート ({TEMPLATE_FIELD})"
            if path.suffix.lower() in WORKBOOK_SUFFIXES
            else TEMPLATE_FIELD
        )
        raise LoadError.single(
            path,
            Message(
                ja=f"様式テンプレート「{plan.template}」が見つかりません（{named}）",
                en=f"the template {plan.template!r} does not exist (looked for {named})",
            ),
            where=f"{path} {field}",
        ) from None
    return resolved


def resolve_template(plan: Plan, path: Path) -> Plan:
    """``plan`` with the template it names as a path resolved against the folder of
    ``path``, the file the plan was read from (a plan file, or a master)."""
    if plan.template is None or _is_absolute(plan.template):
        return plan
    named = (Path(path).parent / plan.template).resolve()
    return plan.model_copy(update={"template": str(named)})


def _is_absolute(path: str) -> bool:
    """Absolute on any system: a plan written on Windows may be read elsewhere."""
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute()


def relative_template(plan: Plan, path: Path) -> Plan:
    """``plan`` with its template's path written relative to the file it is saved as, so
    that the saved plan names the same template from its own folder."""
    if plan.template is None or not _is_absolute(plan.template):
        return plan
    try:
        relative = os.path.relpath(plan.template, path.resolve().parent)
    except ValueError:  # another drive on Windows: only an absolute path can name it
        return plan
    return plan.model_copy(update={"template": Path(relative).as_posix()})


def save_plan(plan: Plan, path: Path) -> None:
    """Write a plan as text or workbook, chosen by the suffix; atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    plan = relative_template(plan, path)
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
