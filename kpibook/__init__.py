"""kpibook: collect, check and consolidate plan-progress workbooks for Japanese city offices.

The library API (``docs/api.md``) is :mod:`kpibook.api`, re-exported here and imported
on first use, so that ``import kpibook`` (and ``kpibook --help``) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Merged",
    "check_returns",
    "export_master",
    "export_plan",
    "generate_forms",
    "load_plan",
    "load_template",
    "merge_returns",
    "read_master",
    "return_files",
    "write_master",
]

if TYPE_CHECKING:
    from kpibook.api import (
        Merged,
        check_returns,
        export_master,
        export_plan,
        generate_forms,
        load_plan,
        load_template,
        merge_returns,
        read_master,
        return_files,
        write_master,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:
        from kpibook import api

        return getattr(api, name)
    raise AttributeError(f"module 'kpibook' has no attribute {name!r}")
