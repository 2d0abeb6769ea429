"""Pre-flight: look at a returned file's bytes before any XML parser sees it.

Returns come from many hands.  The content is sniffed, not the file name: a CSV renamed
.xlsx, an old .xls, a password-protected workbook, an ODS, or a zip that is not a
workbook each get a plain answer.  A zip's directory is checked against limits (members,
declared sizes, compression ratio) so that a 500 KB file cannot unpack to gigabytes, and
a Strict OOXML workbook (which openpyxl silently reads as having no sheets) is refused.
Only then, within those limits, is every part decompressed once and its checksum
compared, as Excel does when it opens a file: a part damaged in transit is named here,
whether or not a check would ever parse it.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from kpibook.findings import Code
from kpibook.message import Message
from kpibook.xlsx_scan import DAMAGED, MAX_PART

MAX_FILE = 50 * 1024 * 1024
"""A department's form is tens of kilobytes; 50 MB leaves room for any real one."""
MAX_MEMBERS = 2_000
MAX_MEMBER = 100 * 1024 * 1024
"""Declared uncompressed size of one part."""
MAX_TOTAL = 300 * 1024 * 1024
MAX_RATIO = 100
"""Compression ratio above which a large part is treated as a zip bomb."""
RATIO_FLOOR = 1024 * 1024
"""Parts smaller than this are not judged by ratio (tiny XML compresses very well)."""

KEEP = 32 * 1024 * 1024
"""Bytes of unpacked parts kept for the reader (a form's are a few hundred kilobytes)."""

ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
STRICT_NAMESPACE = b"purl.oclc.org/ooxml"


@dataclass(frozen=True)
class Refusal:
    """Why a file is not read: a finding code and what to say about it."""

    code: Code
    detail: str


def preflight(path: Path, unpacked: dict[str, bytes] | None = None) -> Refusal | None:
    """None when the file may be read as a workbook; else why not.  ``unpacked``, when
    given, receives the XML parts unpacked on the way (up to :data:`KEEP` bytes in all,
    none larger than the reader reads), so that the reader need not unpack them again."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        return Refusal(Code.NOT_A_WORKBOOK, f"cannot be read: {exc.strerror or exc}")
    if size == 0:
        return Refusal(Code.EMPTY_FILE, "0 bytes")
    if size > MAX_FILE:
        return Refusal(Code.TOO_LARGE, f"{size:,} bytes (at most {MAX_FILE:,})")
    if head.startswith(OLE):
        return Refusal(Code.LEGACY_OR_ENCRYPTED, "an OLE compound file (.xls, or encrypted)")
    if not head.startswith(ZIP):
        return Refusal(*_not_zip(head))
    try:
        with zipfile.ZipFile(path) as archive:
            return _check_archive(archive, unpacked)
    except (*DAMAGED, zipfile.LargeZipFile, ValueError) as exc:
        return Refusal(Code.CORRUPT_FILE, f"{type(exc).__name__}: {exc}")


def _not_zip(head: bytes) -> tuple[Code, str]:
    sample = head[:2048]
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        if text and printable / len(text) > 0.95:
            kind = "CSV" if "," in text or "\t" in text else "text"
            return Code.TEXT_NOT_WORKBOOK, kind
    return Code.NOT_A_WORKBOOK, "unknown content"


def _check_archive(
    archive: zipfile.ZipFile, unpacked: dict[str, bytes] | None = None
) -> Refusal | None:
    infos = archive.infolist()
    names = {i.filename for i in infos}
    if len(infos) > MAX_MEMBERS:
        return Refusal(Code.ZIP_BOMB, f"{len(infos)} parts (at most {MAX_MEMBERS})")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_MEMBER:
            return Refusal(Code.ZIP_BOMB, f"{info.filename} unpacks to {info.file_size:,} bytes")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            return Refusal(Code.ZIP_BOMB, f"{info.filename} is compressed {ratio:,.0f}:1")
    if total > MAX_TOTAL:
        return Refusal(Code.ZIP_BOMB, f"unpacks to {total:,} bytes in all")
    if "mimetype" in names and "content.xml" in names:
        return Refusal(Code.OTHER_SPREADSHEET, "an OpenDocument spreadsheet (.ods)")
    if "xl/workbook.bin" in names:
        return Refusal(Code.OTHER_SPREADSHEET, "an Excel binary workbook (.xlsb)")
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return Refusal(Code.NOT_A_WORKBOOK, "a zip archive that is not an Excel workbook")
    damaged = _check_parts(archive, unpacked)
    if damaged is not None:
        return damaged
    with archive.open("xl/workbook.xml") as part:
        start = part.read(2048)
    if STRICT_NAMESPACE in start:
        return Refusal(Code.STRICT_OOXML, "Strict Open XML")
    return None


def _check_parts(
    archive: zipfile.ZipFile, unpacked: dict[str, bytes] | None = None
) -> Refusal | None:
    """Every part unpacks, and to what its checksum says (within the limits checked
    above: CPython stops at the declared size).  Excel writes parts stored or deflated,
    never encrypted; anything else is refused before zipfile would try it."""
    kept = 0
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            return Refusal(Code.CORRUPT_FILE, f"part {info.filename} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return Refusal(
                Code.CORRUPT_FILE,
                f"part {info.filename} uses compression method {info.compress_type}",
            )
        keep = (
            unpacked is not None
            and info.filename.endswith((".xml", ".rels"))
            and info.file_size <= MAX_PART
            and kept + info.file_size <= KEEP
        )
        try:
            with archive.open(info) as part:
                if keep and unpacked is not None:
                    unpacked[info.filename] = part.read()  # within the declared size
                    kept += info.file_size
                while part.read(1 << 20):
                    pass
        except DAMAGED as exc:
            return Refusal(Code.CORRUPT_FILE, f"part {info.filename}: {type(exc).__name__}: {exc}")
    return None


def lock_owner_of(name: str) -> str | None:
    """The workbook a lock file stands for: Excel's owner file ``~$x.xlsx`` (Excel keeps
    only the last characters of long names) or LibreOffice's ``.~lock.x.xlsx#``."""
    if name.startswith(".~lock.") and name.endswith("#"):
        return name[len(".~lock.") : -1]
    if name.startswith("~$"):
        return name[2:]
    return None


def collect_returns(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The files to check: files named, and the files in folders named, in name order.

    In a folder, lock files (a workbook open in Excel or LibreOffice somewhere) and other
    hidden files are left out; each lock file is reported, since the department may still
    be editing.  A file named explicitly is always checked, whatever its name.
    """
    files: list[Path] = []
    notes: list[str] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for p in sorted(q for q in path.iterdir() if q.is_file()):
            owner = lock_owner_of(p.name)
            if owner is not None:
                skipped = Message(
                    ja=f"「{owner}」が開かれたままです（編集中かもしれません）。"
                    "このロックファイルは読み込みません",
                    en=f"a lock file, skipped: a workbook ending in {owner!r} is open in "
                    "Excel or LibreOffice somewhere",
                )
                notes.append(f"{p}: {skipped}")
            elif not p.name.startswith("."):
                files.append(p)
    return files, notes
