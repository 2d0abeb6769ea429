"""Reading a returned form straight from its zip: the one reader of departments' files.

``kpibook check`` reads every return with this module, once.  It takes from the zip only
what a check needs -- the workbook's sheets and defined names, the shared strings, which
cell styles are dates, each sheet's cells and merged ranges -- and parses each part once,
whole, with expat and no DTD support:

- **Safe:** a document type declaration (where entity bombs and external entities live)
  is refused outright; OOXML never has one.  Each part is limited in size before it is
  read (pre-flight has already checked the zip's directory), and a part is parsed in one
  call, so expat's slow path for huge tokens fed in small pieces is never taken: the
  worst case costs a fraction of a second, not minutes.
- **Fast:** no object per cell, no styles beyond the date test, nothing built that a
  check does not ask for; about a tenth of openpyxl's cost per workbook.
- **Faithful:** values come out as openpyxl gives them in normal mode with formulas kept
  (``data_only=False``): numbers as int or float, dates by cell style (1900 and 1904
  systems), text from shared or inline strings (rich runs joined, phonetic runs
  dropped), formulas as ``=...`` text with kind ``f``, errors with kind ``e``, and the
  cells hidden under a merged range read as empty.  ``tests/oracle.py`` keeps an
  openpyxl reader and the tests compare the two on every fixture.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

from kpibook.errors import LoadError, Problem

RawValue = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None

MAX_PART = 20 * 1024 * 1024
"""Largest XML part read (declared, uncompressed).  A form's largest part is a few hundred
kilobytes; 20 MB keeps the worst case of expat's large-token behaviour under a second."""

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"

_CELL_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)")
_AREA = re.compile(
    r"^(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^'!\s]+))!"
    r"(?P<a>\$?[A-Z]{1,3}\$?\d+)(?::(?P<b>\$?[A-Z]{1,3}\$?\d+))?$"
)

WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
MAC_EPOCH = dt.datetime(1904, 1, 1)

_DATE_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
"""Built-in number formats that are dates or times (ECMA-376 18.8.30; 27-36 and 50-58
are the East Asian date formats Japanese Excel uses, such as 令和6年5月1日)."""
_TIMEDELTA_IDS = {46}
_STRIP = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA_CODE = re.compile(
    r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I
)


class Refused(Exception):
    """A part declares a DTD (entities), or is too large to read."""


class RefusedWorkbook(LoadError):
    """A workbook refused for safety, before its content was read."""


@dataclass(frozen=True)
class NamedCell:
    """What a defined name points at: one cell, or nothing usable (``None`` fields)."""

    sheet: str | None
    row: int
    col: int
    value: RawValue
    kind: str
    """As openpyxl names cell types: n (number), s (text), f (formula), e (error), b, d."""


class FormBook:
    """What ``kpibook check`` needs of a returned workbook, read once."""

    def __init__(
        self,
        sheetnames: list[str],
        names: dict[str, NamedCell | None],
        ranges: dict[str, list[list[RawValue]]],
        merged: dict[str, list[tuple[int, int, int, int]]],
        strings: Callable[[], set[str]],
        probed: list[tuple[str, str, RawValue, RawValue]],
        notes: list[tuple[str, str]] | None = None,
    ) -> None:
        self.sheetnames = sheetnames
        self.names = names
        """Every single-cell defined name; None where it points nowhere (#REF!, a range)."""
        self.ranges = ranges
        """Values of multi-cell defined names (the stamp), row by row."""
        self.merged = merged
        """Merged ranges of the sheets read, 0-based (first row, first col, last row, last
        col); every sheet a name points at is read."""
        self._strings = strings
        self._scanned: set[str] | None = None
        self.probed = probed
        """For a probe range of (sheet, cell, expected) rows: (sheet, cell, expected, found)."""
        self.notes = notes or []
        """What the workbook holds besides cells that a coordinator should know of, as
        (finding code, part): links to other workbooks, macros."""

    @property
    def strings(self) -> set[str]:
        """Text in the first rows of every sheet, to recognise a form whose names were lost
        (read only when asked: a form with its names never needs it)."""
        if self._scanned is None:
            self._scanned = self._strings()
        return self._scanned


def read_form_book(path: Path, scan_rows: int = 60, probe: str | None = None) -> FormBook:
    """Read names, named cells, merges and some text; formulas are kept as formulas.

    ``probe`` names a range whose rows are (sheet, cell, expected value): each listed cell
    is read too, so that a caller can compare it with what was expected.
    """
    path = Path(path)
    try:
        data = path.read_bytes()  # pre-flight bounds the size; parts are read lazily
        return _Reader(zipfile.ZipFile(io.BytesIO(data))).form_book(scan_rows, probe)
    except Refused as exc:
        problem = Problem(str(path), "安全のため読み込みません", str(exc))
        raise RefusedWorkbook(path, [problem]) from None
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, IndexError, OSError) as exc:
        detail = f"{type(exc).__name__}: {exc}"
    except expat.ExpatError as exc:
        detail = f"malformed XML: {exc}"
    except RecursionError:
        detail = "XML nested too deeply"
    raise LoadError(
        path, [Problem(str(path), "Excel ブック（.xlsx）として読み込めません", detail)]
    ) from None


def _parser(
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> Any:
    p = expat.ParserCreate(namespace_separator="}")
    p.buffer_text = True
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: object) -> None:
        raise Refused(
            "refused: the workbook's XML declares a document type (DTD) with entities, as "
            "XML bombs and external-entity attacks do; Excel never writes one"
        )

    p.StartDoctypeDeclHandler = refuse
    p.EntityDeclHandler = refuse
    p.StartElementHandler = start
    if end is not None:
        p.EndElementHandler = end
    if text is not None:
        p.CharacterDataHandler = text
    return p


class _Sheet:
    """One worksheet's cells, (row, col) 0-based -> (value, kind), and its merges."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], tuple[RawValue, str]] = {}
        self.merged: list[tuple[int, int, int, int]] = []

    def get(self, row: int, col: int) -> tuple[RawValue, str]:
        return self.cells.get((row, col), (None, "n"))

    def hide_merged(self) -> None:
        """As in Excel, only the first cell of a merged range keeps its value."""
        for r1, c1, r2, c2 in self.merged:
            if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:  # not a form's merge: drop only what
                hidden = [k for k in self.cells if r1 <= k[0] <= r2 and c1 <= k[1] <= c2]
            else:
                hidden = [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
            for key in hidden:
                if key != (r1, c1):
                    self.cells.pop(key, None)


class _Reader:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.parts = {i.filename: i for i in archive.infolist()}
        self.notes: list[tuple[str, str]] = []

    def read(self, name: str) -> bytes:
        info = self.parts.get(name)
        if info is None:
            raise KeyError(f"there is no part named {name!r}")
        if info.file_size > MAX_PART:
            raise Refused(f"part {name} is {info.file_size:,} bytes (at most {MAX_PART:,})")
        return self.archive.read(info)

    # -- package ------------------------------------------------------------------------

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """A part's relationships: id -> (type, target part name)."""
        folder, base = posixpath.split(part)
        name = posixpath.join(folder, "_rels", base + ".rels")
        out: dict[str, tuple[str, str]] = {}
        if name not in self.parts:
            return out

        def start(tag: str, a: dict[str, str]) -> None:
            if tag == _PKG_REL + "Relationship" and a.get("TargetMode") != "External":
                target = a.get("Target", "")
                resolved = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join(folder, target))
                )
                out[a.get("Id", "")] = (a.get("Type", ""), resolved)

        _parser(start).Parse(self.read(name), True)
        return out

    def form_book(self, scan_rows: int, probe: str | None) -> FormBook:
        office = [t for kind, t in self.rels("").values() if kind == _OFFICE_DOC]
        workbook = office[0] if office else "xl/workbook.xml"
        sheets, defined, date1904 = self.workbook(workbook)
        wb_rels = self.rels(workbook)
        strings: list[str] = []
        dates: set[int] = set()
        spans: set[int] = set()
        for kind, target in wb_rels.values():
            if kind.endswith("/sharedStrings"):
                strings = self.shared_strings(target)
            elif kind.endswith("/styles"):
                dates, spans = self.date_styles(target)
            elif kind.endswith("/externalLink"):
                self.notes.append(("external-link", target))
        vba = [name for name in self.parts if name.lower().endswith("vbaproject.bin")]
        if vba:
            self.notes.append(("macros", vba[0]))
        epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        targets = {name: wb_rels.get(rid, ("", "")) for name, rid in sheets}
        grids: dict[str, _Sheet] = {}

        def grid(name: str) -> _Sheet:
            """A sheet, parsed on first use (a chart sheet or a missing part is empty)."""
            if name not in grids:
                kind, target = targets[name]
                grids[name] = (
                    self.sheet(target, strings, dates, spans, epoch)
                    if kind.endswith("/worksheet") and target in self.parts
                    else _Sheet()
                )
            return grids[name]

        return _book(grid, grids, [n for n, _ in sheets], defined, scan_rows, probe, self.notes)

    def workbook(self, part: str) -> tuple[list[tuple[str, str]], dict[str, str], bool]:
        sheets: list[tuple[str, str]] = []
        defined: dict[str, str] = {}
        date1904 = False
        current: list[str] = []
        text: list[str] = []

        def start(tag: str, a: dict[str, str]) -> None:
            nonlocal date1904
            if tag == _MAIN + "sheet":
                sheets.append((a.get("name", ""), a.get(_DOC_REL + "id", "")))
            elif tag == _MAIN + "definedName":
                text.clear()
                current[:] = [] if "localSheetId" in a else [a.get("name", "")]
            elif tag == _MAIN + "workbookPr":
                date1904 = a.get("date1904", "").lower() in ("1", "true")

        def end(tag: str) -> None:
            if tag == _MAIN + "definedName" and current:
                defined[current[0]] = "".join(text)
                current.clear()

        _parser(start, end, text.append).Parse(self.read(part), True)
        return sheets, defined, date1904

    def shared_strings(self, part: str) -> list[str]:
        out: list[str] = []
        parts: list[str] = []
        depth = {"rPh": 0}
        keep = [False]
        si, t, rph = _MAIN + "si", _MAIN + "t", _MAIN + "rPh"

        def start(tag: str, _a: dict[str, str]) -> None:
            if tag == t:
                keep[0] = depth["rPh"] == 0
            elif tag == si:
                parts.clear()
            elif tag == rph:
                depth["rPh"] += 1

        def end(tag: str) -> None:
            if tag == t:
                keep[0] = False
            elif tag == si:
                out.append("".join(parts))
            elif tag == rph:
                depth["rPh"] -= 1

        def chars(data: str) -> None:
            if keep[0]:
                parts.append(data)

        _parser(start, end, chars).Parse(self.read(part), True)
        return out

    def date_styles(self, part: str) -> tuple[set[int], set[int]]:
        """Indexes of the cell formats (``s=``) that show dates, and those that show spans."""
        custom: dict[int, str] = {}
        fmt_ids: list[int] = []
        in_xfs = [False]

        def start(tag: str, a: dict[str, str]) -> None:
            if tag == _MAIN + "numFmt":
                custom[int(a.get("numFmtId", "0"))] = a.get("formatCode", "")
            elif tag == _MAIN + "cellXfs":
                in_xfs[0] = True
            elif tag == _MAIN + "xf" and in_xfs[0]:
                fmt_ids.append(int(a.get("numFmtId", "0")))

        def end(tag: str) -> None:
            if tag == _MAIN + "cellXfs":
                in_xfs[0] = False

        _parser(start, end).Parse(self.read(part), True)
        dates, spans = set(), set()
        for index, fid in enumerate(fmt_ids):
            code = custom.get(fid)
            if code is None:
                is_date, is_span = fid in _DATE_IDS, fid in _TIMEDELTA_IDS
            else:
                first = code.split(";")[0]
                is_date = _DATE_CODE.search(_STRIP.sub("", first)) is not None
                is_span = _TIMEDELTA_CODE.search(first) is not None
            if is_date:
                dates.add(index)
            if is_span:
                spans.add(index)
        return dates, spans

    def sheet(
        self, part: str, strings: list[str], dates: set[int], spans: set[int], epoch: dt.datetime
    ) -> _Sheet:
        grid = _Sheet()
        cells = grid.cells
        C, V, F, IS, T, ROW, RPH, MERGE = (
            _MAIN + x for x in ("c", "v", "f", "is", "t", "row", "rPh", "mergeCell")
        )
        at = [0, -1]  # current row, column (0-based)
        cell: dict[str, str] = {}
        buf: list[str] = []
        collecting = [False]
        v_text: list[str | None] = [None]
        f_text: list[str | None] = [None]
        is_parts: list[str] | None = None
        in_rph = [0]
        shared: dict[str, str] = {}

        def start(tag: str, a: dict[str, str]) -> None:
            nonlocal is_parts
            if tag == C:
                cell.clear()
                cell.update(a)
                ref = a.get("r")
                if ref:
                    m = _CELL_REF.fullmatch(ref)
                    if m is None:
                        raise ValueError(f"cell reference {ref!r} in {part}")
                    at[0], at[1] = int(m[2]) - 1, _col(m[1])
                else:
                    at[1] += 1
                v_text[0] = f_text[0] = None
                is_parts = None
            elif tag in (V, F):
                buf.clear()
                collecting[0] = True
                if tag == F:
                    cell["\0f"] = a.get("t", "")
                    cell["\0si"] = a.get("si", "")
            elif tag == IS:
                is_parts = []
            elif tag == T and is_parts is not None:
                buf.clear()
                collecting[0] = in_rph[0] == 0
            elif tag == RPH:
                in_rph[0] += 1
            elif tag == ROW:
                r = a.get("r")
                at[0] = int(r) - 1 if r else at[0] + 1
                at[1] = -1
            elif tag == MERGE:
                ref = a.get("ref", "")
                first, _, last = ref.partition(":")
                m1, m2 = _CELL_REF.fullmatch(first), _CELL_REF.fullmatch(last or first)
                if m1 and m2:
                    grid.merged.append((int(m1[2]) - 1, _col(m1[1]), int(m2[2]) - 1, _col(m2[1])))

        def end(tag: str) -> None:
            if tag == V:
                v_text[0] = "".join(buf)
                collecting[0] = False
            elif tag == F:
                f_text[0] = "".join(buf)
                collecting[0] = False
            elif tag == T and collecting[0]:
                if is_parts is not None:
                    is_parts.append("".join(buf))
                collecting[0] = False
            elif tag == RPH:
                in_rph[0] -= 1
            elif tag == C:
                value = _value(
                    cell, v_text[0], f_text[0], is_parts, strings, dates, spans, epoch, shared
                )
                if value[0] is not None or value[1] != "n":
                    cells[(at[0], at[1])] = value

        def chars(data: str) -> None:
            if collecting[0]:
                buf.append(data)

        _parser(start, end, chars).Parse(self.read(part), True)
        grid.hide_merged()
        return grid


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _value(
    cell: dict[str, str],
    v: str | None,
    f: str | None,
    inline: list[str] | None,
    strings: list[str],
    dates: set[int],
    spans: set[int],
    epoch: dt.datetime,
    shared: dict[str, str],
) -> tuple[RawValue, str]:
    t = cell.get("t", "n")
    if "\0f" in cell:
        si = cell.get("\0si", "")
        if cell["\0f"] == "shared" and si:
            if f:
                shared[si] = f
            f = f or shared.get(si, "")
        return "=" + (f or ""), "f"
    if t == "inlineStr":
        return ("".join(inline), "s") if inline is not None else (None, "s")
    if not v:
        return None, t
    if t == "n":
        number: int | float = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
        style = int(cell.get("s") or 0)
        if style in dates:
            try:
                return _from_excel(number, epoch, style in spans), "d"
            except (OverflowError, ValueError):
                return "#VALUE!", "e"
        return number, "n"
    if t == "s":
        return strings[int(v)], "s"
    if t == "b":
        return bool(int(v)), "b"
    if t == "str":
        return v, "s"
    if t == "d":
        try:
            return dt.datetime.fromisoformat(v.rstrip("Z")), "d"
        except ValueError:
            return v, "s"
    return v, t


def _from_excel(
    value: float, epoch: dt.datetime, span: bool
) -> dt.datetime | dt.time | dt.timedelta:
    if span:
        return dt.timedelta(days=value)
    day, fraction = divmod(value, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86_400_000))
    if 0 <= value < 1 and diff.days == 0:
        return (dt.datetime.min + diff).time()
    if 0 < value < 60 and epoch == WINDOWS_EPOCH:
        day += 1  # Excel's 1900 leap-year bug
    return epoch + dt.timedelta(days=day) + diff


def _area(text: str, sheetnames: set[str]) -> tuple[str, int, int, int, int] | None:
    """A defined name's one area on an existing sheet, 0-based and ordered, else None."""
    m = _AREA.match(text.strip())
    if m is None:
        return None
    sheet = m["plain"] or m["quoted"].replace("''", "'")
    if sheet not in sheetnames:
        return None
    a = _CELL_REF.fullmatch(m["a"])
    b = _CELL_REF.fullmatch(m["b"] or m["a"])
    assert a is not None
    assert b is not None
    r1, c1, r2, c2 = int(a[2]) - 1, _col(a[1]), int(b[2]) - 1, _col(b[1])
    return sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _book(
    grid: Callable[[str], _Sheet],
    parsed: dict[str, _Sheet],
    sheetnames: list[str],
    defined: dict[str, str],
    scan_rows: int,
    probe: str | None,
    notes: list[tuple[str, str]],
) -> FormBook:
    known = set(sheetnames)
    names: dict[str, NamedCell | None] = {}
    ranges: dict[str, list[list[RawValue]]] = {}
    for name, text in defined.items():
        area = _area(text, known)
        if area is None:
            names[name] = None
            continue
        sheet, r1, c1, r2, c2 = area
        cells = grid(sheet)
        if (r1, c1) == (r2, c2):
            names[name] = NamedCell(sheet, r1, c1, *cells.get(r1, c1))
        elif (r2 - r1 + 1) * (c2 - c1 + 1) <= 10_000:
            ranges[name] = [
                [cells.get(r, c)[0] for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)
            ]
    probed: list[tuple[str, str, RawValue, RawValue]] = []
    for row in ranges.get(probe or "", []):
        sheet, ref, expected = (
            (str(row[0]), str(row[1]), row[2]) if len(row) == 3 else ("", "", None)
        )
        m = _CELL_REF.fullmatch(ref)
        found = grid(sheet).get(int(m[2]) - 1, _col(m[1]))[0] if m and sheet in known else None
        probed.append((sheet, ref, expected, found))

    def strings() -> set[str]:
        found: set[str] = set()
        for name in sheetnames:
            try:
                cells = grid(name).cells
            except (Refused, expat.ExpatError, ValueError, KeyError, IndexError, OSError):
                continue  # a sheet no name points at, unreadable: its text is not needed
            found.update(
                v.strip()
                for (r, _), (v, _) in cells.items()
                if r < scan_rows and isinstance(v, str)
            )
        return found

    merged = {name: list(sheet.merged) for name, sheet in parsed.items()}
    return FormBook(sheetnames, names, ranges, merged, strings, probed, notes)
