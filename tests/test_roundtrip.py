"""Property tests: any valid plan survives text → plan and workbook → plan unchanged."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpibook.plan import LAYOUT_TEXTS, Layout, Plan
from kpibook.planbook import read_plan_workbook, write_plan_workbook
from kpibook.plantext import dump_yaml, load_plan_yaml

# Text as people write it in plans: Japanese, ASCII, punctuation, line breaks in long text.
CHARS = st.characters(
    codec="utf-8",
    categories=("L", "N", "P", "S", "Zs"),
    exclude_characters="\u3000",
)
label = (
    st.text(CHARS, min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
    .filter(lambda s: not any(c in s for c in '\\/:*?"<>|[]、,，'))
)
text = st.text(st.one_of(CHARS, st.just("\n")), min_size=1, max_size=60).filter(
    lambda s: s.strip() != ""
)
ident = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,8}", fullmatch=True)
number = st.decimals(
    min_value=-(10**9), max_value=10**9, places=3, allow_nan=False, allow_infinity=False
)
value = st.one_of(
    number,
    st.sampled_from(["増加", "減少", "維持", "集計中", "－"]),
    st.fixed_dictionaries({"value": st.one_of(st.none(), number), "note": text}),
)


score = st.decimals(min_value=0, max_value=10, places=1)


@st.composite
def owner_level(draw: st.DrawFn) -> dict[str, Any]:
    """A level only an owner chooses (着手済), with or without its extras."""
    return {
        "grade": draw(st.sampled_from(["着手済", "未着手", "対象外"])),
        "label": draw(label),
        "description": draw(st.one_of(st.none(), text)),
        "score": draw(st.one_of(st.none(), score)),
    }


@st.composite
def evaluations(draw: st.DrawFn, depth: int, departments: list[str]) -> list[dict[str, Any]]:
    """Section evaluations at some of the tree's depths, by every rule, entered by an
    owner (always for the rule 'owner')."""
    out = []
    for level in draw(st.lists(st.integers(1, depth), unique=True, max_size=2)):
        rule = draw(st.sampled_from(["worst", "best", "average", "share", "owner"]))
        evaluation: dict[str, Any] = {
            "depth": level,
            "name": draw(st.one_of(st.none(), label)),
            "rule": rule,
            "of": draw(st.sampled_from(["indicators", "projects"])),
        }
        if rule in ("average", "share"):
            top = draw(
                st.decimals(min_value=1, max_value=5 if rule == "average" else 100, places=1)
            )
            evaluation["bands"] = [
                {
                    "grade": "甲",
                    "threshold": top,
                    "label": draw(label),
                    "score": draw(st.one_of(st.none(), score)),
                },
                {
                    "grade": "乙",
                    "threshold": 0,
                    "label": draw(label),
                    "description": draw(st.one_of(st.none(), text)),
                },
            ]
            evaluation["owner_levels"] = draw(st.lists(owner_level(), max_size=1))
            evaluation["explanation_optional_for"] = draw(
                st.lists(st.sampled_from(["甲", "乙"]), unique=True)
            )
        if rule == "share":
            evaluation["at_least"] = draw(st.sampled_from(["A", "B", "C"]))
        if rule == "owner":
            evaluation["owner_levels"] = draw(
                st.lists(owner_level(), min_size=1, max_size=3, unique_by=lambda o: o["grade"])
            )
        owner = st.sampled_from(departments)
        evaluation["owner"] = draw(owner if rule == "owner" else st.none() | owner)
        out.append(evaluation)
    return out


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    start = draw(st.integers(2016, 2030))
    end = draw(st.integers(start, start + 6))
    report = draw(st.integers(start, end))
    departments = draw(
        st.lists(label.filter(lambda s: len(s) <= 31), min_size=1, max_size=3, unique=True)
    )
    section_ids = draw(st.lists(ident, min_size=1, max_size=4, unique_by=str.casefold))
    sections: list[dict[str, Any]] = [
        {
            "id": section_ids[0],
            "number": "1.",
            "title": draw(label),
            "action_goal": draw(st.one_of(st.none(), text)),
            "children": [
                {"id": sid, "number": f"({n})", "outcome_goal": draw(st.one_of(st.none(), text))}
                for n, sid in enumerate(section_ids[1:], start=1)
            ],
        }
    ]
    ids = draw(st.lists(ident, min_size=2, max_size=8, unique_by=str.casefold))
    projects: list[dict[str, Any]] = []
    indicator_ids = iter(ids[len(ids) // 2 :])
    for pid in ids[: len(ids) // 2]:
        indicators: list[dict[str, Any]] = []
        for iid in draw(st.lists(st.just(0), max_size=2)):
            del iid
            ind_id = next(indicator_ids, None)
            if ind_id is None:
                break
            indicators.append(
                {
                    "id": ind_id,
                    "label": draw(label),
                    "unit": draw(st.one_of(st.none(), st.sampled_from(["人", "件", "%", "か所"]))),
                    "direction": draw(st.sampled_from(["higher", "lower"])),
                    "targets": draw(st.dictionaries(st.integers(start, end), value, max_size=3)),
                    "final_target": draw(st.one_of(st.none(), value)),
                    "actuals": draw(
                        st.dictionaries(st.integers(start - 3, report - 1), value, max_size=3)
                    ),
                    "note": draw(st.one_of(st.none(), text)),
                    "baseline": draw(
                        st.one_of(
                            st.none(),
                            number,
                            st.fixed_dictionaries({"value": number, "note": text}),
                        )
                    ),
                    "rate_method": draw(st.sampled_from([None, "ratio", "progress"])),
                    "cumulative": draw(st.booleans()),
                    "data_lag": draw(st.integers(0, 3)),
                }
            )
            numeric = [
                y
                for y, v in indicators[-1]["actuals"].items()
                if isinstance(v, Decimal) or (isinstance(v, dict) and v["value"] is not None)
            ]
            indicators[-1]["actual_status"] = {
                y: "preliminary" for y in numeric if draw(st.booleans())
            }
            indicators[-1]["preliminary_allowed"] = draw(st.booleans())
            targets = indicators[-1]["targets"]
            indicators[-1]["original_targets"] = {
                y: draw(value) for y in targets if draw(st.booleans())
            }
            if indicators[-1]["final_target"] is not None or end in targets:
                indicators[-1]["original_final_target"] = draw(st.one_of(st.none(), value))
            if indicators[-1]["baseline"] is not None:
                indicators[-1]["baseline_year"] = draw(
                    st.one_of(st.none(), st.integers(start - 5, end))
                )
        lead = draw(st.sampled_from(departments))
        projects.append(
            {
                "id": pid,
                "name": draw(label),
                "lead_department": lead,
                "other_departments": [d for d in departments if d != lead][
                    : draw(st.integers(0, 2))
                ],
                "overview": draw(st.one_of(st.none(), text)),
                "placements": [
                    {
                        "section": sid,
                        "number": draw(st.one_of(st.none(), label)),
                        "order": draw(st.one_of(st.none(), st.integers(1, 99))),
                    }
                    for sid in draw(
                        st.lists(st.sampled_from(section_ids), min_size=1, max_size=2, unique=True)
                    )
                ],
                "indicators": [{k: v for k, v in i.items() if v is not None} for i in indicators],
                "footnotes": [{"term": draw(label), "text": draw(text)}]
                if draw(st.booleans())
                else [],
            }
        )
    layout = draw(st.sampled_from(["card", "matrix"]))
    texts = LAYOUT_TEXTS[Layout(layout)]
    required_when = draw(
        st.dictionaries(
            st.sampled_from(texts),
            st.lists(st.sampled_from(["A", "B", "C"]), unique=True),
            max_size=2,
        )
    )
    fields = draw(custom_fields())
    for project in projects:
        project["fields"] = draw(field_values(fields, "project"))
        for ind in cast(list[dict[str, Any]], project["indicators"]):
            ind["fields"] = draw(field_values(fields, "indicator"))
    plan = Plan.model_validate(
        {
            "fields": fields,
            "id": draw(ident),
            "title": draw(label),
            "issuer": draw(label),
            "period": {"start": start, "end": end},
            "report_year": report,
            "layout": layout,
            "checks": {"required_when": required_when},
            "intro": draw(st.lists(text, max_size=2)),
            "grading": {
                "bands": [
                    {"grade": "A", "min_rate": draw(st.decimals(51, 100, places=2)), "label": "a"},
                    {
                        "grade": "B",
                        "min_rate": Decimal(50),
                        "label": "b",
                        "description": draw(st.one_of(st.none(), text)),
                        "score": draw(st.one_of(st.none(), score)),
                    },
                    {"grade": "C", "min_rate": 0, "label": "c"},
                ],
                "owner_levels": draw(
                    st.lists(owner_level(), max_size=2, unique_by=lambda o: o["grade"])
                ),
                "evaluations": draw(evaluations(2 if len(section_ids) > 1 else 1, departments)),
                "fallback_to_final": draw(st.booleans()),
                "description": draw(st.none() | text),
                "rate_method": draw(st.sampled_from(["ratio", "progress"])),
                "rounding": {
                    "method": draw(st.sampled_from(["half_up", "truncate"])),
                    "places": draw(st.integers(0, 4)),
                    "grade_on": draw(st.sampled_from(["exact", "shown"])),
                },
            },
            "departments": [{"name": d} for d in departments],
            "sections": sections,
            "projects": projects,
        }
    )
    return plan


@st.composite
def custom_fields(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Some of each kind of custom field, the coordinator's and the department's."""
    places = draw(st.one_of(st.none(), st.integers(0, 2)))
    candidates: list[dict[str, Any]] = [
        {"key": "source", "label": draw(label), "of": "indicator", "help": draw(st.none() | text)},
        {
            "key": "rank",
            "label": "全国順位",
            "kind": "number",
            "of": draw(st.sampled_from(["project", "indicator"])),
            "decimals": places,
            "unit": draw(st.sampled_from([None, "位"])),
            "minimum": draw(st.sampled_from([None, Decimal(0)])),
        },
        {
            "key": "phase",
            "label": "段階",
            "kind": "choice",
            "choices": draw(st.lists(label, min_size=1, max_size=3, unique=True)),
        },
        {
            "key": "measure",
            "label": "改善策",
            "filled_by": "department",
            "max_length": draw(st.one_of(st.none(), st.integers(1, 500))),
            "required": draw(st.sampled_from([False, True, ["B", "C"]])),
        },
    ]
    chosen = draw(st.lists(st.sampled_from(range(len(candidates))), unique=True))
    return [{k: v for k, v in candidates[n].items() if v is not None} for n in sorted(chosen)]


@st.composite
def field_values(draw: st.DrawFn, fields: list[dict[str, Any]], of: str) -> dict[str, Any]:
    """Values of the coordinator's fields of a project or an indicator, some left out."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.get("of", "project") != of or f.get("filled_by") == "department":
            continue
        if not draw(st.booleans()):
            continue
        kind = f.get("kind", "text")
        if kind == "number":
            out[f["key"]] = draw(st.decimals(0, 10_000, places=f.get("decimals", 2)))
        elif kind == "choice":
            out[f["key"]] = draw(st.sampled_from(f["choices"]))
        else:
            out[f["key"]] = draw(text)
    return out


@pytest.mark.slow
@given(plans())
def test_text_form_round_trip(plan: Plan) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.yaml"
        path.write_text(dump_yaml(plan), encoding="utf-8")
        assert load_plan_yaml(path) == plan


@pytest.mark.slow
@given(plans())
def test_workbook_round_trip(plan: Plan) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.xlsx"
        write_plan_workbook(plan, path)
        assert read_plan_workbook(path) == plan
