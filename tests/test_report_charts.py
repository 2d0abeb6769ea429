"""Charts of the master: each indicator's targets and actuals in 報告書 (when the template
asks), the trend of 一覧; read back from the file, and drawn by LibreOffice."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string

from kpibook.entries import Entries
from kpibook.forms.report_charts import ACTUAL_COLOUR, TARGET_COLOUR, chart_title, trend
from kpibook.master import write_master
from kpibook.master.table import SPARKLINE, TREND
from kpibook.merge import merge
from kpibook.plan import Direction, Plan
from kpibook.plantext import load_entries_yaml
from kpibook.sources import load_plan
from kpibook.template import FormTemplate, ReportCharts, load_template, plan_template
from kpibook.values import Value
from tests.conftest import EXAMPLES
from tests.test_libreoffice import needs_libreoffice, to_pdf
from tests.test_print import MIN_BOX, read_pdf, report_pages
from tests.test_report import _master

PDFTOPPM = shutil.which("pdftoppm")
IBARAKI = EXAMPLES / "ibaraki-sousei-kpi"
REF = re.compile(r"ISNUMBER\(([A-Z]+)(\d+)\)")


def with_charts(plan: Plan, **settings: Any) -> FormTemplate:
    t = plan_template(plan)
    charts = ReportCharts(place="below", **settings)
    return t.model_copy(update={"report": t.report.model_copy(update={"charts": charts})})


@pytest.fixture(scope="module")
def ibaraki() -> tuple[Plan, Entries]:
    """A prefecture's example: a cumulative (累計) indicator and one with a baseline."""
    plan = load_plan(IBARAKI / "plan.yaml")
    return plan, load_entries_yaml(IBARAKI / "entries.yaml", plan)


@pytest.fixture(scope="module")
def masters(
    tmp_path_factory: pytest.TempPathFactory,
    card_plan: Plan,
    card_entries: Entries,
    matrix_plan: Plan,
    matrix_entries: Entries,
    ibaraki: tuple[Plan, Entries],
) -> dict[str, Path]:
    out = {}
    for name, plan, entries in (
        ("card", card_plan, card_entries),
        ("matrix", matrix_plan, matrix_entries),
        ("prefecture", *ibaraki),
    ):
        folder = tmp_path_factory.mktemp(name)
        out[name] = _master(plan, entries, folder, with_charts(plan))
    out["default"] = _master(card_plan, card_entries, tmp_path_factory.mktemp("default"))
    folder = tmp_path_factory.mktemp("beside")
    out["beside"] = _master(card_plan, card_entries, folder, beside(card_plan))
    return out


def beside(plan: Plan) -> FormTemplate:
    """Charts beside the cards, on A3 portrait (wide enough for a card and its charts)."""
    t = plan_template(plan)
    page = t.report.print.model_copy(update={"paper": "A3"})
    charts = ReportCharts(place="beside")
    report = t.report.model_copy(update={"charts": charts, "print": page})
    return t.model_copy(update={"report": report})


@dataclass(frozen=True)
class Drawn:
    """A chart of 報告書 as the file holds it."""

    title: str
    first_row: int
    """1-based, as openpyxl counts."""
    last_row: int
    first_col: int
    last_col: int
    series: dict[str, str]
    """Series name → the reference of its values."""
    categories: str


def _text(rich: Any) -> str:
    return "".join(r.t for p in rich.p for r in (p.r or []))


def drawn(path: Path, sheet: str = "報告書") -> list[Drawn]:
    ws: Any = openpyxl.load_workbook(path)[sheet]
    out = []
    for chart in ws._charts:  # openpyxl reads a sheet's charts with their anchors
        series: dict[str, str] = {}
        categories = ""
        for part in chart._charts:
            for s in part.series:
                series[str(s.tx.v)] = s.val.numRef.f
                categories = s.cat.strRef.f if s.cat.strRef else s.cat.numRef.f
        a = chart.anchor
        out.append(
            Drawn(
                _text(chart.title.tx.rich),
                a._from.row + 1,
                a.to.row + 1,
                a._from.col + 1,
                a.to.col + 1,
                series,
                categories,
            )
        )
    return out


def cells(ref: str) -> tuple[int, int, int]:
    """``報告書!$I$60:$M$60`` → (row, first column, last column), 1-based."""
    m = re.fullmatch(r"[^!]+!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", ref)
    assert m, ref
    return int(m[2]), column_index_from_string(m[1]), column_index_from_string(m[3])


def card_rows(ws: Any) -> list[int]:
    return [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "具体的事業"]


def test_the_default_report_has_no_charts(masters: dict[str, Path]) -> None:
    """The official report has none: by default 報告書 stays as it is (12 pages, see
    test_print), and only 概要 has its two charts."""
    assert drawn(masters["default"]) == []
    with zipfile.ZipFile(masters["default"]) as z:
        assert len([n for n in z.namelist() if n.startswith("xl/charts/chart")]) == 2


def test_each_card_has_a_chart_of_each_indicator_inside_it(
    masters: dict[str, Path], card_plan: Plan
) -> None:
    ws = openpyxl.load_workbook(masters["card"])["報告書"]
    charts = drawn(masters["card"])
    starts = card_rows(ws)
    by_name = {p.name: p for p in card_plan.projects}
    assert len(charts) == sum(
        len(by_name[str(ws.cell(r, 2).value).removesuffix("【再掲】")].indicators) for r in starts
    )
    ends = [*starts[1:], ws.max_row + 1]
    for start, end in zip(starts, ends, strict=True):
        project = by_name[str(ws.cell(start, 2).value).removesuffix("【再掲】")]
        inside = [c for c in charts if start < c.first_row < end]
        titles = [f"{i.label}（{i.unit}）" if i.unit else i.label for i in project.indicators]
        assert [c.title for c in inside] == titles, project.name
        for c in inside:
            # in the card's 推移 rows, over its value columns, never over a text
            band = [r for r in range(start, end) if ws.cell(r, 1).value == "推移"]
            assert any(b <= c.first_row <= c.last_row <= b + 3 for b in band)
            assert c.first_col >= 2
            assert c.last_col <= 7
            assert all(ws.cell(r, k).value is None for r in band for k in range(2, 8))


def test_the_series_are_the_printed_cells(masters: dict[str, Path], card_plan: Plan) -> None:
    """Each year's target and actual is a formula of the cell the card prints, so an
    actual corrected in the master moves the chart; a value that is not a number
    (「－」) is #N/A, drawn as nothing, never as 0."""
    wb = openpyxl.load_workbook(masters["card"])
    ws = wb["報告書"]
    shown = openpyxl.load_workbook(masters["card"], data_only=True)["報告書"]
    referenced = 0
    states = 0
    for chart in drawn(masters["card"]):
        row, first, last = cells(chart.categories)
        years = [ws.cell(row, k).value for k in range(first, last + 1)]
        assert years[0] == "H28"
        assert years[-1] == "R2"
        for name, label in (("実績値", "各年度の実績値"), ("目標値", "目標値")):
            vrow, vfirst, vlast = cells(chart.series[name])
            assert (vfirst, vlast) == (first, last)
            for k in range(first, last + 1):
                formula = ws.cell(vrow, k).value
                if not isinstance(formula, str):
                    continue
                m = REF.search(formula)
                assert m, formula
                source = ws[f"{m[1]}{m[2]}"]
                if source.value == "【最終目標】":
                    continue
                referenced += 1
                assert ws.cell(source.row, 1).value == label
                if name == "実績値":  # the year printed above the value is the chart's
                    assert ws.cell(source.row - 2, source.column).value == years[k - first]
                cached = shown.cell(vrow, k).value
                if isinstance(source.value, int | float):
                    assert cached == source.value
                else:
                    states += 1
                    assert source.value in ("－", "増加", "集計中")
                    assert cached == "#N/A"
    assert referenced > 100
    assert states > 5


def test_a_report_year_actual_moves_its_chart(masters: dict[str, Path]) -> None:
    """The first card's report-year actual (R1) is what its chart's R1 bar shows."""
    ws = openpyxl.load_workbook(masters["card"])["報告書"]
    chart = drawn(masters["card"])[0]
    row, first, last = cells(chart.categories)
    r1 = next(k for k in range(first, last + 1) if ws.cell(row, k).value == "R1")
    vrow, _, _ = cells(chart.series["実績値"])
    m = REF.search(str(ws.cell(vrow, r1).value))
    assert m
    source = ws[f"{m[1]}{m[2]}"]
    assert ws.cell(source.row - 2, source.column).value == "R1"
    assert isinstance(source.value, int | float)
    assert source.value > 0


def test_page_breaks_keep_a_card_with_its_charts(masters: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(masters["card"])["報告書"]
    breaks = [b.id for b in ws.row_breaks.brk]  # a break after row id (1-based)
    assert breaks
    starts = card_rows(ws)
    for chart in drawn(masters["card"]):
        start = max(s for s in starts if s < chart.first_row)
        assert not any(start <= b < chart.last_row for b in breaks), (start, chart.title)


def test_a_cumulative_indicator_charts_its_running_total_and_the_baseline_is_a_line(
    masters: dict[str, Path], ibaraki: tuple[Plan, Entries]
) -> None:
    prefecture_plan, prefecture_entries = ibaraki
    charts = {c.title: c for c in drawn(masters["prefecture"])}
    cumulative = charts["雇用創出数（人）"]
    assert "実績値（累計）" in cumulative.series
    shown = openpyxl.load_workbook(masters["prefecture"], data_only=True)["報告書"]
    row, first, last = cells(cumulative.series["実績値（累計）"])
    totals = [shown.cell(row, k).value for k in range(first, last + 1)]
    ind = prefecture_plan.projects[0].indicators[0]
    entry = prefecture_entries.for_project(prefecture_plan.projects[0].id)
    assert entry is not None
    report = entry.actuals[ind.id].number
    assert report is not None
    assert totals[:3] == [2748, 2748 + 2415, 2748 + 2415 + float(report)]
    assert totals[3:] == [None, None]  # the years after the report year: nothing
    baseline = charts["農業産出額（億円）"]
    assert "基準値（H26）" in baseline.series
    brow, bfirst, blast = cells(baseline.series["基準値（H26）"])
    assert {shown.cell(brow, k).value for k in range(bfirst, blast + 1)} == {4292}


def test_a_charts_legend_says_the_plans_word_for_a_target(masters: dict[str, Path]) -> None:
    # 茨城県 says 期待値 (its terms): the legend said 目標値 beside cards saying 期待値
    for chart in drawn(masters["prefecture"]):
        assert "期待値" in chart.series
        assert "目標値" not in chart.series
    assert all("目標値" in chart.series for chart in drawn(masters["card"]))


def test_charts_beside_a_card_start_at_its_first_row_and_end_within_it(
    masters: dict[str, Path], card_plan: Plan
) -> None:
    ws = openpyxl.load_workbook(masters["beside"])["報告書"]
    charts = drawn(masters["beside"])
    starts = card_rows(ws)
    ends = [*starts[1:], ws.max_row + 1]
    breaks = [b.id for b in ws.row_breaks.brk]
    chart_col = max(c.first_col for c in charts)
    assert all(c.first_col == c.last_col == chart_col for c in charts)  # beside, not over
    assert all(ws.cell(r, chart_col).value is None for r in range(1, ws.max_row + 1))
    by_name = {p.name: p for p in card_plan.projects}
    for start, end in zip(starts, ends, strict=True):
        project = by_name[str(ws.cell(start, 2).value).removesuffix("【再掲】")]
        mine = [c for c in charts if start <= c.first_row < end]
        assert len(mine) == len(project.indicators)
        if mine:
            assert mine[0].first_row == start  # level with the card's first row
            assert max(c.last_row for c in mine) < end  # the next card's charts never meet
            assert not any(start <= b < max(c.last_row for c in mine) for b in breaks)


def test_charts_beside_need_the_paper_for_it(card_plan: Plan, matrix_plan: Plan) -> None:
    from kpibook.template import CardReport, MatrixReport

    with pytest.raises(ValueError, match="need landscape or A3 paper"):
        CardReport.model_validate({"charts": {"place": "beside"}})
    with pytest.raises(ValueError, match="cannot put charts beside its rows"):
        MatrixReport.model_validate({"charts": {"place": "beside"}})
    landscape = {"orientation": "landscape"}
    assert CardReport.model_validate({"charts": {"place": "beside"}, "print": landscape})


def test_an_indicator_without_a_number_gets_no_chart(
    tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    """Nothing to draw: no empty frame of axes in the card."""
    project = card_plan.projects[0]
    ind = project.indicators[0]
    none = Value.of("－")
    blank = ind.model_copy(
        update={
            "targets": dict.fromkeys(ind.targets, none),
            "actuals": dict.fromkeys(ind.actuals, none),
            "final_target": none,
        }
    )
    plan = card_plan.model_copy(
        update={"projects": [project.model_copy(update={"indicators": [blank]})]}
    )
    entry = card_entries.for_project(project.id)
    assert entry is not None
    gone = entry.model_copy(update={"actuals": {ind.id: none}})
    entries = card_entries.model_copy(update={"entries": [gone]})
    assert not trend(plan, blank, none).drawable
    path = tmp_path / "master.xlsx"
    report, _ = merge(plan, [])
    write_master(plan, report, entries, path, template=with_charts(plan))
    ws = openpyxl.load_workbook(path)["報告書"]
    assert card_rows(ws)  # the card is there, without a chart or a 推移 row
    assert drawn(path) == []
    assert all(ws.cell(r, 1).value != "推移" for r in range(1, ws.max_row + 1))


def test_the_title_says_when_less_is_better(card_plan: Plan) -> None:
    t = load_template(card_plan.layout)
    ind = card_plan.projects[0].indicators[0]
    assert chart_title(t, ind) == f"{ind.label}（{ind.unit}）"
    lower = ind.model_copy(update={"direction": Direction.LOWER})
    assert chart_title(t, lower) == f"{ind.label}（{ind.unit}）　※少ないほど良い"


def test_a_trend_has_every_plan_year_and_the_final_target_in_the_last(card_plan: Plan) -> None:
    ind = card_plan.projects[0].indicators[0]
    tr = trend(card_plan, ind, Value.of(Decimal(104490)))
    assert tr.years == list(range(card_plan.period.start, card_plan.period.end + 1))
    assert tr.targets[-1] == ind.final_target.number
    assert tr.actuals[-2:] == [Decimal(104490), None]  # R1 the department's, R2 not yet


def test_the_matrix_report_charts_each_indicator_after_the_table(
    masters: dict[str, Path], matrix_plan: Plan
) -> None:
    ws = openpyxl.load_workbook(masters["matrix"])["報告書"]
    charts = drawn(masters["matrix"])
    assert len(charts) == sum(len(p.indicators) for p in matrix_plan.projects)
    heading = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "指標の推移")
    assert all(c.first_row > heading for c in charts)
    numbered = [r for r in range(1, heading) if str(ws.cell(r, 1).value or "").startswith("柱")]
    assert numbered  # the table's rows come first
    assert charts[0].title.startswith(str(ws.cell(numbered[0], 1).value))
    assert heading - 1 in [b.id for b in ws.row_breaks.brk]  # on a page of their own


def test_the_table_has_a_trend_in_words_and_sparklines_for_excel(
    masters: dict[str, Path],
) -> None:
    wb = openpyxl.load_workbook(masters["matrix"])
    ws = wb["一覧"]
    heads = [c.value for c in ws[1]]
    rows = {r[heads.index("指標ID")]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    # R5 集計中: the latest two numbers are R3 and R4
    assert rows["p2-1-1-a-1"][heads.index(TREND)] == "R3→R4 ↘ -4.7%"
    colour = ws.cell(2, heads.index(TREND) + 1).font.color
    assert colour is not None
    assert colour.rgb.endswith("9C0006")
    spark = heads.index(SPARKLINE)
    assert spark == len(heads) - 1
    assert ws.print_area == f"'一覧'!$A$1:${openpyxl.utils.get_column_letter(spark)}${ws.max_row}"
    with zipfile.ZipFile(masters["matrix"]) as z:
        xml = z.read("xl/worksheets/sheet2.xml").decode("utf-8")
    first = heads.index("実績値 2017 (H29)") + 1
    letters = openpyxl.utils.get_column_letter
    assert f"<xm:f>'一覧'!{letters(first)}2:{letters(first + 5)}2</xm:f>" in xml
    assert f"<xm:sqref>{letters(spark + 1)}2</xm:sqref>" in xml


# -- drawn by LibreOffice ------------------------------------------------------------


def pixels(pdf: Path, page: int, work: Path) -> tuple[int, int, bytes]:
    """Page ``page`` (1-based) at 72 dpi, so a pixel is a PDF point: width, height, RGB."""
    assert PDFTOPPM is not None
    out = work / f"{pdf.stem}-{page}"
    subprocess.run(
        [PDFTOPPM, "-r", "72", "-f", str(page), "-l", str(page), "-singlefile", str(pdf), out],
        check=True,
    )
    data = out.with_suffix(".ppm").read_bytes()
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)  # binary RGB, 8 bits
    assert header is not None
    return int(header[1]), int(header[2]), data[header.end() :]


def colour_near(
    image: tuple[int, int, bytes], box: tuple[float, float, float, float], colour: str
) -> int:
    """Pixels in ``box`` (x0, y0, x1, y1, points) within a few levels of ``colour``."""
    width, _, rgb = image
    want = [int(colour[n : n + 2], 16) for n in (1, 3, 5)]
    x0, y0, x1, y1 = (int(v) for v in box)
    count = 0
    for y in range(y0, y1):
        for x in range(x0, x1):
            at = (y * width + x) * 3
            if all(abs(rgb[at + n] - want[n]) <= 24 for n in range(3)):
                count += 1
    return count


@needs_libreoffice
def test_libreoffice_draws_the_charts(
    masters: dict[str, Path], tmp_path: Path, card_plan: Plan, card_entries: Entries
) -> None:
    """Printed through LibreOffice: every chart's title is on a page of 報告書 with the
    card it belongs to, at 8 pt or more, and under each title are the bars of the actuals
    and the markers of the targets in their colours."""
    from tests.test_print import Case

    side = shutil.copy(masters["beside"], tmp_path / "beside.xlsx")  # a name of its own
    pdf, beside_pdf = to_pdf([masters["card"], Path(side)], tmp_path / "pdf")
    printed = read_pdf(masters["card"], pdf)
    case = Case(card_plan, card_entries, printed)
    pages = report_pages(case)
    assert len(pages) > 12  # the charts take room: why they are not the default
    first = printed.pages.index(pages[0])
    checked = 0
    for n in range(first, first + len(pages)):
        words = printed.boxes[n]
        small = [w for w in words if w[3] - w[1] < MIN_BOX]
        assert not small, (n, small[:3])
        bands = [w for w in words if w[4] == "推移"]  # the label beside a card's charts
        image = pixels(pdf, n + 1, tmp_path)
        for label in bands:  # the charts are right of the label, about as tall as it is
            middle = (label[1] + label[3]) / 2
            plot = (label[2] + 4, middle - 60, image[0] - 20, middle + 60)
            assert colour_near(image, plot, ACTUAL_COLOUR) > 30, (n, label)
            assert colour_near(image, plot, TARGET_COLOUR) > 10, (n, label)
            checked += 1
    ws = openpyxl.load_workbook(masters["card"])["報告書"]
    assert checked == sum(ws.cell(r, 1).value == "推移" for r in range(1, ws.max_row + 1))
    text = "".join("".join(p.split()) for p in pages)
    for chart in drawn(masters["card"]):
        assert "".join(chart.title.split()) in text

    # Beside the cards on A3: every title printed, 8 pt or more, the bars and markers
    # right of the cards on every page with a card.
    printed = read_pdf(masters["beside"], beside_pdf)
    pages = report_pages(Case(card_plan, card_entries, printed))
    first = printed.pages.index(pages[0])
    text = "".join("".join(p.split()) for p in pages)
    for chart in drawn(masters["beside"]):
        assert "".join(chart.title.split()) in text
    for n in range(first, first + len(pages)):
        words = printed.boxes[n]
        assert not [w for w in words if w[3] - w[1] < MIN_BOX], n
        cards = [w for w in words if w[4] == "具体的事業"]
        if not cards:
            continue
        right = max(w[2] for w in words if w[4] == "達成率")  # the card's right edge
        image = pixels(beside_pdf, n + 1, tmp_path)
        region = (right + 10, cards[0][1], image[0] - 10, image[1] - 40)
        assert colour_near(image, region, ACTUAL_COLOUR) > 30 * len(cards), n
        assert colour_near(image, region, TARGET_COLOUR) > 10 * len(cards), n


def test_a_national_table_has_no_sparklines(
    tmp_path: Path, matrix_plan: Plan, matrix_entries: Entries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above SPARKLINE_LIMIT rows the column is left out (memory), the rest as before."""
    monkeypatch.setattr("kpibook.master.table.SPARKLINE_LIMIT", 3)
    path = tmp_path / "master.xlsx"
    report, _ = merge(matrix_plan, [])
    write_master(matrix_plan, report, matrix_entries, path)
    ws = openpyxl.load_workbook(path)["一覧"]
    heads = [c.value for c in ws[1]]
    assert SPARKLINE not in heads
    assert TREND in heads
    assert heads[-1] == "回答ファイル"
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet2.xml").decode("utf-8")
    assert "sparkline" not in xml
    assert "conditionalFormatting" in xml  # the grade colours are still there
