"""The plan workbook's reader (kpibook/xlsx_grids.py): what each kind of stored cell reads
as, against openpyxl's reading (the reader it replaced), a formula's saved result written
by LibreOffice, and the protections the returns' reader has."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kpibook import xlsx_grids
from kpibook.errors import LoadError
from kpibook.plan import Plan
from kpibook.planbook import read_plan_workbook, write_plan_workbook
from kpibook.xlsx_read import read_grids as openpyxl_grids
from tests.test_libreoffice import needs_libreoffice, resave_xlsx

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _workbook(path: Path, sheet: str, strings: list[str], date1904: bool = False) -> Path:
    """A workbook as Excel lays it out, one sheet 計画 with ``sheet`` as its sheetData."""
    shared = "".join(f'<si><t xml:space="preserve">{s}</t></si>' for s in strings)
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{SML}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SML}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SML}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{SML}.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            f'<workbookPr date1904="{int(date1904)}"/>'
            '<sheets><sheet name="計画" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            f'<styleSheet xmlns="{MAIN}">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            '</cellStyleXfs><cellXfs count="2">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>"
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}" count="{len(strings)}">{shared}</sst>',
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><sheetData>{sheet}</sheetData></worksheet>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>\n' + text)
    return path


STRINGS = ["事業", "line_x000D_end", "_x005F_x0041_", ""]
SHEET = (
    '<row r="1">'
    '<c r="A1" t="s"><v>0</v></c>'
    '<c r="B1"><v>42</v></c>'
    '<c r="C1"><v>2.5</v></c>'
    '<c r="D1" s="1"><v>45000</v></c>'  # a date by its style: 2023-03-15
    '<c r="E1" t="b"><v>1</v></c>'
    '<c r="F1" t="e"><v>#N/A</v></c>'
    '<c r="G1" s="1"/>'  # a styled empty cell
    "</row>"
    '<row r="2">'  # cells without r=: placed one after another, as some writers do
    '<c t="inlineStr"><is><r><t>政策</t></r><r><t>評価</t></r>'
    '<rPh sb="0" eb="2"><t>セイサク</t></rPh></is></c>'
    "<c><f>1+1</f><v>2</v></c>"
    '<c r="C2"><f t="shared" ref="C2:C4" si="0">B2*2</f><v>4</v></c>'
    '<c t="str"><f>"p"&amp;"1"</f><v>p1</v></c>'
    "<c><f>A9</f></c>"  # a formula never calculated (openpyxl writes them so)
    "</row>"
    '<row r="4">'
    '<c r="C4"><f t="shared" si="0"/><v>8</v></c>'  # a shared formula's later cell
    '<c r="D4" t="s"><v>1</v></c>'
    '<c r="E4" t="s"><v>2</v></c>'
    '<c r="F4" t="s"><v>3</v></c>'  # an empty text
    '<c r="H4" t="inlineStr"><is><t></t></is></c>'
    "</row>"
)


def test_every_kind_of_stored_cell_reads_as_it_shows(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "kinds.xlsx", SHEET, STRINGS)
    [sheet] = xlsx_grids.read_sheets(path)
    assert sheet.name == "計画"
    assert (sheet.max_row, sheet.max_col) == (3, 7)
    assert sheet.values == {
        (0, 0): "事業",
        (0, 1): 42,
        (0, 2): 2.5,
        (0, 3): dt.datetime(2023, 3, 15),
        (0, 4): True,
        (0, 5): "#N/A",
        (1, 0): "政策評価",  # runs joined, the reading (phonetic run) left out
        (1, 1): 2,  # a formula's saved result
        (1, 2): 4,
        (1, 3): "p1",
        (1, 4): None,  # no saved result: the plan reader reports it
        (3, 2): 8,
        (3, 3): "line\rend",  # Excel's escape of a carriage return, as Excel shows it
        (3, 4): "_x0041_",  # text that looks like an escape, escaped by Excel
        (3, 5): "",
        (3, 7): "",
    }
    assert sheet.formulas == {(1, 1), (1, 2), (1, 3), (1, 4), (3, 2)}
    assert type(sheet.values[(0, 1)]) is int
    assert type(sheet.values[(0, 2)]) is float


def _openpyxl(path: Path) -> xlsx_grids.Sheet:
    """A sheet as the reader this one replaced gave it (openpyxl, read twice)."""
    [grid] = openpyxl_grids(path)
    values = {k: c.value for k, c in grid.cells.items()}
    formulas = {k for k, c in grid.cells.items() if c.formula}
    return xlsx_grids.Sheet(grid.name, values, grid.max_row, grid.max_col, formulas)


def test_the_same_cells_as_openpyxl_read_but_escapes(tmp_path: Path) -> None:
    """openpyxl (the reader this one replaced) agrees cell for cell and type for type,
    except that it leaves Excel's escape of a control character undecoded."""
    path = _workbook(tmp_path / "kinds.xlsx", SHEET, STRINGS)
    [new] = xlsx_grids.read_sheets(path)
    old = _openpyxl(path)
    assert old.values.pop((3, 3)) == "line_x000D_end"
    assert new.values.pop((3, 3)) == "line\rend"
    assert new == old
    assert [type(v) for v in new.values.values()] == [type(old.values[k]) for k in new.values]


def test_dates_of_the_1904_system(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "mac.xlsx", '<row r="1"><c r="A1" s="1"><v>1</v></c></row>', [], date1904=True
    )
    [sheet] = xlsx_grids.read_sheets(path)
    assert sheet.values == {(0, 0): dt.datetime(1904, 1, 2)}
    assert sheet == _openpyxl(path)


@pytest.mark.parametrize(
    ("sheet", "strings"),
    [
        ('<row r="1"><c r="A1" t="s"><v>5</v></c></row>', ["one"]),  # no such string
        ('<row r="1"><c r="A1"><v>１２</v></c></row>', []),  # a full-width number
        ('<row r="x"><c r="A1"><v>1</v></c></row>', []),
        ('<row r="1"><c r="a1"><v>1</v></c></row>', []),
    ],
)
def test_a_damaged_sheet_is_not_read(tmp_path: Path, sheet: str, strings: list[str]) -> None:
    path = _workbook(tmp_path / "bad.xlsx", sheet, strings)
    with pytest.raises(LoadError) as info:
        xlsx_grids.read_sheets(path)
    assert "Excel ブック（.xlsx）として読み込めません" in str(info.value.problems[0])


def test_entities_are_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "bomb.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>', [])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + f'<sst xmlns="{MAIN}"><si><t>&b;</t></si></sst>'.encode()
    )
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    with pytest.raises(LoadError) as info:
        read_plan_workbook(path)
    [problem] = info.value.problems
    assert "安全のため読み込みません" in str(problem)
    assert "DTD" in str(problem)


def test_a_part_larger_than_a_plan_has_is_refused_before_it_is_read(
    tmp_path: Path, card_plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(card_plan, path)
    monkeypatch.setattr(xlsx_grids._PlanReader, "max_part", 1_000)
    with pytest.raises(LoadError) as info:
        read_plan_workbook(path)
    assert "安全のため読み込みません" in str(info.value.problems[0])
    monkeypatch.undo()
    monkeypatch.setattr(xlsx_grids, "MAX_PLAN_TOTAL", 10_000)
    with pytest.raises(LoadError) as info:
        read_plan_workbook(path)
    assert "unpacks to" in str(info.value.problems[0].message.en)


@needs_libreoffice
def test_formulas_saved_by_libreoffice_read_as_their_results(
    tmp_path: Path, card_plan: Plan
) -> None:
    """A coordinator who types formulas in Calc: each cell reads as its saved result
    (numbers, and text from a text formula), so the plan is the one written."""
    path = tmp_path / "typed" / "plan.xlsx"
    path.parent.mkdir()
    write_plan_workbook(card_plan, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["指標"]
    headers = [c.value for c in ws[1]]
    replaced = 0
    for row in ws.iter_rows(min_row=2):
        for header, cell in zip(headers, row, strict=False):
            value = cell.value
            if isinstance(value, int | float) and not isinstance(value, bool) and replaced < 3:
                cell.value = f"={value}*1"
                replaced += 1
            elif header == "指標名" and isinstance(value, str) and replaced == 3:
                cell.value = '="' + value[:1] + '"&"' + value[1:] + '"'
                replaced += 1
    assert replaced == 4
    wb.save(path)
    with pytest.raises(LoadError):  # openpyxl saves no results: each formula is named
        read_plan_workbook(path)
    [resaved] = resave_xlsx([path], tmp_path / "resaved")
    with zipfile.ZipFile(resaved) as z:
        sheets = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert sheets.count(b"<f") >= 4
    assert b't="str"' in sheets
    assert read_plan_workbook(resaved) == card_plan
