"""Fiscal years and era labels: both ways, including 元年 and 平成31/32."""

from __future__ import annotations

import datetime as dt

import pytest

from kpibook.fiscal import (
    FiscalYearError,
    era_label,
    fiscal_year_of,
    fiscal_year_span,
    parse_fiscal_year,
)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("H28", 2016),
        ("Ｈ29", 2017),
        ("平成28年度", 2016),
        ("平成30年度", 2018),
        ("平成31年度", 2019),  # the same fiscal year as 令和元年度
        ("平成32年度", 2020),  # plans drafted before 2019 print R2 this way
        ("平成元年度", 1989),
        ("R1", 2019),
        ("R01", 2019),
        ("r5", 2023),
        ("令和元年度", 2019),
        ("令和元年", 2019),
        ("令和2年度", 2020),
        ("令和 5 年度", 2023),
        ("Ｒ３", 2021),  # full-width letter and digit
        ("令和６年度", 2024),
        ("2019", 2019),
        ("2019年度", 2019),
        ("FY2024", 2024),
        ("  R6  ", 2024),
        (2020, 2020),
    ],
)
def test_parse(text: str | int, year: int) -> None:
    assert parse_fiscal_year(text) == year


@pytest.mark.parametrize(
    "text", ["R0", "X1", "平成", "約2019", "1900", "H", "R1.5", "", "令和100年度"]
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(FiscalYearError):
        parse_fiscal_year(text)


def test_parse_rejects_bool() -> None:
    with pytest.raises(FiscalYearError):
        parse_fiscal_year(True)


@pytest.mark.parametrize(
    ("year", "short", "long"),
    [
        (2016, "H28", "平成28年度"),
        (2018, "H30", "平成30年度"),
        (2019, "R1", "令和元年度"),  # never 平成31年度
        (2020, "R2", "令和2年度"),
        (2024, "R6", "令和6年度"),
        (1989, "H1", "平成元年度"),
    ],
)
def test_labels(year: int, short: str, long: str) -> None:
    assert era_label(year) == short
    assert era_label(year, "long") == long
    assert parse_fiscal_year(short) == year
    assert parse_fiscal_year(long) == year


def test_fiscal_year_runs_april_to_march() -> None:
    assert fiscal_year_of(dt.date(2020, 3, 31)) == 2019
    assert fiscal_year_of(dt.date(2020, 4, 1)) == 2020
    assert fiscal_year_span(2019) == (dt.date(2019, 4, 1), dt.date(2020, 3, 31))
