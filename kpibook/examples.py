"""The built-in worked examples (``examples/`` in the source tree, shipped in the wheel)."""

from __future__ import annotations

from pathlib import Path

from kpibook.errors import KpibookError

PLAN_FILE = "plan.yaml"
PLAN_WORKBOOK = "plan.xlsx"
ENTRIES_FILE = "entries.yaml"


def examples_root() -> Path:
    """Where the examples are: inside the installed package, or the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / "examples", here.parent / "examples"):
        if candidate.is_dir():
            return candidate
    raise KpibookError("the built-in examples are missing from this installation")


def example_names() -> list[str]:
    root = examples_root()
    return sorted(p.name for p in root.iterdir() if (p / PLAN_FILE).is_file())


def example_dir(name: str) -> Path:
    names = example_names()
    if name not in names:
        raise KpibookError(
            f"例「{name}」はありません / no built-in example {name!r}; "
            f"choose one of: {', '.join(names)}"
        )
    return examples_root() / name
