"""Docs that fail the build when stale: generated blocks, the quick start, CI's command."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib

from tests.conftest import ROOT

QUICK_START = re.compile(r"## Quick start\n(?P<body>.*?)\n## ", re.S)


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = QUICK_START.search(readme)
    assert match, "README.md has no '## Quick start' section"
    return re.findall(r"```sh\n(.*?)\n```", match["body"], re.S)


def test_generated_docs_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr + "\nrun: python docs/generate.py"


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert "\n" not in commands[0]
    assert "\n" not in commands[1]
    assert commands[0].endswith("kpibook demo")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_ci_runs_the_slow_tests_too() -> None:
    """`-m "not slow"` is for the quick loop only: pytest's own options select nothing."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ini = pyproject["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in ini["markers"])
    assert not [o for o in shlex.split(ini["addopts"]) if o.startswith(("-m", "-k"))]


def test_quick_start_demo_example_exists() -> None:
    from kpibook.examples import example_names

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"--example\s+([a-z][\w-]+)", readme)
    assert named
    for name in named:
        assert name in example_names(), name


def test_every_module_is_described_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "kpibook").glob("*.py")):
        if path.name.startswith("__"):
            continue
        assert f"`{path.name}`" in readme, path
