"""kpibook serialises a sheet's held rows and the shared strings itself
(``xlsx_write._Worksheet``, ``_SharedStrings``), faster than xlsxwriter's per-cell and
per-string writers, and stores a sheet's texts in xlsxwriter's table itself
(``Sheet.write``); the files must be exactly the ones xlsxwriter writes.

Each workbook is written twice, once as kpibook writes it and once with xlsxwriter's own
writers put back, and the two compared byte for byte: forms of both layouts, filled
returns, an annotated copy (comments, an エラー一覧 sheet, a department's text that looks
like xlsxwriter's rich-text XML) and the master (formulas, links, dates, streamed sheets).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter.sharedstrings
import xlsxwriter.worksheet

from kpibook import xlsx_write
from kpibook.contract.content import departments_with_forms, form_content
from kpibook.contract.inputs import form_inputs
from kpibook.entries import Entries
from kpibook.forms import write_form
from kpibook.forms.fill import write_filled_forms
from kpibook.master import write_master
from kpibook.merge import merge
from kpibook.plan import Plan
from kpibook.template import plan_template
from kpibook.xlsx_write import Book, CellValue, _SharedStrings, _Worksheet

CLOCK = re.compile(rb"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
"""When the master was merged: the one thing two runs may write differently."""


def _stock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Worksheet, "_write_rows", xlsxwriter.worksheet.Worksheet._write_rows)
    stock_strings = xlsxwriter.sharedstrings.SharedStrings._write_sst_strings
    monkeypatch.setattr(_SharedStrings, "_write_sst_strings", stock_strings)
    monkeypatch.setattr(xlsx_write, "_SHORT_TEXT", -1)  # every text through _write_string


def _both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: Callable[[Path], list[Path]]
) -> list[tuple[Path, Path]]:
    ours = write(tmp_path / "ours")
    with monkeypatch.context() as m:
        _stock(m)
        stock = write(tmp_path / "stock")
    assert [p.name for p in ours] == [p.name for p in stock]
    assert ours
    return list(zip(ours, stock, strict=True))


def _annotated(plan: Plan, folder: Path) -> Path:
    """A form with values, marked inputs (comments) and an エラー一覧 sheet."""
    template = plan_template(plan)
    department = departments_with_forms(plan)[0]
    content = form_content(plan, department)
    names = [i.name for i in form_inputs(content, template)]
    values: dict[str, CellValue] = {n: "<r>見た目はXML</r>" for n in names[::3]}
    values.update({n: 12.5 for n in names[1::3]})
    marks = {n: "エラー: 数値を入力してください" for n in names[::4]}
    path = folder / "annotated.xlsx"
    folder.mkdir(parents=True, exist_ok=True)
    write_form(plan, content, path, template, values=values, marks=marks, findings=[])
    return path


@pytest.mark.parametrize("which", ["card", "matrix"])
def test_forms_are_the_bytes_xlsxwriter_writes(
    which: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan: Plan = request.getfixturevalue(f"{which}_plan")
    entries: Entries = request.getfixturevalue(f"{which}_entries")

    def write(folder: Path) -> list[Path]:
        filled = [f.path for f in write_filled_forms(plan, entries, folder / "returns")]
        return [*sorted(filled), _annotated(plan, folder)]

    for ours, stock in _both(tmp_path, monkeypatch, write):
        assert ours.read_bytes() == stock.read_bytes(), ours.name


@pytest.mark.parametrize("which", ["card", "matrix"])
def test_the_master_is_the_bytes_xlsxwriter_writes(
    which: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan: Plan = request.getfixturevalue(f"{which}_plan")
    entries: Entries = request.getfixturevalue(f"{which}_entries")
    returns = [f.path for f in write_filled_forms(plan, entries, tmp_path / "returns")]
    report, merged = merge(plan, returns)

    def write(folder: Path) -> list[Path]:
        folder.mkdir()
        write_master(plan, report, merged, folder / "master.xlsx", printable=True)
        return [folder / "master.xlsx"]

    for ours, stock in _both(tmp_path, monkeypatch, write):
        with zipfile.ZipFile(ours) as a, zipfile.ZipFile(stock) as b:
            assert a.namelist() == b.namelist()
            for name in a.namelist():
                assert CLOCK.sub(b"", a.read(name)) == CLOCK.sub(b"", b.read(name)), name


def test_every_kind_of_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cells the fast writer leaves to xlsxwriter (booleans, dates, formulas, links, rich
    text, cells without a format) among those it writes, rows with only a height, and
    texts xlsxwriter escapes or marks (spaces at either end, control characters, its own
    escapes, XML's reserved characters) among those it writes unchanged."""

    def write(folder: Path) -> list[Path]:
        folder.mkdir()
        path = folder / "kinds.xlsx"
        with Book(path) as book:
            sheet = book.sheet("表")
            sheet.write(0, 0, "text & <more>")
            sheet.write(0, 2, 1.5)
            sheet.write(0, 3, True)
            sheet.write(0, 4, dt.date(2024, 3, 31))
            sheet.write(1, 1, None)
            sheet.write(1, 0, "<r>rich</r>")
            sheet.formula(2, 0, "=C1*2", 3.0)
            sheet.link(2, 1, "表", "A1", "先頭へ")
            sheet.row_height(5, 30)
            sheet.write(40, 30, 1e300)
            sheet.comment(20, 2, "注記")
            sheet._ws.write_number(3, 3, 7)  # no format at all
            texts = [" lead", "trail ", "全角\u3000", "\u3000", "_x0041_", "x\x01y", "a&b", "\n"]
            texts += ["<r>x</r>", '"quoted"', "two\nlines", "\ufffe", "", "plain 平文"]
            for n, text in enumerate(texts):
                sheet.write(50 + n, 0, text)
        return [path]

    for ours, stock in _both(tmp_path, monkeypatch, write):
        assert ours.read_bytes() == stock.read_bytes()
