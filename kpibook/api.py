"""kpibook as a library: the yearly cycle in six calls, the same ones the CLI makes.

::

    import kpibook

    plan = kpibook.load_plan("plan.yaml")
    forms = kpibook.generate_forms(plan, outdir="forms")
    report = kpibook.check_returns(plan, returns=["returns/"])
    merged = kpibook.merge_returns(plan, returns=["returns/"])
    kpibook.write_master(merged, path="master.xlsx")
    kpibook.export_master("master.xlsx", output="open-data")

Every parameter after the first is keyword-only, so a call reads as what it does.
Paths may be strings or :class:`~pathlib.Path`; folders among ``returns`` stand for the
workbooks in them (lock files of Excel and LibreOffice skipped).  Errors a user can
cause are :class:`~kpibook.errors.KpibookError` with a bilingual message;
``docs/api.md`` documents each call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from kpibook.entries import Entries
    from kpibook.forms import GeneratedForm
    from kpibook.merge import MergeReport
    from kpibook.parallel import Progress
    from kpibook.plan import Plan
    from kpibook.returns.check import CheckReport
    from kpibook.template import FormTemplate

StrPath = str | PathLike[str]


def load_plan(path: StrPath) -> Plan:
    """A plan from its text form (``.yaml``, or ``.json`` for large plans) or its plan
    workbook (``.xlsx``); a :class:`~kpibook.errors.LoadError` lists every problem with
    its line or cell."""
    from kpibook.sources import load_plan as load

    return load(Path(path))


def load_template(plan: Plan, path: StrPath | None = None) -> FormTemplate:
    """The form template for ``plan``: the one at ``path`` if given, else the one the
    plan names (its ``template`` field), else the built-in one of its layout.  The calls
    below use the same when given no ``template``."""
    from kpibook.template import plan_template

    return plan_template(plan, Path(path) if path is not None else None)


def generate_forms(
    plan: Plan,
    *,
    outdir: StrPath,
    departments: Sequence[str] | None = None,
    template: FormTemplate | None = None,
    password: str | None = None,
    created: dt.datetime | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> list[GeneratedForm]:
    """One input workbook per department (or those named) in ``outdir``."""
    from kpibook.forms import generate_forms as generate

    return generate(
        plan,
        Path(outdir),
        list(departments) if departments else None,
        password,
        created,
        template,
        jobs=jobs,
        progress=progress,
    )


def return_files(returns: Sequence[StrPath]) -> tuple[list[Path], list[str]]:
    """The workbooks among ``returns`` (files, and the files in folders), and a note for
    each lock file or hidden file passed over."""
    from kpibook.returns.preflight import collect_returns

    return collect_returns([Path(p) for p in returns])


def check_returns(
    plan: Plan,
    *,
    returns: Sequence[StrPath],
    template: FormTemplate | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Check returned forms: every problem by file, sheet and cell (``report.ok`` when no
    return has an error)."""
    from kpibook.returns.check import check_returns as check

    files, _ = return_files(returns)
    return check(plan, files, template, jobs, progress)


@dataclass(frozen=True)
class Merged:
    """What a merge found (``report``: every return, every department's status, the
    grades) and the entries it merged, for :func:`write_master`."""

    plan: Plan
    report: MergeReport
    entries: Entries
    template: FormTemplate | None = None


def merge_returns(
    plan: Plan,
    *,
    returns: Sequence[StrPath],
    use: Sequence[StrPath] = (),
    template: FormTemplate | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> Merged:
    """Check the returns and merge the clean ones; ``use`` names the return to take
    where a department sent several."""
    from kpibook.merge import merge

    files, _ = return_files(returns)
    report, entries = merge(plan, files, template, [Path(p) for p in use], jobs, progress)
    return Merged(plan, report, entries, template)


def write_master(
    merged: Merged,
    *,
    path: StrPath,
    printable: bool | None = None,
    created: dt.datetime | None = None,
) -> bool:
    """Write the master workbook (概要, 一覧, 報告書, 提出状況) atomically; returns whether
    the printable 報告書 was written (left out above 2,000 projects unless
    ``printable``)."""
    from kpibook.master import write_master as write

    return write(
        merged.plan,
        merged.report,
        merged.entries,
        Path(path),
        merged.template,
        created=created,
        printable=printable,
    )


def read_master(path: StrPath) -> tuple[Plan, Entries]:
    """The plan and entries a master workbook carries (for export and rollover)."""
    from kpibook.master.data import read_master as read

    return read(Path(path))


def export_master(
    master: StrPath,
    *,
    output: StrPath,
    format: Literal["csv", "json"] = "csv",
) -> list[Path]:
    """The master's data as open-data tables: CSV files with ``datapackage.json`` in the
    folder ``output``, or the one JSON file ``output``; returns the files written."""
    plan, entries = read_master(master)
    return export_plan(plan, entries, output=output, format=format)


def export_plan(
    plan: Plan,
    entries: Entries | None,
    *,
    output: StrPath,
    format: Literal["csv", "json"] = "csv",
) -> list[Path]:
    """A plan (and its entries, if any) as open-data tables, as :func:`export_master`."""
    from kpibook.opendata import write_csv, write_json

    if format == "csv":
        return write_csv(plan, entries, Path(output))
    return [write_json(plan, entries, Path(output))]
