"""LINE webhook throughput and latency, end to end, against a bare ceiling.

The bot runs as its own process (``tabunka-bot serve``) with LINE pointed at the LINE
emulator, which runs in this process together with the load generator, so that one
monotonic clock times each event from the moment its signed webhook is sent until the
emulator accepts the bot's reply: signature check, parsing, matching, reply call. Each
event comes from a different user (no rate limit in the way) and asks a shipped question
with one random edit.

The ceiling, measured in the same run: a bare aiohttp process that only verifies the
signature and answers 200 (latency = request to response).

Usage: python bench/webhook.py [--events N] [--semantic]
Ends with one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp
import yaml

from bench.match import perturb
from phrasebook.loader import load_phrasebook
from phrasebook.matcher import phrasings_of
from tests.fakes.line import FakeLine, sign, text_event, webhook_body

SECRET = "bench-channel-secret"
BARE_APP = textwrap.dedent('''
    import base64, hashlib, hmac, sys
    from aiohttp import web
    SECRET = sys.argv[2].encode()
    async def hook(request):
        body = await request.read()
        expected = base64.b64encode(hmac.new(SECRET, body, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, request.headers.get("X-Line-Signature", "")):
            return web.Response(status=401)
        return web.json_response({})
    app = web.Application()
    app.router.add_post("/webhooks/line", hook)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_ready(url: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status in (200, 404, 405):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    latencies.sort()
    return {"events_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2)}


async def drive(url: str, fake: FakeLine | None, texts: list[str], concurrency: int, events: int,
                offset: int) -> dict[str, float]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(events):
        queue.put_nowait(i)
    latencies: list[float] = []
    sent_at: dict[str, float] = {}

    async def sender(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            user = f"U{offset + i:031d}"
            token = fake.issue_reply_token(user) if fake else f"t{i}"
            body = webhook_body(text_event(user, texts[i % len(texts)], token))
            headers = {"X-Line-Signature": sign(body, SECRET), "Content-Type": "application/json"}
            start = time.monotonic()
            sent_at[token] = start
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"webhook answered {response.status}")
            if fake is None:
                latencies.append(time.monotonic() - start)
                continue
            latencies.append(await fake.wait_reply(token) - start)

    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(sender(session) for _ in range(concurrency)))
    return summary(latencies, time.monotonic() - started)


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(5)
    questions = [p.text for p in phrasings_of(load_phrasebook()) if p.field == "question"]
    texts = [perturb(rng.choice(questions), rng) for _ in range(2000)]
    fake = FakeLine()
    await fake.start()
    tmp = Path(tempfile.mkdtemp(prefix="tabunka-bench-"))
    bot_port, bare_port = free_port(), free_port()
    config = {"server": {"port": bot_port}, "storage": {"data_dir": str(tmp / "data")},
              "matching": {"semantic": bool(args.semantic)},
              "limits": {"rate_limit_messages": 1_000_000},
              "line": {"enabled": True, "channel_secret": "${LINE_SECRET}", "access_token": "${LINE_TOKEN}",
                       "api_base": fake.base_url}}
    (tmp / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {**os.environ, "LINE_SECRET": SECRET, "LINE_TOKEN": fake.access_token, "OMP_NUM_THREADS": "1"}
    bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(tmp / "config.yaml"), "serve"],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    bare = subprocess.Popen([sys.executable, "-c", BARE_APP, str(bare_port), SECRET], cwd=ROOT)
    figures: dict[str, object] = {"events": args.events, "semantic": bool(args.semantic),
                                  "cpu_count": os.cpu_count()}
    try:
        await wait_ready(f"http://127.0.0.1:{bot_port}/healthz")
        await wait_ready(f"http://127.0.0.1:{bare_port}/webhooks/line")
        offset = 0
        for concurrency in (1, 10, 100):
            n = args.events if concurrency > 1 else max(100, args.events // 5)
            await drive(f"http://127.0.0.1:{bot_port}/webhooks/line", fake, texts, concurrency, 50, 10**8)
            bot_fig = await drive(f"http://127.0.0.1:{bot_port}/webhooks/line", fake, texts, concurrency, n, offset)
            offset += n
            bare_fig = await drive(f"http://127.0.0.1:{bare_port}/webhooks/line", None, texts, concurrency, n, 0)
            figures[f"bot_c{concurrency}"] = bot_fig
            figures[f"bare_c{concurrency}"] = bare_fig
            ratio = bot_fig["events_per_s"] / bare_fig["events_per_s"]
            print(f"concurrency {concurrency:>3}: bot {bot_fig}  bare {bare_fig}  bot/bare throughput {ratio:.2f}")
    finally:
        bot.terminate()
        bare.terminate()
        bot.wait(30)
        bare.wait(30)
        await fake.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--semantic", action="store_true", help="the bot with its semantic layer on")
    args = parser.parse_args()
    figures = asyncio.run(main_async(args))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
