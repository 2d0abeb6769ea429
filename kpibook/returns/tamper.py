"""Tampering: what a department may not change — the labels, the prefilled cells (the
plan's values, texts and the coordinator's fields), the sheets' names and rows, text typed
outside the inputs — compared with the form contract, each change a finding at its cell."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kpibook.cells import a1, parse_a1
from kpibook.contract.content import FormContent
from kpibook.contract.inputs import (
    group_keys,
    prefilled_fields,
    prefilled_texts,
    prefilled_values,
)
from kpibook.contract.specs import prefilled_cell
from kpibook.findings import Code, finding
from kpibook.returns.reading import blank
from kpibook.returns.state import Check, Label, visible
from kpibook.template import fields_of
from kpibook.values import Value, ValueKind, format_number
from kpibook.xlsx_scan import (
    FormBook,
    NamedCell,
)


def tampering(c: Check, book: FormBook, content: FormContent) -> None:
    """Every prefilled value must equal the plan's, and every label the form's; the
    plan's values are used regardless."""
    if book.renamed is not None:  # one finding, not one per label of the renamed sheet
        c.add(Code.SHEET_RENAMED, detail=" → ".join(book.renamed))
    named = {cell[:3] for cell in book.named_cells()}  # (sheet, row, col)
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
                    raw=visible(found or ""),
                    expected=visible(expected),  # read from the file's hidden sheet too
                )
            )
    fields = fields_of(c.plan, c.template) if c.names.custom_fields else []
    located = book.names if c.names.names_each_prefilled else c.prefilled
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
            cell = located.get(name)
            if (
                cell is not None
                and value is not None
                and value.kind is ValueKind.NUMBER
                and type(cell.value) is int
                and cell.value == value.number
            ):
                continue  # the same number, exactly: most prefilled values are whole
            _same_value(c, book, name, value)


def _locate_groups(c: Check, book: FormBook, keys: list[str]) -> None:
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


def _labels_where_they_went(c: Check, book: FormBook) -> list[Label]:
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


def outside_inputs(c: Check, book: FormBook) -> None:
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
            if value is not None and at not in mine and not blank(value)
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


def _same_text(c: Check, book: FormBook, name: str, text: str) -> None:
    cell = _prefilled_cell(c, book, name, text)
    if cell is None or cell.kind == "x":
        return  # not located (reported), or its text is damaged (reported with the file's)
    found = "" if cell.value is None else str(cell.value)
    if found.replace("\r\n", "\n") != text:
        c.add(Code.PREFILLED_CHANGED, cell, raw=found, expected=text)


def _prefilled_cell(c: Check, book: FormBook, name: str, expected: Any) -> NamedCell | None:
    """The cell a prefilled name points at; a name lost or pointing nowhere is a finding
    (the cell was deleted, or the name removed), never a value silently not compared."""
    cell = book.names.get(name) if c.names.names_each_prefilled else c.prefilled.get(name)
    if cell is None:
        shown = format_number(expected) if isinstance(expected, Decimal) else str(expected)
        c.add(Code.PREFILLED_MISSING, raw=name, expected=shown)
    return cell


def _same_value(c: Check, book: FormBook, name: str, value: Value | None) -> None:
    expected = prefilled_cell(value)
    cell = _prefilled_cell(c, book, name, expected)
    if cell is None or cell.kind == "x":
        return  # not located (reported), or already reported as damaged
    found = cell.value
    if isinstance(expected, Decimal):
        if type(found) is int:  # exact; most prefilled numbers are whole
            ok = expected == found
        else:
            ok = isinstance(found, float) and Decimal(format(found, ".15g")) == expected
    else:
        ok = found == expected
    if not ok:
        shown = format_number(expected) if isinstance(expected, Decimal) else expected
        c.add(Code.PREFILLED_CHANGED, cell, raw=found, expected=shown)
