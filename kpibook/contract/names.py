"""Defined names of a form's cells: built by the writer, found and parsed by the reader.

Every input cell and every prefilled value has a workbook-level defined name, so a
reader finds it wherever rows were inserted, and never by guessing positions::

    kpi.<project>.<field>                  kpi.p01.activity_report, kpi.p01.self_grade
    kpi.<project>.<indicator>.<part>       kpi.p01.p01_01.actual (input), .state, .note
                                           .t2019 / .final / .a2018 (prefilled)
                                           .base / .o2019 / .ofinal (prefilled, v3)
    kpisec.<section>.<part>                kpisec.1_02.grade, .explanation (form version 3:
                                           the owner's evaluation of a section)

An id is encoded so that the name is a valid Excel name and the encoding is
injective: ``_`` → ``__``, ``-`` → ``_0``, ``.`` → ``_1``.  Encoded ids hold only ASCII
letters, digits and ``_``, so the dots between the parts are unambiguous and
:meth:`NameScheme.parse` inverts the builders.  Excel and LibreOffice compare names
without regard to case; the plan refuses ids that differ only in case, so two names of
one form never collide.

Version 3 names only the inputs one by one; the prefilled cells of a project's texts
and of each indicator are found through one name per group whose reference lists the
cells (``kpi.p01.p01_01.prefilled`` → ``'記入様式'!$F$8,'記入様式'!$G$8,...``), so a form
has about a third of the names (a national form: 243 instead of 703) and the cells
still move with inserted rows as names do.  The per-cell names above remain the keys
by which the contract lists and the checker reports prefilled cells.

Form version 1 left ``.`` in ids as it was, so project ``q.r`` with indicator ``s`` and
project ``q`` with indicator ``r.s`` shared a name; forms of that version are still read
with their own scheme (:data:`SCHEMES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

NAME_PREFIX = "kpi"
SECTION_PREFIX = "kpisec"
"""Names of a section's evaluation: another prefix, so they never meet a project's."""
SECTION_PARTS = ("grade", "explanation")
EXCEL_NAME_MAX = 255
"""Excel refuses a defined name longer than this."""

_ENCODE_V1 = str.maketrans({"_": "__", "-": "_0"})
_ENCODE = str.maketrans({"_": "__", "-": "_0", ".": "_1"})


@lru_cache(maxsize=4096)
def _encoded(identifier: str, dots: bool) -> str:
    """A form's ids are encoded again for every name made of them (an indicator's for
    each of its cells): each once."""
    return identifier.translate(_ENCODE if dots else _ENCODE_V1)


_DECODE = {"__": "_", "_0": "-", "_1": "."}
_TOKEN = re.compile(r"_[_01]|[A-Za-z0-9]")
_PART = re.compile(r"^(?:t\d{4}|a\d{4}|final|actual|state|note)$")
_PART_V3 = re.compile(
    r"^(?:t\d{4}|a\d{4}|o\d{4}|final|ofinal|base|actual|state|note|f_[a-z][a-z0-9_]*|prefilled)$"
)
"""Version 3 adds custom fields (``f_<key>``), the baseline (``base``), the original of a
revised target (``o2019``, ``ofinal``) and the groups of prefilled cells (``prefilled``)."""
FIELD_PREFIX = "f_"
"""Names of custom fields (form version 3): ``kpi.p01.f_source``, ``kpi.p01.i1.f_rank``."""
PREFILLED = "prefilled"
"""The last part of a version-3 name that points at a group of prefilled cells."""


@dataclass(frozen=True)
class NameRef:
    """What a defined name of the scheme points at."""

    project: str
    indicator: str | None
    part: str
    """The field (project level) or the part (indicator level)."""


@dataclass(frozen=True)
class NameScheme:
    """The names of one form version."""

    form_version: int
    encode_dots: bool
    custom_fields: bool = False
    """Whether the form has cells of custom fields (version 3)."""
    names_each_prefilled: bool = True
    """Versions 1 and 2 give every prefilled cell its own name; version 3 names only the
    inputs one by one, and each group of prefilled cells (a project's texts, an
    indicator's targets and past actuals) with one name over all of its cells."""

    def encode(self, identifier: str) -> str:
        """An id as a defined-name part (``p-1.a_b`` → ``p_01_1a__b``)."""
        return _encoded(identifier, self.encode_dots)

    def project(self, project: str, field: str) -> str:
        """``kpi.p01.activity_report``: a project's own input or prefilled text."""
        return f"{NAME_PREFIX}.{self.encode(project)}.{field}"

    def indicator(self, project: str, indicator: str, part: str) -> str:
        """``kpi.p01.p01_01.actual``: an indicator's input (``actual``, ``state``,
        ``note``) or prefilled value (``t2019`` target, ``final`` target, ``a2018`` past
        actual; from version 3 ``base`` baseline, ``o2019`` / ``ofinal`` original target
        of a revised one)."""
        return f"{NAME_PREFIX}.{self.encode(project)}.{self.encode(indicator)}.{part}"

    def section(self, section: str, part: str) -> str:
        """``kpisec.1_02.grade``: the owner's evaluation of a section (``grade``,
        ``explanation``); form version 3 and later."""
        return f"{SECTION_PREFIX}.{self.encode(section)}.{part}"

    def field(self, project: str, key: str, indicator: str | None = None) -> str:
        """``kpi.p01.f_source`` / ``kpi.p01.i1.f_rank``: a custom field's cell, prefilled
        (the coordinator's) or an input (the department's)."""
        part = f"{FIELD_PREFIX}{key}"
        if indicator is None:
            return self.project(project, part)
        return self.indicator(project, indicator, part)

    def group(self, name: str) -> str:
        """The name of the group a prefilled cell's own name (``kpi.p01.p01_01.t2019``)
        belongs to in version 3: ``kpi.p01.p01_01.prefilled``, or ``kpi.p01.prefilled``
        for a project's texts.  A group's name points at its cells in the order
        :func:`kpibook.contract.inputs.prefilled_keys` lists them."""
        head, _, _ = name.rpartition(".")
        return f"{head}.{PREFILLED}"

    def parse(self, name: str) -> NameRef | None:
        """The reference a defined name of this scheme makes; None for any other name
        (and, in version 1, for a name whose ids held dots: it cannot be told apart)."""
        parts = name.split(".")
        if parts[0] != NAME_PREFIX or len(parts) not in (3, 4):
            return None
        try:
            project = decode_id(parts[1])
            if len(parts) == 3:
                return NameRef(project, None, parts[2]) if parts[2].isidentifier() else None
            if not (_PART_V3 if self.custom_fields else _PART).match(parts[3]):
                return None
            return NameRef(project, decode_id(parts[2]), parts[3])
        except ValueError:
            return None


def decode_id(encoded: str) -> str:
    """The id an encoding made; ValueError for a part no encoding makes."""
    tokens = _TOKEN.findall(encoded)
    if not tokens or "".join(tokens) != encoded:
        raise ValueError(f"not an encoded id: {encoded!r}")
    return "".join(_DECODE.get(t, t) for t in tokens)


def casefold_key(identifier: str) -> str:
    """What Excel compares when it compares names: two ids with the same key would give
    one form two inputs of one name."""
    return identifier.casefold()


SCHEMES = {
    1: NameScheme(1, encode_dots=False),
    2: NameScheme(2, encode_dots=True),
    # version 3: custom fields; and (performance part) prefilled cells named by group
    3: NameScheme(3, encode_dots=True, custom_fields=True, names_each_prefilled=False),
}
"""The name scheme of each form version a reader accepts."""
CURRENT = SCHEMES[max(SCHEMES)]
"""The scheme ``kpibook generate`` writes."""
project_name = CURRENT.project
indicator_name = CURRENT.indicator
field_name = CURRENT.field
parse_name = CURRENT.parse
encode_id = CURRENT.encode
