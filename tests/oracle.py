"""The reference reader: openpyxl's view of a returned form, for comparison.

``kpibook/xlsx_scan.py`` reads returns straight from the zip for speed and safety; its
promise is to give what openpyxl gives (normal mode, formulas kept).  The tests hold it to
that promise by reading every fixture with both.

One correction is made to openpyxl's view: text is decoded as ECMA-376 says and Excel
shows it (``_x000D_`` is a carriage return, ``_x005F_`` an underscore).  openpyxl decodes
no escape and deletes every ``x005F_`` from shared strings; here they are read as written
and decoded by :func:`xstring`, written independently of the reader's.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import openpyxl
import openpyxl.reader.excel
from openpyxl.cell.text import Text
from openpyxl.utils.cell import range_boundaries
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from kpibook.errors import LoadError
from kpibook.message import Message
from kpibook.xlsx_read import _quiet, explain
from kpibook.xlsx_scan import FormBook, NamedCell, RawValue, moved_sheet


def read_form_book(path: Path, scan_rows: int = 60, probe: str | None = None) -> FormBook:
    """Read names, named cells, merges and some text; formulas are kept as formulas.

    ``probe`` names a range whose rows are (sheet, cell, expected value): each listed cell
    is read too, so that a caller can compare it with what was expected.
    """
    path = Path(path)
    try:
        with _quiet(), _shared_strings_as_written():
            wb: Any = openpyxl.load_workbook(
                path, data_only=False, keep_links=False, rich_text=False
            )
    except Exception as exc:  # openpyxl raises many kinds; each means "not readable"
        raise LoadError.single(
            path, Message(ja="Excel ブック（.xlsx）として読み込めません", en=explain(exc))
        ) from None
    try:
        names: dict[str, NamedCell | None] = {}
        ranges: dict[str, list[list[RawValue]]] = {}
        unions: dict[str, list[NamedCell]] = {}
        for name, dn in wb.defined_names.items():
            dests = list(dn.destinations) if dn.type == "RANGE" else []
            if len(dests) > 1 and all(s in wb.sheetnames for s, _ in dests):
                cells = [_single(wb, s, ref) for s, ref in dests]
                if all(cell is not None for cell in cells):
                    unions[name] = [cell for cell in cells if cell is not None]
                    continue
            if len(dests) != 1 or dests[0][0] not in wb.sheetnames:
                names[name] = None
                continue
            sheet, ref = dests[0]
            min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
            if min_col is None or min_row is None or max_col is None or max_row is None:
                names[name] = None  # a whole column or row: not a form's name
                continue
            ws = wb[sheet]
            if (min_col, min_row) == (max_col, max_row):
                cell = ws.cell(row=min_row, column=min_col)
                value = cell.value
                kind = (
                    "f"
                    if not isinstance(value, str | int | float | bool | type(None))
                    and type(value).__name__ in {"ArrayFormula", "DataTableFormula"}
                    # an empty inline string (openpyxl writes one for a cell it read as
                    # "") is text, as the reader says
                    else ("s" if cell.data_type == "inlineStr" else cell.data_type)
                )
                names[name] = NamedCell(sheet, min_row - 1, min_col - 1, _text(cell), kind)
            else:
                ranges[name] = [
                    [_text(c) for c in row]
                    for row in ws.iter_rows(min_row, max_row, min_col, max_col)
                ]
        merged = {
            ws.title: [
                (r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1)
                for r in ws.merged_cells.ranges
            ]
            for ws in wb.worksheets
        }
        worksheets = list(wb.worksheets)

        def strings() -> set[str]:  # asked for only by a check, as the fast reader's
            return {
                _text(c).strip()
                for ws in worksheets
                for row in ws.iter_rows(max_row=scan_rows)
                for c in row
                if isinstance(c.value, str)
            }

        probed: list[tuple[str, str, RawValue, RawValue]] = []
        for row in ranges.get(probe or "", []):
            sheet, cell, expected = (
                (str(row[0]), str(row[1]), row[2]) if len(row) == 3 else ("", "", None)
            )
            # the renaming rule is kpibook's policy, not a reading: shared with the reader
            now = moved_sheet(sheet, list(wb.sheetnames), names)
            sheet = now if now is not None else sheet
            try:
                found = _text(wb[sheet][cell]) if sheet in wb.sheetnames else None
            except ValueError:  # not a cell reference (the range holds other text)
                found = None
            probed.append((sheet, cell, expected, found))
        book = FormBook(list(wb.sheetnames), names, ranges, merged, strings, probed)
        book.unions = unions
        return book
    finally:
        wb.close()


def _single(wb: Any, sheet: str, ref: str) -> NamedCell | None:
    """The one cell ``ref`` names (a form version 3 group lists single cells)."""
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    if min_col is None or min_row is None or (min_col, min_row) != (max_col, max_row):
        return None
    cell = wb[sheet].cell(row=min_row, column=min_col)
    kind = "s" if cell.data_type == "inlineStr" else cell.data_type  # an empty inline text
    return NamedCell(sheet, min_row - 1, min_col - 1, _text(cell), kind)


def _text(cell: Any) -> Any:
    """A cell's value, its text decoded."""
    value = cell.value
    return xstring(value) if cell.data_type == "s" and isinstance(value, str) else value


def xstring(text: str) -> str:
    """ECMA-376 Part 1, 22.9.2.19: scanning left to right, ``_`` ``x`` four hex digits
    ``_`` is one character; an escaped surrogate pair one character, a lone surrogate
    U+FFFD."""
    out: list[str] = []
    i = 0
    while i < len(text):
        seven = text[i : i + 7]
        if (
            len(seven) == 7
            and seven.startswith("_x")
            and seven.endswith("_")
            and all(h in string.hexdigits for h in seven[2:6])
        ):
            out.append(chr(int(seven[2:6], 16)))
            i += 7
        else:
            out.append(text[i])
            i += 1
    return "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@contextmanager
def _shared_strings_as_written() -> Iterator[None]:
    """openpyxl's shared-string table without its deletion of ``x005F_``."""
    main = f"{{{SHEET_MAIN_NS}}}si"

    def table(source: IO[bytes]) -> list[str]:
        strings = []
        for _, node in iterparse(source):
            if node.tag == main:
                text = Text.from_tree(node)
                strings.append(text.content if text is not None else "")
                node.clear()
        return strings

    original = openpyxl.reader.excel.read_string_table  # type: ignore[attr-defined]
    openpyxl.reader.excel.read_string_table = table  # type: ignore[attr-defined]
    try:
        yield
    finally:
        openpyxl.reader.excel.read_string_table = original  # type: ignore[attr-defined]
