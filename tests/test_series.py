"""An indicator's values by year, held as compact columns, behave as the dict they replace."""

from __future__ import annotations

import copy
import json
import pickle
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kpibook.plan import Indicator
from kpibook.plantext import dump_json, dump_yaml
from kpibook.series import NO_YEARS, YearValues
from kpibook.values import EMPTY, Qualitative, Value, ValueKind


def _indicator(**series: Any) -> Indicator:
    return Indicator.model_validate({"id": "k1", "label": "参加人数", **series})


MIXED = {
    "R3": 1200,  # a whole number: held in the integer column
    2019: 87.2,  # a float from a spreadsheet: its 15 digits as a decimal
    "令和2年度": {"value": 5, "note": "※中止"},  # a number with a note
    2022: "増加",
    2023: "集計中",
    2024: None,  # empty: dropped
    2025: "－",
}


def test_a_series_reads_as_the_dict_of_values_it_was_given() -> None:
    targets = _indicator(targets=MIXED).targets
    expected = {
        2019: Value(ValueKind.NUMBER, Decimal("87.2")),
        2020: Value(ValueKind.NUMBER, Decimal(5), note="※中止"),
        2021: Value(ValueKind.NUMBER, Decimal(1200)),
        2022: Value(ValueKind.QUALITATIVE, qualitative=Qualitative.INCREASE),
        2023: Value(ValueKind.PENDING),
        2025: Value(ValueKind.NOT_APPLICABLE),
    }
    assert targets == expected
    assert expected == targets
    assert list(targets) == [2019, 2020, 2021, 2022, 2023, 2025]  # ascending, empty gone
    assert list(targets.items()) == list(expected.items())
    assert list(targets.values()) == list(expected.values())
    assert list(targets.keys()) == list(expected)
    assert len(targets) == 6
    assert 2024 not in targets
    assert 2021 in targets
    assert targets[2021] == expected[2021]
    assert targets.get(2021) == expected[2021]
    assert targets.get(2024) is None
    assert targets.get(2024, EMPTY) is EMPTY
    with pytest.raises(KeyError):
        targets[2024]
    assert dict(targets) == expected
    assert targets != {**expected, 2026: EMPTY}


def test_numbers_keep_their_exact_decimal() -> None:
    """A decimal comes back as the very decimal given (digits and exponent), not just an
    equal one: rates and printed digits follow the exponent."""
    given = [Decimal("4.7E+4"), Decimal("1.50"), Decimal("-0"), Decimal("47000"), Decimal(3)]
    targets = _indicator(targets={2019 + n: d for n, d in enumerate(given)}).targets
    assert [v.number.as_tuple() for v in targets.values() if v.number is not None] == [
        d.as_tuple() for d in given
    ]


def test_whole_numbers_share_one_column_and_years_are_shared() -> None:
    a = _indicator(targets={2020: 10, 2021: 20}, actuals={2020: 11})
    b = _indicator(targets={"R2": 30, "R3": 40})
    assert a.targets._years is b.targets._years  # one tuple of years for both
    assert a.targets._cells.tolist() == [10, 20]  # type: ignore[union-attr]
    assert _indicator().original_targets is NO_YEARS


def test_a_series_is_written_as_before() -> None:
    """The text forms (YAML, JSON) and the dumps are what a dict of values gave."""
    ind = _indicator(targets=MIXED, actuals={2019: 3})
    compact = {
        2019: 87.2,
        2020: {"value": 5, "note": "※中止"},
        2021: 1200,
        2022: "増加",
        2023: "集計中",
        2025: "－",
    }
    assert ind.model_dump(exclude_defaults=True)["targets"] == compact
    assert ind.model_dump(exclude_unset=True)["targets"] == compact
    assert ind.model_dump(mode="json")["targets"] == {str(y): v for y, v in compact.items()}
    assert json.loads(ind.model_dump_json())["actuals"] == {"2019": 3}
    assert json.loads(dump_json(ind)) == {
        "id": "k1",
        "label": "参加人数",
        "targets": {str(y): v for y, v in compact.items()},
        "actuals": {"2019": 3},
    }
    assert yaml.safe_load(dump_yaml(ind))["targets"] == compact
    assert "original_targets" not in ind.model_dump(exclude_defaults=True)
    assert Indicator.model_validate(ind.model_dump()) == ind


def test_a_problem_is_reported_at_its_year() -> None:
    with pytest.raises(ValidationError) as info:
        _indicator(targets={"R1": 1, "R2": "たくさん", 2021: True})
    assert [e["loc"] for e in info.value.errors()] == [("targets", 2020), ("targets", 2021)]
    with pytest.raises(ValidationError) as info:
        _indicator(actuals={"R1": 1, 2019: 2})
    assert "given twice" in str(info.value)
    with pytest.raises(ValidationError):
        _indicator(actuals=[1, 2])


def test_copies_and_pickles_are_equal() -> None:
    ind = _indicator(targets=MIXED, actuals={2020: 7})
    for copied in (
        pickle.loads(pickle.dumps(ind)),
        copy.deepcopy(ind),
        ind.model_copy(),
        Indicator.model_validate(ind.model_dump()),
        Indicator.model_validate_json(ind.model_dump_json()),
    ):
        assert copied == ind
        assert copied.targets == ind.targets
        assert type(copied.targets) is YearValues
    back = pickle.loads(pickle.dumps(ind.targets))
    assert back == ind.targets
    assert back._years is ind.targets._years


def test_a_dict_put_in_by_model_copy_is_written_the_same() -> None:
    """``model_copy(update=...)`` does not validate: a plain dict there still dumps."""
    ind = _indicator(actuals={2020: 7})
    swapped = ind.model_copy(update={"actuals": {2020: Value.of(7)}})
    assert swapped.model_dump() == ind.model_dump()
    assert swapped == ind


_values = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: Value(ValueKind.NUMBER, d)),
    st.integers(-(10**20), 10**20).map(lambda n: Value(ValueKind.NUMBER, Decimal(n))),
    st.sampled_from(
        [
            Value(ValueKind.PENDING),
            Value(ValueKind.NOT_APPLICABLE),
            Value(ValueKind.QUALITATIVE, qualitative=Qualitative.MAINTAIN),
            Value(ValueKind.EMPTY, note="※未定"),
            Value(ValueKind.NUMBER, Decimal("12.0"), note="※概数"),
        ]
    ),
)


@given(st.dictionaries(st.integers(1989, 2100), _values, max_size=12))
def test_any_values_come_back_exactly(values: dict[int, Value]) -> None:
    """Whatever a series is given comes back as the very same values (a decimal's digits
    and exponent, a note, a state), in ascending years, and is written the same."""
    series = YearValues(values)
    expected = {y: values[y] for y in sorted(values) if not values[y].is_empty}
    assert list(series.items()) == list(expected.items())
    assert [v.number.as_tuple() for v in series.values() if v.number is not None] == [
        v.number.as_tuple() for v in expected.values() if v.number is not None
    ]
    assert [v.note for v in series.values()] == [v.note for v in expected.values()]
    assert series.compact() == {y: v.compact() for y, v in expected.items()}
    assert pickle.loads(pickle.dumps(series)) == series
