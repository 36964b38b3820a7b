"""What handlers need from the outside world, as small protocols.

Handlers know nothing of SQLite, LINE or Telegram: they ask a :class:`ResidentStore` for
a resident's settings and record questions through it. ``bot.storage.Storage``
implements it; tests may use the same class on a temporary file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["QuestionRecord", "ResidentStore", "Subscriber", "UnansweredQuestion"]


@dataclass(frozen=True)
class Subscriber:
    """A resident known to the bot on one platform."""

    platform: str
    user_id: str
    language: str | None
    area: str | None
    subscribed: bool
    blocked: bool


@dataclass(frozen=True)
class QuestionRecord:
    """One free-text question and what the matcher decided, for staff to review."""

    platform: str
    user_id: str
    text: str
    language: str | None
    top_id: str | None
    score: float | None
    action: str


@dataclass(frozen=True)
class UnansweredQuestion:
    text: str
    count: int
    language: str | None


class ResidentStore(Protocol):
    async def subscriber(self, platform: str, user_id: str) -> Subscriber | None: ...

    async def save_subscriber(self, platform: str, user_id: str, *, language: object = ...,
                              area: object = ..., subscribed: bool | None = None,
                              blocked: bool | None = None) -> Subscriber: ...

    async def log_question(self, record: QuestionRecord) -> None: ...

    async def unanswered(self, days: int = 30, limit: int = 20) -> list[UnansweredQuestion]: ...

    async def audit(self, actor: str, action: str, detail: str = "") -> None: ...
