"""The text form written as JSON: the fast path for large plans.

JSON is YAML 1.2, and a JSON document means the same to kpibook's strict YAML reader
(``plantext.py``) as it does here: numbers with a fraction or an exponent are exact
decimals, ``true``/``false``/``null`` are what they say, a key given twice is an error,
and ``NaN`` or ``Infinity`` is text, not a number.  But a JSON parser reads it about
twenty times faster than a YAML one: a national plan (35,000 projects) parses in half a
second instead of nine.  So a ``.json`` file, or a ``.yaml`` file that is JSON, is read
here and validated like any other.

Errors are located as in YAML: the line of the value a problem is about and the key
path to it.  The parse keeps no positions (that would cost what it saves); they are
found again only when there is a problem, by scanning the text as far as each located
value and no further, each container once.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from kpibook.errors import Loc, loc_text
from kpibook.fiscal import FiscalYearError, parse_fiscal_year


class JsonSyntaxError(ValueError):
    """The text is not JSON; ``line`` and ``column`` count from 1."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message = message
        self.line = line
        self.column = column


class DuplicateKey(ValueError):
    """A key given twice in one object: where its second occurrence is."""

    def __init__(self, key: str, line: int, loc: Loc) -> None:
        super().__init__(f"key {key!r} is given twice")
        self.key = key
        self.line = line
        self.loc = loc


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate
    return out


_DECODER = json.JSONDecoder(
    parse_float=Decimal, parse_constant=str, object_pairs_hook=_no_duplicates
)
_SKIP = json.JSONDecoder().raw_decode
"""Scans one value (any duplicates kept) and gives where it ends."""
_SKIP_STRICT = json.JSONDecoder(object_pairs_hook=_no_duplicates).raw_decode
_WS = re.compile(r"[ \t\n\r]*")


def skip_space(text: str, pos: int) -> int:
    """Where the JSON white space beginning at ``pos`` ends."""
    match = _WS.match(text, pos)
    assert match is not None
    return match.end()


_OPENS_OBJECT = re.compile(r"[ \t\r\n\ufeff]*\{")


def looks_like_json(text: str) -> bool:
    """The text begins, after white space (and a byte-order mark), with ``{``."""
    return _OPENS_OBJECT.match(text) is not None


def parse_json(text: str) -> tuple[Any, JsonPlaces]:
    """The data (decimals for fractions, no duplicate keys) and a way to find places in
    it; :class:`JsonSyntaxError` or :class:`DuplicateKey` when it cannot be read."""
    places = JsonPlaces(text)
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(exc.msg, exc.lineno, exc.colno) from None
    except _Duplicate:
        raise places.duplicate() from None
    return data, places


def decode_value(text: str, pos: int) -> tuple[Any, int]:
    """The one value that begins at ``pos`` (decimals for fractions) and where it ends;
    ``ValueError`` when it is not JSON or gives a key twice (unplaced: for a reader that
    leaves placing problems to :func:`parse_json`)."""
    try:
        value: Any
        value, end = _DECODER.raw_decode(text, pos)
    except _Duplicate:
        raise ValueError("a key is given twice") from None
    return value, end


def dumps(data: Any) -> str:
    """JSON that :func:`parse_json` reads back as ``data``: one key or item per line, so
    that line numbers mean something; decimals as the numbers they are."""
    return json.dumps(data, ensure_ascii=False, indent=1, default=_plain) + "\n"


def _plain(value: Any) -> Any:
    import datetime as dt

    from kpibook.values import decimal_to_plain

    if isinstance(value, Decimal):
        return decimal_to_plain(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not written as JSON")


def key_matches(key: str, part: str | int) -> bool:
    """A key of the text stands for this part of a location (a fiscal year written as an
    era label stands for the western year it is stored as)."""
    if key == str(part):
        return True
    if isinstance(part, int):
        try:
            return parse_fiscal_year(key) == part
        except FiscalYearError:
            return False
    return False


@dataclass
class _Container:
    """How far one object or array has been scanned, and what was found in it."""

    closer: str
    resume: int
    """Where scanning goes on: after the opening bracket or a comma."""
    keys: list[tuple[str, int]] = field(default_factory=list)
    """For an object: each key and where it is, in order."""
    values: list[int] = field(default_factory=list)
    """Where each member's value begins, in order."""
    by_key: dict[str, int] = field(default_factory=dict)
    done: bool = False


class JsonPlaces:
    """Where things are in a JSON text that parsed, found on demand."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._containers: dict[int, _Container] = {}
        self._newlines: list[int] | None = None

    def line(self, pos: int) -> int:
        """The line (from 1) of a position in the text."""
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self._text)]
        return bisect.bisect_left(self._newlines, pos) + 1

    def find(self, loc: Loc) -> tuple[int, Loc]:
        """Where the deepest value along ``loc`` begins, and the part of ``loc`` that
        reached it."""
        pos = self._ws(0)
        reached: Loc = ()
        for part in loc:
            nxt = self._member(pos, part)
            if nxt is None:
                break
            pos, reached = nxt, (*reached, part)
        return pos, reached

    def locator(self, name: str) -> Callable[[Loc], str]:
        """``where(loc)`` as the YAML reader gives it: ``plan.json line 12 (projects[3])``."""

        def where(loc: Loc) -> str:
            pos, _ = self.find(loc)
            return f"{name} line {self.line(pos)} ({loc_text(loc)})"

        return where

    def duplicate(self) -> DuplicateKey:
        """The first key given twice (the text has one), with its place."""
        pos = self._ws(0)
        loc: Loc = ()
        while True:
            box = self._container(pos)
            assert box is not None
            n = 0
            seen: set[str] = set()
            descend = None
            while descend is None:
                while n >= len(box.values):
                    if box.done:
                        raise AssertionError("no key is given twice")  # pragma: no cover
                    self._scan_one(box)
                if box.closer == "}":
                    key, key_pos = box.keys[n]
                    if key in seen:
                        return DuplicateKey(key, self.line(key_pos), (*loc, key))
                    seen.add(key)
                try:
                    _SKIP_STRICT(self._text, box.values[n])
                except _Duplicate:
                    descend = n
                n += 1
            pos = box.values[descend]
            loc = (*loc, box.keys[descend][0] if box.closer == "}" else descend)

    # -- scanning ---------------------------------------------------------------------

    def _ws(self, pos: int) -> int:
        return skip_space(self._text, pos)

    def _container(self, pos: int) -> _Container | None:
        box = self._containers.get(pos)
        if box is None:
            opener = self._text[pos : pos + 1]
            if opener not in ("{", "["):
                return None
            box = self._containers[pos] = _Container("}" if opener == "{" else "]", pos + 1)
        return box

    def _member(self, pos: int, part: str | int) -> int | None:
        box = self._container(pos)
        if box is None:
            return None
        if box.closer == "]":
            if not isinstance(part, int) or part < 0:
                return None
            while len(box.values) <= part and not box.done:
                self._scan_one(box)
            return box.values[part] if part < len(box.values) else None
        if str(part) in box.by_key:
            return box.by_key[str(part)]
        for (key, _), value in zip(box.keys, box.values, strict=True):
            if key_matches(key, part):
                return value
        while not box.done:
            if self._scan_one(box) and key_matches(box.keys[-1][0], part):
                return box.values[-1]
        return None

    def _scan_one(self, box: _Container) -> bool:
        """Scan the next member of ``box``; False when there was none."""
        text = self._text
        i = self._ws(box.resume)
        if text[i] == box.closer:
            box.done = True
            return False
        if box.closer == "}":
            key, end = scanstring(text, i + 1)
            box.keys.append((key, i))
            i = self._ws(self._ws(end) + 1)  # past the colon
            box.by_key.setdefault(key, i)
        box.values.append(i)
        _, end = _SKIP(text, i)
        i = self._ws(end)
        box.resume = i + 1 if text[i] == "," else i
        return True
