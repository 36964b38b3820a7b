"""Broadcast throughput against the emulators: enqueue, LINE, Telegram, memory.

100,000 subscribers by default (half LINE, half Telegram) in 16 languages. The bot's
dispatcher runs as its own process (``tabunka-bot dispatch``), the emulators in this one,
so the figures are what a city's server would do:

* enqueue: writing one delivery row per recipient in one transaction (in this process);
* LINE: time until the emulator has accepted every recipient (multicasts of 500);
* Telegram at the configured 25 messages/s: achieved rate over a 60-second window, as a
  fraction of the limit; then, with the limit raised to 1,000/s, the dispatcher's own
  ceiling over a 20-second window;
* peak memory (VmHWM) of the dispatcher process.

Usage: python bench/broadcast.py [--subscribers N] [--window S]
Ends with one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml

from bot.broadcasting import prepare
from bot.config import load_config
from bot.engine import build_engine
from bot.storage import Storage, Target
from tests.fakes.line import FakeLine
from tests.fakes.telegram import FakeTelegram

SHELTER = {"shelter_name": "北小学校", "address": "北区1-2-3", "time": "14:30"}


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return -1.0


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    fake_line, fake_tg = FakeLine(), FakeTelegram()
    await fake_line.start()
    await fake_tg.start()
    tmp = Path(tempfile.mkdtemp(prefix="tabunka-broadcast-"))

    def write_config(rate: float, concurrency: int) -> Path:
        config = {"storage": {"data_dir": str(tmp)}, "matching": {"semantic": False},
                  "line": {"enabled": True, "channel_secret": "${LS}", "access_token": "${LT}",
                           "api_base": fake_line.base_url},
                  "telegram": {"enabled": True, "token": "${TT}", "api_base": fake_tg.api_base},
                  "broadcast": {"telegram_rate_per_second": rate, "telegram_concurrency": concurrency}}
        path = tmp / f"config-{rate:g}.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    env = {**os.environ, "LS": "secret", "LT": fake_line.access_token, "TT": fake_tg.token}
    config = load_config(write_config(25, 8), environ=env)
    engine = build_engine(config, semantic=False)
    languages = engine.book.languages
    half = args.subscribers // 2
    storage = await Storage.open(config.database_path)
    await storage.close()
    with sqlite3.connect(config.database_path) as db:
        db.executemany(
            "INSERT INTO subscribers (platform, user_id, language, subscribed, blocked, created_at, updated_at) "
            "VALUES (?, ?, ?, 1, 0, 0, 0)",
            [("line", f"U{i:032x}", languages[i % len(languages)]) for i in range(half)]
            + [("telegram", str(10**9 + i), languages[i % len(languages)]) for i in range(half)])
    storage = await Storage.open(config.database_path)
    prepared = prepare(engine, "shelter.opened", SHELTER, drill=False)
    started = time.perf_counter()
    await storage.create_broadcast(prepared.template_id, prepared.raw_slots, False, Target(), prepared.priority,
                                   "bench", prepared.texts)
    enqueue_s = time.perf_counter() - started
    await storage.close()
    figures: dict[str, object] = {"subscribers": args.subscribers, "enqueue_s": round(enqueue_s, 3),
                                  "cpu_count": os.cpu_count()}
    print(f"enqueue {args.subscribers} deliveries: {enqueue_s:.2f} s")

    async def run_dispatch(config_path: Path, until: float) -> tuple[asyncio.subprocess.Process, float]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "--config", str(config_path), "dispatch", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        return process, until

    # Phase 1: LINE to completion, Telegram at 25/s over the window.
    process, _ = await run_dispatch(write_config(25, 8), 0)
    t0 = time.monotonic()
    line_done = None
    tg_at_window_start = None
    window_start = t0 + 5.0
    peak = 0.0
    while True:
        await asyncio.sleep(0.05)
        now = time.monotonic()
        peak = max(peak, peak_rss_mb(process.pid))
        if line_done is None and fake_line.total_sent() >= half:
            line_done = now - t0
            print(f"LINE: {half} recipients accepted in {line_done:.2f} s ({fake_line.calls['multicast']} multicasts)")
        if tg_at_window_start is None and now >= window_start:
            tg_at_window_start = fake_tg.total_sent()
        if tg_at_window_start is not None and now >= window_start + args.window and line_done is not None:
            break
        if now - t0 > 600:
            raise RuntimeError("broadcast benchmark did not finish in 10 minutes")
    rate = (fake_tg.total_sent() - tg_at_window_start) / args.window
    process.kill()
    await process.wait()
    figures.update({"line_all_accepted_s": round(line_done or -1, 2), "line_multicasts": fake_line.calls["multicast"],
                    "telegram_rate_at_25": round(rate, 2), "telegram_fraction_of_limit": round(rate / 25, 3),
                    "telegram_window_s": args.window})
    print(f"Telegram at 25/s: {rate:.2f} messages/s over {args.window:.0f} s = {rate / 25:.3f} of the limit")

    # Phase 2: the dispatcher's own ceiling with the limit raised to 1,000/s.
    process, _ = await run_dispatch(write_config(1000, 64), 0)
    await asyncio.sleep(3.0)
    before, t1 = fake_tg.total_sent(), time.monotonic()
    ceiling_window = min(20.0, args.window)
    while time.monotonic() - t1 < ceiling_window and fake_tg.total_sent() < half:
        peak = max(peak, peak_rss_mb(process.pid))
        await asyncio.sleep(0.1)
    ceiling = (fake_tg.total_sent() - before) / (time.monotonic() - t1)
    process.kill()
    await process.wait()
    figures.update({"telegram_ceiling_per_s": round(ceiling, 1), "dispatcher_peak_rss_mb": peak})
    print(f"Telegram ceiling (limit 1,000/s): {ceiling:.1f} messages/s; dispatcher peak memory {peak} MB")
    duplicates = sum(max(0, len(v) - 1) for v in fake_line.sent.values())
    figures["line_duplicates"] = duplicates
    await fake_line.stop()
    await fake_tg.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds to measure the 25/s rate over")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
