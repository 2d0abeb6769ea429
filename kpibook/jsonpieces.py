"""A model's JSON as pydantic writes it, in pieces: its long lists an item at a time.

pydantic-core writes a model's JSON into one growing buffer and then copies it into a
Python object: for a national plan (35 MB of JSON) or a national merge report (hundreds
of MB, indented), about three times the text at once, on top of everything else held.
Here the model is written with its long lists empty, and each item of them is written on
its own and put where its list is, indented as pydantic would: the same text, byte for
byte (``tests/test_merge_memory.py``), a few KiB at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter


def json_pieces(model: BaseModel, lists: Sequence[str], indent: int | None = None) -> Iterator[str]:
    """``model.model_dump_json(indent=indent)`` in pieces, each list named in ``lists``
    (a field of ``model``, or of a model in one: ``"grades.projects"``) written an item
    at a time.  If the text of the emptied lists cannot be told apart (a key of the same
    name elsewhere, which a test would show), the model is written whole."""
    spliced: dict[str, Sequence[Any]] = {}
    blank = _emptied(model, lists, spliced)
    head = blank.__pydantic_serializer__.to_json(blank, indent=indent)
    sep = b": " if indent is not None else b":"
    places = []
    for path, items in spliced.items():
        key = b'"' + path.rsplit(".", 1)[-1].encode() + b'"' + sep + b"[]"
        at = head.find(key)
        if at < 0 or head.find(key, at + 1) >= 0:
            yield model.__pydantic_serializer__.to_json(model, indent=indent).decode()
            return
        places.append((at + len(key) - 2, items))  # at the empty list's "["
    done = 0
    for at, items in sorted(places, key=lambda p: p[0]):
        yield head[done:at].decode()
        if indent is None:
            yield from _compact(items)
        else:
            line = head.rfind(b"\n", 0, at) + 1
            outer = len(head[line:at]) - len(head[line:at].lstrip(b" "))
            yield from _indented(items, indent, outer)
        done = at + 2  # after "[]"
    yield head[done:].decode()


def _emptied(model: BaseModel, lists: Sequence[str], spliced: dict[str, Sequence[Any]]) -> Any:
    """``model`` with the lists named emptied (those that have items), which are put in
    ``spliced`` by their path."""
    update: dict[str, Any] = {}
    nested: dict[str, list[str]] = {}
    for path in lists:
        name, _, rest = path.partition(".")
        if rest:
            nested.setdefault(name, []).append(rest)
            continue
        items = getattr(model, name)
        if items:
            update[name] = []
            spliced[path] = items
    for name, inner in nested.items():
        found: dict[str, Sequence[Any]] = {}
        update[name] = _emptied(getattr(model, name), inner, found)
        spliced |= {f"{name}.{path}": items for path, items in found.items()}
    return model.model_copy(update=update) if update else model


def _writer(items: Sequence[Any]) -> Callable[[Any, int | None], bytes]:
    """Each item as pydantic writes it in its list: a model by its own serialiser, any
    other type (a dataclass) by an adapter made once for the list."""
    adapters: dict[type, TypeAdapter[Any]] = {}

    def write(item: Any, indent: int | None) -> bytes:
        if isinstance(item, BaseModel):
            return item.__pydantic_serializer__.to_json(item, indent=indent)
        kind = type(item)
        if kind not in adapters:
            adapters[kind] = TypeAdapter(kind)
        data: bytes = adapters[kind].dump_json(item, indent=indent)
        return data

    return write


def _compact(items: Sequence[Any]) -> Iterator[str]:
    write = _writer(items)
    yield "["
    for n, item in enumerate(items):
        if n:
            yield ","
        yield write(item, None).decode()
    yield "]"


def _indented(items: Sequence[Any], indent: int, outer: int) -> Iterator[str]:
    """The list's items on lines of their own, ``outer`` + ``indent`` spaces in; a line
    break in a JSON text is always written ``\\n``, so every one in an item's JSON is
    between its lines."""
    write = _writer(items)
    pad = b"\n" + b" " * (outer + indent)
    yield "["
    for n, item in enumerate(items):
        yield ((b"," if n else b"") + pad + write(item, indent).replace(b"\n", pad)).decode()
    yield "\n" + " " * outer + "]"
