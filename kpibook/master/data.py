"""The master's own data: the plan and the merged entries, as JSON on a hidden sheet.

``kpibook export`` and ``kpibook rollover`` start from a master alone, so it carries what
it was made from.  The JSON is split over cells (a cell holds at most 32,767 characters).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from kpibook.entries import Entries
from kpibook.errors import LoadError, problems_from_validation
from kpibook.jsonpieces import json_pieces
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
    """``{"entries": ..., "plan": ...}`` in pieces: each half serialised by pydantic-core
    with its long list (the entries, the plan's projects) an item at a time
    (:mod:`kpibook.jsonpieces`).  Serialised whole, the national plan's JSON took about
    three times its 35 MB at once, the peak of a national merge; the whole text is never
    held, nor the two halves at once."""
    yield '{"entries": '
    yield from json_pieces(entries, ["entries"])
    yield ', "plan": '
    yield from json_pieces(plan, ["projects"])
    yield "}"


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
