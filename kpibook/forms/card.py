"""The card form (seed 000): one bordered card per project, under 基本方針 → 施策.

Columns: label | body | 年度 | 目標値 | 各年度の実績値 | 実績の状況 (years down), or label |
body | a column per year | 実績の状況 (years across, as the template says; the tables are
:mod:`kpibook.forms.card_values`).  The card keeps the official labels and their order.
One thing differs from the paper form, so that every input is one plain cell: the text
entries sit in the wide body column with their rule beside them (the paper form merges
them across the card).  Years down (kpibook's own form) gives every indicator of a card
its own small table with a row per year; across prints them as the official cards do.

The consolidated report prints cards as the paper form does: :mod:`kpibook.forms.card_report`.
"""

from __future__ import annotations

from kpibook.contract.content import FormContent, FormProject
from kpibook.contract.inputs import (
    FormInput,
    InputKey,
    by_key,
    prefilled_texts,
    project_inputs,
)
from kpibook.contract.names import project_name
from kpibook.contract.specs import grade_spec, text_spec
from kpibook.fiscal import era_label
from kpibook.forms.card_values import (
    FIRST_VALUE,
    indicators_table,
    value_columns_across,
)
from kpibook.forms.fields import (
    card_fields_after_indicators,
    card_fields_at_end,
    department_text_lengths,
)
from kpibook.forms.formats import value_width, widest_values
from kpibook.forms.sheet import FormSheet
from kpibook.plan import Plan, Section
from kpibook.template import CardTemplate, TextEntry, fields_of
from kpibook.textfit import longest_height, row_height, width_for

LABEL, BODY = 0, 1
YEAR = FIRST_VALUE
"""The first column after the body, where a text entry's rule is printed."""


def card_widths(t: CardTemplate, plan: Plan) -> list[float]:
    """The form's columns: the template's, the body widened where a text input's longest
    text would not fit one row of Excel's 409 pt, the values' where the plan's widest
    value (with its unit) would not fit on one line."""
    c = t.columns
    entries = [*t.texts, t.grade_explanation, *([t.actual_note] if t.actual_note else [])]
    lengths = [e.max_length for e in entries]
    longest = max([*lengths, *department_text_lengths(fields_of(plan, t))])
    body = max(c.body, width_for(longest, t.font.text_input_size))
    widest = widest_values(plan).get(("any", None), ("", ""))[0]
    value = max(c.value, value_width(widest, t.font.size))
    if t.years == "across":
        return [c.label, body, *([value] * value_columns_across(plan, t)), c.state]
    return [c.label, body, c.year, value, value, c.state]


def write_cards(fs: FormSheet, content: FormContent, t: CardTemplate) -> tuple[int, int]:
    """Lay out the whole card form; returns the title rows to repeat on every page."""
    plan, s = content.plan, fs.styles
    last = fs.last_col
    fs.column_breaks = []  # a card is never split across pages side by side
    title_row(fs, f"{plan.title}（{era_label(plan.report_year, 'long')}{t.labels.title_suffix}）")
    deadline = f"　提出期限: {plan.deadline:%Y年%m月%d日}" if plan.deadline else ""
    fs.span(1, LABEL, last, f"{t.labels.department}: {content.department}{deadline}", s.hint)
    row = 3
    shown = sections_with_content(content)
    for path in plan.iter_sections():
        section = path.section
        if section.id not in shown:
            continue
        fs.keep_with_next(row)
        row = heading(fs, row, section, t, last)
        for fp in content.in_section(section.id):
            first = row
            row = _card(fs, row, fp, content, t)
            fs.block(first, row - 1)
            row += 1  # a blank row between cards
    return (0, 1)


def title_row(fs: FormSheet, title: str) -> None:
    """The sheet's title in its first row, with the height its larger type needs."""
    fs.write(0, 0, title, fs.styles.title)
    fs.heights[0] = row_height(1, fs.styles.title.font_size or fs.size)


def sections_with_content(content: FormContent) -> set[str]:
    ids: set[str] = set()
    for fp in content.projects:
        ids.update(node.id for node in content.plan.section_path(fp.placement.section).nodes)
    return ids


def heading(
    fs: FormSheet, row: int, section: Section, t: CardTemplate, last: int, inline: bool = False
) -> int:
    """A section's heading over columns ``0..last``, with its 《行動目標》 and 《成果目標》
    each above its text (``inline``: beside it, in the first column)."""
    s = fs.styles
    fs.span(row, LABEL, last, f"{section.number} {section.title or ''}".strip(), s.heading)
    row += 1
    plain = s.text.but(border=0)
    for label, text in (
        (t.labels.policy_goal, section.action_goal),
        (t.labels.outcome_goal, section.outcome_goal),
    ):
        if text and inline:
            row = fs.long_text(row, LABEL + 1, last, text, plain, (label, plain.but(bold=True)))
        elif text:
            fs.span(row, LABEL, last, label, plain.but(bold=True))
            row = fs.long_text(row + 1, LABEL, last, text, plain)
    return row


def _card(fs: FormSheet, row: int, fp: FormProject, content: FormContent, t: CardTemplate) -> int:
    s, labels, p = fs.styles, t.labels, fp.project
    last = fs.last_col
    inputs = by_key(project_inputs(fp, content.plan, t))
    texts = prefilled_texts(fp, t)
    fs.write(row, LABEL, labels.project, s.label)
    fs.span(row, BODY, last - 3, texts["name"], s.text.but(bold=True, valign="center"))
    fs.prefilled_name(project_name(p.id, "name"), row, BODY)
    fs.write(row, last - 2, labels.department, s.label)
    departments = "\n".join([p.lead_department, *(f"（{d}）" for d in p.other_departments)])
    fs.span(row, last - 1, last, departments, s.lead if p.other_departments else s.department)
    row += 1
    if fp.other_places:
        fs.write(row, LABEL, labels.relisted, s.label)
        places = "、".join(fp.other_places)
        fs.span(row, BODY, last, labels.also_listed.format(places=places), s.text)
        row += 1
    for label, key in ((labels.overview, "overview"), (labels.annual_plan, "annual_plan")):
        fs.write(row, LABEL, label, s.label)
        fs.span(row, BODY, last, texts[key], s.text)
        fs.prefilled_name(project_name(p.id, key), row, BODY)
        row += 1
    row = indicators_table(fs, row, fp, content, t, inputs)
    if t.actual_note is not None:
        for ind in p.indicators:
            row = _actual_note(fs, row, fp, inputs, t, t.actual_note, ind.id)
    row = card_fields_after_indicators(fs, row, fp, content, t, inputs)
    for entry in t.texts:
        row = _text_entry(fs, row, fp, entry, t, inputs)
    g = t.self_grade
    grade = grade_spec(content.plan, g.label, g.help, g.required, t.terms)
    fs.write(row, LABEL, t.self_grade.label, s.label)
    if fp.writes:
        fs.input(row, BODY, inputs[("self_grade", None)], s.input_choice)
    else:
        fs.write(row, BODY, labels.filled_by_lead.format(lead=p.lead_department), s.read_only)
    fs.span(row, YEAR, fs.last_col, grade.rule, s.hint)
    row += 1
    row = _text_entry(fs, row, fp, t.grade_explanation, t, inputs)
    return card_fields_at_end(fs, row, fp, content, t, inputs)


Inputs = dict[InputKey, FormInput]


def _fit_longest(fs: FormSheet, row: int, entry: TextEntry) -> None:
    """A text input's row is as tall as its longest accepted text needs (at most 409 pt;
    :func:`card_widths` makes the column wide enough for that), so whatever the
    department types up to the limit is seen whole, on screen and on paper."""
    height = longest_height(entry.max_length, fs.widths[BODY], fs.template.font.text_input_size)
    fs.heights[row] = max(fs.heights.get(row, 0), height)


def _actual_note(
    fs: FormSheet,
    row: int,
    fp: FormProject,
    inputs: Inputs,
    t: CardTemplate,
    note: TextEntry,
    indicator: str,
) -> int:
    """実績値の注記: one wide cell per indicator, for remarks printed with the actual."""
    s = fs.styles
    fs.write(row, LABEL, note.label, s.label)
    if fp.writes:
        inp = inputs[("actual_note", indicator)]
        fs.input(row, BODY, inp, s.input_text)
        _fit_longest(fs, row, note)
        fs.span(
            row, YEAR, fs.last_col, f"{inp.label.removeprefix(note.label)} {inp.spec.rule}", s.hint
        )
    else:
        fs.write(
            row, BODY, t.labels.filled_by_lead.format(lead=fp.project.lead_department), s.read_only
        )
        fs.span(row, YEAR, fs.last_col, "", s.hint)
    return row + 1


def _text_entry(
    fs: FormSheet, row: int, fp: FormProject, entry: TextEntry, t: CardTemplate, inputs: Inputs
) -> int:
    s, p = fs.styles, fp.project
    spec = text_spec(entry.label, entry.help, entry.max_length, entry.required)
    fs.write(row, LABEL, entry.label, s.label)
    if fp.writes:
        fs.input(row, BODY, inputs[(entry.key, None)], s.input_text)
        _fit_longest(fs, row, entry)
    else:
        fs.write(row, BODY, t.labels.filled_by_lead.format(lead=p.lead_department), s.read_only)
    fs.span(row, YEAR, fs.last_col, spec.rule, s.hint)
    return row + 1
