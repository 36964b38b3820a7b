"""An emulator of the LINE Messaging API on 127.0.0.1, and a webhook sender that signs.

Behaves as the bot needs it to, like the real service:
- ``Authorization: Bearer <token>`` required (401 otherwise);
- reply: a reply token is valid once and for 60 s; at most 5 messages per call;
- push / multicast (at most 500 recipients) honour ``X-Line-Retry-Key``: a second
  accepted request with the same key gets 409 and is not delivered again;
- a text message may have at most 5000 UTF-16 units; quick replies at most 13 items,
  labels at most 20 characters;
- profile (with language) and the monthly quota and its consumption;
- ``fail_next(status, count, retry_after)`` makes it answer 429 (with Retry-After) or 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.base import FakeServer, serve_forever

MAX_MESSAGES = 5
MAX_MULTICAST = 500
MAX_TEXT_UNITS = 5000
MAX_QUICK_REPLY = 13
REPLY_TOKEN_TTL = 60.0


def sign(body: bytes, channel_secret: str) -> str:
    """The X-Line-Signature LINE sends: base64 of HMAC-SHA256 of the raw body."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"message": message}, status=status, headers=headers)


@dataclass
class FakeLine(FakeServer):
    access_token: str = "test-line-token"
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    quota: int = 200_000
    usage: int = 0
    reply_tokens: dict[str, tuple[float, str]] = field(default_factory=dict)  # token -> (issued, user)
    retry_keys: dict[str, str] = field(default_factory=dict)
    retry_key_hits: int = 0
    calls: dict[str, int] = field(default_factory=lambda: {"reply": 0, "push": 0, "multicast": 0})
    reply_times: dict[str, float] = field(default_factory=dict)   # reply token -> when accepted (monotonic)
    delay: float = 0.0   # seconds each push/multicast takes, as a slow network would
    _reply_waiters: dict[str, asyncio.Future[float]] = field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth])
        app.router.add_post("/v2/bot/message/reply", self._reply)
        app.router.add_post("/v2/bot/message/push", self._push)
        app.router.add_post("/v2/bot/message/multicast", self._multicast)
        app.router.add_get("/v2/bot/profile/{user_id}", self._profile)
        app.router.add_get("/v2/bot/message/quota", self._quota)
        app.router.add_get("/v2/bot/message/quota/consumption", self._consumption)
        return app

    # --- test helpers ----------------------------------------------------------------------

    def issue_reply_token(self, user_id: str) -> str:
        """A reply token as LINE puts in a webhook event for ``user_id``: once, 60 s."""
        token = uuid.uuid4().hex
        self.reply_tokens[token] = (time.monotonic(), user_id)
        return token

    async def wait_reply(self, token: str, timeout: float = 30.0) -> float:
        """When the reply with ``token`` was accepted (monotonic); waits for it if need be."""
        if token in self.reply_times:
            return self.reply_times[token]
        waiter = self._reply_waiters.setdefault(token, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(waiter, timeout)

    def texts(self, user_id: str) -> list[str]:
        return [m.get("text", "") for m in self.sent.get(user_id, [])]

    # --- API ------------------------------------------------------------------------------------

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_"):
            return await handler(request)
        self.requests += 1
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return _error(401, "Authentication failed. Confirm that the access token in the authorization "
                               "header is valid.")
        return await handler(request)

    async def _json(self, request: web.Request) -> dict[str, Any] | web.Response:
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "The request body has 1 error(s)")
        return data if isinstance(data, dict) else _error(400, "The request body has 1 error(s)")

    def _check_messages(self, messages: Any) -> web.Response | None:
        if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
            return _error(400, f"Size must be between 1 and {MAX_MESSAGES}")
        for message in messages:
            text = message.get("text", "") if isinstance(message, dict) else ""
            if message.get("type") == "text" and len(text.encode("utf-16-le")) // 2 > MAX_TEXT_UNITS:
                return _error(400, f"Length must be between 0 and {MAX_TEXT_UNITS}")
            items = (message.get("quickReply") or {}).get("items", [])
            if len(items) > MAX_QUICK_REPLY:
                return _error(400, f"Size must be between 1 and {MAX_QUICK_REPLY}")
            for item in items:
                if len(item.get("action", {}).get("label", "")) > 20:
                    return _error(400, "Length must be between 0 and 20")
        return None

    def _fault(self, users: list[str]) -> web.Response | None:
        fault = self.take_fault(users)
        if fault is None:
            return None
        if fault.status == 429:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else None
            return _error(429, "The API rate limit has been exceeded. Try again later.", headers)
        return _error(fault.status, "Internal server error" if fault.status >= 500 else "Bad request")

    def _retry_key(self, request: web.Request) -> tuple[str | None, web.Response | None]:
        key = request.headers.get("X-Line-Retry-Key")
        if key is None:
            return None, None
        try:
            uuid.UUID(key)
        except ValueError:
            return None, _error(400, "The retry key must be a UUID")
        if key in self.retry_keys:
            self.retry_key_hits += 1
            return key, _error(409, "The retry key is already accepted",
                               {"x-line-accepted-request-id": self.retry_keys[key]})
        return key, None

    def _deliver(self, users: list[str], messages: list[dict[str, Any]]) -> None:
        for user in users:
            self.sent[user].extend(messages)
        self.usage += len(users)

    async def _reply(self, request: web.Request) -> web.Response:
        data = await self._json(request)
        if isinstance(data, web.Response):
            return data
        self.calls["reply"] += 1
        token = data.get("replyToken")
        issued = self.reply_tokens.pop(token, None) if isinstance(token, str) else None
        if issued is None or time.monotonic() - issued[0] > REPLY_TOKEN_TTL:
            return _error(400, "Invalid reply token")
        problem = self._check_messages(data.get("messages"))
        if problem:
            return problem
        self.sent[issued[1]].extend(data["messages"])
        self.reply_times[token] = time.monotonic()
        waiter = self._reply_waiters.pop(token, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(self.reply_times[token])
        return web.json_response({"sentMessages": [{"id": uuid.uuid4().hex} for _ in data["messages"]]})

    async def _push(self, request: web.Request) -> web.Response:
        return await self._send(request, "push")

    async def _multicast(self, request: web.Request) -> web.Response:
        return await self._send(request, "multicast")

    async def _send(self, request: web.Request, kind: str) -> web.Response:
        """push (``to``: one user) and multicast (``to``: 1-500 users), as LINE checks them."""
        data = await self._json(request)
        if isinstance(data, web.Response):
            return data
        key, conflict = self._retry_key(request)
        if conflict:
            return conflict
        to = data.get("to")
        if kind == "push":
            recipients = [to] if isinstance(to, str) and to else []
            if not recipients:
                return _error(400, "The property, 'to', in the request body is invalid")
        else:
            recipients = to if isinstance(to, list) else []
            if not 1 <= len(recipients) <= MAX_MULTICAST:
                return _error(400, f"Size must be between 1 and {MAX_MULTICAST}")
        fault = self._fault(recipients)
        if fault:
            return fault
        problem = self._check_messages(data.get("messages"))
        if problem:
            return problem
        if self.usage + len(recipients) > self.quota:
            return _error(429, "You have reached your monthly limit.")
        if self.delay:
            await asyncio.sleep(self.delay)
        self.calls[kind] += 1
        request_id = uuid.uuid4().hex
        if key:
            self.retry_keys[key] = request_id
        self._deliver(recipients, data["messages"])
        body = {"sentMessages": [{"id": uuid.uuid4().hex} for _ in data["messages"]]} if kind == "push" else {}
        return web.json_response(body, headers={"x-line-request-id": request_id})

    async def _profile(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user_id"]
        profile = self.profiles.get(user_id)
        if profile is None:
            return _error(404, "Not found")
        return web.json_response({"userId": user_id, "displayName": profile.get("displayName", "user"),
                                  "language": profile.get("language", "en")})

    async def _quota(self, _request: web.Request) -> web.Response:
        return web.json_response({"type": "limited", "value": self.quota})

    async def _consumption(self, _request: web.Request) -> web.Response:
        return web.json_response({"totalUsage": self.usage})


# --- the other direction: LINE calling the bot's webhook --------------------------------------

def webhook_body(*events: dict[str, Any], destination: str = "Udeadbeefdeadbeefdeadbeefdeadbeef") -> bytes:
    return json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False).encode()


def text_event(user_id: str, text: str, reply_token: str, timestamp_ms: int | None = None) -> dict[str, Any]:
    return {"type": "message", "mode": "active", "timestamp": timestamp_ms or int(time.time() * 1000),
            "source": {"type": "user", "userId": user_id}, "webhookEventId": uuid.uuid4().hex.upper()[:26],
            "deliveryContext": {"isRedelivery": False}, "replyToken": reply_token,
            "message": {"id": str(int(time.time() * 1e6)), "type": "text", "quoteToken": uuid.uuid4().hex,
                        "text": text}}


def postback_event(user_id: str, data: str, reply_token: str) -> dict[str, Any]:
    return {"type": "postback", "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user_id}, "webhookEventId": uuid.uuid4().hex.upper()[:26],
            "deliveryContext": {"isRedelivery": False}, "replyToken": reply_token, "postback": {"data": data}}


def follow_event(user_id: str, reply_token: str) -> dict[str, Any]:
    return {"type": "follow", "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user_id}, "webhookEventId": uuid.uuid4().hex.upper()[:26],
            "deliveryContext": {"isRedelivery": False}, "replyToken": reply_token,
            "follow": {"isUnblocked": False}}


def unfollow_event(user_id: str) -> dict[str, Any]:
    return {"type": "unfollow", "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user_id}, "webhookEventId": uuid.uuid4().hex.upper()[:26],
            "deliveryContext": {"isRedelivery": False}}


async def send_webhook(session: aiohttp.ClientSession, url: str, body: bytes, channel_secret: str | None,
                       signature: str | None = None) -> aiohttp.ClientResponse:
    """POST a webhook body as LINE does; sign it unless a signature (or None secret) is given."""
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    elif channel_secret is not None:
        headers["X-Line-Signature"] = sign(body, channel_secret)
    response = await session.post(url, data=body, headers=headers)
    await response.read()
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description="LINE Messaging API emulator (loopback only)")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--token", default="test-line-token", help="the access token it accepts")
    args = parser.parse_args()
    asyncio.run(serve_forever(FakeLine(port=args.port, access_token=args.token), "LINE"))


if __name__ == "__main__":
    main()
