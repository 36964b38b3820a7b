"""The broadcast dispatcher: drains the outbox to LINE and Telegram, survives crashes.

Delivery guarantees, and how:

* **LINE, exactly once.** Recipients of one broadcast and language are grouped into
  multicast calls of at most 500. Each group is marked *in flight* under a fresh
  ``X-Line-Retry-Key`` in the database before the call. After a crash the same group is
  sent again with the same key; LINE answers 409 for a key it already accepted, which we
  count as sent. 5xx, timeouts and 429 retry with the same key and back off; other 4xx
  fail the group with the reason.
* **Telegram, at least once.** Telegram has no retry key. Deliveries stay *pending* in
  the database until their send returns and is recorded, so after a crash only the
  messages that were in flight (at most ``telegram_concurrency``) can arrive twice. A
  global token bucket keeps under the configured rate (default 25/s, below Telegram's
  ~30/s) and each chat gets at most one message per second. 429 waits ``retry_after`` and
  retries that message (and pauses the bucket: Telegram's flood control is global); 403
  (blocked, deactivated) marks the subscriber blocked; other errors retry with backoff up
  to ``max_attempts``.
* Pending deliveries are streamed from the database in pages, so memory does not grow
  with the number of subscribers. Emergency broadcasts are drained first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from linebot.v3.messaging import ApiException, AsyncMessagingApi, MulticastRequest, TextMessage
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.config import BroadcastSettings
from bot.storage import Delivery, LineBatch, Storage

__all__ = ["Dispatcher", "TokenBucket"]

log = logging.getLogger(__name__)


class TokenBucket:
    """``rate`` tokens per second, bursting to ``rate`` (at least 1); ``pause`` on 429."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._tokens = 0.0

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)


class Dispatcher:
    """Owns the outbox workers. ``run_until_empty`` for the CLI, ``run_forever`` for serve."""

    def __init__(self, storage: Storage, settings: BroadcastSettings, line_api: AsyncMessagingApi | None,
                 telegram_bot: Bot | None, on_progress: Callable[[], Awaitable[None]] | None = None) -> None:
        self.storage = storage
        self.settings = settings
        self.line_api = line_api
        self.telegram_bot = telegram_bot
        self.bucket = TokenBucket(settings.telegram_rate_per_second)
        self._last_per_chat: OrderedDict[str, float] = OrderedDict()
        self._on_progress = on_progress
        self._texts: dict[tuple[int, str], str] = {}   # rendered once per broadcast and language
        self._line_busy: set[str] = set()
        self._line_claim = asyncio.Lock()   # claim and mark busy as one step across workers
        self.sent = {"line": 0, "telegram": 0}

    # --- LINE ---------------------------------------------------------------------------------

    async def _line_worker(self) -> bool:
        """Send batches until none is ready; True if it sent anything."""
        did = False
        while self.line_api is not None:
            async with self._line_claim:
                batch = await self.storage.claim_line_batch(self.settings.line_batch_size, self._line_busy)
                if batch is None:
                    return did
                self._line_busy.add(batch.key)
            did = True
            try:
                await self._send_line_batch(batch)
            finally:
                self._line_busy.discard(batch.key)
        return did

    async def _send_line_batch(self, batch: LineBatch) -> None:
        assert self.line_api is not None
        request = MulticastRequest(to=list(batch.user_ids), messages=[TextMessage(text=batch.text)])
        try:
            await self.line_api.multicast(request, x_line_retry_key=batch.key)
        except ApiException as exc:
            status = int(exc.status or 0)
            if status == 409:  # accepted before the crash: delivered once already
                await self.storage.finish_line_batch(batch.key, "sent")
                self.sent["line"] += len(batch.user_ids)
                return
            if status == 429 or status >= 500:
                delay = _retry_after(exc) or self.settings.base_backoff_seconds
                kept = await self.storage.retry_line_batch(batch.key, delay, self.settings.max_attempts,
                                                           f"HTTP {status}")
                log.warning("LINE multicast %s: HTTP %s, %s", batch.key, status,
                            f"retrying in {delay:.1f} s with the same key" if kept else "giving up")
                return
            await self.storage.finish_line_batch(batch.key, "failed", f"HTTP {status}: {exc.reason}")
            return
        except (TimeoutError, OSError) as exc:
            await self.storage.retry_line_batch(batch.key, self.settings.base_backoff_seconds,
                                                self.settings.max_attempts, f"network: {exc}")
            return
        await self.storage.finish_line_batch(batch.key, "sent")
        self.sent["line"] += len(batch.user_ids)
        await self._progress()

    # --- Telegram -----------------------------------------------------------------------------

    async def _telegram_worker(self) -> bool:
        if self.telegram_bot is None:
            return False
        did = False
        queue: asyncio.Queue[Delivery | None] = asyncio.Queue(maxsize=self.settings.telegram_concurrency * 2)

        async def produce() -> None:
            last_id = 0
            while True:
                page = await self.storage.pending_deliveries("telegram", last_id, self.settings.page_size)
                if not page:
                    break
                for delivery in page:
                    await queue.put(delivery)
                last_id = page[-1].id
            for _ in range(self.settings.telegram_concurrency):
                await queue.put(None)

        async def consume() -> None:
            nonlocal did
            while (delivery := await queue.get()) is not None:
                did = True
                await self._send_telegram(delivery)

        await asyncio.gather(produce(), *(consume() for _ in range(self.settings.telegram_concurrency)))
        return did

    async def _per_chat_wait(self, chat: str) -> None:
        last = self._last_per_chat.get(chat)
        if last is not None:
            wait = 1.0 - (time.monotonic() - last)
            if wait > 0:
                await asyncio.sleep(wait)
        self._last_per_chat[chat] = time.monotonic()
        self._last_per_chat.move_to_end(chat)
        while len(self._last_per_chat) > 10_000:
            self._last_per_chat.popitem(last=False)

    async def _send_telegram(self, delivery: Delivery) -> None:
        assert self.telegram_bot is not None
        key = (delivery.broadcast_id, delivery.language)
        if key not in self._texts:
            self._texts[key] = await self.storage.broadcast_text(*key)
        text = self._texts[key]
        await self._per_chat_wait(delivery.user_id)
        for _ in range(self.settings.max_attempts):
            await self.bucket.acquire()
            try:
                await self.telegram_bot.send_message(delivery.user_id, text)
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                self.bucket.pause(wait)
                await asyncio.sleep(wait)
                continue
            except Forbidden as exc:
                await self.storage.mark_delivery(delivery.id, "failed", f"403: {exc.message}")
                await self.storage.mark_blocked("telegram", delivery.user_id)
                return
            except BadRequest as exc:
                await self.storage.mark_delivery(delivery.id, "failed", f"400: {exc.message}")
                return
            except (NetworkError, TelegramError) as exc:
                if delivery.attempts + 1 >= self.settings.max_attempts:
                    await self.storage.mark_delivery(delivery.id, "failed", str(exc))
                else:
                    delay = self.settings.base_backoff_seconds * 2 ** delivery.attempts
                    await self.storage.retry_delivery(delivery.id, delay, str(exc))
                return
            await self.storage.mark_delivery(delivery.id, "sent")
            self.sent["telegram"] += 1
            await self._progress()
            return
        await self.storage.retry_delivery(delivery.id, self.settings.base_backoff_seconds, "rate limited")

    async def _progress(self) -> None:
        if self._on_progress is not None:
            await self._on_progress()

    # --- loops ----------------------------------------------------------------------------------

    async def run_until_empty(self, idle_sleep: float = 0.2) -> None:
        """Drain everything pending, including retries that become due; then return."""
        while True:
            await asyncio.gather(*(self._line_worker() for _ in range(self.settings.line_concurrency)),
                                 self._telegram_worker())
            await self.storage.close_finished_broadcasts()
            if await self.storage.unfinished_deliveries() == 0:
                return
            await asyncio.sleep(idle_sleep)   # retries with a backoff not yet due

    async def run_forever(self, idle_sleep: float = 1.0) -> None:
        while True:
            await self.run_until_empty(idle_sleep)
            await asyncio.sleep(idle_sleep)


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


def _retry_after(exc: ApiException) -> float | None:
    headers = getattr(exc, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
