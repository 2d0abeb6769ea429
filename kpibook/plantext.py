"""The text form of plans and entries: YAML.

Why YAML: the plan is mostly Japanese prose and small tables that coordinators keep in
version control; YAML shows the text unescaped, allows comments, and diffs line by line.
JSON has none of that, and TOML handles deep trees (sections of any depth) poorly.

YAML 1.1's surprises are switched off: only ``true``/``false`` are booleans (not
yes/no/on/off), numbers are plain decimals (no octal ``0123``, no ``1_000``, no
sexagesimal ``1:30``), floats become exact decimals, and a key given twice is an error
instead of silently keeping the last.  Every error names the file, line and key path.

JSON is YAML 1.2 and means the same here; a file that is JSON (``.json``, or ``.yaml``
beginning with ``{``) is read by a JSON parser, twenty times faster (``jsontext.py``):
the form to keep a national plan in.  Either way the collector is paused while the
plan's millions of objects are built (``collector.py``).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from pydantic import BaseModel, ValidationError

from kpibook import jsontext
from kpibook.atomic import write_bytes_atomic
from kpibook.collector import paused
from kpibook.entries import Entries, entry_problems
from kpibook.errors import LoadError, Loc, Problem, loc_text, problems_from_validation
from kpibook.message import Message
from kpibook.plan import Issue, Plan
from kpibook.values import decimal_to_plain

TEXT_SUFFIXES = (".yaml", ".yml", ".json")
JSON_SUFFIX = ".json"
M = TypeVar("M", bound=BaseModel)


# -- loading ------------------------------------------------------------------------------


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it


class _Loader(_Base):  # type: ignore[misc]
    """SafeLoader with YAML 1.2 core scalars and duplicate keys refused."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:timestamp", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "0123456789"),
]:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    return int(loader.construct_scalar(node), 10)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(loader.construct_scalar(node))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice", key_node.start_mark
            )
        seen[key] = key_node
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    return mapping


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree (for line numbers); LoadError for unreadable files."""
    return _parse_yaml(path, _read_text(path))


def _read_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        missing = Message(ja="ファイルがありません", en="no such file")
        raise LoadError.single(path, missing) from None
    except UnicodeDecodeError as exc:
        raise LoadError.single(
            path, Message(ja="UTF-8 の文字コードで保存してください", en=f"not UTF-8: {exc}")
        ) from None
    except OSError as exc:
        raise LoadError.single(path, Message(ja="ファイルを開けません", en=str(exc))) from None


def _parse_yaml(path: Path, text: str) -> tuple[Any, yaml.Node | None]:
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path} line {mark.line + 1}" if mark else str(path)
        raise LoadError.single(
            path,
            Message(ja="YAML の書き方に誤りがあります", en=str(exc.problem or exc)),
            where=where,
        ) from None
    except yaml.YAMLError as exc:
        raise LoadError.single(path, Message(ja="YAML として読めません", en=str(exc))) from None
    return data, node


def _node_at(root: yaml.Node | None, loc: Loc) -> tuple[yaml.Node | None, Loc]:
    """The deepest node along ``loc`` and the part of ``loc`` that reached it."""
    node: yaml.Node | None = root
    reached: Loc = ()
    for part in loc:
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            nxt = node.value[part] if 0 <= part < len(node.value) else None
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if _key_matches(key_node, part):
                    nxt = value_node
                    break
        if nxt is None:
            break
        node, reached = nxt, (*reached, part)
    return node, reached


def _key_matches(key_node: yaml.Node, part: str | int) -> bool:
    return isinstance(key_node, yaml.ScalarNode) and jsontext.key_matches(key_node.value, part)


def _locator(path: Path, root: yaml.Node | None) -> Callable[[Loc], str]:
    def where(loc: Loc) -> str:
        node, _ = _node_at(root, loc)
        line = f" line {node.start_mark.line + 1}" if node is not None else ""
        return f"{path.name}{line} ({loc_text(loc)})"

    return where


def _validate(
    path: Path,
    model: type[M],
    checks: Callable[[M], Iterator[Issue]] | None = None,
) -> M:
    path = Path(path)
    with paused():
        text = _read_text(path)
        if model is Plan and _is_json(path, text):
            from kpibook.planjson import plan_from_json

            plan = plan_from_json(text)  # a project at a time; None: read as below
            if plan is not None:
                return cast(M, plan)
        data, where = _read(path, text)
        del text
        return _check(path, model, data, where, checks)


def _is_json(path: Path, text: str) -> bool:
    return path.suffix.lower() == JSON_SUFFIX or jsontext.looks_like_json(text)


def _read(path: Path, text: str) -> tuple[Any, Callable[[Loc], str]]:
    """The data of a text form, YAML or JSON, and where each location of it is."""
    if _is_json(path, text):
        try:
            data, places = jsontext.parse_json(text)
        except jsontext.JsonSyntaxError as exc:
            if path.suffix.lower() == JSON_SUFFIX:
                where = f"{path} line {exc.line} column {exc.column}"
                wrong = Message(ja="JSON の書き方に誤りがあります", en=exc.message)
                raise LoadError(path, [Problem(where=where, message=wrong)]) from None
            # YAML in flow style ({a: 1}) begins with a brace too: read as YAML below.
        except jsontext.DuplicateKey as exc:
            where = f"{path} line {exc.line} ({loc_text(exc.loc)})"
            twice = Message(ja="同じ項目が2回書かれています", en=str(exc))
            raise LoadError(path, [Problem(where=where, message=twice)]) from None
        else:
            return data, places.locator(path.name)
    data, root = _parse_yaml(path, text)
    return data, _locator(path, root)


def _check(
    path: Path,
    model: type[M],
    data: Any,
    where: Callable[[Loc], str],
    checks: Callable[[M], Iterator[Issue]] | None,
) -> M:
    if not isinstance(data, dict):
        raise LoadError.single(
            path,
            Message(ja="先頭は「項目: 値」の組にしてください", en="not a mapping"),
            where=path.name,
        )
    if model is Plan:
        from kpibook.plancheck import plan_problems

        plan, found = plan_problems(data, where)
        if plan is None:
            raise LoadError(path, found)
        obj = cast(M, plan)
    else:
        try:
            obj = model.model_validate(data)
        except ValidationError as exc:
            raise LoadError(path, problems_from_validation(exc, where)) from None
    if checks is not None:
        problems = [Problem(where=where(loc), message=message) for loc, message in checks(obj)]
        if problems:
            raise LoadError(path, problems)
    return obj


def load_model_yaml(path: Path, model: type[M]) -> M:
    """Load any kpibook model (a template, say) from YAML, with located errors."""
    return _validate(path, model)


def load_plan_yaml(path: Path) -> Plan:
    """Load and check a plan from its text form."""
    return _validate(path, Plan)


def load_entries_yaml(path: Path, plan: Plan) -> Entries:
    """Load entries and check that they fit ``plan``."""
    return _validate(path, Entries, lambda e: entry_problems(plan, e))


# -- writing ------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Writes what :class:`_Loader` reads back unchanged.

    A string is quoted when our loader *or* a YAML 1.1 reader would take it for
    something else (``08``, ``no``), so the file means the same to any YAML tool.
    """


_Dumper.yaml_implicit_resolvers = {
    first: list(yaml.SafeDumper.yaml_implicit_resolvers.get(first, []))
    + list(_Loader.yaml_implicit_resolvers.get(first, []))
    for first in set(yaml.SafeDumper.yaml_implicit_resolvers) | set(_Loader.yaml_implicit_resolvers)
}


def _represent_decimal(dumper: _Dumper, d: Decimal) -> yaml.Node:
    plain = decimal_to_plain(d)
    return dumper.represent_data(plain)


def _represent_str(dumper: _Dumper, s: str) -> yaml.Node:
    style = "|" if "\n" in s else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", s, style=style)


def _represent_enum(dumper: _Dumper, e: enum.Enum) -> yaml.Node:
    return dumper.represent_data(e.value)


_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(str, _represent_str)
_Dumper.add_multi_representer(enum.Enum, _represent_enum)
_Dumper.add_representer(dt.date, yaml.SafeDumper.represent_date)


def dump_yaml(model: BaseModel, header: str = "") -> str:
    """The text form of a plan or entries (defaults left out, order kept)."""
    data = model.model_dump(mode="python", exclude_defaults=True)
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096)
    return header + body


def save_yaml(model: BaseModel, path: Path, header: str = "") -> None:
    write_bytes_atomic(Path(path), dump_yaml(model, header).encode("utf-8"))


def dump_json(model: BaseModel) -> str:
    """The text form as JSON (defaults left out, order kept): what a large plan is best
    kept in.  JSON has no comments, so there is no header."""
    return jsontext.dumps(model.model_dump(mode="python", exclude_defaults=True))


def save_json(model: BaseModel, path: Path) -> None:
    write_bytes_atomic(Path(path), dump_json(model).encode("utf-8"))
