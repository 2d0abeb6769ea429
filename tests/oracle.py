"""The reference reader: openpyxl's view of a returned form, for comparison.

``kpibook/xlsx_scan.py`` reads returns straight from the zip for speed and safety; its
promise is to give what openpyxl gives (normal mode, formulas kept).  The tests hold it to
that promise by reading every fixture with both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.cell import range_boundaries

from kpibook.errors import LoadError
from kpibook.message import Message
from kpibook.xlsx_read import _quiet, explain
from kpibook.xlsx_scan import FormBook, NamedCell, RawValue


def read_form_book(path: Path, scan_rows: int = 60, probe: str | None = None) -> FormBook:
    """Read names, named cells, merges and some text; formulas are kept as formulas.

    ``probe`` names a range whose rows are (sheet, cell, expected value): each listed cell
    is read too, so that a caller can compare it with what was expected.
    """
    path = Path(path)
    try:
        with _quiet():
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
        for name, dn in wb.defined_names.items():
            dests = list(dn.destinations) if dn.type == "RANGE" else []
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
                    else cell.data_type
                )
                names[name] = NamedCell(sheet, min_row - 1, min_col - 1, value, kind)
            else:
                ranges[name] = [
                    [c.value for c in row]
                    for row in ws.iter_rows(min_row, max_row, min_col, max_col)
                ]
        merged = {
            ws.title: [
                (r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1)
                for r in ws.merged_cells.ranges
            ]
            for ws in wb.worksheets
        }
        strings = {
            c.value.strip()
            for ws in wb.worksheets
            for row in ws.iter_rows(max_row=scan_rows)
            for c in row
            if isinstance(c.value, str)
        }
        probed: list[tuple[str, str, RawValue, RawValue]] = []
        for row in ranges.get(probe or "", []):
            sheet, cell, expected = (
                (str(row[0]), str(row[1]), row[2]) if len(row) == 3 else ("", "", None)
            )
            found = wb[sheet][cell].value if sheet in wb.sheetnames else None
            probed.append((sheet, cell, expected, found))
        return FormBook(list(wb.sheetnames), names, ranges, merged, lambda: strings, probed)
    finally:
        wb.close()
