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
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kpibook.cells import a1
from kpibook.contract.content import FormContent, form_content
from kpibook.contract.files import department_in_file_name
from kpibook.contract.fingerprint import Fingerprinter
from kpibook.contract.inputs import FormInput, form_inputs, prefilled_texts
from kpibook.contract.names import SCHEMES, NameScheme
from kpibook.contract.specs import STATE_KINDS, prefilled_cell
from kpibook.contract.stamp import (
    FORM_VERSION,
    LABELS_NAME,
    STAMP_NAME,
    SUPPORTED_VERSIONS,
    Stamp,
    StampError,
)
from kpibook.entries import ProjectEntry
from kpibook.errors import LoadError
from kpibook.findings import Finding, Severity, finding
from kpibook.fiscal import era_label
from kpibook.parallel import Progress, map_files
from kpibook.plan import Plan
from kpibook.returns.normalize import (
    NotANumber,
    control_characters,
    fold_choice,
    is_dash,
    parse_number_text,
)
from kpibook.returns.preflight import preflight
from kpibook.template import CardTemplate, FormTemplate
from kpibook.values import BadValue, Value, ValueKind, format_number
from kpibook.xlsx_scan import FormBook, NamedCell, RefusedWorkbook, read_form_book


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


@dataclass
class _Check:
    plan: Plan
    template: FormTemplate
    fingerprints: Fingerprinter
    path: Path
    book: FormBook | None = None
    names: NameScheme = SCHEMES[FORM_VERSION]
    """The name scheme of the form's version, once its stamp is read."""
    findings: list[Finding] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.path.name

    def add(self, code: str, cell: NamedCell | None = None, **kw: Any) -> None:
        if cell is not None and cell.sheet is not None:
            kw.setdefault("sheet", cell.sheet)
            kw.setdefault("cell", a1(cell.row, cell.col))
        self.findings.append(finding(code, self.file, **kw))


def check_returns(
    plan: Plan,
    paths: list[Path],
    template: FormTemplate | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Check every file, on every core; one broken file never stops the others."""
    from kpibook.template import load_template

    template = template or load_template(plan.layout)
    context = Fingerprinter(plan, template)
    return CheckReport(
        plan=plan.id,
        fiscal_year=plan.report_year,
        returns=map_files(_check_one, context, paths, jobs, progress),
    )


def _check_one(fingerprints: Fingerprinter, path: Path) -> ReturnResult:
    try:
        return check_return(fingerprints.plan, path, fingerprints.template, fingerprints)
    except Exception as exc:  # a bug: this file is reported, the others are still checked
        return _failed_return(path, exc)


def _failed_return(path: Path, exc: Exception) -> ReturnResult:
    """What is reported for a file the check failed on (a bug in kpibook)."""
    detail = f"{type(exc).__name__}: {exc}"
    return ReturnResult(
        file=Path(path).name,
        path=str(path),
        sha256=_sha256(Path(path)),
        stamp=None,
        department=None,
        findings=[finding("check-failed", Path(path).name, detail=detail)],
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
    stamp, entries = _check(c)
    order = {Severity.ERROR: 0, Severity.WARNING: 1}
    findings = sorted(
        c.findings,
        key=lambda f: (order[f.severity], f.sheet or "", _cell_order(f.cell)),
    )
    return ReturnResult(
        file=c.file,
        path=str(path),
        sha256=digest,
        stamp=stamp,
        department=stamp.department if stamp else None,
        findings=findings,
        entries=entries,
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
    if not cell:
        return (0, 0)
    m = re.match(r"([A-Z]+)(\d+)", cell)
    if not m:
        return (0, 0)
    col = 0
    for ch in m[1]:
        col = col * 26 + ord(ch) - 64
    return (int(m[2]), col)


def _check(c: _Check) -> tuple[Stamp | None, list[ProjectEntry]]:
    refusal = preflight(c.path)
    if refusal is not None:
        c.add(refusal.code, detail=refusal.detail)
        return None, []
    try:
        c.book = read_form_book(c.path, probe=LABELS_NAME)
    except RefusedWorkbook as exc:
        c.add("xml-refused", detail=exc.problems[0].message_en)
        return None, []
    except LoadError as exc:
        c.add("not-a-workbook", detail=exc.problems[0].message_en if exc.problems else "")
        return None, []
    for code, part in c.book.notes:
        c.add(code, detail=part)
    stamp = _stamp(c, c.book)
    if stamp is None:
        return None, []
    content = form_content(c.plan, stamp.department)
    c.names = SCHEMES[stamp.form_version]
    expected = c.fingerprints.of(
        stamp.department, [fp.project for fp in content.projects], stamp.form_version
    )
    if stamp.fingerprint != expected:
        c.add("outdated-form")
        return stamp, []
    _tampering(c, c.book, content)
    return stamp, _entries(c, c.book, content)


def _stamp(c: _Check, book: FormBook) -> Stamp | None:
    rows = book.ranges.get(STAMP_NAME)
    if rows is None:
        t = c.template
        marks = {t.sheet, t.instructions_sheet}
        labels = {t.self_grade.label, *(e.label for e in t.texts)}
        if marks & set(book.sheetnames) or len(labels & book.strings) >= 2:
            c.add("names-lost")
        else:
            c.add("not-a-form")
        return None
    try:
        stamp = Stamp.from_rows(rows)
    except StampError as exc:
        c.add("stamp-invalid", detail=str(exc))
        return None
    plan = c.plan
    if stamp.form_version not in SUPPORTED_VERSIONS:
        supported = ", ".join(map(str, sorted(SUPPORTED_VERSIONS)))
        c.add("form-version", raw=stamp.form_version, expected=supported)
    elif stamp.plan != plan.id:
        c.add("wrong-plan", raw=stamp.plan, expected=plan.id)
    elif stamp.fiscal_year != plan.report_year:
        c.add(
            "wrong-year",
            raw=era_label(stamp.fiscal_year, "long"),
            expected=era_label(plan.report_year, "long"),
        )
    elif not plan.has_department(stamp.department):
        c.add("unknown-department", raw=stamp.department)
    elif (named := department_in_file_name(c.path.name, plan)) not in (None, stamp.department):
        c.add("department-mismatch", raw=named, expected=stamp.department)
    else:
        return stamp
    return None


# -- tampering --------------------------------------------------------------------------


def _tampering(c: _Check, book: FormBook, content: FormContent) -> None:
    """Every named prefilled value must equal the plan's, and every label the form's; the
    plan's values are used regardless."""
    named = {(cell.sheet, a1(cell.row, cell.col)) for cell in book.names.values() if cell}
    for sheet, ref, expected, found in book.probed:
        if (sheet, ref) in named:
            continue  # compared with the plan below
        if (found or "") != expected:
            c.findings.append(
                finding(
                    "prefilled-changed",
                    c.file,
                    sheet=sheet,
                    cell=ref,
                    raw=found or "",
                    expected=expected,
                )
            )
    for fp in content.projects:
        pid = fp.project.id
        for key, text in prefilled_texts(fp, c.template).items():
            _same_text(c, book, c.names.project(pid, key), text)
        for ind in fp.project.indicators:
            checks: list[tuple[str, Value | None]] = [
                (f"t{y}", v) for y, v in ind.targets.items() if y <= c.plan.report_year
            ]
            checks += [(f"a{y}", v) for y, v in ind.actuals.items()]
            if isinstance(c.template, CardTemplate):
                checks.append(("final", ind.final_target))
            for part, value in checks:
                _same_value(c, book, c.names.indicator(pid, ind.id, part), value)


def _same_text(c: _Check, book: FormBook, name: str, text: str) -> None:
    cell = book.names.get(name)
    if cell is None:
        return  # a prefilled text without a name is not located, so not compared
    found = "" if cell.value is None else str(cell.value)
    if found.replace("\r\n", "\n") != text:
        c.add("prefilled-changed", cell, raw=found, expected=text)


def _same_value(c: _Check, book: FormBook, name: str, value: Value | None) -> None:
    cell = book.names.get(name)
    if cell is None:
        return
    expected = prefilled_cell(value)
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
        c.add("prefilled-changed", cell, raw=cell.value, expected=shown)


# -- values -----------------------------------------------------------------------------


def _entries(c: _Check, book: FormBook, content: FormContent) -> list[ProjectEntry]:
    inputs = form_inputs(content, c.template, c.names)
    by_name = {i.name: i for i in inputs}
    texts: dict[str, dict[str, Any]] = {}
    actuals: dict[str, dict[str, Value]] = {}
    grades: dict[str, str] = {}
    notes: dict[tuple[str, str], str] = {}
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
            self_grade=grades.get(pid),
            **texts.get(pid, {}),
        )
        mine = [i for i in inputs if i.project == pid and i.name not in failed]
        _rules(c, book, entry, mine)
        entries.append(entry)
    return entries


def _located(c: _Check, book: FormBook, inp: FormInput) -> NamedCell | None:
    cell = book.names.get(inp.name)
    if cell is None:
        c.add("name-missing", field=inp.label, raw=inp.name)
        return None
    merge = book.merge_over(cell.sheet, cell.row, cell.col)
    if merge is not None:
        r1, c1, r2, c2 = merge
        c.add("input-merged", cell, field=inp.label, raw=f"{a1(r1, c1)}:{a1(r2, c2)}")
        return None
    if cell.kind == "f":
        c.add("formula-in-input", cell, field=inp.label, raw=cell.value)
        return None
    if cell.kind == "e":
        c.add("error-value", cell, field=inp.label, raw=cell.value)
        return None
    return cell


def _actual(c: _Check, book: FormBook, inp: FormInput, state_input: FormInput) -> Value | None:
    """The report-year actual from its number cell and its state cell (None: reported)."""
    assert inp.indicator is not None
    cell = _located(c, book, inp)
    state_cell = _located(c, book, state_input)
    if cell is None or state_cell is None:
        return None
    state: ValueKind | None = None
    if not _blank(state_cell.value):
        state = STATE_KINDS.get(str(state_cell.value).strip())
        if state is None:
            c.add(
                "not-a-choice",
                state_cell,
                field=state_input.label,
                raw=state_cell.value,
                expected="・".join(STATE_KINDS),
            )
            return None
    number = _number(c, inp, cell)
    if number is None:
        return None
    if number.kind is ValueKind.NUMBER and state is not None:
        c.add(
            "actual-and-state",
            cell,
            field=inp.label,
            raw=cell.value,
            expected=str(state_cell.value),
        )
        return None
    if state is ValueKind.PENDING and not c.plan.checks.allow_pending:
        c.add("pending-not-allowed", state_cell, field=state_input.label, raw="集計中")
        return None
    return Value(kind=state) if state is not None else number


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip(" \u3000\t\r\n") == "")


def _number(c: _Check, inp: FormInput, cell: NamedCell) -> Value | None:
    """The number cell: a number, a dash (not applicable), empty, or an error."""
    raw, unit = cell.value, inp.indicator.unit if inp.indicator else None
    if _blank(raw):
        return Value(kind=ValueKind.EMPTY)
    if isinstance(raw, bool) or cell.kind == "b":
        c.add("not-a-number", cell, field=inp.label, raw=raw)
        return None
    if isinstance(raw, int | float):
        try:
            return Value.of(raw)
        except BadValue:  # 16 digits and more, or 1e999 written into the XML
            digits = isinstance(raw, int) or math.isfinite(raw)
            c.add("too-many-digits" if digits else "not-a-number", cell, field=inp.label, raw=raw)
            return None
    if not isinstance(raw, str):  # a date, a time
        c.add("not-a-number", cell, field=inp.label, raw=raw)
        return None
    if is_dash(raw):
        c.add("dash-as-not-applicable", cell, field=inp.label, raw=raw)
        return Value(kind=ValueKind.NOT_APPLICABLE)
    try:
        parsed = parse_number_text(raw, unit)
    except NotANumber:
        c.add("not-a-number", cell, field=inp.label, raw=raw)
        return None
    c.add(
        "number-normalized",
        cell,
        field=inp.label,
        raw=raw,
        value=format_number(parsed.value),
        detail="、".join(parsed.changes),
    )
    return Value(kind=ValueKind.NUMBER, number=parsed.value)


def _grade(c: _Check, inp: FormInput, cell: NamedCell) -> str | None:
    if _blank(cell.value):
        return None
    grades = c.plan.grading.grades
    raw = str(cell.value)
    if raw.strip() in grades:
        return raw.strip()
    folded = fold_choice(raw)
    if folded in grades:
        c.add("choice-normalized", cell, field=inp.label, raw=raw, value=folded)
        return folded
    c.add("not-a-choice", cell, field=inp.label, raw=raw, expected="・".join(grades))
    return None


def _text(c: _Check, inp: FormInput, cell: NamedCell) -> str | None:
    if _blank(cell.value):
        return None
    raw = cell.value
    text = raw if isinstance(raw, str) else str(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    bad = control_characters(text)
    if bad:
        c.add("illegal-character", cell, field=inp.label, raw=" ".join(bad))
        return None
    if inp.max_length is not None and len(text) > inp.max_length:
        c.add(
            "text-too-long",
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

    Below the top grade, 評価の説明 (card) and 改善策 (matrix: "R5実績が△，×の場合は
    改善策") are required.  The department's grade is what the form asks about; the
    computed grade is kpibook's, and the merge flags where the two disagree.  ``inputs``
    excludes those already reported as unreadable.
    """
    top = c.plan.grading.grades[0]
    own = entry.self_grade
    for inp in inputs:
        cell = book.names.get(inp.name)
        if cell is None or inp.field == "state":
            continue
        if inp.field == "actual":
            assert inp.indicator is not None
            value = entry.actuals.get(inp.indicator.id)
            if value is None or value.kind is ValueKind.EMPTY:
                c.add("required-missing", cell, field=inp.label)
            else:
                _jump(c, cell, inp, value)
        elif inp.field == "actual_note" or getattr(entry, inp.field) is not None:
            continue
        elif inp.spec.required:
            c.add("required-missing", cell, field=inp.label)
        elif inp.field == "grade_explanation" and own not in (None, top):
            c.add("explanation-required", cell, field=inp.label, raw=own)
        elif inp.field == "improvement" and own not in (None, top):
            c.add("improvement-required", cell, field=inp.label, raw=own)


def _jump(c: _Check, cell: NamedCell, inp: FormInput, value: Value) -> None:
    factor = c.plan.checks.jump_factor
    ind = inp.indicator
    if factor is None or ind is None or value.number is None:
        return
    earlier = [
        (y, v.number)
        for y, v in ind.actuals.items()
        if v.number is not None and y < c.plan.report_year
    ]
    if not earlier:
        return
    year, previous = max(earlier, key=lambda yv: yv[0])
    if previous is None or previous <= 0:
        return
    ratio = value.number / previous
    if ratio > factor or ratio < 1 / factor:
        change = (ratio - 1) * 100
        detail = (
            f"{format_number(value.number)} ({era_label(c.plan.report_year)}) vs "
            f"{format_number(previous)} ({era_label(year)}): {change:+.0f}%"
        )
        c.add("jump", cell, field=inp.label, raw=cell.value, detail=detail)
