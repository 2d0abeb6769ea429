"""The master's own data: the plan and the merged entries, as JSON on a hidden sheet.

``kpibook export`` and ``kpibook rollover`` start from a master alone, so it carries what
it was made from.  The JSON is split over cells (a cell holds at most 32,767 characters).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from kpibook.entries import Entries
from kpibook.errors import LoadError, problems_from_validation
from kpibook.message import Message
from kpibook.plan import Plan
from kpibook.xlsx_read import read_grids
from kpibook.xlsx_write import Book

SHEET = "_kpibook"
FORMAT = "kpibook-master"
VERSION = 1
CHUNK = 30_000


class NotAMaster(LoadError):
    """A workbook that is not a kpibook master at all (a plan workbook, say); commands
    that take a master or a plan read it as a plan next."""


def embed(book: Book, plan: Plan, entries: Entries, path: Path) -> None:
    """Write the plan and entries on a very hidden, protected sheet; the template the plan
    names, relative to the master ``path`` (no folder of the coordinator's machine)."""
    from kpibook.sources import relative_template

    plan = relative_template(plan, path)
    sheet = book.sheet(SHEET, streamed=True)  # tens of MB of text: not held twice
    sheet.write(0, 0, "format")
    sheet.write(0, 1, FORMAT)
    sheet.write(1, 0, "version")
    sheet.write(1, 1, VERSION)
    for n, chunk in enumerate(_chunks(_json(plan, entries), CHUNK)):
        sheet.write(2 + n, 0, "data")
        sheet.write(2 + n, 1, chunk)
    sheet.protect(None)
    sheet.hide(very=True)


def _json(plan: Plan, entries: Entries) -> Iterator[str]:
    """``{"entries": ..., "plan": ...}`` in pieces of UTF-8 JSON decoded one at a time:
    each half serialised by pydantic-core with its long list (the entries, the plan's
    projects) an item at a time.  Serialised whole, a national plan's JSON was built in a
    growing buffer then copied into a bytes object, about three times its 35 MB at once,
    the peak of a national merge; as Python dicts first it would be hundreds of MiB, and
    as one string its Japanese would take two bytes a character.  The text is the same
    byte for byte (tests/test_merge_memory.py)."""
    yield '{"entries": '
    yield from _decoded(_listed(entries, "entries", entries.entries))
    yield ', "plan": '
    yield from _decoded(_listed(plan, "projects", plan.projects))
    yield "}"


def _listed(model: BaseModel, name: str, items: Sequence[BaseModel]) -> Iterator[bytes]:
    """``model`` as pydantic-core writes it, with its list field ``name`` (``items``)
    written an item at a time: the rest of the model is written with that list empty,
    and the items go where the empty list is (in JSON a key's quotes are never escaped,
    so ``"name":[]`` outside of a text is that key).  A model that says nothing of the
    list more than once is written whole."""
    head = model.__pydantic_serializer__.to_json(model.model_copy(update={name: []}))
    key = f'"{name}":[]'.encode()
    at = head.find(key)
    if at < 0 or head.find(key, at + 1) >= 0 or not items:
        yield model.__pydantic_serializer__.to_json(model)
        return
    at += len(key) - 1  # between the brackets
    yield head[:at]
    for n, item in enumerate(items):
        if n:
            yield b","
        yield item.__pydantic_serializer__.to_json(item)
    yield head[at:]


def _decoded(pieces: Iterable[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    for data in pieces:
        yield decoder.decode(data)
    yield decoder.decode(b"", final=True)


def _chunks(pieces: Iterable[str], size: int) -> Iterator[str]:
    """The text of ``pieces`` joined, in chunks of ``size`` characters (the last shorter),
    without joining it."""
    carry = ""
    for piece in pieces:
        start = 0
        if carry:
            start = size - len(carry)
            carry += piece[:start]
            if len(carry) < size:
                continue
            yield carry
        while start + size <= len(piece):
            yield piece[start : start + size]
            start += size
        carry = piece[start:]
    if carry:
        yield carry


def read_master(path: Path) -> tuple[Plan, Entries]:
    """The plan and entries a master workbook was made from."""
    path = Path(path)
    grids = {g.name: g for g in read_grids(path)}
    grid = grids.get(SHEET)
    if grid is None or grid.value(0, 1) != FORMAT:
        raise NotAMaster.single(
            path,
            Message(
                ja="kpibook の集約ブックではありません"
                "（kpibook merge で作成したものを指定してください）",
                en="not a kpibook master workbook (made by kpibook merge)",
            ),
            where=path.name,
        )
    if grid.value(1, 1) != VERSION:
        raise LoadError.single(
            path,
            Message(
                ja="この集約ブックの版には対応していません",
                en=f"master version {grid.value(1, 1)} is not supported",
            ),
            where=path.name,
        )
    text = "".join(
        str(grid.value(r, 1)) for r in range(2, grid.max_row + 1) if grid.value(r, 0) == "data"
    )
    try:
        data = json.loads(text)
        plan = Plan.model_validate(data["plan"])
        entries = Entries.model_validate(data["entries"])
    except ValidationError as exc:
        raise LoadError(path, problems_from_validation(exc, lambda loc: path.name)) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise LoadError.single(
            path,
            Message(
                ja="集約ブックのデータが壊れています",
                en=f"the master's data is damaged: {exc}",
            ),
            where=path.name,
        ) from None
    from kpibook.sources import resolve_template

    return resolve_template(plan, path), entries
