"""Data shipped with kpibook: ``examples/`` and ``templates/`` of the source tree, which the
wheel carries inside the package (``kpibook/_data``)."""

from __future__ import annotations

from pathlib import Path

from kpibook.errors import KpibookError
from kpibook.message import Message


def data_dir(name: str) -> Path:
    """The folder ``name`` inside the installed package, or in the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise KpibookError(
        Message(
            ja=f"kpibook に付属の {name} がありません（インストールし直してください）",
            en=f"the built-in {name} are missing from this installation",
        )
    )
