"""Form templates: the official layouts' labels, widths, colours and print settings, as data.

Templates live in ``templates/<layout>.yaml`` (shipped inside the package) and are
validated like plans: unknown keys are errors, and every error names the file and line.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from kpibook.errors import KpibookError, LoadError, MessageValueError, Problem
from kpibook.fields import FieldSpec, plan_fields
from kpibook.fiscal import FiscalYear, era_label
from kpibook.message import Message
from kpibook.plan import EntryText, Label, Layout, Model, Plan, Text
from kpibook.plantext import load_model_yaml
from kpibook.printing import Page
from kpibook.resources import data_dir

TextKey = Literal[EntryText, "actual_note"]
"""The text entries a form can have; each is a field of the department's entry."""

Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]


class Font(Model):
    name: Label = Field(description="Font name; LibreOffice substitutes a Japanese font.")
    size: int = Field(ge=6, le=20, description="Point size of ordinary cells.")
    input_size: int | None = Field(
        default=None,
        ge=6,
        le=20,
        description="Point size of text inputs (default: size). The column of a text "
        "input is widened until its longest text fits one row of 409 pt at this size.",
    )

    @property
    def text_input_size(self) -> int:
        return self.input_size or self.size


class Colours(Model):
    input: Colour = Field(description="Fill of every cell a department writes.")
    label: Colour = Field(description="Fill of label cells.")
    heading: Colour = Field(description="Fill of section headings and column heads.")
    lead: Colour = Field(description="The lead department's cell of a shared project (青色セル).")
    read_only: Colour = Field(description="Projects another department fills.")


class Margins(Model):
    left: float = Field(ge=0, le=2)
    right: float = Field(ge=0, le=2)
    top: float = Field(ge=0, le=2)
    bottom: float = Field(ge=0, le=2)


Paper = Literal["A4", "A3"]
Orientation = Literal["portrait", "landscape"]


class PrintSettings(Model):
    orientation: Orientation
    fit_width: bool = Field(
        description="Scale the sheet to the paper's width (split into column groups "
        "printed across when it would print below 8 pt); false prints at 100%."
    )
    margins: Margins
    paper: Paper = Field(default="A4", description="A4 or A3.")

    def page(self) -> Page:
        m = self.margins
        return Page(self.paper, self.orientation, m.left, m.right, m.top, m.bottom)


class PageSettings(Model):
    """Paper and margins of a sheet of the master; kpibook chooses the scale (see
    :mod:`kpibook.printing`)."""

    paper: Paper = Field(default="A4", description="A4 or A3.")
    orientation: Orientation = Field(default="portrait")
    margins: Margins = Field(
        default_factory=lambda: Margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    )

    def page(self) -> Page:
        m = self.margins
        return Page(self.paper, self.orientation, m.left, m.right, m.top, m.bottom)


class ReportLabels(Model):
    """Words the consolidated report (報告書) prints beyond the form's labels."""

    legend_title: Label = Field(default="※評価について", description="Heading of the legend.")
    legend_grade: Label = Field(default="評価指数", description="Legend column of the marks.")
    legend_meaning: Label = Field(default="達成度", description="Legend column of meanings.")
    not_gradable: Label | None = Field(
        default=None,
        description="What the not-gradable mark means, in the legend (default: "
        "目標値または実績値がなく評価できない（集計中・該当なしを含む）, in the terms' words).",
    )
    computed: Label = Field(
        default="達成率による評価", description="The grade kpibook computes from the numbers."
    )
    rate: Label = Field(default="達成率", description="The achievement rate.")
    self_missing: Label = Field(default="未記入", description="A self grade not given.")
    index: Label = Field(default="事業一覧", description="Heading of the index of projects.")
    notes: Label | None = Field(
        default=None,
        description="Label of an indicator's ※ notes on a card (None: the label of the "
        "actual's note entry, 実績値の注記, as the Kashiwa report prints them).",
    )
    chart: Label = Field(default="推移", description="Label of a card's charts.")
    charts_heading: Label = Field(
        default="指標の推移", description="Heading of the matrix report's charts."
    )
    chart_targets: Label = Field(
        default="目標値",
        description="The targets in a chart's legend; unset: the plan's word (terms.target).",
    )
    chart_actuals: Label = Field(
        default="実績値",
        description="The actuals in a chart's legend; unset: the plan's word (terms.actual).",
    )
    chart_baseline: Label = Field(default="基準値", description="The baseline in a chart.")
    chart_cumulative: Label = Field(
        default="累計", description="Added to the actuals of a cumulative (累計) indicator."
    )
    chart_lower: Label = Field(
        default="少ないほど良い", description="Added to the title of a lower-is-better indicator."
    )


GradesShown = Literal["computed", "self", "both"]
ChartsShown = Literal["none", "below", "beside"]


class ReportCharts(Model):
    """Each indicator's targets and actuals over the plan's years, drawn as a native
    chart in the 報告書 (cards: inside each card, under its indicators' tables; matrix:
    a section of charts after the table, one per row)."""

    place: ChartsShown = Field(
        default="none",
        description="none: no charts (the official report has none, and charts add pages: "
        "seed 000's 報告書 goes from 12 pages to 19); below: a chart of each indicator "
        "under the card's indicators (matrix: after the table); beside: the card's charts "
        "one under another to the right of the card (cards only; needs landscape or A3 "
        "paper for the wider page).",
    )
    height: float = Field(
        default=150, ge=90, le=400, description="Height of a chart, in points of the sheet."
    )
    per_row: int = Field(
        default=2, ge=1, le=6, description="Charts side by side (below: across the card)."
    )
    width: float = Field(
        default=48,
        ge=20,
        le=150,
        description="Width of the charts' column (beside), in Excel character units.",
    )


class ReportBase(Model):
    """The master workbook on paper: the 報告書 and the tables (not the department form;
    no form's fingerprint covers it)."""

    grades: GradesShown = Field(
        default="both",
        description="Which grades 報告書 prints for each project: the one computed from "
        "the numbers (達成率 and grade, as in 一覧), the department's own, or both.",
    )
    font_size: int = Field(default=10, ge=8, le=20, description="Point size of 報告書.")
    print: PageSettings = Field(
        default_factory=lambda: PageSettings(
            margins=Margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ),
        description="報告書 paper.",
    )
    tables: PageSettings = Field(
        default_factory=lambda: PageSettings(orientation="landscape"),
        description="Paper of 概要, 一覧 and 提出状況.",
    )
    new_page_per_top_section: bool = Field(
        default=False, description="Start each top-level section (基本方針, 柱) on a new page."
    )
    labels: ReportLabels = Field(default_factory=ReportLabels)
    charts: ReportCharts = Field(default_factory=ReportCharts)


class CardReportColumns(Model):
    label: float = Field(default=19, gt=0, le=100, description="Row labels.")
    value: float = Field(
        default=17.3, gt=0, le=50, description="Each year's and 【最終目標】's column."
    )
    rate: float = Field(default=14, gt=0, le=50, description="達成率 and the grade.")
    values: int = Field(
        default=5,
        ge=3,
        le=12,
        description="Value columns side by side: the years and 【最終目標】 (more wrap to "
        "a second line of columns). Texts span them all.",
    )


class CardReport(ReportBase):
    columns: CardReportColumns = Field(default_factory=CardReportColumns)

    @model_validator(mode="after")
    def _beside_needs_room(self) -> CardReport:
        if (
            self.charts.place == "beside"
            and self.print.orientation == "portrait"
            and self.print.paper == "A4"
        ):
            raise MessageValueError(
                Message(
                    ja="グラフをカードの横に置く（charts.place: beside）には、報告書の用紙を"
                    "横向きか A3 にしてください（A4 縦では 8 ポイント未満の印刷になります）",
                    en="charts beside the cards (charts.place: beside) need landscape or A3 "
                    "paper for 報告書 (on A4 portrait the text would print below 8 pt)",
                )
            )
        return self


class MatrixReportColumns(Model):
    number: float = Field(default=9, gt=0, le=50)
    name: float = Field(default=16, gt=0, le=100)
    content: float = Field(default=22, gt=0, le=150)
    department: float = Field(default=10, gt=0, le=50)
    indicator: float = Field(default=14, gt=0, le=100)
    value: float = Field(default=9, gt=0, le=50)
    rate: float = Field(default=7, gt=0, le=50)
    grade: float = Field(default=5, gt=0, le=50)
    text: float = Field(default=44, gt=0, le=150)


class MatrixReport(ReportBase):
    columns: MatrixReportColumns = Field(default_factory=MatrixReportColumns)

    @model_validator(mode="after")
    def _no_charts_beside_rows(self) -> MatrixReport:
        if self.charts.place == "beside":
            raise MessageValueError(
                Message(
                    ja="表形式の報告書ではグラフを行の横に置けません（charts.place: below "
                    "で表の後にまとめて載せます）",
                    en="a matrix report cannot put charts beside its rows (charts.place: "
                    "below puts them after the table)",
                )
            )
        return self


class TextEntry(Model):
    """A text the department writes (活動報告, comment, ...)."""

    key: TextKey = Field(
        description="The entry field it fills (actual_note: the note on an actual)."
    )
    label: Text = Field(description="Label as printed; {year}/{next} become era labels.")
    max_length: int = Field(ge=1, le=32_767, description="Longest text accepted, in characters.")
    required: bool = Field(description="Whether a return without it is an error.")
    help: Text = Field(description="What to write, shown as the cell's input message.")
    required_below_top: bool | None = Field(
        default=None,
        description="Required when the department's own grade is below the top grade, though "
        "not required otherwise. None: as kpibook has always done, for 評価の説明 "
        "(grade_explanation) and 改善策 (improvement) only. A plan's checks.required_when "
        "names the grades instead.",
    )


class GradeEntry(Model):
    key: Literal["self_grade"]
    label: Label
    required: bool
    help: Text


class YearLabels(Model):
    """Words of the rows and columns form version 3 adds, in both layouts."""

    baseline: Label = Field(
        default="基準値", description="The baseline's row or column; its year follows it."
    )
    original_target: Label = Field(
        default="当初目標",
        description="The original of a revised target, printed beside the revised one.",
    )
    data_lag: Label = Field(
        default="公表が遅れる統計のため、{year}の実績が未公表なら{earliest}までの実績のある"
        "最新の年度で評価します",
        description="Under a lagging indicator ({year}: the report year; {earliest}: the "
        "earliest year it may be graded on).",
    )


class CardLabels(YearLabels):
    title_suffix: Label
    policy_goal: Label
    outcome_goal: Label
    project: Label
    department: Label
    overview: Label
    annual_plan: Label
    targets: Label
    actuals: Label
    final_target: Label
    indicator: Label
    year: Label
    state: Label
    relisted: Label
    filled_by_lead: Label
    also_listed: Label
    relisting_of: Label
    rate: Label = Field(default="達成率", description="The 達成率 row (year_rates).")


class CardColumns(Model):
    label: float = Field(gt=0, le=100)
    body: float = Field(gt=0, le=150)
    year: float = Field(gt=0, le=50)
    value: float = Field(gt=0, le=50)
    state: float = Field(gt=0, le=50)


class MatrixLabels(YearLabels):
    title_suffix: Label
    number: Label
    name: Label
    content: Label
    department: Label
    department_note: Label
    indicator: Label
    actual: Label
    target: Label
    midterm: Label
    state: Label
    relisted: Label
    filled_by_lead: Label
    also_listed: Label


class MatrixColumns(Model):
    number: float = Field(gt=0, le=50)
    name: float = Field(gt=0, le=100)
    content: float = Field(gt=0, le=150)
    department: float = Field(gt=0, le=50)
    indicator: float = Field(gt=0, le=100)
    value: float = Field(gt=0, le=50)
    state: float = Field(gt=0, le=50)
    grade: float = Field(gt=0, le=50)
    text: float = Field(gt=0, le=150)


class Terms(Model):
    """The plan's own words for what it is made of, wherever kpibook names them beyond the
    form's own labels: the 記入要領, the master's sheets and headings, the report, the
    notes under an indicator and the messages to departments.  The defaults are the words
    of the Kashiwa plans; a prefecture writes 担当部・課, 取組 or 期待値 here."""

    department: Label = Field(
        default="担当課", description="Who fills a form: 担当課, 担当部・課, 所管課, 担当部局."
    )
    project: Label = Field(default="事業", description="What a form reports on: 事業, 取組, 施策.")
    indicator: Label = Field(default="指標", description="What is measured: 指標, KPI, 評価指標.")
    target: Label = Field(default="目標値", description="A year's target: 目標値, 期待値.")
    actual: Label = Field(default="実績値", description="A year's figure: 実績値, 実績.")
    target_note: Label = Field(
        default="{year} 目標",
        description="What precedes a target's note under the indicator (※R1 目標: ...): "
        "{year} is the year as R1, {year_long} as 令和元年度, {western} as 2019.",
    )
    actual_note: Label = Field(
        default="{year}",
        description="What precedes an actual's note under the indicator (※R1: ...), with "
        "the same placeholders: '{year_long}の実績' prints ※令和元年度の実績: ....",
    )

    def note_prefix(self, which: Literal["target", "actual"], year: FiscalYear) -> str:
        """``R1 目標``: what the notes under an indicator print before a value's note."""
        text = self.target_note if which == "target" else self.actual_note
        return text.format(year=era_label(year), year_long=era_label(year, "long"), western=year)

    def words(self) -> dict[str, str]:
        """The terms by name, as the findings' messages use them (``{department}``)."""
        return {
            "department": self.department,
            "project": self.project,
            "indicator": self.indicator,
            "target": self.target,
            "actual": self.actual,
        }

    def say(self, text: str) -> str:
        """One of kpibook's own fixed sentences (目標値がありません) in these words."""
        default = _DEFAULT_WORDS
        for name, word in self.words().items():
            if word != default[name]:
                text = text.replace(default[name], word)
        return text

    @property
    def not_gradable(self) -> str:
        """What the not-gradable mark means: 目標値または実績値がなく評価できない…"""
        return f"{self.target}または{self.actual}がなく評価できない（集計中・該当なしを含む）"

    @property
    def self_grade(self) -> str:
        """The department's own grade: 担当課の評価."""
        return f"{self.department}の評価"


_DEFAULT_WORDS = Terms().words()


class TemplateBase(Model):
    sheet: Label = Field(max_length=31, description="Name of the sheet with the form.")
    instructions_sheet: Label = Field(max_length=31, description="記入要領 sheet name.")
    lists_sheet: Label = Field(max_length=31, description="Hidden sheet of dropdown choices.")
    font: Font
    self_grade: GradeEntry
    texts: list[TextEntry]
    text_lines: int = Field(ge=1, le=40, description="Lines of height for an empty text entry.")
    colours: Colours
    print: PrintSettings
    terms: Terms = Field(
        default_factory=Terms,
        description="The plan's words for department, project, indicator, target and actual.",
    )
    fields: list[FieldSpec] = Field(
        default_factory=list,
        description="Extra fields of every plan using the template (a plan's field of the "
        "same key replaces one).",
    )


class CardTemplate(TemplateBase):
    layout: Literal["card"]
    labels: CardLabels
    grade_explanation: TextEntry
    actual_note: TextEntry | None = Field(
        default=None, description="A note the department may add to each report-year actual."
    )
    columns: CardColumns
    year_rates: bool = Field(
        default=False,
        description="Print a 達成率 row under each indicator's years (years across, and "
        "報告書): the rate of every year that has an actual, computed as of that year (as "
        "茨城県's cards print them). The report year's is printed in 報告書 only.",
    )
    years: Literal["down", "across"] = Field(
        default="down",
        description="How each indicator's years print: down (a row per year: 年度 | 目標値 "
        "| 実績値 | 実績の状況) or across (a column per year, rows 目標値 and 実績値, as "
        "official cards print them).",
    )
    report: CardReport = Field(default_factory=CardReport, description="The printed 報告書.")


class MatrixTemplate(TemplateBase):
    layout: Literal["matrix"]
    labels: MatrixLabels
    columns: MatrixColumns
    report: MatrixReport = Field(default_factory=MatrixReport, description="The printed 報告書.")


FormTemplate = CardTemplate | MatrixTemplate


def fields_of(plan: Plan, template: TemplateBase) -> list[FieldSpec]:
    """The custom fields of ``plan``'s forms: its template's and its own."""
    return plan_fields(plan, template.fields)


def templates_root() -> Path:
    return data_dir("templates")


@cache
def load_template(layout: Layout, path: Path | None = None) -> FormTemplate:
    """The template of a layout: ``templates/<layout>.yaml`` unless a path is given."""
    path = path or templates_root() / f"{layout.value}.yaml"
    model: type[FormTemplate] = CardTemplate if layout is Layout.CARD else MatrixTemplate
    return load_model_yaml(path, model)


TEMPLATE_FIELD = "template"
"""The plan's field naming its template (the plan workbook's 計画 sheet: 様式テンプレート)."""


class TemplateMissing(KpibookError):
    """The template a plan names is not there."""

    exit_code = 2

    def __init__(self, path: Path) -> None:
        super().__init__(
            Message(
                ja=f"計画の「様式テンプレート」（{TEMPLATE_FIELD}）に指定したファイルがありません。"
                "ファイルの場所を確かめるか、計画の指定を直してください",
                en=f"the template named by the plan's {TEMPLATE_FIELD} field does not exist; "
                "move the file there or correct the plan",
            ),
            where=path,
        )


def plan_template(plan: Plan, override: Path | None = None) -> FormTemplate:
    """The template ``plan``'s forms are made, checked and merged with: ``override`` (the
    ``--template`` option) if given, else the one the plan names (its path as
    :func:`kpibook.sources.load_plan` resolved it), else the built-in one of its layout."""
    if override is not None:
        return load_template(plan.layout, Path(override))
    if plan.template is None:
        return load_template(plan.layout)
    path = Path(plan.template)
    if not path.is_file():
        raise TemplateMissing(path)
    try:
        return load_template(plan.layout, path)
    except LoadError as exc:
        named = Problem(
            where=str(path),
            message=Message(
                ja=f"計画の「様式テンプレート」（{TEMPLATE_FIELD}）に指定した様式テンプレートです",
                en=f"the template named by the plan's {TEMPLATE_FIELD} field",
            ),
        )
        raise LoadError(exc.path, [named, *exc.problems]) from None
