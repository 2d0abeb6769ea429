"""Reading .xlsx files.  The only module that imports openpyxl.

openpyxl raises many kinds of exceptions for files it cannot read; here they all become
one :class:`LoadError` naming the file.  openpyxl must parse XML through defusedxml
(it does so when defusedxml is installed, unless an environment variable switches it
off); kpibook refuses to read workbooks without it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from kpibook.errors import KpibookError, LoadError
from kpibook.message import Message

RawValue = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None


class UnsafeEnvironment(KpibookError):
    exit_code = 3


def _openpyxl() -> ModuleType:
    """Import openpyxl on first use (keeps ``kpibook --help`` fast) and check its XML."""
    import openpyxl
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:
        raise UnsafeEnvironment(
            Message(
                ja="XML攻撃への対策（defusedxml）が無効のため、ブックを読み込めません。",
                en="openpyxl is not using defusedxml (is OPENPYXL_DEFUSEDXML set to False?); "
                "kpibook will not read workbooks without protection against XML attacks.",
            )
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


_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
"""A formula element (``<f>``, ``<f t="shared" .../>``, ``<x:f>``) in a sheet's XML; not
``<formula1>`` (a validation) nor any other element whose name begins with f."""


def _has_formulas(sheet: Any) -> bool:
    """Whether a read-only sheet holds a formula; True when that cannot be told.  A sheet
    without one is read once, for its values, instead of a second time for formulas."""
    try:
        xml: bytes = sheet.parent._archive.read(sheet._worksheet_path)
    except Exception:  # openpyxl's internals changed: read it both ways
        return True
    return _FORMULA.search(xml) is not None


def read_grids(path: Path) -> list[Grid]:
    """Every worksheet's stored values (cached results for formula cells, flagged)."""
    openpyxl = _openpyxl()
    path = Path(path)
    try:
        with _quiet():
            formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
            values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise LoadError.single(
            path, Message(ja="ファイルがありません", en="no such file")
        ) from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise LoadError.single(
            path,
            Message(
                ja="Excel ブック（.xlsx）として読み込めません",
                en=f"not a readable .xlsx workbook ({explain(exc)})",
            ),
        ) from None
    except Exception as exc:  # openpyxl raises many kinds; name the file whatever it was
        if type(exc).__module__.startswith("openpyxl"):
            raise LoadError.single(
                path, Message(ja="Excel ブック（.xlsx）として読み込めません", en=str(exc))
            ) from None
        raise
    try:
        with _quiet():  # read-only sheets parse (and warn) while their rows are read
            grids = []
            for ws_f, ws_v in zip(formulas.worksheets, values.worksheets, strict=True):
                cells: dict[tuple[int, int], Cell] = {}
                max_row = max_col = -1
                if not _has_formulas(ws_f):  # parsed once, not twice: half the time
                    for row_v in ws_v.iter_rows():
                        for cv in row_v:
                            if cv.value is None:
                                continue
                            r, c = cv.row - 1, cv.column - 1
                            cells[(r, c)] = Cell(cv.value)
                            max_row, max_col = max(max_row, r), max(max_col, c)
                    grids.append(Grid(ws_f.title, cells, max_row, max_col))
                    continue
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
