"""Check returned forms against the plan: identity, values, rules and tampering.

A return is located entirely through its defined names and its stamp; nothing is read by
guessing positions.  Every problem becomes a :class:`~kpibook.findings.Finding` and the
check goes on; the entries read from a return are those whose cells are clean, and the
plan's values always win over what a return shows in a locked cell.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from kpibook.cells import parse_a1
from kpibook.contract.content import form_content
from kpibook.contract.files import department_in_file_name
from kpibook.contract.fingerprint import Fingerprinter
from kpibook.contract.names import SCHEMES, SECTION_PREFIX
from kpibook.contract.stamp import (
    FORM_VERSION,
    LABELS_NAME,
    STAMP_NAME,
    STAMP_SHEET,
    SUPPORTED_VERSIONS,
    Stamp,
    StampError,
)
from kpibook.entries import ProjectEntry, SectionEntry
from kpibook.errors import LoadError
from kpibook.findings import Code, Finding, Severity, finding
from kpibook.fiscal import era_label
from kpibook.parallel import Progress, map_files
from kpibook.plan import Plan, Project
from kpibook.returns.preflight import preflight
from kpibook.returns.reading import read_entries
from kpibook.returns.state import Check, shown_name
from kpibook.returns.tamper import outside_inputs, tampering
from kpibook.template import FormTemplate
from kpibook.xlsx_scan import (
    CorruptWorkbook,
    FormBook,
    NamedCell,
    RefusedWorkbook,
    read_form_book,
)


class ReturnResult(BaseModel):
    """What checking one returned file found, and the entries read from it."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(description="File name.")
    path: str = Field(description="Path as given.")
    sha256: str = Field(description="SHA-256 of the file's bytes.")
    stamp: Stamp | None = Field(description="The form stamp, when it could be read.")
    department: str | None = Field(description="The department the form is stamped for.")
    findings: list[Finding] = Field(description="Errors first, then warnings, by cell.")
    entries: list[ProjectEntry] = Field(
        description="The department's entries, from cells without errors."
    )
    sections: list[SectionEntry] = Field(
        default_factory=list,
        description="The department's evaluations of the sections it owns (form version 3).",
    )

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


class CheckReport(BaseModel):
    """Every return checked against one plan."""

    model_config = ConfigDict(extra="forbid")

    plan: str
    fiscal_year: int
    returns: list[ReturnResult]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.returns)

    def counts(self) -> dict[str, int]:
        return {
            "returns": len(self.returns),
            "with_errors": sum(not r.ok for r in self.returns),
            "errors": sum(len(r.errors) for r in self.returns),
            "warnings": sum(len(r.warnings) for r in self.returns),
        }


def check_returns(
    plan: Plan,
    paths: list[Path],
    template: FormTemplate | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    use: list[Path] | None = None,
) -> CheckReport:
    """Check every file, on every core; one broken file never stops the others.
    ``use`` settles which of a department's several returns counts (no conflict)."""
    from kpibook.template import plan_template

    template = template or plan_template(plan)
    context = Fingerprinter(plan, template)
    # what every return's check asks of the plan, made here once, not in every worker
    plan.build_indexes()
    context.shared(FORM_VERSION)
    results = map_files(_check_one, context, paths, jobs, progress)
    return CheckReport(
        plan=plan.id,
        fiscal_year=plan.report_year,
        returns=_one_return_each(results, paths, use or [], template.terms.words()),
    )


def _one_return_each(
    results: list[ReturnResult], paths: list[Path], use: list[Path], words: dict[str, str]
) -> list[ReturnResult]:
    """A department that sent several returns: byte-identical copies (``… (1).xlsx``)
    are one return, the later ones marked; different ones are a *conflict* on each,
    unless ``use`` names the one to take."""
    by_dept: dict[str, list[int]] = {}
    for n, result in enumerate(results):
        if result.department is not None:
            by_dept.setdefault(result.department, []).append(n)
    chosen = {Path(p).resolve() for p in use}
    out = list(results)
    for department, indexes in by_dept.items():
        if len(indexes) < 2:
            continue
        first_by_digest: dict[str, int] = {}
        distinct: list[int] = []
        for n in indexes:
            first = first_by_digest.setdefault(results[n].sha256, n)
            if first != n:
                out[n] = _with(
                    out[n],
                    finding(Code.DUPLICATE_COPY, out[n].file, raw=out[first].file, words=words),
                )
            else:
                distinct.append(n)
        if len(distinct) < 2 or any(Path(paths[n]).resolve() in chosen for n in distinct):
            continue
        for n in distinct:
            others = "、".join(results[m].file for m in distinct if m != n)
            out[n] = _with(
                out[n],
                finding(Code.CONFLICT, out[n].file, field=department, raw=others, words=words),
            )
    return out


def _with(result: ReturnResult, extra: Finding) -> ReturnResult:
    return result.model_copy(update={"findings": _in_order([*result.findings, extra])})


def _in_order(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings; each by sheet and cell in reading order."""
    order = {Severity.ERROR: 0, Severity.WARNING: 1}
    return sorted(findings, key=lambda f: (order[f.severity], f.sheet or "", _cell_order(f.cell)))


def _check_one(fingerprints: Fingerprinter, path: Path) -> ReturnResult:
    try:
        return check_return(fingerprints.plan, path, fingerprints.template, fingerprints)
    except Exception as exc:  # a bug: this file is reported, the others are still checked
        return _failed_return(path, exc)


def _failed_return(path: Path, exc: Exception) -> ReturnResult:
    """What is reported for a file the check failed on (a bug in kpibook)."""
    detail = f"{type(exc).__name__}: {exc}"
    return ReturnResult(
        file=shown_name(Path(path).name),
        path=shown_name(str(path)),
        sha256=_sha256(Path(path)),
        stamp=None,
        department=None,
        findings=[finding(Code.CHECK_FAILED, shown_name(Path(path).name), detail=detail)],
        entries=[],
    )


def check_return(
    plan: Plan,
    path: Path,
    template: FormTemplate,
    fingerprints: Fingerprinter | None = None,
) -> ReturnResult:
    """Check one returned file."""
    fingerprints = fingerprints or Fingerprinter(plan, template)
    c = Check(plan, template, fingerprints, Path(path))
    digest = _sha256(Path(path))
    try:
        stamp, entries = _check(c)
    except Exception as exc:  # the last line of defence, for this one file
        # Damaged zips and XML are handled where they are read; whatever else escapes is
        # still this file's problem alone: a finding naming the exception, never a
        # traceback, and the other files are read.  Nothing of this file is used.
        unexpected = f"unexpected {type(exc).__name__} while reading it: {exc}"
        c.add(Code.CORRUPT_FILE, detail=unexpected)
        stamp, entries = c.stamp, []
        c.sections = []
    findings = _in_order(c.findings)
    return ReturnResult(
        file=c.file,
        path=shown_name(str(path)),
        sha256=digest,
        stamp=stamp,
        department=stamp.department if stamp else None,
        findings=findings,
        entries=entries,
        sections=c.sections,
    )


def _sha256(path: Path) -> str:
    """SHA-256 of the file, read in blocks (a hostile file may be large)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return ""
    return h.hexdigest()


def _cell_order(cell: str | None) -> tuple[int, int]:
    """Findings of a sheet by row, then column; those without a cell first."""
    try:
        return parse_a1(cell) if cell else (-1, -1)
    except ValueError:  # a tampered label range names its cells as it likes
        return (-1, -1)


def _check(c: Check) -> tuple[Stamp | None, list[ProjectEntry]]:
    unpacked: dict[str, bytes] = {}  # the parts pre-flight unpacks, not unpacked twice
    refusal = preflight(c.path, unpacked)
    if refusal is not None:
        c.add(refusal.code, detail=refusal.detail)
        return None, []
    try:
        c.book = read_form_book(c.path, probe=LABELS_NAME, unpacked=unpacked)
    except RefusedWorkbook as exc:
        c.add(Code.XML_REFUSED, detail=exc.problems[0].message.en)
        return None, []
    except CorruptWorkbook as exc:
        c.add(Code.CORRUPT_FILE, detail=exc.problems[0].message.en)
        return None, []
    except LoadError as exc:
        c.add(Code.NOT_A_WORKBOOK, detail=exc.problems[0].message.en if exc.problems else "")
        return None, []
    for code, part in c.book.notes:
        c.add(code, detail=part)
    for sheet, row, col, index in c.book.bad_strings:
        c.add(Code.BAD_STRING_INDEX, NamedCell(sheet, row, col, index, "x"), raw=index)
    stamp = c.stamp = _stamp(c, c.book)
    if stamp is None:
        return None, []
    content = form_content(c.plan, stamp.department)
    c.names = SCHEMES[stamp.form_version]
    c.places = {fp.project.id: f"{fp.number} {fp.project.name}" for fp in content.projects}
    c.places |= {
        f"{SECTION_PREFIX}.{p.section.id}": f"{p.numbers()} {p.section.title or ''}".strip()
        for p in content.sections
    }
    expected = c.fingerprints.of(
        stamp.department, [fp.project for fp in content.projects], stamp.form_version
    )
    if stamp.fingerprint != expected:
        c.add(_why_fingerprint_differs(c, stamp, [fp.project for fp in content.projects]))
        return stamp, []
    tampering(c, c.book, content)
    entries = read_entries(c, c.book, content)
    if not any(f.code is Code.NAME_MISSING for f in c.findings):
        outside_inputs(c, c.book)  # (with a name lost, its input would be told twice)
    return stamp, entries


def _why_fingerprint_differs(c: Check, stamp: Stamp, projects: list[Project]) -> Code:
    """TEMPLATE_DIFFERS when the form was made from the plan as it is, with another
    template (the coordinator changed it, or forgot the one the forms were made with):
    the department need not refill anything.  OUTDATED_FORM otherwise."""
    now = c.fingerprints.template_digest(stamp.form_version)
    if stamp.template is not None and now is not None and stamp.template != now:
        same_plan = c.fingerprints.of(
            stamp.department, projects, stamp.form_version, template=stamp.template
        )
        if same_plan == stamp.fingerprint:
            return Code.TEMPLATE_DIFFERS
    elif stamp.template is None:
        # A form of version 1 or 2 does not say its template: it may be the built-in one,
        # from before the plan named its own (the forms of this year already handed out).
        builtin = c.fingerprints.with_builtin_template()
        if builtin is not None:
            made = builtin.of(stamp.department, projects, stamp.form_version)
            if made == stamp.fingerprint:
                return Code.TEMPLATE_DIFFERS
    return Code.OUTDATED_FORM


def _stamp(c: Check, book: FormBook) -> Stamp | None:
    rows = book.ranges.get(STAMP_NAME)
    if rows is None:
        t = c.template
        marks = {t.sheet, t.instructions_sheet}
        labels = {t.self_grade.label, *(e.label for e in t.texts)}
        ours = [n for n, cell in book.names.items() if cell and c.names.parse(n)]
        if ours and STAMP_SHEET not in book.sheetnames:
            # the inputs' names survived, the very hidden stamp sheet did not
            gone = "、".join(s for s in (STAMP_SHEET, t.lists_sheet) if s not in book.sheetnames)
            c.add(Code.HIDDEN_SHEETS_REMOVED, detail=gone)
        elif marks & set(book.sheetnames) or len(labels & book.strings) >= 2:
            c.add(Code.NAMES_LOST)
        else:
            c.add(Code.NOT_A_FORM)
        return None
    try:
        stamp = Stamp.from_rows(rows)
    except StampError as exc:
        c.add(Code.STAMP_INVALID, detail=str(exc))
        return None
    plan = c.plan
    if stamp.form_version not in SUPPORTED_VERSIONS:
        supported = ", ".join(map(str, sorted(SUPPORTED_VERSIONS)))
        c.add(Code.FORM_VERSION, raw=stamp.form_version, expected=supported)
    elif stamp.plan != plan.id:
        c.add(Code.WRONG_PLAN, raw=stamp.plan, expected=plan.id)
    elif stamp.fiscal_year != plan.report_year:
        c.add(
            Code.WRONG_YEAR,
            raw=era_label(stamp.fiscal_year, "long"),
            expected=era_label(plan.report_year, "long"),
        )
    elif not plan.has_department(stamp.department):
        c.add(Code.UNKNOWN_DEPARTMENT, raw=stamp.department)
    elif (named := department_in_file_name(c.path.name, plan)) not in (None, stamp.department):
        c.add(Code.DEPARTMENT_MISMATCH, raw=named, expected=stamp.department)
    else:
        return stamp
    return None
