"""The base of every model a coordinator writes (plans, templates, entries) and the
small types their fields share: ids, one-line labels, free text, fiscal years."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Self, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from kpibook.fiscal import FiscalYear, parse_fiscal_year

EXCEL_CELL_MAX = 32_767
"""Excel refuses longer text in a cell; checked when the plan is loaded, not when writing."""


class Model(BaseModel):
    """Base of every plan model: unknown keys are errors, values are not coerced loosely.

    What a model works out from its own fields (an index of projects by id) is a
    ``functools.cached_property``: built on first use and kept on the instance, beside
    the fields but not one of them, so it is never validated, dumped or compared.  A
    model is frozen, so it cannot go stale in place; copies (``model_copy``, with or
    without ``update``, ``copy.deepcopy``) and pickles leave it behind, so a copy builds
    its own from its own fields -- except a pickled plan, which carries the indexes it
    has built to a spawned worker (:meth:`kpibook.plan.Plan.__getstate__`): a pickle is
    the same plan, never an updated copy.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    def model_post_init(self, context: Any, /) -> None:
        # The set of the fields a model was given, one shared by every model given the
        # same ones: a set of six names is 728 bytes, and a national plan holds 175,000
        # models.  Frozen models never add to it; a copy gets its own (see GivenFields).
        given = _given(frozenset(self.__pydantic_fields_set__))
        object.__setattr__(self, "__pydantic_fields_set__", given)

    def __copy__(self) -> Self:
        return _without_derived(super().__copy__())

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        return _without_derived(super().__deepcopy__(memo))

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        fields = type(self).model_fields
        return {**state, "__dict__": {k: v for k, v in state["__dict__"].items() if k in fields}}


M = TypeVar("M", bound=BaseModel)


class GivenFields(set[str]):
    """The names of the fields a model was given, shared by the models given the same
    ones (pydantic asks for a ``set``: ``exclude_unset`` dumps read it).  It refuses to
    change, since a change would change every model sharing it; copying it (as pydantic
    does for ``model_copy``) gives a plain set, and a pickle brings back the shared one."""

    __slots__ = ()

    def _refuse(self, *args: Any) -> Any:
        raise TypeError("the fields a model was given are shared between models; copy them")

    add = discard = remove = pop = clear = update = _refuse
    intersection_update = difference_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse

    def __copy__(self) -> set[str]:
        return set(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return _given, (frozenset(self),)


_GIVEN: dict[frozenset[str], GivenFields] = {}


def _given(names: frozenset[str]) -> GivenFields:
    shared = _GIVEN.get(names)
    if shared is None:
        shared = _GIVEN.setdefault(names, GivenFields(names))
    return shared


def _without_derived(model: M) -> M:
    """``model`` (a fresh copy) without the cached properties it was copied with."""
    fields = type(model).model_fields
    for name in [name for name in model.__dict__ if name not in fields]:
        del model.__dict__[name]
    return model


class _NoItems(list[Any]):
    """The empty list of every model not given one (see :func:`no_items`)."""

    __slots__ = ()

    def _refuse(self, *args: Any) -> Any:
        raise TypeError("an empty list a model was not given is shared; copy it to change it")

    append = extend = insert = remove = clear = reverse = pop = __delitem__ = _refuse
    sort = __setitem__ = __iadd__ = __imul__ = _refuse  # type: ignore[assignment]

    def __copy__(self) -> list[Any]:
        return []

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return no_items, ()


class _NoKeys(dict[Any, Any]):
    """The empty dict of every model not given one (see :func:`no_keys`)."""

    __slots__ = ()

    def _refuse(self, *args: Any) -> Any:
        raise TypeError("an empty dict a model was not given is shared; copy it to change it")

    __setitem__ = __delitem__ = __ior__ = pop = popitem = clear = _refuse
    update = setdefault = _refuse  # type: ignore[assignment]

    def __copy__(self) -> dict[Any, Any]:
        return {}

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return no_keys, ()


_NO_ITEMS = _NoItems()
_NO_KEYS = _NoKeys()


def no_items() -> list[Any]:
    """The default of a list field most models leave empty (footnotes, other departments):
    one empty list for all of them, not one each (56 bytes, for 35,000 projects of a
    national plan).  It is a list, written and compared as one, that refuses to change."""
    return _NO_ITEMS


def no_keys() -> dict[Any, Any]:
    """The default of a dict field most models leave empty (custom fields, statuses),
    shared like :func:`no_items`."""
    return _NO_KEYS


def _no_edge_space(s: str) -> str:
    if s != s.strip():
        raise ValueError("leading or trailing spaces are not allowed")
    # One object per distinct name: units (人, 件), labels and department names repeat
    # over a national plan's hundred thousand indicators, each read as its own string.
    return sys.intern(s)


Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"),
]
"""A stable identifier: ASCII letters, digits, ``_ . -``; at most 64 characters."""
Label = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255, pattern=r"^[^\r\n\t]*$"),
    AfterValidator(_no_edge_space),
]
"""A one-line name (project, indicator, department, number as printed)."""
Text = Annotated[str, StringConstraints(min_length=1, max_length=EXCEL_CELL_MAX)]
"""Free text that may span lines; as long as an Excel cell can hold."""
FY = Annotated[FiscalYear, BeforeValidator(parse_fiscal_year)]
"""A fiscal year, given as 2019 or as an era label (R1, 令和元年度, 平成31年度)."""
