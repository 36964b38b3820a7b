"""What a channel hands to the handlers: one resident's message, platform-neutral."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Incoming", "MessageKind", "resolve_language_hint"]

MessageKind = Literal["text", "button", "follow", "unfollow", "unsupported"]


@dataclass(frozen=True)
class Incoming:
    """A message, button tap or (un)follow from one user of one platform.

    ``lang_hint`` is what the platform says about the user's language (Telegram's
    ``language_code``, LINE's profile language); it only preselects, never decides.
    """

    platform: str
    user_id: str
    kind: MessageKind
    text: str = ""
    payload: str = ""
    lang_hint: str | None = None

    @property
    def actor(self) -> str:
        """``platform:user_id``, the form operators and staff are configured in."""
        return f"{self.platform}:{self.user_id}"


_HINT_ALIASES = {
    "pt": "pt-BR", "pt-br": "pt-BR", "zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans",
    "zh-hans": "zh-Hans", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "zh-hant": "zh-Hant",
    "fil": "tl", "in": "id", "es-419": "es",
}


def resolve_language_hint(hint: str | None, languages: tuple[str, ...]) -> str | None:
    """Map a platform's language code (``pt-br``, ``zh-TW``, ``fil``) to one we speak."""
    if not hint:
        return None
    code = hint.strip().replace("_", "-").lower()
    if code in _HINT_ALIASES and _HINT_ALIASES[code] in languages:
        return _HINT_ALIASES[code]
    for lang in languages:
        if lang.lower() == code:
            return lang
    base = code.split("-")[0]
    if base in _HINT_ALIASES and _HINT_ALIASES[base] in languages:
        return _HINT_ALIASES[base]
    return base if base in languages else None
