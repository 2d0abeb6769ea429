"""Charts of the 報告書: each indicator's targets and actuals over the plan's years.

A chart is a native chart of the workbook (drawn by Excel and by LibreOffice alike):
the actuals as bars, the targets as a line with markers over them, the baseline as a
dashed line when the plan has one.  Its data sit in hidden columns on the chart's own
rows, so the chart and its data move with the card.  A value the report prints (the
card's targets and actuals) is a formula of the printed cell,
``=IF(ISNUMBER(C12),C12,NA())``: an actual corrected in the master moves the chart, and
a value that is not a number (「－」, 増加, 集計中) is no bar and no point, never a zero.

The template chooses (``report.charts``): no charts (the default, as the official report);
``below``: in each card under its indicators' tables, several side by side (the matrix
layout: after the table); ``beside``: the card's charts one under another in a column of
their own right of the card.  Either way the charts' rows belong to the card's block, so
a page never separates a card from its charts, and no chart covers a text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from kpibook.cells import a1
from kpibook.fiscal import FiscalYear, era_label
from kpibook.forms.sheet import FormSheet
from kpibook.plan import Direction, Indicator, Plan
from kpibook.template import FormTemplate
from kpibook.textfit import row_height
from kpibook.values import Value, ValueKind
from kpibook.xlsx_write import TrendSeries, column_pixels, row_pixels

TARGET_COLOUR = "#C55A11"
ACTUAL_COLOUR = "#2E75B6"
BASELINE_COLOUR = "#7F7F7F"
DATA_ROWS = 4
"""Rows of a chart's band: the years, the targets, the actuals, the baseline."""
PAD = 4
"""Pixels between a chart and the border of its band."""

Cell = tuple[int, int]


@dataclass
class PrintedCells:
    """Where the report printed an indicator's values: ("target" | "actual", year) →
    (row, column)."""

    cells: dict[tuple[str, FiscalYear], Cell] = field(default_factory=dict)

    def add(self, kind: str, year: FiscalYear, row: int, col: int) -> None:
        self.cells[(kind, year)] = (row, col)


@dataclass(frozen=True)
class Trend:
    """An indicator's values over the years a chart shows (numbers only; None: none)."""

    indicator: Indicator
    years: list[FiscalYear]
    targets: list[Decimal | None]
    actuals: list[Decimal | None]
    baseline: Decimal | None
    final_year: FiscalYear | None = None
    """The year whose target is the final target (【最終目標】), if any."""

    @property
    def drawable(self) -> bool:
        """Whether there is a number to draw (an indicator with none gets no chart)."""
        return any(v is not None for v in [*self.targets, *self.actuals])


def _number(value: Value | None) -> Decimal | None:
    if value is not None and value.kind is ValueKind.NUMBER:
        return value.number
    return None


def trend(plan: Plan, ind: Indicator, actual: Value | None) -> Trend:
    """The plan's years (and any earlier year with a value), the target of each (the
    final target in the last year when that year has none), each actual up to the report
    year (the department's for the report year), running totals for a 累計 indicator."""
    years = set(range(plan.period.start, plan.period.end + 1))
    years |= {*ind.targets, *ind.actuals}
    if ind.baseline_year is not None:
        years.add(ind.baseline_year)
    ordered = sorted(years)
    targets = [_number(ind.targets.get(y)) for y in ordered]
    last = ordered.index(plan.period.end)
    final_year = None
    if targets[last] is None and plan.period.end not in ind.targets:
        targets[last] = _number(ind.final_target)
        final_year = plan.period.end
    actuals = [
        _number(actual if y == plan.report_year else ind.actuals.get(y))
        if y <= plan.report_year
        else None
        for y in ordered
    ]
    if ind.cumulative:
        start = ind.baseline_year + 1 if ind.baseline_year is not None else plan.period.start
        running: Decimal | None = Decimal(0)
        summed: list[Decimal | None] = []
        for y, v in zip(ordered, actuals, strict=True):
            if y < start or y > plan.report_year:
                summed.append(None)
                continue
            running = running + v if running is not None and v is not None else None
            summed.append(running)
        actuals = summed
    return Trend(ind, ordered, targets, actuals, _number(ind.baseline), final_year)


@dataclass(frozen=True)
class Chart:
    """A chart to draw: the values, where the report printed them, its title's prefix
    (the row's number in the matrix layout)."""

    trend: Trend
    printed: PrintedCells
    prefix: str = ""


def chart_title(t: FormTemplate, ind: Indicator, prefix: str = "") -> str:
    labels = t.report.labels
    unit = f"（{ind.unit}）" if ind.unit else ""
    lower = f"　※{labels.chart_lower}" if ind.direction is Direction.LOWER else ""
    return f"{prefix}{ind.label}{unit}{lower}"


def number_format(trends: list[Trend]) -> str:
    whole = all(
        v is None or v == v.to_integral_value()
        for tr in trends
        for v in [*tr.targets, *tr.actuals, tr.baseline]
    )
    return "#,##0" if whole else "#,##0.0"


def chart_band(
    fs: FormSheet,
    row: int,
    first: int,
    last: int,
    charts_shown: list[Chart],
    label: str | None = None,
    blocks: bool = False,
) -> int:
    """Rows of charts over columns ``first..last`` (with ``label`` in the columns before
    them), ``per_row`` charts side by side; returns the next row.  The rows are
    reserved with their heights, so the page breaks know them; with ``blocks`` each row
    of charts is a block of its own (kept whole on a page)."""
    charts = fs.template.report.charts
    s = fs.styles
    width_px = sum(column_pixels(w) for w in fs.widths[first : last + 1])
    slot = width_px // charts.per_row
    height = charts.height / DATA_ROWS
    data_col = len(fs.widths) + 1  # hidden columns after the printed grid
    for n in range(0, len(charts_shown), charts.per_row):
        band = charts_shown[n : n + charts.per_row]
        for r in range(row, row + DATA_ROWS):
            fs.heights[r] = height
        fs.span(row, first, last, None, s.text, rows=DATA_ROWS)
        if label is not None and first > 0:
            fs.span(row, 0, first - 1, label, s.label, rows=DATA_ROWS)
        size = (slot - 2 * PAD, row_pixels(charts.height) - 2 * PAD)
        for k, chart in enumerate(band):
            col = data_col + k * (len(chart.trend.years) + 1)
            _chart(fs, (row, col), (row, first), (k * slot + PAD, PAD), size, chart)
        if blocks:
            fs.block(row, row + DATA_ROWS - 1)
        row += DATA_ROWS
    return row


def charts_beside(fs: FormSheet, first: int, last: int, col: int, charts_shown: list[Chart]) -> int:
    """The card's charts one under another in column ``col`` beside the card's rows
    ``first..last``, from its first row; when they are taller than the card, a blank row
    under the card makes up the difference, so that the next card's charts never meet
    these.  Returns the row after the card (and that blank row)."""
    charts = fs.template.report.charts
    one_line = row_height(1, fs.size)
    card = sum(fs.heights.get(r, one_line) for r in range(first, last + 1))
    need = len(charts_shown) * charts.height
    after = last + 1
    if need > card:
        fs.heights[after] = need - card
        after += 1
    width = column_pixels(fs.widths[col])
    height = row_pixels(charts.height)
    data_col = len(fs.widths) + 1
    for k, chart in enumerate(charts_shown):
        data = (first, data_col + k * (len(chart.trend.years) + 1))
        offset = (PAD, k * height + PAD)
        _chart(fs, data, (first, col), offset, (width - 2 * PAD, height - 2 * PAD), chart)
    return after


def _chart(
    fs: FormSheet,
    data: Cell,
    at: Cell,
    offset: tuple[int, int],
    size: tuple[int, int],
    chart: Chart,
) -> None:
    """One chart: its data at ``data`` (hidden columns, four rows) and the chart at cell
    ``at`` plus ``offset`` pixels, ``size`` pixels."""
    row, col = data
    tr, printed = chart.trend, chart.printed
    t = fs.template
    labels = t.report.labels
    sheet = fs.sheet
    count = len(tr.years)
    end = col + count - 1
    sheet.column_width(col - 1, end, 6, hidden=True)
    for k, year in enumerate(tr.years):
        sheet.write(row, col + k, era_label(year))
    cumulative = tr.indicator.cumulative
    for r, kind, values in ((row + 1, "target", tr.targets), (row + 2, "actual", tr.actuals)):
        for k, (year, value) in enumerate(zip(tr.years, values, strict=True)):
            source = None if (cumulative and kind == "actual") else printed.cells.get((kind, year))
            if kind == "target" and year == tr.final_year:
                source = printed.cells.get(("final", 0))
            if source is not None:
                ref = a1(*source)
                sheet.formula(r, col + k, f"=IF(ISNUMBER({ref}),{ref},NA())", value)
            elif value is not None:
                sheet.write(r, col + k, value)
    # the legend says the plan's words (期待値, 実績) unless the template names its own
    given = labels.model_fields_set
    targets = labels.chart_targets if "chart_targets" in given else t.terms.target
    actuals = labels.chart_actuals if "chart_actuals" in given else t.terms.actual
    actuals += f"（{labels.chart_cumulative}）" if cumulative else ""
    bars = not clustered(tr)
    series = [
        TrendSeries(
            actuals, row + 2, col, end, ACTUAL_COLOUR, "column" if bars else "line", marker="circle"
        ),
        TrendSeries(targets, row + 1, col, end, TARGET_COLOUR),
    ]
    if tr.baseline is not None:
        for k in range(count):
            sheet.write(row + 3, col + k, tr.baseline)
        since = tr.indicator.baseline_year
        name = labels.chart_baseline + (f"（{era_label(since)}）" if since is not None else "")
        series.append(
            TrendSeries(name, row + 3, col, end, BASELINE_COLOUR, dashed=True, marker=None)
        )
    sheet.trend_chart(
        at,
        offset,
        size,
        chart_title(t, tr.indicator, chart.prefix),
        (row, col, end),
        series,
        fs.size,
        number_format([tr]),
        from_zero=bars,
    )


def clustered(tr: Trend) -> bool:
    """Whether the values lie far from zero (the smallest over half the largest, or any
    below zero): then the actuals are a line on an axis that does not start at zero, where
    bars from zero would show every year alike; otherwise bars from zero."""
    values = [v for v in [*tr.targets, *tr.actuals, tr.baseline] if v is not None]
    if not values:
        return False
    return min(values) < 0 or min(values) > max(values) / 2
