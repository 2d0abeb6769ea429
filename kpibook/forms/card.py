"""The card form (seed 000): one bordered card per project, under 基本方針 → 施策.

Columns: label | body | 年度 | 目標値 | 各年度の実績値 | 実績の状況.  The card keeps the
official labels and their order.  Two things differ from the paper form, both so that
every input is one plain cell: the text entries sit in the wide body column with their
rule beside them (the paper form merges them across the card), and each indicator's
targets and actuals are a small table with one row per year (the paper form prints the
years across), which also gives every indicator of a card its own rows.
"""

from __future__ import annotations

from decimal import Decimal

from kpibook.contract.content import FormContent, FormProject, years_shown
from kpibook.contract.inputs import (
    FormInput,
    InputKey,
    by_key,
    prefilled_texts,
    project_inputs,
)
from kpibook.contract.names import indicator_name, project_name
from kpibook.contract.specs import grade_spec, text_spec
from kpibook.fiscal import era_label
from kpibook.forms.sheet import FormSheet
from kpibook.plan import Indicator, Section
from kpibook.template import CardTemplate, TextEntry

LABEL, BODY, YEAR, TARGET, ACTUAL, STATE = range(6)
LAST = STATE


def card_widths(t: CardTemplate) -> list[float]:
    c = t.columns
    return [c.label, c.body, c.year, c.value, c.value, c.state]


def write_cards(fs: FormSheet, content: FormContent, t: CardTemplate) -> tuple[int, int]:
    """Lay out the whole card form; returns the title rows to repeat on every page."""
    plan, s = content.plan, fs.styles
    fs.write(
        0,
        LABEL,
        f"{plan.title}（{era_label(plan.report_year, 'long')}{t.labels.title_suffix}）",
        s.title,
    )
    row = 3
    if fs.report:
        row = _front_matter(fs, row, content, t)
    else:
        deadline = f"　提出期限: {plan.deadline:%Y年%m月%d日}" if plan.deadline else ""
        fs.span(1, LABEL, LAST, f"{t.labels.department}: {content.department}{deadline}", s.hint)
    shown = _sections_with_content(content)
    for path in plan.iter_sections():
        section = path.section
        if section.id not in shown:
            continue
        start = row
        if fs.report and len(path.nodes) == 1:
            fs.forced.add(start)  # the report starts each 基本方針 on a new page
        row = _heading(fs, row, section, t)
        cards = content.in_section(section.id)
        for n, fp in enumerate(cards):
            first = row
            row = _card(fs, row, fp, content, t)
            fs.block(start if n == 0 else first, row - 1)
            row += 1  # a blank row between cards
        if not cards:
            fs.block(start, row - 1)
    return (0, 1)


def grade_ranges(plan_bands: list[tuple[str, Decimal, str]]) -> list[tuple[str, str]]:
    """The legend as the official form prints it: A かなり達成できた(80～100%)."""
    out = []
    for n, (grade, low, label) in enumerate(plan_bands):
        high = "100" if n == 0 else f"{plan_bands[n - 1][1] - 1:f}"
        out.append((grade, f"{label}({low:f}～{high}%)"))
    return out


def _front_matter(fs: FormSheet, row: int, content: FormContent, t: CardTemplate) -> int:
    """The report's opening: intro, the grade legend and the index of projects."""
    plan, s = content.plan, fs.styles
    start = row
    for paragraph in plan.intro:
        fs.span(row, LABEL, LAST, paragraph, s.text.but(border=0))
        row += 1
    row += 1
    fs.span(row, LABEL, LAST, "※評価について", s.text.but(border=0, bold=True))
    row += 1
    fs.write(row, LABEL, "評価指数", s.label.but(align="center"))
    fs.span(row, BODY, BODY, "達成度", s.label.but(align="center"))
    row += 1
    bands = [(b.grade, b.min_rate, b.label) for b in plan.grading.bands]
    for grade, text in grade_ranges(bands):
        fs.write(row, LABEL, grade, s.text_center)
        fs.span(row, BODY, BODY, text, s.text)
        row += 1
    row += 1
    for path in plan.iter_sections():
        listed = content.in_section(path.section.id)
        if not listed and path.section.children:
            title = f"{path.section.number} {path.section.title or ''}".strip()
            fs.span(row, LABEL, LAST, title, s.text.but(border=0, bold=True))
            row += 1
            continue
        if not listed:
            continue
        title = f"{path.section.number} {path.section.title or ''}".strip()
        fs.span(row, LABEL, LAST, title, s.text.but(border=0, bold=True))
        row += 1
        for fp in listed:
            number = content.projects.index(fp) + 1
            fs.span(row, LABEL, BODY, f"・ {fp.project.name}", s.text.but(border=0))
            fs.span(row, YEAR, ACTUAL, fp.project.lead_department, s.text.but(border=0))
            fs.write(row, STATE, number, s.text.but(border=0, align="right"))
            row += 1
    fs.block(start, row - 1)
    return row + 1


def _sections_with_content(content: FormContent) -> set[str]:
    ids: set[str] = set()
    for fp in content.projects:
        ids.update(node.id for node in content.plan.section_path(fp.placement.section).nodes)
    return ids


def _heading(fs: FormSheet, row: int, section: Section, t: CardTemplate) -> int:
    s = fs.styles
    fs.span(row, LABEL, LAST, f"{section.number} {section.title or ''}".strip(), s.heading)
    row += 1
    for label, text in (
        (t.labels.policy_goal, section.action_goal),
        (t.labels.outcome_goal, section.outcome_goal),
    ):
        if text:
            fs.span(row, LABEL, LAST, label, s.text.but(border=0, bold=True))
            fs.span(row + 1, LABEL, LAST, text, s.text.but(border=0))
            row += 2
    return row


def _card(fs: FormSheet, row: int, fp: FormProject, content: FormContent, t: CardTemplate) -> int:
    s, labels, p = fs.styles, t.labels, fp.project
    inputs = by_key(project_inputs(fp, content.plan, t))
    texts = prefilled_texts(fp, t)
    fs.write(row, LABEL, labels.project, s.label)
    fs.span(row, BODY, YEAR, texts["name"], s.text.but(bold=True, valign="center"))
    fs.name(project_name(p.id, "name"), row, BODY)
    fs.write(row, TARGET, labels.department, s.label)
    departments = "\n".join([p.lead_department, *(f"（{d}）" for d in p.other_departments)])
    fs.span(row, ACTUAL, STATE, departments, s.lead if p.other_departments else s.department)
    fs.fit(row, departments, fs.widths[ACTUAL] + fs.widths[STATE])
    row += 1
    if fp.relisting_of:
        fs.write(row, LABEL, labels.relisted, s.label)
        fs.span(row, BODY, LAST, labels.relisting_of.format(first=fp.relisting_of), s.text)
        row += 1
    elif fp.other_places:
        fs.write(row, LABEL, labels.relisted, s.label)
        places = "、".join(fp.other_places)
        fs.span(row, BODY, LAST, labels.also_listed.format(places=places), s.text)
        row += 1
    for label, key in ((labels.overview, "overview"), (labels.annual_plan, "annual_plan")):
        fs.write(row, LABEL, label, s.label)
        fs.span(row, BODY, LAST, texts[key], s.text)
        fs.name(project_name(p.id, key), row, BODY)
        row += 1
    row = _indicators(fs, row, fp, content, t, inputs)
    if t.actual_note is not None:
        for ind in p.indicators:
            row = _actual_note(fs, row, fp, inputs, t, t.actual_note, ind.id)
    for entry in t.texts:
        row = _text_entry(fs, row, fp, entry, t, inputs)
    grade = grade_spec(content.plan, t.self_grade.label, t.self_grade.help, t.self_grade.required)
    fs.write(row, LABEL, t.self_grade.label, s.label)
    if fs.report:
        fs.write(row, BODY, fs.values.get(inputs[("self_grade", None)].name), s.text_center)
        fs.span(row, YEAR, LAST, None, s.text)
        row += 1
        return _text_entry(fs, row, fp, t.grade_explanation, t, inputs)
    if fp.writes:
        fs.input(row, BODY, inputs[("self_grade", None)], s.input_choice)
    else:
        fs.write(row, BODY, labels.filled_by_lead.format(lead=p.lead_department), s.read_only)
    fs.span(row, YEAR, LAST, grade.rule, s.hint)
    row += 1
    return _text_entry(fs, row, fp, t.grade_explanation, t, inputs)


Inputs = dict[InputKey, FormInput]


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
    if fs.report:  # only notes that were written, across the card
        text = fs.values.get(inputs[("actual_note", indicator)].name)
        if not text:
            return row
        fs.write(row, LABEL, note.label, s.label)
        fs.span(row, BODY, LAST, text, s.text)
        return row + 1
    fs.write(row, LABEL, note.label, s.label)
    if fp.writes:
        inp = inputs[("actual_note", indicator)]
        fs.input(row, BODY, inp, s.input_text)
        fs.fit(row, "", fs.widths[BODY], min_lines=2)
        fs.span(row, YEAR, LAST, f"{inp.label.removeprefix(note.label)} {inp.spec.rule}", s.hint)
    else:
        fs.write(
            row, BODY, t.labels.filled_by_lead.format(lead=fp.project.lead_department), s.read_only
        )
        fs.span(row, YEAR, LAST, "", s.hint)
    return row + 1


def _text_entry(
    fs: FormSheet, row: int, fp: FormProject, entry: TextEntry, t: CardTemplate, inputs: Inputs
) -> int:
    s, p = fs.styles, fp.project
    spec = text_spec(entry.label, entry.help, entry.max_length, entry.required)
    fs.write(row, LABEL, entry.label, s.label)
    if fs.report:  # printed across the card, as the official report does
        fs.span(row, BODY, LAST, fs.values.get(inputs[(entry.key, None)].name), s.text)
        return row + 1
    if fp.writes:
        fs.input(row, BODY, inputs[(entry.key, None)], s.input_text)
        fs.fit(row, "", fs.widths[BODY], min_lines=t.text_lines)
    else:
        fs.write(row, BODY, t.labels.filled_by_lead.format(lead=p.lead_department), s.read_only)
    fs.span(row, YEAR, LAST, spec.rule, s.hint)
    return row + 1


def _indicators(
    fs: FormSheet,
    row: int,
    fp: FormProject,
    content: FormContent,
    t: CardTemplate,
    inputs: Inputs,
) -> int:
    s, labels, plan = fs.styles, t.labels, content.plan
    block_label = f"{labels.targets}・{labels.actuals}"
    indicators = fp.project.indicators
    if not indicators:
        fs.write(row, LABEL, block_label, s.label)
        fs.span(row, BODY, LAST, "（数値目標なし）", s.text)
        return row + 1
    first = row
    for col, head in (
        (BODY, labels.indicator),
        (YEAR, labels.year),
        (TARGET, labels.targets),
        (ACTUAL, labels.actuals),
        (STATE, labels.state),
    ):
        fs.write(row, col, head, s.label.but(align="center"))
    fs.fit(row, labels.actuals, fs.widths[ACTUAL])
    row += 1
    for ind in indicators:
        row = _indicator_rows(fs, row, fp, ind, content, t, inputs)
    fs.span(first, LABEL, LABEL, block_label, s.label, rows=row - first)
    _ = plan
    return row


def _indicator_rows(
    fs: FormSheet,
    row: int,
    fp: FormProject,
    ind: Indicator,
    content: FormContent,
    t: CardTemplate,
    inputs: Inputs,
) -> int:
    s, plan, pid = fs.styles, content.plan, fp.project.id
    years = years_shown(plan, ind)
    number = fs.number_style(ind)
    center = s.text_center
    first = row
    for year in years:
        label = era_label(year)
        fs.write(row, YEAR, label, center)
        target = ind.targets.get(year)
        fs.prefilled(row, TARGET, target, number, indicator_name(pid, ind.id, f"t{year}"))
        if year == plan.report_year:
            if fp.writes:
                fs.indicator_inputs(
                    row, ACTUAL, STATE, inputs[("actual", ind.id)], inputs[("state", ind.id)]
                )
            else:
                lead = t.labels.filled_by_lead.format(lead=fp.project.lead_department)
                fs.span(row, ACTUAL, STATE, lead, s.read_only)
                fs.fit(row, lead, fs.widths[ACTUAL] + fs.widths[STATE])
        else:
            actual = ind.actuals.get(year)
            fs.prefilled(row, ACTUAL, actual, number, indicator_name(pid, ind.id, f"a{year}"))
            fs.write(row, STATE, None, s.read_only)
        row += 1
    fs.write(row, YEAR, t.labels.final_target, center.but(font_size=max(t.font.size - 2, 6)))
    fs.prefilled(row, TARGET, ind.final_target, number, indicator_name(pid, ind.id, "final"))
    fs.span(row, ACTUAL, STATE, None, s.read_only)
    row += 1
    unit = f"（{ind.unit}）" if ind.unit else ""
    notes = [f"{era_label(y)}: {v.note}" for y, v in sorted(ind.actuals.items()) if v.note]
    notes += [f"{era_label(y)} 目標: {v.note}" for y, v in sorted(ind.targets.items()) if v.note]
    if ind.final_target.note:
        notes.append(f"{t.labels.final_target}: {ind.final_target.note}")
    if ind.note:
        notes.append(ind.note)
    text = "\n".join([f"{ind.label}{unit}", *(f"※{n.removeprefix('※')}" for n in notes)])
    fs.span(first, BODY, BODY, text, s.text.but(valign="top"), rows=row - first)
    _grow_for(fs, first, row - 1, text)
    return row


def _grow_for(fs: FormSheet, first: int, last: int, text: str) -> None:
    """Spread the height a merged cell's text needs over its rows."""
    from kpibook.textfit import lines_needed, row_height

    need = row_height(lines_needed(text, fs.widths[BODY]), fs.template.font.size)
    rows = range(first, last + 1)
    have = sum(fs.heights.get(r, row_height(1, fs.template.font.size)) for r in rows)
    if need > have:
        extra = (need - have) / len(rows)
        for r in rows:
            fs.heights[r] = fs.heights.get(r, row_height(1, fs.template.font.size)) + extra
