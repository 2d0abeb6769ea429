"""A worksheet's cells and the shared strings read with regular expressions, for the
parts kpibook itself writes.

Parsing a form's sheet into an element tree and walking it in Python is most of what
checking a return costs.  The sheets xlsxwriter writes (and Excel and LibreOffice save)
are plain: each cell ``<c r="F8" s="12" t="s"><v>3</v></c>``, attributes in that order,
no entities, comments or CDATA.  :func:`scan` reads such a sheet's cells and merged ranges
straight from the text, and answers ``None`` -- the caller then parses the part as before
-- for anything else.  It never decides what a sheet means, only what it holds:

- the part has already passed the reader's checks (UTF-8, no DTD, bounded size and tags)
  and is **well-formed**, as the same expat with namespaces says (a part expat refuses
  goes the slow way, which refuses it with the same message);
- the main namespace is the document's default and is declared once, on the root
  (``<worksheet>``, or ``<sst>`` for the shared strings); no other default namespace,
  prefix for it, comment, CDATA, processing instruction after the declaration,
  ``AlternateContent`` or character reference (which could spell the namespace's name
  so that counting its bytes would miss it) anywhere in the part: every unprefixed
  element is then a SpreadsheetML element, and every ``<`` begins a tag;
- one ``<sheetData>``, a child of the root (the tags before it balance), holding only
  rows with a numeric ``r`` first and cells of the plain form above, each with its
  reference first (``[A-Z]{1,3}[0-9]+``), then ``s`` and ``t``, and at most a ``<v>``
  whose text has no entity and no carriage return; whitespace between them;
- at most one ``<mergeCells>``, a child of the root, holding only ``<mergeCell ref=".."/>``;
- or, for the shared strings (:func:`scan_strings`), an ``<sst>`` root holding only
  ``<si><t>text</t></si>`` items (``xml:space="preserve"`` allowed), no carriage return.

Whatever the element tree would read from such a part, this reads: ``tests/sheetdata.py``
compares the two for every return any test checks, and ``tests/test_sheetdata.py`` on
every fixture, every form the tests write, the fuzzed returns and hostile shapes.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from typing import NamedTuple

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

_WS = r"[ \t\r\n]*+"
_ATTR = r"""[ \t\r\n]++[^\s=/>"'<]++[ \t\r\n]*+=[ \t\r\n]*+(?:"[^"<]*+"|'[^'<]*+')"""
_ATTR_PARTS = re.compile(r"""([^\s=/>"'<]+)[ \t\r\n]*=[ \t\r\n]*(?:"([^"<]*)"|'([^'<]*)')""")
_CELL_FORM = (
    r'<c r="[A-Z]{1,3}[0-9]++"(?: s="[0-9]++")?+(?: t="[a-zA-Z]++")?+'
    r"(?:/>|>(?:<v>[^<&\r]*+</v>)?+</c>)"
)
_ROW_FORM = (
    rf'<row r="[0-9]++"(?:[ \t\r\n]++[A-Za-z_][\w.:-]*+="[^"<&\t\r\n]*+")*+{_WS}'
    rf"(?:/>|>(?:{_WS}{_CELL_FORM})*+{_WS}</row>)"
)
_ROWS = re.compile(rf"(?:{_WS}{_ROW_FORM})*+{_WS}")
"""The whole of a plain ``<sheetData>``'s content."""
_CELL = re.compile(
    r'<c r="([A-Z]{1,3}[0-9]+)"(?: s="([0-9]+)")?'
    r'(?:(?: t="([a-zA-Z]+)")?><v>([^<&\r]*)</v></c>| t="([a-zA-Z]+)"(?:/>|></c>))'
)
"""The cells that hold something: a value, or a type.  A cell with neither (a styled
empty cell, most of a form's) is skipped here, as the tree's reader skips it: every
cell carries its reference, so no later cell's place depends on it."""
_HEAD = re.compile(rf"\ufeff?(?:<\?xml[^<>]*\?>)?{_WS}<([A-Za-z]++)((?:{_ATTR})*+){_WS}>")
"""The declaration and the root's start tag."""
_STRINGS = re.compile(rf'(?:{_WS}<si><t(?: xml:space="preserve")?+>[^<\r]*+</t></si>)*+{_WS}')
"""The whole of a plain shared-strings part's content."""
_STRING = re.compile(r"<t[^>]*>([^<]*)</t>")
_TAG = re.compile(rf"<(/?)[A-Za-z_][\w.:-]*+(?:{_ATTR})*+{_WS}(/?)>|[^<]++")
_MERGE_FORM = rf'{_WS}<mergeCell ref="[^"<&\t\r\n]*+"{_WS}/>'
_MERGES = re.compile(
    rf"<mergeCells(?:{_ATTR})*+{_WS}(?:/>|>((?:{_MERGE_FORM})*+{_WS})</mergeCells>)"
)
_MERGE_REF = re.compile(r'<mergeCell ref="([^"]*)"')
_DEFAULT_NS = re.compile(rb"xmlns[ \t\r\n]*=")


class Scanned(NamedTuple):
    """A plain sheet's content, as written."""

    cells: list[tuple[str, str, str, str, str]]
    """(reference, style or "", type or "", value text, type of a cell without a value
    or ""), in document order, of every cell that holds a value or a type."""
    merges: list[str]
    """Each merged range's ``ref``, in document order."""


def scan(data: bytes) -> Scanned | None:
    """The cells and merges of a plain worksheet part (see the module's text); None
    for any other part, which the caller reads with its element tree."""
    if data.count(b"<sheetData") != 1 or data.count(b"<mergeCells") > 1:
        return None
    body = _plain(data, "worksheet")
    if body is None:
        return None
    start = body.find("<sheetData>")
    end = body.find("</sheetData>", start)
    if start < 0 or end < 0:
        return None
    before = body[:start]
    if "<mergeCells" in before or not _balanced(before):
        return None
    rows, after = body[start + len("<sheetData>") : end], body[end + len("</sheetData>") :]
    if _ROWS.fullmatch(rows) is None:
        return None
    merges: list[str] = []
    at = after.find("<mergeCells")
    if at >= 0:
        block = _MERGES.match(after, at)
        if block is None or not _balanced(after[:at]):
            return None
        merges = _MERGE_REF.findall(block[1] or "")
    return Scanned(_CELL.findall(rows), merges)


def scan_strings(data: bytes) -> list[str] | None:
    """The text of each string of a plain shared-strings part, as written (entities
    decoded, ``_xHHHH_`` escapes not): every item one ``<t>``, no rich text or phonetic
    runs; None for any other part, which the caller reads with its element tree."""
    body = _plain(data, "sst")
    if body is None or _STRINGS.fullmatch(body) is None:
        return None
    texts = _STRING.findall(body)
    if "&" in body:
        return [_unescaped(t) for t in texts]
    return texts


def _plain(data: bytes, root: str) -> str | None:
    """The content of a plain part's ``root`` element (what lies between its start and
    end tags), after the checks the module's text lists; None for any other part."""
    # (a byte counted first: searching for two bytes that begin with "<" is slower)
    if (
        b"AlternateContent" in data
        or (b"!" in data and b"<!" in data)  # a comment, CDATA (or a DTD, refused before)
        or (b"#" in data and b"&#" in data)  # a character reference (expat refuses
        # undefined entities as the tree does)
        or (data.count(b"?") > 2 and data.count(b"<?") > 1)
        or data.count(MAIN.encode()) != 1
        or len(_DEFAULT_NS.findall(data)) != 1
    ):
        return None
    declared = data.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml")
    if not declared and b"?" in data and b"<?" in data:  # the one PI is not the declaration
        return None
    try:
        expat = xml.parsers.expat.ParserCreate("utf-8", "}")
        expat.Parse(data, True)
    except xml.parsers.expat.ExpatError:
        return None  # the tree's parser refuses it, with its message
    text = data.decode("utf-8")
    head = _HEAD.match(text)
    if head is None or head[1] != root:
        return None
    attributes = [(n, a or b) for n, a, b in _ATTR_PARTS.findall(head[2])]
    # well-formed, with nothing but white space after the root: its end tag comes last
    end_tag = f"</{root}>"
    last = len(text.rstrip(" \t\r\n")) - len(end_tag)
    if ("xmlns", MAIN) not in attributes or not text.startswith(end_tag, last):
        return None
    return text[head.end() : last]


_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}


def _unescaped(text: str) -> str:
    """Text with the five predefined entities replaced (a plain part holds no other)."""
    if "&" not in text:
        return text
    for entity, char in _ENTITIES.items():  # &amp; last: "&amp;lt;" is "&lt;"
        text = text.replace(entity, char)
    return text


def _balanced(segment: str) -> bool:
    """Whether the tags of ``segment`` (between two children of the root) close all they
    open, so that what follows is again a child of the root."""
    depth = 0
    end = 0
    for m in _TAG.finditer(segment):
        if m.start() != end:
            return False
        end = m.end()
        if m[0][0] != "<":
            continue
        if m[1]:
            depth -= 1
            if depth < 0:
                return False
        elif not m[2]:
            depth += 1
    return end == len(segment) and depth == 0
