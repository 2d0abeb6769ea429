"""The printed page, through the real client: LibreOffice prints the forms and the masters
to PDF and poppler reads them back.

* every text a form accepts, filled to its limit with realistic Japanese, is printed
  whole in the form and in the master's 報告書 (found in the PDF's text), no printed
  line overlaps another, and no row is taller than Excel's 409 pt;
* every page of the forms, 報告書, 概要, 一覧 and 提出状況 prints its text at 8 pt or
  more (LibreOffice's word boxes of 8 pt Japanese text are about 10.4 pt high);
* the card example's 報告書 takes at most 12 pages (18 before cards were packed);
* the 茨城県 card, its years across (its own template) with a baseline, revised targets
  and a 達成率 per year, is printed and checked as the others are, and prints every value
  of its plan in the form and in 報告書.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from kpibook.entries import Entries, ProjectEntry
from kpibook.examples import TEMPLATE_FILE
from kpibook.forms import generate_forms
from kpibook.forms.fill import entry_values, write_filled_forms
from kpibook.master import write_master
from kpibook.merge import merge
from kpibook.plan import Layout, Plan
from kpibook.plantext import load_entries_yaml
from kpibook.sources import load_plan
from kpibook.template import CardTemplate, load_template
from kpibook.textfit import MAX_ROW_POINTS
from tests.conftest import EXAMPLES
from tests.test_libreoffice import needs_libreoffice, to_pdf
from tests.test_matrix_v3 import with_baseline

PDFTOTEXT = shutil.which("pdftotext")
ACROSS = EXAMPLES / "ibaraki-sousei-kpi"
CARD = Layout.CARD
MIN_BOX = 10.3
"""Points: the height of LibreOffice's word box for 8 pt Japanese text is about 10.4."""
SENTENCES = [
    "講座メニュー一覧をホームページに掲載するとともに冊子を発行して近隣センター等で配布した",
    "新型コロナウイルス感染拡大防止に配慮し、代替会場で規模を縮小して講座を実施した",
    "地域の専門相談支援機関と連携しつつ伴走支援を実施し、相談者の自立に向けた支援を行った",
    "令和6年度は相談員を増員し、多様な福祉のニーズに対応する体制を整える",
    "KIKAI OPEN MEETINGを開催し、参加者数は前年度の1,633,294件から大幅に増加した",
]


def realistic(length: int, tag: str) -> str:
    """``length`` characters of the kind departments write, every 20 or so characters
    numbered (［tag-n］) so that each stretch of it is found in one place only."""
    out: list[str] = []
    size = 0
    for n in itertools.count():
        sentence = SENTENCES[n % len(SENTENCES)]
        for k in range(0, len(sentence), 18):
            piece = f"［{tag}-{n}.{k}］{sentence[k : k + 18]}"
            out.append(piece)
            size += len(piece)
        out.append("。")
        size += 1
        if size >= length:
            break
    return "".join(out)[:length]


def at_their_limits(plan: Plan, entries: Entries) -> Entries:
    """The entries with every text (and every actual's note) at its longest."""
    template = load_template(plan.layout)
    limits: dict[str, int] = {e.key: e.max_length for e in template.texts}
    if isinstance(template, CardTemplate):
        limits[template.grade_explanation.key] = template.grade_explanation.max_length
    note = 0
    if isinstance(template, CardTemplate) and template.actual_note is not None:
        note = template.actual_note.max_length
    filled: list[ProjectEntry] = []
    for e in entries.entries:
        texts = {key: realistic(n, f"{e.project}{key[:2]}") for key, n in limits.items()}
        actuals = {
            iid: v.with_note(realistic(note, f"{iid}n")) if note else v
            for iid, v in e.actuals.items()
        }
        filled.append(e.model_copy(update={**texts, "actuals": actuals}))
    return entries.model_copy(update={"entries": filled})


@dataclass(frozen=True)
class Printed:
    """A workbook and its PDF's pages."""

    xlsx: Path
    pages: list[str]
    """Each page's text (pdftotext -raw)."""
    boxes: list[list[tuple[float, float, float, float, str]]]
    """Each page's words: x0, y0, x1, y1, text."""


def read_pdf(xlsx: Path, pdf: Path) -> Printed:
    assert PDFTOTEXT is not None
    raw = subprocess.run(
        [PDFTOTEXT, "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    bbox = subprocess.run(
        [PDFTOTEXT, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    boxes: list[list[tuple[float, float, float, float, str]]] = []
    for line in bbox.splitlines():
        if line.strip().startswith("<page"):
            boxes.append([])
        word = re.search(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line
        )
        if word:
            x0, y0, x1, y1 = (float(word.group(n)) for n in range(1, 5))
            boxes[-1].append((x0, y0, x1, y1, word.group(5)))
    pages = raw.split("\f")[: len(boxes)]
    return Printed(xlsx, pages, boxes)


@dataclass(frozen=True)
class Case:
    plan: Plan
    entries: Entries
    printed: Printed


@pytest.fixture(scope="module")
def printed(
    tmp_path_factory: pytest.TempPathFactory,
    card_plan: Plan,
    card_entries: Entries,
    matrix_plan: Plan,
    matrix_entries: Entries,
) -> dict[str, Case]:
    """Forms and masters of both examples, as published and with every text at its
    limit, printed with one LibreOffice run."""
    work = tmp_path_factory.mktemp("print")
    cases: dict[str, tuple[Plan, Entries, Path]] = {}
    across_plan = load_plan(ACROSS / "plan.yaml")
    across_entries = load_entries_yaml(ACROSS / "entries.yaml", across_plan)
    for name, plan, entries, template in (
        ("card", card_plan, card_entries, None),
        ("matrix", matrix_plan, matrix_entries, None),
        # a 基準値 column, a 当初目標 column and a lagging statistic in the matrix
        ("matrix3", with_baseline(matrix_plan), matrix_entries, None),
        # years across, a baseline, revised targets and a rate per year (茨城県's card)
        ("across", across_plan, across_entries, load_template(CARD, ACROSS / TEMPLATE_FILE)),
    ):
        full = at_their_limits(plan, entries)
        for kind, chosen in (("published", entries), ("limits", full)):
            returns = write_filled_forms(plan, chosen, work / f"{name}-{kind}-returns", template)
            report, merged = merge(plan, [f.path for f in returns], template)
            master = work / f"{name}-{kind}-master.xlsx"
            write_master(plan, report, merged, master, template)
            cases[f"{name}-{kind}-master"] = (plan, chosen, master)
        # The form of the department with the most to write, every text at its limit.
        busiest = max(
            {p.lead_department for p in plan.projects},
            key=lambda d: sum(p.lead_department == d for p in plan.projects),
        )
        chosen_template = template or load_template(plan.layout)
        values = entry_values(plan, busiest, full, chosen_template)
        [form] = generate_forms(
            plan,
            work / f"{name}-form",
            departments=[busiest],
            template=chosen_template,
            values={busiest: values}.__getitem__,
        )
        cases[f"{name}-limits-form"] = (plan, full, form.path)
    files = [path for *_, path in cases.values()]
    pdfs = to_pdf(files, work / "pdf")
    return {
        key: Case(plan, entries, read_pdf(path, pdf))
        for (key, (plan, entries, path)), pdf in zip(cases.items(), pdfs, strict=True)
    }


def pieces(text: str, page_texts: list[str]) -> list[int] | None:
    """How ``text`` is found in the printed pages: the lengths of the longest stretches
    found one after another (a text continued on the next row or page is found in
    several), or None if some character is not printed at all.  Whitespace is ignored:
    the PDF has line breaks where the cell wrapped."""
    hay = "\n".join("".join(p.split()) for p in page_texts)
    want = "".join(text.split())
    found: list[int] = []
    at = 0
    while at < len(want):
        low, high = 0, len(want) - at
        while low < high:  # the longest prefix of the rest that is printed somewhere
            mid = (low + high + 1) // 2
            if want[at : at + mid] in hay:
                low = mid
            else:
                high = mid - 1
        if low == 0:
            return None
        found.append(low)
        at += low
    return found


def texts_of(entries: Entries) -> list[tuple[str, str]]:
    out = []
    for e in entries.entries:
        for key in (
            "activity_report",
            "issues",
            "future_plan",
            "grade_explanation",
            "comment",
            "improvement",
        ):
            value = getattr(e, key)
            if value:
                out.append((f"{e.project}.{key}", value))
        for iid, v in e.actuals.items():
            if v.note:
                out.append((f"{e.project}.{iid}.note", v.note))
    return out


def report_pages(case: Case) -> list[str]:
    """The pages of 報告書: their header is the plan's title alone."""
    title = "".join(case.plan.title.split())
    return [p for p in case.printed.pages if "".join(p.split("\n", 1)[0].split()) == title]


@needs_libreoffice
@pytest.mark.parametrize("which", ["card", "matrix", "across", "matrix3"])
def test_every_text_at_its_limit_is_printed_whole_in_the_form(
    which: str, printed: dict[str, Case]
) -> None:
    case = printed[f"{which}-limits-form"]
    form_pages = [p for p in case.printed.pages if "記入要領" not in p.split("\n", 1)[0]]
    wb = openpyxl.load_workbook(case.printed.xlsx)
    department = wb["_kpibook"]["B5"].value
    written = {fp.id for fp in case.plan.projects if fp.lead_department == department}
    texts = [(k, t) for k, t in texts_of(case.entries) if k.split(".")[0] in written]
    assert texts
    for key, text in texts:
        found = pieces(text, form_pages)
        assert found is not None, f"{key}: not printed whole"
        assert len(found) == 1, f"{key}: one cell, printed in one piece: {found}"


@needs_libreoffice
@pytest.mark.parametrize("which", ["card", "matrix", "across", "matrix3"])
def test_every_text_at_its_limit_is_printed_whole_in_the_report(
    which: str, printed: dict[str, Case]
) -> None:
    case = printed[f"{which}-limits-master"]
    pages = report_pages(case)
    assert pages
    for key, text in texts_of(case.entries):
        found = pieces(text, pages)
        assert found is not None, f"{key}: not printed whole"
        # Continued on the following rows and pages, in long stretches.
        assert all(n >= 20 for n in found[:-1]), (key, found)


@needs_libreoffice
def test_no_printed_line_overlaps_another(printed: dict[str, Case]) -> None:
    """A text that overflowed its row would be drawn over the row below."""
    for key, case in printed.items():
        for n, words in enumerate(case.printed.boxes, start=1):
            for a, b in itertools.combinations(words, 2):
                across = min(a[2], b[2]) - max(a[0], b[0])
                down = min(a[3], b[3]) - max(a[1], b[1])
                assert across <= 1 or down <= 2, f"{key} page {n}: {a[4]!r} overlaps {b[4]!r}"


@needs_libreoffice
def test_no_row_is_taller_than_excel_allows(printed: dict[str, Case]) -> None:
    for case in printed.values():
        wb = openpyxl.load_workbook(case.printed.xlsx)
        for ws in wb.worksheets:
            heights = [d.height for d in ws.row_dimensions.values() if d.height]
            assert max(heights, default=0) <= MAX_ROW_POINTS, (case.printed.xlsx.name, ws.title)


@needs_libreoffice
def test_every_page_prints_at_8_points_or_more(printed: dict[str, Case]) -> None:
    for key, case in printed.items():
        for n, words in enumerate(case.printed.boxes, start=1):
            small = [w for w in words if w[3] - w[1] < MIN_BOX]
            assert not small, f"{key} page {n}: {small[:3]}"


@needs_libreoffice
def test_the_card_report_takes_at_most_twelve_pages(printed: dict[str, Case]) -> None:
    """22 cards, the intro, the legend and the index: 18 pages when each card had a page."""
    assert len(report_pages(printed["card-published-master"])) <= 12


@needs_libreoffice
def test_the_overview_chart_is_drawn(printed: dict[str, Case]) -> None:
    """A native chart of the computed grades by section, drawn by LibreOffice itself on
    a page of 概要 (its title and its labels, the sections' numbers, are in the PDF)."""
    case = printed["card-published-master"]
    pages = [p for p in case.printed.pages if "評価の集計（体系別・計算上の評価）" in p]
    assert pages
    numbers = [path.numbers() for path in case.plan.iter_sections()]
    assert any(set(numbers) <= set(page.split("\n")) for page in pages)


@needs_libreoffice
def test_the_overview_charts_grades_by_department_too(printed: dict[str, Case]) -> None:
    """A second chart: the computed grades of each department's projects, labelled with
    the departments' names, drawn by LibreOffice on a page of 概要."""
    case = printed["card-published-master"]
    pages = [p for p in case.printed.pages if "評価の集計（担当課別・計算上の評価）" in p]
    assert pages
    leads = {p.lead_department for p in case.plan.projects}
    assert any(leads <= set(page.split("\n")) for page in pages)


@needs_libreoffice
@pytest.mark.parametrize(
    "where",
    [
        "across-limits-form",
        "across-published-master",
        "matrix3-published-master",
    ],
)
def test_every_value_of_version_3_is_printed(printed: dict[str, Case], where: str) -> None:
    """Each baseline, target (revised and original), final target and past actual of the
    plan is in the printed form and 報告書 (the card across, and the matrix with a 基準値
    and a 当初目標 column)."""
    case = printed[where]
    text = "".join("".join(case.printed.pages).split())
    wb = openpyxl.load_workbook(case.printed.xlsx)
    department = wb["_kpibook"]["B5"].value if "_kpibook" in wb.sheetnames else None
    checked = 0
    for project in case.plan.projects:
        if department is not None and project.lead_department != department:
            continue
        for ind in project.indicators:
            values = [
                ind.baseline,
                ind.final_target,
                ind.original_final_target,
                *ind.targets.values(),
                *ind.original_targets.values(),
                *ind.actuals.values(),
            ]
            for v in values:
                if v.number is not None:
                    shown = f"{v.number:,}"
                    assert shown in text, (where, ind.id, shown)
                    checked += 1
    assert checked >= 8
    if where.startswith("matrix3"):
        assert "8,337（R1）" in text  # the baseline with its year
