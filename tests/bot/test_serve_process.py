"""`tabunka-bot serve` as a real process: health, webhooks, clean exit on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import yaml

from tests.bot.conftest import LINE_SECRET, eventually
from tests.fakes.line import send_webhook, text_event, webhook_body

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_serve_answers_then_drains_and_exits_cleanly_on_sigterm(tmp_path, fake_line):
    port = free_port()
    config = {"server": {"port": port}, "storage": {"data_dir": str(tmp_path / "data")},
              "matching": {"semantic": False},
              "line": {"enabled": True, "channel_secret": "${LINE_SECRET}", "access_token": "${LINE_TOKEN}",
                       "api_base": fake_line.base_url}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {**os.environ, "LINE_SECRET": LINE_SECRET, "LINE_TOKEN": fake_line.access_token}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "--config", str(path), "serve", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async with aiohttp.ClientSession() as session:
            async def healthy() -> bool:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            for _ in range(600):
                if await healthy():
                    break
                await asyncio.sleep(0.1)
            assert await healthy(), (await process.stderr.read()).decode()[-2000:]
            users = [f"U{i}" for i in range(20)]
            bodies = [webhook_body(text_event(u, "when is garbage day", fake_line.issue_reply_token(u))) for u in users]
            url = f"http://127.0.0.1:{port}/webhooks/line"
            responses = await asyncio.gather(*(send_webhook(session, url, b, LINE_SECRET) for b in bodies))
            assert {r.status for r in responses} == {200}
            process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 30)
        assert code == 0
        await eventually(lambda: all(fake_line.texts(u) for u in users), timeout=1)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_serve_refuses_a_bad_config_naming_the_key(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("line:\n  enabled: true\n  channel_secret: literal-secret\n", encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "--config", str(path), "serve", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert "line.channel_secret: secrets are read from the environment only" in err.decode()
