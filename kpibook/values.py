"""The value of one target or actual: a number, or one of the states the forms use.

The official forms put more than numbers in value cells: 増加 (a qualitative target),
集計中 (being tallied), － (not applicable / none).  kpibook keeps these as states, never
as numbers, so that nothing is ever graded on a guess.

In the text form of a plan a value is written compactly::

    47000            # a number
    増加             # a qualitative target (増加 / 減少 / 維持)
    集計中           # pending
    －               # not applicable
    {value: 125, note: "※交流イベント（計3回分）の参加者数"}   # any of these with a note

and :class:`Value` accepts exactly these forms (plus its own full form) and writes the
compact one back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from kpibook.errors import INVALID_JA, MessageValueError
from kpibook.message import Message

LARGEST = Decimal("9.99999999999999E+307")
SMALLEST = Decimal("1E-307")
"""What an Excel cell holds: a larger number becomes infinity and a smaller one zero."""
MAX_SIGNIFICANT_DIGITS = 15
"""What an Excel cell (an IEEE double) keeps exactly; longer numbers would change silently."""


class ValueKind(StrEnum):
    NUMBER = "number"
    QUALITATIVE = "qualitative"
    PENDING = "pending"
    NOT_APPLICABLE = "not_applicable"
    EMPTY = "empty"


class ActualStatus(StrEnum):
    """Whether an actual is the published figure or a preliminary one (data that lags)."""

    PRELIMINARY = "preliminary"
    """速報値: may still change; the next year's form asks for the 確定値."""
    FINAL = "final"
    """確定値: the published figure (what an actual is unless said otherwise)."""


STATUS_TEXT = {ActualStatus.PRELIMINARY: "速報値", ActualStatus.FINAL: "確定値"}
"""Each status as forms, the report and the master print it."""


def with_status(text: str, status: ActualStatus | None) -> str:
    """``7,077（速報値）``: an actual as printed with its status (a 確定値 plainly)."""
    return f"{text}（{STATUS_TEXT[status]}）" if status is ActualStatus.PRELIMINARY else text


def status_format(num_format: str, status: ActualStatus | None) -> str:
    """An Excel number format that shows a preliminary actual as ``7,077（速報値）``."""
    if status is not ActualStatus.PRELIMINARY:
        return num_format
    return f'{num_format}"（{STATUS_TEXT[status]}）"'


class Qualitative(StrEnum):
    """Targets that give a direction instead of a number; graded against the previous actual."""

    INCREASE = "増加"
    DECREASE = "減少"
    MAINTAIN = "維持"


PENDING_TEXT = "集計中"
NOT_APPLICABLE_TEXT = "－"
NOT_APPLICABLE_SPELLINGS = frozenset({"－", "-", "—", "―", "ー", "‐", "−", "–"})
"""Dashes people type for "none": fullwidth hyphen-minus, ASCII, em/horizontal bar,
katakana long vowel mark (seen in seed 003), hyphen, minus sign, en dash."""


class BadValue(MessageValueError):
    """A value that is none of the accepted forms; pydantic reports it at the value's place."""


def to_decimal(x: int | float | Decimal) -> Decimal:
    """Exact decimal of a number as people wrote it (87.2, not 87.2000000000000028...).

    Floats (what spreadsheets store) are read to 15 significant digits, the precision
    Excel itself displays, so 0.1+0.2 computed in a cell is 0.3.  Integers and decimals
    with more digits than a spreadsheet keeps are refused rather than changed.
    """
    if isinstance(x, bool):
        raise BadValue(Message(ja=INVALID_JA, en="a yes/no value is not a number"))
    if isinstance(x, float):
        if not math.isfinite(x):
            raise BadValue(Message(ja=INVALID_JA, en=f"{x} is not a finite number"))
        d = Decimal(format(x, f".{MAX_SIGNIFICANT_DIGITS}g")).normalize()
        if d == 0:
            d = Decimal(0)
    elif isinstance(x, int):
        d = Decimal(x)
    else:
        d = x
    if not d.is_finite():
        raise BadValue(Message(ja=INVALID_JA, en=f"{x} is not a finite number"))
    if d != 0 and not SMALLEST <= abs(d) <= LARGEST:
        raise BadValue(
            Message(
                ja="表計算ソフトで扱える大きさ（1E-307～9.99999999999999E+307）を超えています",
                en=f"{x} is beyond what a spreadsheet holds (1E-307 to 9.99999999999999E+307)",
            )
        )
    digits = len(d.normalize().as_tuple().digits)
    if digits > MAX_SIGNIFICANT_DIGITS:
        raise BadValue(
            Message(
                ja=f"有効数字が{MAX_SIGNIFICANT_DIGITS}桁を超えています",
                en=f"{x} has {digits} significant digits; "
                f"at most {MAX_SIGNIFICANT_DIGITS} are kept",
            )
        )
    return d


_EXACT_INT = 10**MAX_SIGNIFICANT_DIGITS
"""Integers below this in size have at most the significant digits a cell keeps."""

NOTE_MAX = 2000
"""Longest note on a value (a remark such as ※事業見直しのため実施せず)."""


@dataclass(frozen=True, slots=True)
class Value:
    """A target or actual value with its state and an optional note.

    - ``kind``: which state the value is in;
    - ``number``: the number, exactly when kind is 'number' (the unit is the indicator's);
    - ``qualitative``: 増加 / 減少 / 維持, exactly when kind is 'qualitative';
    - ``note``: a remark printed with the value, e.g. ※事業見直しのため実施せず.

    A slotted dataclass rather than a pydantic model: a national plan holds about a
    million values, and a model instance (with its ``__dict__`` and set of fields) costs
    several times the memory.  Models that hold values validate them with pydantic all
    the same (``__get_pydantic_core_schema__``), from any compact form or the full one,
    and write them back in the compact form.
    """

    kind: ValueKind
    number: Decimal | None = None
    qualitative: Qualitative | None = None
    note: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as a call: the dataclass's own pickling looks its fields up again for
        # each of a national plan's million values (a spawned worker receives the plan
        # pickled), twice as slow.  A whole number without a note comes back as the
        # equal value already made, if there is one (the entries of a national merge
        # arrive pickled from the workers: 100,000 actuals, most of them small counts).
        number = self.number
        if number is not None and self.note is None:
            sign, digits, exponent = number.as_tuple()
            if exponent == 0 and not (sign and digits == (0,)):  # -0 is not the int 0
                return _whole_number, (int(number),)
        return Value, (self.kind, self.number, self.qualitative, self.note)

    def __post_init__(self) -> None:
        if (self.kind is ValueKind.NUMBER) != (self.number is not None):
            raise BadValue(
                Message(ja=INVALID_JA, en="'number' is set exactly when kind is 'number'")
            )
        if (self.kind is ValueKind.QUALITATIVE) != (self.qualitative is not None):
            raise BadValue(
                Message(ja=INVALID_JA, en="'qualitative' is set exactly when kind is 'qualitative'")
            )

    # -- construction -------------------------------------------------------------------

    @classmethod
    def of(cls, compact: Any) -> Value:
        """Build from the compact form (number, token, None or {value, note}), or the full
        form ({kind, number, qualitative, note})."""
        if type(compact) is int and -_EXACT_INT < compact < _EXACT_INT:
            # Most values of a plan: a whole number, that no check below would refuse.
            return cls(ValueKind.NUMBER, Decimal(compact))
        if isinstance(compact, Value):
            return compact
        if isinstance(compact, dict):
            if "kind" in compact:
                return _full(compact)
            extra = set(compact) - {"value", "note"}
            if extra:
                raise BadValue(
                    Message(
                        ja=INVALID_JA, en=f"unknown key(s) {sorted(extra)}; use 'value' and 'note'"
                    )
                )
            inner = compact.get("value")
            if isinstance(inner, dict):
                raise BadValue(
                    Message(ja=INVALID_JA, en="a value cannot contain another {value, note}")
                )
            return cls(**_compact_to_fields(inner), note=_note(compact.get("note")))
        return cls(**_compact_to_fields(compact))

    def with_note(self, note: str | None) -> Value:
        return replace(self, note=_note(note))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_plain_validator_function(
            cls.of,
            serialization=core_schema.plain_serializer_function_ser_schema(cls.compact),
        )

    # -- output -------------------------------------------------------------------------

    def compact(self) -> Any:
        """The compact form: the token, or {value, note} when there is a note."""
        token = self.token()
        return token if self.note is None else {"value": token, "note": self.note}

    def token(self) -> int | float | str | None:
        """The compact form without the note."""
        match self.kind:
            case ValueKind.NUMBER:
                assert self.number is not None
                return decimal_to_plain(self.number)
            case ValueKind.QUALITATIVE:
                assert self.qualitative is not None
                return self.qualitative.value
            case ValueKind.PENDING:
                return PENDING_TEXT
            case ValueKind.NOT_APPLICABLE:
                return NOT_APPLICABLE_TEXT
            case ValueKind.EMPTY:
                return None

    @property
    def is_empty(self) -> bool:
        """Nothing entered and nothing to say about it."""
        return self.kind is ValueKind.EMPTY and self.note is None

    def display(self, unit: str | None = None, decimals: int | None = None) -> str:
        """Text as the official forms print it: ``47,000人``, ``増加``, ``集計中``, ``－``."""
        match self.kind:
            case ValueKind.NUMBER:
                assert self.number is not None
                return format_number(self.number, decimals) + (unit or "")
            case ValueKind.EMPTY:
                return ""
            case _:
                return str(self.token())


def _whole_number(n: int) -> Value:
    """A pickled whole number (see ``Value.__reduce__``): the very same decimal, in the
    value made before for it if there is one."""
    from kpibook.series import number_value

    return number_value(n)


EMPTY = Value(kind=ValueKind.EMPTY)


def _full(data: dict[Any, Any]) -> Value:
    """The full form, ``{kind, number, qualitative, note}``, as the plan's JSON has it."""
    extra = set(data) - {"kind", "number", "qualitative", "note"}
    if extra:
        raise BadValue(Message(ja=INVALID_JA, en=f"unknown key(s) {sorted(extra)}"))
    try:
        kind = ValueKind(data["kind"])
        qualitative = None if data.get("qualitative") is None else Qualitative(data["qualitative"])
    except ValueError as exc:
        raise BadValue(Message(ja=INVALID_JA, en=str(exc))) from None
    number = data.get("number")
    if number is not None:
        if isinstance(number, bool) or not isinstance(number, int | float | Decimal):
            raise BadValue(Message(ja=INVALID_JA, en=f"{number!r} is not a number"))
        number = to_decimal(number)
    return Value(kind, number, qualitative, _note(data.get("note")))


def _note(note: Any) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str) or not 1 <= len(note) <= NOTE_MAX:
        raise BadValue(
            Message(
                ja=f"注記は{NOTE_MAX}文字以内の文字列にしてください",
                en=f"a note is text of 1 to {NOTE_MAX:,} characters",
            )
        )
    return note


def _compact_to_fields(data: Any) -> dict[str, Any]:
    if data is None:
        return {"kind": ValueKind.EMPTY}
    if isinstance(data, bool):
        raise BadValue(Message(ja=INVALID_JA, en="a yes/no value is not a target or actual"))
    if isinstance(data, int | float | Decimal):
        return {"kind": ValueKind.NUMBER, "number": to_decimal(data)}
    if isinstance(data, str):
        return parse_token(data)
    raise BadValue(
        Message(
            ja=INVALID_JA,
            en=f"expected a number, 増加/減少/維持, 集計中 or －, not {type(data).__name__}",
        )
    )


def parse_token(text: str) -> dict[str, Any]:
    """Fields for a state written as text (exact spellings; numbers must be numbers)."""
    t = text.strip()
    if t in NOT_APPLICABLE_SPELLINGS:
        return {"kind": ValueKind.NOT_APPLICABLE}
    if t == PENDING_TEXT:
        return {"kind": ValueKind.PENDING}
    for q in Qualitative:
        if t == q.value:
            return {"kind": ValueKind.QUALITATIVE, "qualitative": q}
    if t == "":
        return {"kind": ValueKind.EMPTY}
    raise BadValue(
        Message(
            ja=f"数値（単位なし）、増加・減少・維持、{PENDING_TEXT}、{NOT_APPLICABLE_TEXT} の"
            "いずれかを入力してください",
            en=f"{text!r} is not a value: write a number, 増加, 減少, 維持, {PENDING_TEXT} or "
            f"{NOT_APPLICABLE_TEXT} (numbers must be stored as numbers, without units)",
        )
    )


def decimal_to_plain(d: Decimal) -> int | float:
    """An int when the decimal is whole, else the float that prints as the same digits."""
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def format_number(d: Decimal, decimals: int | None = None) -> str:
    """``1,633,294`` / ``87.2`` / ``-3.5``: thousands separators, digits as written
    (or exactly ``decimals`` places, rounded half up)."""
    sign = "-" if d < 0 else ""
    if decimals is None:
        text = format(abs(d.normalize()), "f")
    else:
        text = format(abs(d).quantize(Decimal(1).scaleb(-decimals), rounding="ROUND_HALF_UP"), "f")
    whole, _, frac = text.partition(".")
    return f"{sign}{int(whole):,}" + (f".{frac}" if frac else "")
