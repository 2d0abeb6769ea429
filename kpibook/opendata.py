"""Open data (``kpibook export``): the plan, the entries and the grades as tidy tables.

The tables follow the 総務省 rules for machine-readable statistical tables: one value per
cell, no merged cells, numbers without units (units in their own column), no layout
rows, western fiscal years with the era label alongside.  Every table and column is
declared once in :data:`TABLES`; the CSV files, the JSON document, the Data Package
descriptor (``datapackage.json``, Table Schema) and ``docs/export.md`` all come from it.

CSV files are UTF-8 with a BOM (Excel opens them in Japanese) and every text field that
a spreadsheet could take for a formula (starting with = + - @, a tab or a carriage
return) is prefixed with ``'`` (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from kpibook import __version__
from kpibook.atomic import ensure_folder, write_bytes_atomic
from kpibook.contract.content import placement_number
from kpibook.entries import Entries
from kpibook.fields import FieldSpec, field_value
from kpibook.fiscal import era_label
from kpibook.grading import REASONS, grade_report, round_rate
from kpibook.grading.rates import method_of
from kpibook.plan import Plan, Section
from kpibook.values import ActualStatus, Value, ValueKind

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


def _field_column(spec: FieldSpec) -> Column:
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
        replace(t, base_columns=(*t.base_columns, *map(_field_column, extra[t.name])))
        if extra.get(t.name)
        else t
        for t in TABLES
    )


def _field_cells(
    plan: Plan, project: Any, indicator: Any, entries: Entries
) -> dict[str, str | Decimal | None]:
    of = "project" if indicator is None else "indicator"
    entry = entries.for_project(project.id)
    return {
        f"{FIELD_COLUMN}{f.key}": field_value(f, project, indicator, entry)
        for f in plan.fields
        if f.of == of
    }


def tables(plan: Plan, entries: Entries | None) -> dict[str, list[Row]]:
    """Every table's rows, in the plan's order."""
    entries = entries or Entries(plan=plan.id, fiscal_year=plan.report_year)
    out: dict[str, list[Row]] = {
        "sections": list(_sections(plan, plan.sections, None, 1, "")),
        "projects": [],
        "placements": [],
        "project_departments": [],
        "indicators": [],
        "values": [],
        "entries": [],
        "project_grades": [],
        "indicator_grades": [],
        "section_grades": [],
    }
    for p in plan.projects:
        out["projects"].append(
            {
                "project_id": p.id,
                "name": p.name,
                "lead_department": p.lead_department,
                "overview": p.overview,
                "annual_plan": p.annual_plan,
                "listings": len(p.placements),
                **_field_cells(plan, p, None, entries),
            }
        )
        listing = 0
        for n, pl in enumerate(p.placements):
            listing += 1
            out["placements"].append(
                {
                    "project_id": p.id,
                    "listing": listing,
                    "section_id": pl.section,
                    "number": placement_number(plan, pl),
                    "relisting": n > 0,
                    "content": pl.content,
                }
            )
        for outside in p.other_listings:
            listing += 1
            out["placements"].append(
                {
                    "project_id": p.id,
                    "listing": listing,
                    "section_id": None,
                    "number": outside,
                    "relisting": True,
                    "content": None,
                }
            )
        out["project_departments"] += [
            {
                "project_id": p.id,
                "department": d,
                "role": "lead" if d == p.lead_department else "shared",
            }
            for d in p.departments
        ]
        entry = entries.for_project(p.id)
        for ind in p.indicators:
            out["indicators"].append(
                {
                    "indicator_id": ind.id,
                    "project_id": p.id,
                    "label": ind.label,
                    "unit": ind.unit,
                    "direction": ind.direction.value,
                    "rate_method": method_of(ind, plan.grading).value,
                    "baseline": ind.baseline.number,
                    "baseline_year": ind.baseline_year,
                    "cumulative": ind.cumulative,
                    "data_lag": ind.data_lag,
                    "note": ind.note,
                    **_field_cells(plan, p, ind, entries),
                }
            )
            for year, v in ind.targets.items():
                out["values"].append(_value(ind.id, "target", year, v, "plan"))
            if not ind.final_target.is_empty:
                out["values"].append(
                    _value(ind.id, "final_target", plan.period.end, ind.final_target, "plan")
                )
            for year, v in ind.actuals.items():
                out["values"].append(_value(ind.id, "actual", year, v, "plan", ind.status_of(year)))
            for year, v in ind.original_targets.items():
                out["values"].append(_value(ind.id, "original_target", year, v, "plan"))
            if not ind.original_final_target.is_empty:
                out["values"].append(
                    _value(
                        ind.id,
                        "original_final_target",
                        plan.period.end,
                        ind.original_final_target,
                        "plan",
                    )
                )
            reported = entry.actuals.get(ind.id) if entry else None
            if reported is not None and not reported.is_empty:
                status = entry.actual_status.get(ind.id) if entry else None
                out["values"].append(
                    _value(ind.id, "actual", plan.report_year, reported, "return", status)
                )
        if entry is not None:
            out["entries"].append(
                {
                    "project_id": p.id,
                    "department": p.lead_department,
                    **{
                        k: getattr(entry, k)
                        for k in (
                            "activity_report",
                            "issues",
                            "future_plan",
                            "self_grade",
                            "grade_explanation",
                            "comment",
                            "improvement",
                        )
                    },
                }
            )
    report = grade_report(plan, entries)
    out["section_grades"] = [
        {
            "section_id": sg.section,
            "depth": sg.depth,
            "name": sg.name,
            "rule": sg.rule.value,
            "of": sg.of,
            "at_least": sg.at_least,
            "counted": sg.counted,
            "measure": None if sg.measure is None else round_rate(sg.measure, RATE_PLACES),
            "measure_shown": sg.measure_shown,
            "grade": sg.grade,
            "not_gradable": REASONS[sg.not_gradable].en if sg.not_gradable else None,
            "self_grade": sg.self_grade,
            "owner": sg.owner,
            "explanation": sg.explanation,
            "mismatch": sg.mismatch,
        }
        for sg in report.sections
    ]
    for g in report.projects:
        out["project_grades"].append(
            {
                "project_id": g.project,
                "grade": g.grade,
                "not_gradable": REASONS[g.not_gradable].en if g.not_gradable else None,
                "self_grade": g.self_grade,
                "mismatch": g.mismatch,
            }
        )
        for ig in g.indicators:
            out["indicator_grades"].append(
                {
                    "indicator_id": ig.indicator,
                    "project_id": g.project,
                    "graded_year": ig.year,
                    "target_kind": ig.target_source,
                    "target": _number(ig.target),
                    "original_target": _number(ig.original_target),
                    "actual": _number(ig.actual),
                    "cumulative_total": ig.total,
                    "method": ig.method.value,
                    "baseline": _number(ig.baseline),
                    "rate": None if ig.rate is None else round_rate(ig.rate, RATE_PLACES),
                    "rate_shown": ig.rate_shown,
                    "grade": ig.grade,
                    "not_gradable": REASONS[ig.not_gradable].en if ig.not_gradable else None,
                    "preliminary": ig.preliminary,
                }
            )
    for table in TABLES:
        for row in out[table.name]:
            for name in table.plain:
                text = row.get(name)
                row[f"{name}_plain"] = None if text is None else plain_text(text)
    return out


_CIRCLED = {chr(0x2460 + n): f"({n + 1})" for n in range(20)}  # ① .. ⑳
_MACHINE_DEPENDENT = re.compile("[\u2116\u2121\u2150-\u218f\u2460-\u24ff\u3200-\u33ff]")
"""Numero, TEL, Roman numerals, circled and parenthesised characters, squared units and
era names: the characters the 総務省's rules for open data ask to avoid."""


def plain_text(text: str) -> str:
    """``text`` with machine-dependent characters in plain ones: ① → (1), Ⅱ → II,
    ㈱ → (株), ㎡ → m2, ㍻ → 平成; everything else (full-width letters included) as
    printed."""
    return _MACHINE_DEPENDENT.sub(
        lambda m: _CIRCLED.get(m[0]) or unicodedata.normalize("NFKC", m[0]), text
    )


def _sections(
    plan: Plan, nodes: list[Section], parent: str | None, level: int, above: str
) -> Iterator[Row]:
    names = plan.section_levels
    for node in nodes:
        full = above + node.number
        yield {
            "section_id": node.id,
            "parent_id": parent,
            "level": level,
            "level_name": names[level - 1] if level <= len(names) else None,
            "number": node.number,
            "full_number": full,
            "title": node.title,
            "action_goal": node.action_goal,
            "outcome_goal": node.outcome_goal,
        }
        yield from _sections(plan, node.children, node.id, level + 1, full)


def _value(
    indicator: str,
    kind: str,
    year: int | None,
    v: Value,
    source: str,
    status: ActualStatus | None = None,
) -> Row:
    numeric_actual = kind == "actual" and v.kind is ValueKind.NUMBER
    return {
        "indicator_id": indicator,
        "kind": kind,
        "fiscal_year": year,
        "era_label": era_label(year) if year is not None else None,
        "state": v.kind.value,
        "value": v.number,
        "qualitative": v.qualitative.value if v.qualitative else None,
        "note": v.note,
        "status": (status or ActualStatus.FINAL).value if numeric_actual else None,
        "source": source,
    }


def _number(v: Value | None) -> Decimal | None:
    return v.number if v is not None and v.kind is ValueKind.NUMBER else None


# -- writing ------------------------------------------------------------------------------


def neutralize(text: str) -> str:
    """A text a spreadsheet would run as a formula, made inert (OWASP)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_cell(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if column.type == "boolean":
        return "true" if value else "false"
    if column.type in ("integer", "number"):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    return neutralize(str(value))


def write_csv(plan: Plan, entries: Entries | None, outdir: Path) -> list[Path]:
    """One CSV per table and a ``datapackage.json`` describing them."""
    ensure_folder(outdir)
    rows = tables(plan, entries)
    written = []
    for table in plan_tables(plan):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([c.name for c in table.columns])
        for row in rows[table.name]:
            writer.writerow([_csv_cell(row.get(c.name), c) for c in table.columns])
        path = outdir / f"{table.name}.csv"
        write_bytes_atomic(path, buffer.getvalue().encode("utf-8-sig"))
        written.append(path)
    descriptor = outdir / "datapackage.json"
    write_bytes_atomic(
        descriptor, json.dumps(datapackage(plan), ensure_ascii=False, indent=2).encode("utf-8")
    )
    return [*written, descriptor]


def datapackage(plan: Plan) -> dict[str, Any]:
    """A frictionless Tabular Data Package describing the CSV files."""
    return {
        "profile": "tabular-data-package",
        "name": plan.id,
        "title": f"{plan.title}　{era_label(plan.report_year, 'long')} 進捗状況",
        "description": f"Exported by kpibook {__version__}.",
        "resources": [
            {
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "path": f"{t.name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "schema": {
                    "fields": [
                        {
                            "name": c.name,
                            "type": c.type,
                            "title": c.title,
                            "description": c.description,
                        }
                        for c in t.columns
                    ],
                    "primaryKey": list(t.primary_key),
                    "foreignKeys": [
                        {
                            "fields": column,
                            "reference": {
                                "resource": "" if target == t.name else target,
                                "fields": field,
                            },
                        }
                        for column, target, field in t.foreign_keys
                    ],
                    "missingValues": [""],
                },
            }
            for t in plan_tables(plan)
        ],
    }


def write_json(plan: Plan, entries: Entries | None, path: Path) -> Path:
    """All tables in one JSON document (schema: docs/export.md)."""
    rows = tables(plan, entries)

    def plain(value: Any, column: Column) -> Any:
        if isinstance(value, Decimal):
            return int(value) if column.type == "integer" else float(value)
        return value

    document = {
        "format": FORMAT,
        "version": VERSION,
        "plan": plan.id,
        "title": plan.title,
        "fiscal_year": plan.report_year,
        "era_label": era_label(plan.report_year),
        "tables": {
            t.name: [{c.name: plain(r.get(c.name), c) for c in t.columns} for r in rows[t.name]]
            for t in plan_tables(plan)
        },
    }
    write_bytes_atomic(path, json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))
    return path
