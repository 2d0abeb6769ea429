"""Check returned forms against the plan: identity, values, rules and tampering.

A return is located entirely through its defined names and its stamp; nothing is read by
guessing positions.  Every problem becomes a :class:`~kpibook.findings.Finding` and the
check goes on; the entries read from a return are those whose cells are clean, and the
plan's values always win over what a return shows in a locked cell.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kpibook.cells import a1, parse_a1
from kpibook.contract.content import FormContent, form_content
from kpibook.contract.files import department_in_file_name
from kpibook.contract.fingerprint import Fingerprinter
from kpibook.contract.inputs import (
    FormInput,
    form_inputs,
    group_keys,
    prefilled_fields,
    prefilled_texts,
    prefilled_values,
)
from kpibook.contract.names import SCHEMES, SECTION_PREFIX, NameScheme
from kpibook.contract.specs import STATE_KINDS, STATE_PRELIMINARY, prefilled_cell
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
from kpibook.fields import FieldSpec, number_problem
from kpibook.findings import Code, Finding, Severity, finding
from kpibook.fiscal import era_label
from kpibook.parallel import Progress, map_files
from kpibook.plan import Plan, Project
from kpibook.returns.normalize import (
    NotANumber,
    control_characters,
    fold_choice,
    is_dash,
    parse_number_text,
)
from kpibook.returns.preflight import preflight
from kpibook.template import FormTemplate, fields_of
from kpibook.values import ActualStatus, BadValue, Value, ValueKind, format_number
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


Label = tuple[str, str, Any, Any, tuple[int, int] | None]


@dataclass
class _Check:
    plan: Plan
    template: FormTemplate
    fingerprints: Fingerprinter
    path: Path
    book: FormBook | None = None
    stamp: Stamp | None = None
    """The form's stamp, once read and valid."""
    names: NameScheme = SCHEMES[FORM_VERSION]
    """The name scheme of the form's version, once its stamp is read."""
    labels: list[Label] = field(default_factory=list)
    """The form's recorded labels where they are now: (sheet, cell, expected, found,
    (row, col) or None where the recorded cell is no reference)."""
    prefilled: dict[str, NamedCell] = field(default_factory=dict)
    """Form version 3: the prefilled cells located through their groups' names, by
    each cell's own name."""
    places: dict[str, str] = field(default_factory=dict)
    """Each project of the form as the department sees it: ``1.(1) 市民大学``; each
    section it evaluates by its number and title."""
    sections: list[SectionEntry] = field(default_factory=list)
    """The owner's evaluations read from the form."""
    preliminary: set[tuple[str, str]] = field(default_factory=set)
    """(project, indicator) of the actuals reported as 速報値."""
    findings: list[Finding] = field(default_factory=list)

    @property
    def file(self) -> str:
        return shown_name(self.path.name)

    def add(self, code: Code, cell: NamedCell | None = None, **kw: Any) -> None:
        if cell is not None and cell.sheet is not None:
            kw.setdefault("sheet", cell.sheet)
            kw.setdefault("cell", a1(cell.row, cell.col))
        shown = {k: _visible(v) for k, v in kw.items()}
        self.findings.append(finding(code, self.file, words=self.words, **shown))

    @cached_property
    def words(self) -> dict[str, str]:
        return self.template.terms.words()


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(value: Any) -> Any:
    """Text from a cell or a zip as a finding shows it: a control character is written
    U+001B, never sent to the coordinator's terminal.  XML cannot hold one, but
    ``_x001B_`` decodes to ESC, and a zip's part names are any bytes."""
    if isinstance(value, str) and _CONTROL.search(value):
        return _CONTROL.sub(lambda m: f"U+{ord(m[0]):04X}", value)
    return value


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
    c = _Check(plan, template, fingerprints, Path(path))
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


def shown_name(name: str) -> str:
    """A file name as text that prints and saves anywhere: bytes that are not UTF-8 (a
    name made on a system with another encoding) are shown as ``\\xff`` escapes, instead
    of ending the report or the master with UnicodeEncodeError."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


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


def _check(c: _Check) -> tuple[Stamp | None, list[ProjectEntry]]:
    refusal = preflight(c.path)
    if refusal is not None:
        c.add(refusal.code, detail=refusal.detail)
        return None, []
    try:
        c.book = read_form_book(c.path, probe=LABELS_NAME)
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
    _tampering(c, c.book, content)
    entries = _entries(c, c.book, content)
    if not any(f.code is Code.NAME_MISSING for f in c.findings):
        _outside_inputs(c, c.book)  # (with a name lost, its input would be told twice)
    return stamp, entries


def _why_fingerprint_differs(c: _Check, stamp: Stamp, projects: list[Project]) -> Code:
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


def _stamp(c: _Check, book: FormBook) -> Stamp | None:
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


# -- tampering --------------------------------------------------------------------------


def _tampering(c: _Check, book: FormBook, content: FormContent) -> None:
    """Every prefilled value must equal the plan's, and every label the form's; the
    plan's values are used regardless."""
    if book.renamed is not None:  # one finding, not one per label of the renamed sheet
        c.add(Code.SHEET_RENAMED, detail=" → ".join(book.renamed))
    named = {(cell.sheet, cell.row, cell.col) for cell in book.named_cells()}
    named |= {(sheet, row, col) for sheet, row, col, _ in book.bad_strings}
    c.labels = _labels_where_they_went(c, book)
    for sheet, ref, expected, found, at in c.labels:
        if at is not None and (sheet, *at) in named:
            continue  # compared with the plan below, or already reported as damaged
        if (found or "") != expected:
            c.findings.append(
                finding(
                    Code.PREFILLED_CHANGED,
                    c.file,
                    sheet=sheet,
                    cell=ref,
                    raw=_visible(found or ""),
                    expected=_visible(expected),  # read from the file's hidden sheet too
                )
            )
    fields = fields_of(c.plan, c.template) if c.names.custom_fields else []
    for fp in content.projects:
        pid = fp.project.id
        texts = [
            (c.names.project(pid, key), text)
            for key, text in prefilled_texts(fp, c.template).items()
        ]
        values = prefilled_values(fp, c.plan, c.template, c.names)
        texts += [(pf.name, pf.text) for pf in prefilled_fields(fp, fields, c.names)]
        if not c.names.names_each_prefilled:
            keys = [name for name, _ in texts] + [name for name, _ in values]
            _locate_groups(c, book, keys)
        for name, text in texts:
            _same_text(c, book, name, text)
        for name, value in values:
            _same_value(c, book, name, value)


def _locate_groups(c: _Check, book: FormBook, keys: list[str]) -> None:
    """Form version 3: each prefilled cell of a project (``keys``, the contract's list)
    through its group's name, which lists the group's cells in the contract's order.  A
    group whose name is gone, points at something else, or lists another number of cells
    locates none of its cells: each is then reported as missing, as a lost name of its
    own was in versions 1 and 2."""
    for group, listed in group_keys(keys, c.names).items():
        cells = book.unions.get(group)
        if cells is None:
            one = book.names.get(group)
            cells = [one] if one is not None else []
        if len(cells) == len(listed):
            c.prefilled.update(zip(listed, cells, strict=True))


CONFIRMING = 3
"""Labels after a shift that must match too before rows count as inserted: a form repeats
labels (年度, 目標値 on every card), so one match further down proves nothing."""
MAX_INSERTED = 50


def _labels_where_they_went(c: _Check, book: FormBook) -> list[Label]:
    """The recorded labels, each looked for where it is now: rows inserted above some of
    them (Calc and Excel move the names with them, so the values still read) shift them
    down.  A consistent shift is one ``rows-inserted`` warning, not one error per label
    below it; a label that is not found at any shift is compared where it was."""
    rows: dict[str, list[tuple[int, int, str, Any]]] = {}
    out: list[Label] = []
    for sheet, ref, expected, found in book.probed:
        at = _ref_at(ref)
        if at is not None and sheet in book.cells:
            rows.setdefault(sheet, []).append((*at, ref, expected))
        else:
            out.append((sheet, ref, expected, found, at))
    for sheet, labels in rows.items():
        cells = book.cells[sheet]
        labels.sort()
        shift, inserted = 0, []
        for n, (row, col, ref, expected) in enumerate(labels):
            if not _holds(cells, labels[n], shift):
                for more in range(shift + 1, shift + MAX_INSERTED + 1):
                    later = labels[n : n + 1 + CONFIRMING]
                    if all(_holds(cells, label, more) for label in later):
                        inserted.append((ref, more - shift))
                        shift = more
                        break
            found = cells.get((row + shift, col), (None, ""))[0]
            moved = ref if not shift else a1(row + shift, col)
            out.append((sheet, moved, expected, found, (row + shift, col)))
        if inserted:
            where = "、".join(f"{ref}の上に{n}行" for ref, n in inserted)
            c.add(Code.ROWS_INSERTED, sheet=sheet, detail=where)
    return out


def _holds(
    cells: dict[tuple[int, int], tuple[Any, str]], label: tuple[int, int, str, Any], shift: int
) -> bool:
    row, col, _, expected = label
    return bool((cells.get((row + shift, col), (None, ""))[0] or "") == expected)


def _outside_inputs(c: _Check, book: FormBook) -> None:
    """Text typed where nothing is read -- beside an actual after the protection was
    removed (「※3月分は速報値」), or a figure in a shared project's row by a department
    that does not lead it -- is said, never dropped silently.  Every cell the form wrote
    is a named cell or a label recorded beside the stamp; anything else was typed."""
    if not c.labels:
        return  # a form without its record of labels: nothing to tell typed text from
    written: dict[str, set[tuple[int, int]]] = {}
    for sheet, _, _, _, at in c.labels:
        if at is not None:
            written.setdefault(sheet, set()).add(at)
    for cell in book.named_cells():
        written.setdefault(cell.sheet or "", set()).add((cell.row, cell.col))
    for sheet in sorted(written):
        mine = written[sheet]
        typed = [
            (at, value)
            for at, (value, _) in book.cells.get(sheet, {}).items()
            if value is not None and at not in mine and not _blank(value)
        ]
        for (row, col), value in sorted(typed, key=lambda t: t[0]):
            c.findings.append(
                finding(Code.NOT_READ, c.file, sheet=sheet, cell=a1(row, col), raw=value)
            )


def _ref_at(ref: str) -> tuple[int, int] | None:
    """(row, col) of an A1 reference; None for text that is not one."""
    try:
        return parse_a1(ref)
    except ValueError:
        return None


def _same_text(c: _Check, book: FormBook, name: str, text: str) -> None:
    cell = _prefilled_cell(c, book, name, text)
    if cell is None or cell.kind == "x":
        return  # not located (reported), or its text is damaged (reported with the file's)
    found = "" if cell.value is None else str(cell.value)
    if found.replace("\r\n", "\n") != text:
        c.add(Code.PREFILLED_CHANGED, cell, raw=found, expected=text)


def _prefilled_cell(c: _Check, book: FormBook, name: str, expected: Any) -> NamedCell | None:
    """The cell a prefilled name points at; a name lost or pointing nowhere is a finding
    (the cell was deleted, or the name removed), never a value silently not compared."""
    cell = book.names.get(name) if c.names.names_each_prefilled else c.prefilled.get(name)
    if cell is None:
        shown = format_number(expected) if isinstance(expected, Decimal) else str(expected)
        c.add(Code.PREFILLED_MISSING, raw=name, expected=shown)
    return cell


def _same_value(c: _Check, book: FormBook, name: str, value: Value | None) -> None:
    expected = prefilled_cell(value)
    cell = _prefilled_cell(c, book, name, expected)
    if cell is None or cell.kind == "x":
        return  # not located (reported), or already reported as damaged
    if isinstance(expected, Decimal):
        found = cell.value
        if type(found) is int:  # exact; most prefilled numbers are whole
            ok = expected == found
        else:
            ok = isinstance(found, float) and Decimal(format(found, ".15g")) == expected
        shown = format_number(expected)
    else:
        ok = cell.value == expected
        shown = expected
    if not ok:
        c.add(Code.PREFILLED_CHANGED, cell, raw=cell.value, expected=shown)


# -- values -----------------------------------------------------------------------------


def _entries(c: _Check, book: FormBook, content: FormContent) -> list[ProjectEntry]:
    every = form_inputs(content, c.template, c.names)
    inputs = [i for i in every if i.field not in SECTION_FIELDS]
    c.sections = _section_entries(c, book, [i for i in every if i.field in SECTION_FIELDS])
    by_name = {i.name: i for i in inputs}
    texts: dict[str, dict[str, Any]] = {}
    actuals: dict[str, dict[str, Value]] = {}
    grades: dict[str, str] = {}
    notes: dict[tuple[str, str], str] = {}
    custom: dict[str, dict[str, Any]] = {}
    indicator_custom: dict[str, dict[str, dict[str, Any]]] = {}
    failed: set[str] = set()
    """Inputs already reported as unreadable: no rule is applied to them."""
    for inp in inputs:
        if inp.field == "state":
            continue  # read together with its actual
        if inp.field == "actual":
            assert inp.indicator is not None
            state = by_name[c.names.indicator(inp.project, inp.indicator.id, "state")]
            value = _actual(c, book, inp, state)
            if value is None:
                failed.add(inp.name)
            else:
                actuals.setdefault(inp.project, {})[inp.indicator.id] = value
            continue
        cell = _located(c, book, inp)
        if cell is None:
            failed.add(inp.name)
        elif inp.custom is not None:
            value = _custom(c, inp, inp.custom, cell)
            if value is None and not _blank(cell.value):
                failed.add(inp.name)
            elif value is not None and inp.indicator is not None:
                held = indicator_custom.setdefault(inp.project, {})
                held.setdefault(inp.indicator.id, {})[inp.custom.key] = value
            elif value is not None:
                custom.setdefault(inp.project, {})[inp.custom.key] = value
        elif inp.field == "self_grade":
            grade = _grade(c, inp, cell)
            if grade is None and not _blank(cell.value):
                failed.add(inp.name)
            elif grade is not None:
                grades[inp.project] = grade
        else:
            text = _text(c, inp, cell)
            if text is None and not _blank(cell.value):
                failed.add(inp.name)
            elif text is not None and inp.field == "actual_note":
                assert inp.indicator is not None
                notes[(inp.project, inp.indicator.id)] = text
            elif text is not None:
                texts.setdefault(inp.project, {})[inp.field] = text
    for (pid, iid), note in notes.items():
        value = actuals.setdefault(pid, {}).get(iid, Value(kind=ValueKind.EMPTY))
        actuals[pid][iid] = value.with_note(note)
    entries = []
    for fp in content.projects:
        if not fp.writes:
            continue
        pid = fp.project.id
        entry = ProjectEntry(
            project=pid,
            actuals=actuals.get(pid, {}),
            actual_status={
                iid: ActualStatus.PRELIMINARY for p, iid in sorted(c.preliminary) if p == pid
            },
            self_grade=grades.get(pid),
            fields=custom.get(pid, {}),
            indicator_fields=indicator_custom.get(pid, {}),
            **texts.get(pid, {}),
        )
        mine = [i for i in inputs if i.project == pid and i.name not in failed]
        _rules(c, book, entry, mine)
        entries.append(entry)
    return entries


SECTION_FIELDS = ("section_grade", "section_explanation")


def _section_entries(c: _Check, book: FormBook, inputs: list[FormInput]) -> list[SectionEntry]:
    """The owner's evaluation of each section it evaluates: a grade of that level's scale
    (required), and its reasons, required with the grades the plan does not make them
    optional for."""
    out = []
    for grade_input, reasons_input in zip(inputs[::2], inputs[1::2], strict=True):
        sid = grade_input.project
        grade_cell = _located(c, book, grade_input)
        reasons_cell = _located(c, book, reasons_input)
        grade = reasons = None
        if grade_cell is not None:
            choices = list(grade_input.spec.validation["source"])
            grade = _choice(c, grade_input, grade_cell, choices)
            if grade is None and _blank(grade_cell.value):
                c.add(Code.REQUIRED_MISSING, grade_cell, field=grade_input.label)
        if reasons_cell is not None:
            reasons = _text(c, reasons_input, reasons_cell)
            unreadable = reasons is None and not _blank(reasons_cell.value)
            if not unreadable and reasons is None and grade in reasons_input.spec.required_for:
                c.add(Code.EXPLANATION_REQUIRED, reasons_cell, field=reasons_input.label, raw=grade)
        out.append(SectionEntry(section=sid, grade=grade, explanation=reasons))
    return out


def _located(c: _Check, book: FormBook, inp: FormInput) -> NamedCell | None:
    cell = book.names.get(inp.name)
    if cell is None:
        key = f"{SECTION_PREFIX}.{inp.project}" if inp.field in SECTION_FIELDS else inp.project
        place = c.places.get(key, inp.project)
        c.add(Code.NAME_MISSING, field=inp.label, raw=inp.name, detail=place)
        return None
    merge = book.merge_over(cell.sheet, cell.row, cell.col)
    if merge is not None:
        r1, c1, r2, c2 = merge
        c.add(Code.INPUT_MERGED, cell, field=inp.label, raw=f"{a1(r1, c1)}:{a1(r2, c2)}")
        return None
    if cell.kind == "x":
        return None  # its shared-string index points nowhere: reported with the file's
    if cell.kind == "f":
        c.add(Code.FORMULA_IN_INPUT, cell, field=inp.label, raw=cell.value)
        return None
    if cell.kind == "e":
        c.add(Code.ERROR_VALUE, cell, field=inp.label, raw=cell.value)
        return None
    escapes = book.shown_as_written.get((cell.sheet or "", cell.row, cell.col))
    if escapes:
        shown = "、".join(f"{e} を「{_decoded(e)}」" for e in dict.fromkeys(escapes))
        detail = f"{shown}として読み込み。LibreOffice では書かれたとおりに表示されます"
        c.add(Code.TEXT_NORMALIZED, cell, field=inp.label, raw=cell.value, detail=detail)
    return cell


def _decoded(escape: str) -> str:
    """``_x0041_`` as the character it stands for, shown even when it is invisible."""
    char = chr(int(escape[2:6], 16))
    return char if char.isprintable() else f"U+{ord(char):04X}"


def _actual(c: _Check, book: FormBook, inp: FormInput, state_input: FormInput) -> Value | None:
    """The report-year actual from its number cell and its state cell (None: reported)."""
    assert inp.indicator is not None
    cell = _located(c, book, inp)
    state_cell = _located(c, book, state_input)
    if cell is None or state_cell is None:
        return None
    state: ValueKind | None = None
    preliminary = False
    if not _blank(state_cell.value):
        chosen = str(state_cell.value).strip()
        state = STATE_KINDS.get(chosen)
        offered = state_input.spec.validation["source"]
        preliminary = chosen == STATE_PRELIMINARY and chosen in offered
        if state is None and not preliminary:
            c.add(
                Code.NOT_A_CHOICE,
                state_cell,
                field=state_input.label,
                raw=state_cell.value,
                expected="・".join(offered),
            )
            return None
    number = _number(c, inp, cell)
    if number is None:
        return None
    if preliminary:  # 速報値: the figure beside it is preliminary; it must be there
        if number.kind is not ValueKind.NUMBER:
            c.add(Code.REQUIRED_MISSING, cell, field=inp.label)
            return None
        c.preliminary.add((inp.project, inp.indicator.id))
        return number
    typed_state = number.kind if number.kind in STATE_KINDS.values() else None
    both = state is not None and (
        number.kind is ValueKind.NUMBER or typed_state not in (None, state)
    )
    if both:  # a number, or another state typed in the number cell, beside a state
        c.add(
            Code.ACTUAL_AND_STATE,
            cell,
            field=inp.label,
            raw=cell.value,
            expected=str(state_cell.value),
        )
        return None
    if typed_state is not None and not is_dash(str(cell.value)):
        state, state_cell = typed_state, cell
    if state is ValueKind.PENDING and not c.plan.checks.allow_pending:
        c.add(Code.PENDING_NOT_ALLOWED, state_cell, field=state_input.label, raw="集計中")
        return None
    return Value(kind=state) if state is not None else number


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip(" \u3000\t\r\n") == "")


def _number(c: _Check, inp: FormInput, cell: NamedCell) -> Value | None:
    """The number cell: a number, a dash (not applicable), empty, or an error."""
    raw, unit = cell.value, _unit(inp)
    if _blank(raw):
        return Value(kind=ValueKind.EMPTY)
    if isinstance(raw, bool) or cell.kind == "b":
        c.add(Code.NOT_A_NUMBER, cell, field=inp.label, raw=raw)
        return None
    if isinstance(raw, int | float):
        try:
            value = Value.of(raw)
        except BadValue:  # 16 digits and more, or 1e999 written into the XML
            digits = isinstance(raw, int) or math.isfinite(raw)
            code = Code.TOO_MANY_DIGITS if digits else Code.NOT_A_NUMBER
            c.add(code, cell, field=inp.label, raw=raw)
            return None
        assert value.number is not None
        if c.book is not None and (cell.sheet or "", cell.row, cell.col) in c.book.percent_cells:
            shown = _percent(c, inp, cell, value.number)
            if shown is None:
                return None
            value = shown
        number = value.number
        assert number is not None
        return value if _valid_number(c, inp, cell, number) else None
    if not isinstance(raw, str):  # a date, a time
        c.add(Code.NOT_A_NUMBER, cell, field=inp.label, raw=raw)
        return None
    if is_dash(raw):
        c.add(Code.DASH_AS_NOT_APPLICABLE, cell, field=inp.label, raw=raw)
        return Value(kind=ValueKind.NOT_APPLICABLE)
    typed = STATE_KINDS.get(raw.strip(" \u3000\t\r\n"))
    if typed is not None:  # 集計中 typed where the number goes: what the department meant
        c.add(Code.STATE_IN_NUMBER, cell, field=inp.label, raw=raw)
        return Value(kind=typed)
    try:
        parsed = parse_number_text(raw, unit)
    except NotANumber:
        c.add(Code.NOT_A_NUMBER, cell, field=inp.label, raw=raw)
        return None
    if not _valid_number(c, inp, cell, parsed.value):
        return None
    c.add(
        Code.NUMBER_NORMALIZED,
        cell,
        field=inp.label,
        raw=raw,
        value=format_number(parsed.value),
        detail="、".join(parsed.changes),
    )
    return Value(kind=ValueKind.NUMBER, number=parsed.value)


def _unit(inp: FormInput) -> str | None:
    """The unit of what an input holds: a custom field's own, else its indicator's."""
    if inp.custom is not None:
        return inp.custom.unit
    return inp.indicator.unit if inp.indicator else None


def _percent(c: _Check, inp: FormInput, cell: NamedCell, number: Decimal) -> Value | None:
    """A number the cell shows as a percent: 89.8% typed in LibreOffice Calc is stored as
    0.898 in a cell it formats as a percent.  For a % indicator that is 89.8, read as the
    department saw it (with a warning); for any other unit it is an error."""
    shown = number * 100
    if _unit(inp) == "%":
        c.add(
            Code.PERCENT_NORMALIZED,
            cell,
            field=inp.label,
            raw=f"{format_number(shown)}%",
            value=format_number(shown),
        )
        return Value(kind=ValueKind.NUMBER, number=shown.normalize())
    unit = _unit(inp) or "—"
    c.add(
        Code.PERCENT_IN_COUNT, cell, field=inp.label, raw=f"{format_number(shown)}%", expected=unit
    )
    return None


def _valid_number(c: _Check, inp: FormInput, cell: NamedCell, number: Decimal) -> bool:
    """What the cell's validation declares, enforced again: a value pasted past it (or
    typed in a program that does not enforce it) is refused as Excel would have."""
    rule = inp.spec.validation
    if rule.get("validate") == "integer" and number != number.to_integral_value():
        c.add(Code.NOT_WHOLE, cell, field=inp.label, raw=cell.value)
        return False
    low, high = rule.get("minimum"), rule.get("maximum")
    if low is None or high is None:
        return True
    if not Decimal(str(low)) <= number <= Decimal(str(high)):
        shown = f"{format_number(Decimal(str(low)))}～{format_number(Decimal(str(high)))}"
        c.add(Code.OUT_OF_RANGE, cell, field=inp.label, raw=cell.value, expected=shown)
        return False
    return True


def _grade(c: _Check, inp: FormInput, cell: NamedCell) -> str | None:
    return _choice(c, inp, cell, c.plan.grading.grades)


def _choice(c: _Check, inp: FormInput, cell: NamedCell, grades: list[str]) -> str | None:
    """A grade of ``grades`` (None: blank, or reported as not one of them)."""
    if _blank(cell.value):
        return None
    raw = str(cell.value)
    if raw.strip() in grades:
        return raw.strip()
    folded = fold_choice(raw, grades)
    if folded is not None:
        c.add(Code.CHOICE_NORMALIZED, cell, field=inp.label, raw=raw, value=folded)
        return folded
    c.add(Code.NOT_A_CHOICE, cell, field=inp.label, raw=raw, expected="・".join(grades))
    return None


def _text(c: _Check, inp: FormInput, cell: NamedCell) -> str | None:
    """A text input as it is merged: CR LF and a lone CR become a line feed, whitespace
    and line breaks after the text and before it are removed, except a full-width
    indent (字下げ), kept as typed.  What the department would see differently -- a lone
    CR, which Excel does not show as a line break, and spaces or blank lines removed at
    the start -- is said in a warning."""
    if _blank(cell.value):
        return None
    raw = cell.value
    text = raw if isinstance(raw, str) else str(raw)
    bad = control_characters(text)
    if bad:  # before stripping, which would silently drop some (U+001C to U+001F)
        c.add(Code.ILLEGAL_CHARACTER, cell, field=inp.label, raw=" ".join(bad))
        return None
    changes = []
    if "\r" in text.replace("\r\n", ""):
        changes.append("改行コード CR だけの箇所を改行として読み込み")
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    # A paragraph indented with a full-width space (字下げ) is kept as typed: the master
    # shows what the department saw.  Blank lines and other spaces before the text go.
    start = text.lstrip(" \t\n")
    if start != text:
        changes.append("先頭の空白・空行を除去")
    text = start
    if changes:
        c.add(Code.TEXT_NORMALIZED, cell, field=inp.label, raw=raw, detail="、".join(changes))
    if inp.max_length is not None and len(text) > inp.max_length:
        c.add(
            Code.TEXT_TOO_LONG,
            cell,
            field=inp.label,
            raw=text[:40] + "…",
            value=len(text),
            expected=inp.max_length,
        )
        return None
    return text


# -- rules of the plan -----------------------------------------------------------------


def _rules(c: _Check, book: FormBook, entry: ProjectEntry, inputs: list[FormInput]) -> None:
    """Required entries, and what the department's own grade requires.

    A text is required for the grades its input's spec lists (``required_for``: the
    plan's ``checks.required_when``, else the template's rule; by default 評価の説明
    (card) and 改善策 (matrix: "R5実績が△，×の場合は改善策") below the top grade).  The
    department's grade is what the form asks about; the computed grade is kpibook's, and
    the merge flags where the two disagree.  ``inputs`` excludes those already reported
    as unreadable.
    """
    own = entry.self_grade
    for inp in inputs:
        cell = book.names.get(inp.name)
        if cell is None or inp.field == "state":
            continue
        if inp.field == "actual":
            assert inp.indicator is not None
            value = entry.actuals.get(inp.indicator.id)
            if value is None or value.kind is ValueKind.EMPTY:
                if inp.spec.required:
                    c.add(Code.REQUIRED_MISSING, cell, field=inp.label)
            else:
                _jump(c, cell, inp, value)
        elif inp.custom is not None:
            if _custom_value(entry, inp) is not None:
                continue
            if inp.spec.required:
                c.add(Code.REQUIRED_MISSING, cell, field=inp.label)
            elif own is not None and own in inp.spec.required_for:
                c.add(Code.EXPLANATION_REQUIRED, cell, field=inp.label, raw=own)
        elif inp.field == "actual_note" or getattr(entry, inp.field) is not None:
            continue
        elif inp.spec.required:
            c.add(Code.REQUIRED_MISSING, cell, field=inp.label)
        elif own is not None and own in inp.spec.required_for:
            code = (
                Code.IMPROVEMENT_REQUIRED
                if inp.field == "improvement"
                else Code.EXPLANATION_REQUIRED
            )
            c.add(code, cell, field=inp.label, raw=own)


def _custom_value(entry: ProjectEntry, inp: FormInput) -> Any:
    assert inp.custom is not None
    if inp.indicator is None:
        return entry.fields.get(inp.custom.key)
    return entry.indicator_fields.get(inp.indicator.id, {}).get(inp.custom.key)


def _custom(c: _Check, inp: FormInput, spec: FieldSpec, cell: NamedCell) -> Any:
    """A custom field the department fills, read as its declaration says (None: blank,
    or reported)."""
    if _blank(cell.value):
        return None
    if spec.kind == "text":
        return _text(c, inp, cell)
    if spec.kind == "choice":
        raw = str(cell.value)
        if raw.strip() in spec.choices:
            return raw.strip()
        folded = fold_choice(raw, spec.choices)
        if folded is not None:
            c.add(Code.CHOICE_NORMALIZED, cell, field=inp.label, raw=raw, value=folded)
            return folded
        c.add(Code.NOT_A_CHOICE, cell, field=inp.label, raw=raw, expected="・".join(spec.choices))
        return None
    number = _number(c, inp, cell)
    if number is None or number.kind is not ValueKind.NUMBER or number.number is None:
        if number is not None:  # 集計中 or a dash: not a number this field takes
            c.add(Code.NOT_A_NUMBER, cell, field=inp.label, raw=cell.value)
        return None
    problem = number_problem(spec, number.number)
    if problem is not None:
        c.add(Code.TOO_MANY_DECIMALS, cell, field=inp.label, raw=cell.value, detail=problem.ja)
        return None
    return number.number


def _jump(c: _Check, cell: NamedCell, inp: FormInput, value: Value) -> None:
    factor = c.plan.checks.jump_factor
    ind = inp.indicator
    if factor is None or ind is None or value.number is None:
        return
    latest = ind.latest_actual_before(c.plan.report_year)
    if latest is None:
        return
    year, previous = latest[0], latest[1].number
    if previous is None or previous <= 0:
        return
    ratio = value.number / previous
    if ratio > factor or ratio < 1 / factor:
        change = (ratio - 1) * 100
        detail = (
            f"{format_number(value.number)} ({era_label(c.plan.report_year)}) vs "
            f"{format_number(previous)} ({era_label(year)}): {change:+.0f}%"
        )
        c.add(Code.JUMP, cell, field=inp.label, raw=cell.value, detail=detail)
