"""The wheel: what an installed kpibook carries, and what it leaves behind.

The examples and the form templates ship inside the package (``kpibook/_data``), the
licence in the wheel's metadata, and the script that rebuilds the examples from the seeds
stays in the repository.  These tests build the wheel as pip would and look inside.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # each builds or installs a wheel: seconds


def _data_files(folder: str) -> list[str]:
    """The files of ``folder`` in the source tree, as the wheel names them."""
    base = ROOT / folder
    return sorted(
        f"kpibook/_data/{folder}/{p.relative_to(base).as_posix()}"
        for p in base.rglob("*")
        if p.is_file()
        and not any(part.startswith((".", "__pycache__")) for part in p.relative_to(base).parts)
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [
            sys.executable,
            *("-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet"),
            *(str(ROOT), "--wheel-dir", str(out)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [built] = out.glob("kpibook-*.whl")
    return built


def test_wheel_carries_the_data_and_the_licence_but_not_the_seed_importer(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        [licence] = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert z.read(licence) == (ROOT / "LICENSE").read_bytes()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        assert "License-Expression: MIT" in z.read(metadata).decode().splitlines()
    assert not [n for n in names if n.endswith("import_seeds.py")]
    shipped = [f for f in _data_files("examples") if not f.endswith("/import_seeds.py")]
    missing = sorted(set(shipped + _data_files("templates")) - names)
    assert not missing
    assert {"kpibook/cli/__init__.py", "kpibook/cli/plans.py", "kpibook/py.typed"} <= names


def test_installed_wheel_finds_its_examples(wheel: Path, tmp_path: Path) -> None:
    """Installed (not editable, nowhere near the source tree), the examples are found."""
    site = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            *("-m", "pip", "install", "--quiet", "--no-deps", "--no-index"),
            *("--target", str(site), str(wheel)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    # The wheel's kpibook comes first on the path; the dependencies are this environment's.
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-m", "kpibook", "examples"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listed = dict(line.split("\t") for line in result.stdout.splitlines())
    expected = sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "plan.yaml").is_file())
    assert sorted(listed) == expected
    for folder in listed.values():
        assert Path(folder).is_relative_to(site / "kpibook" / "_data" / "examples"), folder
