"""Reading every sheet of a workbook kpibook trusts less than it writes: the plan workbook.

The plan workbook of a national plan holds over a hundred thousand rows; openpyxl builds a
Python object per XML element and reads each sheet twice (values, then formulas).  This
reader takes the package apart with :mod:`kpibook.xlsx_scan` (the reader of returns) and
parses each sheet once, whole, with expat through ElementTree's C tree builder:

- **Safe:** as for returns -- UTF-8 parts only, a part with a document type declaration
  (entities: XML bombs, external entities) refused, and each part bounded in size and in
  tags before it is parsed.  The bounds are a plan's, not a form's: several times the
  largest part of a national plan (1,741 departments), so an honest plan never meets them
  and a zip bomb cannot make the reader hold more than they allow.
- **What a coordinator sees:** each cell's stored value, as Excel shows it -- numbers as
  int or float, dates by cell style (1900 and 1904 systems), shared and inline strings
  (rich runs joined, phonetic runs dropped, ``_xHHHH_`` escapes decoded), booleans,
  errors as their text (``#N/A``) -- and a formula's saved result, flagged as a formula
  (a formula without one is flagged with no value, for the caller to report).  Merged
  cells are read as stored, as openpyxl's read-only mode reads them.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from kpibook.cells import col_index
from kpibook.errors import LoadError
from kpibook.message import Message
from kpibook.xlsx_scan import (
    _C,
    _F,
    _IS,
    _NUMBER,
    _ROW,
    _SHEET_DATA,
    _V,
    DAMAGED,
    MAC_EPOCH,
    WINDOWS_EPOCH,
    Ambiguous,
    CorruptWorkbook,
    RawValue,
    Refused,
    RefusedWorkbook,
    _from_excel,
    _index,
    _Reader,
    _runs,
    _xstring,
)

MAX_PLAN_PART = 512 * 1024 * 1024
"""Largest XML part of a plan workbook (declared, uncompressed).  A national plan's largest
sheet (指標, 104,460 rows) is about 75 MB."""

MAX_PLAN_MARKUP = 40_000_000
"""Most tags in one part of a plan workbook; a national plan's 指標 sheet has about
6.7 million."""

MAX_PLAN_PARTS = 1_000
MAX_PLAN_TOTAL = 2 * 1024 * 1024 * 1024
"""Most parts, and most bytes all parts unpack to (declared), before anything is read."""


@dataclass
class Sheet:
    """A worksheet's stored values by 0-based (row, column); empty cells are absent.  Plain
    values, not an object per cell: a national plan's 指標 sheet has three million."""

    name: str
    values: dict[tuple[int, int], RawValue]
    max_row: int
    max_col: int
    formulas: set[tuple[int, int]] = field(default_factory=set)
    """Cells holding a formula; their value is its saved result, None if none was saved."""

    def value(self, row: int, col: int) -> RawValue:
        return self.values.get((row, col))


class _PlanReader(_Reader):
    max_part = MAX_PLAN_PART
    max_markup = MAX_PLAN_MARKUP


def read_sheets(path: Path) -> list[Sheet]:
    """Every worksheet's stored values, in the workbook's order (cached results for
    formula cells, flagged); :class:`LoadError` naming the file if it cannot be read."""
    path = Path(path)
    unreadable = Message(ja="Excel ブック（.xlsx）として読み込めません", en="")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError.single(
            path, Message(ja="ファイルがありません", en="no such file")
        ) from None
    except OSError as exc:
        raise LoadError.single(
            path, Message(ja=unreadable.ja, en=f"cannot be read: {exc.strerror or exc}")
        ) from None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _bounded(archive)
        return _grids(_PlanReader(archive))
    except Refused as exc:
        raise RefusedWorkbook.single(
            path, Message(ja="安全のため読み込みません", en=str(exc))
        ) from None
    except Ambiguous as exc:
        raise CorruptWorkbook.single(
            path, Message(ja="ファイルが壊れています", en=str(exc))
        ) from None
    except DAMAGED as exc:
        detail = f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})"
    except (KeyError, ValueError, IndexError, TypeError) as exc:
        detail = f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})"
    except ET.ParseError as exc:
        detail = f"not a readable .xlsx workbook (malformed XML: {exc})"
    except RecursionError:
        detail = "not a readable .xlsx workbook (XML nested too deeply)"
    raise LoadError.single(path, Message(ja=unreadable.ja, en=detail)) from None


def _bounded(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_PLAN_PARTS:
        raise Refused(f"{len(infos):,} parts (at most {MAX_PLAN_PARTS:,})")
    total = sum(i.file_size for i in infos)
    if total > MAX_PLAN_TOTAL:
        raise Refused(f"unpacks to {total:,} bytes in all (at most {MAX_PLAN_TOTAL:,})")


def _grids(reader: _Reader) -> list[Sheet]:
    book = reader.opened()
    strings, dates, spans = book.strings, book.dates, book.spans
    epoch = MAC_EPOCH if book.date1904 else WINDOWS_EPOCH
    grids = []
    for name, rid in book.sheets:
        kind, target = book.rels.get(rid, ("", ""))
        if not kind.endswith("/worksheet"):
            continue  # a chart sheet: no cells (openpyxl's worksheets leave it out too)
        if target not in reader.parts:
            raise KeyError(f"the sheet {name!r} has no part ({target or 'no target'})")
        grids.append(_sheet(reader, name, target, strings, dates, spans, epoch))
    return grids


def _column(letters: str) -> int:
    """Column letters of a cell reference (``$`` allowed) -> 0-based column."""
    bare = letters.replace("$", "")
    if not (bare.isascii() and bare.isalpha() and bare.isupper() and 0 < len(bare) <= 3):
        raise ValueError(f"cell reference with column {letters!r}")
    return col_index(bare)


_DIGITS = "0123456789"


def _sheet(
    reader: _Reader,
    name: str,
    part: str,
    strings: list[str],
    dates: set[int],
    spans: set[int],
    epoch: dt.datetime,
) -> Sheet:
    root = reader.tree(part, (_SHEET_DATA,), (_ROW, _C))
    values: dict[tuple[int, int], RawValue] = {}
    formulas: set[tuple[int, int]] = set()
    columns: dict[str, int] = {}
    """Letters of references already read (``B``) -> column: most cells are found by
    their row's number and a lookup here, not by parsing their reference."""
    count = len(strings)
    max_row = max_col = -1
    at_row = -1
    for row in root.iterfind(f"{_SHEET_DATA}/{_ROW}"):
        r = row.get("r")
        if r:
            if not (r.isascii() and r.isdigit()) or len(r) > 7:
                raise ValueError(f"row number {r!r} in {part}")
            at_row = int(r) - 1
        else:
            at_row += 1
        number = str(at_row + 1)
        size = len(number)
        at_col = -1
        for c in row:
            if c.tag != _C:
                continue
            ref = c.get("r")
            if ref:
                col = columns.get(ref[:-size]) if ref.endswith(number) else None
                if col is None:  # another row's number, $, or letters not seen yet
                    letters = ref.rstrip(_DIGITS)
                    digits = ref[len(letters) :]
                    if not digits or not digits.isascii() or len(digits) > 7:
                        raise ValueError(f"cell reference {ref!r} in {part}")
                    col = _column(letters)
                    if "$" not in letters:
                        columns[letters] = col
                    if int(digits) - 1 != at_row:
                        at_row = int(digits) - 1
                        number, size = str(at_row + 1), len(str(at_row + 1))
                at_col = col
            else:
                at_col += 1
            if not len(c):
                continue  # a styled empty cell
            t = c.get("t")
            value: RawValue
            if len(c) == 1 and c[0].tag == _V:  # most cells: a value, no formula
                text = c[0].text
                if not text:
                    continue
                if t == "s":
                    index = _index(text, count)
                    if index is None:
                        raise ValueError(f"shared string {text[:20]!r} in {part}, cell {ref}")
                    value = strings[index]
                else:
                    value = _stored(c, t, text, dates, spans, epoch)
            else:
                v = f = inline = None
                for child in c:
                    if child.tag == _V:
                        v = child
                    elif child.tag == _F:
                        f = child
                    elif child.tag == _IS:
                        inline = child
                if t == "inlineStr":
                    if inline is None:
                        continue
                    value = _runs(inline, [])
                elif v is None or not v.text:
                    if f is None:
                        continue
                    value = None
                elif t == "s":
                    index = _index(v.text, count)
                    if index is None:
                        raise ValueError(f"shared string {v.text[:20]!r} in {part}, cell {ref}")
                    value = strings[index]
                else:
                    value = _stored(c, t, v.text, dates, spans, epoch)
                if f is not None:
                    formulas.add((at_row, at_col))
            values[(at_row, at_col)] = value
            if at_col > max_col:
                max_col = at_col
            if at_row > max_row:
                max_row = at_row
        row.clear()  # the row's elements freed as its values are taken: a lower peak
    return Sheet(name, values, max_row, max_col, formulas)


def _stored(
    c: ET.Element, t: str | None, text: str, dates: set[int], spans: set[int], epoch: dt.datetime
) -> RawValue:
    """A cell's stored value of type ``t`` (not a shared string), as Excel shows it."""
    if t is None or t == "n":
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"{text[:40]!r} is not a number")
        number: int | float = (
            float(text) if ("." in text or "E" in text or "e" in text) else int(text)
        )
        style = c.get("s")
        if style and int(style) in dates:
            try:
                return _from_excel(number, epoch, int(style) in spans)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number
    if t == "str":
        return _xstring(text, [], libreoffice=False)
    if t == "b":
        return bool(int(text))
    if t == "d":
        try:
            return dt.datetime.fromisoformat(text.rstrip("Z"))
        except ValueError:
            return text
    return text  # e: an error's text (#N/A), as openpyxl gives it
