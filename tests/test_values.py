"""Values are numbers or states (増加, 集計中, －), never a number guessed from text."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from kpibook.values import BadValue, Qualitative, Value, ValueKind


@pytest.mark.parametrize(
    ("compact", "kind"),
    [
        (47000, ValueKind.NUMBER),
        (87.2, ValueKind.NUMBER),
        (Decimal("0.5"), ValueKind.NUMBER),
        ("増加", ValueKind.QUALITATIVE),
        ("減少", ValueKind.QUALITATIVE),
        ("維持", ValueKind.QUALITATIVE),
        ("集計中", ValueKind.PENDING),
        ("－", ValueKind.NOT_APPLICABLE),
        ("-", ValueKind.NOT_APPLICABLE),
        ("ー", ValueKind.NOT_APPLICABLE),  # katakana long vowel used as a dash in seed 003
        ("—", ValueKind.NOT_APPLICABLE),
        (None, ValueKind.EMPTY),
    ],
)
def test_compact_forms(compact: Any, kind: ValueKind) -> None:
    assert Value.of(compact).kind is kind


def test_number_is_exact() -> None:
    assert Value.of(87.2).number == Decimal("87.2")
    assert Value.of(0.1 + 0.2).number == Decimal("0.3")  # a spreadsheet's float, 15 digits


def test_note_round_trips() -> None:
    v = Value.of({"value": None, "note": "設置無し"})
    assert v.kind is ValueKind.EMPTY
    assert v.note == "設置無し"
    assert v.compact() == {"value": None, "note": "設置無し"}
    assert Value.of(v.compact()) == v


@pytest.mark.parametrize(
    "bad",
    [
        "47000",
        "約100人",
        "100人",
        True,
        "1_000",
        {"value": 1, "nope": 2},
        float("nan"),
        1234567890123456,
        [1],
    ],
)
def test_rejects(bad: Any) -> None:
    with pytest.raises(BadValue):
        Value.of(bad)


def test_a_model_reports_a_bad_value_at_its_place() -> None:
    from kpibook.plan import Indicator

    with pytest.raises(ValidationError) as caught:
        Indicator.model_validate(
            {"id": "i1", "label": "参加者数", "targets": {2020: 100, 2021: "約100人"}}
        )
    (error,) = caught.value.errors()
    assert error["loc"] == ("targets", 2021)
    cause = error["ctx"]["error"]
    assert isinstance(cause, BadValue)
    assert cause.message.ja.startswith("数値（単位なし）")


def test_display() -> None:
    assert Value.of(1633294).display("件") == "1,633,294件"
    assert Value.of(92).display("%", decimals=1) == "92.0%"
    assert Value.of(81.66).display(decimals=1) == "81.7"
    assert Value.of("集計中").display("人") == "集計中"
    assert Value.of(None).display("人") == ""
    assert Value.of("増加").qualitative is Qualitative.INCREASE


@pytest.mark.parametrize(
    "number", ["1908", "-5", "0", "-0", "1.0", "1E+2", "0.25", "12345678901234567890123"]
)
def test_a_pickled_value_comes_back_the_very_same_decimal(number: str) -> None:
    value = Value(ValueKind.NUMBER, Decimal(number))
    again = pickle.loads(pickle.dumps(value))
    assert again == value
    assert again.number is not None
    assert again.number.as_tuple() == Decimal(number).as_tuple()  # 1.0 is not 1, -0 not 0
    noted = Value(ValueKind.NUMBER, Decimal(number), note="※推計")
    assert pickle.loads(pickle.dumps(noted)) == noted


def test_a_whole_number_unpickled_twice_is_one_value() -> None:
    """The entries of a national merge arrive pickled from the workers: 100,000 actuals,
    an equal whole number held once (a Value and its Decimal: 168 bytes)."""
    first = pickle.loads(pickle.dumps(Value(ValueKind.NUMBER, Decimal("4071"))))
    second = pickle.loads(pickle.dumps([Value(ValueKind.NUMBER, Decimal("4071"))]))[0]
    assert first is second
