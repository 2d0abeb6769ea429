"""Hostile and broken returns are refused from their bytes, before any parser sees them.

Each fixture is made here from a recipe of ``shared/reference/bad-inputs.md`` (sections A
and B); each must give one named finding, no traceback, and leave the others alone.
"""

from __future__ import annotations

import base64
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
