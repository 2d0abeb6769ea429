"""Merge checked returns into one set of entries, and say where every department stands.

Every return is checked with the same rules as ``kpibook check``.  A department's entries
are taken from its one clean return; a return with errors is *rejected* (its findings are
reported and nothing of it is used), a department with two or more returns is a
*conflict* naming every file until the coordinator chooses one (``--use FILE``), and a
department that sent nothing is *missing*.  One broken file never stops the others.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from kpibook.contract.content import departments_with_forms
from kpibook.entries import Entries, ProjectEntry, SectionEntry
from kpibook.errors import KpibookError
from kpibook.findings import Code
from kpibook.grading import GradeReport, grade_report
from kpibook.message import Message
from kpibook.parallel import Progress
from kpibook.plan import Plan
from kpibook.returns.check import ReturnResult, check_returns
from kpibook.template import FormTemplate


class Status(StrEnum):
    RETURNED = "returned"
    """Its return checked without errors and is merged."""
    REJECTED = "rejected"
    """Its return has errors; nothing of it is merged."""
    MISSING = "missing"
    """Nothing was returned."""
    CONFLICT = "conflict"
    """Two or more returns; nothing is merged until one is chosen."""


STATUS_JA = {
    Status.RETURNED: "提出済",
    Status.REJECTED: "差戻し",
    Status.MISSING: "未提出",
    Status.CONFLICT: "重複",
}


class DepartmentStatus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: str
    status: Status
    files: list[str] = Field(description="The returns found for this department.")
    used: str | None = Field(description="The file whose entries were merged.")
    errors: int
    warnings: int


class MergeReport(BaseModel):
    """What the merge found and what it produced; ``--json`` prints exactly this."""

    model_config = ConfigDict(extra="forbid")

    plan: str
    fiscal_year: int
    departments: list[DepartmentStatus] = Field(description="In the plan's order.")
    unidentified: list[str] = Field(
        description="Files that are not a form of this plan (see their findings)."
    )
    returns: list[ReturnResult] = Field(description="Every file checked, with its findings.")
    grades: GradeReport = Field(
        description="Per project and indicator: target used, actual, "
        "rate, computed grade, self grade, mismatch."
    )

    def status_of(self, department: str) -> DepartmentStatus:
        return next(d for d in self.departments if d.department == department)

    @property
    def has_errors(self) -> bool:
        return any(r.errors for r in self.returns)


class UnknownChoice(KpibookError):
    exit_code = 2


def merge(
    plan: Plan,
    paths: list[Path],
    template: FormTemplate | None = None,
    use: list[Path] | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> tuple[MergeReport, Entries]:
    """Check every return and merge the clean ones; ``use`` settles conflicts."""
    checked = check_returns(plan, paths, template, jobs, progress, use)
    chosen = {Path(p).resolve() for p in use or []}
    # the results are in the order of the paths (their shown names may differ from the
    # file system's, for a name that is not UTF-8)
    real = {id(r): Path(p).resolve() for p, r in zip(paths, checked.returns, strict=True)}
    known = set(real.values())
    if chosen - known:
        names = ", ".join(sorted(p.name for p in chosen - known))
        raise UnknownChoice(
            Message(
                ja=f"--use で指定したファイルは回答の中にありません: {names}",
                en=f"--use names a file that is not among the returns: {names}",
            )
        )
    by_dept: dict[str, list[ReturnResult]] = {}
    unidentified = []
    for result in checked.returns:
        if result.department is None:
            unidentified.append(result.file)
        else:
            by_dept.setdefault(result.department, []).append(result)
    statuses: list[DepartmentStatus] = []
    entries: list[ProjectEntry] = []
    sections: list[SectionEntry] = []
    for department in departments_with_forms(plan):
        found = by_dept.get(department, [])
        # byte-identical copies are one return (check marks the later ones)
        results = [r for r in found if not any(f.code is Code.DUPLICATE_COPY for f in r.findings)]
        picked = [r for r in results if real[id(r)] in chosen]
        results_used = picked if len(results) > 1 and len(picked) == 1 else results
        if not results:
            status, used = Status.MISSING, None
        elif len(results_used) > 1:
            status, used = Status.CONFLICT, None
        elif results_used[0].errors:
            status, used = Status.REJECTED, None
        else:
            status, used = Status.RETURNED, results_used[0]
            entries.extend(used.entries)
            sections.extend(used.sections)
        statuses.append(
            DepartmentStatus(
                department=department,
                status=status,
                files=[r.file for r in found],
                used=used.file if used else None,
                errors=sum(len(r.errors) for r in results_used),
                warnings=sum(len(r.warnings) for r in results_used),
            )
        )
    order = {p.id: n for n, p in enumerate(plan.projects)}
    entries.sort(key=lambda e: order[e.project])
    printed = {path.section.id: n for n, path in enumerate(plan.iter_sections())}
    sections.sort(key=lambda e: printed[e.section])
    merged = Entries(plan=plan.id, fiscal_year=plan.report_year, entries=entries, sections=sections)
    report = MergeReport(
        plan=plan.id,
        fiscal_year=plan.report_year,
        departments=statuses,
        unidentified=unidentified,
        returns=checked.returns,
        grades=grade_report(plan, merged),
    )
    return report, merged
