"""A card's targets and actuals: each indicator's years down (a row per year, kpibook's
own form) or across (a column per year, as the official cards of 茨城県 print them), as
the template's ``years`` says.

Either way the card shows, where the plan has them, the baseline (基準値) and its year,
the original of a revised target (当初目標) beside the revised one, every plan year to the
last one with a target (a later year's actual is never an input), 【最終目標】 (the last
plan year's target when the plan gives none apart), and for a lagging statistic which
years may be graded.  Every printed value is a named prefilled cell
(:func:`kpibook.contract.inputs.prefilled_values` lists them).
"""

from __future__ import annotations

from dataclasses import dataclass

from kpibook.contract.content import FormContent, FormProject, final_shown, years_shown
from kpibook.contract.inputs import FormInput, InputKey
from kpibook.contract.names import indicator_name
from kpibook.fiscal import FiscalYear, era_label
from kpibook.forms.sheet import FormSheet
from kpibook.grading import grade_indicator
from kpibook.plan import Indicator, Plan
from kpibook.template import CardTemplate, Terms, YearLabels
from kpibook.textfit import LINE_EM, ROW_PADDING, lines_needed, row_height
from kpibook.values import Value, ValueKind
from kpibook.xlsx_write import Style

LABEL, BODY = 0, 1
FIRST_VALUE = 2
"""The first column after the body: 年度 (years down) or the first year (across)."""

Inputs = dict[InputKey, FormInput]


@dataclass(frozen=True)
class Slot:
    """One year (or the baseline, or 【最終目標】) of an indicator as the card prints it."""

    head: str
    part: str
    """The name part of its target (``t2019``, ``base``, ``final``)."""
    target: Value | None
    original_part: str | None = None
    original: Value | None = None
    year: FiscalYear | None = None
    """The year whose actual it shows (None: the baseline and 【最終目標】 have none)."""


def slots(plan: Plan, ind: Indicator, t: CardTemplate) -> list[Slot]:
    """The indicator's baseline, years and 【最終目標】, in printed order."""
    out: list[Slot] = []
    if not ind.baseline.is_empty:
        year = f"（{era_label(ind.baseline_year)}）" if ind.baseline_year is not None else ""
        out.append(Slot(f"{t.labels.baseline}{year}", "base", ind.baseline))
    for y in years_shown(plan, ind):
        original = ind.original_targets.get(y)
        out.append(
            Slot(era_label(y), f"t{y}", ind.targets.get(y), f"o{y}", original, year=y)
            if original is not None
            else Slot(era_label(y), f"t{y}", ind.targets.get(y), year=y)
        )
    final = final_shown(plan, ind)
    original_final = None if ind.original_final_target.is_empty else ind.original_final_target
    out.append(Slot(t.labels.final_target, "final", final, "ofinal", original_final))
    return out


def value_columns_across(plan: Plan, t: CardTemplate) -> int:
    """How many value columns a card with years across needs: the most of any indicator."""
    return max((len(slots(plan, i, t)) for p in plan.projects for i in p.indicators), default=1)


def past_rates(plan: Plan, ind: Indicator) -> dict[FiscalYear, str]:
    """The 達成率 of every plan year before the report year that has a numeric actual,
    computed as of that year by the plan's method and rounding, as printed (137.4%)."""
    out: dict[FiscalYear, str] = {}
    for year, value in ind.actuals.items():
        if value.kind is ValueKind.NUMBER and plan.period.start <= year < plan.report_year:
            graded = grade_indicator(
                ind, value, plan.grading, year, plan.period.end, period_start=plan.period.start
            )
            if graded.rate_shown is not None:
                out[year] = f"{graded.rate_shown}%"
    return out


def lag_text(plan: Plan, ind: Indicator, labels: YearLabels) -> str | None:
    """What a form says under a lagging indicator: which years may be graded."""
    if not ind.data_lag:
        return None
    earliest = era_label(plan.report_year - ind.data_lag)
    return labels.data_lag.format(year=era_label(plan.report_year), earliest=earliest)


def indicator_text(
    ind: Indicator,
    final_label: str,
    terms: Terms,
    extra: str | None = None,
    baseline_label: str = "基準値",
) -> str:
    """The indicator's name and unit, and its ※ notes, one a line, in the template's
    words (※R1 目標: ...), ``extra`` last."""
    unit = f"（{ind.unit}）" if ind.unit else ""
    # a note the plan wrote as ※… (as the 説明 sheet's example does) gets one ※, not two
    notes = [
        f"{terms.note_prefix('actual', y)}: {v.note.removeprefix('※')}"
        for y, v in sorted(ind.actuals.items())
        if v.note
    ]
    notes += [
        f"{terms.note_prefix('target', y)}: {v.note.removeprefix('※')}"
        for y, v in sorted(ind.targets.items())
        if v.note
    ]
    if ind.final_target.note:
        notes.append(f"{final_label}: {ind.final_target.note}")
    if ind.baseline.note:
        notes.append(f"{baseline_label}: {ind.baseline.note}")
    if ind.note:
        notes.append(ind.note)
    if extra:
        notes.append(extra)
    return "\n".join([f"{ind.label}{unit}", *(f"※{n.removeprefix('※')}" for n in notes)])


def grow_rows(fs: FormSheet, first: int, last: int, lines: int) -> None:
    """Spread the height ``lines`` lines need over rows ``first..last`` (a merged cell)."""
    one = row_height(1, fs.size)
    need = lines * fs.size * LINE_EM + ROW_PADDING
    rows = range(first, last + 1)
    have = sum(fs.heights.get(r, one) for r in rows)
    if need > have:
        extra = (need - have) / len(rows)
        for r in rows:
            fs.heights[r] = round(fs.heights.get(r, one) + extra, 2)


def indicators_table(
    fs: FormSheet, row: int, fp: FormProject, content: FormContent, t: CardTemplate, inputs: Inputs
) -> int:
    """The card's 目標値・各年度の実績値 block; returns the next row."""
    s, labels = fs.styles, t.labels
    last = fs.last_col
    block_label = f"{labels.targets}・{labels.actuals}"
    indicators = fp.project.indicators
    if not indicators:
        fs.write(row, LABEL, block_label, s.label)
        fs.span(row, BODY, last, "（数値目標なし）", s.text)
        return row + 1
    first = row
    if t.years == "down":
        row = _down_head(fs, row, t)
        for ind in indicators:
            row = _down(fs, row, fp, ind, content.plan, t, inputs)
    else:
        for ind in indicators:
            row = _across(fs, row, fp, ind, content.plan, t, inputs)
    fs.span(first, LABEL, LABEL, block_label, s.label, rows=row - first)
    grow_rows(fs, first, row - 1, lines_needed(block_label, fs.widths[LABEL], fs.size))
    return row


# -- years down ---------------------------------------------------------------------------

YEAR, TARGET, ACTUAL, STATE = range(FIRST_VALUE, FIRST_VALUE + 4)


def _down_head(fs: FormSheet, row: int, t: CardTemplate) -> int:
    labels = t.labels
    for col, head in (
        (BODY, labels.indicator),
        (YEAR, labels.year),
        (TARGET, labels.targets),
        (ACTUAL, labels.actuals),
        (STATE, labels.state),
    ):
        fs.write(row, col, head, fs.styles.label.but(align="center"))
        fs.fit(row, head, fs.widths[col])
    return row + 1


def _down(
    fs: FormSheet,
    row: int,
    fp: FormProject,
    ind: Indicator,
    plan: Plan,
    t: CardTemplate,
    inputs: Inputs,
) -> int:
    """One row per year: 年度 | 目標値 | 実績値 | 実績の状況; the baseline first, the original
    of a revised target on the row under it, 【最終目標】 last."""
    s, pid = fs.styles, fp.project.id
    number = fs.number_style(ind)
    center = s.text_center
    first = row
    for slot in slots(plan, ind, t):
        fs.write(row, YEAR, slot.head, center)
        fs.fit(row, slot.head, fs.widths[YEAR])
        fs.prefilled(row, TARGET, slot.target, number, indicator_name(pid, ind.id, slot.part))
        _down_actual(fs, row, fp, ind, slot.year, plan, t, inputs, number)
        row += 1
        if slot.original is not None and slot.original_part is not None:
            head = t.labels.original_target
            fs.write(row, YEAR, head, center)
            fs.fit(row, head, fs.widths[YEAR])
            name = indicator_name(pid, ind.id, slot.original_part)
            fs.prefilled(row, TARGET, slot.original, number, name)
            fs.span(row, ACTUAL, STATE, None, s.read_only)
            row += 1
    text = indicator_text(
        ind, t.labels.final_target, t.terms, lag_text(plan, ind, t.labels), t.labels.baseline
    )
    fs.span(first, BODY, BODY, text, s.text.but(valign="top"), rows=row - first)
    grow_rows(fs, first, row - 1, lines_needed(text, fs.widths[BODY], fs.size))
    return row


def _down_actual(
    fs: FormSheet,
    row: int,
    fp: FormProject,
    ind: Indicator,
    year: FiscalYear | None,
    plan: Plan,
    t: CardTemplate,
    inputs: Inputs,
    number: Style,
) -> None:
    s = fs.styles
    if year is None or year > plan.report_year:
        fs.span(row, ACTUAL, STATE, None, s.read_only)
    elif year == plan.report_year:
        _report_year(fs, row, ACTUAL, STATE, fp, ind, t, inputs)
    else:
        name = indicator_name(fp.project.id, ind.id, f"a{year}")
        fs.prefilled(row, ACTUAL, ind.actuals.get(year), number, name, ind.status_of(year))
        fs.write(row, STATE, None, s.read_only)


def _report_year(
    fs: FormSheet,
    row: int,
    actual: int,
    state: int,
    fp: FormProject,
    ind: Indicator,
    t: CardTemplate,
    inputs: Inputs,
) -> None:
    if fp.writes:
        fs.indicator_inputs(
            row, actual, state, inputs[("actual", ind.id)], inputs[("state", ind.id)]
        )
    else:
        lead = t.labels.filled_by_lead.format(lead=fp.project.lead_department)
        if state == actual + 1:
            fs.span(row, actual, state, lead, fs.styles.read_only)
        else:
            fs.write(row, actual, lead, fs.styles.read_only)
            fs.fit(row, lead, fs.widths[actual])
            fs.write(row, state, None, fs.styles.read_only)


# -- years across -------------------------------------------------------------------------


def _across(
    fs: FormSheet,
    row: int,
    fp: FormProject,
    ind: Indicator,
    plan: Plan,
    t: CardTemplate,
    inputs: Inputs,
) -> int:
    """The indicator's name over the table, then a row of heads (基準値, the years,
    【最終目標】, 実績の状況) and the rows 目標値, 当初目標 (when a target was revised),
    実績値 and (when the template asks) 達成率 of each past year, each named in the body
    column."""
    s, labels, pid = fs.styles, t.labels, fp.project.id
    last = fs.last_col
    state = last
    number = fs.number_style(ind)
    head = s.label.but(align="center")
    row = fs.long_text(
        row,
        BODY,
        last,
        indicator_text(
            ind, labels.final_target, t.terms, lag_text(plan, ind, labels), labels.baseline
        ),
        s.text,
    )
    printed = slots(plan, ind, t)
    cols = range(FIRST_VALUE, state)
    has_original = any(slot.original is not None for slot in printed)
    rates = past_rates(plan, ind) if t.year_rates else None
    rows = [labels.year, labels.targets, *([labels.original_target] if has_original else [])]
    rows += [labels.actuals, *([labels.rate] if rates is not None else [])]
    for n, text in enumerate(rows):
        fs.write(row + n, BODY, text, head)
    fs.write(row, state, labels.state, head)
    fs.fit(row, labels.state, fs.widths[state])
    actual_row = row + len(rows) - (2 if rates is not None else 1)
    end = row + len(rows)  # the row after the table
    for col in cols:
        k = col - FIRST_VALUE
        if k >= len(printed):
            for r in range(row, end):
                fs.write(r, col, None, s.read_only)
            continue
        slot = printed[k]
        fs.write(row, col, slot.head, head)
        fs.fit(row, slot.head, fs.widths[col])
        fs.prefilled(row + 1, col, slot.target, number, indicator_name(pid, ind.id, slot.part))
        if has_original:
            if slot.original is not None and slot.original_part is not None:
                name = indicator_name(pid, ind.id, slot.original_part)
                fs.prefilled(row + 2, col, slot.original, number, name)
            else:
                fs.write(row + 2, col, None, s.read_only)
        if slot.year is None or slot.year > plan.report_year:
            fs.write(actual_row, col, None, s.read_only)
        elif slot.year < plan.report_year:
            name = indicator_name(pid, ind.id, f"a{slot.year}")
            value, status = ind.actuals.get(slot.year), ind.status_of(slot.year)
            fs.prefilled(actual_row, col, value, number, name, status)
        if rates is not None:  # locked text, computed from the plan's values
            rate = rates.get(slot.year) if slot.year is not None else None
            fs.write(actual_row + 1, col, rate, s.text_center if rate else s.read_only)
    for r in (*range(row + 1, actual_row), *range(actual_row + 1, end)):
        fs.write(r, state, None, s.read_only)
    report = next((k for k, slot in enumerate(printed) if slot.year == plan.report_year), None)
    if report is None:  # a plan whose years all lie before the report year has no input
        fs.write(actual_row, state, None, s.read_only)
    else:
        _report_year(fs, actual_row, FIRST_VALUE + report, state, fp, ind, t, inputs)
    return end
