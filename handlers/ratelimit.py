"""A per-user rate limit, so one user (or a script) cannot flood the bot.

Sliding window: at most ``limit`` messages per ``window`` seconds per user. The first
message over the limit gets one notice; the rest are dropped silently until the window
has room again, so a flood does not turn into a flood of notices.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["RateLimiter", "Verdict"]

Verdict = Literal["allow", "notify", "drop"]


@dataclass
class _Window:
    stamps: deque[float] = field(default_factory=deque)
    notified: bool = False


class RateLimiter:
    def __init__(self, limit: int = 20, window: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 max_users: int = 100_000) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._users: dict[str, _Window] = {}
        self._max_users = max_users

    def check(self, key: str) -> Verdict:
        now = self._clock()
        state = self._users.get(key)
        if state is None:
            if len(self._users) >= self._max_users:
                self._evict(now)
            state = self._users[key] = _Window()
        while state.stamps and now - state.stamps[0] >= self.window:
            state.stamps.popleft()
        if len(state.stamps) < self.limit:
            state.stamps.append(now)
            state.notified = False
            return "allow"
        if state.notified:
            return "drop"
        state.notified = True
        return "notify"

    def _evict(self, now: float) -> None:
        """Forget users whose window has passed, so memory stays bounded."""
        for key in [k for k, w in self._users.items() if not w.stamps or now - w.stamps[-1] >= self.window]:
            del self._users[key]
