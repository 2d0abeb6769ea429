"""User-facing errors.

Every error a user can cause is a :class:`KpibookError` carrying a :class:`Message`; the
CLI turns it into a message and an exit code, never a traceback.  Loading a plan or
entries collects *every* problem first and raises one :class:`LoadError` listing them,
each a :class:`Problem` with its place (file and key path or line, or sheet and cell).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from kpibook.message import Message

if TYPE_CHECKING:  # pydantic is imported where plans are read, not by `kpibook --help`
    from pydantic import ValidationError

Loc = tuple[str | int, ...]


def _restore(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class KpibookError(Exception):
    """An error the user can fix: a message, and the file it is about when there is one."""

    exit_code = 1

    def __init__(self, message: Message, *, where: Path | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return str(self.message) if self.where is None else f"{self.where}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its fields, not by calling __init__ again: subclasses take other
        # arguments, and an error raised in a worker process must reach the CLI intact.
        return _restore, (type(self), self.args, self.__dict__)


class MessageValueError(ValueError):
    """A ValueError that says what is wrong in both languages.

    Raised inside pydantic validation (a value, a fiscal year), where pydantic shows
    ``str(error)`` in its own texts: that is the English.  kpibook's reports take
    :attr:`message`.
    """

    def __init__(self, message: Message) -> None:
        super().__init__(message.en)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (type(self), self.args, self.__dict__)


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One thing wrong in an input, with where it is and what was found there."""

    where: str
    """A place a person can find: ``plan.yaml line 12 (projects[3].name)`` or
    ``plan.xlsx シート「指標」 G12``."""
    message: Message
    raw: str | None = None
    """The offending value as found, when there is one."""

    def __str__(self) -> str:
        raw = f" [{self.raw}]" if self.raw is not None else ""
        return f"{self.where}: {self.message}{raw}"


class LoadError(KpibookError):
    """A file that cannot be loaded, with every problem found in it."""

    def __init__(self, path: Path | str, problems: Iterable[Problem]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__(
            Message(ja="読み込めません", en=f"cannot load ({len(self.problems)} problem(s))"),
            where=self.path,
        )

    @classmethod
    def single(cls, path: Path | str, message: Message, *, where: str | None = None) -> Self:
        """The file cannot be loaded for one reason, found at ``where`` (the file's path)."""
        return cls(path, [Problem(where=str(path) if where is None else where, message=message)])

    def __str__(self) -> str:
        return "\n".join([super().__str__(), *(f"  - {p}" for p in self.problems)])


def loc_text(loc: Loc) -> str:
    """``projects[3].indicators[0].targets.2019`` from a pydantic location."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


INVALID_JA = "値が正しくありません"
"""What a value error says in Japanese when nothing more specific is known."""

_JA_BY_TYPE: dict[str, str] = {
    "missing": "必須の項目がありません",
    "extra_forbidden": "この項目は使えません（名前の綴りを確認してください）",
    "string_too_long": "文字数が上限（{max_length}文字）を超えています",
    "string_too_short": "空欄にはできません",
    "string_pattern_mismatch": "使えない文字が含まれているか、形式が違います",
    "string_type": "文字で入力してください",
    "int_type": "整数で入力してください",
    "int_parsing": "整数で入力してください",
    "int_from_float": "整数で入力してください",
    "bool_type": "true / false で入力してください",
    "bool_parsing": "true / false で入力してください",
    "enum": "次のいずれかを入力してください: {expected}",
    "literal_error": "次のいずれかを入力してください: {expected}",
    "too_short": "少なくとも{min_length}件必要です",
    "list_type": "一覧（複数の値）で入力してください",
    "dict_type": "項目の組（キーと値）で入力してください",
    "model_type": "項目の組（キーと値）で入力してください",
    "date_type": "日付（例: 2020-05-31）で入力してください",
    "date_parsing": "日付（例: 2020-05-31）で入力してください",
    "date_from_datetime_parsing": "日付（例: 2020-05-31）で入力してください",
    "decimal_type": "数値で入力してください",
    "decimal_parsing": "数値で入力してください",
    "greater_than_equal": "{ge}以上の値を入力してください",
    "less_than_equal": "{le}以下の値を入力してください",
}


def problems_from_validation(
    err: ValidationError, where: Callable[[Loc], str]
) -> Iterator[Problem]:
    """Turn pydantic's errors into :class:`Problem`s; ``where`` places a location."""
    from kpibook.plan import PlanIntegrityError  # the plan model imports nothing from here

    for e in err.errors(include_url=False):
        loc: Loc = tuple(e["loc"])
        ctx: dict[str, Any] = e.get("ctx") or {}
        cause = ctx.get("error")
        if isinstance(cause, PlanIntegrityError):
            for sub_loc, message in cause.problems:
                yield Problem(where=where(loc + sub_loc), message=message)
            continue
        raw = _raw(e.get("input"), e["type"])
        if isinstance(cause, MessageValueError):
            message = cause.message
        elif isinstance(cause, ValueError):
            message = Message(ja=INVALID_JA, en=str(cause))
        else:
            template = _JA_BY_TYPE.get(e["type"], INVALID_JA)
            try:
                ja = template.format(**ctx)
            except (KeyError, IndexError):
                ja = template
            message = Message(ja=ja, en=e["msg"])
        yield Problem(where=where(loc), message=message, raw=raw)


def _raw(value: Any, kind: str) -> str | None:
    if kind == "missing" or isinstance(value, dict | list):
        return None
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."
