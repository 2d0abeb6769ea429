"""kpibook report: the PDF the city posts, printed through LibreOffice."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpibook.cli import main
from tests.test_libreoffice import needs_libreoffice, pdf_text


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    assert CliRunner().invoke(main, ["demo", str(folder / "demo")]).exit_code == 0
    return folder / "demo" / "3-master_kashiwa-lifelong-learning.xlsx"


def _info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return dict(
        (k.strip(), v.strip()) for k, v in (line.split(":", 1) for line in out.stdout.splitlines())
    )


@needs_libreoffice
def test_the_report_pdf_is_ready_to_post(master: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    result = CliRunner().invoke(main, ["report", str(master), "-o", str(pdf)])
    assert result.exit_code == 0, result.output
    info = _info(pdf)
    assert info["Title"] == "第3次柏市生涯学習推進計画（令和元年度進捗状況）"
    assert int(info["Pages"]) <= 12  # only 報告書, as the official report
    assert re.search(rb"/Lang\s*\(ja-JP\)", pdf.read_bytes())  # read as Japanese
    text = pdf_text(pdf)
    assert "ボランティア養成事業" in text
    assert "提出状況" not in text  # the coordinator's sheets are not posted
    assert "1 / " in text  # page numbers in the footer


@needs_libreoffice
def test_other_sheets_print_when_asked(master: Path, tmp_path: Path) -> None:
    only = tmp_path / "only.pdf"
    both = tmp_path / "both.pdf"
    runner = CliRunner()
    assert runner.invoke(main, ["report", str(master), "-o", str(only)]).exit_code == 0
    args = ["report", str(master), "-o", str(both), "--sheet", "概要", "--sheet", "報告書"]
    assert runner.invoke(main, args).exit_code == 0
    assert int(_info(both)["Pages"]) > int(_info(only)["Pages"])
    missing = runner.invoke(main, ["report", str(master), "-o", str(only), "--sheet", "表紙"])
    assert missing.exit_code == 1
    assert "the master has no sheet 表紙" in missing.output


def test_without_libreoffice_the_message_says_what_to_do(
    master: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kpibook.pdf.find_soffice", lambda: None)
    pdf = tmp_path / "report.pdf"
    result = CliRunner().invoke(main, ["report", str(master), "-o", str(pdf)])
    assert result.exit_code == 1
    assert "LibreOffice が必要です" in result.output
    assert not pdf.exists()


def test_the_master_is_not_changed(master: Path, tmp_path: Path) -> None:
    from kpibook.pdf import _only_sheets

    before = master.read_bytes()
    _only_sheets(master, tmp_path / "copy.xlsx", ["報告書"])
    assert master.read_bytes() == before
    import zipfile

    xml = zipfile.ZipFile(tmp_path / "copy.xlsx").read("xl/workbook.xml").decode()
    assert re.search(r'<sheet state="hidden" name="概要"', xml)
    assert re.search(r'<sheet name="報告書"', xml)


def test_a_sheet_not_printed_loses_its_print_range(master: Path, tmp_path: Path) -> None:
    """LibreOffice prints the print range of a hidden sheet: 一覧's (which leaves its
    sparklines out of the print) is dropped from the copy unless 一覧 is printed."""
    import zipfile

    from kpibook.pdf import _only_sheets

    def print_ranges(path: Path) -> str:
        xml = zipfile.ZipFile(path).read("xl/workbook.xml").decode()
        return " ".join(re.findall(r'"_xlnm\.Print_Area"[^>]*>([^<]*)<', xml))

    assert "一覧!" in print_ranges(master)
    _only_sheets(master, tmp_path / "report.xlsx", ["報告書"])
    assert "一覧!" not in print_ranges(tmp_path / "report.xlsx")
    _only_sheets(master, tmp_path / "table.xlsx", ["一覧"])
    assert "一覧!" in print_ranges(tmp_path / "table.xlsx")
