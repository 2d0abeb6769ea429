"""What ``kpibook plan new`` starts a plan with: its layout, a grade scale taken from a
published report (or the coordinator's own), and the plan's own words.

The words live in the form template (:class:`~kpibook.template.Terms` and the labels that
carry them), so a plan whose words differ from the built-in template's gets a template
of its own beside the plan workbook: the built-in one of its layout with the words
replaced, comments kept, and ``terms`` added.  The workbook's 様式テンプレート names it,
so ``generate``, ``check`` and ``merge`` all use it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from kpibook.atomic import write_bytes_atomic
from kpibook.errors import KpibookError, LoadError
from kpibook.message import Message
from kpibook.plan import Layout
from kpibook.plantext import load_model_yaml
from kpibook.template import CardTemplate, MatrixTemplate, Terms, templates_root

Band = tuple[str, Decimal, str]
"""(grade, lowest rate in percent, meaning) of one level, best first."""


@dataclass(frozen=True)
class ScalePreset:
    name: str
    title: str
    source: str
    bands: tuple[Band, ...]

    def describe(self) -> str:
        levels = "/".join(b[0] for b in self.bands)
        limits = "/".join(f"{b[1]:g}" for b in self.bands[:-1])
        return f"{levels} {limits}（{self.source}）"


def _bands(*levels: tuple[str, int, str]) -> tuple[Band, ...]:
    return tuple((g, Decimal(r), label) for g, r, label in levels)


SCALES: dict[str, ScalePreset] = {
    p.name: p
    for p in [
        ScalePreset(
            "abc",
            "A/B/C",
            "柏市 第3次生涯学習推進計画",
            _bands(
                ("A", 80, "かなり達成できた"),
                ("B", 50, "あまり達成できなかった"),
                ("C", 0, "達成できなかった"),
            ),
        ),
        ScalePreset(
            "ab+bc",
            "A/B+/B/C",
            "茨城県 総合戦略 KPI",
            _bands(
                ("A", 100, "順調"),
                ("B+", 80, "概ね順調"),
                ("B", 50, "やや遅れ"),
                ("C", 0, "遅れ"),
            ),
        ),
        ScalePreset(
            "sabcd",
            "S/A/B/C/D",
            "5段階の例",
            _bands(
                ("S", 120, "目標を大きく上回った"),
                ("A", 100, "目標を達成した"),
                ("B", 80, "概ね達成した"),
                ("C", 50, "達成が遅れている"),
                ("D", 0, "達成できなかった"),
            ),
        ),
        ScalePreset(
            "marks",
            "◎/○/△/×",
            "記号4段階の例",
            _bands(
                ("◎", 100, "目標を達成"),
                ("○", 80, "概ね達成"),
                ("△", 50, "一部達成"),
                ("×", 0, "未達成"),
            ),
        ),
        ScalePreset(
            "achieved",
            "達成/概ね達成/未達成",
            "3段階の例",
            _bands(
                ("達成", 100, "目標を達成した"),
                ("概ね達成", 80, "目標の8割以上"),
                ("未達成", 0, "目標の8割未満"),
            ),
        ),
    ]
}
DEFAULT_SCALE = "abc"
CUSTOM_HINT = "A:80:よい,B:50:ふつう,C:0:わるい"
"""How a scale of one's own is written: grade:lowest rate:meaning, best first."""


class StarterError(KpibookError):
    exit_code = 2


def parse_scale(text: str) -> tuple[Band, ...]:
    """A preset's name, or a scale of one's own (:data:`CUSTOM_HINT`); the plan model
    checks the levels further when the workbook is read."""
    text = text.strip()
    if text in SCALES:
        return SCALES[text].bands
    if ":" not in text:
        names = "、".join(SCALES)
        raise StarterError(
            Message(
                ja=f"評価区分「{text}」はありません。{names} のいずれか、または"
                f"「{CUSTOM_HINT}」の形で書いてください",
                en=f"no scale {text!r}: give one of {', '.join(SCALES)}, or your own as "
                f"{CUSTOM_HINT!r} (grade:lowest rate:meaning, best first)",
            )
        )
    bands: list[Band] = []
    for part in text.replace("、", ",").split(","):
        pieces = [p.strip() for p in part.split(":")]
        try:
            if len(pieces) != 3 or not pieces[0] or not pieces[2]:
                raise InvalidOperation
            rate = Decimal(pieces[1])
        except InvalidOperation:
            raise StarterError(
                Message(
                    ja=f"評価区分の「{part}」が読めません。「{CUSTOM_HINT}」の形で書いてください",
                    en=f"cannot read {part!r} of the scale; write it as {CUSTOM_HINT!r}",
                )
            ) from None
        bands.append((pieces[0], rate, pieces[2]))
    rates = [b[1] for b in bands]
    if len(bands) < 2 or rates != sorted(rates, reverse=True) or len(set(rates)) != len(rates):
        raise StarterError(
            Message(
                ja="評価区分は2段階以上、達成率の下限の高い順に書いてください",
                en="a scale needs two levels or more, best (highest lowest rate) first",
            )
        )
    if rates[-1] != 0:
        raise StarterError(
            Message(
                ja="最後の評価区分の下限は0にしてください",
                en="the last level's lowest rate must be 0",
            )
        )
    return tuple(bands)


def template_file(plan_file: Path) -> Path:
    """Where a plan's own template is written: beside the plan workbook."""
    return plan_file.with_name(f"{plan_file.stem}.template.yaml")


BUILT_IN_BELOW_TOP = ("△", "×")
"""The grades the built-in matrix template names where 改善策 is asked for (its scale's
grades below the top)."""


def starter_template(
    layout: Layout, terms: Terms, years: str = "down", below_top: Sequence[str] = ()
) -> str | None:
    """The built-in template of ``layout`` in the plan's words, its card's years ``down``
    or ``across``, and the grades ``below_top`` of the plan's scale where the table names
    △ and × (None: the built-in template as it is, which the plan then uses)."""
    grades = tuple(below_top)
    other_grades = layout is Layout.MATRIX and bool(grades) and grades != BUILT_IN_BELOW_TOP
    if terms == Terms() and years == "down" and not other_grades:
        return None
    text = (templates_root() / f"{layout.value}.yaml").read_text(encoding="utf-8")
    if other_grades:  # ・R1実績が△，×の場合は改善策 in the plan's own grades
        *rest, last = grades
        text = (
            text.replace("△，×", "，".join(grades))
            .replace("△・×", "・".join(grades))
            .replace("△または×", f"{'、'.join(rest)}または{last}" if rest else last)
            .replace("(△, ×)", f"({', '.join(grades)})")
        )
    if years != "down":
        if layout is not Layout.CARD or "\nyears: down\n" not in text:
            raise StarterError(
                Message(
                    ja="年度を横に並べる（--years across）のは票（card）の様式だけです",
                    en="only the card layout prints its years across (--years across)",
                )
            )
        text = text.replace("\nyears: down\n", f"\nyears: {years}\n", 1)
        # a column a year beside the wide text inputs' column: too wide for portrait at
        # 8 pt (the 茨城県 card prints landscape for the same reason)
        text = text.replace(
            "\nprint:\n  orientation: portrait\n",
            "\nprint:\n  # landscape: the years across need the width\n  orientation: landscape\n",
            1,
        )
    if terms == Terms():
        return text
    default = Terms()
    replaced = [
        (default.department, terms.department),
        (default.project, terms.project),
        (default.indicator, terms.indicator),
        (default.target, terms.target),
        (default.actual, terms.actual),
    ]
    if layout is Layout.MATRIX:  # the official table's own word for the department
        replaced[:0] = [("担当部局", terms.department), ("の部局が", f"の{terms.department}が")]
    for old, new in replaced:
        if old != new:
            text = text.replace(old, new)
    shown = terms.words()
    note = terms.target_note
    if note == default.target_note and terms.target != default.target:
        note = f"{{year}} {terms.target}"  # ※R1 期待値: ...
    shown["target_note"] = note
    flow = ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in shown.items())
    return (
        f"{text.rstrip()}\n"
        "# The plan's own words (kpibook plan new): the 記入要領, the master, the report\n"
        "# and the messages to departments use them; the labels above carry them too.\n"
        f"terms: {{{flow}}}\n"
    )


def write_starter_template(path: Path, layout: Layout, text: str) -> None:
    """Write the template and load it back, so that a word YAML cannot hold as written
    is reported now, not when the forms are made."""
    model: type[CardTemplate | MatrixTemplate] = (
        CardTemplate if layout is Layout.CARD else MatrixTemplate
    )
    write_bytes_atomic(path, text.encode("utf-8"))
    try:
        load_model_yaml(path, model)
    except LoadError:
        path.unlink(missing_ok=True)
        raise
