"""The built-in worked examples (``examples/`` in the source tree, shipped in the wheel)."""

from __future__ import annotations

from pathlib import Path

from kpibook.errors import KpibookError
from kpibook.message import Message
from kpibook.resources import data_dir

PLAN_FILE = "plan.yaml"
ENTRIES_FILE = "entries.yaml"
TEMPLATE_FILE = "template.yaml"
"""An example's own form template, when it prints differently from the built-in one."""


def examples_root() -> Path:
    """Where the built-in examples are."""
    return data_dir("examples")


def example_names() -> list[str]:
    root = examples_root()
    return sorted(p.name for p in root.iterdir() if (p / PLAN_FILE).is_file())


def example_dir(name: str) -> Path:
    names = example_names()
    if name not in names:
        raise KpibookError(
            Message(
                ja=f"例「{name}」はありません",
                en=f"no built-in example {name!r}; choose one of: {', '.join(names)}",
            )
        )
    return examples_root() / name
