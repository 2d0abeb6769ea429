"""Findings: every problem a check finds, as data.

Each kind of finding is declared once in :data:`CATALOGUE` with a stable code, a
severity, a title and message templates in Japanese (what goes back to the department)
and English (the coordinator's terminal).  ``docs/findings.md`` is generated from it.
A check never stops at the first problem: it records each one and goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kpibook.message import Message


class Severity(StrEnum):
    ERROR = "error"
    """The return cannot be used as it is; the department must fix it."""
    WARNING = "warning"
    """kpibook applied or noticed something the coordinator should know about."""


class Code(StrEnum):
    """Every kind of finding, by its stable code (the JSON report and docs/findings.md
    show the value).  Declared here, each with its catalogue entry below."""

    # the file and the form
    NOT_A_WORKBOOK = "not-a-workbook"
    EMPTY_FILE = "empty-file"
    TEXT_NOT_WORKBOOK = "text-not-workbook"
    LEGACY_OR_ENCRYPTED = "legacy-or-encrypted"
    OTHER_SPREADSHEET = "other-spreadsheet"
    CORRUPT_FILE = "corrupt-file"
    TOO_LARGE = "too-large"
    ZIP_BOMB = "zip-bomb"
    XML_REFUSED = "xml-refused"
    EXTERNAL_LINK = "external-link"
    MACROS = "macros"
    STRICT_OOXML = "strict-ooxml"
    CHECK_FAILED = "check-failed"
    NOT_A_FORM = "not-a-form"
    NAMES_LOST = "names-lost"
    SHEET_RENAMED = "sheet-renamed"
    ROWS_INSERTED = "rows-inserted"
    HIDDEN_SHEETS_REMOVED = "hidden-sheets-removed"
    STAMP_INVALID = "stamp-invalid"
    FORM_VERSION = "form-version"
    WRONG_PLAN = "wrong-plan"
    WRONG_YEAR = "wrong-year"
    UNKNOWN_DEPARTMENT = "unknown-department"
    DEPARTMENT_MISMATCH = "department-mismatch"
    OUTDATED_FORM = "outdated-form"
    TEMPLATE_DIFFERS = "template-differs"
    NAME_MISSING = "name-missing"
    INPUT_MERGED = "input-merged"
    CONFLICT = "conflict"
    DUPLICATE_COPY = "duplicate-copy"
    # values
    TOO_MANY_DIGITS = "too-many-digits"
    NOT_A_NUMBER = "not-a-number"
    NOT_WHOLE = "not-whole"
    OUT_OF_RANGE = "out-of-range"
    TOO_MANY_DECIMALS = "too-many-decimals"
    STATE_IN_NUMBER = "state-in-number"
    NUMBER_NORMALIZED = "number-normalized"
    PERCENT_NORMALIZED = "percent-normalized"
    PERCENT_IN_COUNT = "percent-in-count"
    DASH_AS_NOT_APPLICABLE = "dash-as-not-applicable"
    FORMULA_IN_INPUT = "formula-in-input"
    ERROR_VALUE = "error-value"
    BAD_STRING_INDEX = "bad-string-index"
    TEXT_TOO_LONG = "text-too-long"
    ILLEGAL_CHARACTER = "illegal-character"
    TEXT_NORMALIZED = "text-normalized"
    NOT_A_CHOICE = "not-a-choice"
    ACTUAL_AND_STATE = "actual-and-state"
    PENDING_NOT_ALLOWED = "pending-not-allowed"
    CHOICE_NORMALIZED = "choice-normalized"
    # rules of the plan
    REQUIRED_MISSING = "required-missing"
    EXPLANATION_REQUIRED = "explanation-required"
    IMPROVEMENT_REQUIRED = "improvement-required"
    JUMP = "jump"
    # what the coordinator owns
    PREFILLED_MISSING = "prefilled-missing"
    PREFILLED_CHANGED = "prefilled-changed"
    NOT_READ = "not-read"


@dataclass(frozen=True)
class Kind:
    code: Code
    severity: Severity
    title: str
    message: Message
    """Templates filled in by :func:`finding`: ``{raw}``, ``{field}``, ``{expected}``,
    ``{value}`` and ``{detail}``, and the plan's own words (the template's terms):
    ``{department}`` (担当課), ``{project}`` (事業), ``{indicator}`` (指標),
    ``{target}`` (目標値) and ``{actual}`` (実績値)."""


def _k(code: Code, severity: Severity, title: str, *, ja: str, en: str) -> Kind:
    return Kind(code, severity, title, Message(ja=ja, en=en))


E, W = Severity.ERROR, Severity.WARNING
CATALOGUE: dict[Code, Kind] = {
    k.code: k
    for k in [
        # -- the file and the form --------------------------------------------------------
        _k(
            Code.NOT_A_WORKBOOK,
            E,
            "Not a readable workbook",
            ja="Excel ブック（.xlsx）として開けません。配布した様式に記入して保存してください。",
            en="the file cannot be opened as an .xlsx workbook: {detail}",
        ),
        _k(
            Code.EMPTY_FILE,
            E,
            "Empty file",
            ja="ファイルが空です（0バイト）。保存し直して、もう一度送ってください。",
            en="the file is empty ({detail}); it may still be copying, or was not saved",
        ),
        _k(
            Code.TEXT_NOT_WORKBOOK,
            E,
            "Text or CSV, not a workbook",
            ja="CSV またはテキストのファイルです。"
            "配布した Excel ブック（.xlsx）のまま保存してください。",
            en="this is {detail}, not a workbook; it is not read as CSV",
        ),
        _k(
            Code.LEGACY_OR_ENCRYPTED,
            E,
            "Old .xls or password-protected",
            ja="古い形式（.xls）か、開くときにパスワードが必要なブックです。"
            "パスワードを外し、Excel ブック（.xlsx）形式で保存してください。",
            en="{detail}: save it as .xlsx without a password to open",
        ),
        _k(
            Code.OTHER_SPREADSHEET,
            E,
            "Another spreadsheet format",
            ja="Excel ブック（.xlsx）ではありません（{detail}）。.xlsx 形式で保存してください。",
            en="{detail}: save it as an Excel workbook (.xlsx)",
        ),
        _k(
            Code.CORRUPT_FILE,
            E,
            "Damaged file",
            ja="ファイルが壊れているか、途中までしかありません。保存し直して、もう一度送ってください。",
            en="the file is damaged or incomplete: {detail}",
        ),
        _k(
            Code.TOO_LARGE,
            E,
            "File too large",
            ja="ファイルが大きすぎます。配布した様式に記入したものを送ってください。",
            en="the file is too large: {detail}",
        ),
        _k(
            Code.ZIP_BOMB,
            E,
            "Refused: would unpack to too much",
            ja="ファイルの中身が異常に大きいため読み込みませんでした。配布した様式に記入したものを送ってください。",
            en="refused before reading: {detail} (a compression bomb, or not a form)",
        ),
        _k(
            Code.XML_REFUSED,
            E,
            "Refused: unsafe XML",
            ja="安全のため読み込みませんでした（ファイル内の XML に、Excel が書かない宣言か"
            "異常な量の要素があります）。"
            "配布した様式に記入したものを送ってください。",
            en="{detail}",
        ),
        _k(
            Code.EXTERNAL_LINK,
            W,
            "Links to another workbook (ignored)",
            ja="別のブックへのリンクが含まれています。リンク先の値は読み込みません。"
            "数値は直接入力してください。",
            en="the workbook links to another workbook ({detail}); links are never read or "
            "followed, and nothing linked reaches the master",
        ),
        _k(
            Code.MACROS,
            W,
            "Contains macros (never run)",
            ja="マクロ（VBA）が含まれています。マクロは実行せず、入力値だけを読み込みました。",
            en="the workbook contains macros ({detail}); they are never run, values are read",
        ),
        _k(
            Code.STRICT_OOXML,
            E,
            "Strict Open XML workbook",
            ja="「Strict Open XML スプレッドシート」形式では読めません。"
            "「Excel ブック（.xlsx）」形式で保存し直してください。",
            en="Strict Open XML is not read (it would lose every sheet); "
            "re-save as an Excel Workbook",
        ),
        _k(
            Code.CHECK_FAILED,
            E,
            "kpibook failed on this file",
            ja="kpibook の内部で問題が起きたため、このファイルは点検できませんでした。"
            "集約の担当者にお問い合わせください。",
            en="kpibook failed while checking this file, so nothing was read from it "
            "({detail}); this is a bug in kpibook: please report it with the file",
        ),
        _k(
            Code.NOT_A_FORM,
            E,
            "Not a kpibook form",
            ja="配布した記入様式ではありません。配布した様式に記入してください。",
            en="not a kpibook form (no form stamp)",
        ),
        _k(
            Code.NAMES_LOST,
            E,
            "Form structure lost",
            ja="記入様式の構造（セルの名前）が失われています。別のブックに貼り付けず、"
            "配布した様式に直接記入してください。",
            en="this looks like a kpibook form whose defined names and stamp were lost "
            "(content pasted into another workbook); it is not read by guessing positions",
        ),
        _k(
            Code.SHEET_RENAMED,
            W,
            "Sheet renamed",
            ja="シート名が変更されています（{detail}）。入力値はセルの名前から読み込みました。"
            "次回はシート名を変えずに提出してください。",
            en="the form's sheet was renamed ({detail}); values were read through the cells' "
            "names as usual",
        ),
        _k(
            Code.ROWS_INSERTED,
            W,
            "Rows inserted",
            ja="行が挿入されています（{detail}、様式の作成時の位置から）。入力値はセルの名前から"
            "読み込みました。次回は行を挿入せずに記入してください。",
            en="rows were inserted ({detail}, counted from where the form had them); values "
            "were read through the cells' names as usual",
        ),
        _k(
            Code.HIDDEN_SHEETS_REMOVED,
            E,
            "Hidden sheets removed",
            ja="様式の非表示シート（{detail}）が削除されています（Excel の「ドキュメント検査」で"
            "非表示のシートを削除した場合など）。配布した様式に記入し直してください。",
            en="the form's hidden sheets ({detail}) were removed, e.g. by Excel's Document "
            "Inspector; without its stamp the form cannot be identified",
        ),
        _k(
            Code.STAMP_INVALID,
            E,
            "Unreadable stamp",
            ja="様式の識別情報が壊れています。配布した様式に記入し直してください。",
            en="the form stamp is damaged: {detail}",
        ),
        _k(
            Code.FORM_VERSION,
            E,
            "Unsupported form version",
            ja="この様式の版には対応していません。新しい様式に記入してください。",
            en="form version {raw} is not supported (expected {expected})",
        ),
        _k(
            Code.WRONG_PLAN,
            E,
            "Form of another plan",
            ja="別の計画（{raw}）の様式です。この計画の様式に記入してください。",
            en="the form is for plan {raw!r}, not {expected!r}",
        ),
        _k(
            Code.WRONG_YEAR,
            E,
            "Form of another year",
            ja="{raw}の様式です。{expected}の様式に記入してください。",
            en="the form is for fiscal year {raw}, not {expected}",
        ),
        _k(
            Code.UNKNOWN_DEPARTMENT,
            E,
            "Department not in the plan",
            ja="{department}「{raw}」は計画にありません。",
            en="the form is stamped for {raw!r}, which is not a department of the plan",
        ),
        _k(
            Code.DEPARTMENT_MISMATCH,
            E,
            "File name names another department",
            ja="ファイル名の{department}（{raw}）と様式の{department}（{expected}）が違います。",
            en="the file name says {raw!r} but the form is stamped for {expected!r}",
        ),
        _k(
            Code.OUTDATED_FORM,
            E,
            "Form from an older version of the plan",
            ja="計画が変更される前の古い様式です。新しく配布した様式に記入し直してください。",
            en="the form was generated from another version of the plan (fingerprint differs)",
        ),
        _k(
            Code.TEMPLATE_DIFFERS,
            E,
            "Form made with another template",
            ja="この様式は、点検に使った様式テンプレートとは別のテンプレートで作成されています"
            "（計画の内容は同じです）。記入し直す必要はありません。取りまとめ担当が、様式を"
            "作成したときのテンプレートで点検し直します。",
            en="the form was made from the plan as it is, but with another form template than "
            "the one used now: the department need not refill it; check with the template the "
            "forms were generated with (name it in the plan's template field, or give "
            "--template)",
        ),
        _k(
            Code.NAME_MISSING,
            E,
            "Input cell not found",
            ja="{detail}の記入欄「{field}」が見つかりません（行やセルが削除されたか、"
            "セルの名前が消された可能性があります）。配布した様式に記入し直してください。",
            en="the input {field!r} of {detail} (defined name {raw}) is missing or points "
            "nowhere: its cell was deleted or its name removed",
        ),
        _k(
            Code.INPUT_MERGED,
            E,
            "Merged input cell",
            ja="記入欄が他のセルと結合されています（{raw}）。結合を解除してください。",
            en="the input cell is part of the merged range {raw}",
        ),
        _k(
            Code.CONFLICT,
            E,
            "Two returns for one department",
            ja="同じ{department}（{field}）の回答がほかにもあります（{raw}）。"
            "どれを使うか{department}に確認してください。",
            en="{field} sent other returns too ({raw}); nothing of them is merged until one "
            "is chosen with kpibook merge --use FILE",
        ),
        _k(
            Code.DUPLICATE_COPY,
            W,
            "Identical copy of another return",
            ja="{raw} と同じ内容のファイルです。1件の回答として扱います。",
            en="byte-identical to {raw}; both are one return, read once",
        ),
        # -- values -------------------------------------------------------------------------
        _k(
            Code.TOO_MANY_DIGITS,
            E,
            "More digits than a spreadsheet keeps",
            ja="有効数字が15桁を超える数値は正確に保存できません（{raw}）。15桁以内で入力してください。",
            en="{raw!r} has more than 15 significant digits, "
            "which a spreadsheet cannot keep exactly",
        ),
        _k(
            Code.NOT_A_NUMBER,
            E,
            "Not a number",
            ja="数値として読めません（{raw}）。半角の数値だけを、単位や「約」を付けずに入力してください。",
            en="{raw!r} is not a number; enter the number alone, without units or 約",
        ),
        _k(
            Code.NOT_WHOLE,
            E,
            "Not a whole number",
            ja="整数で入力してください（{raw}）。この欄は小数を受け付けません。",
            en="{raw!r} is not a whole number, which this input requires",
        ),
        _k(
            Code.TOO_MANY_DECIMALS,
            E,
            "Too many decimal places",
            ja="{detail}。小数の桁数を確認してください。",
            en="{raw!r} has more decimal places than {field} takes",
        ),
        _k(
            Code.OUT_OF_RANGE,
            E,
            "Outside the accepted range",
            ja="入力できる範囲（{expected}）の外です（{raw}）。桁や符号を確認してください。",
            en="{raw!r} is outside the accepted range {expected}",
        ),
        _k(
            Code.STATE_IN_NUMBER,
            W,
            "State typed into the number cell",
            ja="{actual}の欄の「{raw}」を実績の状況として読みました。"
            "次回は右の「実績の状況」で選択してください。",
            en="read {raw!r} typed into the number cell as the actual's state",
        ),
        _k(
            Code.PERCENT_NORMALIZED,
            W,
            "Percent read as shown",
            ja="パーセント表示の「{raw}」を {value} として読みました（単位は「%」）。",
            en="the cell shows {raw} (stored as a fraction by Calc or Excel); read as {value}",
        ),
        _k(
            Code.PERCENT_IN_COUNT,
            E,
            "Percent in a number of another unit",
            ja="パーセント表示の値（{raw}）は、この欄の単位（{expected}）と合いません。"
            "表示形式を戻し、数値だけを入力してください。",
            en="the cell shows {raw}, a percent, where the unit is {expected}",
        ),
        _k(
            Code.NUMBER_NORMALIZED,
            W,
            "Number converted",
            ja="「{raw}」を {value} として読みました（{detail}）。",
            en="read {raw!r} as {value} ({detail})",
        ),
        _k(
            Code.DASH_AS_NOT_APPLICABLE,
            W,
            "Dash read as not applicable",
            ja="「{raw}」を「該当なし」として読みました。",
            en="read {raw!r} as not applicable",
        ),
        _k(
            Code.FORMULA_IN_INPUT,
            E,
            "Formula in an input cell",
            ja="記入欄に数式（{raw}）があります。数式ではなく値を入力してください。",
            en="the input holds the formula {raw}; its cached value cannot be trusted",
        ),
        _k(
            Code.ERROR_VALUE,
            E,
            "Error value",
            ja="エラー値（{raw}）が入っています。正しい値を入力してください。",
            en="the cell holds the error value {raw}",
        ),
        _k(
            Code.BAD_STRING_INDEX,
            E,
            "Damaged cell (text that does not exist)",
            ja="セルの内容が壊れています（存在しない文字列 {raw} 番を指しています）。"
            "セルを入力し直して保存してください。",
            en="the cell points at shared string {raw}, which does not exist; the file is "
            "damaged there",
        ),
        _k(
            Code.TEXT_TOO_LONG,
            E,
            "Text too long",
            ja="{value}文字あります。{expected}文字以内にしてください。",
            en="{value} characters; at most {expected} are accepted",
        ),
        _k(
            Code.ILLEGAL_CHARACTER,
            E,
            "Illegal character",
            ja="使えない制御文字（{raw}）が含まれています。削除してください。",
            en="the text contains the control character {raw}",
        ),
        _k(
            Code.TEXT_NORMALIZED,
            W,
            "Text adjusted",
            ja="文字を整えて読み込みました（{detail}）。意図と違う場合は修正してください。",
            en="the text was adjusted when read ({detail})",
        ),
        _k(
            Code.NOT_A_CHOICE,
            E,
            "Not one of the choices",
            ja="「{raw}」は選択肢にありません。{expected} から選んでください。",
            en="{raw!r} is not one of {expected}",
        ),
        _k(
            Code.ACTUAL_AND_STATE,
            E,
            "Number and state both given",
            ja="{actual}（{raw}）と実績の状況（{expected}）の両方が入っています。"
            "どちらか一方にしてください。",
            en="both a number ({raw}) and a state ({expected}) are given",
        ),
        _k(
            Code.PENDING_NOT_ALLOWED,
            E,
            "集計中 not allowed",
            ja="この計画では「集計中」は使えません。{actual}を入力してください。",
            en="this plan does not accept 集計中 (pending) actuals",
        ),
        _k(
            Code.CHOICE_NORMALIZED,
            W,
            "Choice read after folding",
            ja="「{raw}」を「{value}」として読みました。",
            en="read {raw!r} as {value!r}",
        ),
        # -- rules of the plan --------------------------------------------------------------
        _k(
            Code.REQUIRED_MISSING,
            E,
            "Required entry missing",
            ja="「{field}」が未記入です。",
            en="{field} is required but empty",
        ),
        _k(
            Code.EXPLANATION_REQUIRED,
            E,
            "Explanation required",
            ja="評価が「{raw}」のときは「{field}」を記入してください。",
            en="{field} is required when the grade is {raw}",
        ),
        _k(
            Code.IMPROVEMENT_REQUIRED,
            E,
            "Improvement measures required",
            ja="評価が「{raw}」のときは改善策を記入してください。",
            en="improvement measures are required when the result is {raw}",
        ),
        _k(
            Code.JUMP,
            W,
            "Large change from the previous year",
            ja="前年度から大きく変わっています: {detail}。誤りがないか確認してください。",
            en="large change from the previous year: {detail}",
        ),
        # -- what the coordinator owns ------------------------------------------------------
        _k(
            Code.PREFILLED_MISSING,
            E,
            "Prefilled cell deleted",
            ja="計画の値（{expected}）のセルが見つかりません（行やセルが削除された可能性があります）。"
            "配布した様式に記入し直してください。",
            en="the prefilled cell {raw} (showing {expected!r}) is missing or its name points "
            "nowhere: rows or cells were deleted",
        ),
        _k(
            Code.NOT_READ,
            W,
            "Typed outside the input cells",
            ja="このセルは読み込まれません（「{raw}」）。黄色の記入欄に記入してください。",
            en="this cell is not read ({raw!r}); only the yellow input cells are",
        ),
        _k(
            Code.PREFILLED_CHANGED,
            E,
            "Prefilled value changed",
            ja="計画の値（{expected}）が「{raw}」に書き換えられています。計画の値を使います。",
            en="the locked value {expected!r} was changed to {raw!r}; the plan's value is used",
        ),
    ]
}


class Finding(BaseModel):
    """One problem in one return, with everything needed to find and fix it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Code = Field(description="Stable code from the catalogue (docs/findings.md).")
    severity: Severity
    file: str = Field(description="The return's file name.")
    sheet: str | None = Field(default=None, description="Sheet name, when there is a cell.")
    cell: str | None = Field(default=None, description="A1 reference, e.g. E18.")
    field: str | None = Field(default=None, description="What the cell is, e.g. 活動報告.")
    raw: str | None = Field(default=None, description="The value as found in the cell.")
    message_ja: str
    message_en: str

    @property
    def message(self) -> Message:
        """What is wrong, in both languages (the JSON report keeps them as two fields)."""
        return Message(ja=self.message_ja, en=self.message_en)

    @property
    def place(self) -> str:
        where = self.file
        if self.sheet:
            where += f" シート「{self.sheet}」"
        if self.cell:
            where += f" {self.cell}"
        return where


def finding(
    code: Code,
    file: str,
    *,
    sheet: str | None = None,
    cell: str | None = None,
    field: str | None = None,
    raw: Any = None,
    words: Mapping[str, str] | None = None,
    **values: Any,
) -> Finding:
    """A finding of a catalogued kind, its messages filled in; ``words``: the plan's
    terms (:meth:`kpibook.template.Terms.words`), Kashiwa's when not given."""
    kind = CATALOGUE[code]
    raw_text = None if raw is None else _shown(raw)
    params = {
        **_default_words(),
        **(words or {}),
        "raw": raw_text if raw_text is not None else "",
        "field": field or "",
        **values,
    }
    params.setdefault("expected", "")
    params.setdefault("value", "")
    params.setdefault("detail", "")
    message = kind.message.format(**params)
    return Finding(
        code=code,
        severity=kind.severity,
        file=file,
        sheet=sheet,
        cell=cell,
        field=field,
        raw=raw_text,
        message_ja=message.ja,
        message_en=message.en,
    )


@cache
def _default_words() -> dict[str, str]:
    from kpibook.template import Terms

    return Terms().words()


def _shown(raw: Any) -> str:
    text = raw if isinstance(raw, str) else str(raw)
    return text if len(text) <= 200 else text[:197] + "..."
