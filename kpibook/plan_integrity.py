"""What must hold between the parts of a plan beyond each field's own type: ids unique
(and not only by case), every reference resolvable (departments, sections, owners,
fields), evaluations that can be computed.  Each problem is an :data:`Issue` at its
place in the plan; :class:`~kpibook.plan.Plan` refuses itself with all of them."""

from __future__ import annotations

from collections.abc import Iterator

from kpibook.contract.names import CURRENT as NAMES
from kpibook.contract.names import EXCEL_NAME_MAX, casefold_key
from kpibook.errors import Loc, loc_text
from kpibook.fields import field_problems
from kpibook.message import Message
from kpibook.model import EXCEL_CELL_MAX as EXCEL_CELL_MAX
from kpibook.model import FY as FY
from kpibook.model import Id as Id
from kpibook.model import Label as Label
from kpibook.model import Model as Model
from kpibook.model import Text as Text
from kpibook.plan import LAYOUT_TEXTS, GradingScheme, Issue, Plan, Project, Section
from kpibook.scheme import (
    EvaluationRule,
    SectionEvaluation,
)
from kpibook.values import EMPTY, ValueKind


def _id_clashes(ids: list[tuple[Loc, str]], ja: str, en: str) -> Iterator[Issue]:
    """Ids used twice, each reported at its second use; and ids that differ only in case,
    which Excel's names do not tell apart (``pX`` and ``px`` would share every cell name
    of a form)."""
    first: dict[str, tuple[Loc, str]] = {}
    for loc, ident in ids:
        key = casefold_key(ident)
        if key not in first:
            first[key] = (loc, ident)
            continue
        where, other = first[key]
        at = loc_text(where)
        if other == ident:
            yield (
                loc,
                Message(
                    ja=f"{ja}ID「{ident}」が重複しています（{at} と同じ）",
                    en=f"{en} id {ident!r} is used twice (also at {at})",
                ),
            )
        else:
            yield (
                loc,
                Message(
                    ja=f"{ja}ID「{ident}」は {at} の「{other}」と大文字・小文字だけが違います。"
                    "Excel はセル名の大文字・小文字を区別しないため、別のIDにしてください",
                    en=f"{en} id {ident!r} differs from {other!r} (at {at}) only in case, which "
                    "Excel's names do not tell apart; use another id",
                ),
            )


def _duplicates(items: list[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for x in items:
        if x in seen and x not in dups:
            dups.append(x)
        seen.add(x)
    return dups


def integrity_problems(plan: Plan) -> Iterator[Issue]:
    depts = plan.department_names()
    for name in _duplicates(depts):
        yield (
            ("departments",),
            Message(
                ja=f"担当課「{name}」が重複しています", en=f"department {name!r} is listed twice"
            ),
        )
    known_depts = set(depts)

    section_ids = [p.section.id for p in plan.iter_sections()]
    for sid in _duplicates(section_ids):
        yield (
            ("sections",),
            Message(ja=f"体系ID「{sid}」が重複しています", en=f"section id {sid!r} is used twice"),
        )
    known_sections = set(section_ids)

    if not plan.period.start <= plan.report_year <= plan.period.end:
        yield (
            ("report_year",),
            Message(
                ja="報告年度が計画期間の外です", en="the report year is outside the plan period"
            ),
        )
    if plan.midterm_year is not None and not (
        plan.period.start <= plan.midterm_year <= plan.period.end
    ):
        yield (
            ("midterm_year",),
            Message(
                ja="中間年が計画期間の外です", en="the midterm year is outside the plan period"
            ),
        )

    yield from _id_clashes(
        [(("projects", n, "id"), p.id) for n, p in enumerate(plan.projects)], "事業", "project"
    )
    yield from _id_clashes(
        [
            (("projects", n, "indicators", k, "id"), i.id)
            for n, p in enumerate(plan.projects)
            for k, i in enumerate(p.indicators)
        ],
        "指標",
        "indicator",
    )
    for n, project in enumerate(plan.projects):
        for k, indicator in enumerate(project.indicators):
            if len(NAMES.indicator(project.id, indicator.id, "t2019")) > EXCEL_NAME_MAX:
                yield (
                    ("projects", n, "indicators", k, "id"),
                    Message(
                        ja="事業IDと指標IDが長すぎて、様式のセル名（255文字まで）に収まりません",
                        en="the project and indicator ids are too long for the form's cell "
                        f"names (Excel allows {EXCEL_NAME_MAX} characters)",
                    ),
                )

    for n, project in enumerate(plan.projects):
        yield from _project_problems(plan, ("projects", n), project, known_depts, known_sections)
    yield from _evaluation_problems(plan)
    yield from _owner_problems(plan, known_depts)
    yield from _required_problems(plan)
    yield from _field_problems(plan)


def _field_problems(plan: Plan) -> Iterator[Issue]:
    """Keys declared twice, and values of the plan's own fields that do not fit them
    (values of fields its template declares are checked with the template)."""
    for key in _duplicates([f.key for f in plan.fields]):
        yield (
            ("fields",),
            Message(ja=f"項目「{key}」が重複しています", en=f"field {key!r} is declared twice"),
        )
    yield from field_problems(plan, plan.fields, complete=False)


def _required_problems(plan: Plan) -> Iterator[Issue]:
    """Texts required for some grades must be texts of the layout, and grades of the scale."""
    grades = plan.grading.grades
    for key, listed in plan.checks.required_when.items():
        here: Loc = ("checks", "required_when", key)
        if key not in LAYOUT_TEXTS[plan.layout]:
            yield (
                here,
                Message(
                    ja="この様式にはない記入欄です",
                    en=f"{key!r} is not a text of a {plan.layout.value} form",
                ),
            )
        for n, grade in enumerate(listed):
            if grade not in grades:
                yield (
                    (*here, n),
                    Message(
                        ja=f"「{grade}」は評価（{'・'.join(grades)}）にありません",
                        en=f"{grade!r} is not one of the grades {grades}",
                    ),
                )


def _resolvable(scheme: GradingScheme, evaluation: SectionEvaluation) -> bool:
    """Every level ``evaluation`` is computed from is evaluated, down the tree."""
    while evaluation.of == "sections":
        below = scheme.evaluation_at(evaluation.depth + 1)
        if below is None:
            return False
        evaluation = below
    return True


def _evaluation_problems(plan: Plan) -> Iterator[Issue]:
    """Section evaluations must fit the tree and one another."""
    scheme = plan.grading
    depth = max((len(path.nodes) for path in plan.iter_sections()), default=0)
    seen: set[int] = set()
    for n, ev in enumerate(scheme.evaluations):
        here: Loc = ("grading", "evaluations", n)
        if ev.depth in seen:
            yield (
                (*here, "depth"),
                Message(
                    ja=f"第{ev.depth}階層の評価が2つあります",
                    en=f"depth {ev.depth} is evaluated twice",
                ),
            )
            continue
        seen.add(ev.depth)
        if ev.depth > depth:
            yield (
                (*here, "depth"),
                Message(
                    ja=f"体系は第{depth}階層までです",
                    en=f"the plan's sections are {depth} levels deep",
                ),
            )
        if not _resolvable(scheme, ev):
            if ev.of == "sections" and scheme.evaluation_at(ev.depth + 1) is not None:
                continue  # the level below is reported
            yield (
                (*here, "of"),
                Message(
                    ja=f"下位の体系から評価するには、第{ev.depth + 1}階層にも評価が必要です",
                    en=f"evaluated from its child sections, but depth {ev.depth + 1} is not "
                    "evaluated",
                ),
            )
            continue
        if ev.at_least is not None and ev.at_least not in scheme.input_scale(ev).grades:
            grades = scheme.input_scale(ev).grades
            yield (
                (*here, "at_least"),
                Message(
                    ja=f"「{ev.at_least}」は評価対象の評価（{'・'.join(grades)}）にありません",
                    en=f"{ev.at_least!r} is not one of the grades counted {list(grades)}",
                ),
            )


def _section_locs(
    nodes: list[Section], above: tuple[str | int, ...], depth: int = 1
) -> Iterator[tuple[Loc, Section, int]]:
    for n, node in enumerate(nodes):
        here = (*above, n)
        yield here, node, depth
        yield from _section_locs(node.children, (*here, "children"), depth + 1)


def _owner_problems(plan: Plan, known_depts: set[str]) -> Iterator[Issue]:
    """Who enters a section's evaluation must be a department, at an evaluated depth;
    an evaluation entered by its owner needs an owner for every section."""
    scheme = plan.grading
    for n, ev in enumerate(scheme.evaluations):
        if ev.owner is not None and ev.owner not in known_depts:
            yield (
                ("grading", "evaluations", n, "owner"),
                Message(
                    ja=f"担当課「{ev.owner}」は担当課の一覧にありません",
                    en=f"the owner {ev.owner!r} is not one of the plan's departments",
                ),
            )
        grades = scheme.scale_at(ev.depth).grades if _resolvable(scheme, ev) else ()
        for grade in ev.explanation_optional_for:
            if grades and grade not in grades:
                yield (
                    ("grading", "evaluations", n, "explanation_optional_for"),
                    Message(
                        ja=f"「{grade}」はこの階層の評価（{'・'.join(grades)}）にありません",
                        en=f"{grade!r} is not one of this level's grades {list(grades)}",
                    ),
                )
    owned: list[tuple[Loc, str]] = []
    for loc, section, depth in _section_locs(plan.sections, ("sections",)):
        evaluation = scheme.evaluation_at(depth)
        if section.owner is not None:
            if section.owner not in known_depts:
                yield (
                    (*loc, "owner"),
                    Message(
                        ja=f"担当課「{section.owner}」は担当課の一覧にありません",
                        en=f"the owner {section.owner!r} is not one of the plan's departments",
                    ),
                )
            if evaluation is None:
                yield (
                    (*loc, "owner"),
                    Message(
                        ja=f"第{depth}階層は評価しない計画です（評価の担当課は書けません）",
                        en=f"the plan evaluates no section at depth {depth}: it has no owner",
                    ),
                )
        owner = section.owner or (evaluation.owner if evaluation else None)
        if evaluation is not None and owner is not None and all(i != section.id for _, i in owned):
            owned.append(((*loc, "id"), section.id))  # (an id used twice is said above)
        if evaluation is not None and evaluation.rule is EvaluationRule.OWNER and owner is None:
            yield (
                (*loc, "owner"),
                Message(
                    ja=f"体系「{section.id}」の評価は担当が記入するものです。"
                    "記入する担当課を書いてください",
                    en=f"section {section.id!r} is evaluated by its owner: name the "
                    "department that enters it",
                ),
            )
    yield from _id_clashes(owned, "体系", "section")


def _project_problems(
    plan: Plan,
    here: tuple[str | int, ...],
    project: Project,
    known_depts: set[str],
    known_sections: set[str],
) -> Iterator[Issue]:
    lead = project.lead_department
    if lead not in known_depts:
        yield (
            (*here, "lead_department"),
            Message(
                ja=f"「{lead}」は担当課の一覧にありません",
                en=f"{lead!r} is not in the plan's departments",
            ),
        )
    for k, other in enumerate(project.other_departments):
        if other not in known_depts:
            yield (
                (*here, "other_departments", k),
                Message(
                    ja=f"「{other}」は担当課の一覧にありません",
                    en=f"{other!r} is not in the plan's departments",
                ),
            )
        if other == lead:
            yield (
                (*here, "other_departments", k),
                Message(
                    ja=f"「{other}」は主担当課と同じです",
                    en=f"{other!r} is already the lead department",
                ),
            )
    for dup in _duplicates(project.other_departments):
        yield (
            (*here, "other_departments"),
            Message(ja=f"「{dup}」が重複しています", en=f"{dup!r} is listed twice"),
        )
    placed = [pl.section for pl in project.placements]
    for k, sid in enumerate(placed):
        if sid not in known_sections:
            yield (
                (*here, "placements", k, "section"),
                Message(ja=f"体系ID「{sid}」がありません", en=f"there is no section {sid!r}"),
            )
    for dup in _duplicates(placed):
        yield (
            (*here, "placements"),
            Message(
                ja=f"同じ体系「{dup}」に2回掲載されています",
                en=f"listed twice under section {dup!r}",
            ),
        )
    for m, ind in enumerate(project.indicators):
        iloc = (*here, "indicators", m)
        if ind.baseline_year is not None and ind.baseline.kind is ValueKind.EMPTY:
            yield (
                (*iloc, "baseline_year"),
                Message(
                    ja="基準年度がありますが基準値がありません",
                    en="a baseline year without a baseline value",
                ),
            )
        for year in ind.targets:
            if not plan.period.start <= year <= plan.period.end:
                yield (
                    (*iloc, "targets", year),
                    Message(
                        ja="計画期間の外の年度の目標値です",
                        en="target of a year outside the plan period",
                    ),
                )
        for year in ind.actual_status:
            if ind.actuals.get(year, EMPTY).kind is not ValueKind.NUMBER:
                yield (
                    (*iloc, "actual_status", year),
                    Message(
                        ja="速報値・確定値は、数値の実績値がある年度にだけ書きます",
                        en="a status is given only for a year with a numeric actual",
                    ),
                )
        for year in ind.original_targets:
            if year not in ind.targets:
                yield (
                    (*iloc, "original_targets", year),
                    Message(
                        ja="当初目標の年度に（改訂後の）目標値がありません",
                        en="an original target for a year that has no (revised) target",
                    ),
                )
        if not ind.original_final_target.is_empty and (
            ind.final_target.is_empty and plan.period.end not in ind.targets
        ):
            yield (
                (*iloc, "original_final_target"),
                Message(
                    ja="当初の最終目標がありますが、（改訂後の）最終目標がありません",
                    en="an original final target without a (revised) final target",
                ),
            )
        for year in ind.actuals:
            if year >= plan.report_year:
                yield (
                    (*iloc, "actuals", year),
                    Message(
                        ja="報告年度以降の実績値は計画ではなく各課の回答から取り込みます",
                        en="actuals of the report year and later come from the departments' "
                        "returns, not from the plan",
                    ),
                )
