"""A synthetic plan at national scale: many departments, each filling about 60 indicators.

The shape follows the national surveys answered by every municipality: one workbook per
respondent, a few dozen projects each with a few indicators, targets for every year of
the plan and actuals for the years already reported.  Values are deterministic (seeded)
so every run measures the same files.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from kpibook.entries import Entries, ProjectEntry
from kpibook.plan import Plan
from kpibook.values import Value, ValueKind

SECTIONS = 12
"""Top-level sections (施策の柱); each has three sub-sections."""


def synthetic_plan(
    departments: int = 1741, projects: int = 20, indicators: int = 3, layout: str = "matrix"
) -> Plan:
    """``departments`` × ``projects`` projects with ``indicators`` indicators each."""
    rng = random.Random(1741)
    sections = [
        {
            "id": f"{s}",
            "number": f"柱{s}",
            "title": f"施策の柱その{s}",
            "children": [
                {"id": f"{s}-{c}", "number": f"({c})", "title": f"施策{s}の{c}"}
                for c in range(1, 4)
            ],
        }
        for s in range(1, SECTIONS + 1)
    ]
    plan_projects: list[dict[str, Any]] = []
    for d in range(departments):
        dept = f"自治体{d + 1:04d}"
        for p in range(projects):
            s = (d + p) % SECTIONS + 1
            pid = f"d{d + 1}-p{p + 1}"
            plan_projects.append(
                {
                    "id": pid,
                    "name": f"事業{p + 1}（{dept}）",
                    "lead_department": dept,
                    "overview": "地域の取組を支援し、参加者を増やす。",
                    "placements": [{"section": f"{s}-{p % 3 + 1}"}],
                    "indicators": [_indicator(rng, f"{pid}-{i + 1}", i) for i in range(indicators)],
                }
            )
    return Plan.model_validate(
        {
            "id": "national",
            "title": "全国調査（合成データ）",
            "issuer": "kpibook ベンチマーク",
            "period": {"start": 2020, "end": 2024},
            "report_year": 2023,
            "layout": layout,
            "midterm_year": 2022 if layout == "matrix" else None,
            "section_levels": ["柱", "施策"],
            "grading": {
                "bands": [
                    {"grade": "○", "min_rate": 100, "label": "目標を達成"},
                    {"grade": "△", "min_rate": 80, "label": "目標の8割以上"},
                    {"grade": "×", "min_rate": 0, "label": "目標の8割未満"},
                ],
                "not_gradable": "－",
            },
            "departments": [{"name": f"自治体{d + 1:04d}"} for d in range(departments)],
            "sections": sections,
            "projects": plan_projects,
        }
    )


def _indicator(rng: random.Random, iid: str, i: int) -> dict[str, Any]:
    base = rng.randint(50, 5000)
    return {
        "id": iid,
        "label": ["参加人数", "相談件数", "実施回数"][i % 3],
        "unit": ["人", "件", "回"][i % 3],
        "targets": {y: base + 10 * (y - 2019) for y in range(2020, 2025)},
        "actuals": {y: base + rng.randint(-20, 20) for y in range(2020, 2023)},
    }


def synthetic_entries(plan: Plan) -> Entries:
    """What every department writes back: an actual per indicator, some pending, a comment."""
    rng = random.Random(2023)
    entries = []
    for project in plan.projects:
        actuals: dict[str, Value] = {}
        for ind in project.indicators:
            if rng.random() < 0.03:
                actuals[ind.id] = Value(kind=ValueKind.PENDING)
            else:
                target = ind.targets[2023].number or Decimal(100)
                actuals[ind.id] = Value.of(int(target * Decimal(rng.uniform(0.7, 1.2))))
        entries.append(
            ProjectEntry(
                project=project.id,
                actuals=actuals,
                comment="計画どおり実施した。来年度も継続する。",
            )
        )
    return Entries(plan=plan.id, fiscal_year=plan.report_year, entries=entries)
