"""Seeded mutation fuzzing of returned forms: a damaged file is that file's finding.

Filled forms of both examples are mutated -- bytes of the zip, bytes inside an XML part
(re-zipped), and structured changes (cell types, huge numbers, bad string indexes,
duplicate cells, missing parts, names pointing elsewhere, merges, escapes, hidden rows)
-- and each mutant is checked.  Every mutant must give a ReturnResult that prints as
JSON, without the last-resort boundary of ``check_return`` firing (every exception a
damaged file raises is handled where it is read) and within the watchdog's time; a
mutant that still checks clean must have merged exactly what its XML shows, as
openpyxl (``tests/oracle.py``) reads its input cells.

``KPIBOOK_FUZZ=N`` runs N mutants (default 1,200, under a minute);
``KPIBOOK_FUZZ_SEED`` picks another seed.  A failure names the seed and the mutant's
number and keeps the mutant's file.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import signal
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kpibook.contract.content import form_content
from kpibook.contract.fingerprint import Fingerprinter
from kpibook.contract.inputs import FormInput, form_inputs
from kpibook.contract.names import SCHEMES
from kpibook.contract.specs import STATE_KINDS
from kpibook.entries import Entries, ProjectEntry
from kpibook.forms.fill import write_filled_forms
from kpibook.plan import Plan
from kpibook.returns.check import ReturnResult, check_return
from kpibook.returns.normalize import fold_choice
from kpibook.template import load_template
from kpibook.values import ValueKind
from kpibook.xlsx_scan import FormBook
from kpibook.xlsx_scan import read_form_book as fast_reader
from tests import oracle

MUTANTS = int(os.environ.get("KPIBOOK_FUZZ", "1200"))
SEED = int(os.environ.get("KPIBOOK_FUZZ_SEED", "14"))
WATCHDOG = 20
"""Seconds one mutant may take before it counts as a hang (a check takes milliseconds)."""


# -- the seeds ---------------------------------------------------------------------------


@dataclass
class Seed:
    plan: Plan
    fingerprints: Fingerprinter
    name: str
    raw: bytes
    parts: dict[str, bytes]
    sheet: str
    """The part of the sheet holding the inputs."""


def mutants(seeds: list[Seed], count: int) -> Iterator[tuple[int, Seed, str, str, bytes]]:
    """The fuzzer's mutants in order, (number, seed, kind, what was done, bytes): every
    kind of mutation once, then kinds at random (from ``SEED``, so always the same)."""
    rng = random.Random(SEED)
    names = sorted(MUTATIONS)
    for number in range(count):
        seed = seeds[number % len(seeds)]
        kind = names[number % len(names)] if number < len(names) else rng.choice(names)
        what, data = MUTATIONS[kind](rng, seed)
        yield number, seed, kind, what, data


def _seeds(tmp: Path, plans: list[tuple[Plan, Entries]]) -> list[Seed]:
    seeds = []
    for plan, entries in plans:
        fingerprints = Fingerprinter(plan, load_template(plan.layout))
        for form in write_filled_forms(plan, entries, tmp / plan.id)[:3]:
            raw = form.path.read_bytes()
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                parts = {i.filename: z.read(i) for i in z.infolist()}
            book = fast_reader(form.path)
            sheet = next(c.sheet for c in book.names.values() if c and c.sheet)
            wb = parts["xl/workbook.xml"].decode()
            rid = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+" r:id="(\w+)"', wb)
            assert rid
            rels = parts["xl/_rels/workbook.xml.rels"].decode()
            target = re.search(rf'Id="{rid[1]}" Type="[^"]*" Target="([^"]+)"', rels)
            assert target
            seeds.append(Seed(plan, fingerprints, form.path.name, raw, parts, "xl/" + target[1]))
    return seeds


def rezip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(zipfile.ZipInfo(name, (2024, 5, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


# -- mutations ---------------------------------------------------------------------------

Mutation = Callable[[random.Random, Seed], tuple[str, bytes]]
MUTATIONS: dict[str, Mutation] = {}


def mutation(fn: Mutation) -> Mutation:
    MUTATIONS[fn.__name__] = fn
    return fn


FRAGMENTS = [
    "<row>", "</row>", "<c>", "</c>", '<c r="E17">', "<v>", "</v>", "<v>1</v>", '<c t="s">',
    "<is><t>x</t></is>", "<f>1+1</f>", "<sheetData>", "</sheetData>", "&amp;", "&#0;",
    "&#xD800;", "&bogus;", "<!--", "-->", "<![CDATA[", "]]>", "<?pi?>", "<!DOCTYPE x>",
    "\x00", "\x0b", "\ufeff", "_x000D_", "_x005F_", "_xD800_", "_xFFFF_", '"', "'", "<", ">",
    "\u3000", "\r\n", "𠮷", "ｱ", "=cmd|' /C calc'!A0",
]  # fmt: skip
NUMBERS = [
    "1e308", "1e309", "-1e309", "1E-400", "9" * 16, "9" * 5000, "nan", "inf", "-0", "0x10",
    "1_000", " 12 ", "１２", "+3", "3.", ".5", "1e5", "-1", "", "2418.0000000000001",
    "45413", "TRUE", "#DIV/0!", "2024-05-01T00:00:00",
]  # fmt: skip
TYPES = ["s", "n", "str", "b", "e", "inlineStr", "d", "zz", ""]
REFS = ["A0", "XFE1", "ZZZZ1", "e17", "", "A1048577", "$E$17", "E 17", "A99999999999", "AA1"]
INDEXES = ["-1", "-2", "1.5", "", "abc", "99999", "３", "0", " 1 ", "1e2", "9" * 30]


def _text(seed: Seed, part: str) -> str:
    return seed.parts[part].decode("utf-8", "replace")


def _with(seed: Seed, part: str, text: str) -> bytes:
    return rezip({**seed.parts, part: text.encode("utf-8", "surrogatepass")})


def _xml_part(rng: random.Random, seed: Seed) -> str:
    names = [n for n in seed.parts if n.endswith((".xml", ".rels"))]
    return rng.choice([seed.sheet, "xl/sharedStrings.xml", "xl/workbook.xml", *names])


def _pick(rng: random.Random, pattern: str, text: str) -> re.Match[str] | None:
    found = list(re.finditer(pattern, text, re.S))
    return rng.choice(found) if found else None


def _replace(text: str, m: re.Match[str], new: str) -> str:
    return text[: m.start()] + new + text[m.end() :]


@mutation
def zip_bytes(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    data = bytearray(seed.raw)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] ^= rng.randrange(1, 256)
    return "bytes flipped in the zip", bytes(data)


@mutation
def zip_cut(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    at, length = rng.randrange(len(seed.raw)), rng.randint(1, 400)
    if rng.random() < 0.3:
        return f"cut at {at}", seed.raw[:at]
    if rng.random() < 0.5:
        return f"{length} bytes deleted at {at}", seed.raw[:at] + seed.raw[at + length :]
    return f"{length} bytes repeated at {at}", seed.raw[: at + length] + seed.raw[at:]


@mutation
def zip_headers(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    """A field of a directory entry or a local header set to an odd value."""
    data = bytearray(seed.raw)
    central = [m.start() for m in re.finditer(b"PK\x01\x02", data)]
    local = [m.start() for m in re.finditer(b"PK\x03\x04", data)]
    if rng.random() < 0.6:
        start = rng.choice(central)
        offset, size = rng.choice(
            [(8, 2), (10, 2), (16, 4), (20, 4), (24, 4), (28, 2), (30, 2), (42, 4)]
        )
    else:
        start = rng.choice(local)
        offset, size = rng.choice([(6, 2), (8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)])
    value = rng.choice([0, 1, 8, 12, 14, 99, 0xFFFF, 0xFFFFFFFF, rng.randrange(1 << (8 * size))])
    value &= (1 << (8 * size)) - 1
    data[start + offset : start + offset + size] = value.to_bytes(size, "little")
    return f"header field +{offset} at {start} = {value}", bytes(data)


@mutation
def xml_bytes(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    part = _xml_part(rng, seed)
    data = bytearray(seed.parts[part])
    for _ in range(rng.randint(1, 6)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return f"bytes changed in {part}", rezip({**seed.parts, part: bytes(data)})


@mutation
def xml_splice(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    part = _xml_part(rng, seed)
    data = seed.parts[part]
    at, length = rng.randrange(len(data)), rng.randint(1, 200)
    if rng.random() < 0.5:
        new = data[:at] + data[at + length :]
        what = "deleted"
    else:
        new = data[: at + length] + data[at:]
        what = "repeated"
    return f"{length} bytes {what} in {part} at {at}", rezip({**seed.parts, part: new})


@mutation
def xml_insert(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    part = _xml_part(rng, seed)
    text = _text(seed, part)
    at = rng.randrange(len(text))
    fragment = rng.choice(FRAGMENTS)
    return f"{fragment!r} inserted in {part} at {at}", _with(
        seed, part, text[:at] + fragment + text[at:]
    )


@mutation
def cell_type(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    text = _text(seed, seed.sheet)
    m = _pick(rng, r"<c r=\"[A-Z]+\d+\"[^>]*?(/?)>", text)
    assert m
    t = rng.choice(TYPES)
    tag = re.sub(r' t="[^"]*"', "", m[0])
    new = tag.replace("<c ", f'<c t="{t}" ', 1) if t or rng.random() < 0.5 else tag
    return f"{m[0]} typed {t!r}", _with(seed, seed.sheet, _replace(text, m, new))


@mutation
def cell_number(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    text = _text(seed, seed.sheet)
    m = _pick(rng, r"<v>[^<]*</v>", text)
    assert m
    number = rng.choice(NUMBERS)
    return f"{m[0]} -> {number[:20]}", _with(
        seed, seed.sheet, _replace(text, m, f"<v>{number}</v>")
    )


@mutation
def string_index(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    text = _text(seed, seed.sheet)
    m = _pick(rng, r'(<c [^>]*t="s"[^>]*>)<v>\d+</v>', text)
    assert m
    index = rng.choice([*INDEXES, str(rng.randrange(400))])
    new = f"{m[1]}<v>{index}</v>"
    return f"{m[0]} -> index {index!r}", _with(seed, seed.sheet, _replace(text, m, new))


@mutation
def duplicate_cell(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    text = _text(seed, seed.sheet)
    m = _pick(rng, r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', text)
    assert m
    other = f'<c r="{m[1]}"><v>{rng.choice([*NUMBERS[:6], "7"])}</v></c>'
    new = m[0] + other if rng.random() < 0.5 else other + m[0]
    return f"{m[1]} twice", _with(seed, seed.sheet, _replace(text, m, new))


@mutation
def duplicate_row(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    text = _text(seed, seed.sheet)
    m = _pick(rng, r"<row [^>]*>.*?</row>", text)
    assert m
    return "a row twice", _with(seed, seed.sheet, _replace(text, m, m[0] + m[0]))


@mutation
def drop_part(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    part = rng.choice(list(seed.parts))
    return f"{part} dropped", rezip({n: d for n, d in seed.parts.items() if n != part})


@mutation
def cell_ref(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    text = _text(seed, seed.sheet)
    m = _pick(rng, r'<c r="[A-Z]+\d+"', text)
    assert m
    ref = rng.choice(REFS)
    new = f'<c r="{ref}"' if ref or rng.random() < 0.5 else "<c"
    return f"{m[0]} -> {new}", _with(seed, seed.sheet, _replace(text, m, new))


@mutation
def row_ref(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    text = _text(seed, seed.sheet)
    m = _pick(rng, r'<row r="\d+"', text)
    assert m
    r = rng.choice(["0", "-1", "abc", "", "1048577", "99999999999", "1", "3", "17"])
    return f"{m[0]} -> {r}", _with(seed, seed.sheet, _replace(text, m, f'<row r="{r}"'))


@mutation
def style_ref(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    text = _text(seed, seed.sheet)
    m = _pick(rng, r' s="\d+"', text)
    assert m
    s = rng.choice(["-1", "99999", "abc", "", "0", "1", "14", "22"])
    return f"style {m[0]} -> {s}", _with(seed, seed.sheet, _replace(text, m, f' s="{s}"'))


@mutation
def styles(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    """A number format made a date, a duration, or unreadable."""
    text = _text(seed, "xl/styles.xml")
    m = _pick(rng, r'numFmtId="\d+"', text)
    assert m
    new = rng.choice(
        ['numFmtId="14"', 'numFmtId="46"', 'numFmtId="-1"', 'numFmtId="x"', 'numFmtId="164"']
    )
    text = _replace(text, m, new)
    if rng.random() < 0.3:
        text = re.sub(r'formatCode="[^"]*"', 'formatCode="yyyy-mm-dd"', text, count=1)
    return f"{m[0]} -> {new}", _with(seed, "xl/styles.xml", text)


@mutation
def defined_name(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    text = _text(seed, "xl/workbook.xml")
    m = _pick(rng, r"(<definedName name=\"[^\"]+\"[^>]*>)([^<]*)(</definedName>)", text)
    assert m
    sheet = m[2].split("!")[0] if "!" in m[2] else "'x'"
    col, row = rng.choice("ABCDEFG"), rng.randint(1, 40)
    target = rng.choice(
        [
            f"{sheet}!${col}${row}",
            "#REF!$E$17",
            f"{sheet}!$A$1:$F$40",
            "'無い'!$A$1",
            "",
            m[2] + m[2],
            f"{sheet}!$E:$E",
            f"{sheet}!$XFD$1048576",
        ]
    )
    new = m[1] + target + m[3]
    if rng.random() < 0.3:
        new = m[0] + new  # the name twice
    return f"{m[1]}{target}", _with(seed, "xl/workbook.xml", _replace(text, m, new))


@mutation
def merges(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    text = _text(seed, seed.sheet)
    count = rng.choice([1, 1, 3, 2000])
    refs = []
    for _ in range(count):
        c1, r1 = rng.randint(0, 6), rng.randint(1, 40)
        c2, r2 = c1 + rng.randint(0, 2), r1 + rng.choice([0, 1, 3, 100_000])
        refs.append(f'<mergeCell ref="{chr(65 + c1)}{r1}:{chr(65 + c2)}{r2}"/>')
    block = "".join(refs)
    if "</mergeCells>" in text:
        text = text.replace("</mergeCells>", block + "</mergeCells>", 1)
    else:
        text = text.replace("</sheetData>", f"</sheetData><mergeCells>{block}</mergeCells>", 1)
    return f"{count} merges", _with(seed, seed.sheet, text)


@mutation
def escapes(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    part = rng.choice(["xl/sharedStrings.xml", seed.sheet])
    text = _text(seed, part)
    m = _pick(rng, r"<t(?: [^>]*)?>([^<]*)</t>", text)
    if m is None:
        return "no text", seed.raw
    escape = rng.choice(
        ["_x000D_", "_x000A_", "_x0009_", "_x0016_", "_x005F_", "_x005F_x0041_", "_x0041_",
         "_xD83D__xDE00_", "_xD800_", "_xFFFE_", "_x0000_", "_x00", "_X0041_", "\r", "\u3000"]
    )  # fmt: skip
    inner = m[1]
    at = rng.randint(0, len(inner))
    new = m[0].replace(f">{inner}<", f">{inner[:at]}{escape}{inner[at:]}<", 1)
    return f"{escape!r} in a text of {part}", _with(seed, part, _replace(text, m, new))


@mutation
def hidden_row(rng: random.Random, seed: Seed) -> tuple[str, bytes]:
    """A row where no client looks, or where clients disagree."""
    text = _text(seed, seed.sheet)
    m = _pick(rng, r'<c r="([A-Z]+)(\d+)"[^>]*><v>\d+</v></c>', text)
    if m is None:
        return "no number", seed.raw
    row = f'<row r="{m[2]}"><c r="{m[1]}{m[2]}"><v>2500</v></c></row>'
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    place = rng.choice(["extLst", "alternate", "second"])
    if place == "extLst":
        text = text.replace(
            "</worksheet>", f'<extLst><ext uri="x">{row}</ext></extLst></worksheet>'
        )
    elif place == "alternate":
        choice = f'<mc:Choice Requires="x">{row}</mc:Choice>'
        alt = f"<mc:AlternateContent {mc}>{choice}</mc:AlternateContent>"
        text = text.replace("</sheetData>", alt + "</sheetData>")
    else:
        text = text.replace("</sheetData>", f"</sheetData><sheetData>{row}</sheetData>", 1)
    return f"row {m[2]} hidden in {place}", _with(seed, seed.sheet, text)


# -- the check ---------------------------------------------------------------------------


class Hang(BaseException):
    """A mutant took longer than the watchdog allows (not an Exception: check_return must
    not turn it into a finding)."""


@contextmanager
def watchdog(seconds: int) -> Iterator[None]:
    def fire(*_: object) -> None:
        raise Hang(f"more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _normal(text: Any) -> str | None:
    """A text input as docs/security.md says it is merged."""
    if text is None:
        return None
    value = re.sub(r"\r\n?", "\n", text if isinstance(text, str) else str(text)).strip()
    return value or None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _slow_for_openpyxl(part: bytes) -> bool:
    """More merges, or merged cells, than openpyxl reads in a second (it formats every
    range, and makes an object for every merged cell)."""

    def col(letters: bytes) -> int:
        return sum((c - 64) * 26**i for i, c in enumerate(reversed(letters)))

    merges = list(MERGE.finditer(part))
    area = sum((abs(int(m[4]) - int(m[2])) + 1) * (abs(col(m[3]) - col(m[1])) + 1) for m in merges)
    return len(merges) > 300 or area > 20_000


CELL_TAG = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*?/?>')


def _later_empty_cells_removed(part: bytes) -> bytes:
    """A cell written twice keeps the value of the last one with a value in LibreOffice
    (and kpibook): a later empty cell does not clear it; openpyxl clears it."""
    seen: set[bytes] = set()

    def one(m: re.Match[bytes]) -> bytes:
        if m[0].endswith(b"/>") and m[1] in seen:
            return b""
        seen.add(m[1])
        return m[0]

    return CELL_TAG.sub(one, part)


def reference(data: bytes, path: Path) -> FormBook | None:
    """The mutant as openpyxl reads it (None: it cannot, or not quickly), corrected where
    it reads otherwise than LibreOffice: openpyxl takes a ``<row>`` or an ``<si>``
    wherever it finds one, and Excel and LibreOffice read no values from ``<extLst>``
    (test_read_as_shown checks this against LibreOffice); and a later empty cell of the
    same reference clears a value for openpyxl alone."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = {i.filename: z.read(i) for i in z.infolist()}
        for name, part in parts.items():
            if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml":
                parts[name] = re.sub(rb"<extLst>.*</extLst>", b"", part, flags=re.S)
            if name.startswith("xl/worksheets/"):
                parts[name] = _later_empty_cells_removed(parts[name])
            if name.startswith("xl/worksheets/") and _slow_for_openpyxl(part):
                return None
        path.write_bytes(rezip(parts))
        with warnings.catch_warnings():  # what openpyxl says of a damaged file
            warnings.simplefilter("ignore")
            return oracle.read_form_book(path)
    except Exception:  # openpyxl fails in many ways on a damaged file
        return None


def merged_differs(seed: Seed, path: Path, result: ReturnResult, ref: FormBook) -> list[str]:
    """Where the entries merged from a clean mutant differ from its cells as openpyxl
    reads them (empty: they do not)."""
    assert result.stamp is not None
    content = form_content(seed.plan, result.stamp.department)
    inputs = form_inputs(
        content, load_template(seed.plan.layout), SCHEMES[result.stamp.form_version]
    )
    entries = {e.project: e for e in result.entries}
    warned = {(f.cell, f.code.value) for f in result.findings}
    problems = []
    for inp in inputs:
        cell = ref.names.get(inp.name)
        if cell is None:
            problems.append(f"{inp.name}: openpyxl finds no cell")
            continue
        where = f"{inp.label} ({inp.name})"
        ref_a1 = f"{_a1(cell.row, cell.col)}"
        entry = entries.get(inp.project, ProjectEntry(project=inp.project))
        if inp.field == "state":
            continue
        if inp.field == "actual":
            problems += _actual_differs(entry, inp, cell.value, ref, warned, ref_a1, where)
        elif inp.field == "self_grade":
            got, raw = entry.self_grade, cell.value
            ok = (_blank(raw) and got is None) or (
                isinstance(raw, str)
                and (
                    got == raw.strip()
                    or (
                        got == fold_choice(raw, seed.plan.grading.grades)
                        and (ref_a1, "choice-normalized") in warned
                    )
                )
            )
            if not ok:
                problems.append(f"{where}: merged {got!r}, the cell holds {raw!r}")
        elif inp.field == "actual_note":
            assert inp.indicator is not None
            value = entry.actuals.get(inp.indicator.id)
            got = value.note if value is not None else None
            if got != _normal(cell.value):
                problems.append(f"{where}: merged {got!r}, the cell holds {cell.value!r}")
        else:
            got = getattr(entry, inp.field)
            if got != _normal(cell.value):
                problems.append(f"{where}: merged {got!r}, the cell holds {cell.value!r}")
    return problems


def _actual_differs(
    entry: ProjectEntry,
    inp: FormInput,
    raw: Any,
    ref: FormBook,
    warned: set[tuple[str | None, str]],
    at: str,
    where: str,
) -> list[str]:
    assert inp.indicator is not None
    value = entry.actuals.get(inp.indicator.id)
    state_name = inp.name.rsplit(".", 1)[0] + ".state"
    state_cell = ref.names.get(state_name)
    state = state_cell.value if state_cell is not None else None
    if not _blank(state):
        expected_kind = STATE_KINDS.get(str(state).strip())
        ok = value is not None and value.kind is expected_kind
    elif _blank(raw):
        ok = value is None or value.kind is ValueKind.EMPTY
    elif isinstance(raw, bool):
        ok = False  # never merged as a number
    elif isinstance(raw, int | float):
        ok = value is not None and value.number is not None and value.number == Decimal(repr(raw))
    elif isinstance(raw, str):  # read by the rules for text numbers, always with a warning
        ok = value is not None and (
            (at, "number-normalized") in warned or (at, "dash-as-not-applicable") in warned
        )
    else:
        ok = False
    return [] if ok else [f"{where}: merged {value!r}, the cell holds {raw!r} (state {state!r})"]


def _a1(row: int, col: int) -> str:
    letters, n = "", col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


@pytest.mark.slow
def test_mutated_returns_never_crash_hang_or_merge_a_value_the_file_does_not_show(
    tmp_path: Path,
    card_plan: Plan,
    card_entries: Entries,
    matrix_plan: Plan,
    matrix_entries: Entries,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every mutant is compared below, on what it merged; conftest's comparison of every
    # name with openpyxl would fail on the hostile files openpyxl reads otherwise.
    monkeypatch.setattr("kpibook.returns.check.read_form_book", fast_reader)
    seeds = _seeds(tmp_path / "seeds", [(card_plan, card_entries), (matrix_plan, matrix_entries)])
    kept = tmp_path / "mutants"
    kept.mkdir()
    codes: Counter[str] = Counter()
    clean = 0
    unverified: Counter[str] = Counter()
    failures: list[str] = []
    oracle_cache: dict[str, FormBook | None] = {}
    started = time.monotonic()
    for number, seed, kind, what, data in mutants(seeds, MUTANTS):
        path = tmp_path / seed.name
        path.write_bytes(data)
        label = f"seed {SEED} mutant {number} ({kind}: {what[:120]})"
        failed = len(failures)
        try:
            with watchdog(WATCHDOG):
                result = check_return(
                    seed.plan, path, load_template(seed.plan.layout), seed.fingerprints
                )
            result.model_dump_json()
        except Hang:
            failures.append(f"{label}: hangs")
        else:
            codes.update(f.code for f in result.findings)
            escaped = [f.message_en for f in result.findings if "while reading it:" in f.message_en]
            if escaped:
                failures.append(f"{label}: the last-resort boundary fired: {escaped[0]}")
            elif result.ok and data != seed.raw:
                clean += 1
                key = hashlib.sha256(data).hexdigest()
                if key not in oracle_cache:
                    oracle_cache[key] = reference(data, tmp_path / "reference.xlsx")
                ref = oracle_cache[key]
                if ref is None:
                    unverified[kind] += 1  # openpyxl cannot read it; nothing to compare
                else:
                    failures += [f"{label}: {p}" for p in merged_differs(seed, path, result, ref)]
        if len(failures) > failed:
            (kept / f"{number}-{seed.name}").write_bytes(data)
    elapsed = time.monotonic() - started
    print(
        f"\nfuzz: {MUTANTS} mutants (seed {SEED}) in {elapsed:.1f} s; {clean} still clean, "
        f"openpyxl could not read {sum(unverified.values())} of them {dict(unverified)}; "
        f"findings {dict(codes.most_common())}"
    )
    assert not failures, "\n".join(failures[:30]) + f"\n(mutants kept in {kept})"
