"""An emulator of the Telegram Bot API on 127.0.0.1.

Behaves as the bot needs it to, like the real service:
- methods under ``/bot<token>/<method>``; a wrong token gets 401, an unknown method 404;
- parameters form-encoded (as python-telegram-bot sends them) or JSON;
- ``getMe``, ``sendMessage`` (text at most 4096 characters, inline keyboards),
  ``answerCallbackQuery``, ``getUpdates`` (long poll with offset and timeout; 409 while a
  webhook is set), ``setWebhook`` (with ``secret_token``) / ``deleteWebhook`` /
  ``getWebhookInfo``;
- ``fail_next(429, retry_after=n)`` answers "Too Many Requests: retry after n" with
  ``parameters.retry_after``; ``block(chat_id)`` answers 403 "bot was blocked by the user"
  (``deactivated=True``: "user is deactivated"); an optional global rate limit answers 429
  beyond N messages per second, as Telegram does beyond about 30;
- ``push_update`` queues an update for getUpdates, or POSTs it to the webhook with the
  secret token header when one is set.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.base import FakeServer, serve_forever

MAX_TEXT = 4096
BOT_ID = 7000000001


def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


@dataclass
class FakeTelegram(FakeServer):
    token: str = "123456:TEST-telegram-token"
    blocked: dict[str, str] = field(default_factory=dict)     # chat id -> description
    rate_limit_per_second: float | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 1
    next_message_id: int = 1
    callback_answers: list[str] = field(default_factory=list)
    webhook_responses: list[int] = field(default_factory=list)
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _recent: deque[float] = field(default_factory=deque)
    _session: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.on_cleanup.append(self._close_session)
        return app

    async def _close_session(self, _app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    # --- test helpers ----------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        """What python-telegram-bot takes as ``base_url`` (the token is appended)."""
        return f"{self.base_url}/bot"

    def block(self, chat_id: int | str, deactivated: bool = False) -> None:
        self.blocked[str(chat_id)] = ("Forbidden: user is deactivated" if deactivated
                                      else "Forbidden: bot was blocked by the user")

    def texts(self, chat_id: int | str) -> list[str]:
        return [m["text"] for m in self.sent.get(str(chat_id), [])]

    async def push_update(self, update: dict[str, Any]) -> int | None:
        """Queue an update (polling) or deliver it to the webhook; returns the HTTP status."""
        update = {"update_id": self.next_update_id, **update}
        self.next_update_id += 1
        if self.webhook_url is None:
            self.updates.append(update)
            self._new_update.set()
            return None
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if self.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        async with self._session.post(self.webhook_url, data=json.dumps(update), headers=headers) as response:
            self.webhook_responses.append(response.status)
            return response.status

    # --- API ----------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return data if isinstance(data, dict) else {}
        if request.method == "GET":
            return dict(request.query)
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            text = value if isinstance(value, str) else ""
            try:
                params[key] = json.loads(text) if text[:1] in "[{" else text
            except json.JSONDecodeError:
                params[key] = text
        return params

    async def _dispatch(self, request: web.Request) -> web.Response:
        self.requests += 1
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"].lower()
        handler = {
            "getme": self._get_me, "sendmessage": self._send_message, "answercallbackquery": self._answer,
            "getupdates": self._get_updates, "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook, "getwebhookinfo": self._webhook_info,
            "setmycommands": self._true, "close": self._true, "logout": self._true,
        }.get(method)
        if handler is None:
            return _error(404, "Not Found")
        try:
            params = await self._params(request)
        except (json.JSONDecodeError, ValueError):
            return _error(400, "Bad Request: can't parse request")
        return await handler(params)

    async def _true(self, _params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _get_me(self, _params: dict[str, Any]) -> web.Response:
        return _ok({"id": BOT_ID, "is_bot": True, "first_name": "Tabunka", "username": "tabunka_test_bot",
                    "can_join_groups": False, "can_read_all_group_messages": False,
                    "supports_inline_queries": False})

    def _over_rate(self) -> bool:
        if not self.rate_limit_per_second:
            return False
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate_limit_per_second:
            return True
        self._recent.append(now)
        return False

    async def _send_message(self, params: dict[str, Any]) -> web.Response:
        chat_id = str(params.get("chat_id", ""))
        text = str(params.get("text", ""))
        if not chat_id:
            return _error(400, "Bad Request: chat_id is empty")
        fault = self.take_fault([chat_id])
        if fault is not None:
            if fault.status == 429:
                wait = fault.retry_after or 1
                return _error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            return _error(fault.status, "Internal Server Error" if fault.status >= 500 else "Bad Request")
        if self._over_rate():
            return _error(429, "Too Many Requests: retry after 1", retry_after=1)
        if chat_id in self.blocked:
            return _error(403, self.blocked[chat_id])
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            return _error(400, "Bad Request: message is too long")
        message = {"message_id": self.next_message_id, "date": int(time.time()),
                   "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id, "type": "private"},
                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "Tabunka"}, "text": text}
        self.next_message_id += 1
        record = {"text": text}
        if "reply_markup" in params:
            record["reply_markup"] = params["reply_markup"]
        self.sent[chat_id].append(record)
        return _ok(message)

    async def _answer(self, params: dict[str, Any]) -> web.Response:
        self.callback_answers.append(str(params.get("callback_query_id", "")))
        return _ok(True)

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook_url is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active; "
                               "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 30.0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and timeout > 0:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        limit = int(params.get("limit") or 100)
        return _ok([u for u in self.updates if u["update_id"] >= offset][:limit])

    async def _set_webhook(self, params: dict[str, Any]) -> web.Response:
        url = str(params.get("url", ""))
        if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            return _error(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
        self.webhook_url = url or None
        self.webhook_secret = params.get("secret_token") or None
        return _ok(True)

    async def _delete_webhook(self, _params: dict[str, Any]) -> web.Response:
        self.webhook_url = None
        self.webhook_secret = None
        return _ok(True)

    async def _webhook_info(self, _params: dict[str, Any]) -> web.Response:
        return _ok({"url": self.webhook_url or "", "has_custom_certificate": False,
                    "pending_update_count": len(self.updates)})


# --- updates as Telegram sends them -------------------------------------------------------------

def _user(user_id: int, language_code: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
    if language_code:
        user["language_code"] = language_code
    return user


def text_update(user_id: int, text: str, language_code: str | None = None) -> dict[str, Any]:
    return {"message": {"message_id": int(time.time() * 1000) % 10**9, "date": int(time.time()),
                        "chat": {"id": user_id, "type": "private", "first_name": f"User{user_id}"},
                        "from": _user(user_id, language_code), "text": text}}


def command_update(user_id: int, command: str, language_code: str | None = None) -> dict[str, Any]:
    update = text_update(user_id, command, language_code)
    update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.split()[0])}]
    return update


def callback_update(user_id: int, data: str, language_code: str | None = None) -> dict[str, Any]:
    return {"callback_query": {"id": str(int(time.time() * 1e6)), "from": _user(user_id, language_code),
                               "chat_instance": str(user_id * 7), "data": data,
                               "message": {"message_id": 1, "date": int(time.time()),
                                           "chat": {"id": user_id, "type": "private"},
                                           "from": {"id": BOT_ID, "is_bot": True, "first_name": "Tabunka"},
                                           "text": "menu"}}}


def sticker_update(user_id: int) -> dict[str, Any]:
    return {"message": {"message_id": 5, "date": int(time.time()), "chat": {"id": user_id, "type": "private"},
                        "from": _user(user_id, None),
                        "sticker": {"file_id": "CAAD", "file_unique_id": "AgAD", "type": "regular",
                                    "width": 512, "height": 512, "is_animated": False, "is_video": False}}}


def blocked_update(user_id: int) -> dict[str, Any]:
    """my_chat_member: the user blocked the bot."""
    now = int(time.time())
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Tabunka"}
    return {"my_chat_member": {"chat": {"id": user_id, "type": "private"}, "from": _user(user_id, None),
                               "date": now,
                               "old_chat_member": {"status": "member", "user": bot},
                               "new_chat_member": {"status": "kicked", "user": bot, "until_date": 0}}}


def main() -> None:
    parser = argparse.ArgumentParser(description="Telegram Bot API emulator (loopback only)")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--token", default="123456:TEST-telegram-token", help="the bot token it accepts")
    parser.add_argument("--rate-limit", type=float, default=None, help="429 beyond this many messages/s")
    args = parser.parse_args()
    asyncio.run(serve_forever(FakeTelegram(port=args.port, token=args.token,
                                           rate_limit_per_second=args.rate_limit), "Telegram"))


if __name__ == "__main__":
    main()
