"""The open-data tables declared once: every table and column (name, type, Japanese
title, description, keys), from which the CSV files, the JSON document, the Data Package
descriptor and ``docs/export.md`` are made; a plan's custom fields add their columns."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from kpibook.fields import FieldSpec
from kpibook.plan import Plan

FieldType = Literal["string", "integer", "number", "boolean"]
FORMAT = "kpibook-export"
VERSION = 2
"""2: grades split into project_grades and indicator_grades; _plain columns."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RATE_PLACES = 4
"""Decimal places of the rates written, rounded half up as everywhere a rate is shown."""


@dataclass(frozen=True)
class Column:
    name: str
    type: FieldType
    title: str
    description: str


ForeignKey = tuple[str, str, str]
"""(column, table it refers to, that table's column)."""


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    base_columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    plain: tuple[str, ...] = ()
    """Printed text columns that get a ``<name>_plain`` column beside them: the same text
    with machine-dependent characters (①, Ⅱ, ㈱, ㎡) spelt in plain characters, as the
    総務省's rules for open data ask."""

    @property
    def columns(self) -> tuple[Column, ...]:
        out: list[Column] = []
        for c in self.base_columns:
            out.append(c)
            if c.name in self.plain:
                out.append(
                    Column(
                        f"{c.name}_plain",
                        "string",
                        f"{c.title}（機種依存文字なし）",
                        f"{c.name} with machine-dependent characters (①, Ⅱ, ㈱) in plain "
                        "characters: (1), II, (株).",
                    )
                )
        return tuple(out)


def _c(name: str, type_: FieldType, title: str, description: str) -> Column:
    return Column(name, type_, title, description)


TABLES: tuple[Table, ...] = (
    Table(
        "sections",
        "体系",
        "The plan's tree (基本方針 → 施策 → ...), one row per node.",
        (
            _c("section_id", "string", "体系ID", "Stable id of the section."),
            _c("parent_id", "string", "上位の体系ID", "Id of the section above; empty at the top."),
            _c("level", "integer", "階層", "Depth in the tree, 1 at the top."),
            _c("level_name", "string", "階層名", "What the plan calls this level (基本方針)."),
            _c("number", "string", "番号", "The number as printed: 1., (1), ①, 柱2."),
            _c("full_number", "string", "番号（通し）", "Numbers from the top: 1.(2)."),
            _c("title", "string", "名称", "Heading text."),
            _c("action_goal", "string", "行動目標", "《行動目標》."),
            _c("outcome_goal", "string", "成果目標", "《成果目標》."),
        ),
        ("section_id",),
        (("parent_id", "sections", "section_id"),),
        ("number", "full_number", "title"),
    ),
    Table(
        "projects",
        "事業",
        "One row per project, however often it is listed; after these columns, one "
        "`field_<key>` column per custom field of projects the plan declares (typed "
        "integer, number or string as declared; the coordinator's value or the "
        "department's).",
        (
            _c("project_id", "string", "事業ID", "Stable id of the project."),
            _c("name", "string", "事業名", "Name as printed."),
            _c("lead_department", "string", "主担当課", "The department that reports it."),
            _c("overview", "string", "事業の概要", "事業の概要 / 内容."),
            _c("annual_plan", "string", "年度計画", "年度計画."),
            _c("listings", "integer", "掲載数", "How many times it is listed (2 or more: 再掲)."),
        ),
        ("project_id",),
        (),
        ("name",),
    ),
    Table(
        "placements",
        "掲載",
        "Every listing of a project; a project listed again is a 再掲.",
        (
            _c("project_id", "string", "事業ID", "The project."),
            _c("listing", "integer", "掲載順", "1 for its first listing, 2 for the next, ..."),
            _c("section_id", "string", "体系ID", "Where it is listed; empty outside this plan."),
            _c("number", "string", "掲載番号", "The listing's number as printed: 柱2(1)①ア."),
            _c("relisting", "boolean", "再掲", "True for every listing after the first."),
            _c(
                "content", "string", "掲載時の内容", "内容 printed at this listing, when different."
            ),
        ),
        ("project_id", "listing"),
        (("project_id", "projects", "project_id"), ("section_id", "sections", "section_id")),
        ("number",),
    ),
    Table(
        "project_departments",
        "担当課",
        "Departments of each project (the lead and sharers).",
        (
            _c("project_id", "string", "事業ID", "The project."),
            _c("department", "string", "担当課", "A department."),
            _c("role", "string", "役割", "lead (fills it in, 青色セル) or shared."),
        ),
        ("project_id", "department"),
        (("project_id", "projects", "project_id"),),
        ("department",),
    ),
    Table(
        "indicators",
        "指標",
        "One row per indicator of a project; after these columns, one `field_<key>` "
        "column per custom field of indicators the plan declares.",
        (
            _c("indicator_id", "string", "指標ID", "Stable id of the indicator."),
            _c("project_id", "string", "事業ID", "The project."),
            _c("label", "string", "指標名", "As printed, e.g. 参加人数."),
            _c("unit", "string", "単位", "Unit of every value (人, 件, %); never in the values."),
            _c("direction", "string", "方向", "higher or lower: which way is better."),
            _c(
                "rate_method",
                "string",
                "達成率の計算方法",
                "ratio (実績値 ÷ 目標値) or progress from the baseline, as graded.",
            ),
            _c(
                "baseline", "number", "基準値", "基準値 / 策定時 / 現状値, when the plan gives one."
            ),
            _c("baseline_year", "integer", "基準年度", "The fiscal year of the baseline."),
            _c(
                "cumulative",
                "boolean",
                "累計",
                "True when targets are running totals compared with the sum of the actuals.",
            ),
            _c(
                "data_lag",
                "integer",
                "公表の遅れ(年)",
                "Years its statistics may lag; graded on the latest year with an actual.",
            ),
            _c("note", "string", "備考", "Remark about the whole series."),
        ),
        ("indicator_id",),
        (("project_id", "projects", "project_id"),),
        ("label", "unit"),
    ),
    Table(
        "values",
        "目標値・実績値",
        "Targets and actuals in long form, one value per row.",
        (
            _c("indicator_id", "string", "指標ID", "The indicator."),
            _c(
                "kind",
                "string",
                "種別",
                "target, final_target (【最終目標】), actual, or original_target / "
                "original_final_target (当初目標: as first set, when revised).",
            ),
            _c(
                "fiscal_year",
                "integer",
                "年度",
                "Western fiscal year (April-March); for the final targets, the plan's last year.",
            ),
            _c("era_label", "string", "年度（和暦）", "The same year as printed: R1, H30."),
            _c(
                "state",
                "string",
                "状態",
                "number, qualitative (増加/減少/維持), pending (集計中), "
                "not_applicable (－) or empty.",
            ),
            _c("value", "number", "値", "The number, when state is number."),
            _c(
                "qualitative",
                "string",
                "定性目標",
                "増加, 減少 or 維持, when state is qualitative.",
            ),
            _c("note", "string", "注記", "Remark printed with the value."),
            _c(
                "status",
                "string",
                "速報値・確定値",
                "For a numeric actual: preliminary (速報値) or final (確定値).",
            ),
            _c("source", "string", "出典", "plan (set by the coordinator) or return (reported)."),
        ),
        ("indicator_id", "kind", "fiscal_year"),
        (("indicator_id", "indicators", "indicator_id"),),
    ),
    Table(
        "entries",
        "記入内容",
        "What each department reported for the report year.",
        (
            _c("project_id", "string", "事業ID", "The project."),
            _c("department", "string", "担当課", "The department that reported it."),
            _c("activity_report", "string", "活動報告", "活動報告 (card plans)."),
            _c("issues", "string", "課題・懸案事項", "課題・懸案事項 (card plans)."),
            _c("future_plan", "string", "今後の予定", "今後の予定 (card plans)."),
            _c("self_grade", "string", "担当課の評価", "The department's own grade."),
            _c("grade_explanation", "string", "評価の説明", "評価の説明 (card plans)."),
            _c("comment", "string", "成果・課題・方向性", "Results and direction (matrix plans)."),
            _c("improvement", "string", "改善策", "Improvement measures (matrix plans)."),
        ),
        ("project_id",),
        (("project_id", "projects", "project_id"),),
    ),
    Table(
        "project_grades",
        "事業の評価",
        "One row per project: its computed grade beside the department's own.",
        (
            _c("project_id", "string", "事業ID", "The project."),
            _c("grade", "string", "評価", "Computed grade; empty when not gradable."),
            _c("not_gradable", "string", "評価できない理由", "Why there is no computed grade."),
            _c("self_grade", "string", "担当課の評価", "The department's own grade."),
            _c("mismatch", "boolean", "不一致", "Both grades exist and differ."),
        ),
        ("project_id",),
        (("project_id", "projects", "project_id"),),
    ),
    Table(
        "indicator_grades",
        "指標の評価",
        "One row per indicator: the target and actual graded, the rate and the grade.",
        (
            _c("indicator_id", "string", "指標ID", "The indicator."),
            _c("project_id", "string", "事業ID", "Its project."),
            _c(
                "graded_year",
                "integer",
                "評価した年度",
                "The fiscal year graded: the report year, or the latest with data when the "
                "indicator's statistics lag.",
            ),
            _c("target_kind", "string", "評価に用いた目標", "year (the graded year's) or final."),
            _c("target", "number", "目標値", "The target graded against, when a number."),
            _c(
                "original_target",
                "number",
                "当初目標",
                "That target as first set, when it was revised.",
            ),
            _c("actual", "number", "実績値", "The graded year's actual, when a number."),
            _c(
                "cumulative_total",
                "number",
                "実績値の累計",
                "For 累計 indicators: the sum of the actuals compared with the target.",
            ),
            _c("method", "string", "計算方法", "ratio or progress (from the baseline)."),
            _c("baseline", "number", "基準値", "For progress: the baseline measured from."),
            _c(
                "rate",
                "number",
                "達成率(%)",
                f"Achievement rate in percent, to {RATE_PLACES} decimals (half up).",
            ),
            _c(
                "rate_shown",
                "number",
                "達成率（表示）",
                "The rate as the plan prints it (its rounding and places).",
            ),
            _c("grade", "string", "評価", "Computed grade; empty when not gradable."),
            _c("not_gradable", "string", "評価できない理由", "Why there is no computed grade."),
            _c(
                "preliminary",
                "boolean",
                "速報値で評価",
                "Graded on a 速報値 (the graded actual, or one summed, is preliminary).",
            ),
        ),
        ("indicator_id",),
        (
            ("indicator_id", "indicators", "indicator_id"),
            ("project_id", "projects", "project_id"),
        ),
    ),
    Table(
        "section_grades",
        "体系の評価",
        "The evaluation of each section at a depth the plan evaluates (施策, 基本目標).",
        (
            _c("section_id", "string", "体系ID", "The section."),
            _c("depth", "integer", "階層", "Its depth in the tree, 1 at the top."),
            _c("name", "string", "評価の種類", "What the evaluation is called, e.g. 施策の評価."),
            _c("rule", "string", "決め方", "worst, best, average, share or owner."),
            _c("of", "string", "対象", "What it combines: indicators, projects or sections."),
            _c("at_least", "string", "基準の評価", "For share: the grade counted (and better)."),
            _c("counted", "integer", "件数", "How many grades under it were combined."),
            _c(
                "measure",
                "number",
                "平均点・割合",
                f"For average, the mean score; for share, the percentage; to {RATE_PLACES} "
                "decimals (half up).",
            ),
            _c("measure_shown", "number", "平均点・割合（表示）", "As the plan prints rates."),
            _c("grade", "string", "評価", "The evaluation; empty when there is none."),
            _c("not_gradable", "string", "評価できない理由", "Why there is none."),
            _c("self_grade", "string", "担当の評価", "The owner's evaluation, when entered."),
            _c("owner", "string", "担当課", "The department that enters the evaluation."),
            _c("explanation", "string", "評価の理由", "The owner's reasons, when entered."),
            _c("mismatch", "boolean", "不一致", "A computed evaluation and the owner's differ."),
        ),
        ("section_id",),
        (("section_id", "sections", "section_id"),),
    ),
)

Row = dict[str, Any]


FIELD_COLUMN = "field_"
"""Custom fields are columns ``field_<key>`` of the projects or the indicators table."""


def field_column(spec: FieldSpec) -> Column:
    type_: FieldType = "string"
    if spec.kind == "number":
        type_ = "integer" if spec.decimals == 0 else "number"
    who = "the coordinator (the plan)" if spec.filled_by == "coordinator" else "the department"
    description = f"Custom field {spec.key!r} ({spec.kind}), filled by {who}."
    if spec.help:
        description += f" {spec.help}"
    return Column(f"{FIELD_COLUMN}{spec.key}", type_, spec.label, description)


def plan_tables(plan: Plan) -> tuple[Table, ...]:
    """:data:`TABLES` with a column per custom field of the plan: the projects' fields in
    the projects table, the indicators' in the indicators table."""
    extra = {
        "projects": [f for f in plan.fields if f.of == "project"],
        "indicators": [f for f in plan.fields if f.of == "indicator"],
    }
    return tuple(
        replace(t, base_columns=(*t.base_columns, *map(field_column, extra[t.name])))
        if extra.get(t.name)
        else t
        for t in TABLES
    )
