"""Writing a form sheet: styles by role, input cells, row heights and page breaks.

Every input goes through :meth:`FormSheet.input`, which unlocks the cell, fills it with
the one input colour, gives it its defined name and its data validation, and records it
for the instructions sheet, so no input can miss any of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from kpibook.cells import a1, absolute, col_letter
from kpibook.contract.inputs import FormInput
from kpibook.contract.specs import InputSpec, prefilled_cell
from kpibook.forms.formats import list_fits_inline, number_format
from kpibook.plan import Indicator
from kpibook.template import FormTemplate
from kpibook.textfit import lines_needed, row_height
from kpibook.values import Value
from kpibook.xlsx_write import Book, CellValue, Sheet, Style

POINTS_PER_INCH = 72
A4_INCHES = (8.27, 11.69)
HEADER_FOOTER_ALLOWANCE = 0.3
MARK_FILL = "#FFC7CE"
MARK_FONT = "#9C0006"
"""Excel's own "bad" colours: a flagged cell in an annotated copy."""
"""Inches of each page taken by the header and footer lines."""


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
    def of(cls, t: FormTemplate) -> Styles:
        c = t.colours
        size = t.font.size
        base = Style(border=1, wrap=True, font_size=size, font_name=t.font.name)
        return cls(
            label=base.but(fill=c.label, bold=True, valign="center"),
            heading=base.but(fill=c.heading, bold=True, border=0, valign="center"),
            title=base.but(bold=True, border=0, font_size=size + 4, wrap=False),
            text=base,
            text_center=base.but(align="center", valign="center"),
            hint=base.but(font_color="#595959", font_size=max(size - 1, 6)),
            input_text=base.but(fill=c.input, locked=False, text=True),
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
    """Every defined name written, with its A1 cell."""
    report: bool = False
    """The consolidated report: inputs are printed as their values, nothing is named."""
    labels: dict[str, str] = field(default_factory=dict)
    """Every locked text written (labels, headings, prefilled texts), by A1 cell: recorded
    beside the stamp so that ``kpibook check`` can report a changed label by its cell."""
    _lists: dict[tuple[str, ...], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.styles = Styles.of(self.template)
        for col, width in enumerate(self.widths):
            self.sheet.column_width(col, col, width)

    # -- cells ------------------------------------------------------------------------

    def write(self, row: int, col: int, value: CellValue, style: Style) -> None:
        self.sheet.write(row, col, value, style)
        if isinstance(value, str) and value and style.locked:
            self.labels[a1(row, col)] = value

    def span(
        self, row: int, first: int, last: int, value: CellValue, style: Style, rows: int = 1
    ) -> None:
        """A display cell over columns ``first..last`` (and ``rows`` rows), fitted to text."""
        self.sheet.merge(row, first, row + rows - 1, last, value, style)
        if isinstance(value, str) and value and style.locked:
            self.labels[a1(row, first)] = value
        if isinstance(value, str) and rows == 1:
            self.fit(row, value, sum(self.widths[first : last + 1]))

    def fit(self, row: int, text: str, width: float, min_lines: int = 1) -> None:
        """Make ``row`` tall enough for ``text`` wrapped in ``width`` units."""
        lines = max(lines_needed(text, width), min_lines)
        height = row_height(lines, self.template.font.size)
        self.heights[row] = max(self.heights.get(row, 0), height)

    def input(self, row: int, col: int, inp: FormInput, style: Style) -> None:
        """An unlocked, named, validated input cell (always a single cell)."""
        name, spec = inp.name, inp.spec
        if self.report:
            value = self.values.get(name)
            shown = style.but(locked=True, fill=None, font_color=None)
            self.sheet.write(row, col, value, shown)
            if isinstance(value, str):
                self.fit(row, value, self.widths[col])
            return
        if name in self.marks:
            style = style.but(fill=MARK_FILL, font_color=MARK_FONT)
            self.sheet.comment(row, col, self.marks[name])
        self.sheet.write(row, col, self.values.get(name), style)
        self.name(name, row, col)
        options = spec.options()
        if options["validate"] == "list" and not list_fits_inline(options["source"]):
            options["source"] = self._list_range(tuple(options["source"]))
        self.sheet.validate(row, col, options)
        self.inputs.append(InputRecord(name, a1(row, col), inp.project, spec))

    def name(self, name: str, row: int, col: int) -> None:
        """A defined name for one cell of this sheet (none in the report)."""
        if self.report:
            return
        self.book.define_name(name, self.sheet.name, row, col)
        self.cells[name] = a1(row, col)

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
            style.but(num_format=number_format(actual.indicator), align="right"),
        )
        self.input(row, state_col, state, style)

    def number_style(self, indicator: Indicator) -> Style:
        """Prefilled numbers of an indicator: right-aligned, with its unit format."""
        return self.styles.text.but(
            align="right", valign="center", num_format=number_format(indicator)
        )

    def prefilled(self, row: int, col: int, value: Value | None, number: Style, name: str) -> None:
        """A locked, named prefilled value: a number in ``number``'s format, or its state
        as text."""
        shown = prefilled_cell(value)
        style = number if isinstance(shown, Decimal) else self.styles.text_center
        self.sheet.write(row, col, shown, style)
        self.name(name, row, col)

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

    def block(self, first: int, last: int) -> None:
        """Rows that belong together on a page (a card, a heading with its first card)."""
        self.blocks.append((first, last))

    def finish(self, repeat_rows: tuple[int, int] | None, header: str) -> None:
        """Row heights, page breaks that keep blocks whole, print settings, protection."""
        for row, height in sorted(self.heights.items()):
            self.sheet.row_height(row, height)
        self.sheet.page_breaks(self._breaks(repeat_rows))
        p = self.template.print
        self.sheet.print_setup(
            landscape=p.orientation == "landscape",
            fit_width=p.fit_width,
            repeat_rows=repeat_rows,
            header=header,
            margins=p.margins.model_dump(),
        )

    def _height(self, row: int) -> float:
        return self.heights.get(row, row_height(1, self.template.font.size))

    def _page_height(self, repeat_rows: tuple[int, int] | None) -> float:
        p = self.template.print
        paper_w, paper_h = A4_INCHES if p.orientation == "portrait" else A4_INCHES[::-1]
        m = p.margins
        printable_w = (paper_w - m.left - m.right) * POINTS_PER_INCH
        printable_h = (paper_h - m.top - m.bottom - HEADER_FOOTER_ALLOWANCE) * POINTS_PER_INCH
        sheet_w = sum((w * 7 + 5) * 0.75 for w in self.widths)  # Excel units → points
        scale = min(1.0, printable_w / sheet_w) if p.fit_width else 1.0
        repeated = 0.0
        if repeat_rows:
            repeated = sum(self._height(r) for r in range(repeat_rows[0], repeat_rows[1] + 1))
        return printable_h / scale - repeated

    def _breaks(self, repeat_rows: tuple[int, int] | None) -> list[int]:
        page = self._page_height(repeat_rows)
        breaks: list[int] = []
        used = 0.0
        for first, last in self.blocks:
            height = sum(self._height(r) for r in range(first, last + 1))
            if (first in self.forced and first > 0) or (used > 0 and used + height > page):
                breaks.append(first)
                used = 0.0
            used = (used + height) % page if height > page else used + height
        return breaks
