"""Open data (``kpibook export``): the plan, the entries and the grades as tidy tables.

The tables follow the 総務省 rules for machine-readable statistical tables: one value per
cell, no merged cells, numbers without units (units in their own column), no layout
rows, western fiscal years with the era label alongside.  Every table and column is
declared once in :data:`kpibook.opendata_tables.TABLES`; the CSV files, the JSON
document, the Data Package descriptor (``datapackage.json``, Table Schema) and
``docs/export.md`` all come from it.

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
from decimal import Decimal
from pathlib import Path
from typing import Any

from kpibook import __version__
from kpibook.atomic import ensure_folder, write_bytes_atomic
from kpibook.contract.content import placement_number
from kpibook.entries import Entries
from kpibook.fields import field_value
from kpibook.fiscal import era_label
from kpibook.grading import REASONS, grade_report, round_rate
from kpibook.grading.rates import method_of
from kpibook.opendata_tables import (
    FIELD_COLUMN,
    FORMAT,
    FORMULA_STARTS,
    RATE_PLACES,
    TABLES,
    VERSION,
    Column,
    Row,
    plan_tables,
)
from kpibook.plan import Plan, Section
from kpibook.values import ActualStatus, Value, ValueKind


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
