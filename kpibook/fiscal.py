"""Japanese fiscal years (年度) and their era labels.

A fiscal year runs from 1 April to 31 March and is stored as the western year in which
it starts: 令和元年度 (April 2019 - March 2020) is ``2019``.  This module is the only
place that knows about eras; everything else passes plain integers around.

Parsing accepts what people actually write in plans and forms::

    H28  Ｈ28  平成28年度  平成31年度 (= R1)  平成32年度 (= R2)  R1  R01  令和元年度
    Ｒ３  令和3年  2019  2019年度  FY2019

Printing gives the label the official layouts use: ``R1`` (short) or ``令和元年度`` (long).
FY2019 is printed as R1/令和元年度 even though the year began under 平成 (its April
preceded the era change of 1 May 2019); that is how Japanese offices label it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from kpibook.errors import MessageValueError
from kpibook.message import Message

FiscalYear = int
"""A fiscal year, as the western calendar year in which it starts (April)."""

MIN_FISCAL_YEAR = 1989
"""平成元年度. Earlier years (昭和) are not used by any plan kpibook reads."""
MAX_FISCAL_YEAR = 2100


@dataclass(frozen=True)
class Era:
    """One Japanese era as used in fiscal-year labels."""

    kanji: str
    letter: str
    first_fiscal_year: FiscalYear
    """The fiscal year labelled 元年度 (year 1) of the era."""


HEISEI = Era("平成", "H", 1989)
REIWA = Era("令和", "R", 2019)
ERAS = (HEISEI, REIWA)
_ERA_BY_NAME = {e.kanji: e for e in ERAS} | {e.letter: e for e in ERAS}


class FiscalYearError(MessageValueError):
    """A text that is not a fiscal year kpibook understands; ``str()`` is the English."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(
            Message(
                ja="年度として読めません（例: R1、令和元年度、H30、平成30年度、2019）",
                en=f"{text!r} is not a fiscal year ({reason})",
            )
        )
        self.text = text
        self.reason = reason


_ERA_RE = re.compile(
    r"^(?P<era>平成|令和|[HR])\s*(?P<year>元|\d{1,2})\s*(?:年度?)?$",
    re.IGNORECASE | re.ASCII,
)
_WESTERN_RE = re.compile(r"^(?:FY\s*)?(?P<year>\d{4})\s*(?:年度?)?$", re.IGNORECASE | re.ASCII)


def parse_fiscal_year(text: str | int) -> FiscalYear:
    """Return the fiscal year a label denotes.

    Accepts era labels (letters or kanji, full- or half-width, 元 for year 1) and western
    years.  Heisei years past 30 are accepted because plans drafted before 2019 print
    future years that way (平成32年度 is 2020).  Raises :class:`FiscalYearError`.
    """
    if isinstance(text, bool):
        raise FiscalYearError(str(text), "a yes/no value is not a year")
    if isinstance(text, int):
        return _checked(text, str(text))
    if len(text) == 4 and text.isascii() and text.isdigit():  # 2019: a plan's keys, mostly
        return _checked(int(text), text)
    raw = text
    norm = unicodedata.normalize("NFKC", text).strip()
    if m := _WESTERN_RE.match(norm):
        return _checked(int(m["year"]), raw)
    if m := _ERA_RE.match(norm):
        era = _ERA_BY_NAME[m["era"].upper() if len(m["era"]) == 1 else m["era"]]
        n = 1 if m["year"] == "元" else int(m["year"])
        if n == 0:
            raise FiscalYearError(raw, "era years start at 1 (元年)")
        return _checked(era.first_fiscal_year + n - 1, raw)
    raise FiscalYearError(raw, "expected e.g. R1, 令和元年度, H30, 平成30年度 or 2019")


def _checked(year: int, raw: str) -> FiscalYear:
    if not MIN_FISCAL_YEAR <= year <= MAX_FISCAL_YEAR:
        raise FiscalYearError(raw, f"outside {MIN_FISCAL_YEAR}-{MAX_FISCAL_YEAR}")
    return year


def era_of(year: FiscalYear) -> Era:
    """The era whose label a fiscal year is printed with."""
    _checked(year, str(year))
    return REIWA if year >= REIWA.first_fiscal_year else HEISEI


def era_label(year: FiscalYear, style: Literal["short", "long"] = "short") -> str:
    """``R1`` / ``令和元年度`` for 2019, ``H30`` / ``平成30年度`` for 2018."""
    era = era_of(year)
    n = year - era.first_fiscal_year + 1
    if style == "short":
        return f"{era.letter}{n}"
    return f"{era.kanji}{'元' if n == 1 else n}年度"


def fiscal_year_of(day: dt.date) -> FiscalYear:
    """The fiscal year a calendar date falls in (April to March)."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_span(year: FiscalYear) -> tuple[dt.date, dt.date]:
    """First and last day of a fiscal year."""
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
