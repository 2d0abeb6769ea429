"""Writing a form sheet: styles by role, input cells, row heights and page breaks.

Every input goes through :meth:`FormSheet.input`, which unlocks the cell, fills it with
the one input colour, gives it its defined name and its data validation, and records it
for the instructions sheet, so no input can miss any of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kpibook.cells import a1, absolute, col_letter
from kpibook.contract import stamp
from kpibook.contract.content import FormContent
from kpibook.contract.inputs import FormInput, prefilled_keys
from kpibook.contract.names import SCHEMES
from kpibook.contract.specs import InputSpec, prefilled_cell
from kpibook.forms.formats import list_fits_inline, number_format
from kpibook.plan import Indicator
from kpibook.printing import Page, PrintPlan, plan_columns, row_breaks
from kpibook.template import FormTemplate
from kpibook.textfit import lines_needed, merged_width, row_height, split_for_rows
from kpibook.values import ActualStatus, Value, status_format
from kpibook.xlsx_write import Book, CellValue, Sheet, Style, validation_key

MARK_FILL = "#FFC7CE"
MARK_FONT = "#9C0006"
"""Excel's own "bad" colours: a flagged cell in an annotated copy."""


def _writes_each_prefilled() -> bool:
    """Whether the version the forms are stamped with names each prefilled cell (1, 2),
    read when writing, so a form is named as the version its stamp says."""
    return SCHEMES[stamp.FORM_VERSION].names_each_prefilled


@dataclass(frozen=True)
class InputRecord:
    """An input cell, for the instructions sheet and the tests."""

    name: str
    cell: str
    project: str
    spec: InputSpec


@dataclass(frozen=True)
class Styles:
    label: Style
    heading: Style
    title: Style
    text: Style
    text_center: Style
    hint: Style
    input_text: Style
    input_choice: Style
    read_only: Style
    lead: Style
    department: Style

    @classmethod
    def of(cls, t: FormTemplate, size: int | None = None) -> Styles:
        """The styles of a form (``size``: the template's), or of the report at its size.
        No style is smaller than the sheet's size, so nothing prints below the size
        the print scale was planned for."""
        c = t.colours
        size = size or t.font.size
        base = Style(border=1, wrap=True, font_size=size, font_name=t.font.name)
        return cls(
            label=base.but(fill=c.label, bold=True, valign="center"),
            heading=base.but(fill=c.heading, bold=True, border=0, valign="center"),
            title=base.but(bold=True, border=0, font_size=size + 4, wrap=False),
            text=base,
            text_center=base.but(align="center", valign="center"),
            hint=base.but(font_color="#595959"),
            input_text=base.but(
                fill=c.input, locked=False, text=True, font_size=t.font.text_input_size
            ),
            input_choice=base.but(fill=c.input, locked=False, align="center", valign="center"),
            read_only=base.but(fill=c.read_only, font_color="#595959", valign="center"),
            lead=base.but(fill=c.lead, valign="center"),
            department=base.but(valign="center"),
        )


@dataclass
class FormSheet:
    """One form sheet being laid out."""

    book: Book
    sheet: Sheet
    template: FormTemplate
    widths: list[float]
    lists_sheet: Sheet | None
    """Where long dropdown lists go (None in the report, which has no dropdowns)."""
    styles: Styles = field(init=False)
    heights: dict[int, float] = field(default_factory=dict)
    blocks: list[tuple[int, int]] = field(default_factory=list)
    forced: set[int] = field(default_factory=set)
    """Rows that start a new page whatever room is left (a section of the report)."""
    inputs: list[InputRecord] = field(default_factory=list)
    values: dict[str, CellValue] = field(default_factory=dict)
    """Values to write into inputs, by name (a filled return, an annotated copy)."""
    marks: dict[str, str] = field(default_factory=dict)
    """Problems to mark on inputs, by name: the cell is highlighted with this comment."""
    cells: dict[str, str] = field(default_factory=dict)
    """Every input's defined name and every prefilled cell's own name (named by its group
    since form version 3), with its A1 cell."""
    prefilled_at: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Prefilled cells by their own name, (row, col): named by group when laid out."""
    report: bool = False
    """The consolidated report: inputs are printed as their values, nothing is named."""
    labels: dict[tuple[int, int], str] = field(default_factory=dict)
    """Every locked text written (labels, headings, prefilled texts), by (row, column):
    recorded beside the stamp so that ``kpibook check`` can report a changed label by its
    cell."""
    repeat_columns: tuple[int, int] | None = None
    """Title columns printed on every page when the sheet is printed in column groups."""
    column_breaks: list[int] | None = None
    """Where the columns may be split into groups printed across (None: anywhere)."""
    size: int = field(init=False)
    """Point size of ordinary text: the template's, or the report's."""
    page: Page = field(init=False)
    fit_width: bool = field(init=False)
    last_row: int = field(init=False, default=0)
    _pending: int | None = field(init=False, default=None)
    _merged_rows: list[tuple[int, int]] = field(init=False, default_factory=list)
    _lists: dict[tuple[str, ...], str] = field(default_factory=dict)
    _specs: dict[tuple[object, ...], InputSpec] = field(default_factory=dict)
    _validations: dict[int, tuple[dict[str, Any], str]] = field(default_factory=dict)
    _variants: dict[tuple[object, ...], tuple[Style, Style]] = field(default_factory=dict)
    _number_formats: dict[int, tuple[Indicator, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.report:
            self.size = self.template.report.font_size
            self.page = self.template.report.print.page()
            self.fit_width = True
        else:
            self.size = self.template.font.size
            self.page = self.template.print.page()
            self.fit_width = self.template.print.fit_width
        self.styles = Styles.of(self.template, self.size)
        for col, width in enumerate(self.widths):
            self.sheet.column_width(col, col, width)

    # -- cells ------------------------------------------------------------------------

    def write(self, row: int, col: int, value: CellValue, style: Style) -> None:
        self.sheet.write(row, col, value, style)
        self.last_row = max(self.last_row, row)
        if isinstance(value, str) and value and style.locked:
            self.labels[row, col] = value

    def span(
        self, row: int, first: int, last: int, value: CellValue, style: Style, rows: int = 1
    ) -> None:
        """A display cell over columns ``first..last`` (and ``rows`` rows), fitted to text."""
        self.sheet.merge(row, first, row + rows - 1, last, value, style)
        self.last_row = max(self.last_row, row + rows - 1)
        if rows > 1:
            self._merged_rows.append((row, row + rows - 1))
        if isinstance(value, str) and value and style.locked:
            self.labels[row, first] = value
        if isinstance(value, str) and rows == 1:
            self.fit(row, value, self.width(first, last), style.font_size or self.size)

    @property
    def last_col(self) -> int:
        """The sheet's last column."""
        return len(self.widths) - 1

    def width(self, first: int, last: int) -> float:
        """Width units of columns ``first..last`` merged (one cell's padding, not each's)."""
        return merged_width(self.widths[first : last + 1])

    def fit(
        self, row: int, text: str, width: float, size: float | None = None, min_lines: int = 1
    ) -> None:
        """Make ``row`` tall enough for ``text`` wrapped in ``width`` units at ``size`` pt."""
        size = size or self.size
        lines = max(lines_needed(text, width, size), min_lines)
        self.heights[row] = max(self.heights.get(row, 0), row_height(lines, size))

    def long_text(
        self,
        row: int,
        first: int,
        last: int,
        text: str | None,
        style: Style,
        label: tuple[str, Style] | None = None,
    ) -> int:
        """A display text over columns ``first..last`` that continues on the following
        rows when it needs more than one row (Excel's rows are at most 409 pt), with its
        ``label`` in the first column beside all of them; returns the next row."""
        size = style.font_size or self.size
        pieces = split_for_rows(text or "", self.width(first, last), size)
        for n, piece in enumerate(pieces):
            joined = self.but(style, open_top=n > 0, open_bottom=n < len(pieces) - 1)
            self.span(row + n, first, last, piece or None, joined)
        if label is not None:
            self.span(row, 0, first - 1, label[0], label[1], rows=len(pieces))
        return row + len(pieces)

    def input(self, row: int, col: int, inp: FormInput, style: Style) -> None:
        """An unlocked, named, validated input cell (always a single cell)."""
        name, spec = inp.name, inp.spec
        if self.report:
            value = self.values.get(name)
            shown = style.but(locked=True, fill=None, font_color=None, font_size=self.size)
            self.write(row, col, value, shown)
            if isinstance(value, str):
                self.fit(row, value, self.widths[col])
            return
        if name in self.marks:
            style = self.but(style, fill=MARK_FILL, font_color=MARK_FONT)
            self.sheet.comment(row, col, self.marks[name])
        self.sheet.write(row, col, self.values.get(name), style)
        self.last_row = max(self.last_row, row)
        self.name(name, row, col)
        spec = self._shared(spec)
        held = self._validations.get(id(spec))  # (the spec is held by _specs: its id is its own)
        if held is None:
            options = spec.options()
            if options["validate"] == "list" and not list_fits_inline(options["source"]):
                options["source"] = self._list_range(tuple(options["source"]))
            held = self._validations[id(spec)] = (options, validation_key(options))
        self.sheet.validate(row, col, *held)
        self.inputs.append(InputRecord(name, a1(row, col), inp.project, spec))

    def _shared(self, spec: InputSpec) -> InputSpec:
        """One object for equal specs (a form's 60 state cells, its 20 grades...): the
        inputs a worker sends back with each form are pickled and unpickled once per
        distinct spec, not once per input (180 specs, 64 distinct on a national form)."""
        key = (spec.kind, spec.title, spec.rule, spec.required, spec.required_for)
        return self._specs.setdefault((*key, repr(spec.validation)), spec)

    def but(self, style: Style, **changes: Any) -> Style:
        """``style.but(**changes)``, one object for each variant asked for: a form asks
        for the same few (an indicator's number format) for thousands of cells, and the
        workbook finds a style object it has seen without hashing it."""
        key = (id(style), *changes.items())
        held = self._variants.get(key)
        if held is None or held[0] is not style:
            held = self._variants[key] = (style, style.but(**changes))
        return held[1]

    def number_format(self, indicator: Indicator) -> str:
        """The indicator's number format with its unit (asked for by each of its cells;
        worked out once)."""
        held = self._number_formats.get(id(indicator))
        if held is None or held[0] is not indicator:
            held = self._number_formats[id(indicator)] = (indicator, number_format(indicator))
        return held[1]

    def name(self, name: str, row: int, col: int) -> None:
        """A defined name for one cell of this sheet (none in the report)."""
        if self.report:
            return
        self.book.define_name(name, self.sheet.name, row, col)
        self.cells[name] = a1(row, col)

    def prefilled_name(self, name: str, row: int, col: int) -> None:
        """A prefilled cell's name: its own in form versions 1 and 2; since version 3 it
        is recorded here and the cell is named through its group (:meth:`name_groups`)."""
        if self.report:
            return
        if _writes_each_prefilled():
            self.name(name, row, col)
            return
        self.prefilled_at[name] = (row, col)
        self.cells[name] = a1(row, col)

    def name_groups(self, content: FormContent) -> None:
        """One name per group of prefilled cells, over its cells in the contract's order
        (``kpibook check`` reads them back in that order).  A prefilled cell the contract
        lists and the layout did not write is a bug, and fails here."""
        if self.report or _writes_each_prefilled():
            return
        for fp in content.projects:
            for group, keys in prefilled_keys(fp, content.plan, self.template).items():
                cells = [self.prefilled_at[key] for key in keys]
                self.book.define_cells(group, self.sheet.name, cells)

    def indicator_inputs(
        self, row: int, actual_col: int, state_col: int, actual: FormInput, state: FormInput
    ) -> None:
        """The report year's actual (a number in the indicator's format) and its state."""
        assert actual.indicator is not None
        style = self.styles.input_choice
        self.input(
            row,
            actual_col,
            actual,
            self.but(style, num_format=self.number_format(actual.indicator), align="right"),
        )
        self.input(row, state_col, state, style)

    def number_style(self, indicator: Indicator) -> Style:
        """Prefilled numbers of an indicator: right-aligned, with its unit format."""
        return self.but(
            self.styles.text,
            align="right",
            valign="center",
            num_format=self.number_format(indicator),
        )

    def prefilled(
        self,
        row: int,
        col: int,
        value: Value | None,
        number: Style,
        name: str,
        status: ActualStatus | None = None,
    ) -> None:
        """A locked, named prefilled value: a number in ``number``'s format (a 速報値
        shown as such: ``7,077（速報値）``), or its state as text."""
        shown = prefilled_cell(value)
        style = number if isinstance(shown, Decimal) else self.styles.text_center
        if isinstance(shown, Decimal) and status is ActualStatus.PRELIMINARY:
            style = self.but(style, num_format=status_format(style.num_format or "General", status))
        self.sheet.write(row, col, shown, style)
        self.prefilled_name(name, row, col)

    def _list_range(self, choices: tuple[str, ...]) -> str:
        """Long dropdown lists live on the hidden lists sheet (Excel's 255-char limit)."""
        assert self.lists_sheet is not None, "a sheet with dropdowns needs a lists sheet"
        if choices not in self._lists:
            col = len(self._lists)
            for r, choice in enumerate(choices):
                self.lists_sheet.write(r, col, choice)
            first = absolute(self.lists_sheet.name, 0, col)
            self._lists[choices] = f"={first}:${col_letter(col)}${len(choices)}"
        return self._lists[choices]

    # -- layout -----------------------------------------------------------------------

    def keep_with_next(self, row: int) -> None:
        """Rows from ``row`` (a heading) belong with the next block: a page never ends
        between a heading and its first card."""
        if self._pending is None:
            self._pending = row

    def block(self, first: int, last: int) -> None:
        """Rows that belong together on a page (a card, with any heading before it)."""
        if self._pending is not None:
            first, self._pending = min(first, self._pending), None
        self.blocks.append((first, last))

    def finish(self, repeat_rows: tuple[int, int] | None, header: str) -> PrintPlan:
        """Row heights (every row's, so both clients print the same pages), the print
        scale and column groups, page breaks that keep blocks whole, print settings."""
        if self._pending is not None:
            self.block(self._pending, self.last_row)
        one_line = row_height(1, self.size)
        for row in range(self.last_row + 1):
            self.sheet.row_height(row, self.heights.get(row, one_line))
        smallest = self.size if self.report else min(self.size, self.template.font.text_input_size)
        plan = (
            plan_columns(self.widths, self.page, smallest, self.repeat_columns, self.column_breaks)
            if self.fit_width
            else PrintPlan(100, [], None)
        )
        repeated = 0.0
        if repeat_rows:
            first, last = repeat_rows
            repeated = sum(self.heights.get(r, one_line) for r in range(first, last + 1))
        capacity = self.page.printable_height / plan.factor - repeated
        titles = set(range(repeat_rows[0], repeat_rows[1] + 1)) if repeat_rows else set()
        breaks = row_breaks(
            self.blocks,
            self.heights,
            one_line,
            capacity,
            self.last_row,
            self.forced,
            titles,
            self._merged_rows,
        )
        self.sheet.page_breaks(breaks)
        self.sheet.print_on(self.page, plan, repeat_rows=repeat_rows, header=header)
        return plan
