"""The base of every model a coordinator writes (plans, templates, entries) and the
small types their fields share: ids, one-line labels, free text, fiscal years."""

from __future__ import annotations

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
    its own from its own fields.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __copy__(self) -> Self:
        return _without_derived(super().__copy__())

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        return _without_derived(super().__deepcopy__(memo))

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        fields = type(self).model_fields
        return {**state, "__dict__": {k: v for k, v in state["__dict__"].items() if k in fields}}


M = TypeVar("M", bound=BaseModel)


def _without_derived(model: M) -> M:
    """``model`` (a fresh copy) without the cached properties it was copied with."""
    fields = type(model).model_fields
    for name in [name for name in model.__dict__ if name not in fields]:
        del model.__dict__[name]
    return model


def _no_edge_space(s: str) -> str:
    if s != s.strip():
        raise ValueError("leading or trailing spaces are not allowed")
    return s


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
