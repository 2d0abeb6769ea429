"""The owner's evaluation of sections: a sheet of the form for the department that
evaluates a 施策 or 基本目標 (the plan's ``owner``), and the same words for the report.

Per section: its heading, what the evaluation is called and how the plan decides it,
what it rests on (the child sections, or the projects and indicators listed under it,
each with its department: read-only context, because the children's grades are only
known once every department has returned its form), the grade (a choice from that
level's scale) and the reasons (評価の理由).  The inputs are those of
:func:`~kpibook.contract.inputs.section_inputs`; ``kpibook check`` reads them back by
the same names.
"""

from __future__ import annotations

from typing import Any

from kpibook.contract.content import FormContent
from kpibook.contract.inputs import by_key, section_inputs
from kpibook.forms.card import title_row
from kpibook.forms.sheet import FormSheet
from kpibook.grading.sections import evaluation_name
from kpibook.plan import Plan, SectionPath
from kpibook.scheme import EVALUATED_NAMES, EVALUATION_RULE_NAMES, EvaluationRule
from kpibook.template import FormTemplate, Terms
from kpibook.textfit import row_height
from kpibook.xlsx_write import Book, Sheet

SHEET_NAME = "体系の評価"
"""The sheet of a form that holds the owner's evaluations of sections."""
WIDTHS = [18.0, 70.0]
LABEL, BODY = 0, 1
REASON_LINES = 6
"""Lines the reasons' cell shows before it scrolls (and prints)."""


def sheet_name(template: FormTemplate) -> str:
    """:data:`SHEET_NAME`, unless the template already names a sheet so."""
    taken = {template.sheet, template.instructions_sheet, template.lists_sheet}
    return SHEET_NAME if SHEET_NAME not in taken else f"{SHEET_NAME}（担当）"


def _named(of: str, terms: Terms) -> str:
    """What an evaluation counts (指標, 事業), in the plan's words (KPI, 取組)."""
    return {"indicators": terms.indicator, "projects": terms.project}.get(of, EVALUATED_NAMES[of])


def how_decided(plan: Plan, path: SectionPath, terms: Terms | None = None) -> str:
    """``指標の平均点を区分にあてはめて計算します`` or ``担当が判断して記入します``."""
    evaluation = plan.grading.evaluation_at(len(path.nodes))
    assert evaluation is not None
    if evaluation.rule is EvaluationRule.OWNER:
        return "担当が判断して記入します（計算はしません）。"
    what = _named(evaluation.of, terms or Terms())
    rule = EVALUATION_RULE_NAMES[evaluation.rule.value]
    if evaluation.rule is EvaluationRule.SHARE:
        basis = f"{what}のうち{evaluation.at_least}以上の割合を区分にあてはめて"
    elif evaluation.rule is EvaluationRule.AVERAGE:
        basis = f"{what}の評価の{rule}を区分にあてはめて"
    else:
        basis = f"{what}の評価のうち{rule}を"
    return (
        f"{basis}計算します（計算上の評価は、各課の回答を集約した後、集約表と報告書に"
        "担当の評価と並べて示します）。"
    )


def what_is_under(plan: Plan, path: SectionPath, terms: Terms | None = None) -> list[str]:
    """What the evaluation rests on, one line each, with a count first: the child
    sections and their evaluations' owners, or the projects listed under the section
    (each once) with their departments and indicators."""
    evaluation = plan.grading.evaluation_at(len(path.nodes))
    assert evaluation is not None
    if evaluation.of == "sections":
        below = plan.grading.evaluation_at(len(path.nodes) + 1)
        name = evaluation_name(plan, below) if below else ""
        lines = [f"下位の体系 {len(path.section.children)}件の{name}"]
        for child in path.section.children:
            child_path = SectionPath((*path.nodes, child))
            owner = plan.section_owner(child_path)
            by = f"（{owner}）" if owner else ""
            lines.append(f"・{child_path.numbers()} {child.title or ''}{by}".rstrip())
        return lines
    inside = {p.section.id for p in plan.iter_sections() if path.section in p.nodes}
    projects = [p for p in plan.projects if any(pl.section in inside for pl in p.placements)]
    indicators = sum(len(p.indicators) for p in projects)
    words = terms or Terms()
    lines = [f"{words.project} {len(projects)}件・{words.indicator} {indicators}件"]
    for p in projects:
        lines.append(f"・{p.name}（{p.lead_department}）{words.indicator}{len(p.indicators)}件")
    return lines


def write_sections_sheet(
    book: Book,
    sheet: Sheet,
    lists: Sheet,
    template: FormTemplate,
    content: FormContent,
    **options: Any,
) -> FormSheet:
    """The sheet of the sections ``content``'s department evaluates."""
    plan = content.plan
    fs = FormSheet(book, sheet, template, list(WIDTHS), lists, **options)
    s = fs.styles
    title_row(fs, f"{plan.title}　体系の評価（{content.department}）")
    row = 2
    for path in content.sections:
        first = row
        inputs = by_key(section_inputs(path, plan))
        grade, reasons = inputs[("section_grade", None)], inputs[("section_explanation", None)]
        heading = f"{path.numbers()} {path.section.title or ''}".strip()
        fs.span(row, LABEL, BODY, heading, s.heading)
        row += 1
        under = "\n".join(what_is_under(plan, path, template.terms))
        for label, text in (
            ("評価の種類", grade.label),
            ("決め方", how_decided(plan, path, template.terms)),
            ("段階", grade.spec.rule),
            ("対象", under),
        ):
            fs.write(row, LABEL, label, s.label)
            fs.span(row, BODY, BODY, text, s.read_only)
            row += 1
        fs.write(row, LABEL, grade.label, s.label)
        fs.input(row, BODY, grade, s.input_choice)
        row += 1
        fs.write(row, LABEL, "評価の理由", s.label)
        fs.input(row, BODY, reasons, s.input_text)
        fs.heights[row] = row_height(REASON_LINES, template.font.text_input_size)
        row += 1
        fs.block(first, row - 1)
        row += 1
    fs.finish(None, f"{plan.title}　{content.department}")
    return fs
