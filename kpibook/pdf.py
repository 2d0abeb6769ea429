"""``kpibook report``: the PDF the city posts, printed from the master by LibreOffice.

The master's 報告書 (and any other sheets asked for) is printed exactly as it prints from
LibreOffice by hand: page breaks, repeated headings, the footer's page numbers and the
plan title come from the master itself.  The other sheets are hidden in a temporary copy
(only ``state="hidden"`` is written into its ``workbook.xml``; every other part is copied
as it is), so nothing of the master changes.  LibreOffice runs headless with a profile of
its own whose document language is Japanese, so the PDF says ``/Lang (ja-JP)`` and a
screen reader reads it as Japanese; its title is the master's (the report's title).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kpibook.atomic import atomic_path
from kpibook.errors import KpibookError
from kpibook.message import Message

TIMEOUT = 600
"""Seconds LibreOffice may take for one report (a city's is a few seconds)."""
WINDOWS_PLACES = [
    Path(os.environ.get(var, "")) / "LibreOffice" / "program" / "soffice.exe"
    for var in ("ProgramFiles", "ProgramFiles(x86)")
    if os.environ.get(var)
]

_LOCALE = [
    ("/org.openoffice.Linguistic/General", "DefaultLocale"),
    ("/org.openoffice.Linguistic/General", "DefaultLocale_CJK"),
    ("/org.openoffice.Setup/L10N", "ooSetupSystemLocale"),
]
_PROFILE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
    'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    + "".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse">'
        "<value>ja-JP</value></prop></item>\n"
        for path, name in _LOCALE
    )
    + "</oor:items>\n"
)
"""A LibreOffice profile whose documents are Japanese (the PDF's /Lang)."""


class NoLibreOffice(KpibookError):
    """LibreOffice is needed to print and is not installed."""


class PrintFailed(KpibookError):
    """LibreOffice ran and gave no PDF."""


def find_soffice() -> Path | None:
    """LibreOffice's command: on the PATH, or where the Windows installer puts it."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return next((p for p in WINDOWS_PLACES if p.is_file()), None)


def print_master(master: Path, output: Path, sheets: Sequence[str]) -> Path:
    """Print ``sheets`` of ``master`` (in their order in the workbook) to the PDF
    ``output``, written atomically."""
    soffice = find_soffice()
    if soffice is None:
        raise NoLibreOffice(
            Message(
                ja="PDF の作成には LibreOffice が必要です。LibreOffice をインストールするか、"
                "集約ブックの「報告書」シートを Excel から PDF に保存してください",
                en="printing the PDF needs LibreOffice (soffice), which was not found; install "
                "it, or save the 報告書 sheet as PDF from Excel",
            )
        )
    with tempfile.TemporaryDirectory(prefix="kpibook-report-") as work:
        folder = Path(work)
        copy = folder / f"{output.stem}.xlsx"
        _only_sheets(master, copy, sheets)
        profile = folder / "profile" / "user"
        profile.mkdir(parents=True)
        (profile / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        command = [
            str(soffice),
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(copy),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=TIMEOUT, check=False, stdin=subprocess.DEVNULL
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrintFailed(
                Message(
                    ja="LibreOffice で印刷できませんでした", en=f"LibreOffice did not print: {exc}"
                ),
                where=master,
            ) from None
        pdf = copy.with_suffix(".pdf")
        if not pdf.is_file():
            said = done.stderr.decode("utf-8", "replace").strip()[-300:]
            raise PrintFailed(
                Message(
                    ja="LibreOffice で印刷できませんでした",
                    en=f"LibreOffice gave no PDF (exit {done.returncode}): {said}",
                ),
                where=master,
            )
        with atomic_path(output) as tmp:
            shutil.copyfile(pdf, tmp)
    return output


_SHEET = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?/>')
_PRINT_AREA = re.compile(
    rb'<definedName name="_xlnm\.Print_Area" localSheetId="(\d+)"[^>]*>[^<]*</definedName>'
)


def _only_sheets(master: Path, copy: Path, sheets: Sequence[str]) -> None:
    """A copy of ``master`` whose other sheets are hidden; the first printed sheet is
    the active one."""
    from kpibook.xlsx_write import WORKBOOK_PART, rewrite_part

    wanted = {_xml_text(name) for name in sheets}
    rewrite_part(master, copy, WORKBOOK_PART, lambda xml: _hide_others(xml, wanted, master))


def _hide_others(xml: bytes, wanted: set[bytes], master: Path) -> bytes:
    names = [m[1] for m in _SHEET.finditer(xml)]
    missing = wanted - set(names)
    if missing:
        shown = "、".join(n.decode() for n in sorted(missing))
        raise PrintFailed(
            Message(
                ja=f"集約ブックに「{shown}」シートがありません",
                en=f"the master has no sheet {shown}",
            ),
            where=master,
        )
    first = next(n for n, name in enumerate(names) if name in wanted)

    def state(match: re.Match[bytes]) -> bytes:
        element = re.sub(rb'\sstate="[^"]*"', b"", match[0])
        if match[1] in wanted:
            return element
        return element.replace(b"<sheet ", b'<sheet state="hidden" ', 1)

    xml = _SHEET.sub(state, xml)
    # LibreOffice prints the print range of a hidden sheet (一覧 has one, which leaves
    # its sparklines out): drop the print ranges of the sheets not printed.
    hidden = {str(n).encode() for n, name in enumerate(names) if name not in wanted}

    def print_range(match: re.Match[bytes]) -> bytes:
        return b"" if match[1] in hidden else match[0]

    xml = _PRINT_AREA.sub(print_range, xml)
    xml = re.sub(rb'\sactiveTab="\d+"', b"", xml)
    return xml.replace(b"<workbookView ", f'<workbookView activeTab="{first}" '.encode(), 1)


def _xml_text(name: str) -> bytes:
    escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace('"', "&quot;").encode("utf-8")
