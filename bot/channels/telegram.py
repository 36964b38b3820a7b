"""Telegram: python-telegram-bot, by long polling or by webhook inside our aiohttp server.

Rules, and why:

* Polling is the simplest start for a city (no public URL); webhook mode runs inside the
  same aiohttp server as LINE, and the ``X-Telegram-Bot-Api-Secret-Token`` header is
  compared in constant time before the update is even parsed.
* Updates are processed concurrently (PTB's default is one at a time).
* Buttons are inline keyboards, two per row; callback queries are always answered, or
  the resident's app shows a spinner.
* ``language_code`` of the user is a hint for the first language.
* 403 "bot was blocked by the user" / "user is deactivated", and ``my_chat_member``
  turning to ``kicked``, unsubscribe the user.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.split import split_text
from bot.metrics import Metrics
from handlers.messages import Incoming
from handlers.replies import Reply

__all__ = ["TelegramChannel"]

log = logging.getLogger(__name__)

Handle = Callable[[Incoming], Awaitable[list[Reply]]]
MAX_TEXT = 4096
MAX_SEND_ATTEMPTS = 3


class TelegramChannel:
    platform = "telegram"

    def __init__(self, handle: Handle, token: str, api_base: str, metrics: Metrics, mode: str = "polling",
                 webhook_secret: str | None = None, webhook_url: str | None = None,
                 poll_timeout: float = 10.0) -> None:
        if not token:
            raise ValueError("Telegram needs a bot token")
        if mode not in ("polling", "webhook"):
            raise ValueError(f"telegram mode must be polling or webhook, not {mode!r}")
        if mode == "webhook" and not webhook_secret:
            raise ValueError("Telegram webhook mode needs a secret token")
        self._handle = handle
        self._metrics = metrics
        self.mode = mode
        self._secret = webhook_secret
        self._webhook_url = webhook_url
        self._poll_timeout = poll_timeout
        builder = (ApplicationBuilder().token(token).base_url(api_base.rstrip("/"))
                   .base_file_url(api_base.rstrip("/").replace("/bot", "/file/bot"))
                   .concurrent_updates(64))
        if mode == "webhook":
            builder = builder.updater(None)
        self.app: Application = builder.build()  # type: ignore[type-arg]
        self.app.add_handler(CommandHandler("start", self._on_start))
        self.app.add_handler(MessageHandler(filters.TEXT, self._on_text))
        self.app.add_handler(CallbackQueryHandler(self._on_callback))
        self.app.add_handler(ChatMemberHandler(self._on_member, ChatMemberHandler.MY_CHAT_MEMBER))
        self.app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, self._on_other))

    async def start(self) -> None:
        await self.app.initialize()
        await self.app.start()
        if self.mode == "polling":
            assert self.app.updater is not None
            await self.app.bot.delete_webhook()
            await self.app.updater.start_polling(poll_interval=0.0, timeout=int(self._poll_timeout),
                                                 drop_pending_updates=False)
        elif self._webhook_url:
            await self.app.bot.set_webhook(self._webhook_url, secret_token=self._secret,
                                           allowed_updates=Update.ALL_TYPES)

    async def stop(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    # --- webhook mode ---------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if self._secret is None or not hmac.compare_digest(given.encode(), self._secret.encode()):
            self._metrics.inc("tabunka_webhook_rejected_total", platform="telegram", reason="bad_secret")
            return web.json_response({"error": "wrong secret token"}, status=403)
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or "update_id" not in data:
                raise ValueError("an update is a JSON object with an update_id")
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self._metrics.inc("tabunka_webhook_rejected_total", platform="telegram", reason="malformed")
            return web.json_response({"error": f"malformed update: {type(exc).__name__}"}, status=400)
        if update is None:
            return web.json_response({"error": "empty update"}, status=400)
        await self.app.update_queue.put(update)
        return web.json_response({})

    # --- updates -------------------------------------------------------------------------------

    async def _dispatch(self, update: Update, incoming: Incoming) -> None:
        self._metrics.inc("tabunka_messages_in_total", platform="telegram")
        started = time.monotonic()
        replies = await self._handle(incoming)
        chat = update.effective_chat
        if replies and chat is not None:
            await self.send(chat.id, replies)
            self._metrics.observe_latency(time.monotonic() - started)

    @staticmethod
    def _hint(update: Update) -> str | None:
        user = update.effective_user
        return user.language_code if user else None

    async def _on_start(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_user:
            await self._dispatch(update, Incoming("telegram", str(update.effective_user.id), "follow",
                                                  lang_hint=self._hint(update)))

    async def _on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if update.effective_user and message and message.text is not None:
            await self._dispatch(update, Incoming("telegram", str(update.effective_user.id), "text",
                                                  text=message.text, lang_hint=self._hint(update)))

    async def _on_callback(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer()
        except TelegramError as exc:  # the spinner stops on its own; the tap still counts
            log.warning("answerCallbackQuery failed: %s", exc)
        await self._dispatch(update, Incoming("telegram", str(query.from_user.id), "button",
                                              payload=query.data or "", lang_hint=self._hint(update)))

    async def _on_member(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        member = update.my_chat_member
        if member and member.new_chat_member.status in ("kicked", "left"):
            await self._handle(Incoming("telegram", str(member.from_user.id), "unfollow"))

    async def _on_other(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_user and update.effective_message:
            await self._dispatch(update, Incoming("telegram", str(update.effective_user.id), "unsupported",
                                                  lang_hint=self._hint(update)))

    # --- sending -----------------------------------------------------------------------------------

    @staticmethod
    def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
        if not reply.buttons:
            return None
        rows = [[InlineKeyboardButton(b.label, callback_data=b.payload[:64]) for b in reply.buttons[i:i + 2]]
                for i in range(0, len(reply.buttons), 2)]
        return InlineKeyboardMarkup(rows)

    async def send(self, chat_id: int | str, replies: list[Reply]) -> bool:
        """Send replies in order; False if the user blocked the bot (then they are unsubscribed)."""
        for reply in replies:
            pieces = split_text(reply.text, MAX_TEXT)
            for i, piece in enumerate(pieces):
                markup = self.keyboard(reply) if i == len(pieces) - 1 else None
                if not await self._send_one(chat_id, piece, markup):
                    return False
        return True

    async def _send_one(self, chat_id: int | str, text: str, markup: InlineKeyboardMarkup | None) -> bool:
        for attempt in range(1, MAX_SEND_ATTEMPTS + 1):
            try:
                await self.app.bot.send_message(chat_id, text, reply_markup=markup)
                self._metrics.inc("tabunka_messages_out_total", platform="telegram")
                return True
            except RetryAfter as exc:
                self._metrics.inc("tabunka_send_errors_total", platform="telegram", status="429")
                delay = exc.retry_after
                await asyncio.sleep(delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay))
            except Forbidden as exc:
                self._metrics.inc("tabunka_send_errors_total", platform="telegram", status="403")
                log.info("Telegram user %s is unreachable (%s): unsubscribing", chat_id, exc.message)
                await self._handle(Incoming("telegram", str(chat_id), "unfollow"))
                return False
            except BadRequest as exc:
                self._metrics.inc("tabunka_send_errors_total", platform="telegram", status="400")
                log.warning("Telegram refused a message to %s: %s", chat_id, exc.message)
                return True
            except NetworkError as exc:
                self._metrics.inc("tabunka_send_errors_total", platform="telegram", status="network")
                log.warning("Telegram send to %s failed (attempt %d): %s", chat_id, attempt, exc)
                await asyncio.sleep(0.5 * attempt)
        return True
