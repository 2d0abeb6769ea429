"""Custom fields on the department's form (form version 3), for both layouts.

A coordinator's field is printed locked, under its name (``kpi.p01.f_source``), so that
``kpibook check`` finds a changed value where it was; a department's field is an input
with the data validation its declaration gives (a list for a choice, a decimal or whole
number for a number, a length for a text) and its line in the 記入要領.

The card prints them as rows of the card: the coordinator's fields of the project and
each indicator's fields after the indicators, the department's fields of the project
after 評価の説明.  The matrix gives each field a column after the texts.
"""

from __future__ import annotations

from kpibook.contract.content import FormContent, FormProject
from kpibook.contract.inputs import FormInput, InputKey, PrefilledField, prefilled_fields
from kpibook.contract.names import FIELD_PREFIX
from kpibook.entries import ProjectEntry
from kpibook.fields import FieldSpec, field_value, of_indicators, of_projects
from kpibook.forms.sheet import FormSheet
from kpibook.plan import Indicator
from kpibook.template import CardTemplate, FormTemplate, fields_of
from kpibook.textfit import lines_needed, longest_height, width_for
from kpibook.xlsx_write import Style

Inputs = dict[InputKey, FormInput]


def department_text_lengths(fields: list[FieldSpec]) -> list[int]:
    """Longest texts of the department's text fields (their column is widened for them)."""
    return [f.longest for f in fields if f.filled_by == "department" and f.kind == "text"]


def input_style(fs: FormSheet, spec: FieldSpec) -> Style:
    s = fs.styles
    if spec.kind == "text":
        return s.input_text
    if spec.kind == "choice":
        return s.input_choice
    places = spec.decimals or 0
    number = "#,##0" + ("." + "0" * places if places else "")
    if spec.decimals is None:
        number = "General"
    return s.input_choice.but(num_format=number, align="right")


def _field_input(fs: FormSheet, row: int, col: int, inp: FormInput) -> None:
    assert inp.custom is not None
    fs.input(row, col, inp, input_style(fs, inp.custom))
    if inp.custom.kind == "text":
        height = longest_height(
            inp.custom.longest, fs.widths[col], fs.template.font.text_input_size
        )
        fs.heights[row] = max(fs.heights.get(row, 0), height)


# -- card -------------------------------------------------------------------------------


def card_fields_after_indicators(
    fs: FormSheet, row: int, fp: FormProject, content: FormContent, t: CardTemplate, inputs: Inputs
) -> int:
    """The coordinator's fields of the project, then each indicator's fields."""
    fields = fields_of(content.plan, t)
    if not fields:
        return row
    prefilled = prefilled_fields(fp, fields)
    for pf in prefilled:
        if pf.indicator is None:
            row = _card_prefilled(fs, row, pf)
    for ind in fp.project.indicators:
        for spec in of_indicators(fields):
            if spec.filled_by == "coordinator":
                pf = next(p for p in prefilled if p.indicator is ind and p.spec is spec)
                row = _card_prefilled(fs, row, pf)
            else:
                row = _card_input(fs, row, fp, spec, ind, t, inputs)
    return row


def card_fields_at_end(
    fs: FormSheet, row: int, fp: FormProject, content: FormContent, t: CardTemplate, inputs: Inputs
) -> int:
    """The department's fields of the project, after 評価の説明."""
    for spec in of_projects(fields_of(content.plan, t)):
        if spec.filled_by == "department":
            row = _card_input(fs, row, fp, spec, None, t, inputs)
    return row


def _card_prefilled(fs: FormSheet, row: int, pf: PrefilledField) -> int:
    from kpibook.forms.card import BODY, LABEL

    s = fs.styles
    fs.write(row, LABEL, pf.label, s.label)
    fs.fit(row, pf.label, fs.widths[LABEL])
    fs.span(row, BODY, fs.last_col, pf.text or None, s.text)
    fs.prefilled_name(pf.name, row, BODY)
    return row + 1


def _card_input(
    fs: FormSheet,
    row: int,
    fp: FormProject,
    spec: FieldSpec,
    ind: Indicator | None,
    t: CardTemplate,
    inputs: Inputs,
) -> int:
    from kpibook.forms.card import BODY, LABEL, YEAR

    s = fs.styles
    label = f"{spec.label}（{ind.label}）" if ind else spec.label
    fs.write(row, LABEL, label, s.label)
    fs.fit(row, label, fs.widths[LABEL])
    if fp.writes:
        inp = inputs[(f"{FIELD_PREFIX}{spec.key}", ind.id if ind else None)]
        _field_input(fs, row, BODY, inp)
        fs.span(row, YEAR, fs.last_col, inp.spec.rule + inp.spec.requirement(), s.hint)
    else:
        lead = t.labels.filled_by_lead.format(lead=fp.project.lead_department)
        fs.write(row, BODY, lead, s.read_only)
        fs.span(row, YEAR, fs.last_col, "", s.hint)
    return row + 1


# -- matrix -----------------------------------------------------------------------------


def matrix_field_width(spec: FieldSpec, template: FormTemplate) -> float:
    """A field's column: wide enough for a department's longest text on one row of
    409 pt, a text of the coordinator as wide as 内容, a number or a choice narrow."""
    from kpibook.template import MatrixTemplate

    assert isinstance(template, MatrixTemplate)
    c = template.columns
    if spec.kind == "text":
        if spec.filled_by == "department":
            return max(c.text, width_for(spec.longest, template.font.text_input_size))
        return c.content
    if spec.kind == "choice":
        return max(c.grade, 2 * spec.longest + 2)
    return c.value


def matrix_field_cells(
    fs: FormSheet,
    row: int,
    rows: int,
    fp: FormProject,
    fields: list[FieldSpec],
    first_col: int,
    inputs: Inputs,
    lead_text: str,
) -> None:
    """A project's field columns: project fields over all its rows, indicator fields on
    each indicator's row."""
    s = fs.styles
    prefilled = {
        (p.spec.key, p.indicator.id if p.indicator else None): p
        for p in prefilled_fields(fp, fields)
    }
    indicators = fp.project.indicators
    for n, spec in enumerate(fields):
        col = first_col + n
        targets: list[tuple[int, int, str | None]] = (
            [(row, rows, None)]
            if spec.of == "project"
            else [(row + k, 1, ind.id) for k, ind in enumerate(indicators)] or [(row, rows, None)]
        )
        for r, height, iid in targets:
            if spec.of == "indicator" and iid is None:  # a project without indicators
                fs.span(r, col, col, "－", s.text_center, rows=height)
            elif spec.filled_by == "coordinator":
                pf = prefilled[(spec.key, iid)]
                fs.span(r, col, col, pf.text or None, s.text, rows=height)
                fs.prefilled_name(pf.name, r, col)
                if height > 1:
                    from kpibook.forms.card_values import grow_rows

                    lines = lines_needed(pf.text, fs.widths[col], fs.size)
                    grow_rows(fs, r, r + height - 1, lines)
            elif not fp.writes:
                fs.span(r, col, col, lead_text, s.read_only, rows=height)
            else:
                _field_input(fs, r, col, inputs[(f"{FIELD_PREFIX}{spec.key}", iid)])
                for other in range(r + 1, r + height):
                    fs.write(other, col, None, s.read_only)


# -- the printed report -------------------------------------------------------------------


def report_fields(
    fields: list[FieldSpec], fp: FormProject, entry: ProjectEntry | None
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The fields a report prints for a project, as (label, text): those printed with
    the indicators (the coordinator's of the project, then each indicator's), and the
    department's of the project, printed after its own texts.  A field without a value
    is printed empty, as an entry not written is."""
    p = fp.project
    middle: list[tuple[str, str]] = []
    end: list[tuple[str, str]] = []
    for spec in of_projects(fields):
        text = spec.display(field_value(spec, p, None, entry))
        (middle if spec.filled_by == "coordinator" else end).append((spec.label, text))
    for ind in p.indicators:
        for spec in of_indicators(fields):
            label = f"{spec.label}（{ind.label}）" if len(p.indicators) > 1 else spec.label
            middle.append((label, spec.display(field_value(spec, p, ind, entry))))
    return middle, end
