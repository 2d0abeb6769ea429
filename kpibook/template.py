"""Form templates: the official layouts' labels, widths, colours and print settings, as data.

Templates live in ``templates/<layout>.yaml`` (shipped inside the package) and are
validated like plans: unknown keys are errors, and every error names the file and line.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from kpibook.plan import Label, Layout, Model, Text
from kpibook.plantext import load_model_yaml
from kpibook.resources import data_dir

TextKey = Literal[
    "activity_report",
    "issues",
    "future_plan",
    "grade_explanation",
    "comment",
    "improvement",
    "actual_note",
]
"""The text entries a form can have; each is a field of the department's entry."""

Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]


class Font(Model):
    name: Label = Field(description="Font name; LibreOffice substitutes a Japanese font.")
    size: int = Field(ge=6, le=20, description="Point size of ordinary cells.")


class Colours(Model):
    input: Colour = Field(description="Fill of every cell a department writes.")
    label: Colour = Field(description="Fill of label cells.")
    heading: Colour = Field(description="Fill of section headings and column heads.")
    lead: Colour = Field(description="The lead department's cell of a shared project (青色セル).")
    read_only: Colour = Field(description="Projects another department fills.")


class Margins(Model):
    left: float = Field(ge=0, le=2)
    right: float = Field(ge=0, le=2)
    top: float = Field(ge=0, le=2)
    bottom: float = Field(ge=0, le=2)


class PrintSettings(Model):
    orientation: Literal["portrait", "landscape"]
    fit_width: bool = Field(description="Scale each page to the paper's width.")
    margins: Margins


class TextEntry(Model):
    """A text the department writes (活動報告, comment, ...)."""

    key: TextKey = Field(
        description="The entry field it fills (actual_note: the note on an actual)."
    )
    label: Text = Field(description="Label as printed; {year}/{next} become era labels.")
    max_length: int = Field(ge=1, le=32_767, description="Longest text accepted, in characters.")
    required: bool = Field(description="Whether a return without it is an error.")
    help: Text = Field(description="What to write, shown as the cell's input message.")


class GradeEntry(Model):
    key: Literal["self_grade"]
    label: Label
    required: bool
    help: Text


class CardLabels(Model):
    title_suffix: Label
    policy_goal: Label
    outcome_goal: Label
    project: Label
    department: Label
    overview: Label
    annual_plan: Label
    targets: Label
    actuals: Label
    final_target: Label
    indicator: Label
    year: Label
    state: Label
    relisted: Label
    filled_by_lead: Label
    also_listed: Label
    relisting_of: Label


class CardColumns(Model):
    label: float = Field(gt=0, le=100)
    body: float = Field(gt=0, le=150)
    year: float = Field(gt=0, le=50)
    value: float = Field(gt=0, le=50)
    state: float = Field(gt=0, le=50)


class MatrixLabels(Model):
    title_suffix: Label
    number: Label
    name: Label
    content: Label
    department: Label
    department_note: Label
    indicator: Label
    actual: Label
    target: Label
    midterm: Label
    state: Label
    relisted: Label
    filled_by_lead: Label
    also_listed: Label


class MatrixColumns(Model):
    number: float = Field(gt=0, le=50)
    name: float = Field(gt=0, le=100)
    content: float = Field(gt=0, le=150)
    department: float = Field(gt=0, le=50)
    indicator: float = Field(gt=0, le=100)
    value: float = Field(gt=0, le=50)
    state: float = Field(gt=0, le=50)
    grade: float = Field(gt=0, le=50)
    text: float = Field(gt=0, le=150)


class TemplateBase(Model):
    sheet: Label = Field(max_length=31, description="Name of the sheet with the form.")
    instructions_sheet: Label = Field(max_length=31, description="記入要領 sheet name.")
    lists_sheet: Label = Field(max_length=31, description="Hidden sheet of dropdown choices.")
    font: Font
    self_grade: GradeEntry
    texts: list[TextEntry]
    text_lines: int = Field(ge=1, le=40, description="Lines of height for an empty text entry.")
    colours: Colours
    print: PrintSettings


class CardTemplate(TemplateBase):
    layout: Literal["card"]
    labels: CardLabels
    grade_explanation: TextEntry
    actual_note: TextEntry | None = Field(
        default=None, description="A note the department may add to each report-year actual."
    )
    columns: CardColumns


class MatrixTemplate(TemplateBase):
    layout: Literal["matrix"]
    labels: MatrixLabels
    columns: MatrixColumns


FormTemplate = CardTemplate | MatrixTemplate


def templates_root() -> Path:
    return data_dir("templates")


@cache
def load_template(layout: Layout, path: Path | None = None) -> FormTemplate:
    """The template of a layout: ``templates/<layout>.yaml`` unless a path is given."""
    path = path or templates_root() / f"{layout.value}.yaml"
    model: type[FormTemplate] = CardTemplate if layout is Layout.CARD else MatrixTemplate
    return load_model_yaml(path, model)
