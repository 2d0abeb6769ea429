"""A return is read as Excel and LibreOffice show it, not as a lenient parser finds it.

Each fixture is a good return with one part rewritten by XML surgery, as a hostile hand
or an odd tool would leave it.  Where openpyxl (the reference reader of conftest.py) reads
such a file otherwise than LibreOffice, LibreOffice -- the client departments actually
use -- is the reference: ``test_libreoffice_shows_what_kpibook_reads`` converts every
fixture here with it and compares.
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from kpibook.cells import a1
from kpibook.entries import Entries
from kpibook.forms import GeneratedForm
from kpibook.forms.fill import write_filled_forms
from kpibook.plan import Plan
from kpibook.returns.check import ReturnResult
from kpibook.xlsx_scan import read_form_book
from tests.test_hostile import repack
from tests.test_hostile_content import check, input_cell, sheet_part, with_cell
from tests.test_libreoffice import convert, needs_libreoffice

MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X12AC = "http://schemas.microsoft.com/office/spreadsheetml/2011/1/ac"


@pytest.fixture(scope="module")
def good(
    tmp_path_factory: pytest.TempPathFactory, card_plan: Plan, card_entries: Entries
) -> GeneratedForm:
    forms = write_filled_forms(card_plan, card_entries, tmp_path_factory.mktemp("good"))
    return next(f for f in forms if f.department == "中央公民館")


@pytest.fixture(scope="module")
def good_result(card_plan: Plan, good: GeneratedForm) -> ReturnResult:
    result = check(card_plan, good.path)
    assert [(f.code, f.cell) for f in result.findings] == [("jump", "E17")]
    return result


def added(result: ReturnResult, good_result: ReturnResult) -> list[tuple[str, str | None]]:
    """The findings the spoiling added to those of the good return."""
    before = {(f.code, f.cell) for f in good_result.findings}
    return [(f.code, f.cell) for f in result.findings if (f.code, f.cell) not in before]


Spoil = Callable[[GeneratedForm, Path], Path]


def in_part(part_of: Callable[[GeneratedForm], str], edit: Callable[[str], str]) -> Spoil:
    """A spoiler rewriting one part's text."""

    def spoil(good: GeneratedForm, target: Path) -> Path:
        part = part_of(good)

        def change(name: str, data: bytes) -> bytes:
            if name != part:
                return data
            text = data.decode()
            new = edit(text)
            assert new != text, part
            return new.encode()

        return repack(good.path, target, change)

    return spoil


def actual_sheet(good: GeneratedForm) -> str:
    return input_cell(good, ".actual")[1]


def actual_row(good: GeneratedForm) -> tuple[str, int, int]:
    """(A1 reference, row number, value) of the actual's cell."""
    name, _, ref = input_cell(good, ".actual")
    cell = read_form_book(good.path).names[name]
    assert cell is not None
    assert isinstance(cell.value, int)
    return ref, cell.row + 1, cell.value


def hidden_row(place: str) -> Spoil:
    """A row setting the actual to another number, placed where ``place`` says."""

    def spoil(good: GeneratedForm, target: Path) -> Path:
        ref, row, value = actual_row(good)
        hidden = f'<row r="{row}"><c r="{ref}"><v>{value + 82}</v></c></row>'
        choice = f'<mc:AlternateContent xmlns:mc="{MC}"><mc:Choice Requires="x12ac">{{}}'
        choice += "</mc:Choice></mc:AlternateContent>"

        def edit(text: str) -> str:
            if place == "extLst":
                ext = f'<extLst><ext uri="{{kpibook}}">{hidden}</ext></extLst>'
                return text.replace("</worksheet>", ext + "</worksheet>")
            if place == "inside-a-cell":
                cell = re.search(rf'<c r="{ref}"[^>]*>.*?(?=</c>)', text)
                assert cell
                return text.replace(cell[0], cell[0] + hidden, 1)
            if place == "AlternateContent-in-sheetData":
                return text.replace("</sheetData>", choice.format(hidden) + "</sheetData>")
            if place == "AlternateContent-around-sheetData":
                wrapped = choice.format(f"<sheetData>{hidden}</sheetData>")
                return text.replace("<worksheet ", f'<worksheet xmlns:x12ac="{X12AC}" ', 1).replace(
                    "</sheetData>", "</sheetData>" + wrapped, 1
                )
            assert place == "second-sheetData"
            return text.replace("</sheetData>", f"</sheetData><sheetData>{hidden}</sheetData>")

        return in_part(actual_sheet, edit)(good, target)

    return spoil


def empty_cell_after(good: GeneratedForm, target: Path) -> Path:
    """The actual's cell written again, empty, after it: LibreOffice keeps the value."""
    ref, _, _ = actual_row(good)

    def edit(text: str) -> str:
        cell = re.search(rf'<c r="{ref}"[^>]*>.*?</c>', text)
        assert cell
        return text.replace(cell[0], cell[0] + f'<c r="{ref}" s="0"/>', 1)

    return in_part(actual_sheet, edit)(good, target)


def merge_in_extlst(good: GeneratedForm, target: Path) -> Path:
    ref, row, _ = actual_row(good)
    col = re.match(r"[A-Z]+", ref)
    assert col
    left = chr(ord(col[0]) - 1)
    ext = (
        f'<extLst><ext uri="{{kpibook}}"><mergeCells count="1">'
        f'<mergeCell ref="{left}{row}:{ref}"/></mergeCells></ext></extLst>'
    )
    return in_part(actual_sheet, lambda t: t.replace("</worksheet>", ext + "</worksheet>"))(
        good, target
    )


def first_prefilled_cell(good: GeneratedForm) -> str:
    """A1 of the first cell of the first indicator's group of prefilled values (form
    version 3 names prefilled cells by group): its first target."""
    book = read_form_book(good.path)
    group = min(n for n in book.unions if n.count(".") == 3)
    cell = book.unions[group][0]
    return a1(cell.row, cell.col)


def name_in_extlst(good: GeneratedForm, target: Path) -> Path:
    """A second definition of the actual's name, pointing at the target beside it."""
    name, _, _ = input_cell(good, ".actual")
    target_ref = first_prefilled_cell(good)
    ext = (
        f'<extLst><ext uri="{{kpibook}}"><definedNames><definedName name="{name}">'
        f"'記入様式'!${target_ref[0]}${target_ref[1:]}</definedName></definedNames></ext></extLst>"
    )
    return in_part(
        lambda g: "xl/workbook.xml", lambda t: t.replace("</workbook>", ext + "</workbook>")
    )(good, target)


def strings_in_extlst(good: GeneratedForm, target: Path) -> Path:
    """Shared strings inside an extension, before the real ones: every index would shift."""
    ext = '<extLst><ext uri="{kpibook}"><si><t>偽の文字列</t></si></ext></extLst>'
    return in_part(
        lambda g: "xl/sharedStrings.xml",
        lambda t: re.sub(r"(<sst [^>]*>)", r"\1" + ext, t, count=1),
    )(good, target)


def date_format_in_dxfs(good: GeneratedForm, target: Path) -> Path:
    """A conditional format's number format reusing the id of the actual's format: it
    formats nothing until a rule applies, so the cell still shows a number."""
    with zipfile.ZipFile(good.path) as z:
        styles = z.read("xl/styles.xml").decode()
    fmt = re.search(r'<numFmt numFmtId="(\d+)" formatCode="[^"]*人[^"]*"/>', styles)
    assert fmt, "the actual's unit format"
    dxfs = (
        f'<dxfs count="1"><dxf><numFmt numFmtId="{fmt[1]}" formatCode="yyyy-mm-dd"/></dxf></dxfs>'
    )
    return in_part(
        lambda g: "xl/styles.xml", lambda t: re.sub(r'<dxfs count="0"/>', dxfs, t, count=1)
    )(good, target)


READ_AS_SHOWN: dict[str, Spoil] = {
    "row-in-extLst": hidden_row("extLst"),
    "row-inside-a-cell": hidden_row("inside-a-cell"),
    "mergeCell-in-extLst": merge_in_extlst,
    "definedName-in-extLst": name_in_extlst,
    "sharedStrings-in-extLst": strings_in_extlst,
    "numFmt-in-dxfs": date_format_in_dxfs,
    "empty-cell-after": empty_cell_after,
}
"""Content where neither Excel nor LibreOffice looks: the return reads as the good one."""

OPENPYXL_DIFFERS = {
    "row-in-extLst",
    "mergeCell-in-extLst",
    "sharedStrings-in-extLst",
    "empty-cell-after",
}
"""Of those, the ones openpyxl reads otherwise: it dispatches on a tag wherever it is
found, and an empty cell clears the value of the same cell written before it."""

CLIENTS_DIFFER: dict[str, Spoil] = {
    "AlternateContent-in-sheetData": hidden_row("AlternateContent-in-sheetData"),
    "AlternateContent-around-sheetData": hidden_row("AlternateContent-around-sheetData"),
    "second-sheetData": hidden_row("second-sheetData"),
}
"""Cells that one client shows and another may not (LibreOffice 7.4 takes a
markup-compatibility Choice it knows, and reads a second sheetData): refused."""


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=[pytest.mark.openpyxl_differs] if c in OPENPYXL_DIFFERS else [])
        for c in READ_AS_SHOWN
    ],
)
def test_content_where_no_client_looks_is_not_read(
    case: str, tmp_path: Path, card_plan: Plan, good: GeneratedForm, good_result: ReturnResult
) -> None:
    """A row inside ``<extLst>`` setting the actual to 2500 was merged, while Excel and
    LibreOffice show 2418: only ``worksheet/sheetData/row/c`` holds cells, only
    ``workbook/definedNames`` names, only ``sst/si`` strings, only ``styleSheet/numFmts``
    the cells' number formats, only ``worksheet/mergeCells`` merges."""
    result = check(card_plan, READ_AS_SHOWN[case](good, tmp_path / "x.xlsx"))
    assert added(result, good_result) == []
    assert result.entries == good_result.entries


@pytest.mark.parametrize("case", list(CLIENTS_DIFFER))
def test_cells_that_clients_show_differently_are_refused(
    case: str, tmp_path: Path, card_plan: Plan, good: GeneratedForm, good_result: ReturnResult
) -> None:
    result = check(card_plan, CLIENTS_DIFFER[case](good, tmp_path / "x.xlsx"))
    assert added(result, good_result) == [("corrupt-file", None)]
    assert not result.entries


# -- shared-string indexes ---------------------------------------------------------------


def replace_cell(good: GeneratedForm, target: Path, part: str, ref: str, xml: str) -> Path:
    """The good return with the cell at ``ref`` of ``part`` replaced by ``xml``."""

    def edit(text: str) -> str:
        pattern = rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'
        assert re.search(pattern, text), ref
        return re.sub(pattern, xml, text, count=1)

    return in_part(lambda g: part, edit)(good, target)


def with_string_index(suffix: str, index: str) -> Spoil:
    """An input's cell pointing at shared string ``index``."""

    def spoil(good: GeneratedForm, target: Path) -> Path:
        _, part, ref = input_cell(good, suffix)
        return replace_cell(good, target, part, ref, f'<c r="{ref}" t="s"><v>{index}</v></c>')

    return spoil


BAD_INDEXES = ["-2", "99999", "1.5", "abc", "３"]


@pytest.mark.parametrize(
    "index",
    [
        pytest.param(i, marks=[pytest.mark.openpyxl_differs] if i in ("-2", "３") else [])
        for i in BAD_INDEXES
    ],
)
def test_a_shared_string_index_that_is_not_one_is_named_at_the_cell(
    index: str, tmp_path: Path, card_plan: Plan, good: GeneratedForm, good_result: ReturnResult
) -> None:
    """Index -2 read another cell's label into 活動報告 through Python's negative indexing
    (openpyxl does the same); LibreOffice shows an empty cell, Excel repairs the file.
    An index past the end made the whole file unreadable; 1.5 and abc LibreOffice reads
    as 1 and 0.  Each is now an error at its cell, naming the index, and nothing of that
    cell is read."""
    _, _, ref = input_cell(good, ".activity_report")
    path = with_string_index(".activity_report", index)(good, tmp_path / "x.xlsx")
    result = check(card_plan, path)
    assert added(result, good_result) == [("bad-string-index", ref)]
    assert result.findings[0].raw == index
    assert [e.activity_report for e in result.entries] == [None]


@pytest.mark.openpyxl_differs  # it reads the last string there
def test_a_bad_string_index_in_a_label_is_named_once(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm, good_result: ReturnResult
) -> None:
    """Not also as a changed label: the label is not there to compare."""
    sheet, ref, _, _ = read_form_book(good.path, probe="kpibook.labels").probed[0]
    part = sheet_part(good.path, sheet)
    path = replace_cell(good, tmp_path / "x.xlsx", part, ref, f'<c r="{ref}" t="s"><v>-1</v></c>')
    assert added(check(card_plan, path), good_result) == [("bad-string-index", ref)]


# -- _xHHHH_ escapes, line ends and surrounding whitespace -------------------------------


def with_text(suffix: str, text: str, where: str) -> Spoil:
    """An input holding ``text`` as written in the XML, as an inline or a shared string."""

    def spoil(good: GeneratedForm, target: Path) -> Path:
        _, part, ref = input_cell(good, suffix)
        t = f'<t xml:space="preserve">{text}</t>'
        if where == "inline":
            cell = f'<c r="{ref}" t="inlineStr"><is>{t}</is></c>'
            return replace_cell(good, target, part, ref, cell)
        with zipfile.ZipFile(good.path) as z:
            sst = z.read("xl/sharedStrings.xml").decode()
        count = re.search(r'uniqueCount="(\d+)"', sst)
        assert count

        def change(name: str, data: bytes) -> bytes:
            if name == "xl/sharedStrings.xml":
                return sst.replace("</sst>", f"<si>{t}</si></sst>").encode()
            if name == part:
                new = f'<c r="{ref}" t="s"><v>{count[1]}</v></c>'
                pattern = rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'
                return re.sub(pattern, new, data.decode(), count=1).encode()
            return data

        return repack(good.path, target, change)

    return spoil


NORMALIZED = "text-normalized"
TEXTS = {
    # Excel stores a carriage return as _x000D_: CR LF is a line break, as Excel shows it.
    "crlf": ("一行目_x000D_\n二行目", "一行目\n二行目", []),
    "escaped-underscore": ("型番_x005F_x0041_です", "型番_x0041_です", []),
    "escape-typed-as-text": ("記号_x005F_x0016_を使用", "記号_x0016_を使用", []),
    "not-escapes": ("A_x00G1_B_x0041C_X0041_D_x41_", "A_x00G1_B_x0041C_X0041_D_x41_", []),
    "surrogate-pair": ("絵文字_xD83D__xDE00_", "絵文字😀", []),
    "lone-surrogate": ("壊れ_xD800_た", "壊れ\ufffdた", []),
    "trailing-space": ("講座を実施した。　\n", "講座を実施した。", []),
    "control": ("講座を_x0016_実施した", None, ["illegal-character"]),
    "noncharacter": ("講座を_xFFFF_実施した", None, ["illegal-character"]),
    # Changes the department would not expect: said, as a warning.
    "lone-cr": ("一行目_x000D_二行目", "一行目\n二行目", [NORMALIZED]),
    # A full-width indent (字下げ) is how Japanese paragraphs start: kept, no warning.
    "indent": ("\u3000講座を実施した。", "\u3000講座を実施した。", []),
    "blank-line-first": ("\n\n講座を実施した。", "講座を実施した。", [NORMALIZED]),
    "ordinary-escape": ("型番_x0041_です", "型番Aです", [NORMALIZED]),
    "replacement-character-escape": ("壊れ_xFFFD_た", "壊れ\ufffdた", [NORMALIZED]),
}


@pytest.mark.parametrize("where", ["shared", "inline"])
@pytest.mark.parametrize("case", list(TEXTS))
def test_text_is_read_as_excel_shows_it(
    case: str,
    where: str,
    tmp_path: Path,
    card_plan: Plan,
    good: GeneratedForm,
    good_result: ReturnResult,
) -> None:
    """``一行目_x000D_\\n二行目`` reached the master and the CSV as written.  ``_xHHHH_``
    is now decoded as ECMA-376 says (Part 1, 22.9.2.19): four hex digits of either case,
    ``_x005F_`` an underscore, left to right; line ends and surrounding whitespace are
    then normalised as docs/security.md says, with a warning where the department would
    see a difference."""
    written, merged, codes = TEXTS[case]
    _, _, ref = input_cell(good, ".activity_report")
    path = with_text(".activity_report", written, where)(good, tmp_path / "x.xlsx")
    result = check(card_plan, path)
    assert added(result, good_result) == [(code, ref) for code in codes]
    assert [e.activity_report for e in result.entries] == [merged]


# -- the package's content types ----------------------------------------------------------

MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORKBOOK_OVERRIDE = r'<Override PartName="/xl/workbook.xml"[^>]*/>'
CONTENT_TYPES: dict[str, tuple[Callable[[str], str], bool]] = {
    "workbook-type-changed": (lambda t: t.replace(MAIN, MAIN.replace(".main", ".mainx")), False),
    "workbook-undeclared": (lambda t: re.sub(WORKBOOK_OVERRIDE, "", t), False),
    "no-types": (lambda t: re.sub(r"<Types([^>]*)>.*</Types>", r"<Types\1></Types>", t), False),
    "not-xml": (lambda t: t.replace("</Types>", "</Typ"), False),
    "macro-enabled": (
        lambda t: t.replace(MAIN, "application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
        True,
    ),
    "declared-by-extension": (
        lambda t: re.sub(WORKBOOK_OVERRIDE, "", t).replace(
            'Extension="xml" ContentType="application/xml"', f'Extension="xml" ContentType="{MAIN}"'
        ),
        True,
    ),
}


@pytest.mark.parametrize("case", list(CONTENT_TYPES))
def test_a_workbook_its_content_types_do_not_declare_is_not_read(
    case: str, tmp_path: Path, card_plan: Plan, good: GeneratedForm, good_result: ReturnResult
) -> None:
    """Found by fuzzing: with [Content_Types].xml damaged, LibreOffice cannot open the
    file (nor, by the standard, can Excel), yet kpibook, which never read that part,
    merged its values.  The workbook part must be declared as a workbook."""
    edit, readable = CONTENT_TYPES[case]
    path = in_part(lambda g: "[Content_Types].xml", edit)(good, tmp_path / "x.xlsx")
    result = check(card_plan, path)
    if readable:
        assert added(result, good_result) == []
        assert result.entries == good_result.entries
    else:
        assert added(result, good_result) == [("not-a-workbook", None)]
        assert "[Content_Types].xml" in result.findings[0].message_en


# -- numbers and references in ASCII digits only -------------------------------------------


def in_actual_cell(old: str, new: str) -> Spoil:
    def spoil(good: GeneratedForm, target: Path) -> Path:
        ref, row, value = actual_row(good)
        edit = {
            "value": lambda t: t.replace(f"<v>{value}</v>", f"<v>{new}</v>", 1),
            "ref": lambda t: t.replace(f'<c r="{ref}"', f'<c r="{ref[0]}{new}"', 1),
            "row": lambda t: t.replace(f'<row r="{row}"', f'<row r="{new}"', 1).replace(
                f'<c r="{ref}"', "<c", 1
            ),
        }[old]
        return in_part(actual_sheet, edit)(good, target)

    return spoil


NOT_ASCII: dict[str, tuple[Spoil, str]] = {
    "full-width-number": (in_actual_cell("value", "２４１８"), "not-a-workbook"),
    "underscored-number": (in_actual_cell("value", "2_418"), "not-a-workbook"),
    "nan": (in_actual_cell("value", "nan"), "not-a-workbook"),
    "full-width-reference": (in_actual_cell("ref", "１７"), "not-a-workbook"),
    "full-width-row": (in_actual_cell("row", "１７"), "not-a-workbook"),
}


@pytest.mark.parametrize("case", list(NOT_ASCII))
def test_numbers_and_references_are_read_in_ascii_digits_only(
    case: str, tmp_path: Path, card_plan: Plan, good: GeneratedForm, good_result: ReturnResult
) -> None:
    """Python's int() and float() read full-width digits and underscores (２４１８ and
    2_418 are 2418 to them, and to openpyxl); LibreOffice shows 0 and 2, and leaves a
    cell at E１７ or in row １７ empty.  A cell's number, reference and row are the
    ASCII forms of the standard or the file is not read."""
    spoil, code = NOT_ASCII[case]
    result = check(card_plan, spoil(good, tmp_path / "x.xlsx"))
    assert added(result, good_result) == [(code, None)]


@pytest.mark.openpyxl_differs  # it resolves $E$１７ to E17
def test_a_name_with_full_width_digits_points_nowhere(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm, good_result: ReturnResult
) -> None:
    _, _, ref = input_cell(good, ".actual")

    def edit(text: str) -> str:
        digits = ref[1:].translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
        return text.replace(f"${ref[0]}${ref[1:]}<", f"${ref[0]}${digits}<", 1)

    path = in_part(lambda g: "xl/workbook.xml", edit)(good, tmp_path / "x.xlsx")
    assert added(check(card_plan, path), good_result) == [("name-missing", None)]


# -- what reaches the coordinator's terminal ------------------------------------------------


def test_decoded_control_characters_never_reach_the_terminal(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    """XML cannot hold an ESC, but ``_x001B_`` decodes to one: in a changed label or a
    typed choice it would reach the coordinator's terminal through a finding and drive
    it (clear the screen, set the title).  Findings show such characters as U+001B."""
    import unicodedata

    sheet, ref, _, _ = read_form_book(good.path, probe="kpibook.labels").probed[0]
    label = f'<c r="{ref}" t="inlineStr"><is><t>見出し_x001B_[2J_x001B_]0;x_x0007_</t></is></c>'
    path = replace_cell(good, tmp_path / "x.xlsx", sheet_part(good.path, sheet), ref, label)
    path = with_text(".self_grade", "A_x001B_[31m", "inline")(
        dataclasses.replace(good, path=path), tmp_path / "y.xlsx"
    )
    result = check(card_plan, path)
    shown = [
        text
        for f in result.findings
        for text in (f.message_ja, f.message_en, f.raw or "")
        if f.code in ("prefilled-changed", "not-a-choice")
    ]
    assert len(shown) == 6
    for text in shown:
        assert not [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"]
    assert any("U+001B" in text for text in shown)


# -- LibreOffice, the client departments use, is the reference --------------------------

CSV_EVERY_SHEET = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
"""UTF-8, values not as formatted, every sheet to its own file (LibreOffice 7.2 and later)."""


def lines(value: object) -> str:
    """A value as LibreOffice's CSV gives it: in a text of several lines a carriage
    return, alone or before a line feed, is one line break there."""
    text = "" if value is None else str(value)
    return re.sub(r"\r\n?", "\n", text) if "\n" in text else text


def libreoffice_view(csv_dir: Path, stem: str, sheet: str) -> list[list[str]]:
    import csv

    with open(csv_dir / f"{stem}-{sheet}.csv", encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def shown(rows: list[list[str]], row: int, col: int) -> str:
    return rows[row][col] if row < len(rows) and col < len(rows[row]) else ""


@pytest.mark.slow
@needs_libreoffice
def test_libreoffice_shows_what_kpibook_reads(tmp_path: Path, good: GeneratedForm) -> None:
    """Every hostile file kpibook reads here is converted by LibreOffice, and every named
    cell and every label cell kpibook reads must be what LibreOffice shows there.  Cells
    kpibook refuses (a string index naming no string) are left out; files where the two
    clients differ are checked for the difference that makes kpibook refuse or warn."""
    files: dict[str, Path] = {}
    for case, spoil in {**READ_AS_SHOWN, **CLIENTS_DIFFER}.items():
        files[case] = spoil(good, tmp_path / f"{case}.xlsx")
    rich = (
        '<c r="{r}" t="inlineStr"><is><r><t>2,4</t></r><r><rPr><b/></rPr><t>18</t></r>'
        "<rPh><t>カナ</t></rPh></is></c>"
    )
    files["rich-inline"] = with_cell(good, tmp_path / "rich.xlsx", ".actual", rich)[0]
    for index in BAD_INDEXES:
        files[f"index{index}"] = with_string_index(".activity_report", index)(
            good, tmp_path / f"index{ord(index[-1])}.xlsx"
        )
    for case, (spoil, _) in NOT_ASCII.items():
        files[case] = spoil(good, tmp_path / f"{case}.xlsx")
    for case, (written, _, _) in TEXTS.items():
        for where in ("shared", "inline"):
            spoil = with_text(".activity_report", written, where)
            files[f"{case}-{where}"] = spoil(good, tmp_path / f"{case}-{where}.xlsx")
    csv_dir = tmp_path / "csv"
    convert(list(files.values()), csv_dir, CSV_EVERY_SHEET, "-記入様式.csv")

    _, _, report_ref = input_cell(good, ".activity_report")
    report_row, report_col = int(report_ref[1:]) - 1, ord(report_ref[0]) - 65
    actual_ref, _, actual = actual_row(good)
    actual_at = (int(actual_ref[1:]) - 1, ord(actual_ref[0]) - 65)
    compared = 0
    for case, path in files.items():
        view = libreoffice_view(csv_dir, path.stem, "記入様式")
        if case in CLIENTS_DIFFER:  # LibreOffice reads the hidden row; kpibook refuses
            assert shown(view, *actual_at) == str(actual + 82), case
            continue
        if case in NOT_ASCII:  # int() would read 2418; LibreOffice shows 0, 2 or nothing
            assert shown(view, *actual_at) != str(actual), case
            continue
        if case.startswith(("ordinary-escape", "replacement-character")):  # warned
            assert "_x" in shown(view, report_row, report_col), case  # shown as written
            continue
        if case.startswith("lone-surrogate"):  # U+FFFD here, "?" there
            continue
        book = read_form_book(path, probe="kpibook.labels")
        cells: list[tuple[str, int, int, object, str]] = [
            (c.sheet or "", c.row, c.col, c.value, c.kind) for c in book.names.values() if c
        ]
        for sheet, ref, _, found in book.probed:
            m = re.fullmatch(r"([A-Z])(\d+)", ref)
            assert m
            cells.append((sheet, int(m[2]) - 1, ord(m[1]) - 65, found, ""))
        for sheet, row, col, value, kind in cells:
            if kind == "x":  # refused; LibreOffice shows nothing, or another string
                continue
            rows = view if sheet == "記入様式" else libreoffice_view(csv_dir, path.stem, sheet)
            assert lines(value) == shown(rows, row, col), (case, sheet, row, col)
            compared += 1
    assert compared > 1000
