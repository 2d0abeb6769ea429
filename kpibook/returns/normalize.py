"""What people type into number cells, read strictly.

Only these changes are applied, each reported back as a warning naming what was done:
full-width digits and punctuation (１，６３３，２９４), thousands separators, the
indicator's own unit typed after the number (47,233人 when the unit is 人), spaces around
the value (U+3000 too), and the minus sign U+2212.  Nothing else is guessed: 約100人,
100人程度, ▲100, (100) and a unit that is not the indicator's are errors.  A blanket
NFKC is deliberately not used: it would turn ① into 1 and Ⅲ into III.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kpibook.values import NOT_APPLICABLE_SPELLINGS, to_decimal

_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + n): str(n) for n in range(10)},
        "，": ",",
        "．": ".",
        "－": "-",
        "＋": "+",
        "−": "-",  # U+2212 MINUS SIGN
        "％": "%",
        "\u3000": " ",
    }
)
_PLAIN = re.compile(r"^[+-]?\d+(\.\d+)?$", re.ASCII)
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$", re.ASCII)
DASHES = NOT_APPLICABLE_SPELLINGS | {"─"}
"""Dashes meaning "none" (box drawing ─ included); read as not applicable, with a warning."""


class NotANumber(ValueError):
    """Text that is not a number by these rules."""


@dataclass(frozen=True)
class ParsedNumber:
    value: Decimal
    changes: list[str]
    """What was done to read it, in Japanese (empty: it was a plain number)."""


def is_dash(text: str) -> bool:
    return text.strip(" \u3000\t") in DASHES and text.strip(" \u3000\t") != ""


def parse_number_text(text: str, unit: str | None) -> ParsedNumber:
    """A number typed as text; raises NotANumber for anything but the changes above."""
    changes: list[str] = ["文字として入力された数値"]
    folded = text.translate(_FOLD)
    if folded != text:
        changes.append("全角を半角に変換")
    stripped = folded.strip(" \t\r\n")
    if stripped != folded:
        changes.append("前後の空白を除去")
    if unit:
        unit_folded = unit.translate(_FOLD)
        if stripped.endswith(unit_folded) and len(stripped) > len(unit_folded):
            stripped = stripped[: -len(unit_folded)].rstrip()
            changes.append(f"単位「{unit}」を除去")
    if _GROUPED.match(stripped):
        stripped = stripped.replace(",", "")
        changes.append("桁区切りを除去")
    if not _PLAIN.match(stripped):
        raise NotANumber(text)
    return ParsedNumber(to_decimal(Decimal(stripped)), list(dict.fromkeys(changes)))


_CIRCLES = str.maketrans({"〇": "○", "◯": "○"})
"""Circles people type for ○: U+3007 (kanji zero) and U+25EF (large circle)."""


def fold_choice(text: str, choices: Sequence[str]) -> str | None:
    """A dropdown value typed by hand, read as the choice it can only mean: width-folded,
    〇 and ◯ read as ○, and a letter in the other case (LibreOffice's list validation
    accepts ``a`` for ``A``, so the department saw no error). None: no choice matches."""
    folded = unicodedata.normalize("NFKC", text).strip().translate(_CIRCLES)
    if folded in choices:
        return folded
    by_case = {c.casefold(): c for c in choices}
    if len(by_case) == len(choices):
        return by_case.get(folded.casefold())
    return None


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
"""Control characters (Excel stores them escaped, ``_x0016_``; the reader decodes them)
and the non-characters U+FFFE and U+FFFF, which no XML file, and so no master, can hold."""


def control_characters(text: str) -> list[str]:
    """Control characters Excel cannot hold or that break printing (tab, newline and
    carriage return allowed: line ends are normalised)."""
    return [f"U+{ord(c):04X}" for c in CONTROL.findall(text)]
