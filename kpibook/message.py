"""The one bilingual message type: what every error, finding and plan problem says.

Japanese is what the departments and the coordinator read; English is for the terminal,
logs and whoever maintains kpibook.  A :class:`Message` is built with keywords only, so
the two cannot be swapped by accident, and it is rendered in one place: ``str(message)``
is ``"ja / en"``.  Nothing else in kpibook joins a Japanese and an English text by hand.

This module imports nothing heavy: ``kpibook --help`` and the errors module use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEPARATOR = " / "
"""Between the Japanese and the English of a rendered message."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Message:
    """A text in Japanese and in English: ``Message(ja="…", en="…")``."""

    ja: str
    en: str

    def __str__(self) -> str:
        return f"{self.ja}{SEPARATOR}{self.en}"

    def format(self, **values: Any) -> Message:
        """Both texts with their ``{name}`` placeholders filled in (templates such as the
        findings catalogue's)."""
        return Message(ja=self.ja.format(**values), en=self.en.format(**values))
