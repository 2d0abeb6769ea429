"""Findings: every problem a check finds, as data.

Each kind of finding is declared once in :data:`CATALOGUE` with a stable code, a
severity, a title and message templates in Japanese (what goes back to the department)
and English (the coordinator's terminal).  ``docs/findings.md`` is generated from it.
A check never stops at the first problem: it records each one and goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    ERROR = "error"
    """The return cannot be used as it is; the department must fix it."""
    WARNING = "warning"
    """kpibook applied or noticed something the coordinator should know about."""


@dataclass(frozen=True)
class Kind:
    code: str
    severity: Severity
    title: str
    ja: str
    en: str


def _k(code: str, severity: Severity, title: str, ja: str, en: str) -> Kind:
    return Kind(code, severity, title, ja, en)


E, W = Severity.ERROR, Severity.WARNING
CATALOGUE: dict[str, Kind] = {
    k.code: k
    for k in [
        # -- the file and the form --------------------------------------------------------
        _k(
            "not-a-workbook",
            E,
            "Not a readable workbook",
            "Excel ブック（.xlsx）として開けません。配布した様式に記入して保存してください。",
            "the file cannot be opened as an .xlsx workbook: {detail}",
        ),
        _k(
            "empty-file",
            E,
            "Empty file",
            "ファイルが空です（0バイト）。保存し直して、もう一度送ってください。",
            "the file is empty ({detail}); it may still be copying, or was not saved",
        ),
        _k(
            "text-not-workbook",
            E,
            "Text or CSV, not a workbook",
            "CSV またはテキストのファイルです。"
            "配布した Excel ブック（.xlsx）のまま保存してください。",
            "this is {detail}, not a workbook; it is not read as CSV",
        ),
        _k(
            "legacy-or-encrypted",
            E,
            "Old .xls or password-protected",
            "古い形式（.xls）か、開くときにパスワードが必要なブックです。"
            "パスワードを外し、Excel ブック（.xlsx）形式で保存してください。",
            "{detail}: save it as .xlsx without a password to open",
        ),
        _k(
            "other-spreadsheet",
            E,
            "Another spreadsheet format",
            "Excel ブック（.xlsx）ではありません（{detail}）。.xlsx 形式で保存してください。",
            "{detail}: save it as an Excel workbook (.xlsx)",
        ),
        _k(
            "corrupt-file",
            E,
            "Damaged file",
            "ファイルが壊れているか、途中までしかありません。保存し直して、もう一度送ってください。",
            "the file is damaged or incomplete: {detail}",
        ),
        _k(
            "too-large",
            E,
            "File too large",
            "ファイルが大きすぎます。配布した様式に記入したものを送ってください。",
            "the file is too large: {detail}",
        ),
        _k(
            "zip-bomb",
            E,
            "Refused: would unpack to too much",
            "ファイルの中身が異常に大きいため読み込みませんでした。配布した様式に記入したものを送ってください。",
            "refused before reading: {detail} (a compression bomb, or not a form)",
        ),
        _k(
            "xml-refused",
            E,
            "Refused: unsafe XML",
            "安全のため読み込みませんでした（ファイル内の XML に、Excel が書かない宣言か"
            "異常な量の要素があります）。"
            "配布した様式に記入したものを送ってください。",
            "{detail}",
        ),
        _k(
            "external-link",
            W,
            "Links to another workbook (ignored)",
            "別のブックへのリンクが含まれています。リンク先の値は読み込みません。"
            "数値は直接入力してください。",
            "the workbook links to another workbook ({detail}); links are never read or "
            "followed, and nothing linked reaches the master",
        ),
        _k(
            "macros",
            W,
            "Contains macros (never run)",
            "マクロ（VBA）が含まれています。マクロは実行せず、入力値だけを読み込みました。",
            "the workbook contains macros ({detail}); they are never run, values are read",
        ),
        _k(
            "strict-ooxml",
            E,
            "Strict Open XML workbook",
            "「Strict Open XML スプレッドシート」形式では読めません。"
            "「Excel ブック（.xlsx）」形式で保存し直してください。",
            "Strict Open XML is not read (it would lose every sheet); re-save as an Excel Workbook",
        ),
        _k(
            "check-failed",
            E,
            "kpibook failed on this file",
            "kpibook の内部で問題が起きたため、このファイルは点検できませんでした。"
            "集約の担当者にお問い合わせください。",
            "kpibook failed while checking this file, so nothing was read from it ({detail}); "
            "this is a bug in kpibook: please report it with the file",
        ),
        _k(
            "not-a-form",
            E,
            "Not a kpibook form",
            "配布した記入様式ではありません。配布した様式に記入してください。",
            "not a kpibook form (no form stamp)",
        ),
        _k(
            "names-lost",
            E,
            "Form structure lost",
            "記入様式の構造（セルの名前）が失われています。別のブックに貼り付けず、"
            "配布した様式に直接記入してください。",
            "this looks like a kpibook form whose defined names and stamp were lost "
            "(content pasted into another workbook); it is not read by guessing positions",
        ),
        _k(
            "stamp-invalid",
            E,
            "Unreadable stamp",
            "様式の識別情報が壊れています。配布した様式に記入し直してください。",
            "the form stamp is damaged: {detail}",
        ),
        _k(
            "form-version",
            E,
            "Unsupported form version",
            "この様式の版には対応していません。新しい様式に記入してください。",
            "form version {raw} is not supported (expected {expected})",
        ),
        _k(
            "wrong-plan",
            E,
            "Form of another plan",
            "別の計画（{raw}）の様式です。この計画の様式に記入してください。",
            "the form is for plan {raw!r}, not {expected!r}",
        ),
        _k(
            "wrong-year",
            E,
            "Form of another year",
            "{raw}の様式です。{expected}の様式に記入してください。",
            "the form is for fiscal year {raw}, not {expected}",
        ),
        _k(
            "unknown-department",
            E,
            "Department not in the plan",
            "担当課「{raw}」は計画にありません。",
            "the form is stamped for {raw!r}, which is not a department of the plan",
        ),
        _k(
            "department-mismatch",
            E,
            "File name names another department",
            "ファイル名の担当課（{raw}）と様式の担当課（{expected}）が違います。",
            "the file name says {raw!r} but the form is stamped for {expected!r}",
        ),
        _k(
            "outdated-form",
            E,
            "Form from an older version of the plan",
            "計画が変更される前の古い様式です。新しく配布した様式に記入し直してください。",
            "the form was generated from another version of the plan (fingerprint differs)",
        ),
        _k(
            "name-missing",
            E,
            "Input cell not found",
            "記入欄「{field}」が見つかりません（シートやセルが削除された可能性があります）。",
            "the input {field!r} (defined name {raw}) is missing or points nowhere",
        ),
        _k(
            "input-merged",
            E,
            "Merged input cell",
            "記入欄が他のセルと結合されています（{raw}）。結合を解除してください。",
            "the input cell is part of the merged range {raw}",
        ),
        _k(
            "conflict",
            E,
            "Two returns for one department",
            "同じ担当課の回答が複数あります（{raw}）。提出するファイルを1つにしてください。",
            "more than one return for {field}: {raw}",
        ),
        # -- values -------------------------------------------------------------------------
        _k(
            "too-many-digits",
            E,
            "More digits than a spreadsheet keeps",
            "有効数字が15桁を超える数値は正確に保存できません（{raw}）。15桁以内で入力してください。",
            "{raw!r} has more than 15 significant digits, which a spreadsheet cannot keep exactly",
        ),
        _k(
            "not-a-number",
            E,
            "Not a number",
            "数値として読めません（{raw}）。半角の数値だけを、単位や「約」を付けずに入力してください。",
            "{raw!r} is not a number; enter the number alone, without units or 約",
        ),
        _k(
            "number-normalized",
            W,
            "Number converted",
            "「{raw}」を {value} として読みました（{detail}）。",
            "read {raw!r} as {value} ({detail})",
        ),
        _k(
            "dash-as-not-applicable",
            W,
            "Dash read as not applicable",
            "「{raw}」を「該当なし」として読みました。",
            "read {raw!r} as not applicable",
        ),
        _k(
            "formula-in-input",
            E,
            "Formula in an input cell",
            "記入欄に数式（{raw}）があります。数式ではなく値を入力してください。",
            "the input holds the formula {raw}; its cached value cannot be trusted",
        ),
        _k(
            "error-value",
            E,
            "Error value",
            "エラー値（{raw}）が入っています。正しい値を入力してください。",
            "the cell holds the error value {raw}",
        ),
        _k(
            "text-too-long",
            E,
            "Text too long",
            "{value}文字あります。{expected}文字以内にしてください。",
            "{value} characters; at most {expected} are accepted",
        ),
        _k(
            "illegal-character",
            E,
            "Illegal character",
            "使えない制御文字（{raw}）が含まれています。削除してください。",
            "the text contains the control character {raw}",
        ),
        _k(
            "not-a-choice",
            E,
            "Not one of the choices",
            "「{raw}」は選択肢にありません。{expected} から選んでください。",
            "{raw!r} is not one of {expected}",
        ),
        _k(
            "actual-and-state",
            E,
            "Number and state both given",
            "実績値（{raw}）と実績の状況（{expected}）の両方が入っています。どちらか一方にしてください。",
            "both a number ({raw}) and a state ({expected}) are given",
        ),
        _k(
            "pending-not-allowed",
            E,
            "集計中 not allowed",
            "この計画では「集計中」は使えません。実績値を入力してください。",
            "this plan does not accept 集計中 (pending) actuals",
        ),
        _k(
            "choice-normalized",
            W,
            "Choice read after folding",
            "「{raw}」を「{value}」として読みました。",
            "read {raw!r} as {value!r}",
        ),
        # -- rules of the plan --------------------------------------------------------------
        _k(
            "required-missing",
            E,
            "Required entry missing",
            "「{field}」が未記入です。",
            "{field} is required but empty",
        ),
        _k(
            "explanation-required",
            E,
            "Explanation required",
            "評価が「{raw}」のときは「{field}」を記入してください。",
            "{field} is required when the grade is {raw}",
        ),
        _k(
            "improvement-required",
            E,
            "Improvement measures required",
            "評価が「{raw}」のときは改善策を記入してください。",
            "improvement measures are required when the result is {raw}",
        ),
        _k(
            "jump",
            W,
            "Large change from the previous year",
            "前年度から大きく変わっています: {detail}。誤りがないか確認してください。",
            "large change from the previous year: {detail}",
        ),
        # -- what the coordinator owns ------------------------------------------------------
        _k(
            "prefilled-changed",
            E,
            "Prefilled value changed",
            "計画の値（{expected}）が「{raw}」に書き換えられています。計画の値を使います。",
            "the locked value {expected!r} was changed to {raw!r}; the plan's value is used",
        ),
    ]
}


class Finding(BaseModel):
    """One problem in one return, with everything needed to find and fix it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="Stable code from the catalogue (docs/findings.md).")
    severity: Severity
    file: str = Field(description="The return's file name.")
    sheet: str | None = Field(default=None, description="Sheet name, when there is a cell.")
    cell: str | None = Field(default=None, description="A1 reference, e.g. E18.")
    field: str | None = Field(default=None, description="What the cell is, e.g. 活動報告.")
    raw: str | None = Field(default=None, description="The value as found in the cell.")
    message_ja: str
    message_en: str

    @property
    def place(self) -> str:
        where = self.file
        if self.sheet:
            where += f" シート「{self.sheet}」"
        if self.cell:
            where += f" {self.cell}"
        return where


def finding(
    code: str,
    file: str,
    *,
    sheet: str | None = None,
    cell: str | None = None,
    field: str | None = None,
    raw: Any = None,
    **values: Any,
) -> Finding:
    """A finding of a catalogued kind, its messages filled in."""
    kind = CATALOGUE[code]
    raw_text = None if raw is None else _shown(raw)
    params = {"raw": raw_text if raw_text is not None else "", "field": field or "", **values}
    params.setdefault("expected", "")
    params.setdefault("value", "")
    params.setdefault("detail", "")
    return Finding(
        code=code,
        severity=kind.severity,
        file=file,
        sheet=sheet,
        cell=cell,
        field=field,
        raw=raw_text,
        message_ja=kind.ja.format(**params),
        message_en=kind.en.format(**params),
    )


def _shown(raw: Any) -> str:
    text = raw if isinstance(raw, str) else str(raw)
    return text if len(text) <= 200 else text[:197] + "..."
