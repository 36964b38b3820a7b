"""LINE: a signed webhook in, the Messaging API (line-bot-sdk v3, async) out.

Rules, and why:

* The signature (HMAC-SHA256 of the raw body with the channel secret, compared in
  constant time by the SDK's parser) is checked before anything is parsed; a missing
  signature is 400, a wrong one 401, and nothing is processed.
* The webhook answers at once and events are processed in background tasks: LINE
  retries webhooks that answer slowly, and a retried event would be answered twice.
* A reply token is valid for about a minute; replies go out with it when there is time
  left, otherwise (or for the 6th message on) by push.
* ``follow`` subscribes (the profile language is a hint); ``unfollow`` means the user
  blocked the account: unsubscribe. Other events and message types get a polite reply or
  nothing, never an exception.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import (
    FollowEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)

from bot.channels.split import split_text, utf16_units
from bot.metrics import Metrics
from handlers.messages import Incoming
from handlers.replies import Reply

__all__ = ["LineChannel"]

log = logging.getLogger(__name__)

Handle = Callable[[Incoming], Awaitable[list[Reply]]]
MAX_TEXT_UNITS = 5000
MAX_MESSAGES_PER_CALL = 5
LABEL_CHARS = 20
REPLY_TOKEN_SECONDS = 50.0   # LINE says about one minute; keep a margin for the call itself


def _label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


class LineChannel:
    platform = "line"

    def __init__(self, handle: Handle, channel_secret: str, access_token: str, api_base: str,
                 metrics: Metrics) -> None:
        if not channel_secret or not access_token:
            raise ValueError("LINE needs a channel secret and an access token")
        self._handle = handle
        self._parser = WebhookParser(channel_secret)
        self._configuration = Configuration(host=api_base.rstrip("/"), access_token=access_token)
        self._metrics = metrics
        self._client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def api(self) -> AsyncMessagingApi:
        if self._api is None:
            raise RuntimeError("LineChannel.start() has not been called")
        return self._api

    async def start(self) -> None:
        self._client = AsyncApiClient(self._configuration)
        self._api = AsyncMessagingApi(self._client)

    async def stop(self) -> None:
        """Let in-flight events finish, then close the HTTP client."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
            self._client = None
            self._api = None

    async def drain(self) -> None:
        """Wait until every event received so far has been handled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- webhook -----------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        signature = request.headers.get("X-Line-Signature")
        if not signature:
            self._metrics.inc("tabunka_webhook_rejected_total", platform="line", reason="no_signature")
            return web.json_response({"error": "missing X-Line-Signature"}, status=400)
        try:
            events = self._parser.parse(body.decode("utf-8"), signature)
        except InvalidSignatureError:
            self._metrics.inc("tabunka_webhook_rejected_total", platform="line", reason="bad_signature")
            return web.json_response({"error": "invalid signature"}, status=401)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            self._metrics.inc("tabunka_webhook_rejected_total", platform="line", reason="malformed")
            return web.json_response({"error": f"malformed webhook body: {type(exc).__name__}"}, status=400)
        received = time.monotonic()
        for event in events:
            self._metrics.inc("tabunka_messages_in_total", platform="line")
            task = asyncio.create_task(self._process(event, received))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response({})

    async def _process(self, event: Any, received: float) -> None:
        try:
            incoming = await self._incoming(event)
            if incoming is None:
                return
            replies = await self._handle(incoming)
            if replies:
                await self.send(incoming.user_id, replies, getattr(event, "reply_token", None), received)
                self._metrics.observe_latency(time.monotonic() - received)
        except Exception:  # one bad event must not take the others down; it is logged in full
            log.exception("LINE event failed: %s", type(event).__name__)

    async def _incoming(self, event: Any) -> Incoming | None:
        source = getattr(event, "source", None)
        user_id = getattr(source, "user_id", None)
        if not user_id:
            return None  # group and room events: the bot talks to residents one to one
        if isinstance(event, FollowEvent):
            return Incoming("line", user_id, "follow", lang_hint=await self._profile_language(user_id))
        if isinstance(event, UnfollowEvent):
            return Incoming("line", user_id, "unfollow")
        if isinstance(event, PostbackEvent):
            return Incoming("line", user_id, "button", payload=event.postback.data)
        if isinstance(event, MessageEvent):
            if isinstance(event.message, TextMessageContent):
                return Incoming("line", user_id, "text", text=event.message.text)
            return Incoming("line", user_id, "unsupported")
        return None  # unknown, unsend, beacon, ...: nothing to say

    async def _profile_language(self, user_id: str) -> str | None:
        try:
            profile = await self.api.get_profile(user_id)
        except ApiException as exc:
            log.warning("LINE profile of %s unavailable: %s", user_id, exc.status)
            return None
        return getattr(profile, "language", None)

    # --- sending ----------------------------------------------------------------------------------

    def messages(self, replies: list[Reply]) -> list[TextMessage]:
        """Replies as LINE text messages: long texts split, buttons as quick replies."""
        out: list[TextMessage] = []
        for reply in replies:
            pieces = split_text(reply.text, MAX_TEXT_UNITS, utf16_units)
            for i, piece in enumerate(pieces):
                quick = None
                if reply.buttons and i == len(pieces) - 1:
                    quick = QuickReply(items=[
                        QuickReplyItem(action=PostbackAction(label=_label(b.label), data=b.payload,
                                                             display_text=b.label[:300]))
                        for b in reply.buttons])
                out.append(TextMessage(text=piece, quick_reply=quick))
        return out

    async def send(self, user_id: str, replies: list[Reply], reply_token: str | None = None,
                   received: float | None = None) -> None:
        messages = self.messages(replies)
        batches = [messages[i:i + MAX_MESSAGES_PER_CALL] for i in range(0, len(messages), MAX_MESSAGES_PER_CALL)]
        fresh = reply_token and received is not None and time.monotonic() - received < REPLY_TOKEN_SECONDS
        for index, batch in enumerate(batches):
            try:
                if index == 0 and fresh:
                    await self.api.reply_message(ReplyMessageRequest(reply_token=reply_token, messages=batch))
                else:
                    await self.api.push_message(PushMessageRequest(to=user_id, messages=batch))
                self._metrics.inc("tabunka_messages_out_total", amount=len(batch), platform="line")
            except ApiException as exc:
                self._metrics.inc("tabunka_send_errors_total", platform="line", status=str(exc.status))
                log.warning("LINE send to %s failed: %s %s", user_id, exc.status, exc.reason)
                return
