"""The library API: the example in docs/api.md runs as written, and the CLI uses the
same functions."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import kpibook
from kpibook import api
from tests.conftest import ROOT


def test_the_documented_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)\n```", doc, re.S)
    assert code is not None
    monkeypatch.chdir(tmp_path)
    exec(compile(code[1], "docs/api.md", "exec"), {})
    assert (tmp_path / "master.xlsx").stat().st_size > 0
    assert (tmp_path / "open-data" / "datapackage.json").is_file()
    assert len(list((tmp_path / "forms").glob("*.xlsx"))) == 7


def test_every_parameter_after_the_first_is_keyword_only() -> None:
    for name in kpibook.__all__:
        function = getattr(kpibook, name)
        if not inspect.isfunction(function) or name in ("return_files", "load_template"):
            continue
        params = list(inspect.signature(function).parameters.values())
        positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        allowed = 2 if name in ("export_plan",) else 1
        assert len(positional) <= allowed, (name, positional)


def test_every_call_is_documented() -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in kpibook.__all__:
        if name != "Merged":
            assert f"`{name}(" in doc, name


def test_the_cli_calls_the_library_api() -> None:
    """The commands that the API covers go through kpibook.api, not around it."""
    cli = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "kpibook" / "cli").glob("*.py"))
    for name in ("generate_forms", "check_returns", "merge_returns", "write_master"):
        assert f"api.{name}(" in cli, name


def test_import_kpibook_stays_cheap() -> None:
    import subprocess
    import sys

    probe = "import sys, kpibook; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
    assert kpibook.load_plan is api.load_plan
