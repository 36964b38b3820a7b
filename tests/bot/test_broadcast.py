"""Broadcasts through the real SDKs and the emulators: outbox, rate limits, errors, crash."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.broadcasting import enqueue, platform_clients, prepare
from bot.dispatch import Dispatcher, TokenBucket
from bot.engine import build_engine
from bot.storage import Storage, Target
from phrasebook.errors import SlotValueError
from tests.bot.conftest import make_config

ROOT = Path(__file__).resolve().parents[2]
SHELTER = {"shelter_name": "北小学校", "address": "北区1-2-3", "time": "14:30"}


async def seed(storage: Storage, platform: str, users: list[str], language: str = "vi",
               area: str | None = None) -> None:
    for user in users:
        await storage.save_subscriber(platform, user, language=language, area=area)


@pytest.fixture
async def setup(tmp_path, fake_line, fake_telegram):
    config = make_config(tmp_path, fake_line, fake_telegram)
    engine = build_engine(config, semantic=False)
    storage = await Storage.open(config.database_path)
    yield config, engine, storage
    await storage.close()


async def run_dispatch(config, storage, **overrides):
    settings = config.broadcast
    if overrides:
        import dataclasses
        settings = dataclasses.replace(settings, **overrides)
    async with platform_clients(config) as (line_api, bot):
        dispatcher = Dispatcher(storage, settings, line_api, bot)
        await asyncio.wait_for(dispatcher.run_until_empty(idle_sleep=0.05), 60)
    return dispatcher


async def test_everyone_gets_it_once_in_their_language_with_drill_marking(setup, fake_line, fake_telegram):
    config, engine, storage = setup
    await seed(storage, "line", [f"U{i}" for i in range(1200)], "vi")
    await seed(storage, "line", ["Uth"], "th")
    await seed(storage, "telegram", [str(i) for i in range(1, 31)], "pt-BR")
    prepared = prepare(engine, "shelter.opened", SHELTER, drill=True)
    broadcast_id = await enqueue(storage, prepared, Target(), "cli:test")
    await run_dispatch(config, storage, telegram_rate_per_second=500)
    assert all(fake_line.texts(f"U{i}") == [prepared.texts["vi"]] for i in range(1200))
    assert fake_line.texts("Uth") == [prepared.texts["th"]]
    assert fake_line.calls["multicast"] == 4          # 500 + 500 + 200 vi, 1 th
    assert all(fake_telegram.texts(i) == [prepared.texts["pt-BR"]] for i in range(1, 31))
    vi = prepared.texts["vi"]
    assert vi.startswith(engine.book.ui("vi", "drill_prefix")) and vi.endswith(engine.book.ui("vi", "drill_suffix"))
    counts = await storage.broadcast_counts(broadcast_id)
    assert counts == {("line", "sent"): 1201, ("telegram", "sent"): 30}
    assert (await storage.audit_entries())[0][1] == "broadcast.create"


async def test_targeting_by_area_language_and_platform(setup, fake_line, fake_telegram):
    config, engine, storage = setup
    await seed(storage, "line", ["Ukita"], "en", area="kita")
    await seed(storage, "line", ["Uminami"], "en", area="minami")
    await seed(storage, "line", ["Unoarea"], "en")
    await seed(storage, "telegram", ["7"], "en", area="kita")
    await storage.save_subscriber("line", "Ustopped", language="en", area="kita", subscribed=False)
    await storage.save_subscriber("console", "resident", language="en", area="kita")   # not a broadcast channel
    assert await storage.recipients(Target(areas=("kita",))) == {("line", "en"): 2, ("telegram", "en"): 1}
    target = Target(areas=("kita",), platforms=("line",))
    assert await storage.recipients(target) == {("line", "en"): 2}      # kita, and the one with no area
    await enqueue(storage, prepare(engine, "evacuation.level4", {"area": "kita", "reason": "landslide"}, False),
                  target, "cli:test")
    await run_dispatch(config, storage)
    assert set(fake_line.sent) == {"Ukita", "Unoarea"} and not fake_telegram.sent


async def test_line_429_and_5xx_retry_with_the_same_key(setup, fake_line):
    config, engine, storage = setup
    await seed(storage, "line", [f"U{i}" for i in range(10)])
    fake_line.fail_next(500, count=1)
    fake_line.fail_next(429, count=1, retry_after=1)
    await enqueue(storage, prepare(engine, "shelter.opened", SHELTER, False), Target(), "cli:test")
    started = time.monotonic()
    await run_dispatch(config, storage, base_backoff_seconds=0.1)
    assert all(len(fake_line.texts(f"U{i}")) == 1 for i in range(10))
    assert time.monotonic() - started >= 1.0            # Retry-After was honoured
    assert len(fake_line.retry_keys) == 1               # one key for the one batch, through both retries


async def test_line_409_counts_as_sent_and_nobody_gets_it_twice(setup, fake_line):
    config, engine, storage = setup
    await seed(storage, "line", ["U1", "U2"])
    broadcast_id = await enqueue(storage, prepare(engine, "shelter.opened", SHELTER, False), Target(), "cli:test")
    batch = await storage.claim_line_batch(500)       # as if the process died right after the call ...
    async with platform_clients(config) as (line_api, _):
        from linebot.v3.messaging import MulticastRequest, TextMessage
        await line_api.multicast(MulticastRequest(to=list(batch.user_ids), messages=[TextMessage(text=batch.text)]),
                                 x_line_retry_key=batch.key)
    await run_dispatch(config, storage)               # ... and came back: same key, 409, counted as sent
    assert fake_line.retry_key_hits == 1
    assert fake_line.texts("U1") == [batch.text] and fake_line.texts("U2") == [batch.text]
    assert await storage.broadcast_counts(broadcast_id) == {("line", "sent"): 2}


async def test_telegram_429_blocked_and_rate(setup, fake_telegram):
    config, engine, storage = setup
    await seed(storage, "telegram", [str(i) for i in range(1, 21)], "en")
    fake_telegram.block(5)
    fake_telegram.fail_next(429, retry_after=1, user="7")
    broadcast_id = await enqueue(storage, prepare(engine, "shelter.opened", SHELTER, False), Target(), "cli:test")
    started = time.monotonic()
    await run_dispatch(config, storage, telegram_rate_per_second=10)
    elapsed = time.monotonic() - started
    assert fake_telegram.texts(7) and not fake_telegram.texts(5)
    assert (await storage.subscriber("telegram", "5")).blocked
    assert await storage.broadcast_counts(broadcast_id) == {("telegram", "failed"): 1, ("telegram", "sent"): 19}
    assert elapsed >= 1.0      # 20 messages at 10/s with a burst of 10, plus the 429 pause


async def test_cancel_stops_what_has_not_been_sent(setup, fake_line):
    config, engine, storage = setup
    await seed(storage, "line", ["U1"])
    broadcast_id = await enqueue(storage, prepare(engine, "shelter.opened", SHELTER, False), Target(), "cli:test")
    assert await storage.cancel_broadcast(broadcast_id, "cli:test") == 1
    await run_dispatch(config, storage)
    assert not fake_line.sent


def test_slot_values_are_checked_before_anything_is_stored(tmp_path):
    engine = build_engine(make_config(tmp_path, None, None), semantic=False)
    with pytest.raises(SlotValueError, match="not a time"):
        prepare(engine, "shelter.opened", {**SHELTER, "time": "half past two"}, False)


async def test_token_bucket_keeps_the_rate():
    bucket = TokenBucket(50)
    started = time.monotonic()
    for _ in range(100):
        await bucket.acquire()
    assert 0.9 <= time.monotonic() - started <= 1.6   # 50 burst + 50 at 50/s


async def test_crash_and_resume_exactly_once_on_line_at_least_once_on_telegram(tmp_path, fake_line, fake_telegram):
    """A real process killed with SIGKILL part-way through 5,000 deliveries, then resumed."""
    config = make_config(tmp_path, fake_line, fake_telegram)
    storage = await Storage.open(config.database_path)
    line_users = [f"U{i:05d}" for i in range(2500)]
    tg_users = [str(100000 + i) for i in range(2500)]
    await storage._db.executemany(
        "INSERT INTO subscribers (platform, user_id, language, subscribed, blocked, created_at, updated_at) "
        "VALUES (?, ?, ?, 1, 0, 0, 0)",
        [("line", u, "vi") for u in line_users] + [("telegram", u, "en") for u in tg_users])
    await storage.close()
    yaml_path = tmp_path / "config.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    yaml_path.write_text(text + "broadcast:\n  telegram_rate_per_second: 400\n  telegram_concurrency: 8\n"
                                "  line_concurrency: 1\n", encoding="utf-8")
    fake_line.delay = 0.05    # slow multicasts, so the kill lands between LINE batches too
    env = {**os.environ, "LINE_SECRET": "test-channel-secret", "LINE_TOKEN": fake_line.access_token,
           "TG_TOKEN": fake_telegram.token, "TG_SECRET": "test-webhook-secret-0123456789"}
    command = [sys.executable, "-m", "bot.cli", "--config", str(yaml_path)]
    first = await asyncio.create_subprocess_exec(
        *command, "broadcast", "shelter.opened", *(f"--set={k}={v}" for k, v in SHELTER.items()), "--yes",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    for _ in range(3000):
        if fake_telegram.total_sent() >= 800 and fake_line.total_sent() >= 500:
            break
        await asyncio.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    sent_before = (fake_line.total_sent(), fake_telegram.total_sent())
    assert 0 < sent_before[1] < 2500, sent_before
    second = await asyncio.create_subprocess_exec(*command, "dispatch", cwd=ROOT, env=env,
                                                  stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(second.communicate(), 120)
    assert second.returncode == 0, err.decode()[-2000:]
    assert all(len(fake_line.sent[u]) == 1 for u in line_users)
    telegram_counts = [len(fake_telegram.sent[u]) for u in tg_users]
    assert min(telegram_counts) == 1
    assert sum(telegram_counts) - len(tg_users) <= 8      # duplicates only among the 8 in flight


async def test_serve_drains_the_outbox_so_an_interrupted_broadcast_resumes(fake_line, fake_telegram, server_factory):
    from tests.bot.conftest import eventually

    server = await server_factory(fake_line=fake_line, fake_telegram=fake_telegram, telegram_mode="webhook")
    storage = server.parts.storage
    await seed(storage, "line", ["U1", "U2"], "ko")
    await seed(storage, "telegram", ["42"], "mn")
    slots = {"place": "中央公園", "start_time": "10:00", "end_time": "16:00", "bring_container": "bring_own"}
    prepared = prepare(server.parts.engine, "water.supply", slots, False)
    await enqueue(storage, prepared, Target(), "cli:test")
    await eventually(lambda: fake_line.texts("U2") == [prepared.texts["ko"]]
                     and fake_telegram.texts(42) == [prepared.texts["mn"]], timeout=15)
