"""Plain sheets read by regular expressions (``kpibook/xlsx_sheetdata.py``) exactly as by
their element tree: on every fixture, every form the tests write, every fuzzed mutant,
and the hostile shapes the scan must leave to the tree."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import pytest

from kpibook.entries import Entries
from kpibook.forms.fill import write_filled_forms
from kpibook.plan import Plan
from kpibook.xlsx_sheetdata import MAIN, scan, scan_strings
from tests import sheetdata
from tests.test_fuzz import _seeds, mutants, rezip

FIXTURES = Path(__file__).parent / "fixtures"


def _sheets(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


def test_every_fixture_reads_the_same_both_ways() -> None:
    books = sorted(FIXTURES.rglob("*.xlsx"))
    assert len(books) >= 10
    for path in books:
        assert sheetdata.differs(path, probe="kpibook.labels") is None
        assert sheetdata.differs(path) is None


@pytest.mark.parametrize("layout", ["card", "matrix", "prefecture"])
def test_written_forms_are_plain_and_read_the_same_both_ways(
    layout: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    plan: Plan = request.getfixturevalue(f"{layout}_plan")
    entries: Entries = request.getfixturevalue(f"{layout}_entries")
    forms = write_filled_forms(plan, entries, tmp_path)
    assert forms
    for form in forms:
        assert sheetdata.differs(form.path, probe="kpibook.labels") is None
        plain = [name for name, data in _sheets(form.path).items() if scan(data) is not None]
        assert len(plain) >= 2, f"{form.path.name}: the form's sheets were not read plainly"


def _form(tmp_path: Path, plan: Plan, entries: Entries) -> tuple[Path, str, bytes]:
    form = write_filled_forms(plan, entries, tmp_path / "seed")[0]
    sheets = _sheets(form.path)
    part = max(sheets, key=lambda n: len(sheets[n]))  # the form sheet
    return form.path, part, sheets[part]


def _with(path: Path, part: str, data: bytes, out: Path) -> Path:
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    out.write_bytes(rezip({**parts, part: data}))
    return out


NS = f'xmlns="{MAIN}"'
HIDDEN = (
    '<x:sheetData><x:row r="1"><x:c r="A1" t="str"><x:v>hidden</x:v></x:c></x:row></x:sheetData>'
)
HOSTILE: dict[str, tuple[str, str]] = {
    # a shape the scan must not read: (what to find in the sheet, what to put there)
    "a prefix bound to the main namespace": (
        "<sheetData>",
        HIDDEN + "<sheetData>",
    ),
    "the main namespace spelled with a character reference": (
        "<sheetData>",
        HIDDEN + "<sheetData>",
    ),
    "sheetData not a child of the root": ("<sheetData>", "<extLst><sheetData>"),
    "a row in another default namespace": ("<row ", '<row xmlns="urn:other" '),
    "a comment hiding a cell": ("</row>", '<!-- <c r="A1" t="str"><v>x</v></c> --></row>'),
    "a value in CDATA": ("<v>", "<v><![CDATA[7]]></v><v>"),
    "mergeCells before sheetData": (
        "<sheetData>",
        '<mergeCells><mergeCell ref="A1:C3"/></mergeCells><sheetData>',
    ),
    "mergeCells inside another element": (
        "</sheetData>",
        '</sheetData><extLst><mergeCells><mergeCell ref="A1:C3"/></mergeCells></extLst>',
    ),
    "attributes in another order": ('<c r="', '<c s="0" r="'),
    "a character reference in a value": ("<v>", "<v>&#49;"),
    "a carriage return in a value": ("<v>", "<v>\r"),
    "a processing instruction": ("<sheetData>", "<?pi x?><sheetData>"),
    "a processing instruction, no declaration": ("<sheetData>", "<?pi x?><sheetData>"),
    "a comment, no other '!'": ("<sheetData>", "<!----><sheetData>"),
    "a root that is no worksheet": ("<worksheet ", "<notasheet "),
    "an undefined entity": ("<v>", "<v>&bogus;"),
    "not well-formed": ("</row>", "</rows>"),
    "an inline string": ("<c r=", '<c r="ZZ99" t="inlineStr"><is><t>x</t></is></c><c r='),
    "a formula": ("<c r=", '<c r="ZZ99"><f>1+1</f><v>2</v></c><c r='),
    "a second sheetData": ("</sheetData>", '</sheetData><sheetData><row r="1"/></sheetData>'),
    "a tab in a merge's reference": ('<mergeCell ref="', '<mergeCell ref="\t'),
    "a row without its number": ('<row r="', '<row spans="1:1" r="'),
    "AlternateContent": ("</sheetData>", '</sheetData><mc:AlternateContent xmlns:mc="urn:mc"/>'),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_shapes_are_left_to_the_tree(
    case: str, tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    path, part, original = _form(tmp_path, card_plan, card_entries)
    find, put = HOSTILE[case]
    text = original.decode()
    assert find in text, case
    if case == "a prefix bound to the main namespace":
        text = text.replace(NS, f'{NS} xmlns:x="{MAIN}"', 1)
    if case == "the main namespace spelled with a character reference":
        spelled = MAIN.replace("main", "m&#97;in")
        text = text.replace(NS, f'{NS} xmlns:x="{spelled}"', 1)
    if case == "a processing instruction, no declaration":
        text = text[text.index("?>") + 2 :].lstrip()
    if case == "a comment, no other '!'":
        text = text.replace("!", "")  # the form's data validations name other sheets
    if case == "sheetData not a child of the root":
        text = text.replace("</sheetData>", "</sheetData></extLst>", 1)
    text = text.replace(find, put, 1)
    data = text.encode()
    assert scan(data) is None, case
    mutant = _with(path, part, data, tmp_path / path.name)
    assert sheetdata.differs(mutant, probe="kpibook.labels") is None


def test_whitespace_between_rows_and_cells_is_read_plainly(
    tmp_path: Path, matrix_plan: Plan, matrix_entries: Entries
) -> None:
    path, part, original = _form(tmp_path, matrix_plan, matrix_entries)
    spaced = re.sub(rb"(<row |</row>|<c r=)", rb"\n  \1", original)
    assert scan(spaced) is not None
    mutant = _with(path, part, spaced, tmp_path / path.name)
    assert sheetdata.differs(mutant, probe="kpibook.labels") is None


def test_every_fuzzed_mutant_reads_the_same_both_ways(
    tmp_path: Path,
    card_plan: Plan,
    card_entries: Entries,
    matrix_plan: Plan,
    matrix_entries: Entries,
) -> None:
    """The fuzzer's mutations (``tests/test_fuzz.py``), each mutant read both ways."""
    seeds = _seeds(tmp_path / "seeds", [(card_plan, card_entries), (matrix_plan, matrix_entries)])
    count = int(os.environ.get("KPIBOOK_FUZZ", "1200")) // 2
    plain = 0
    failures = []
    for number, seed, kind, what, data in mutants(seeds, count):
        path = tmp_path / seed.name
        path.write_bytes(data)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                plain += scan(z.read(seed.sheet)) is not None
        except Exception:
            pass  # the zip or the part is damaged: the reader says so, both ways
        unlike = sheetdata.differs(path, probe="kpibook.labels")
        if unlike is not None:
            failures.append(f"mutant {number} ({kind}: {what[:100]}): {unlike}")
    assert not failures, "\n".join(failures[:20])
    assert plain > count // 4, "too few mutants were read plainly to prove anything"


def test_parts_unpacked_by_preflight_are_read_as_from_the_zip(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    from kpibook.returns.preflight import preflight
    from kpibook.xlsx_scan import read_form_book

    path, part, _ = _form(tmp_path, card_plan, card_entries)
    unpacked: dict[str, bytes] = {}
    assert preflight(path, unpacked) is None
    assert part in unpacked
    assert "xl/sharedStrings.xml" in unpacked
    kept = read_form_book(path, probe="kpibook.labels", unpacked=unpacked)
    again = read_form_book(path, probe="kpibook.labels")
    assert (kept.names, kept.unions, kept.cells, kept.merged, kept.probed) == (
        again.names,
        again.unions,
        again.cells,
        again.merged,
        again.probed,
    )


STRINGS: dict[str, tuple[str, str, bool]] = {
    # (what to find in the shared strings, what to put there, read plainly)
    "the five entities": ("<si><t>", "<si><t>&lt;a&gt; &amp;lt; &quot;&apos; ", True),
    "an escape Excel decodes": ("<si><t>", "<si><t>_x000D__x0041_ _x005F_x0041_", True),
    "kept spaces": ("<si><t>", '<si><t xml:space="preserve">  ', True),
    "white space between items": ("<si>", "\n  <si>", True),
    "rich text": ("<si><t>", "<si><r><t>太字</t></r><t>", False),
    "a phonetic run": ("</t></si>", '</t><rPh sb="0" eb="1"><t>ヨミ</t></rPh></si>', False),
    "an empty item": ("<si>", "<si><t/></si><si>", False),
    "a carriage return": ("<si><t>", "<si><t>\r", False),
    "a character reference": ("<si><t>", "<si><t>&#65;", False),
    "a comment": ("<si>", "<!-- x --><si>", False),
    "a prefix bound to the main namespace": (
        "<si>",
        f'<x:si xmlns:x="{MAIN}"><x:t>x</x:t></x:si><si>',
        False,
    ),
    "another root": ("<sst ", "<notsst ", False),
}


@pytest.mark.parametrize("case", sorted(STRINGS))
def test_shared_strings_read_plainly_or_left_to_the_tree(
    case: str, tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    path, _, _ = _form(tmp_path, card_plan, card_entries)
    with zipfile.ZipFile(path) as z:
        original = z.read("xl/sharedStrings.xml").decode()
    find, put, plain = STRINGS[case]
    assert find in original, case
    text = original.replace(find, put, 1)
    if case == "another root":
        text = text.replace("</sst>", "</notsst>")
    data = text.encode()
    assert (scan_strings(data) is not None) is plain, case
    mutant = _with(path, "xl/sharedStrings.xml", data, tmp_path / path.name)
    assert sheetdata.differs(mutant, probe="kpibook.labels") is None
