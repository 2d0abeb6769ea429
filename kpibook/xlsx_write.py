"""Writing .xlsx files.  The only module that imports xlsxwriter.

The rest of kpibook describes cells with plain values and :class:`Style` objects; this
module turns them into xlsxwriter calls with the settings every kpibook output needs:

* nothing typed by a person ever becomes a formula or a link (strings are always written
  as strings, whatever they start with);
* files are deterministic: document timestamps are pinned, so the same input gives the
  same bytes;
* files are written atomically (a temporary file beside the target, then a rename).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import xlsxwriter
import xlsxwriter.exceptions
import xlsxwriter.format
import xlsxwriter.packager
import xlsxwriter.sharedstrings
import xlsxwriter.utility
import xlsxwriter.worksheet

from kpibook.atomic import atomic_path
from kpibook.cells import a1, absolute, col_letter
from kpibook.printing import XLSX_PAPER, Page, PrintPlan

PINNED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)
"""Document timestamp when none is given, so that outputs are reproducible."""
DEFAULT_FONT = "Yu Gothic"
"""游ゴシック, the default Japanese font of current Excel; LibreOffice substitutes."""
NORMAL_FONT = {"font_name": "Verdana", "font_size": 8}
"""The workbook's Normal style, which no written cell uses but which sets the unit of
column widths in every client: a width unit is the Normal font's digit.  Excel draws
Verdana 8's digit as 7 pixels (5.25 pt, the unit xlsxwriter converts widths with);
LibreOffice draws Verdana, or DejaVu Sans where Verdana is missing, whose digit is the
same 0.636 em (5.09 pt).  With Excel's default Calibri, LibreOffice without Calibri's
metric twin would draw every column a third wider than Excel and print it smaller."""

HEADER_POINTS = 10
"""Size of the page header and footer."""

CellValue = str | int | float | Decimal | dt.date | bool | None


@dataclass(frozen=True)
class Style:
    """Cell appearance; equal styles share one format in the file."""

    bold: bool = False
    wrap: bool = False
    fill: str | None = None
    """Background colour, ``#RRGGBB``."""
    border: int = 0
    align: str | None = None
    valign: str | None = "top"
    num_format: str | None = None
    locked: bool = True
    font_size: int | None = None
    font_color: str | None = None
    text: bool = False
    """Text cell format (``@``): what people type stays text."""
    font_name: str | None = None
    open_top: bool = False
    """No top border: the cell continues the text of the cell above."""
    open_bottom: bool = False
    """No bottom border: the text continues in the cell below."""

    def but(self, **changes: Any) -> Style:
        """This style with some attributes changed."""
        return dataclasses.replace(self, **changes)

    def options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {"font_name": self.font_name or DEFAULT_FONT, "locked": self.locked}
        if self.bold:
            opts["bold"] = True
        if self.wrap:
            opts["text_wrap"] = True
        if self.fill:
            opts["bg_color"] = self.fill
            opts["pattern"] = 1
        if self.border:
            opts["border"] = self.border
            if self.open_top:
                opts["top"] = 0
            if self.open_bottom:
                opts["bottom"] = 0
        if self.align:
            opts["align"] = self.align
        if self.valign:
            # xlsxwriter spells vertical centring "vcenter"; "center" would be ignored.
            opts["valign"] = "vcenter" if self.valign == "center" else self.valign
        if self.num_format:
            opts["num_format"] = self.num_format
        elif self.text:
            opts["num_format"] = "@"
        if self.font_size:
            opts["font_size"] = self.font_size
        if self.font_color:
            opts["font_color"] = self.font_color
        return opts


PLAIN = Style()


@dataclass(frozen=True)
class ChartSeries:
    """One series of a chart: its name, the column of its values and its colour."""

    name: str
    column: int
    colour: str


@dataclass(frozen=True)
class TrendSeries:
    """One series of a trend chart: its values are cells of one row of this sheet."""

    name: str
    row: int
    first_col: int
    last_col: int
    colour: str
    kind: Literal["column", "line"] = "line"
    """``column`` (bars: a missing value is no bar) or ``line`` (with markers)."""
    dashed: bool = False
    marker: str | None = "diamond"
    """xlsxwriter's marker type of a line (``circle``, ``diamond``), None for none."""


def column_pixels(width: float) -> int:
    """A column's width in pixels as xlsxwriter anchors drawings (Excel's 7-pixel digit
    and 5 pixels of padding)."""
    if width < 1:
        return int(width * 12 + 0.5)
    return int(width * 7 + 0.5) + 5


def row_pixels(points: float) -> int:
    return int(4.0 / 3.0 * points)


_STRING = xlsxwriter.worksheet.CellStringTuple
_NUMBER = xlsxwriter.worksheet.CellNumberTuple
_BLANK = xlsxwriter.worksheet.CellBlankTuple
_FAST_CELLS = (_STRING, _NUMBER, _BLANK)
_new_tuple = tuple.__new__
_SHORT_TEXT = 16_383
"""Texts longer than half of Excel's 32,767 UTF-16 units go through xlsxwriter's check."""


def _like_rich_text(text: str) -> bool:
    """A text xlsxwriter would take for its own rich-text XML and write unescaped."""
    return text.startswith("<r>") and text.endswith("</r>")


class _Worksheet(xlsxwriter.worksheet.Worksheet):  # type: ignore[misc]
    """xlsxwriter's worksheet, with its rows held in memory serialised by one loop
    instead of xlsxwriter's several calls and attribute escapes per cell: exactly the
    same bytes (``tests/test_xlsx_rows.py`` compares them with xlsxwriter's own on real
    forms).  Cells of kinds other than a shared string, a number or a blank with a
    format go to xlsxwriter's own writer."""

    def _write_rows(self) -> None:
        if self.constant_memory:  # (a streamed sheet's rows are already written)
            super()._write_rows()
            return
        table, info, comments = self.table, self.row_info, self.comments
        first, last = self.dim_colmin, self.dim_colmax
        spans = self.row_spans = self._spans()
        letters = {col: xlsxwriter.utility.xl_col_to_name(col) for col in range(first, last + 1)}
        indexes: dict[int, int] = {}
        write = self.fh.write
        for row in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row)
            if not cells:
                if row in info or row in comments:
                    self._write_empty_row(row, spans.get(row // 16), info.get(row))
                continue
            self._write_row(row, spans.get(row // 16), info.get(row))
            number = str(row + 1)
            for col in sorted(cells):
                if col < first or col > last:
                    continue
                cell = cells[col]
                kind, fmt = cell.__class__, cell.format
                if fmt is None or kind not in _FAST_CELLS:
                    self._write_cell(row, col, cell)
                    continue
                xf = indexes.get(id(fmt))
                if xf is None:
                    xf = indexes[id(fmt)] = fmt._get_xf_index()
                if kind is _STRING:
                    write(f'<c r="{letters[col]}{number}" s="{xf}" t="s"><v>{cell.string}</v></c>')
                elif kind is _NUMBER:
                    write(f'<c r="{letters[col]}{number}" s="{xf}"><v>{cell.number:.16G}</v></c>')
                else:
                    write(f'<c r="{letters[col]}{number}" s="{xf}"/>')
            write("</row>")

    def _spans(self) -> dict[int, str]:
        """xlsxwriter's ``spans`` of each block of 16 rows (the first and last column with
        a cell or a comment), from the cells there are rather than every row and column
        of the sheet's extent."""
        rows, cols = (
            range(self.dim_rowmin, self.dim_rowmax + 1),
            range(self.dim_colmin, self.dim_colmax + 1),
        )
        blocks: dict[int, tuple[int, int]] = {}
        for held in (self.table, self.comments):
            for row, cells in held.items():
                used = [col for col in cells if col in cols]
                if row not in rows or not used:
                    continue
                low, high = min(used), max(used)
                block = blocks.get(row // 16)
                if block is not None:
                    low, high = min(low, block[0]), max(high, block[1])
                blocks[row // 16] = (low, high)
        return {block: f"{low + 1}:{high + 1}" for block, (low, high) in blocks.items()}


_SPECIAL_TEXT = re.compile(r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff&<>]|^\s|\s$")
"""What xlsxwriter escapes or marks in a shared string: its ``_xHHHH_`` escapes, control
characters, XML's reserved characters (and so its rich text), leading or trailing space."""


class _SharedStrings(xlsxwriter.sharedstrings.SharedStrings):  # type: ignore[misc]
    """xlsxwriter's shared strings, a text it would write unchanged written at once (most
    of a form's texts), any other by xlsxwriter: the same bytes."""

    def _write_sst_strings(self) -> None:
        write, special = self.fh.write, _SPECIAL_TEXT.search
        for string in self.string_table.string_array:
            if special(string):
                self._write_si(string)
            else:
                write(f"<si><t>{string}</t></si>")


class _Packager(xlsxwriter.packager.Packager):  # type: ignore[misc]
    def _write_shared_strings_file(self) -> None:
        # xlsxwriter's own, with the faster shared strings
        sst = _SharedStrings()
        sst.string_table = self.workbook.str_table
        if not self.workbook.str_table.count:
            return
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


class _Workbook(xlsxwriter.Workbook):  # type: ignore[misc]
    """xlsxwriter's workbook, with worksheets of :class:`_Worksheet` and the structure
    lock xlsxwriter has no API for."""

    worksheet_class = _Worksheet
    structure_lock: str | None = None
    """``<workbookProtection>``, written before ``<bookViews>`` as the schema orders it."""

    def _get_packager(self) -> _Packager:
        return _Packager()

    def _write_book_views(self) -> None:
        if self.structure_lock is not None:
            self.fh.write(self.structure_lock)
        super()._write_book_views()


@dataclass
class Sheet:
    """One worksheet being written."""

    _ws: xlsxwriter.worksheet.Worksheet
    _book: Book
    name: str
    _validations: dict[str, tuple[dict[str, Any], list[tuple[int, int]]]] = field(
        default_factory=dict
    )
    streamed: bool = False
    """Rows go to disk as soon as a later row is written (see :meth:`Book.sheet`)."""
    data_bars: bool = False
    _row: int = 0
    _forgotten: int = 0
    """A streamed sheet's rows before this one have had their heights let go."""

    def _excel_2010(self) -> None:
        """Data bars and sparklines mark every row: too late for rows already streamed."""
        if self.streamed and not self.data_bars:
            raise ValueError(f"{self.name}: a streamed sheet's data bars must be declared")

    def _at(self, row: int) -> None:
        """A streamed sheet's rows must come in order: xlsxwriter would drop a cell of a
        row already written without a word."""
        if self.streamed:
            if row < self._row:
                raise ValueError(
                    f"{self.name}: row {row + 1} written after row {self._row + 1} "
                    "on a streamed sheet"
                )
            self._row = row

    def write(self, row: int, col: int, value: CellValue, style: Style = PLAIN) -> None:
        """Write one cell (0-based row and column); strings are always literal text."""
        ws = self._ws
        if self.streamed:
            self._at(row)
        else:
            held = self._book._by_id.get(id(style))
            if (
                held is not None
                and held[0] is style
                and value.__class__ is str
                and len(value) <= _SHORT_TEXT
                and not _like_rich_text(value)
            ):
                # a form's most frequent cell, stored as xlsxwriter's _write_string stores
                # it, without its checks for the cases excluded above
                if not ws._check_dimensions(row, col):
                    index = ws.str_table._get_shared_string_index(value)
                    ws.table[row][col] = _new_tuple(_STRING, (index, held[1]))
                return
        fmt = self._book.format(style)
        # xlsxwriter's own methods behind its public ones (which first check whether the
        # cell was given in A1 notation): the same cells, a third fewer calls per cell.
        if value is None:
            ws._write_blank(row, col, None, fmt)
        elif isinstance(value, str) and not _like_rich_text(value):
            ws._write_string(row, col, value, fmt)
        elif isinstance(value, bool):
            ws._write_boolean(row, col, value, fmt)
        elif isinstance(value, int | float | Decimal):
            ws._write_number(row, col, float(value), fmt)
        elif isinstance(value, dt.date):
            date_style = style if style.num_format else _with_date_format(style)
            ws.write_datetime(
                row, col, dt.datetime.combine(value, dt.time()), self._book.format(date_style)
            )
        elif _like_rich_text(value):
            # a department's text of that shape broke the workbook; two runs in the
            # cell's own font are the same text, escaped
            ws.write_rich_string(row, col, fmt, value[:1], fmt, value[1:], fmt)

    def write_row(self, row: int, values: Sequence[CellValue], style: Style = PLAIN) -> None:
        for col, value in enumerate(values):
            self.write(row, col, value, style)

    def merge(
        self,
        first_row: int,
        first_col: int,
        last_row: int,
        last_col: int,
        value: CellValue,
        style: Style = PLAIN,
    ) -> None:
        """A merged display cell (labels, prefilled text); never used for inputs."""
        if first_row == last_row and first_col == last_col:
            self.write(first_row, first_col, value, style)
            return
        fmt = self._book.format(style)
        self._at(first_row)
        self._ws.merge_range(first_row, first_col, last_row, last_col, "", fmt)
        self._at(last_row)  # the value below goes to the first row: refused if streamed
        self.write(first_row, first_col, value, style)

    def formula(
        self, row: int, col: int, formula: str, value: float | Decimal | None, style: Style = PLAIN
    ) -> None:
        """A formula with the value it has now (None: ``#N/A``), so that a client that does
        not recalculate on opening shows the same as one that does."""
        cached: float | str = "#N/A" if value is None else float(value)
        self._at(row)
        self._ws.write_formula(row, col, formula, self._book.format(style), cached)

    def comment(self, row: int, col: int, text: str) -> None:
        """A cell comment (a note a reader sees on hovering), sized for Japanese text."""
        self._at(row)
        self._placed("comment")
        self._ws.write_comment(
            row, col, text, {"author": "kpibook", "x_scale": 2.5, "y_scale": 2.0}
        )

    def link(
        self, row: int, col: int, sheet: str, cell: str, text: str, style: Style = PLAIN
    ) -> None:
        """A link to a cell of this workbook (never to anything outside it)."""
        self._at(row)
        self._ws.write_url(
            row, col, f"internal:'{sheet}'!{cell}", self._book.format(style), string=text
        )

    def conditional(
        self,
        first_row: int,
        first_col: int,
        last_row: int,
        last_col: int,
        options: dict[str, Any],
        style: Style | None = None,
    ) -> None:
        """Conditional formatting (xlsxwriter's options; ``style`` becomes its format)."""
        if options.get("type") == "data_bar":
            self._excel_2010()
        if style is not None:
            options = {**options, "format": self._book.format(style)}
        if self._ws.conditional_format(first_row, first_col, last_row, last_col, options) != 0:
            raise ValueError(f"invalid conditional format on {self.name}: {options}")

    def validate(self, row: int, col: int, options: dict[str, Any], key: str | None = None) -> None:
        """Data validation on one cell (xlsxwriter's data_validation options).  Cells with
        the same options share one validation over all of them, written when the book
        closes: a national form's 180 inputs need about 60, not 180 copies of the same
        prompt to write and for ``kpibook check`` to parse."""
        key = key or validation_key(options)
        held = self._validations.get(key)
        if held is None:
            self._validations[key] = (options, [(row, col)])
        else:
            held[1].append((row, col))

    def _write_validations(self) -> None:
        for options, cells in self._validations.values():
            row, col = cells[0]
            if len(cells) > 1:
                options = {**options, "multi_range": " ".join(a1(r, c) for r, c in cells)}
            result = self._ws.data_validation(row, col, row, col, options)
            if result != 0:  # xlsxwriter warns and returns -1 instead of raising
                raise ValueError(f"invalid data validation at {self.name}!{row},{col}: {options}")
        self._validations.clear()

    def row_height(self, row: int, height: float) -> None:
        self._at(row)
        ws = self._ws
        ws.set_row(row, height)
        if self.streamed:
            # xlsxwriter keeps every row's height to the end, to place pictures by; a
            # streamed sheet has none (see _placed), and a row on disk is never read
            # again: a national 一覧 held 27 MiB of them.
            for written in range(self._forgotten, ws.previous_row):
                ws.row_info.pop(written, None)
                ws.row_sizes.pop(written, None)
            self._forgotten = max(self._forgotten, ws.previous_row)

    def _placed(self, what: str) -> None:
        """Comments and charts are placed by the heights of the rows above them, which a
        streamed sheet lets go of (:meth:`row_height`)."""
        if self.streamed:
            raise ValueError(f"{self.name}: a streamed sheet cannot hold a {what}")

    def page_breaks(self, rows: list[int]) -> None:
        """Manual page breaks before the given (0-based) rows."""
        self._ws.set_h_pagebreaks(rows)

    def protect(self, password: str | None) -> None:
        """Protect the sheet: locked cells cannot change, unlocked inputs can."""
        self._ws.protect(
            password or "",
            {
                "select_locked_cells": True,
                "select_unlocked_cells": True,
                "format_columns": True,
                "format_rows": True,
            },
        )

    def hide(self, very: bool = False) -> None:
        if very:
            self._ws.very_hidden()
        else:
            self._ws.hide()

    def column_width(
        self,
        first: int,
        last: int,
        width: float,
        style: Style | None = None,
        hidden: bool = False,
    ) -> None:
        self._ws.set_column(
            first,
            last,
            width,
            self._book.format(style) if style else None,
            {"hidden": True} if hidden else None,
        )

    def print_area(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        self._ws.print_area(first_row, first_col, last_row, last_col)

    def sparklines(self, col: int, rows: Sequence[tuple[int, int, int]]) -> None:
        """Line sparklines in column ``col``, one group: each (row, first column, last
        column) of this sheet's cells drawn in that row, with markers, blank cells left as
        gaps.  Excel draws them; LibreOffice 7.4 prints a line sparkline as scattered dots,
        so keep them out of the print."""
        if not rows:
            return
        self._excel_2010()
        first_row = rows[0][0]
        self._ws.add_sparkline(
            first_row,
            col,
            {
                "location": [f"{col_letter(col)}{r + 1}" for r, _, _ in rows],
                "range": [
                    f"{absolute(self.name, r, first)}:${col_letter(last)}${r + 1}"
                    for r, first, last in rows
                ],
                "markers": True,
                "weight": 1.5,
                "series_color": "#2E75B6",
            },
        )

    def freeze(self, row: int, col: int = 0) -> None:
        self._ws.freeze_panes(row, col)

    def autofilter(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        self._ws.autofilter(first_row, first_col, last_row, last_col)

    def print_setup(
        self,
        *,
        landscape: bool = False,
        fit_width: bool = True,
        repeat_rows: tuple[int, int] | None = None,
        header: str | None = None,
        footer: str | None = "&P / &N",
        margins: dict[str, float] | None = None,
    ) -> None:
        """A4, fit to the page width, optional repeated title rows and header/footer.

        Header and footer use Excel's codes (``&P`` page, ``&N`` pages); ``&`` in
        ``header`` text is escaped so a plan title cannot inject codes.
        """
        ws = self._ws
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        if fit_width:
            ws.fit_to_pages(1, 0)
        if repeat_rows is not None:
            ws.repeat_rows(*repeat_rows)
        ws.set_margins(**(margins or {"left": 0.5, "right": 0.5, "top": 0.75, "bottom": 0.75}))
        self._header_footer(header, footer)

    def print_on(
        self,
        page: Page,
        plan: PrintPlan,
        *,
        repeat_rows: tuple[int, int] | None = None,
        header: str | None = None,
        footer: str | None = "&P / &N",
    ) -> None:
        """Print on ``page`` at the plan's scale and column groups (pages run across the
        groups before down), with title rows and columns repeated."""
        ws = self._ws
        ws.set_paper(XLSX_PAPER[page.paper])
        if page.orientation == "landscape":
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_print_scale(plan.scale)
        ws.set_margins(**page.margins())
        if repeat_rows is not None:
            ws.repeat_rows(*repeat_rows)
        if plan.repeat_columns is not None:
            ws.repeat_columns(*plan.repeat_columns)
        if plan.column_breaks:
            ws.set_v_pagebreaks(plan.column_breaks)
            ws.print_across()
        self._header_footer(header, footer)

    def _header_footer(self, header: str | None, footer: str | None) -> None:
        # At a fixed size, not shrunk with the sheet's print scale; the colour code ends
        # the size's digits, so a title starting with a digit cannot change the size.
        options = {"scale_with_doc": False}
        size = f"&{HEADER_POINTS}&K000000"
        if header:
            self._ws.set_header(f"&C{size}" + header.replace("&", "&&"), options)
        if footer:
            self._ws.set_footer(f"&C{size}" + footer, options)

    def activate(self) -> None:
        self._ws.activate()

    def bar_chart(
        self,
        row: int,
        col: int,
        title: str,
        categories: tuple[int, int, int],
        series: Sequence[ChartSeries],
        size: tuple[int, int],
        font_size: int = 11,
    ) -> None:
        """A stacked horizontal bar chart of this sheet's cells at ``row``, ``col``:
        ``categories`` is (first row, last row, column), each series a column of the same
        rows; ``size`` in pixels. A native chart, drawn by every client."""
        self._placed("chart")
        wb = self._book._wb
        assert wb is not None
        chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
        first, last, cat_col = categories
        font = {"size": font_size, "name": DEFAULT_FONT}
        for s in series:
            chart.add_series(
                {
                    "name": s.name,
                    "categories": [self.name, first, cat_col, last, cat_col],
                    "values": [self.name, first, s.column, last, s.column],
                    "fill": {"color": s.colour},
                    "border": {"color": "#FFFFFF"},
                    "gap": 60,
                }
            )
        chart.set_title({"name": title, "name_font": {**font, "bold": True}})
        chart.set_y_axis({"reverse": True, "num_font": font})  # categories top to bottom
        chart.set_x_axis({"num_font": font, "major_gridlines": {"visible": True}})
        chart.set_legend({"position": "bottom", "font": font})
        chart.set_size({"width": size[0], "height": size[1]})
        self._ws.insert_chart(row, col, chart, {"object_position": 3})

    def trend_chart(
        self,
        at: tuple[int, int],
        offset: tuple[int, int],
        size: tuple[int, int],
        title: str,
        categories: tuple[int, int, int],
        series: Sequence[TrendSeries],
        font_size: int,
        number_format: str = "#,##0",
        from_zero: bool = True,
    ) -> None:
        """A chart of values over the years at cell ``at`` (+``offset`` pixels), ``size``
        pixels: the ``column`` series as bars, the ``line`` series as lines over them;
        ``categories`` is (row, first column, last column) of the year labels.

        A value that is not a number (a blank, or ``#N/A`` from a formula) is not drawn:
        no bar, and a line goes on to the next point.  (LibreOffice draws ``#N/A`` as 0
        when gaps are asked for, so lines span; Excel does the same with ``#N/A``.)  The
        data may sit in hidden columns; the chart moves and sizes with its cells.  Bars
        start ``from_zero`` (LibreOffice would start the axis near the smallest value)."""
        self._placed("chart")
        wb = self._book._wb
        assert wb is not None
        font = {"size": font_size, "name": DEFAULT_FONT}
        row, first, last = categories
        cats = [self.name, row, first, row, last]
        bars = [s for s in series if s.kind == "column"]
        lines = [s for s in series if s.kind != "column"]
        primary = wb.add_chart({"type": "column" if bars else "line"})
        secondary = wb.add_chart({"type": "line"}) if bars and lines else None
        for s in series:
            options: dict[str, Any] = {
                "name": s.name,
                "categories": cats,
                "values": [self.name, s.row, s.first_col, s.row, s.last_col],
            }
            if s.kind == "column":
                options["fill"] = {"color": s.colour}
                options["border"] = {"none": True}
                options["gap"] = 80
            else:
                options["line"] = {
                    "color": s.colour,
                    "width": 1.5 if s.dashed else 2.25,
                    **({"dash_type": "dash"} if s.dashed else {}),
                }
                options["marker"] = (
                    {
                        "type": s.marker,
                        "size": 7,
                        "fill": {"color": s.colour},
                        "border": {"color": s.colour},
                    }
                    if s.marker
                    else {"type": "none"}
                )
            chart = primary if s.kind == "column" or secondary is None else secondary
            chart.add_series(options)
        primary.set_title({"name": title, "name_font": {**font, "bold": True}})
        primary.set_x_axis({"num_font": font})
        primary.set_y_axis(
            {
                "num_font": font,
                "num_format": number_format,
                **({"min": 0} if from_zero else {}),
                "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
            }
        )
        primary.set_legend({"position": "bottom", "font": font})
        primary.show_blanks_as("span")
        primary.show_hidden_data()
        primary.show_na_as_empty_cell()
        if secondary is not None:
            primary.combine(secondary)
        primary.set_size({"width": size[0], "height": size[1]})
        self._ws.insert_chart(
            at[0],
            at[1],
            primary,
            {"x_offset": offset[0], "y_offset": offset[1], "object_position": 1},
        )


def validation_key(options: dict[str, Any]) -> str:
    """What tells data validation options apart (:meth:`Sheet.validate`): equal options,
    equal text; far cheaper than their JSON."""
    return repr(sorted(options.items()))


def _with_date_format(style: Style) -> Style:
    return style.but(num_format="yyyy-mm-dd")


def _discard_half_written_zip(failure: BaseException) -> None:
    """After a failed save (a full disk), close xlsxwriter's zip file quietly: left open,
    Python would try to finish it when collecting it, fail again and print "Exception
    ignored in ZipFile.__del__" above kpibook's own message.  The temporary file it was
    writing is removed by the atomic write."""
    seen: BaseException | None = failure
    while seen is not None:
        tb = seen.__traceback__
        while tb is not None:
            for value in list(tb.tb_frame.f_locals.values()):
                if isinstance(value, zipfile.ZipFile) and value.fp is not None:
                    with contextlib.suppress(Exception):
                        value.fp.close()
                    value.fp = None
            tb = tb.tb_next
        seen = seen.__cause__ or seen.__context__


def _structure_lock(password: str) -> str:
    """``<workbookProtection lockStructure="1"/>``, with the legacy hash of ``password``
    that Excel and LibreOffice check (ECMA-376 Part 4, 14.7.1) if there is one."""
    digest = ""
    if password:
        value = 0
        for char in password[::-1]:
            value = ((value >> 14) & 0x01) | ((value << 1) & 0x7FFF)
            value ^= ord(char)
        value = ((value >> 14) & 0x01) | ((value << 1) & 0x7FFF)
        value ^= len(password) ^ 0xCE4B
        digest = f' workbookPassword="{value:X}"'
    return f'<workbookProtection{digest} lockStructure="1"/>'


WORKBOOK_PART = "xl/workbook.xml"


def rewrite_part(source: Path, target: Path, part: str, change: Callable[[bytes], bytes]) -> None:
    """``source`` written to ``target`` (which may be the same file) with one part
    changed; every other part copied as it was, with its timestamp and compression, so
    the bytes stay deterministic."""
    with zipfile.ZipFile(source) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(target, "w") as out:
        for info, data in parts:
            if info.filename == part:
                data = change(data)
            out.writestr(info, data, compress_type=info.compress_type)


class Book:
    """A workbook being written; use as a context manager, it is saved on success."""

    def __init__(
        self,
        path: Path,
        created: dt.datetime | None = None,
        title: str | None = None,
        in_memory: bool = False,
    ) -> None:
        """``in_memory``: parts are assembled in memory rather than in temporary files
        (a form: a dozen files made and removed per workbook otherwise); not for a book
        too large to hold twice."""
        self.path = Path(path)
        self._in_memory = in_memory
        self._title = title
        self._structure: str | None = None
        self._created = created or PINNED_TIME
        self._atomic = atomic_path(self.path)
        self._tmp: Path | None = None
        self._wb: _Workbook | None = None
        self._formats: dict[Style, xlsxwriter.format.Format] = {}
        self._by_id: dict[int, tuple[Style, xlsxwriter.format.Format]] = {}
        self._sheets: list[Sheet] = []
        self._row_files: list[Path] = []

    def __enter__(self) -> Book:
        self._tmp = self._atomic.__enter__()
        self._wb = _Workbook(
            str(self._tmp),
            {
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": False,
                "in_memory": self._in_memory,
                # a copy: xlsxwriter adds theme_font_name to the dict it is given, and the
                # next workbook would then follow the theme font (Calibri in Excel)
                "default_format_properties": dict(NORMAL_FONT),
            },
        )
        properties: dict[str, Any] = {"created": self._created}
        if self._title:
            properties["title"] = self._title  # a PDF printed from it carries it too
        self._wb.set_properties(properties)
        # A workbook is millions of small objects that live until it is closed, none in a
        # cycle that matters: with the collector on, each full collection would walk them
        # all again (and a national plan beside them); it is paused while the book is open.
        self._collecting = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        try:
            self._close(exc)
        finally:
            # The written workbook's objects are let go before the collector resumes: held
            # any longer (a caller keeps its Sheets), the first collection would walk them
            # all, and every full collection after it too.
            for sheet in self._sheets:
                if sheet.streamed and sheet._ws is not None:  # its rows' file, if still open
                    fh = getattr(sheet._ws, "row_data_fh", None)
                    if fh is not None:
                        fh.close()
                sheet._ws = None
                sheet._validations.clear()
            for leftover in self._row_files:  # a streamed sheet's rows, on a failure
                leftover.unlink(missing_ok=True)
            self._row_files.clear()
            self._sheets.clear()
            self._formats.clear()
            self._by_id.clear()
            self._wb = None
            if self._collecting:
                gc.enable()

    def _close(self, exc: BaseException | None) -> None:
        assert self._wb is not None
        if exc is not None:
            # Close what was started so no handle leaks; the temporary file is discarded
            # and the original error is the one that propagates.
            with contextlib.suppress(Exception):
                self._wb.close()
            self._atomic.__exit__(type(exc), exc, None)
            return
        try:
            for sheet in self._sheets:
                sheet._write_validations()
        except Exception as invalid:  # a bug in the options: as if raised where written
            with contextlib.suppress(Exception):
                self._wb.close()
            self._atomic.__exit__(type(invalid), invalid, None)
            raise
        try:
            if self._structure is not None:
                self._wb.structure_lock = _structure_lock(self._structure)
            self._wb.close()
        except Exception as failure:
            _discard_half_written_zip(failure)
            cause: BaseException = failure
            # xlsxwriter reports I/O failures (a full disk) as FileCreateError(OSError).
            if (
                isinstance(failure, xlsxwriter.exceptions.FileCreateError)
                and failure.args
                and isinstance(failure.args[0], OSError)
            ):
                cause = failure.args[0]
            self._atomic.__exit__(type(cause), cause, None)  # raises OutputError for OSError
            raise
        self._atomic.__exit__(None, None, None)

    def protect_structure(self, password: str | None) -> None:
        """Lock the workbook's structure: sheets cannot be renamed, deleted, moved,
        inserted or unhidden in Excel or LibreOffice (``password`` optional)."""
        self._structure = password or ""

    def define_name(self, name: str, sheet: str, row: int, col: int) -> None:
        """A workbook-level name for one cell, e.g. ``kpi.p01.activity_report``."""
        ref = "=" + absolute(sheet, row, col)
        assert self._wb is not None
        if self._wb.define_name(name, ref) == -1:
            raise ValueError(f"invalid defined name {name!r}")

    def define_cells(self, name: str, sheet: str, cells: list[tuple[int, int]]) -> None:
        """A workbook-level name for several cells of one sheet, in the order given
        (``'Sheet'!$F$8,'Sheet'!$G$8``): Excel and LibreOffice keep the order and move
        the references with inserted rows as they do for one cell."""
        ref = "=" + ",".join(absolute(sheet, row, col) for row, col in cells)
        assert self._wb is not None
        if self._wb.define_name(name, ref) == -1:
            raise ValueError(f"invalid defined name {name!r}")

    def define_range(
        self, name: str, sheet: str, rows: tuple[int, int], cols: tuple[int, int]
    ) -> None:
        first = absolute(sheet, rows[0], cols[0])
        ref = f"={first}:${col_letter(cols[1])}${rows[1] + 1}"
        assert self._wb is not None
        if self._wb.define_name(name, ref) == -1:
            raise ValueError(f"invalid defined name {name!r}")

    def sheet(self, name: str, streamed: bool = False, data_bars: bool = False) -> Sheet:
        """A new worksheet.  ``streamed``: its rows are written to a temporary file as
        soon as a later row is begun (xlsxwriter's constant-memory mode, for this sheet
        only), so a table of a hundred thousand rows does not stay in memory until the
        book closes; its rows must then be written in order (a write to an earlier row
        raises), and its texts are stored in their cells rather than in the workbook's
        shared strings -- every client reads them the same.  ``data_bars``: the sheet will
        have data bars or sparklines (Excel 2010 features, whose sheets mark every row
        with an attribute of that version): a streamed sheet says so before its rows."""
        assert self._wb is not None, "use Book as a context manager"
        ws = self._wb.add_worksheet(name)
        if streamed and not self._in_memory:
            self._stream(ws)
        if data_bars:
            ws.excel_version = 2010
        sheet = Sheet(ws, self, name, streamed=streamed, data_bars=data_bars)
        self._sheets.append(sheet)
        return sheet

    def _stream(self, ws: xlsxwriter.worksheet.Worksheet) -> None:
        """What xlsxwriter does for every sheet of a ``constant_memory`` workbook, for one:
        its rows go to a temporary file, which the packager copies into the sheet's XML
        (and removes) when the book closes.  The other sheets keep writing out of order
        (the 報告書 lays out its cards that way)."""
        fd, name = tempfile.mkstemp(prefix="kpibook-rows-", dir=self._wb_tmpdir())
        os.close(fd)
        self._row_files.append(Path(name))
        ws.constant_memory = True
        ws.row_data_filename = name
        ws.row_data_fh = open(name, mode="w+", encoding="utf-8")  # noqa: SIM115 - the packager closes it
        ws.row_data_fh_closed = False
        ws.fh = ws.row_data_fh

    def _wb_tmpdir(self) -> str | None:
        assert self._wb is not None
        tmpdir: str | None = self._wb.tmpdir
        return tmpdir

    def format(self, style: Style) -> xlsxwriter.format.Format:
        held = self._by_id.get(id(style))  # a style object seen before: no hashing
        if held is not None and held[0] is style:
            return held[1]
        assert self._wb is not None
        fmt = self._formats.get(style)
        if fmt is None:
            fmt = self._wb.add_format(style.options())
            self._formats[style] = fmt
        if len(self._by_id) > 4096:  # styles made afresh for each cell: do not hold them all
            self._by_id.clear()
        self._by_id[id(style)] = (style, fmt)  # holding the style keeps its id unique
        return fmt
