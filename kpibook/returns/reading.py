"""Reading a return's inputs: each actual, state, grade, text and custom field at its
named cell, as the department saw it in Excel or LibreOffice, then the plan's rules on
them (texts required for some grades, jumps); what is unreadable is a finding."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from kpibook.cells import a1
from kpibook.contract.content import FormContent
from kpibook.contract.inputs import (
    FormInput,
    form_inputs,
)
from kpibook.contract.names import SECTION_PREFIX
from kpibook.contract.specs import STATE_KINDS, STATE_PRELIMINARY
from kpibook.entries import ProjectEntry, SectionEntry
from kpibook.fields import FieldSpec, number_problem
from kpibook.findings import Code
from kpibook.fiscal import era_label
from kpibook.returns.normalize import (
    NotANumber,
    control_characters,
    fold_choice,
    is_dash,
    parse_number_text,
)
from kpibook.returns.state import Check
from kpibook.values import ActualStatus, BadValue, Value, ValueKind, format_number
from kpibook.xlsx_scan import (
    FormBook,
    NamedCell,
)


def read_entries(c: Check, book: FormBook, content: FormContent) -> list[ProjectEntry]:
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
            if value is None and not blank(cell.value):
                failed.add(inp.name)
            elif value is not None and inp.indicator is not None:
                held = indicator_custom.setdefault(inp.project, {})
                held.setdefault(inp.indicator.id, {})[inp.custom.key] = value
            elif value is not None:
                custom.setdefault(inp.project, {})[inp.custom.key] = value
        elif inp.field == "self_grade":
            grade = _grade(c, inp, cell)
            if grade is None and not blank(cell.value):
                failed.add(inp.name)
            elif grade is not None:
                grades[inp.project] = grade
        else:
            text = _text(c, inp, cell)
            if text is None and not blank(cell.value):
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
    by_project: dict[str, list[FormInput]] = {}
    for inp in inputs:
        if inp.name not in failed:
            by_project.setdefault(inp.project, []).append(inp)
    for fp in content.projects:
        if not fp.writes:
            continue
        pid = fp.project.id
        read: dict[str, Any] = {
            "actuals": actuals.get(pid),
            "actual_status": {
                iid: ActualStatus.PRELIMINARY for p, iid in sorted(c.preliminary) if p == pid
            },
            "self_grade": grades.get(pid),
            "fields": custom.get(pid),
            "indicator_fields": indicator_custom.get(pid),
            **texts.get(pid, {}),
        }
        # Only what the return gave is passed (the rest are the defaults): a merge keeps
        # every department's entries, and pydantic remembers each field passed in a set
        # per model, which for all twelve would be most of an entry's size.
        entry = ProjectEntry(project=pid, **{k: v for k, v in read.items() if v not in _UNSET})
        _rules(c, book, entry, by_project.get(pid, []))
        entries.append(entry)
    return entries


_UNSET: tuple[object, ...] = (None, {})
"""What an entry's field is when its return gave nothing for it (the defaults)."""

SECTION_FIELDS = ("section_grade", "section_explanation")


def _section_entries(c: Check, book: FormBook, inputs: list[FormInput]) -> list[SectionEntry]:
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
            if grade is None and blank(grade_cell.value):
                c.add(Code.REQUIRED_MISSING, grade_cell, field=grade_input.label)
        if reasons_cell is not None:
            reasons = _text(c, reasons_input, reasons_cell)
            unreadable = reasons is None and not blank(reasons_cell.value)
            if not unreadable and reasons is None and grade in reasons_input.spec.required_for:
                c.add(Code.EXPLANATION_REQUIRED, reasons_cell, field=reasons_input.label, raw=grade)
        out.append(SectionEntry(section=sid, grade=grade, explanation=reasons))
    return out


def _located(c: Check, book: FormBook, inp: FormInput) -> NamedCell | None:
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


def _actual(c: Check, book: FormBook, inp: FormInput, state_input: FormInput) -> Value | None:
    """The report-year actual from its number cell and its state cell (None: reported)."""
    assert inp.indicator is not None
    cell = _located(c, book, inp)
    state_cell = _located(c, book, state_input)
    if cell is None or state_cell is None:
        return None
    state: ValueKind | None = None
    preliminary = False
    if not blank(state_cell.value):
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
            why = f"{inp.label}（{STATE_PRELIMINARY}を選んだときは数値を記入）"
            c.add(Code.REQUIRED_MISSING, cell, field=why)
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


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip(" \u3000\t\r\n") == "")


def _number(c: Check, inp: FormInput, cell: NamedCell) -> Value | None:
    """The number cell: a number, a dash (not applicable), empty, or an error."""
    raw, unit = cell.value, _unit(inp)
    if blank(raw):
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


def _percent(c: Check, inp: FormInput, cell: NamedCell, number: Decimal) -> Value | None:
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


def _valid_number(c: Check, inp: FormInput, cell: NamedCell, number: Decimal) -> bool:
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


def _grade(c: Check, inp: FormInput, cell: NamedCell) -> str | None:
    return _choice(c, inp, cell, c.plan.grading.grades)


def _choice(c: Check, inp: FormInput, cell: NamedCell, grades: list[str]) -> str | None:
    """A grade of ``grades`` (None: blank, or reported as not one of them)."""
    if blank(cell.value):
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


def _text(c: Check, inp: FormInput, cell: NamedCell) -> str | None:
    """A text input as it is merged: CR LF and a lone CR become a line feed, whitespace
    and line breaks after the text and before it are removed, except a full-width
    indent (字下げ), kept as typed.  What the department would see differently -- a lone
    CR, which Excel does not show as a line break, and spaces or blank lines removed at
    the start -- is said in a warning."""
    if blank(cell.value):
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


def _rules(c: Check, book: FormBook, entry: ProjectEntry, inputs: list[FormInput]) -> None:
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


def _custom(c: Check, inp: FormInput, spec: FieldSpec, cell: NamedCell) -> Any:
    """A custom field the department fills, read as its declaration says (None: blank,
    or reported)."""
    if blank(cell.value):
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


def _jump(c: Check, cell: NamedCell, inp: FormInput, value: Value) -> None:
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
