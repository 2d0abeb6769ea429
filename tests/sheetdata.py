"""Reading a return both ways: plain sheets by regular expressions, and every sheet by its
element tree (``kpibook/xlsx_sheetdata.py``).  The two must read the same, or refuse
the file with the same error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kpibook import xlsx_scan


def outcome(path: Path, plain: bool, scan_rows: int = 60, probe: str | None = None) -> Any:
    """Everything the reader gives for ``path`` (or its error), with plain sheets read by
    regular expressions or not."""
    was = xlsx_scan._Reader.plain_sheets
    xlsx_scan._Reader.plain_sheets = plain
    try:
        book = xlsx_scan.read_form_book(path, scan_rows, probe)
    except Exception as exc:
        return type(exc).__name__, str(exc)
    finally:
        xlsx_scan._Reader.plain_sheets = was
    return {
        "sheetnames": book.sheetnames,
        "names": book.names,
        "unions": book.unions,
        "ranges": book.ranges,
        "merged": book.merged,
        "cells": book.cells,
        "probed": book.probed,
        "renamed": book.renamed,
        "notes": book.notes,
        "bad_strings": book.bad_strings,
        "percent_cells": book.percent_cells,
        "shown_as_written": book.shown_as_written,
        "strings": book.strings,
    }


def differs(path: Path, scan_rows: int = 60, probe: str | None = None) -> str | None:
    """What the two ways read differently (None: nothing)."""
    tree = outcome(path, False, scan_rows, probe)
    plain = outcome(path, True, scan_rows, probe)
    if tree == plain:
        return None
    if isinstance(tree, tuple) or isinstance(plain, tuple):
        return f"{path}: tree {tree if isinstance(tree, tuple) else 'reads'}, plain " + (
            f"{plain}" if isinstance(plain, tuple) else "reads"
        )
    keys = [k for k in tree if tree[k] != plain[k]]
    return f"{path}: {', '.join(keys)} differ"
