"""Reading .xlsx files.  The only module that imports openpyxl.

openpyxl raises many kinds of exceptions for files it cannot read; here they all become
one :class:`LoadError` naming the file.  openpyxl must parse XML through defusedxml
(it does so when defusedxml is installed, unless an environment variable switches it
off); kpibook refuses to read workbooks without it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from kpibook.errors import KpibookError, LoadError, Problem

RawValue = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None


class UnsafeEnvironment(KpibookError):
    exit_code = 3


def _openpyxl() -> ModuleType:
    """Import openpyxl on first use (keeps ``kpibook --help`` fast) and check its XML."""
    import openpyxl
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:
        raise UnsafeEnvironment(
            "openpyxl is not using defusedxml (is OPENPYXL_DEFUSEDXML set to False?); "
            "kpibook will not read workbooks without protection against XML attacks. / "
            "XML攻撃への対策（defusedxml）が無効のため、ブックを読み込めません。"
        )
    return openpyxl


def explain(exc: BaseException) -> str:
    """An openpyxl failure in words, naming its root cause (openpyxl's own message often
    hides it), and saying so plainly when defusedxml refused the file's XML."""
    chain = [exc]
    while (nxt := chain[-1].__cause__ or chain[-1].__context__) is not None and len(chain) < 10:
        chain.append(nxt)
    root = chain[-1]
    if type(root).__module__.startswith("defusedxml"):
        return (
            f"refused by defusedxml ({type(root).__name__}): the workbook's XML declares "
            "entities (an XML bomb or an external entity)"
        )
    text = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if root is not exc:
        text += f" (cause: {type(root).__name__}: {root})"
    return text


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """openpyxl warns that it drops Excel's extension lists (data bars, some validations)
    it cannot read; kpibook reads values, names and merges, which they do not affect."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*extension is not supported", category=UserWarning
        )
        yield


@dataclass(frozen=True)
class Cell:
    """A cell's value as stored; formulas are flagged, never evaluated."""

    value: RawValue
    formula: bool = False


@dataclass
class Grid:
    """A sheet's cells by 0-based (row, column); empty cells are absent."""

    name: str
    cells: dict[tuple[int, int], Cell]
    max_row: int
    max_col: int

    def get(self, row: int, col: int) -> Cell | None:
        return self.cells.get((row, col))

    def value(self, row: int, col: int) -> RawValue:
        cell = self.cells.get((row, col))
        return cell.value if cell else None


def read_grids(path: Path) -> list[Grid]:
    """Every worksheet's stored values (cached results for formula cells, flagged)."""
    openpyxl = _openpyxl()
    path = Path(path)
    try:
        with _quiet():
            formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
            values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise LoadError(
            path, [Problem(str(path), "ファイルがありません", "no such file")]
        ) from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise LoadError(
            path,
            [
                Problem(
                    str(path),
                    "Excel ブック（.xlsx）として読み込めません",
                    f"not a readable .xlsx workbook ({explain(exc)})",
                )
            ],
        ) from None
    except Exception as exc:  # openpyxl raises many kinds; name the file whatever it was
        if type(exc).__module__.startswith("openpyxl"):
            raise LoadError(
                path,
                [Problem(str(path), "Excel ブック（.xlsx）として読み込めません", str(exc))],
            ) from None
        raise
    try:
        with _quiet():  # read-only sheets parse (and warn) while their rows are read
            grids = []
            for ws_f, ws_v in zip(formulas.worksheets, values.worksheets, strict=True):
                cells: dict[tuple[int, int], Cell] = {}
                max_row = max_col = -1
                for row_f, row_v in zip(ws_f.iter_rows(), ws_v.iter_rows(), strict=False):
                    for cf, cv in zip(row_f, row_v, strict=False):
                        if cv.value is None and cf.value is None:
                            continue
                        r, c = cf.row - 1, cf.column - 1
                        cells[(r, c)] = Cell(cv.value, formula=cf.data_type == "f")
                        max_row, max_col = max(max_row, r), max(max_col, c)
                grids.append(Grid(ws_f.title, cells, max_row, max_col))
            return grids
    finally:
        formulas.close()
        values.close()


@dataclass(frozen=True)
class NamedCell:
    """What a defined name points at: one cell, or nothing usable (``None`` fields)."""

    sheet: str | None
    row: int
    col: int
    value: RawValue
    kind: str
    """openpyxl's data type: n (number), s (text), f (formula), e (error), b (bool), d."""


@dataclass
class FormBook:
    """What ``kpibook check`` needs of a returned workbook, read once."""

    sheetnames: list[str]
    names: dict[str, NamedCell | None]
    """Every single-cell defined name; None where it points nowhere (#REF!, a range)."""
    ranges: dict[str, list[list[RawValue]]]
    """Values of multi-cell defined names (the stamp), row by row."""
    merged: dict[str, list[tuple[int, int, int, int]]]
    """Merged ranges per sheet, 0-based (first row, first col, last row, last col)."""
    strings: set[str]
    """Text found in the first rows of each sheet, to recognise a form whose names were lost."""
    probed: list[tuple[str, str, RawValue, RawValue]]
    """For a probe range of (sheet, cell, expected) rows: (sheet, cell, expected, found)."""


def read_form_book(path: Path, scan_rows: int = 60, probe: str | None = None) -> FormBook:
    """Read names, named cells, merges and some text; formulas are kept as formulas.

    ``probe`` names a range whose rows are (sheet, cell, expected value): each listed cell
    is read too, so that a caller can compare it with what was expected.
    """
    openpyxl = _openpyxl()
    from openpyxl.utils.cell import range_boundaries

    path = Path(path)
    try:
        with _quiet():
            wb = openpyxl.load_workbook(path, data_only=False, keep_links=False, rich_text=False)
    except Exception as exc:  # openpyxl raises many kinds; each means "not readable"
        raise LoadError(
            path,
            [
                Problem(
                    str(path),
                    "Excel ブック（.xlsx）として読み込めません",
                    explain(exc),
                )
            ],
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
        return FormBook(list(wb.sheetnames), names, ranges, merged, strings, probed)
    finally:
        wb.close()
