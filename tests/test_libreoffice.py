"""Real client: LibreOffice (headless) opens every generated form and prints it to PDF.

These tests skip on a machine without LibreOffice, but never in CI, where .ci/run
installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from kpibook.forms import generate_forms
from kpibook.plan import Plan

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
_skip_without_libreoffice = pytest.mark.skipif(
    (SOFFICE is None or PDFTOTEXT is None) and not os.environ.get("CI"),
    reason="LibreOffice and poppler-utils are not installed",
)
Test = TypeVar("Test", bound=Callable[..., object])


def needs_libreoffice(test: Test) -> Test:
    """A real-client test: slow (seconds per LibreOffice run), and skipped where
    LibreOffice is missing, except in CI."""
    pytest.mark.slow(test)  # a mark is stored on the function itself
    _skip_without_libreoffice(test)
    return test


def to_pdf(files: list[Path], outdir: Path) -> list[Path]:
    """Print to PDF with one LibreOffice run."""
    return convert(files, outdir, "pdf", ".pdf")


def resave_xlsx(files: list[Path], outdir: Path) -> list[Path]:
    """Open and save as .xlsx in LibreOffice, as a department using it would."""
    return convert(files, outdir, "xlsx:Calc MS Excel 2007 XML", ".xlsx")


def convert(
    files: list[Path], outdir: Path, target: str, suffix: str, infilter: str | None = None
) -> list[Path]:
    """Convert with one LibreOffice run (a private profile, so runs do not collide)."""
    assert SOFFICE is not None, "LibreOffice is required (CI installs libreoffice-calc-nogui)"
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir.parent / f".profile-{outdir.name}"
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            *([f"--infilter={infilter}"] if infilter else []),
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = [outdir / (f.stem + suffix) for f in files]
    missing = [p.name for p in out if not p.exists()]
    assert not missing, f"LibreOffice did not convert {missing}: {result.stderr}"
    return out


def pdf_text(pdf: Path) -> str:
    assert PDFTOTEXT is not None
    out = subprocess.run(
        [PDFTOTEXT, "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return out.stdout


@needs_libreoffice
@pytest.mark.parametrize("which", ["card", "matrix"])
def test_every_form_opens_and_prints_in_libreoffice(
    which: str, tmp_path: Path, card_plan: Plan, matrix_plan: Plan
) -> None:
    plan = card_plan if which == "card" else matrix_plan
    forms = generate_forms(plan, tmp_path / "forms")
    pdfs = to_pdf([f.path for f in forms], tmp_path / "pdf")
    for form, pdf in zip(forms, pdfs, strict=True):
        pages = pdf_text(pdf).split("\f")
        assert "記入要領" in pages[0]
        # Only the form's pages carry the page header (title and department), so the
        # instructions' list of inputs cannot make this pass on its own.
        header = f"{plan.title}{form.department}"
        form_pages = [p for p in pages if header in "".join(p.split())]
        assert form_pages, f"no page of {form.path.name} has the header {header!r}"
        text = "".join("".join(form_pages).split())  # -raw keeps cells whole; wraps split
        for project in plan.projects:
            if form.department in project.departments:
                assert "".join(project.name.split()) in text, (form.department, project.name)
