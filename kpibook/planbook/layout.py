"""The plan workbook's sheets and columns, declared once.

The writer lays the sheets out from these declarations, the reader finds columns by
these headers, and the instructions sheet (説明) is generated from the same text, so the
three cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kpibook.fiscal import FiscalYearError, parse_fiscal_year
from kpibook.scheme import EVALUATED_NAMES, EVALUATION_RULE_NAMES


class Kind(StrEnum):
    """How a cell is read."""

    ID = "id"
    LABEL = "label"
    TEXT = "text"
    LIST = "list"
    YEAR = "year"
    VALUE = "value"
    NUMBER = "number"
    INT = "int"
    BOOL = "bool"
    DATE = "date"
    CHOICE = "choice"


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: Kind
    help: str
    width: float = 14
    required: bool = False
    choices: dict[str, str] | None = None
    """For a CHOICE column: the model's value → the word written in the cell."""


@dataclass(frozen=True)
class SheetDef:
    name: str
    help: str
    columns: tuple[Column, ...]
    required: bool = True

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


LIST_SEPARATORS = ("\n", "、", ",", "，")
"""Several names in one cell are written one per line; 、 and , are read too."""
YES, NO = "はい", "いいえ"
LAYOUT_NAMES = {"card": "カード", "matrix": "一覧表"}
RULE_NAMES = {"worst": "最も低い指標", "best": "最も高い指標", "first": "最初の指標"}
DIRECTION_NAMES = {"higher": "高いほど良い", "lower": "低いほど良い"}
RATE_METHOD_NAMES = {"ratio": "実績値÷目標値", "progress": "基準値からの進捗"}
ROUNDING_NAMES = {"half_up": "四捨五入", "truncate": "切り捨て"}
GRADE_ON_NAMES = {"exact": "計算したままの達成率", "shown": "表示する達成率"}
TARGET_PREFIX = "目標値"
ACTUAL_PREFIX = "実績値"
ORIGINAL_PREFIX = "当初目標"
FINAL_HEADER = "最終目標"
ORIGINAL_FINAL_HEADER = "当初最終目標"
NOTE_KINDS = {
    "target": "目標値",
    "final": "最終目標",
    "actual": "実績値",
    "baseline": "基準値",
    "original": "当初目標",
    "original_final": "当初最終目標",
}
YEARLESS_FIELDS = {
    "final": "final_target",
    "baseline": "baseline",
    "original_final": "original_final_target",
}
"""The indicator field of each kind of value without a year (its note's 年度 is empty)."""
YEAR_FIELDS = {"target": "targets", "actual": "actuals", "original": "original_targets"}
"""The indicator field of each kind of value by year."""


@dataclass(frozen=True)
class Setting:
    """One row of the 計画 sheet: a key in the 項目 column, its value in 値."""

    label: str
    path: tuple[str, ...]
    kind: Kind
    help: str
    choices: dict[str, str] | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "計画ID",
        ("id",),
        Kind.ID,
        "英数字と _ . - で64文字まで。ファイル名や様式の識別に使います。",
    ),
    Setting("計画名", ("title",), Kind.LABEL, "例: 第3次柏市生涯学習推進計画"),
    Setting("発行者", ("issuer",), Kind.LABEL, "例: 柏市"),
    Setting("計画期間（開始年度）", ("period", "start"), Kind.YEAR, "例: 平成28年度、H28、2016"),
    Setting(
        "計画期間（終了年度）", ("period", "end"), Kind.YEAR, "この年度の目標値が最終目標です。"
    ),
    Setting("報告年度", ("report_year",), Kind.YEAR, "今回、各課が実績を記入する年度。"),
    Setting(
        "様式",
        ("layout",),
        Kind.CHOICE,
        "カード（事業ごとの票）または一覧表（指標ごとの行）。",
        LAYOUT_NAMES,
    ),
    Setting(
        "様式テンプレート",
        ("template",),
        Kind.LABEL,
        "任意。様式の見出し・用語・列幅を変えた様式テンプレート（.yaml）のファイル名。"
        "このブックと同じフォルダからの相対パスで書きます（例: 様式テンプレート.yaml）。"
        "空欄なら標準の様式。様式の作成・点検・集約のすべてで使います。",
    ),
    Setting("中間年", ("midterm_year",), Kind.YEAR, "任意。目標値の列に（中間年）と表示します。"),
    Setting(
        "階層名",
        ("section_levels",),
        Kind.LIST,
        "体系の各階層の呼び名を1行に1つ。例: 基本方針、施策",
    ),
    Setting(
        "提出期限",
        ("deadline",),
        Kind.DATE,
        "任意。各課の記入様式に表示します。日付で入力（例: 2027/5/31）。",
    ),
    Setting(
        "最終目標で評価",
        ("grading", "fallback_to_final"),
        Kind.BOOL,
        "報告年度の目標値がない指標を最終目標で評価するか（はい／いいえ）。",
    ),
    Setting(
        "定性目標を達成した場合の評価",
        ("grading", "qualitative_met"),
        Kind.LABEL,
        "増加・減少・維持の目標を達成したときの評価。空欄なら最上位の評価。",
    ),
    Setting(
        "定性目標を達成しなかった場合の評価",
        ("grading", "qualitative_unmet"),
        Kind.LABEL,
        "達成しなかったときの評価。空欄なら最下位の評価。",
    ),
    Setting(
        "評価できない場合の表示",
        ("grading", "not_gradable"),
        Kind.LABEL,
        "目標値や実績値がなく評価できないときの表示。例: 評価不能、－",
    ),
    Setting(
        "評価の凡例の前の文",
        ("grading", "description"),
        Kind.TEXT,
        "任意。報告書の評価の凡例の前に印刷する文。例: 各具体的事業の評価につきましては、"
        "3段階で示しています。",
    ),
    Setting(
        "事業の評価の決め方",
        ("grading", "project_rule"),
        Kind.CHOICE,
        "指標が複数ある事業の評価: 最も低い指標／最も高い指標／最初の指標。",
        RULE_NAMES,
    ),
    Setting(
        "達成率の計算方法",
        ("grading", "rate_method"),
        Kind.CHOICE,
        "実績値÷目標値（低いほど良い指標は目標値÷実績値）、または基準値からの進捗"
        "（（実績値－基準値）÷（目標値－基準値））。指標ごとにも指定できます。",
        RATE_METHOD_NAMES,
    ),
    Setting(
        "達成率の端数処理",
        ("grading", "rounding", "method"),
        Kind.CHOICE,
        "表示する達成率の端数: 四捨五入／切り捨て。",
        ROUNDING_NAMES,
    ),
    Setting(
        "達成率の小数桁数",
        ("grading", "rounding", "places"),
        Kind.INT,
        "表示する達成率の小数の桁数（0～4）。1なら56.2%。",
    ),
    Setting(
        "評価に用いる達成率",
        ("grading", "rounding", "grade_on"),
        Kind.CHOICE,
        "計算したままの達成率（79.99%は80%未満）か、表示する達成率（端数処理の後）で評価するか。",
        GRADE_ON_NAMES,
    ),
    Setting(
        "集計中を認める",
        ("checks", "allow_pending"),
        Kind.BOOL,
        "実績値が出ていない場合に「集計中」と回答してよいか（はい／いいえ）。",
    ),
    Setting(
        "前年度比の警告倍率",
        ("checks", "jump_factor"),
        Kind.NUMBER,
        "実績値が前年度のこの倍率を超えて増減したら警告します（2なら2倍超・半分未満）。空欄なら警告しません。",
    ),
)

SETTINGS_SHEET = SheetDef(
    "計画",
    "計画全体の設定。「項目」の列は変更せず、「値」の列に記入します。",
    (
        Column("項目", "key", Kind.LABEL, "設定の名前（変更しないでください）。", 34, True),
        Column("値", "value", Kind.TEXT, "設定の値。", 44),
        Column("説明", "help", Kind.TEXT, "記入のしかた（読み込み時は無視します）。", 70),
    ),
)
INTRO_SHEET = SheetDef(
    "前文",
    "報告書の冒頭に載せる文章。1行に1段落。",
    (Column("段落", "text", Kind.TEXT, "段落の文章。", 120, True),),
    required=False,
)
BANDS_SHEET = SheetDef(
    "評価区分",
    "評価の段階。上から良い順に並べ、最後の段階の下限は0%にします。"
    "担当課だけが選ぶ段階（着手済など）は、その後に「担当課のみ」を「はい」にして書きます。",
    (
        Column("評価", "grade", Kind.LABEL, "評価の記号。例: A、B、C または ○、△、×", 10, True),
        Column(
            "達成率の下限(%)",
            "min_rate",
            Kind.NUMBER,
            "この評価になる達成率の下限。80なら80%以上。担当課のみの段階は空欄。",
            16,
            True,
        ),
        Column("説明", "label", Kind.LABEL, "評価の意味。例: かなり達成できた", 30, True),
        Column("補足", "description", Kind.TEXT, "評価の詳しい説明（任意）。", 30),
        Column(
            "点数",
            "score",
            Kind.NUMBER,
            "体系の評価で平均するときの点数（任意）。空欄なら最下位を1として上へ1点ずつ。",
            8,
        ),
        Column(
            "担当課のみ",
            "owner",
            Kind.BOOL,
            "はい: 達成率では決まらず、担当課が自分の評価として選ぶだけの段階（着手済、未着手）。",
            10,
        ),
    ),
)
EVALUATIONS_SHEET = SheetDef(
    "体系の評価",
    "体系（施策・基本目標など）の評価。評価する階層ごとに1行。",
    (
        Column("階層", "depth", Kind.INT, "評価する階層。1が最上位（基本目標など）。", 8, True),
        Column("名称", "name", Kind.LABEL, "評価の呼び名（任意）。例: 施策の評価", 20),
        Column(
            "決め方",
            "rule",
            Kind.CHOICE,
            "最も低い評価／最も高い評価／平均点（点数の平均を区分にあてはめる）／"
            "割合（基準の評価以上の割合を区分にあてはめる）／担当の評価（担当が記入）。",
            14,
            True,
            choices=EVALUATION_RULE_NAMES,
        ),
        Column(
            "対象",
            "of",
            Kind.CHOICE,
            "何から決めるか: 指標（既定）／事業／下位の体系（その評価）。",
            12,
            choices=EVALUATED_NAMES,
        ),
        Column("基準の評価", "at_least", Kind.LABEL, "割合で数える評価（その評価以上）。例: A", 10),
        Column(
            "担当課",
            "owner",
            Kind.LABEL,
            "この階層の評価を記入する課（例: 基本目標は企画課）。体系シートの「評価の担当課」が"
            "あればそちらが優先。書くと、その課の様式に評価と理由の記入欄が付きます。"
            "担当の評価では必須。",
            16,
        ),
        Column(
            "理由を任意とする評価",
            "explanation_optional_for",
            Kind.LIST,
            "担当課がこの評価を選んだときは理由を空欄にできます。1行に1つ。空欄なら理由は常に必須。",
            16,
        ),
    ),
    required=False,
)
EVALUATION_BANDS_SHEET = SheetDef(
    "体系の評価区分",
    "体系の評価の段階（平均点・割合・担当の評価の場合）。階層ごとに良い順に並べます。",
    (
        Column("階層", "depth", Kind.INT, "「体系の評価」シートの階層。", 8, True),
        Column("評価", "grade", Kind.LABEL, "評価の記号。例: A、順調", 10, True),
        Column(
            "下限",
            "threshold",
            Kind.NUMBER,
            "平均点（平均点の場合）または割合％（割合の場合）の下限。最後の段階は0。"
            "担当のみの段階は空欄。",
            10,
        ),
        Column("説明", "label", Kind.LABEL, "評価の意味。例: 順調に進んでいる", 30, True),
        Column("補足", "description", Kind.TEXT, "評価の詳しい説明（任意）。", 30),
        Column("点数", "score", Kind.NUMBER, "上の階層で平均するときの点数（任意）。", 8),
        Column(
            "担当のみ",
            "owner",
            Kind.BOOL,
            "はい: 計算では決まらず、担当が選ぶだけの段階（担当の評価ではすべて）。",
            10,
        ),
    ),
    required=False,
)
DEPARTMENTS_SHEET = SheetDef(
    "担当課",
    "記入を依頼する担当課の一覧。",
    (
        Column(
            "担当課",
            "name",
            Kind.LABEL,
            '担当課の名前（31文字まで、記号 \\ / : * ? " < > | [ ] は不可）。',
            24,
            True,
        ),
        Column("連絡先", "contact", Kind.LABEL, "任意。内線番号やメールアドレス。", 30),
    ),
)
SECTIONS_SHEET = SheetDef(
    "体系",
    "計画の体系（基本方針→施策→…）。上位の体系を先に書きます。",
    (
        Column("体系ID", "id", Kind.ID, "体系を識別する記号（英数字）。例: 1-2", 10, True),
        Column("上位の体系ID", "parent", Kind.ID, "上位の体系の体系ID。最上位は空欄。", 12),
        Column("番号", "number", Kind.LABEL, "印刷される番号。例: 1.、(1)、①、柱2", 8, True),
        Column("名称", "title", Kind.LABEL, "見出しの文章。", 40),
        Column("行動目標", "action_goal", Kind.TEXT, "《行動目標》の文章（任意）。", 50),
        Column("成果目標", "outcome_goal", Kind.TEXT, "《成果目標》の文章（任意）。", 50),
        Column(
            "評価の担当課",
            "owner",
            Kind.LABEL,
            "この体系の評価を記入する課（例: 施策の主担当課）。評価する階層の体系だけに書きます。",
            16,
        ),
    ),
)
PROJECTS_SHEET = SheetDef(
    "事業",
    "事業（具体的事業）の一覧。索引の順に並べます。",
    (
        Column(
            "事業ID",
            "id",
            Kind.ID,
            "事業を識別する記号（英数字）。毎年同じものを使います。",
            10,
            True,
        ),
        Column("事業名", "name", Kind.LABEL, "印刷される事業名。", 36, True),
        Column(
            "主担当課",
            "lead_department",
            Kind.LABEL,
            "記入する担当課（複数課の場合の青色セルの課）。",
            18,
            True,
        ),
        Column(
            "関係課",
            "other_departments",
            Kind.LIST,
            "記入はしないが共同で担当する課。1行に1課。",
            18,
        ),
        Column("事業の概要", "overview", Kind.TEXT, "事業の概要・内容。", 50),
        Column("年度計画", "annual_plan", Kind.TEXT, "年度計画（カード様式）。", 50),
        Column(
            "他の掲載箇所",
            "other_listings",
            Kind.LIST,
            "このブックにない体系での掲載番号（【再掲】に表示）。",
            18,
        ),
    ),
)
PLACEMENTS_SHEET = SheetDef(
    "掲載",
    "どの体系に事業を載せるか。2か所以上に載せると【再掲】になります（記入は1回）。",
    (
        Column("事業ID", "project", Kind.ID, "事業シートの事業ID。", 10, True),
        Column("体系ID", "section", Kind.ID, "載せる体系の体系ID。", 10, True),
        Column("項目番号", "number", Kind.LABEL, "その体系での番号。例: ア（任意）", 10),
        Column(
            "掲載時の内容",
            "content",
            Kind.TEXT,
            "この箇所だけ内容の文章が違う場合に記入（任意）。",
            50,
        ),
        Column(
            "掲載順",
            "order",
            Kind.INT,
            "索引での通し番号（任意）。体系の中では番号のある掲載がこの順に先に並びます。",
            8,
        ),
    ),
)
INDICATORS_SHEET = SheetDef(
    "指標",
    "事業の指標と、目標値・過去の実績値。"
    "年度の列は「目標値 R3」「実績値 H29」の形で追加・削除できます。"
    "目標値を改訂した場合は、改訂後を「目標値 R6」に、当初の値を「当初目標 R6」"
    "（最終目標は「当初最終目標」）に書きます。"
    "値は数値（単位なし）、増加・減少・維持、集計中、－ のいずれかです。",
    (
        Column("事業ID", "project", Kind.ID, "事業シートの事業ID。", 10, True),
        Column("指標ID", "id", Kind.ID, "指標を識別する記号（英数字）。", 12, True),
        Column("指標名", "label", Kind.LABEL, "印刷される指標名。例: 参加人数", 28, True),
        Column("単位", "unit", Kind.LABEL, "値の単位。例: 人、件、か所、%", 8),
        Column(
            "方向",
            "direction",
            Kind.CHOICE,
            "高いほど良い（既定）／低いほど良い。",
            12,
            choices=DIRECTION_NAMES,
        ),
        Column("小数桁数", "decimals", Kind.INT, "表示する小数の桁数（任意）。1なら92.0%。", 8),
        Column("備考", "note", Kind.TEXT, "指標全体についての注記（任意）。", 30),
        Column("基準値", "baseline", Kind.VALUE, "基準値・策定時・現状値（任意、数値）。", 10),
        Column("基準年度", "baseline_year", Kind.YEAR, "基準値の年度（任意）。例: R1", 10),
        Column(
            "計算方法",
            "rate_method",
            Kind.CHOICE,
            "この指標の達成率の計算方法（空欄なら計画の設定）: 実績値÷目標値／基準値からの進捗。",
            14,
            choices=RATE_METHOD_NAMES,
        ),
        Column(
            "累計",
            "cumulative",
            Kind.BOOL,
            "はい: 目標値は累計、実績値は各年度の値で、基準年度の翌年度（なければ計画の初年度）"
            "からの合計を目標値と比べます。",
            8,
        ),
        Column(
            "公表の遅れ(年)",
            "data_lag",
            Kind.INT,
            "統計の公表が遅れる年数（任意）。1なら報告年度の値がなくても前年度の実績値で評価します。",
            10,
        ),
        Column(
            "速報値の年度",
            "preliminary_years",
            Kind.LIST,
            "実績値が速報値である年度（任意、1行に1つ）。例: H29。書かない年度は確定値。",
            10,
        ),
        Column(
            "速報値の報告",
            "preliminary_allowed",
            Kind.BOOL,
            "はい: 担当課が報告年度の実績値を速報値として報告できます"
            "（実績の状況で「速報値」を選択）。",
            10,
        ),
    ),
)
NOTES_SHEET = SheetDef(
    "注記",
    "個々の目標値・実績値に付ける注記（※事業見直しのため実施せず 等）。",
    (
        Column("指標ID", "indicator", Kind.ID, "指標シートの指標ID。", 12, True),
        Column(
            "区分",
            "kind",
            Kind.CHOICE,
            "目標値／最終目標／実績値／基準値／当初目標／当初最終目標。",
            10,
            True,
            choices=NOTE_KINDS,
        ),
        Column("年度", "year", Kind.YEAR, "値の年度（最終目標・基準値・当初最終目標は空欄）。", 10),
        Column("注記", "note", Kind.TEXT, "注記の文章。", 60, True),
    ),
    required=False,
)
FOOTNOTES_SHEET = SheetDef(
    "脚注",
    "事業の後に載せる ※用語 の説明。",
    (
        Column("事業ID", "project", Kind.ID, "事業シートの事業ID。", 10, True),
        Column("用語", "term", Kind.LABEL, "※の後の用語。", 24, True),
        Column("説明", "text", Kind.TEXT, "用語の説明。", 70, True),
    ),
    required=False,
)
ENTRY_TEXT_NAMES = {
    "activity_report": "活動報告",
    "issues": "課題・懸案事項",
    "future_plan": "今後の予定",
    "grade_explanation": "評価の説明",
    "comment": "成果・課題・方向性",
    "improvement": "改善策",
}
REQUIRED_SHEET = SheetDef(
    "記入の条件",
    "担当課の評価によって記入を必須にする欄。書かない欄は様式の既定"
    "（評価の説明・改善策は最上位以外の評価で必須）に従います。",
    (
        Column(
            "記入欄",
            "key",
            Kind.CHOICE,
            "活動報告／課題・懸案事項／今後の予定／評価の説明（カード）、"
            "成果・課題・方向性／改善策（一覧表）。",
            18,
            True,
            choices=ENTRY_TEXT_NAMES,
        ),
        Column(
            "必須とする評価",
            "grades",
            Kind.LIST,
            "担当課の評価がこのいずれかなら必須。1行に1つ。空欄なら評価によっては必須にしません。",
            24,
        ),
    ),
    required=False,
)
FIELD_KIND_NAMES = {"text": "文字", "number": "数値", "choice": "選択"}
FIELD_OF_NAMES = {"project": "事業", "indicator": "指標"}
FILLED_BY_NAMES = {"coordinator": "計画で記入", "department": "担当課が記入"}
FIELDS_SHEET = SheetDef(
    "追加項目",
    "様式・報告書・一覧に加える項目（出典、算出方法、全国順位、改善策 など）。"
    "計画で記入する項目の値は「追加項目の値」シートに書きます。",
    (
        Column("キー", "key", Kind.ID, "半角英小文字・数字・_（例: source）。", 14, True),
        Column(
            "見出し", "label", Kind.LABEL, "様式・報告書に印刷する見出し（例: 出典）。", 18, True
        ),
        Column("種類", "kind", Kind.CHOICE, "文字／数値／選択。", 8, choices=FIELD_KIND_NAMES),
        Column(
            "対象", "of", Kind.CHOICE, "事業／指標（指標ごとに1つ）。", 8, choices=FIELD_OF_NAMES
        ),
        Column(
            "記入者",
            "filled_by",
            Kind.CHOICE,
            "計画で記入（様式には変更できない値として印刷）／担当課が記入（様式の記入欄）。",
            12,
            choices=FILLED_BY_NAMES,
        ),
        Column("選択肢", "choices", Kind.LIST, "選択の項目の選択肢。1行に1つ。", 16),
        Column("最大文字数", "max_length", Kind.INT, "文字の項目の最大文字数（任意）。", 10),
        Column("小数桁数", "decimals", Kind.INT, "数値の項目の小数の桁数（0なら整数）。", 10),
        Column("最小値", "minimum", Kind.NUMBER, "数値の項目で受け付ける最小値（任意）。", 10),
        Column("最大値", "maximum", Kind.NUMBER, "数値の項目で受け付ける最大値（任意）。", 10),
        Column("単位", "unit", Kind.LABEL, "数値の後に印刷する単位（例: 位）。", 8),
        Column("説明", "help", Kind.TEXT, "記入要領とセルの入力メッセージに載せる説明。", 40),
        Column(
            "必須",
            "required",
            Kind.LIST,
            f"{YES}: 常に必須。空欄: 任意。評価（例: B、C）: 担当課の評価がそのいずれかなら必須。",
            12,
        ),
    ),
    required=False,
)
FIELD_VALUES_SHEET = SheetDef(
    "追加項目の値",
    "計画で記入する項目の値。事業の項目は指標IDを空欄に。",
    (
        Column("事業ID", "project", Kind.ID, "事業シートの事業ID。", 10, True),
        Column("指標ID", "indicator", Kind.ID, "指標の項目なら指標ID。", 12),
        Column("キー", "key", Kind.ID, "追加項目シートのキー。", 14, True),
        Column("値", "value", Kind.VALUE, "値（文字または数値）。", 50, True),
    ),
    required=False,
)
INSTRUCTIONS_SHEET_NAME = "説明"

DATA_SHEETS: tuple[SheetDef, ...] = (
    SETTINGS_SHEET,
    INTRO_SHEET,
    BANDS_SHEET,
    EVALUATIONS_SHEET,
    EVALUATION_BANDS_SHEET,
    DEPARTMENTS_SHEET,
    SECTIONS_SHEET,
    PROJECTS_SHEET,
    PLACEMENTS_SHEET,
    INDICATORS_SHEET,
    NOTES_SHEET,
    FOOTNOTES_SHEET,
    REQUIRED_SHEET,
    FIELDS_SHEET,
    FIELD_VALUES_SHEET,
)


def year_header(prefix: str, year: int) -> str:
    from kpibook.fiscal import era_label

    return f"{prefix} {era_label(year)}"


def parse_year_header(header: str) -> tuple[str, int] | None:
    """``目標値 R3`` → ("target", 2021); ``最終目標`` → ("final", 0); ``当初目標 R6`` →
    ("original", 2024); ``当初最終目標`` → ("original_final", 0); else None."""
    text = header.strip()
    if text == FINAL_HEADER:
        return "final", 0
    if text == ORIGINAL_FINAL_HEADER:
        return "original_final", 0
    for prefix, kind in (
        (TARGET_PREFIX, "target"),
        (ACTUAL_PREFIX, "actual"),
        (ORIGINAL_PREFIX, "original"),
    ):
        if text.startswith(prefix):
            try:
                return kind, parse_fiscal_year(text.removeprefix(prefix).strip())
            except FiscalYearError:
                return None
    return None
