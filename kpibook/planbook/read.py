"""Read the plan workbook back into a :class:`Plan`, naming the sheet and cell of every error.

Reading happens in two passes: the sheets are turned into the same nested data the text
form holds (remembering which cell each piece came from), then the plan model validates
it.  Problems of the first pass (an unknown sheet, a header that is not ours, a row that
names a project that does not exist) are all reported together; the model's checks run
only on a workbook whose structure is sound, so they never report consequences of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpibook.cells import a1, col_letter
from kpibook.collector import paused
from kpibook.errors import LoadError, Loc, Problem
from kpibook.fiscal import FiscalYearError, parse_fiscal_year
from kpibook.message import Message
from kpibook.plan import Plan
from kpibook.planbook.layout import (
    BANDS_SHEET,
    DATA_SHEETS,
    DEPARTMENTS_SHEET,
    ENTRY_TEXT_NAMES,
    EVALUATION_BANDS_SHEET,
    EVALUATIONS_SHEET,
    FIELD_VALUES_SHEET,
    FIELDS_SHEET,
    FOOTNOTES_SHEET,
    INDICATORS_SHEET,
    INSTRUCTIONS_SHEET_NAME,
    INTRO_SHEET,
    LIST_SEPARATORS,
    NO,
    NOTE_KINDS,
    NOTES_SHEET,
    PLACEMENTS_SHEET,
    PROJECTS_SHEET,
    REQUIRED_SHEET,
    SECTIONS_SHEET,
    SETTINGS,
    SETTINGS_SHEET,
    YEAR_FIELDS,
    YEARLESS_FIELDS,
    YES,
    Column,
    Kind,
    SheetDef,
    parse_year_header,
)
from kpibook.plancheck import plan_problems
from kpibook.xlsx_grids import Sheet, read_sheets
from kpibook.xlsx_read import RawValue


class CellProblem(Exception):
    """A cell whose content cannot be used; becomes a located :class:`Problem`."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.en)
        self.message = message


@dataclass
class Row:
    """A data row: values by column key, and each value's cell."""

    grid: Sheet
    index: int
    values: dict[str, RawValue]
    cells: dict[str, str]

    @property
    def where(self) -> str:
        return f"シート「{self.grid.name}」{self.index + 1}行目"


@dataclass
class Reader:
    path: Path
    problems: list[Problem] = field(default_factory=list)
    places: dict[Loc, str] = field(default_factory=dict)
    year_columns: dict[str, tuple[str, int, Column] | None] = field(default_factory=dict)
    """What each header of the indicators sheet says: a year's target or actual, or not."""
    track: bool = True
    """Whether each value's cell is remembered (``place``) as it is read.  Only the
    model's findings need them: a workbook is assembled without, and assembled again,
    remembering, only when the model finds a problem (a national plan has millions of
    cells)."""

    # -- locations ----------------------------------------------------------------------

    def place(self, loc: Loc, where: str) -> None:
        if self.track:
            self.places[loc] = where

    def where(self, loc: Loc) -> str:
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.places:
                return f"{self.path.name} {self.places[loc[:n]]}"
        return self.path.name

    def problem(self, where: str, message: Message, raw: RawValue = None) -> None:
        raw_text = None if raw is None else str(raw)
        self.problems.append(
            Problem(where=f"{self.path.name} {where}", message=message, raw=raw_text)
        )

    # -- cells --------------------------------------------------------------------------

    def convert(self, row: Row, column: Column, choices: dict[str, str] | None = None) -> Any:
        """The cell of ``column`` in ``row`` as model data; records a problem if unusable."""
        raw = row.values.get(column.key)
        try:
            return convert(raw, column.kind, choices)
        except CellProblem as exc:
            self.problem(
                f"シート「{row.grid.name}」{row.cells[column.key]}（{column.header}）",
                exc.message,
                raw,
            )
            return None


def convert(raw: RawValue, kind: Kind, choices: dict[str, str] | None = None) -> Any:
    """One cell's raw value as model data for a column of ``kind``."""
    if raw is None or (isinstance(raw, str) and raw.strip() == "" and kind is not Kind.TEXT):
        return [] if kind is Kind.LIST else None
    if isinstance(raw, dt.time | dt.timedelta):
        raise CellProblem(
            Message(ja="時刻ではなく値を入力してください", en="a time is not a valid entry here")
        )
    match kind:
        case Kind.VALUE:
            if isinstance(raw, dt.datetime | dt.date):
                raise CellProblem(
                    Message(
                        ja="日付になっています。数値を入力してください",
                        en="the cell holds a date; enter a number",
                    )
                )
            return raw  # the Value model parses numbers and tokens and reports the rest
        case Kind.NUMBER:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise CellProblem(Message(ja="数値を入力してください", en="enter a number"))
            return raw
        case Kind.INT:
            if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != int(raw):
                raise CellProblem(Message(ja="整数を入力してください", en="enter a whole number"))
            return int(raw)
        case Kind.BOOL:
            if isinstance(raw, bool):
                return raw
            text = _text(raw).strip()
            if text in (YES, NO):
                return text == YES
            raise CellProblem(
                Message(ja=f"{YES} か {NO} を入力してください", en=f"enter {YES} or {NO}")
            )
        case Kind.DATE:
            if isinstance(raw, dt.datetime):
                return raw.date()
            if isinstance(raw, dt.date):
                return raw
            try:
                return dt.date.fromisoformat(_text(raw).strip())
            except ValueError:
                raise CellProblem(
                    Message(
                        ja="日付（例: 2020-05-31）を入力してください",
                        en="enter a date (2020-05-31)",
                    )
                ) from None
        case Kind.YEAR:
            try:
                return parse_fiscal_year(raw if isinstance(raw, int) else _text(raw))
            except FiscalYearError as exc:
                raise CellProblem(exc.message) from None
        case Kind.CHOICE:
            assert choices is not None
            text = _text(raw).strip()
            for key, name in choices.items():
                if text in (key, name):
                    return key
            names = "／".join(choices.values())
            raise CellProblem(
                Message(ja=f"{names} のいずれかを入力してください", en=f"enter one of {names}")
            )
        case Kind.LIST:
            text = _text(raw)
            for sep in LIST_SEPARATORS[1:]:
                text = text.replace(sep, LIST_SEPARATORS[0])
            return [part.strip() for part in text.split(LIST_SEPARATORS[0]) if part.strip()]
        case Kind.ID | Kind.LABEL | Kind.TEXT:
            return _text(raw)
    raise AssertionError(kind)


def _text(raw: RawValue) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        raise CellProblem(Message(ja="文字を入力してください", en="enter text, not TRUE/FALSE"))
    if isinstance(raw, int | float):
        # A number typed where text is expected (an id such as 1, a number such as 2019).
        return str(int(raw)) if raw == int(raw) else repr(raw)
    raise CellProblem(
        Message(ja="文字を入力してください", en=f"enter text, not a {type(raw).__name__}")
    )


# -- sheets -------------------------------------------------------------------------------


def _rows(reader: Reader, grid: Sheet, sheet: SheetDef, extra: Callable[[str], bool]) -> list[Row]:
    """The data rows of a sheet, with columns found by their headers."""
    by_col: dict[int, str] = {}
    found: set[str] = set()
    for col in range(grid.max_col + 1):
        header = grid.value(0, col)
        if header is None:
            continue
        name = str(header).strip()
        column = next((c for c in sheet.columns if c.header == name), None)
        if column is not None:
            if column.key in found:
                reader.problem(
                    f"シート「{grid.name}」{a1(0, col)}",
                    Message(
                        ja=f"見出し「{name}」が2つあります", en=f"column {name!r} appears twice"
                    ),
                )
            by_col[col] = column.key
            found.add(column.key)
        elif extra(name):
            by_col[col] = name
        else:
            known = "、".join(c.header for c in sheet.columns)
            reader.problem(
                f"シート「{grid.name}」{a1(0, col)}",
                Message(
                    ja=f"見出し「{name}」はこのシートにはありません（使える見出し: {known}）",
                    en=f"unknown column {name!r}",
                ),
                name,
            )
    for column in sheet.columns:
        if column.required and column.key not in found:
            reader.problem(
                f"シート「{grid.name}」1行目",
                Message(
                    ja=f"見出し「{column.header}」の列がありません",
                    en=f"the column {column.header!r} is missing",
                ),
            )
    # A missing column still gets a place, so the rest of the sheet can be checked too.
    absent = {c.key: f"（{c.header}の列なし）" for c in sheet.columns if c.key not in found}
    rows = []
    stored, formulas = grid.values, grid.formulas
    letters = {col: col_letter(col) for col in by_col}
    for r in range(1, grid.max_row + 1):
        values: dict[str, RawValue] = {}
        cells: dict[str, str] = dict(absent)
        number = str(r + 1)
        for col, key in by_col.items():
            value = stored.get((r, col))
            cells[key] = letters[col] + number  # a1(r, col), the letters worked out once
            if value is None:
                if (r, col) not in formulas:
                    continue
                reader.problem(
                    f"シート「{grid.name}」{a1(r, col)}",
                    Message(
                        ja="数式の計算結果が保存されていません。"
                        "Excel で開いて保存するか、値を入力してください",
                        en="a formula without a saved result; "
                        "save the file in Excel or type the value",
                    ),
                )
                continue
            values[key] = value
        if any(
            v is not None and not (isinstance(v, str) and not v.strip()) for v in values.values()
        ):
            rows.append(Row(grid, r, values, cells))
    return rows


def _blank(v: RawValue) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _never(_: str) -> bool:
    return False


def _is_year_header(header: str) -> bool:
    return parse_year_header(header) is not None


def read_plan_workbook(path: Path) -> Plan:
    """Load a plan workbook; :class:`LoadError` lists every problem with sheet and cell."""
    with paused():  # a national plan is millions of objects, built at once
        return _read_plan_workbook(Path(path))


def _read_plan_workbook(path: Path) -> Plan:
    reader = Reader(path)
    grids = {g.name: g for g in read_sheets(path)}
    known = {s.name for s in DATA_SHEETS} | {INSTRUCTIONS_SHEET_NAME}
    for name in grids:
        if name not in known:
            reader.problem(
                f"シート「{name}」",
                Message(
                    ja="計画ブックのシートではありません（シート名を確認してください）",
                    en=f"{name!r} is not a sheet of a plan workbook",
                ),
            )
    sheet_rows: dict[str, list[Row]] = {}
    for sheet in DATA_SHEETS:
        grid = grids.get(sheet.name)
        if grid is None:
            if sheet.required:
                reader.problem(
                    f"シート「{sheet.name}」",
                    Message(
                        ja="必要なシートがありません", en=f"the sheet {sheet.name!r} is missing"
                    ),
                )
            sheet_rows[sheet.name] = []
            continue
        extra = (
            (lambda h: parse_year_header(h) is not None) if sheet is INDICATORS_SHEET else _never
        )
        sheet_rows[sheet.name] = _rows(reader, grid, sheet, extra)
    reader.track = False
    data = _assemble(reader, sheet_rows)
    if reader.problems:
        raise LoadError(path, reader.problems)
    plan, found = plan_problems(data, reader.where)
    if plan is None:  # again, remembering each value's cell, to name the cells at fault
        again = Reader(path, year_columns=reader.year_columns)
        plan, found = plan_problems(_assemble(again, sheet_rows), again.where)
        raise LoadError(path, found)
    return plan


def _assemble(reader: Reader, rows: dict[str, list[Row]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for loc, sheet in [
        (("grading",), BANDS_SHEET),
        (("grading", "bands"), BANDS_SHEET),
        (("grading", "owner_levels"), BANDS_SHEET),
        (("grading", "evaluations"), EVALUATIONS_SHEET),
        (("departments",), DEPARTMENTS_SHEET),
        (("sections",), SECTIONS_SHEET),
        (("projects",), PROJECTS_SHEET),
        (("intro",), INTRO_SHEET),
    ]:
        reader.place(loc, f"シート「{sheet.name}」")
    _settings(reader, rows[SETTINGS_SHEET.name], data)
    data["intro"] = [reader.convert(r, INTRO_SHEET.column("text")) for r in rows[INTRO_SHEET.name]]
    for n, r in enumerate(rows[INTRO_SHEET.name]):
        reader.place(("intro", n), f"シート「{r.grid.name}」{r.cells['text']}")
    grading = data.setdefault("grading", {})
    grading.update(_scale(reader, rows[BANDS_SHEET.name], BANDS_SHEET, ("grading",), "min_rate"))
    if rows[EVALUATIONS_SHEET.name]:
        grading["evaluations"] = _evaluations(reader, rows)
    data["departments"] = [
        _record(reader, r, DEPARTMENTS_SHEET, ("departments", n))
        for n, r in enumerate(rows[DEPARTMENTS_SHEET.name])
    ]
    if rows[REQUIRED_SHEET.name]:
        data.setdefault("checks", {})["required_when"] = _required(reader, rows)
    data["sections"] = _sections(reader, rows[SECTIONS_SHEET.name])
    data["projects"] = _projects(reader, rows)
    if rows[FIELDS_SHEET.name]:
        data["fields"] = _fields(reader, rows[FIELDS_SHEET.name])
    _field_values(reader, rows[FIELD_VALUES_SHEET.name], data["projects"])
    return data


def _fields(reader: Reader, rows: list[Row]) -> list[dict[str, Any]]:
    """項目: each field's declaration; 必須 is はい (always), grades, or empty (never)."""
    out = []
    for n, row in enumerate(rows):
        record = _record(reader, row, FIELDS_SHEET, ("fields", n))
        required = record.pop("required", [])
        if required == [YES]:
            record["required"] = True
        elif required:
            record["required"] = required
        out.append(record)
    return out


def _field_values(reader: Reader, rows: list[Row], projects: list[dict[str, Any]]) -> None:
    """項目の値: the coordinator's values, put on their project or indicator."""
    by_id = {p.get("id"): (n, p) for n, p in reversed(list(enumerate(projects)))}
    for row in rows:
        record = {c.key: reader.convert(row, c) for c in FIELD_VALUES_SHEET.columns}
        pid, iid, key, value = (record[k] for k in ("project", "indicator", "key", "value"))
        where = f"シート「{row.grid.name}」"
        if pid is None or key is None or value is None:
            continue
        found = by_id.get(pid)
        if found is None:
            reader.problem(
                f"{where}{row.cells['project']}",
                Message(
                    ja=f"事業ID「{pid}」は事業シートにありません",
                    en=f"there is no project {pid!r} in the 事業 sheet",
                ),
                pid,
            )
            continue
        n, project = found
        loc: Loc = ("projects", n)
        owner = project
        if iid is not None:
            indicators = project.get("indicators", [])
            m = next((m for m, i in enumerate(indicators) if i.get("id") == iid), None)
            if m is None:
                reader.problem(
                    f"{where}{row.cells['indicator']}",
                    Message(
                        ja=f"事業「{pid}」に指標ID「{iid}」はありません",
                        en=f"project {pid!r} has no indicator {iid!r}",
                    ),
                    iid,
                )
                continue
            owner, loc = indicators[m], (*loc, "indicators", m)
        held = owner.setdefault("fields", {})
        if key in held:
            reader.problem(
                f"{where}{row.cells['key']}",
                Message(ja=f"項目「{key}」の値が2つあります", en=f"{key!r} is given twice"),
                key,
            )
            continue
        held[key] = value
        reader.place((*loc, "fields", key), f"{where}{row.cells['value']}（値）")


def _scale(
    reader: Reader, rows: list[Row], sheet: SheetDef, here: Loc, threshold: str
) -> dict[str, list[dict[str, Any]]]:
    """A scale's rows: the bands (with a threshold), then the levels only an owner
    chooses (担当のみ: はい), kept apart as the model keeps them."""
    scale: dict[str, list[dict[str, Any]]] = {"bands": []}
    owners: list[dict[str, Any]] = []
    for row in rows:
        try:
            owner = convert(row.values.get("owner"), Kind.BOOL) is True
        except CellProblem:
            owner = False  # _record reports the cell
        kind = "owner_levels" if owner else "bands"
        listed = owners if owner else scale["bands"]
        record = _record(reader, row, sheet, (*here, kind, len(listed)))
        record.pop("owner", None)
        listed.append(record)
        cell = f"シート「{row.grid.name}」{row.cells[threshold]}"
        if owner and threshold in record:
            reader.problem(
                cell,
                Message(
                    ja="担当のみの段階には下限を書きません",
                    en="a level only an owner chooses has no threshold",
                ),
            )
        elif not owner and owners:
            reader.problem(
                cell,
                Message(
                    ja="下限のある段階は、担当のみの段階より前（上）に書きます",
                    en="levels with a threshold come before those only an owner chooses",
                ),
            )
    if owners:
        scale["owner_levels"] = owners
    return scale


def _evaluations(reader: Reader, rows: dict[str, list[Row]]) -> list[dict[str, Any]]:
    """The 体系の評価 rows, each with its scale from 体系の評価区分 (by 階層)."""
    evaluations = []
    by_depth: dict[int, int] = {}
    for n, row in enumerate(rows[EVALUATIONS_SHEET.name]):
        record = _record(reader, row, EVALUATIONS_SHEET, ("grading", "evaluations", n))
        evaluations.append(record)
        if isinstance(record.get("depth"), int):
            by_depth.setdefault(record["depth"], n)
    scales: dict[int, list[Row]] = {}
    for row in rows[EVALUATION_BANDS_SHEET.name]:
        depth = reader.convert(row, EVALUATION_BANDS_SHEET.column("depth"))
        if depth is None:
            continue
        if depth not in by_depth:
            reader.problem(
                f"シート「{row.grid.name}」{row.cells['depth']}",
                Message(
                    ja=f"「{EVALUATIONS_SHEET.name}」シートに第{depth}階層の評価がありません",
                    en=f"no evaluation of depth {depth} in the {EVALUATIONS_SHEET.name} sheet",
                ),
                depth,
            )
            continue
        scales.setdefault(depth, []).append(row)
    for depth, scale_rows in scales.items():
        n = by_depth[depth]
        here: Loc = ("grading", "evaluations", n)
        reader.place((*here, "bands"), scale_rows[0].where)
        scale = _scale(reader, scale_rows, EVALUATION_BANDS_SHEET, here, "threshold")
        for kind, records in scale.items():
            for record in records:
                record.pop("depth", None)
            if records:
                evaluations[n][kind] = records
    return evaluations


def _required(reader: Reader, rows: dict[str, list[Row]]) -> dict[str, list[str]]:
    """記入の条件: each text with the grades that require it (an empty cell: none)."""
    out: dict[str, list[str]] = {}
    for row in rows[REQUIRED_SHEET.name]:
        key = reader.convert(row, REQUIRED_SHEET.column("key"), ENTRY_TEXT_NAMES)
        grades = reader.convert(row, REQUIRED_SHEET.column("grades"))
        if key is None or grades is None:
            continue
        where = f"シート「{row.grid.name}」"
        if key in out:
            reader.problem(
                f"{where}{row.cells['key']}",
                Message(ja="同じ記入欄が2回あります", en=f"{key!r} is given twice"),
            )
            continue
        out[key] = grades
        loc: Loc = ("checks", "required_when", key)
        reader.place(loc, f"{where}{row.cells['key']}（記入欄）")
        for n in range(len(grades)):
            reader.place((*loc, n), f"{where}{row.cells['grades']}（必須とする評価）")
    return out


def _record(reader: Reader, row: Row, sheet: SheetDef, loc: Loc) -> dict[str, Any]:
    """A row as a dict of its columns; each key's cell remembered for error messages."""
    out: dict[str, Any] = {}
    track = reader.track
    if track:
        reader.place(loc, row.where)
    for column in sheet.columns:
        value = reader.convert(row, column, column.choices)
        if track:
            reader.place((*loc, column.key), f"シート「{row.grid.name}」{row.cells[column.key]}")
        if value is not None and value != []:
            out[column.key] = value
    return out


def _settings(reader: Reader, rows: list[Row], data: dict[str, Any]) -> None:
    by_label = {s.label: s for s in SETTINGS}
    seen: set[str] = set()
    for row in rows:
        label = str(row.values.get("key") or "").strip()
        setting = by_label.get(label)
        where = f"シート「{row.grid.name}」{row.cells['key']}"
        if setting is None:
            reader.problem(
                where,
                Message(
                    ja=f"「{label}」は設定の項目ではありません", en=f"{label!r} is not a setting"
                ),
                label,
            )
            continue
        if label in seen:
            reader.problem(
                where, Message(ja=f"「{label}」が2回あります", en=f"{label!r} is given twice")
            )
        seen.add(label)
        value_column = Column(label, "value", setting.kind, "")
        value = reader.convert(row, value_column, setting.choices)
        target = data
        for part in setting.path[:-1]:
            target = target.setdefault(part, {})
        reader.place(setting.path, f"シート「{row.grid.name}」{row.cells['value']}（{label}）")
        if value is not None and value != []:
            target[setting.path[-1]] = value


def _sections(reader: Reader, rows: list[Row]) -> list[dict[str, Any]]:
    roots: list[dict[str, Any]] = []
    by_id: dict[str, tuple[dict[str, Any], Loc]] = {}
    for row in rows:
        parent = reader.convert(row, SECTIONS_SHEET.column("parent"))
        if parent is None:
            loc: Loc = ("sections", len(roots))
            siblings = roots
        elif parent in by_id:
            parent_node, parent_loc = by_id[parent]
            siblings = parent_node.setdefault("children", [])
            loc = (*parent_loc, "children", len(siblings))
        else:
            reader.problem(
                f"シート「{row.grid.name}」{row.cells['parent']}",
                Message(
                    ja=f"上位の体系ID「{parent}」が、これより上の行にありません",
                    en=f"the parent section {parent!r} is not defined in a row above",
                ),
                parent,
            )
            continue
        node = _record(reader, row, SECTIONS_SHEET, loc)
        node.pop("parent", None)
        siblings.append(node)
        if "id" in node:
            by_id.setdefault(node["id"], (node, loc))
    return roots


def _projects(reader: Reader, rows: dict[str, list[Row]]) -> list[dict[str, Any]]:
    projects: list[dict[str, Any]] = []
    index: dict[str, tuple[dict[str, Any], Loc]] = {}
    for n, row in enumerate(rows[PROJECTS_SHEET.name]):
        loc: Loc = ("projects", n)
        record = _record(reader, row, PROJECTS_SHEET, loc)
        record["placements"] = []
        projects.append(record)
        if "id" in record:
            index.setdefault(record["id"], (record, loc))

    def owner(row: Row, key: str) -> tuple[dict[str, Any], Loc] | None:
        pid = reader.convert(row, Column("事業ID", key, Kind.ID, ""))
        found = index.get(pid) if pid is not None else None
        if found is None:
            reader.problem(
                f"シート「{row.grid.name}」{row.cells[key]}",
                Message(
                    ja=f"事業ID「{pid}」は事業シートにありません",
                    en=f"there is no project {pid!r} in the 事業 sheet",
                ),
                pid,
            )
        return found

    for row in rows[PLACEMENTS_SHEET.name]:
        if (found := owner(row, "project")) is not None:
            project, ploc = found
            loc = (*ploc, "placements", len(project["placements"]))
            record = _record(reader, row, PLACEMENTS_SHEET, loc)
            record.pop("project", None)
            project["placements"].append(record)

    indicators: dict[str, dict[str, Any]] = {}
    indicator_locs: dict[str, Loc] = {}
    for row in rows[INDICATORS_SHEET.name]:
        if (found := owner(row, "project")) is not None:
            project, ploc = found
            ind_list = project.setdefault("indicators", [])
            loc = (*ploc, "indicators", len(ind_list))
            record = _record(reader, row, INDICATORS_SHEET, loc)
            record.pop("project", None)
            years = record.pop("preliminary_years", None)
            if years:  # 速報値の年度 H29 → actual_status {H29: preliminary}
                record["actual_status"] = {year: "preliminary" for year in years}
                reader.place(
                    (*loc, "actual_status"),
                    f"シート「{row.grid.name}」{row.cells['preliminary_years']}",
                )
            _year_values(reader, row, record, loc)
            ind_list.append(record)
            if "id" in record:
                indicators.setdefault(record["id"], record)
                indicator_locs.setdefault(record["id"], loc)

    for row in rows[NOTES_SHEET.name]:
        _note(reader, row, indicators, indicator_locs)

    for row in rows[FOOTNOTES_SHEET.name]:
        if (found := owner(row, "project")) is not None:
            project, ploc = found
            notes = project.setdefault("footnotes", [])
            record = _record(reader, row, FOOTNOTES_SHEET, (*ploc, "footnotes", len(notes)))
            record.pop("project", None)
            notes.append(record)
    return projects


def _year_values(reader: Reader, row: Row, record: dict[str, Any], loc: Loc) -> None:
    for header, raw in row.values.items():
        if raw is None:
            continue
        if header not in reader.year_columns:  # once per column, not once per cell
            parsed = parse_year_header(header)
            column = Column(header, header, Kind.VALUE, "")
            reader.year_columns[header] = None if parsed is None else (*parsed, column)
        found = reader.year_columns[header]
        if found is None:
            continue
        kind, year, column = found
        value = reader.convert(row, column)
        if value is None:
            continue
        if kind in YEARLESS_FIELDS:
            key = YEARLESS_FIELDS[kind]
            record[key] = value
            if reader.track:
                reader.place(
                    (*loc, key), f"シート「{row.grid.name}」{row.cells[header]}（{header}）"
                )
        else:
            field_name = YEAR_FIELDS[kind]
            record.setdefault(field_name, {})[year] = value
            if reader.track:
                reader.place(
                    (*loc, field_name, year),
                    f"シート「{row.grid.name}」{row.cells[header]}（{header}）",
                )


def _note(
    reader: Reader,
    row: Row,
    indicators: dict[str, dict[str, Any]],
    locs: dict[str, Loc],
) -> None:
    iid = reader.convert(row, NOTES_SHEET.column("indicator"))
    kind = reader.convert(row, NOTES_SHEET.column("kind"), NOTE_KINDS)
    year = reader.convert(row, NOTES_SHEET.column("year"))
    note = reader.convert(row, NOTES_SHEET.column("note"))
    where = f"シート「{row.grid.name}」{row.cells['indicator']}"
    record = indicators.get(iid) if iid is not None else None
    if record is None:
        reader.problem(
            where,
            Message(
                ja=f"指標ID「{iid}」は指標シートにありません", en=f"there is no indicator {iid!r}"
            ),
            iid,
        )
        return
    if kind is None or note is None:
        return
    yearless = kind in YEARLESS_FIELDS
    if yearless != (year is None):
        reader.problem(
            f"シート「{row.grid.name}」{row.cells['year']}",
            Message(
                ja="最終目標・基準値の注記は年度を空欄に、それ以外は年度を記入してください",
                en="give a year for targets and actuals, none for the final target or baseline",
            ),
        )
        return
    if yearless:
        key = YEARLESS_FIELDS[kind]
        holder, loc = record, (*locs[iid], key)
    else:
        name = YEAR_FIELDS[kind]
        holder, key, loc = record.setdefault(name, {}), year, (*locs[iid], name, year)
    current = holder.get(key)
    if isinstance(current, dict):
        reader.problem(
            where, Message(ja="同じ値への注記が2つあります", en="a second note for the same value")
        )
        return
    holder[key] = {"value": current, "note": note}
    reader.place(loc, f"シート「{row.grid.name}」{row.cells['note']}（注記）")
