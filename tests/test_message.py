"""One bilingual message type: built with keywords, rendered in one place, never by hand."""

from __future__ import annotations

import dataclasses

import pytest

from kpibook.message import Message


def test_a_message_renders_japanese_then_english() -> None:
    message = Message(ja="ファイルがありません", en="no such file")
    assert str(message) == "ファイルがありません / no such file"
    assert message.format() == message


def test_a_message_is_built_with_keywords_only() -> None:
    with pytest.raises(TypeError):
        Message("ファイルがありません", "no such file")  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Message(ja="a", en="b").ja = "c"  # type: ignore[misc]


def test_templates_fill_both_languages() -> None:
    template = Message(ja="「{raw}」は選択肢にありません", en="{raw!r} is not one of {expected}")
    assert template.format(raw="x", expected="A, B") == Message(
        ja="「x」は選択肢にありません", en="'x' is not one of A, B"
    )
