"""The stamp: a hidden sheet that says which plan, year, department and version a form
is, and a fingerprint of what it prefills.

The writer puts :meth:`Stamp.rows` on the sheet :data:`STAMP_SHEET` under the range
:data:`STAMP_NAME`; the reader gets the rows back and :meth:`Stamp.from_rows` validates
them.  :data:`LABELS_NAME` is a range beside it listing (sheet, cell, text) of every
locked label of the form, so a reader can tell a changed label by its cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kpibook.contract.names import SCHEMES
from kpibook.fiscal import FiscalYear

FORM_FORMAT = "kpibook-form"
FORM_VERSION = max(SCHEMES)
"""The version ``kpibook generate`` writes; bumped when names, the stamp or what the
fingerprint covers change meaning (``docs/workbook-format.md`` lists the versions)."""
SUPPORTED_VERSIONS = frozenset(SCHEMES)
"""Versions a reader accepts: forms already handed out keep checking clean."""
STAMP_SHEET = "_kpibook"
STAMP_NAME = "kpibook.stamp"
LABELS_NAME = "kpibook.labels"
"""Range beside the stamp listing (sheet, cell, text) of every locked text of the form."""


class StampError(ValueError):
    """Stamp rows that do not make a stamp."""


class Stamp(BaseModel):
    """Identifies a form; written on the hidden sheet, read back by ``kpibook check``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["kpibook-form"] = Field(description="Marks the workbook as a kpibook form.")
    form_version: int = Field(description="Version of the name, stamp and fingerprint scheme.")
    plan: str = Field(description="Plan id.")
    fiscal_year: FiscalYear = Field(description="The report year.")
    department: str = Field(description="The department the form is for.")
    fingerprint: str = Field(description="SHA-256 of everything prefilled in this form.")
    generator: str = Field(description="kpibook version that wrote the form.")
    template: str | None = Field(
        default=None,
        description="SHA-256 of the form template the form was made with (version 3 on; "
        "the fingerprint hashes it through this digest).",
    )

    def rows(self) -> list[tuple[str, str]]:
        """(key, value) rows in a fixed order, every value as text."""
        return [
            ("format", self.format),
            ("form_version", str(self.form_version)),
            ("plan", self.plan),
            ("fiscal_year", str(self.fiscal_year)),
            ("department", self.department),
            ("fingerprint", self.fingerprint),
            ("generator", self.generator),
            *([("template", self.template)] if self.template is not None else []),
        ]

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]]) -> Stamp:
        """The stamp of rows read back from a workbook (values may come back as numbers)."""
        from pydantic import ValidationError

        raw = {str(row[0]): row[1] for row in rows if len(row) >= 2 and row[0] is not None}
        try:
            return cls.model_validate(
                {
                    **raw,
                    "fiscal_year": int(str(raw.get("fiscal_year"))),
                    "form_version": int(str(raw.get("form_version"))),
                }
            )
        except (ValidationError, ValueError, TypeError) as exc:
            raise StampError(str(exc).splitlines()[0]) from exc
