"""Hostile and broken returns are refused from their bytes, before any parser sees them.

Each fixture is made here from a recipe of ``shared/reference/bad-inputs.md`` (sections A
and B); each must give one named finding, no traceback, and leave the others alone.
"""

from __future__ import annotations

import base64
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from kpibook.entries import Entries
from kpibook.forms import GeneratedForm
from kpibook.forms.fill import write_filled_forms
from kpibook.plan import Plan
from kpibook.returns.check import check_return, check_returns
from kpibook.template import load_template
from kpibook.xlsx_scan import CorruptWorkbook, read_form_book
from tests.instrument import counted


@pytest.fixture(scope="module")
def good(
    tmp_path_factory: pytest.TempPathFactory, card_plan: Plan, card_entries: Entries
) -> GeneratedForm:
    forms = write_filled_forms(card_plan, card_entries, tmp_path_factory.mktemp("good"))
    return next(f for f in forms if f.department == "中央公民館")


def repack(source: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """Copy a workbook's parts, letting ``change`` rewrite (or drop, with None) each."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)
    return target


def codes(plan: Plan, path: Path) -> list[str]:
    return [f.code for f in check_return(plan, path, load_template(plan.layout)).findings]


def test_csv_renamed_to_xlsx(tmp_path: Path, card_plan: Plan) -> None:
    path = tmp_path / "x.xlsx"
    path.write_text("事業名,実績値\n公民館事業,2418\n", encoding="utf-8")
    assert codes(card_plan, path) == ["text-not-workbook"]


@pytest.mark.parametrize("spoil", ["empty", "half", "tail", "base64"])
def test_empty_truncated_or_encoded(
    spoil: str, tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    data = good.path.read_bytes()
    broken = {
        "empty": b"",
        "half": data[: len(data) // 2],
        "tail": data[:-10],
        "base64": base64.b64encode(data),
    }[spoil]
    path = tmp_path / "x.xlsx"
    path.write_bytes(broken)
    expected = {
        "empty": "empty-file",
        "half": "corrupt-file",
        "tail": "corrupt-file",
        "base64": "text-not-workbook",
    }[spoil]
    assert codes(card_plan, path) == [expected]


def test_a_file_larger_than_any_form_is_refused_unread(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    """A 51 MB "return" (a scan pasted in, a video renamed) is refused by its size,
    before a byte of it is read (the file is sparse: nothing is written)."""
    from kpibook.returns.preflight import MAX_FILE

    path = tmp_path / "x.xlsx"
    with open(path, "wb") as f:
        f.write(good.path.read_bytes()[:4])
        f.truncate(MAX_FILE + 1)
    with counted() as work:
        assert codes(card_plan, path) == ["too-large"]
    assert work.opened == []


def test_corrupt_member(tmp_path: Path, card_plan: Plan, good: GeneratedForm) -> None:
    data = bytearray(good.path.read_bytes())
    start = data.index(b"xl/worksheets/sheet2.xml") + 100
    for n in range(start, start + 40):
        data[n] ^= 0xFF
    path = tmp_path / "x.xlsx"
    path.write_bytes(bytes(data))
    result = codes(card_plan, path)
    assert len(result) == 1
    assert result[0] in ("corrupt-file", "not-a-workbook")


def test_zip_that_is_not_a_workbook(tmp_path: Path, card_plan: Plan) -> None:
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hello")
    assert codes(card_plan, path) == ["not-a-workbook"]


def test_ole_file_old_xls_or_encrypted(tmp_path: Path, card_plan: Plan) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000)
    assert codes(card_plan, path) == ["legacy-or-encrypted"]


def test_ods_is_named(tmp_path: Path, card_plan: Plan) -> None:
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    assert codes(card_plan, path) == ["other-spreadsheet"]


def test_xlsx_content_under_another_extension_is_read(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    """Sniff the bytes, not the name: a real workbook named .xlsm still checks."""
    path = tmp_path / good.path.name.replace(".xlsx", ".xlsm")
    path.write_bytes(good.path.read_bytes())
    assert check_return(card_plan, path, load_template(card_plan.layout)).ok


def test_strict_ooxml_is_refused_not_read_as_empty(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    transitional = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    strict = b"http://purl.oclc.org/ooxml/spreadsheetml/main"

    def to_strict(name: str, data: bytes) -> bytes:
        return data.replace(transitional, strict) if name == "xl/workbook.xml" else data

    path = repack(good.path, tmp_path / "x.xlsx", to_strict)
    assert codes(card_plan, path) == ["strict-ooxml"]


def test_zip_bomb_is_refused_before_unpacking(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good.path) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("xl/worksheets/sheet9.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zout.open(info, "w") as part:
            chunk = b" " * (1 << 20)
            for _ in range(200):  # 200 MB of spaces, a few hundred KB on disk
                part.write(chunk)
    assert path.stat().st_size < 2_000_000
    with counted() as work:
        assert codes(card_plan, path) == ["zip-bomb"]
    # Refused from the zip's directory, not by unpacking: the bomb is never opened, and
    # no more than the first bytes of one part are read (pre-flight's promise).
    assert "xl/worksheets/sheet9.xml" not in work.opened
    assert work.unpacked <= 64 * 1024


def test_counted_work_sees_the_reader_unpack_and_parse(
    card_plan: Plan, good: GeneratedForm
) -> None:
    """The bounds below are only as good as the counting: a good return is seen read."""
    with counted() as work:
        assert check_return(card_plan, good.path, load_template(card_plan.layout)).ok
    assert "xl/workbook.xml" in work.opened
    assert work.unpacked > 0
    assert any(b"<sheetData" in piece for piece in work.fed)


def test_billion_laughs_is_refused(tmp_path: Path, card_plan: Plan, good: GeneratedForm) -> None:
    # lol1 is ten lol, lol2 ten lol1, ... lol9 would expand to a billion
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )

    def laugh(name: str, data: bytes) -> bytes:
        if name != "xl/sharedStrings.xml":
            return data
        text = data.decode("utf-8")
        declaration, body = text.split("?>", 1)
        body = body.replace("<t>", "<t>&lol9;", 1)
        return f"{declaration}?><!DOCTYPE sst [{entities}]>{body}".encode()

    path = repack(good.path, tmp_path / "x.xlsx", laugh)
    assert b"<!ENTITY lol9" in zipfile.ZipFile(path).read("xl/sharedStrings.xml")
    with counted() as work:
        [finding] = check_return(card_plan, path, load_template(card_plan.layout)).findings
    assert finding.code == "xml-refused"
    assert "DTD" in finding.message_en
    # Refused on its bytes: no XML parser was ever handed the entities to expand.
    assert not [piece for piece in work.fed if b"<!ENTITY" in piece]


def test_one_bad_file_never_stops_the_others(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    report = check_returns(card_plan, [empty, good.path])
    assert [r.ok for r in report.returns] == [False, True]


# -- a damaged compressed stream, in any part --------------------------------------------

FORM_PARTS = [
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/_rels/workbook.xml.rels",
    "xl/worksheets/sheet1.xml",  # 記入要領
    "xl/worksheets/sheet2.xml",  # 記入様式, the inputs
    "xl/worksheets/sheet3.xml",  # 選択肢
    "xl/worksheets/sheet4.xml",  # _kpibook, the stamp and the labels
    "xl/workbook.xml",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
    "xl/theme/theme1.xml",
    "docProps/core.xml",
    "docProps/app.xml",
]


def damage_stream(source: Path, target: Path, part: str) -> Path:
    """The file with the deflate stream of ``part`` damaged in place: its first byte made
    0xFF, a final block of the reserved type 11, so inflating it fails at once."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as z:
        info = z.getinfo(part)
    assert info.compress_type == zipfile.ZIP_DEFLATED
    start = info.header_offset
    name_len = int.from_bytes(data[start + 26 : start + 28], "little")
    extra_len = int.from_bytes(data[start + 28 : start + 30], "little")
    data[start + 30 + name_len + extra_len] = 0xFF
    target.write_bytes(bytes(data))
    return target


def test_the_list_of_parts_is_the_whole_form(good: GeneratedForm) -> None:
    with zipfile.ZipFile(good.path) as z:
        assert sorted(z.namelist()) == sorted(FORM_PARTS)


@pytest.mark.parametrize(
    ("field", "value"),
    [(6, 0xFF), (8, 0x20), (8, 0x40)],
    ids=["zip-version-25.5", "patched-data", "strong-encryption"],
)
def test_zip_features_excel_never_writes_are_a_corrupt_file(
    field: int, value: int, tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    """Found by the fuzz test: zipfile raises NotImplementedError for a newer zip version
    or for flag bits 5 and 6 in a directory entry, which escaped every precise catch."""
    data = bytearray(good.path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the first part's directory entry
    data[entry + field : entry + field + 2] = value.to_bytes(2, "little")
    path = tmp_path / "x.xlsx"
    path.write_bytes(bytes(data))
    [found] = check_return(card_plan, path, load_template(card_plan.layout)).findings
    assert found.code == "corrupt-file"
    assert "NotImplementedError" in found.message_en
    assert "unexpected" not in found.message_en


@pytest.mark.parametrize("part", FORM_PARTS)
def test_damaged_stream_in_any_part_is_a_corrupt_file_naming_it(
    part: str, tmp_path: Path, card_plan: Plan, good: GeneratedForm
) -> None:
    """A damaged deflate stream raises zlib.error, not BadZipFile: in workbook.xml it used
    to escape pre-flight and stop the whole run; in a part kpibook does not parse it used
    to pass unnoticed, though Excel refuses the file."""
    path = damage_stream(good.path, tmp_path / good.path.name, part)
    [found] = check_return(card_plan, path, load_template(card_plan.layout)).findings
    assert found.code == "corrupt-file"
    assert part in found.message_en


READ_PARTS = {
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "xl/sharedStrings.xml",
    "xl/worksheets/sheet2.xml",
    "xl/worksheets/sheet4.xml",
}
"""The parts a check reads (the sheets its names point at); the others are read only to
recognise a form whose names were lost."""


@pytest.mark.parametrize("part", FORM_PARTS)
def test_the_reader_alone_names_a_damaged_part_it_reads(
    part: str, tmp_path: Path, good: GeneratedForm
) -> None:
    """Pre-flight runs first, but a file may change between the two: the reader turns a
    damaged stream into CorruptWorkbook naming the part, and the lazy scan of sheets'
    text skips a damaged sheet, as it skips any unreadable one."""
    path = damage_stream(good.path, tmp_path / "x.xlsx", part)
    if part in READ_PARTS:
        with pytest.raises(CorruptWorkbook, match=re.escape(part)):
            read_form_book(path, probe="kpibook.labels")
    else:
        assert read_form_book(path, probe="kpibook.labels").strings


def test_broken_files_among_good_ones_leave_every_good_one_read(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    from kpibook.merge import Status, merge

    returns = tmp_path / "returns"
    forms = write_filled_forms(card_plan, card_entries, returns)
    broken = forms[1::2]  # every other department's file damaged, each in another part
    parts = ["xl/workbook.xml", "xl/sharedStrings.xml", "xl/styles.xml"]
    for form, part in zip(broken, parts, strict=True):
        damage_stream(form.path, form.path, part)
    report, merged = merge(card_plan, [f.path for f in forms])
    statuses = {d.department: d.status for d in report.departments}
    for form in forms:  # a damaged file cannot say whose it is: its department is missing
        expected = Status.MISSING if form in broken else Status.RETURNED
        assert statuses[form.department] == expected, form.department
    assert sorted(report.unidentified) == sorted(f.path.name for f in broken)
    read = {r.file: r for r in report.returns}
    for form in broken:
        assert [f.code for f in read[form.path.name].findings] == ["corrupt-file"]
    assert {e.project for e in merged.entries} == {
        e.project for f in forms if f not in broken for e in read[f.path.name].entries
    }


def test_an_unexpected_error_in_one_file_is_a_finding_and_the_others_are_read(
    tmp_path: Path, card_plan: Plan, good: GeneratedForm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last line of defence: whatever escapes the precise handling becomes a finding
    naming the exception's type for that file alone, never a traceback."""
    from kpibook.returns.state import Check
    from kpibook.returns.tamper import tampering as real

    odd = tmp_path / good.path.name
    odd.write_bytes(good.path.read_bytes())

    def tampering(c: Check, *args: object) -> None:
        if c.path == odd:
            raise TypeError("something kpibook did not foresee")
        real(c, *args)  # type: ignore[arg-type]

    monkeypatch.setattr("kpibook.returns.check.tampering", tampering)
    report = check_returns(card_plan, [good.path, odd, good.path])
    assert [r.ok for r in report.returns] == [True, False, True]
    # (the same bytes three times: the copies are also marked duplicate-copy)
    [found] = report.returns[1].errors
    assert found.code == "corrupt-file"
    assert "TypeError" in found.message_en
    assert report.returns[1].department == "中央公民館"  # its stamp was read: rejected, not missing


# -- output faults (bad-inputs.md section F) ---------------------------------------------


@pytest.fixture
def folder_and_master(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> tuple[Path, Path, bytes]:
    from click.testing import CliRunner

    from kpibook.cli import main
    from tests.conftest import CARD

    returns = tmp_path / "returns"
    write_filled_forms(card_plan, card_entries, returns)
    master = tmp_path / "master.xlsx"
    result = CliRunner().invoke(
        main, ["merge", "-p", str(CARD / "plan.yaml"), "-o", str(master), str(returns)]
    )
    assert result.exit_code == 0, result.output
    return returns, master, master.read_bytes()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("replace", "開いていれば閉じて"),  # Windows: the master is open in Excel
        ("fsync", "ディスクの空き容量が足りません"),  # the disk filled up
    ],
)
def test_output_fault_is_a_message_and_keeps_the_previous_master(
    fault: str,
    message: str,
    folder_and_master: tuple[Path, Path, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import errno

    from click.testing import CliRunner

    from kpibook.cli import main
    from tests.conftest import CARD

    returns, master, before = folder_and_master

    def replace(*_: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    def fsync(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(f"kpibook.atomic.os.{fault}", replace if fault == "replace" else fsync)
    result = CliRunner().invoke(
        main, ["merge", "-p", str(CARD / "plan.yaml"), "-o", str(master), str(returns)]
    )
    assert result.exit_code == 1
    assert message in result.stderr
    assert "master.xlsx" in result.stderr
    assert "Traceback" not in result.output
    assert master.read_bytes() == before
    assert sorted(p.name for p in master.parent.iterdir()) == ["master.xlsx", "returns"]


def test_two_merges_at_once(folder_and_master: tuple[Path, Path, bytes]) -> None:
    import json as json_

    from click.testing import CliRunner

    from kpibook.cli import main
    from kpibook.lock import lock_path
    from tests.conftest import CARD

    returns, master, before = folder_and_master
    lock = lock_path(master)
    lock.write_text(
        json_.dumps({"host": "pc-02", "pid": 4242, "since": "2020-05-29T10:00"}), encoding="utf-8"
    )
    args = ["merge", "-p", str(CARD / "plan.yaml"), "-o", str(master), str(returns)]
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 1
    assert "pc-02 pid 4242" in second.stderr
    assert master.read_bytes() == before
    assert lock.exists()  # the other run's lock is not ours to remove
    broken = CliRunner().invoke(main, [*args, "--break-lock"])
    assert broken.exit_code == 0, broken.output
    assert not lock.exists()  # released after the run
