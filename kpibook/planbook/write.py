"""Write a plan (or a blank plan) as the plan workbook a coordinator edits in Excel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from kpibook.fields import FieldSpec
from kpibook.fiscal import MIN_FISCAL_YEAR, era_label
from kpibook.plan import GradeBand, Layout, Plan, Section
from kpibook.planbook.layout import (
    ACTUAL_PREFIX,
    BANDS_SHEET,
    DATA_SHEETS,
    DEPARTMENTS_SHEET,
    DIRECTION_NAMES,
    ENTRY_TEXT_NAMES,
    EVALUATION_BANDS_SHEET,
    EVALUATIONS_SHEET,
    FIELD_KIND_NAMES,
    FIELD_OF_NAMES,
    FIELD_VALUES_SHEET,
    FIELDS_SHEET,
    FILLED_BY_NAMES,
    FINAL_HEADER,
    FOOTNOTES_SHEET,
    INDICATORS_SHEET,
    INSTRUCTIONS_SHEET_NAME,
    INTRO_SHEET,
    LAYOUT_NAMES,
    NO,
    NOTE_KINDS,
    NOTES_SHEET,
    ORIGINAL_FINAL_HEADER,
    ORIGINAL_PREFIX,
    PLACEMENTS_SHEET,
    PROJECTS_SHEET,
    RATE_METHOD_NAMES,
    REQUIRED_SHEET,
    SECTIONS_SHEET,
    SETTINGS,
    SETTINGS_SHEET,
    TARGET_PREFIX,
    YES,
    Kind,
    SheetDef,
    year_header,
)
from kpibook.planbook.starter import DEFAULT_SCALE, SCALES
from kpibook.scheme import (
    EVALUATED_NAMES,
    EVALUATION_RULE_NAMES,
    EvaluationBand,
    OwnerLevel,
)
from kpibook.values import Value
from kpibook.xlsx_write import Book, CellValue, Sheet, Style

HEADER = Style(bold=True, fill="#DDEBF7", border=1, wrap=True, valign="center")
CELL = Style(border=1, wrap=True, text=True)
WHOLE = Style(border=1, num_format="#,##0")
FRACTION = Style(border=1)
HELP = Style(wrap=True, font_color="#595959")
TITLE = Style(bold=True, font_size=14)

Row = list[CellValue]


def write_plan_workbook(plan: Plan, path: Path) -> None:
    """The plan as a workbook; :func:`read_plan_workbook` reads it back unchanged."""
    target_years = sorted(
        {y for p in plan.projects for i in p.indicators for y in i.targets}
        | set(range(plan.period.start, plan.period.end + 1))
    )
    actual_years = sorted(
        {y for p in plan.projects for i in p.indicators for y in i.actuals}
        | set(range(plan.period.start, plan.report_year))
    )
    indicators = [i for p in plan.projects for i in p.indicators]
    original_years = sorted({y for i in indicators for y in i.original_targets})
    original_final = any(not i.original_final_target.is_empty for i in indicators)
    rows: dict[str, list[Row]] = {
        SETTINGS_SHEET.name: _settings_rows(plan),
        INTRO_SHEET.name: [[p] for p in plan.intro],
        BANDS_SHEET.name: list(_scale_rows(plan.grading.bands, plan.grading.owner_levels)),
        EVALUATIONS_SHEET.name: [
            [
                e.depth,
                e.name,
                EVALUATION_RULE_NAMES[e.rule.value],
                EVALUATED_NAMES[e.of],
                e.at_least,
                e.owner,
                _list(e.explanation_optional_for),
            ]
            for e in plan.grading.evaluations
        ],
        EVALUATION_BANDS_SHEET.name: [
            [e.depth, *row]
            for e in plan.grading.evaluations
            for row in _scale_rows(e.bands, e.owner_levels)
        ],
        DEPARTMENTS_SHEET.name: [[d.name, d.contact] for d in plan.departments],
        SECTIONS_SHEET.name: list(_section_rows(plan.sections, None)),
        PROJECTS_SHEET.name: [
            [
                p.id,
                p.name,
                p.lead_department,
                _list(p.other_departments),
                p.overview,
                p.annual_plan,
                _list(p.other_listings),
            ]
            for p in plan.projects
        ],
        PLACEMENTS_SHEET.name: [
            [p.id, pl.section, pl.number, pl.content, pl.order]
            for p in plan.projects
            for pl in p.placements
        ],
        INDICATORS_SHEET.name: [
            [
                p.id,
                i.id,
                i.label,
                i.unit,
                DIRECTION_NAMES[i.direction.value],
                i.decimals,
                i.note,
                _cell(i.baseline),
                None if i.baseline_year is None else era_label(i.baseline_year),
                None if i.rate_method is None else RATE_METHOD_NAMES[i.rate_method.value],
                YES if i.cumulative else None,
                i.data_lag or None,
                _list(era_label(y) for y in i.actual_status),
                YES if i.preliminary_allowed else None,
                *(_cell(i.targets.get(y)) for y in target_years),
                _cell(i.final_target),
                *(_cell(i.actuals.get(y)) for y in actual_years),
                *(_cell(i.original_targets.get(y)) for y in original_years),
                *([_cell(i.original_final_target)] if original_final else []),
            ]
            for p in plan.projects
            for i in p.indicators
        ],
        NOTES_SHEET.name: list(_note_rows(plan)),
        FOOTNOTES_SHEET.name: [[p.id, f.term, f.text] for p in plan.projects for f in p.footnotes],
        REQUIRED_SHEET.name: [
            [ENTRY_TEXT_NAMES[key], _list(grades)]
            for key, grades in plan.checks.required_when.items()
        ],
        FIELDS_SHEET.name: [_field_row(f) for f in plan.fields],
        FIELD_VALUES_SHEET.name: list(_field_value_rows(plan)),
    }
    year_headers = [
        *(year_header(TARGET_PREFIX, y) for y in target_years),
        FINAL_HEADER,
        *(year_header(ACTUAL_PREFIX, y) for y in actual_years),
        *(year_header(ORIGINAL_PREFIX, y) for y in original_years),
        *([ORIGINAL_FINAL_HEADER] if original_final else []),
    ]
    _write(path, rows, year_headers, plan.title)


def write_blank_plan_workbook(
    path: Path,
    start: int,
    end: int,
    layout: Layout = Layout.CARD,
    bands: Sequence[tuple[str, Decimal, str]] | None = None,
    template: str | None = None,
) -> None:
    """An empty plan workbook for a plan running ``start``..``end``, with instructions:
    its layout, its grade scale (grade, lowest rate, meaning; best first; default the
    Kashiwa plans' A/B/C 80/50) and the template it names, if any."""
    settings: list[Row] = []
    defaults = {
        ("period", "start"): era_label(start, "long"),
        ("period", "end"): era_label(end, "long"),
        ("report_year",): era_label(start, "long"),
        ("layout",): LAYOUT_NAMES[layout.value],
        ("template",): template,
        ("grading", "fallback_to_final"): YES,
        ("grading", "not_gradable"): "評価不能",
        ("grading", "project_rule"): "最も低い指標",
    }
    for s in SETTINGS:
        settings.append([s.label, defaults.get(s.path), s.help])
    rows: dict[str, list[Row]] = {sheet.name: [] for sheet in DATA_SHEETS}
    rows[SETTINGS_SHEET.name] = settings
    rows[BANDS_SHEET.name] = [
        [grade, int(rate) if rate == int(rate) else rate, label]
        for grade, rate, label in bands or SCALES[DEFAULT_SCALE].bands
    ]
    year_headers = [
        *(year_header(TARGET_PREFIX, y) for y in range(start, end + 1)),
        FINAL_HEADER,
        *(year_header(ACTUAL_PREFIX, y) for y in [start - 1] if y >= MIN_FISCAL_YEAR),
    ]
    _write(path, rows, year_headers, None)


def _write(
    path: Path, rows: dict[str, list[Row]], year_headers: list[str], title: str | None
) -> None:
    with Book(path) as book:
        _instructions(book.sheet(INSTRUCTIONS_SHEET_NAME), title, year_headers)
        for sheet_def in DATA_SHEETS:
            extra = year_headers if sheet_def is INDICATORS_SHEET else []
            _data_sheet(book.sheet(sheet_def.name), sheet_def, rows[sheet_def.name], extra)


def _data_sheet(
    sheet: Sheet, sheet_def: SheetDef, rows: list[Row], extra_headers: list[str]
) -> None:
    headers = [c.header for c in sheet_def.columns] + extra_headers
    sheet.write_row(0, headers, HEADER)
    for col, column in enumerate(sheet_def.columns):
        sheet.column_width(col, col, column.width)
    if extra_headers:
        first = len(sheet_def.columns)
        sheet.column_width(first, first + len(extra_headers) - 1, 11)
    sheet.freeze(1, 0)
    sheet.print_setup(landscape=True, repeat_rows=(0, 0), header=f"計画ブック　{sheet_def.name}")
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            sheet.write(r, c, value, _style_for(value))
    sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)


def _style_for(value: CellValue) -> Style:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return CELL
    return WHOLE if value == int(value) else FRACTION


def _instructions(sheet: Sheet, title: str | None, year_headers: list[str]) -> None:
    sheet.column_width(0, 0, 34)
    sheet.column_width(1, 1, 80, HELP)
    sheet.print_setup(landscape=False)
    sheet.write(0, 0, "計画ブック（kpibook）" + (f"　{title}" if title else ""), TITLE)
    lines = [  # one paragraph per row, running across both columns
        "このブックは計画の内容（体系・事業・指標・目標値・過去の実績値）を管理します。",
        "kpibook はこのブックから各課の記入様式を作成します。各課の回答で計画は変わりません。",
        "各シートの1行目（見出し）は変更しないでください。行の順番が印刷の順番です。",
        "年度は「令和元年度」「R1」「平成31年度」「2019」のどの書き方でも読み込めます。",
        f"指標シートの年度の列: {'、'.join(year_headers)}",
    ]
    for row, line in enumerate(lines, start=2):
        sheet.write(row, 0, line, Style(wrap=False))
    row = 2 + len(lines)
    for sheet_def in DATA_SHEETS:
        row += 1
        sheet.write(row, 0, f"シート「{sheet_def.name}」", Style(bold=True))
        sheet.write(
            row, 1, sheet_def.help + ("" if sheet_def.required else "（任意のシート）"), HELP
        )
        row += 1
        for column in sheet_def.columns:
            mark = "（必須）" if column.required else ""
            sheet.write(row, 0, f"　{column.header}{mark}")
            sheet.write(row, 1, column.help, HELP)
            row += 1
        if sheet_def is SETTINGS_SHEET:
            for s in SETTINGS:
                sheet.write(row, 0, f"　　{s.label}")
                sheet.write(row, 1, s.help, HELP)
                row += 1
    sheet.activate()


def _settings_rows(plan: Plan) -> list[Row]:
    data = plan.model_dump(mode="python")
    out: list[Row] = []
    for s in SETTINGS:
        value: Any = data
        for part in s.path:
            value = value.get(part) if isinstance(value, dict) else None
        out.append([s.label, _setting_cell(s.kind, value, s.choices), s.help])
    return out


def _setting_cell(kind: Kind, value: Any, choices: dict[str, str] | None) -> CellValue:
    if value is None:
        return None
    match kind:
        case Kind.YEAR:
            return era_label(value, "long")
        case Kind.BOOL:
            return YES if value else NO
        case Kind.LIST:
            return _list(value)
        case Kind.CHOICE:
            assert choices is not None
            return choices[str(value)]
    assert isinstance(value, str | int | Decimal | dt.date)  # a date: 提出期限
    return value


def _scale_rows(
    bands: Sequence[GradeBand | EvaluationBand], owner_levels: list[OwnerLevel]
) -> Iterator[Row]:
    """評価 | 下限 | 説明 | 補足 | 点数 | 担当のみ: the bands, then the owner's levels."""
    for b in bands:
        low = b.min_rate if isinstance(b, GradeBand) else b.threshold
        yield [b.grade, low, b.label, b.description, b.score, None]
    for o in owner_levels:
        yield [o.grade, None, o.label, o.description, o.score, YES]


def _section_rows(sections: list[Section], parent: str | None) -> Iterator[Row]:
    for s in sections:
        yield [s.id, parent, s.number, s.title, s.action_goal, s.outcome_goal, s.owner]
        yield from _section_rows(s.children, s.id)


def _note_rows(plan: Plan) -> Iterator[Row]:
    for p in plan.projects:
        for i in p.indicators:
            for y, v in i.targets.items():
                if v.note:
                    yield [i.id, NOTE_KINDS["target"], era_label(y), v.note]
            if i.final_target.note:
                yield [i.id, NOTE_KINDS["final"], None, i.final_target.note]
            for y, v in i.actuals.items():
                if v.note:
                    yield [i.id, NOTE_KINDS["actual"], era_label(y), v.note]
            if i.baseline.note:
                yield [i.id, NOTE_KINDS["baseline"], None, i.baseline.note]
            for y, v in i.original_targets.items():
                if v.note:
                    yield [i.id, NOTE_KINDS["original"], era_label(y), v.note]
            if i.original_final_target.note:
                yield [i.id, NOTE_KINDS["original_final"], None, i.original_final_target.note]


def _field_value_rows(plan: Plan) -> Iterator[Row]:
    for p in plan.projects:
        for key, value in p.fields.items():
            yield [p.id, None, key, value]
        for i in p.indicators:
            for key, value in i.fields.items():
                yield [p.id, i.id, key, value]


def _field_row(f: FieldSpec) -> Row:
    required = f.required if isinstance(f.required, list) else [YES] if f.required else []
    return [
        f.key,
        f.label,
        FIELD_KIND_NAMES[f.kind],
        FIELD_OF_NAMES[f.of],
        FILLED_BY_NAMES[f.filled_by],
        _list(f.choices),
        f.max_length,
        f.decimals,
        f.minimum,
        f.maximum,
        f.unit,
        f.help,
        _list(required),
    ]


def _cell(value: Value | None) -> CellValue:
    return None if value is None else value.token()


def _list(items: Iterable[str]) -> str | None:
    joined = "\n".join(items)
    return joined or None
