"""Fixtures for end-to-end tests: the real SDKs against the loopback emulators."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import yaml

from bot.app import open_parts
from bot.config import Config, load_config
from bot.server import BotServer
from tests.fakes.line import FakeLine
from tests.fakes.telegram import FakeTelegram

LINE_SECRET = "test-channel-secret"
TG_SECRET = "test-webhook-secret-0123456789"


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``check()`` is true; fail with a clear message after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)


@pytest.fixture
async def fake_line() -> AsyncIterator[FakeLine]:
    fake = FakeLine()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


def make_config(tmp_path: Path, fake_line: FakeLine | None, fake_telegram: FakeTelegram | None,
                telegram_mode: str = "webhook", **limits: int) -> Config:
    data = {
        "storage": {"data_dir": str(tmp_path / "data")},
        "matching": {"semantic": False},
        "server": {"host": "127.0.0.1", "port": 0, "max_body_bytes": 65536},
        "limits": {"rate_limit_messages": 1000, **limits},
        "staff": ["line:Ustaff", "telegram:999"],
        "line": {"enabled": fake_line is not None, "channel_secret": "${LINE_SECRET}",
                 "access_token": "${LINE_TOKEN}",
                 "api_base": fake_line.base_url if fake_line else "https://api.line.me"},
        "telegram": {"enabled": fake_telegram is not None, "token": "${TG_TOKEN}", "mode": telegram_mode,
                     "webhook_secret": "${TG_SECRET}",
                     "api_base": fake_telegram.api_base if fake_telegram else "https://api.telegram.org/bot"},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    environ = {"LINE_SECRET": LINE_SECRET, "LINE_TOKEN": fake_line.access_token if fake_line else "x",
               "TG_TOKEN": fake_telegram.token if fake_telegram else "x", "TG_SECRET": TG_SECRET}
    return load_config(path, environ=environ)


@pytest.fixture
async def server_factory(tmp_path: Path) -> AsyncIterator[Callable[..., object]]:
    started: list[BotServer] = []

    async def start(fake_line: FakeLine | None = None, fake_telegram: FakeTelegram | None = None,
                    telegram_mode: str = "webhook", **limits: int) -> BotServer:
        config = make_config(tmp_path, fake_line, fake_telegram, telegram_mode, **limits)
        parts = await open_parts(config)
        server = BotServer(config, parts)
        await server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop()
        await server.parts.close()
