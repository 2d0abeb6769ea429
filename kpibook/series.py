"""An indicator's values by fiscal year (targets, actuals, revised targets), held compactly.

A national plan has about a million targets and actuals.  Held as a ``dict`` of
:class:`~kpibook.values.Value` objects each costs about 250 bytes (the dict's entry, the
year as its own int, the value and its ``Decimal``); :class:`YearValues` keeps the years
of a series as one tuple shared by every series with the same years, and the values as a
column: an ``array`` of 32- or 64-bit integers when each is a whole number without a
note (most of a plan), else a tuple of cells -- an ``int`` or a ``Decimal`` for a number
without a note, the :class:`Value` itself for anything else.  A :class:`Value` is made
when one is read (the first few thousand whole numbers read are kept).

It is a read-only ``Mapping[FiscalYear, Value]`` and behaves as the ``dict`` it replaces:
years in ascending order, values without content dropped, equal to a dict of the same
values; pydantic validates it from the same forms (era labels as keys, each value in any
of :class:`Value`'s forms, a problem reported at its year) and writes it back the same.
"""

from __future__ import annotations

from array import array
from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from decimal import Decimal
from typing import Any, Self, TypeVar, overload

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from kpibook.fiscal import FiscalYear, parse_fiscal_year
from kpibook.values import MAX_SIGNIFICANT_DIGITS, Value, ValueKind, decimal_to_plain

_T = TypeVar("_T")

Cell = int | Decimal | Value
"""One value as a series holds it: a whole number, another number, or the value."""

_EXACT_INT = 10**MAX_SIGNIFICANT_DIGITS
"""Whole numbers the compact form gives as themselves (what :meth:`Value.of` accepts)."""
_INT64 = 2**63
_INT32 = 2**31

_YEARS: dict[tuple[FiscalYear, ...], tuple[FiscalYear, ...]] = {}
"""Every distinct tuple of years, once: a plan's series share a few dozen of them."""

_NUMBERS: dict[int, Value] = {}
_NUMBERS_KEPT = 4096
"""Values of whole numbers already made, the first few thousand distinct ones: a plan's
small counts (0, 1, 100) are read again and again."""


def _years(years: tuple[FiscalYear, ...]) -> tuple[FiscalYear, ...]:
    return _YEARS.setdefault(years, years)


_new = object.__new__
_set_kind = Value.__dict__["kind"].__set__
_set_number = Value.__dict__["number"].__set__
_set_qualitative = Value.__dict__["qualitative"].__set__
_set_note = Value.__dict__["note"].__set__
_NUMBER = ValueKind.NUMBER


def _number(d: Decimal) -> Value:
    """``Value(ValueKind.NUMBER, d)``, made through its slots: a frozen dataclass's
    ``__init__`` and its checks cost twice as much, on every value read."""
    value: Value = _new(Value)
    _set_kind(value, _NUMBER)
    _set_number(value, d)
    _set_qualitative(value, None)
    _set_note(value, None)
    return value


def number_value(n: int) -> Value:
    """The value of the whole number ``n`` (a new one, or an equal one made before)."""
    value = _NUMBERS.get(n)
    if value is None:
        value = _number(Decimal(n))
        if len(_NUMBERS) < _NUMBERS_KEPT:
            _NUMBERS[n] = value
    return value


def _value(cell: Cell) -> Value:
    kind = type(cell)
    if kind is int:
        return number_value(cell)  # type: ignore[arg-type]
    if kind is Decimal:
        return _number(cell)  # type: ignore[arg-type]
    return cell  # type: ignore[return-value]


def _cell(value: Value) -> Cell:
    """How a series holds ``value``: a number without a note as the number (a whole one
    as an int when the int gives back the very same decimal), else the value."""
    number = value.number
    if number is None or value.note is not None:
        return value
    sign, digits, exponent = number.as_tuple()
    if exponent == 0 and not (sign and digits == (0,)):  # -0 is not the int 0
        return int(number)
    return number


def _column(cells: list[Cell]) -> array[int] | tuple[Cell, ...]:
    """Whole numbers as 32-bit integers where they fit (counts, yen in thousands), else
    64-bit; anything else as the cells themselves."""
    whole = [c for c in cells if type(c) is int and -_INT64 <= c < _INT64]
    if len(whole) < len(cells):
        return tuple(cells)
    return array("i" if all(-_INT32 <= c < _INT32 for c in whole) else "q", whole)


def _compact(cell: Cell) -> Any:
    """The compact form (:meth:`Value.compact`) of a cell, without making its value."""
    kind = type(cell)
    if kind is int:
        return cell
    if kind is Decimal:
        return decimal_to_plain(cell)  # type: ignore[arg-type]
    return cell.compact()  # type: ignore[union-attr]


class YearValues(Mapping[FiscalYear, Value]):
    """Values by fiscal year, in ascending order of years, none of them empty."""

    __slots__ = ("_cells", "_years")

    _years: tuple[FiscalYear, ...]
    _cells: array[int] | tuple[Cell, ...]

    def __init__(self, values: Mapping[FiscalYear, Value] | None = None) -> None:
        """The values of ``values`` that are not empty, by ascending year."""
        kept = sorted((y, v) for y, v in (values or {}).items() if not v.is_empty)
        self._years = _years(tuple(y for y, _ in kept))
        self._cells = _column([_cell(v) for _, v in kept])

    @classmethod
    def _of(cls, years: tuple[FiscalYear, ...], cells: array[int] | tuple[Cell, ...]) -> Self:
        made = cls.__new__(cls)
        made._years = _years(years)
        made._cells = cells
        return made

    # -- the mapping ------------------------------------------------------------------

    def __getitem__(self, year: FiscalYear) -> Value:
        try:
            at = self._years.index(year)
        except ValueError:
            raise KeyError(year) from None
        return _value(self._cells[at])

    @overload
    def get(self, year: FiscalYear, /) -> Value | None: ...

    @overload
    def get(self, year: FiscalYear, /, default: Value | _T) -> Value | _T: ...

    def get(self, year: FiscalYear, /, default: Any = None) -> Any:
        years = self._years
        if year in years:
            return _value(self._cells[years.index(year)])
        return default

    def __contains__(self, year: object) -> bool:
        return year in self._years

    def __iter__(self) -> Iterator[FiscalYear]:
        return iter(self._years)

    def __len__(self) -> int:
        return len(self._years)

    def items(self) -> _Items:
        return _Items(self)

    def values(self) -> _Values:
        return _Values(self)

    def __eq__(self, other: object) -> bool:
        if type(other) is YearValues:
            if self._years != other._years:
                return False
            if self._cells == other._cells:
                return True
            return all(a == b for a, b in zip(self.values(), other.values(), strict=True))
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"YearValues({dict(self.items())!r})"

    # -- immutable: copies are itself, a pickle is its two columns -------------------

    def __copy__(self) -> YearValues:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> YearValues:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return YearValues._of, (self._years, self._cells)

    # -- what pydantic needs ----------------------------------------------------------

    def compact(self) -> dict[FiscalYear, Any]:
        """``{year: compact form}``: what the text form of a plan writes."""
        return dict(zip(self._years, map(_compact, self._cells), strict=True))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        each = handler.generate_schema(dict[FiscalYear, Value])
        return core_schema.no_info_wrap_validator_function(
            _validate,
            each,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _dump, return_schema=core_schema.dict_schema()
            ),
        )


NO_YEARS = YearValues()
"""The series without values (the default of every series of an indicator)."""


class _Items(ItemsView[FiscalYear, Value]):
    __slots__ = ()
    _mapping: YearValues

    def __iter__(self) -> Iterator[tuple[FiscalYear, Value]]:
        m = self._mapping
        return zip(m._years, map(_value, m._cells), strict=True)


class _Values(ValuesView[Value]):
    __slots__ = ()
    _mapping: YearValues

    def __iter__(self) -> Iterator[Value]:
        return map(_value, self._mapping._cells)


def _dump(values: Mapping[FiscalYear, Value]) -> dict[FiscalYear, Any]:
    """The compact form of a series; or of a dict put in its place by ``model_copy(update=
    ...)``, which pydantic does not validate."""
    if type(values) is YearValues:
        return values.compact()
    return {y: v.compact() for y, v in values.items()}


def year_keyed(v: Any) -> Any:
    """Era labels read as years, each year once, in ascending order (anything but a
    dict as it is, for pydantic to refuse)."""
    if not isinstance(v, dict):
        return v
    out: dict[FiscalYear, Any] = {}
    for key, raw in v.items():
        year = parse_fiscal_year(key)
        if year in out:
            raise ValueError(f"fiscal year {key!r} is given twice")
        out[year] = raw
    return {y: out[y] for y in sorted(out)}


def _validate(v: Any, each: core_schema.ValidatorFunctionWrapHandler) -> YearValues:
    """A series from ``{year: value}``: read directly when every value is valid (most
    values are whole numbers, taken as they are), else validated value by value by
    pydantic, which reports each problem at its year."""
    if type(v) is YearValues:
        return v
    if not isinstance(v, dict):
        return YearValues(each(v))
    keyed = year_keyed(v)
    years: list[FiscalYear] = []
    cells: list[Cell] = []
    try:
        for year, raw in keyed.items():
            if type(raw) is int and -_EXACT_INT < raw < _EXACT_INT:
                cells.append(raw)
            else:
                value = Value.of(raw)
                if value.is_empty:
                    continue
                cells.append(_cell(value))
            years.append(year)
    except (ValueError, TypeError):
        return YearValues(each(keyed))
    return YearValues._of(tuple(years), _column(cells))
