"""The state of checking one return, shared by the check's parts: the plan, the form's
stamp and names once read, where its projects are, and the findings so far."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from kpibook.cells import a1
from kpibook.contract.fingerprint import Fingerprinter
from kpibook.contract.names import SCHEMES, NameScheme
from kpibook.contract.stamp import (
    FORM_VERSION,
    Stamp,
)
from kpibook.entries import SectionEntry
from kpibook.findings import Code, Finding, finding
from kpibook.plan import Plan
from kpibook.template import FormTemplate
from kpibook.xlsx_scan import (
    FormBook,
    NamedCell,
)

Label = tuple[str, str, Any, Any, tuple[int, int] | None]


@dataclass
class Check:
    plan: Plan
    template: FormTemplate
    fingerprints: Fingerprinter
    path: Path
    book: FormBook | None = None
    stamp: Stamp | None = None
    """The form's stamp, once read and valid."""
    names: NameScheme = SCHEMES[FORM_VERSION]
    """The name scheme of the form's version, once its stamp is read."""
    labels: list[Label] = field(default_factory=list)
    """The form's recorded labels where they are now: (sheet, cell, expected, found,
    (row, col) or None where the recorded cell is no reference)."""
    prefilled: dict[str, NamedCell] = field(default_factory=dict)
    """Form version 3: the prefilled cells located through their groups' names, by
    each cell's own name."""
    places: dict[str, str] = field(default_factory=dict)
    """Each project of the form as the department sees it: ``1.(1) 市民大学``; each
    section it evaluates by its number and title."""
    sections: list[SectionEntry] = field(default_factory=list)
    """The owner's evaluations read from the form."""
    preliminary: set[tuple[str, str]] = field(default_factory=set)
    """(project, indicator) of the actuals reported as 速報値."""
    findings: list[Finding] = field(default_factory=list)

    @property
    def file(self) -> str:
        return shown_name(self.path.name)

    def add(self, code: Code, cell: NamedCell | None = None, **kw: Any) -> None:
        if cell is not None and cell.sheet is not None:
            kw.setdefault("sheet", cell.sheet)
            kw.setdefault("cell", a1(cell.row, cell.col))
        shown = {k: visible(v) for k, v in kw.items()}
        self.findings.append(finding(code, self.file, words=self.words, **shown))

    @cached_property
    def words(self) -> dict[str, str]:
        return self.template.terms.words()


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(value: Any) -> Any:
    """Text from a cell or a zip as a finding shows it: a control character is written
    U+001B, never sent to the coordinator's terminal.  XML cannot hold one, but
    ``_x001B_`` decodes to ESC, and a zip's part names are any bytes."""
    if isinstance(value, str) and _CONTROL.search(value):
        return _CONTROL.sub(lambda m: f"U+{ord(m[0]):04X}", value)
    return value


def shown_name(name: str) -> str:
    """A file name as text that prints and saves anywhere: bytes that are not UTF-8 (a
    name made on a system with another encoding) are shown as ``\\xff`` escapes, instead
    of ending the report or the master with UnicodeEncodeError."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
