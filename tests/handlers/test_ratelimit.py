"""The per-user rate limit: allow, one notice, then silence until the window passes."""

from __future__ import annotations

import pytest

from handlers.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_one_notice_then_silence_then_allowed_again():
    clock = Clock()
    limiter = RateLimiter(limit=3, window=60, clock=clock)
    assert [limiter.check("line:U1") for _ in range(6)] == ["allow"] * 3 + ["notify", "drop", "drop"]
    assert limiter.check("line:U2") == "allow"          # other users are not affected
    clock.now = 59.9
    assert limiter.check("line:U1") == "drop"
    clock.now = 60.0
    assert limiter.check("line:U1") == "allow"
    assert [limiter.check("line:U1") for _ in range(3)] == ["allow", "allow", "notify"]


def test_memory_stays_bounded():
    clock = Clock()
    limiter = RateLimiter(limit=1, window=1, clock=clock, max_users=100)
    for i in range(100):
        limiter.check(f"u{i}")
    clock.now = 5
    limiter.check("newcomer")
    assert len(limiter._users) == 1


def test_nonsense_settings_are_refused():
    with pytest.raises(ValueError):
        RateLimiter(limit=0)
