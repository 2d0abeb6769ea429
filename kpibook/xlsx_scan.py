"""Reading a returned form straight from its zip: the one reader of departments' files.

``kpibook check`` reads every return with this module, once.  It takes from the zip only
what a check needs -- the workbook's sheets and defined names, the shared strings, which
cell styles are dates, each sheet's cells and merged ranges -- and parses each part once,
whole, with expat through ElementTree's C tree builder (no Python call per element):

- **Safe:** a part must be UTF-8 (as Excel and LibreOffice write) and must not contain a
  document type declaration, where entity bombs and external entities live; both are
  checked on the bytes before the parser sees them, and a part with a DTD is refused
  outright.  Each part is limited in size and in number of tags before it is parsed
  (pre-flight has already checked the zip's directory), and a part is parsed in one
  call, so expat's slow path for huge tokens fed in small pieces is never taken: the
  worst case costs a fraction of a second and a bounded amount of memory.
- **Fast:** no object per cell, no styles beyond the date test, nothing built that a
  check does not ask for; about a fifteenth of openpyxl's cost per workbook.
- **Faithful:** values come out as openpyxl gives them in normal mode with formulas kept
  (``data_only=False``): numbers as int or float, dates by cell style (1900 and 1904
  systems), text from shared or inline strings (rich runs joined, phonetic runs
  dropped), formulas as ``=...`` text with kind ``f``, errors with kind ``e``, and the
  cells hidden under a merged range read as empty.  ``tests/oracle.py`` keeps an
  openpyxl reader and the tests compare the two on every fixture.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, cast
from xml.etree import ElementTree as ET

from kpibook.cells import parse_a1
from kpibook.errors import LoadError
from kpibook.findings import Code
from kpibook.message import Message
from kpibook.xlsx_sheetdata import Scanned, scan, scan_strings

RawValue = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None

MAX_PART = 20 * 1024 * 1024
"""Largest XML part read (declared, uncompressed).  A form's largest part is a few hundred
kilobytes; 20 MB keeps the worst case of expat's large-token behaviour under a second."""

MAX_MARKUP = 500_000
"""Most tags (``<``) in one part.  A form's largest sheet has under 10,000; the bound
keeps the element tree of the worst part allowed near 200 MiB."""

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_C, _V, _F, _IS, _T, _ROW, _RPH, _MERGE, _SI = (
    _MAIN + x for x in ("c", "v", "f", "is", "t", "row", "rPh", "mergeCell", "si")
)
_SHEET, _DEFINED, _WB_PR, _NUM_FMT, _CELL_XFS, _XF = (
    _MAIN + x for x in ("sheet", "definedName", "workbookPr", "numFmt", "cellXfs", "xf")
)
_SHEET_DATA, _MERGE_CELLS, _SHEETS, _DEFINED_NAMES, _NUM_FMTS = (
    _MAIN + x for x in ("sheetData", "mergeCells", "sheets", "definedNames", "numFmts")
)
_ALTERNATE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
"""An escaped character in text (ECMA-376 Part 1, 22.9.2.19, ST_Xstring)."""
_DECLARED = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
WORKBOOK_TYPES = {
    f"application/vnd.{kind}.main+xml"
    for kind in (
        "openxmlformats-officedocument.spreadsheetml.sheet",
        "openxmlformats-officedocument.spreadsheetml.template",
        "ms-excel.sheet.macroEnabled",
        "ms-excel.template.macroEnabled",
    )
}
"""Content types of a workbook part (.xlsx, .xltx, .xlsm, .xltm)."""

_AREA = re.compile(
    r"^(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^'!\s]+))!(?P<first>[^:]+)(?::(?P<last>[^:]+))?$"
)
"""A defined name's area, ``'Sheet'!$A$1`` or ``Sheet!$A$1:$B$2``; the references are
read by :func:`kpibook.cells.parse_a1`."""
_NUMBER = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
"""A number as the standard writes it (xsd:double without INF and NaN): ``float()`` and
``int()`` also take ``２４１８``, ``2_418`` and ``nan``, which LibreOffice shows as 0, 2
and 0."""

WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
MAC_EPOCH = dt.datetime(1904, 1, 1)

_DATE_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
"""Built-in number formats that are dates or times (ECMA-376 18.8.30; 27-36 and 50-58
are the East Asian date formats Japanese Excel uses, such as 令和6年5月1日)."""
_TIMEDELTA_IDS = {46}
_STRIP = re.compile(r'".*?"|\\.|[_*].|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
"""What a format code shows as written, not as a part of the number: quoted text, a
character escaped with ``\\`` (LibreOffice saves our ``"%"`` as ``\\%``), the space of
``_x``, the fill of ``*x``, and brackets other than elapsed time ([Red], [$-411])."""
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA_CODE = re.compile(
    r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I
)


DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, struct.error, NotImplementedError, OSError)
"""What reading a damaged zip raises: a bad directory or header (``BadZipFile``,
``struct.error``), a damaged deflate stream (``zlib.error``, not ``BadZipFile``), a
stream that ends early (``EOFError``), a checksum that does not match (``BadZipFile``),
a flag or version zipfile does not support and Excel never writes (``NotImplementedError``:
patched data, strong encryption, zip version 25.5)."""


class Refused(Exception):
    """A part declares a DTD (entities), or is too large to read."""


class RefusedWorkbook(LoadError):
    """A workbook refused for safety, before its content was read."""


class Ambiguous(Exception):
    """Content that one client shows and another may not (see ``_Reader.tree``)."""


class CorruptWorkbook(LoadError):
    """A damaged workbook: a part does not unpack, or holds what clients read differently."""


class NamedCell(NamedTuple):
    """What a defined name points at: one cell, or nothing usable (``None`` fields)."""

    sheet: str | None
    row: int
    col: int
    value: RawValue
    kind: str
    """As openpyxl names cell types: n (number), s (text), f (formula), e (error), b, d;
    and x: a shared-string index that points at no string (the value is the index as
    written), where openpyxl reads another string or fails on the whole file."""


_named = cast(
    Callable[[tuple[str, int, int, RawValue, str]], NamedCell],
    functools.partial(tuple.__new__, NamedCell),
)
"""``NamedCell(*fields)`` without the Python call a named tuple's constructor makes: a
check makes hundreds for every return."""


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
        notes: list[tuple[Code, str]] | None = None,
        bad_strings: list[tuple[str, int, int, str]] | None = None,
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
        self._merge_rows: dict[str, dict[int, list[tuple[int, int, int, int]]]] = {}
        self.notes = notes or []
        """What the workbook holds besides cells that a coordinator should know of, as
        (finding code, part): links to other workbooks, macros."""
        self.bad_strings = bad_strings or []
        """Cells of the sheets read whose shared-string index points at no string, as
        (sheet, row, col, the index as written): kind x."""
        self.unions: dict[str, list[NamedCell]] = {}
        """Names over several single cells (form version 3's groups of prefilled cells),
        each cell in the order the name lists them; such a name is not in ``names``."""
        self.cells: dict[str, dict[tuple[int, int], tuple[RawValue, str]]] = {}
        """Every cell of the sheets read (the sheets names point at), by sheet."""
        self.renamed: tuple[str, str] | None = None
        """(the name the form recorded, the name it has now) of a renamed form sheet."""
        self.percent_cells: set[tuple[str, int, int]] = set()
        """Cells of the sheets read that show their number as a percent, (sheet, row, col):
        a department that types 89.8% in Calc stores 0.898."""
        self.shown_as_written: dict[tuple[str, int, int], list[str]] = {}
        """Cells of the sheets read whose text holds ``_xHHHH_`` escapes that Excel
        decodes and LibreOffice shows as written, (sheet, row, col) -> the escapes."""

    def merge_over(self, sheet: str | None, row: int, col: int) -> tuple[int, int, int, int] | None:
        """The merged range (of more than one cell) that covers a cell, if any."""
        key = sheet or ""
        index = self._merge_rows.get(key)
        if index is None:
            index = self._merge_rows[key] = _rows_index(self.merged.get(key, []))
        for r1, c1, r2, c2 in index.get(row, index.get(-1, [])):
            if r1 <= row <= r2 and c1 <= col <= c2 and (r1, c1) != (r2, c2):
                return r1, c1, r2, c2
        return None

    def named_cells(self) -> Iterator[NamedCell]:
        """Every cell a name points at, alone or in a group."""
        for cell in self.names.values():
            if cell is not None and cell.sheet is not None:
                yield cell
        for cells in self.unions.values():
            yield from cells

    @property
    def strings(self) -> set[str]:
        """Text in the first rows of every sheet, to recognise a form whose names were lost
        (read only when asked: a form with its names never needs it)."""
        if self._scanned is None:
            self._scanned = self._strings()
        return self._scanned


def _rows_index(
    merged: list[tuple[int, int, int, int]],
) -> dict[int, list[tuple[int, int, int, int]]]:
    """Merged ranges by the rows they cover; ranges taller than 1,000 rows are under -1
    and also checked for every row (a form's merges are a few rows tall).  A sheet whose
    merges cover more than 100,000 rows in all is not a form: all its merges go under -1."""
    if sum(m[2] - m[0] + 1 for m in merged if m[2] - m[0] < 1_000) > 100_000:
        return {-1: merged}
    tall = [m for m in merged if m[2] - m[0] >= 1_000]
    index: dict[int, list[tuple[int, int, int, int]]] = {-1: tall}
    for m in merged:
        if m[2] - m[0] < 1_000:
            for row in range(m[0], m[2] + 1):
                index.setdefault(row, list(tall)).append(m)
    return index


def read_form_book(
    path: Path,
    scan_rows: int = 60,
    probe: str | None = None,
    unpacked: Mapping[str, bytes] | None = None,
) -> FormBook:
    """Read names, named cells, merges and some text; formulas are kept as formulas.

    ``probe`` names a range whose rows are (sheet, cell, expected value): each listed cell
    is read too, so that a caller can compare it with what was expected.  ``unpacked``:
    parts already unpacked from this file (by pre-flight), used instead of unpacking
    them again.
    """
    path = Path(path)
    try:
        data = path.read_bytes()  # pre-flight bounds the size; parts are read lazily
        reader = _Reader(zipfile.ZipFile(io.BytesIO(data)), unpacked)
        return reader.form_book(scan_rows, probe)
    except Refused as exc:
        refused = Message(ja="安全のため読み込みません", en=str(exc))
        raise RefusedWorkbook.single(path, refused) from None
    except DAMAGED as exc:  # pre-flight unpacked every part; the file changed since
        damaged = Message(ja="ファイルが壊れています", en=f"{type(exc).__name__}: {exc}")
        raise CorruptWorkbook.single(path, damaged) from None
    except Ambiguous as exc:
        ambiguous = Message(ja="ファイルが壊れています", en=str(exc))
        raise CorruptWorkbook.single(path, ambiguous) from None
    except (KeyError, ValueError, IndexError) as exc:
        detail = f"{type(exc).__name__}: {exc}"
    except ET.ParseError as exc:
        detail = f"malformed XML: {exc}"
    except RecursionError:
        detail = "XML nested too deeply"
    raise LoadError.single(
        path, Message(ja="Excel ブック（.xlsx）として読み込めません", en=detail)
    ) from None


def _tree(data: bytes, part: str, max_markup: int = MAX_MARKUP) -> ET.Element:
    """Parse one part whole, after the checks that make parsing it safe and bounded."""
    _safe(data, part, max_markup)
    parser = ET.XMLParser(encoding="utf-8")
    try:
        parser.feed(data)
        root: ET.Element = parser.close()
    except ET.ParseError as exc:
        raise ET.ParseError(f"part {part}: {exc}") from None
    return root


def _safe(data: bytes, part: str, max_markup: int) -> None:
    """The checks that make parsing a part safe and bounded: UTF-8, no DTD, not too
    many tags (pre-flight bounded its size)."""
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    declared = _DECLARED.match(body)
    encoding = declared[1].decode("ascii").lower().replace("_", "-") if declared else "utf-8"
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:4]:
        encoding = "utf-16/32"
    if encoding not in ("utf-8", "utf8"):
        raise ValueError(f"part {part} is encoded in {encoding}; Excel writes UTF-8")
    if b"<!DOCTYPE" in data:  # in UTF-8 the declaration can only be these bytes
        raise Refused(
            f"refused: part {part} declares a document type (DTD) with entities, as XML "
            "bombs and external-entity attacks do; Excel never writes one"
        )
    markup = data.count(b"<")
    if markup > max_markup:
        raise Refused(f"part {part} has {markup:,} XML tags (at most {max_markup:,})")


class _Sheet:
    """One worksheet's cells, (row, col) 0-based -> (value, kind), and its merges."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], tuple[RawValue, str]] = {}
        self.merged: list[tuple[int, int, int, int]] = []
        self.literal: dict[tuple[int, int], list[str]] = {}
        """Cells whose text holds escapes LibreOffice shows as written."""
        self.percent: set[tuple[int, int]] = set()
        """Cells holding a number shown as a percent (a format with %): 89.8% is 0.898."""

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


@dataclass
class OpenedBook:
    """What every reader of a workbook needs before its sheets: their names and parts'
    relationship ids, the defined names, the workbook's relationships, shared strings,
    the cell formats that show dates and spans, and whether dates count from 1904."""

    sheets: list[tuple[str, str]]
    defined: dict[str, str]
    rels: dict[str, tuple[str, str]]
    date1904: bool
    strings: list[str] = field(default_factory=list)
    dates: set[int] = field(default_factory=set)
    spans: set[int] = field(default_factory=set)


class _Reader:
    max_part = MAX_PART
    max_markup = MAX_MARKUP
    """Bounds of one part: a form's; the plan workbook's reader (``xlsx_grids``) raises them."""

    plain_sheets = True
    """Read a plain worksheet with :mod:`kpibook.xlsx_sheetdata` instead of its element
    tree (the tests turn it off to compare the two)."""

    def __init__(
        self, archive: zipfile.ZipFile, unpacked: Mapping[str, bytes] | None = None
    ) -> None:
        self.archive = archive
        self.unpacked = unpacked or {}
        """Parts already unpacked, by name."""
        self.parts = {i.filename: i for i in archive.infolist()}
        self.notes: list[tuple[Code, str]] = []
        self.percents: set[int] = set()
        """Cell formats (``s=``) that show a number as a percent."""
        self.literal_strings: dict[int, list[str]] = {}
        """Shared strings holding escapes LibreOffice shows as written, by index."""

    def read(self, name: str) -> bytes:
        info = self.parts.get(name)
        if info is None:
            raise KeyError(f"there is no part named {name!r}")
        if info.file_size > self.max_part:
            raise Refused(f"part {name} is {info.file_size:,} bytes (at most {self.max_part:,})")
        held = self.unpacked.get(name)
        if held is not None and len(held) == info.file_size:
            return held
        try:
            return self.archive.read(info)
        except DAMAGED as exc:
            raise zipfile.BadZipFile(f"part {name}: {type(exc).__name__}: {exc}") from None

    # -- package ------------------------------------------------------------------------

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """A part's relationships: id -> (type, target part name)."""
        folder, base = posixpath.split(part)
        name = posixpath.join(folder, "_rels", base + ".rels")
        out: dict[str, tuple[str, str]] = {}
        if name not in self.parts:
            return out
        for rel in self.tree(name).findall(_PKG_REL + "Relationship"):
            if rel.get("TargetMode") != "External":
                target = rel.get("Target", "")
                resolved = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join(folder, target))
                )
                out[rel.get("Id", "")] = (rel.get("Type", ""), resolved)
        return out

    def opened(self) -> OpenedBook:
        """The workbook part the package points at, declared as one, with its sheets,
        names, relationships, shared strings and the formats that show dates."""
        office = [t for kind, t in self.rels("").values() if kind == _OFFICE_DOC]
        workbook = office[0] if office else "xl/workbook.xml"
        self.declared(workbook)
        sheets, defined, date1904 = self.workbook(workbook)
        book = OpenedBook(sheets, defined, self.rels(workbook), date1904)
        for kind, target in book.rels.values():
            if kind.endswith("/sharedStrings"):
                book.strings = self.shared_strings(target)
            elif kind.endswith("/styles"):
                book.dates, book.spans = self.date_styles(target)
        return book

    def form_book(self, scan_rows: int, probe: str | None) -> FormBook:
        b = self.opened()
        for kind, target in b.rels.values():
            if kind.endswith("/externalLink"):
                self.notes.append((Code.EXTERNAL_LINK, target))
        vba = [name for name in self.parts if name.lower().endswith("vbaproject.bin")]
        if vba:
            self.notes.append((Code.MACROS, vba[0]))
        epoch = MAC_EPOCH if b.date1904 else WINDOWS_EPOCH
        targets = {name: b.rels.get(rid, ("", "")) for name, rid in b.sheets}
        grids: dict[str, _Sheet] = {}

        def grid(name: str) -> _Sheet:
            """A sheet, parsed on first use (a chart sheet or a missing part is empty)."""
            held = grids.get(name)
            if held is not None:
                return held
            if name not in grids:
                kind, target = targets[name]
                grids[name] = (
                    self.sheet(target, b.strings, b.dates, b.spans, epoch)
                    if kind.endswith("/worksheet") and target in self.parts
                    else _Sheet()
                )
            return grids[name]

        return _book(grid, grids, [n for n, _ in b.sheets], b.defined, scan_rows, probe, self.notes)

    def declared(self, workbook: str) -> None:
        """The package declares ``workbook`` a workbook in [Content_Types].xml, by name or
        by extension (names compared without case, as the standard says).  Neither Excel
        nor LibreOffice opens a file that does not: its values were never shown."""
        root = self.tree("[Content_Types].xml")
        name, ext = "/" + workbook.lower(), posixpath.splitext(workbook)[1][1:].lower()
        by_name = {
            o.get("PartName", "").lower(): o.get("ContentType", "")
            for o in root.findall(_TYPES + "Override")
        }
        by_ext = {
            d.get("Extension", "").lower(): d.get("ContentType", "")
            for d in root.findall(_TYPES + "Default")
        }
        kind = by_name.get(name, by_ext.get(ext, ""))
        if kind.strip().lower() not in {t.lower() for t in WORKBOOK_TYPES}:
            raise ValueError(
                f"[Content_Types].xml does not declare {workbook} a workbook "
                f"({kind or 'no content type'})"
            )

    def tree(
        self,
        name: str,
        once: tuple[str, ...] = (),
        taken: tuple[str, ...] = (),
        data: bytes | None = None,
    ) -> ET.Element:
        """A part's tree.  Values are taken only where Excel and LibreOffice both look
        (``worksheet/sheetData/row/c``, never a ``<row>`` inside ``<extLst>``); ``once``
        names the containers they are taken from, ``taken`` the elements.  A second
        container is read by some clients (LibreOffice reads a second ``<sheetData>``),
        and an element inside a markup-compatibility ``AlternateContent`` block is shown
        by a client that knows the Choice's namespace and not by another (LibreOffice 7.4
        takes an ``x12ac`` Choice): either is refused, not guessed."""
        data = self.read(name) if data is None else data
        root = _tree(data, name, self.max_markup)
        for tag in once:
            if len(root.findall(tag)) > 1:
                raise Ambiguous(f"part {name} holds more than one <{_local(tag)}>")
        if b"AlternateContent" in data and (once or taken):
            wanted = {*once, *taken}
            for alternate in root.iter(_ALTERNATE):
                inner = next((e for e in alternate.iter() if e.tag in wanted), None)
                if inner is not None:
                    raise Ambiguous(
                        f"part {name} holds <{_local(inner.tag)}> inside mc:AlternateContent, "
                        "which Excel and LibreOffice may show differently"
                    )
        return root

    def workbook(self, part: str) -> tuple[list[tuple[str, str]], dict[str, str], bool]:
        root = self.tree(part, (_SHEETS, _DEFINED_NAMES, _WB_PR), (_SHEET, _DEFINED))
        sheets = [
            (s.get("name", ""), s.get(_DOC_REL + "id", ""))
            for s in root.findall(f"{_SHEETS}/{_SHEET}")
        ]
        defined = {
            d.get("name", ""): d.text or ""
            for d in root.findall(f"{_DEFINED_NAMES}/{_DEFINED}")
            if d.get("localSheetId") is None
        }
        date1904 = any(
            pr.get("date1904", "").lower() in ("1", "true") for pr in root.findall(_WB_PR)
        )
        return sheets, defined, date1904

    def shared_strings(self, part: str) -> list[str]:
        out: list[str] = []
        data = self.read(part)
        if self.plain_sheets:
            _safe(data, part, self.max_markup)
            plain = scan_strings(data)
            if plain is not None:
                for raw in plain:
                    literal: list[str] = []
                    out.append(_xstring(raw, literal))
                    if literal:
                        self.literal_strings[len(out) - 1] = literal
                return out
        for si in self.tree(part, (), (_SI,), data).findall(_SI):
            literal = []
            if len(si) == 1 and si[0].tag == _T:
                out.append(_xstring(si[0].text or "", literal))
            else:
                out.append(_runs(si, literal))
            if literal:
                self.literal_strings[len(out) - 1] = literal
        return out

    def date_styles(self, part: str) -> tuple[set[int], set[int]]:
        """Indexes of the cell formats (``s=``) that show dates, and those that show spans."""
        root = self.tree(part, (_NUM_FMTS, _CELL_XFS), (_NUM_FMT, _XF))
        custom = {
            int(f.get("numFmtId", "0")): f.get("formatCode", "")
            for f in root.findall(f"{_NUM_FMTS}/{_NUM_FMT}")
        }
        fmt_ids = [int(xf.get("numFmtId", "0")) for xf in root.findall(f"{_CELL_XFS}/{_XF}")]
        dates, spans = set(), set()
        self.percents = {
            index
            for index, fid in enumerate(fmt_ids)
            if fid in (9, 10) or "%" in _STRIP.sub("", custom.get(fid, "").split(";")[0])
        }
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
        data = self.read(part)
        if self.plain_sheets:
            _safe(data, part, self.max_markup)
            scanned = scan(data)
            if scanned is not None:
                return self._plain_sheet(scanned, strings, dates, spans, epoch)
        grid = _Sheet()
        cells = grid.cells
        root = self.tree(part, (_SHEET_DATA, _MERGE_CELLS), (_ROW, _C, _MERGE), data)
        shared: dict[str, str] = {}
        count = len(strings)
        percents, literals = self.percents, self.literal_strings
        at_row = -1  # the current row, 0-based: a row's r=, or a cell's r= within it
        for row in root.findall(f"{_SHEET_DATA}/{_ROW}"):
            r = row.get("r")
            if r and not (r.isascii() and r.isdigit()):
                raise ValueError(f"row number {r!r} in {part}")
            at_row = int(r) - 1 if r else at_row + 1
            at_col = -1
            for c in row:
                if c.tag != _C:
                    continue
                ref = c.get("r")
                if ref:
                    at = _ref(ref)
                    if at is None:
                        raise ValueError(f"cell reference {ref!r} in {part}")
                    at_row, at_col = at
                else:
                    at_col += 1
                t = c.get("t")
                if not len(c):  # a styled empty cell, most of a form's
                    if t is not None and t != "n":
                        cells[(at_row, at_col)] = (None, "s" if t == "inlineStr" else t)
                    continue
                if t == "s" and len(c) == 1:
                    v = c[0]
                    text = v.text
                    if v.tag == _V and text:  # most of a form's cells
                        cells[(at_row, at_col)], index = _string_cell(strings, count, text)
                        if literals and index is not None and index in literals:
                            grid.literal[(at_row, at_col)] = literals[index]
                        continue
                literal: list[str] = []
                value = _value(c, strings, dates, spans, epoch, shared, literal)
                if value[0] is not None or value[1] != "n":
                    cells[(at_row, at_col)] = value
                if (
                    percents
                    and isinstance(value[0], int | float)
                    and int(c.get("s") or 0) in percents
                ):
                    grid.percent.add((at_row, at_col))
                if t == "s" and literals:
                    index = _index(c.findtext(_V) or "", count)
                    literal = literals.get(index, []) if index is not None else []
                if literal:
                    grid.literal[(at_row, at_col)] = literal
        for merge in root.findall(f"{_MERGE_CELLS}/{_MERGE}"):
            first, _, last = merge.get("ref", "").partition(":")
            start, end = _ref(first), _ref(last or first)
            if start and end:
                grid.merged.append((*start, *end))
        grid.hide_merged()
        return grid

    def _plain_sheet(
        self,
        scanned: Scanned,
        strings: list[str],
        dates: set[int],
        spans: set[int],
        epoch: dt.datetime,
    ) -> _Sheet:
        """A plain sheet's cells, as :meth:`sheet` reads them from its tree: every cell
        has its reference, and a cell without a value or a type is not listed."""
        grid = _Sheet()
        cells = grid.cells
        count = len(strings)
        percents, literals = self.percents, self.literal_strings
        for ref, style, t_valued, text, t_empty in scanned.cells:
            at = _ref(ref)
            assert at is not None  # the scan's pattern is a reference parse_a1 reads
            if t_valued == "s" and text:
                if text.isdigit() and text.isascii() and len(text) < 10:
                    number = int(text)
                    if number < count:  # most of a form's cells
                        cells[at] = (strings[number], "s")
                        if literals and number in literals:
                            grid.literal[at] = literals[number]
                        continue
                cells[at], index = _string_cell(strings, count, text)
                if literals and index is not None and index in literals:
                    grid.literal[at] = literals[index]
                continue
            t = t_valued or t_empty or None
            literal: list[str] = []
            value = _typed(t or "n", style, text or None, strings, dates, spans, epoch, literal)
            if value[0] is not None or value[1] != "n":
                cells[at] = value
            if percents and isinstance(value[0], int | float) and int(style or 0) in percents:
                grid.percent.add(at)
            if literal:
                grid.literal[at] = literal
        for merge in scanned.merges:
            first, _, last = merge.partition(":")
            start, end = _ref(first), _ref(last or first)
            if start and end:
                grid.merged.append((*start, *end))
        grid.hide_merged()
        return grid


def _local(tag: str) -> str:
    """``{namespace}row`` as ``row``."""
    return tag.rpartition("}")[2]


def _runs(element: ET.Element, literal: list[str]) -> str:
    """The text of a string item: its ``t`` and its runs' ``t``, without phonetic runs;
    each ``t`` decoded on its own (an escape cannot span two runs)."""
    return "".join(
        _xstring(t.text or "", literal)
        for child in element
        if child.tag != _RPH
        for t in child.iter(_T)
    )


def _xstring(raw: str, literal: list[str], libreoffice: bool = True) -> str:
    """Text as ECMA-376 stores it (Part 1, 22.9.2.19, ST_Xstring), decoded as Excel shows
    it: ``_xHHHH_`` -- exactly four hex digits, either case -- is the character HHHH,
    read left to right, so ``_x005F_`` is an underscore and ``_x005F_x0041_`` the text
    ``_x0041_``; anything else (``_x41_``, ``_X0041_``, ``_x00G1_``) is text as written.
    An escaped surrogate pair is one character; a lone surrogate, which is none, is
    U+FFFD.  Excel writes escapes only for control characters (a carriage return is
    ``_x000D_``) and for text that looks like one.

    LibreOffice 7.4 decodes only the escapes of control characters, ``_``, surrogates
    and U+FFFE/U+FFFF, and none in a formula's cached text (``libreoffice=False``); the
    escapes it would show as written are added to ``literal``."""
    if "_x" not in raw:
        return raw
    for m in _ESCAPE.finditer(raw):
        code = int(m[1], 16)
        if not libreoffice or not (
            code < 0x20 or code == 0x5F or 0xD800 <= code <= 0xDFFF or code >= 0xFFFE
        ):
            literal.append(m[0])
    decoded = _ESCAPE.sub(lambda m: chr(int(m[1], 16)), raw)
    return decoded.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@functools.lru_cache(maxsize=65_536)
def _ref(ref: str) -> tuple[int, int] | None:
    """A cell reference (``F8``, ``$F$8``) as 0-based (row, col), None if it is not one;
    remembered, as every form of a layout repeats the same references."""
    try:
        return parse_a1(ref)
    except ValueError:
        return None


def _value(
    c: ET.Element,
    strings: list[str],
    dates: set[int],
    spans: set[int],
    epoch: dt.datetime,
    shared: dict[str, str],
    literal: list[str],
) -> tuple[RawValue, str]:
    """One cell as openpyxl gives it, text decoded as Excel shows it: (value, kind)."""
    v = f = inline = None
    for child in c:
        tag = child.tag
        if tag == _V:
            v = child
        elif tag == _F:
            f = child
        elif tag == _IS:
            inline = child
    t = c.get("t", "n")
    if f is not None:
        formula = f.text or ""
        si = f.get("si", "")
        if f.get("t", "") == "shared" and si:
            if formula:
                shared[si] = formula
            formula = formula or shared.get(si, "")
        return "=" + formula, "f"
    if t == "inlineStr":
        return (_runs(inline, literal), "s") if inline is not None else (None, "s")
    text = v.text if v is not None else None
    return _typed(t, c.get("s"), text, strings, dates, spans, epoch, literal)


def _typed(
    t: str,
    style: str | None,
    text: str | None,
    strings: list[str],
    dates: set[int],
    spans: set[int],
    epoch: dt.datetime,
    literal: list[str],
) -> tuple[RawValue, str]:
    """A cell without a formula or an inline string, from its type, its style (``s=``)
    and the text of its ``<v>``: (value, kind)."""
    if t == "inlineStr":
        return None, "s"
    if not text:
        return None, t
    if t == "n":
        number: int | float
        if text.isdigit() and text.isascii():  # most numbers: digits, read as written
            number = int(text)
        elif not _NUMBER.fullmatch(text):
            raise ValueError(f"{text[:40]!r} is not a number")
        else:
            number = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
        index = int(style or 0)
        if index in dates:
            try:
                return _from_excel(number, epoch, index in spans), "d"
            except (OverflowError, ValueError):
                return "#VALUE!", "e"
        return number, "n"
    if t == "s":
        return _shared(strings, text)
    if t == "b":
        return bool(int(text)), "b"
    if t == "str":
        return _xstring(text, literal, libreoffice=False), "s"
    if t == "d":
        try:
            return dt.datetime.fromisoformat(text.rstrip("Z")), "d"
        except ValueError:
            return text, "s"
    return text, t


def _shared(strings: list[str], text: str) -> tuple[RawValue, str]:
    """Shared string number ``text``, or kind x when it names none: never Python's
    negative indexing (-2 would read another cell's text), never past the end, never a
    number in another form (1.5, a full-width ３) read as one."""
    index = _index(text, len(strings))
    return (strings[index], "s") if index is not None else (text, "x")


def _string_cell(
    strings: list[str], count: int, text: str
) -> tuple[tuple[RawValue, str], int | None]:
    """A shared-string cell as :func:`_shared` reads it, and the index it names (None:
    none); an index written as plain digits, as every writer does, is read directly."""
    if text.isdigit() and text.isascii() and len(text) < 10:
        index = int(text)
        return ((strings[index], "s"), index) if index < count else ((text, "x"), None)
    found = _index(text, count)
    return ((strings[found], "s") if found is not None else (text, "x")), found


def _index(text: str, count: int) -> int | None:
    index = text.strip()
    if index.isascii() and index.isdigit() and len(index) < 10 and int(index) < count:
        return int(index)
    return None


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


_UNION_ITEM = re.compile(r"(?:'(?:[^']|'')+'|[^'!,\s]+)![^,:']+(?::[^,:']+)?")


@functools.lru_cache(maxsize=65_536)
def _parse_union(text: str) -> tuple[tuple[str, int, int], ...] | None:
    """``'Sheet'!$F$8,'Sheet'!$G$8``: the single cells a name lists, in its order; None
    unless every part is one cell (a union of ranges is no name of a form)."""
    items = text.strip().split(",") if "'" not in text else None
    if items is None:  # quoted sheet names may hold commas: split where an item ends
        items, at = [], 0
        body = text.strip()
        while at <= len(body):
            m = _UNION_ITEM.match(body, at)
            if m is None:
                return None
            items.append(m.group())
            at = m.end()
            if at == len(body):
                break
            if body[at] != ",":
                return None
            at += 1
    cells: list[tuple[str, int, int]] = []
    for item in items:
        area = _parse_area(item)
        if area is None or area[1:3] != area[3:5]:
            return None
        cells.append(area[:3])
    return tuple(cells) if len(cells) > 1 else None


@functools.lru_cache(maxsize=65_536)
def _union_sheets(text: str) -> frozenset[str]:
    """The sheets of the cells a union (:func:`_parse_union`) lists."""
    return frozenset(sheet for sheet, _, _ in _parse_union(text) or ())


@functools.lru_cache(maxsize=65_536)
def _parse_area(text: str) -> tuple[str, int, int, int, int] | None:
    """``'Sheet'!$A$1:$B$2`` as (sheet, rows and columns 0-based and ordered); forms of
    one layout repeat the same texts, so they are remembered."""
    m = _AREA.match(text.strip())
    if m is None:
        return None
    sheet = m["plain"] or m["quoted"].replace("''", "'")
    first, last = _ref(m["first"]), _ref(m["last"] or m["first"])
    if first is None or last is None:
        return None
    (r1, c1), (r2, c2) = first, last
    return sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def moved_sheet(
    recorded: str, sheetnames: list[str], names: dict[str, NamedCell | None]
) -> str | None:
    """Where a sheet the form recorded by name is now: itself, or, when a department
    renamed it (Calc does not apply the workbook's structure lock), the sheet the
    defined names point at (Excel and LibreOffice update them on renaming)."""
    if recorded in sheetnames:
        return recorded
    counts = Counter(cell.sheet for cell in names.values() if cell is not None and cell.sheet)
    return counts.most_common(1)[0][0] if counts else None


def _book(
    grid: Callable[[str], _Sheet],
    parsed: dict[str, _Sheet],
    sheetnames: list[str],
    defined: dict[str, str],
    scan_rows: int,
    probe: str | None,
    notes: list[tuple[Code, str]],
) -> FormBook:
    known = set(sheetnames)
    names: dict[str, NamedCell | None] = {}
    ranges: dict[str, list[list[RawValue]]] = {}
    unions: dict[str, list[NamedCell]] = {}
    empty: tuple[RawValue, str] = (None, "n")
    by_sheet: dict[str, dict[tuple[int, int], tuple[RawValue, str]]] = {}

    def cells_of(sheet: str) -> dict[tuple[int, int], tuple[RawValue, str]]:
        held = by_sheet.get(sheet)
        if held is None:
            held = by_sheet[sheet] = grid(sheet).cells
        return held

    for name, text in defined.items():
        area = _parse_area(text)
        if area is None and "," in text:
            listed = _parse_union(text)
            if listed is not None and known.issuperset(_union_sheets(text)):
                unions[name] = [
                    _named((sheet, r, c, *cells_of(sheet).get((r, c), empty)))
                    for sheet, r, c in listed
                ]
                continue
        if area is None or area[0] not in known:
            names[name] = None
            continue
        sheet, r1, c1, r2, c2 = area
        sheet_cells = cells_of(sheet)
        if r1 == r2 and c1 == c2:
            names[name] = _named((sheet, r1, c1, *sheet_cells.get((r1, c1), empty)))
        elif (r2 - r1 + 1) * (c2 - c1 + 1) <= 10_000:
            ranges[name] = [
                [sheet_cells.get((r, c), empty)[0] for c in range(c1, c2 + 1)]
                for r in range(r1, r2 + 1)
            ]
    probed: list[tuple[str, str, RawValue, RawValue]] = []
    renamed: tuple[str, str] | None = None
    for row in ranges.get(probe or "", []):
        sheet, ref, expected = (
            (str(row[0]), str(row[1]), row[2]) if len(row) == 3 else ("", "", None)
        )
        now = moved_sheet(sheet, sheetnames, names)
        if now != sheet and now is not None:
            renamed, sheet = (sheet, now), now
        at = _ref(ref)
        found = grid(sheet).get(*at)[0] if at and sheet in known else None
        probed.append((sheet, ref, expected, found))

    def strings() -> set[str]:
        found: set[str] = set()
        for name in sheetnames:
            try:
                cells = grid(name).cells
            except (Refused, *DAMAGED, ET.ParseError, ValueError, KeyError, IndexError):
                continue  # a sheet no name points at, unreadable: its text is not needed
            found.update(
                v.strip()
                for (r, _), (v, _) in cells.items()
                if r < scan_rows and isinstance(v, str)
            )
        return found

    merged = {name: list(sheet.merged) for name, sheet in parsed.items()}
    bad = sorted(
        (name, r, c, str(value))
        for name, read in parsed.items()
        for (r, c), (value, kind) in read.cells.items()
        if kind == "x"
    )
    book = FormBook(sheetnames, names, ranges, merged, strings, probed, notes, bad)
    book.unions = unions
    book.cells = {name: read.cells for name, read in parsed.items()}
    book.renamed = renamed
    for name, read in parsed.items():
        for (r, c), escapes in read.literal.items():
            book.shown_as_written[(name, r, c)] = escapes
        book.percent_cells.update((name, r, c) for r, c in read.percent)
    return book
