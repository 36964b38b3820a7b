"""LINE end to end: signed webhooks in, the real line-bot-sdk out, to the emulator."""

from __future__ import annotations

import re

import aiohttp
import pytest

from tests.bot.conftest import LINE_SECRET
from tests.fakes.line import (
    follow_event,
    postback_event,
    send_webhook,
    sign,
    text_event,
    unfollow_event,
    webhook_body,
)


@pytest.fixture
async def line(fake_line, server_factory):
    server = await server_factory(fake_line=fake_line)
    url = f"http://127.0.0.1:{server.port}/webhooks/line"
    async with aiohttp.ClientSession() as session:

        async def post(*events, secret=LINE_SECRET, signature=None, body=None):
            payload = body if body is not None else webhook_body(*events)
            response = await send_webhook(session, url, payload, secret, signature)
            await server.line.drain()
            return response

        yield server, post


def quick_replies(message):
    return [item["action"]["data"] for item in (message.get("quickReply") or {}).get("items", [])]


async def test_a_resident_follows_picks_a_language_asks_and_uses_a_card(line, fake_line):
    server, post = line
    fake_line.profiles["U1"] = {"language": "vi"}
    await post(follow_event("U1", fake_line.issue_reply_token("U1")))
    greeting = fake_line.sent["U1"][-1]
    assert greeting["text"].startswith(server.parts.engine.renderer.ui("vi", "greeting"))
    assert quick_replies(greeting)[0] == "lang:vi"          # the profile language comes first
    assert len(quick_replies(greeting)) == 13                # the picker is paged to LINE's limit

    await post(postback_event("U1", "lang:vi", fake_line.issue_reply_token("U1")))
    assert fake_line.sent["U1"][-2]["text"] == server.parts.engine.book.ui("vi", "language_set")

    await post(text_event("U1", "ngày nào vứt rác?", fake_line.issue_reply_token("U1")))
    answer = fake_line.sent["U1"][-1]
    assert "https://example.org/tabunka/garbage-calendar" in answer["text"]
    assert "faq:garbage.sorting" in quick_replies(answer)
    assert server.parts.engine.book.faq["garbage.collection_day"].texts["vi"].answer[:20] in answer["text"]

    await post(text_event("U1", "How do I call an ambulance?", fake_line.issue_reply_token("U1")))
    assert "119" in fake_line.sent["U1"][-1]["text"]
    ambulance = server.parts.engine.book.faq["emergency.ambulance"].texts["en"].answer
    assert ambulance[:20] in fake_line.sent["U1"][-1]["text"]

    await post(text_event("U1", "tôi bị thương", fake_line.issue_reply_token("U1")))
    card = fake_line.sent["U1"][-1]["text"]
    assert server.parts.engine.book.phrases["card.injured"].reading in card
    subscriber = await server.parts.storage.subscriber("line", "U1")
    assert subscriber.language == "vi" and subscriber.subscribed


async def test_area_and_stopping_notices_are_stored(line, fake_line):
    server, post = line
    await post(follow_event("U2", fake_line.issue_reply_token("U2")))
    await post(postback_event("U2", "menu:area", fake_line.issue_reply_token("U2")))
    assert "area:kita" in quick_replies(fake_line.sent["U2"][-1])
    await post(postback_event("U2", "area:kita", fake_line.issue_reply_token("U2")))
    await post(text_event("U2", "stop", fake_line.issue_reply_token("U2")))
    subscriber = await server.parts.storage.subscriber("line", "U2")
    assert subscriber.area == "kita" and not subscriber.subscribed
    await post(unfollow_event("U2"))
    assert (await server.parts.storage.subscriber("line", "U2")).blocked


async def test_bad_and_missing_signatures_are_refused_and_nothing_is_processed(line, fake_line):
    _, post = line
    event = text_event("U3", "hello", fake_line.issue_reply_token("U3"))
    assert (await post(event, signature="AAAA" + sign(b"x", LINE_SECRET)[4:])).status == 401
    assert (await post(event, secret="another-secret")).status == 401
    assert (await post(event, secret=None)).status == 400
    assert fake_line.total_sent() == 0


@pytest.mark.parametrize(("body", "status"), [(b"{not json", 400), (b"", 400), (b'{"events": 5}', 400)])
async def test_malformed_bodies_get_400(line, fake_line, body, status):
    _, post = line
    assert (await post(body=body)).status == status
    assert fake_line.total_sent() == 0


async def test_a_body_over_the_limit_is_refused(line, fake_line):
    _, post = line
    huge = text_event("U4", "あ" * 40000, fake_line.issue_reply_token("U4"))
    assert (await post(huge)).status == 413


async def test_very_long_and_emoji_only_messages_get_a_clear_reply(line, fake_line):
    server, post = line
    book = server.parts.engine.book
    await post(text_event("U5", "x" * 10_000, fake_line.issue_reply_token("U5")))
    assert fake_line.texts("U5")[-1] == book.ui("en", "too_long")
    await post(text_event("U5", "🙏🙏🙏", fake_line.issue_reply_token("U5")))
    assert fake_line.texts("U5")[-1] == book.ui("en", "empty_message")


async def test_every_event_type_is_handled_or_ignored_without_error(line, fake_line, caplog):
    """A webhook body as LINE sends it, with every event type and an unknown one."""
    server, post = line
    base = {"mode": "active", "timestamp": 1700000000000, "webhookEventId": "01H", "deliveryContext":
            {"isRedelivery": False}, "source": {"type": "user", "userId": "U6"}}
    events = [
        text_event("U6", "hello", fake_line.issue_reply_token("U6")),
        {**base, "type": "message", "replyToken": fake_line.issue_reply_token("U6"),
         "message": {"id": "1", "type": "sticker", "packageId": "446", "stickerId": "1988",
                     "stickerResourceType": "STATIC", "quoteToken": "q"}},
        {**base, "type": "message", "replyToken": fake_line.issue_reply_token("U6"),
         "message": {"id": "2", "type": "image", "contentProvider": {"type": "line"}, "quoteToken": "q"}},
        {**base, "type": "message", "replyToken": fake_line.issue_reply_token("U6"),
         "message": {"id": "3", "type": "location", "latitude": 35.0, "longitude": 139.0}},
        {**base, "type": "unsend", "unsend": {"messageId": "1"}},
        {**base, "type": "videoPlayComplete", "replyToken": "r", "videoPlayComplete": {"trackingId": "t"}},
        {**base, "type": "beacon", "replyToken": "r", "beacon": {"hwid": "d41d8cd98f", "type": "enter"}},
        {**base, "type": "accountLink", "replyToken": "r", "link": {"result": "ok", "nonce": "n"}},
        {**base, "type": "join", "replyToken": "r", "source": {"type": "group", "groupId": "G1"}},
        {**base, "type": "somethingLineAddsNextYear", "payload": {"x": 1}},
        postback_event("U6", "lang:th", fake_line.issue_reply_token("U6")),
        follow_event("U7", fake_line.issue_reply_token("U7")),
        unfollow_event("U8"),
    ]
    response = await post(*events)
    assert response.status == 200
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    unsupported = server.parts.engine.book.ui("en", "unsupported_message")
    assert fake_line.texts("U6").count(unsupported) == 3     # sticker, image, location
    assert fake_line.texts("U7")                             # the follow got its greeting
    assert server.parts.metrics.value("tabunka_messages_in_total", platform="line") == len(events)


async def test_a_reply_with_many_long_messages_is_split_and_pushed(line, fake_line):
    server, _ = line
    from handlers.replies import Reply

    long_text = "これは長いお知らせです。" * 600   # 7,200 characters: two LINE messages
    await server.line.send("U9", [Reply(long_text)] * 3, reply_token=fake_line.issue_reply_token("U9"),
                           received=None)
    texts = fake_line.texts("U9")
    assert len(texts) == 6 and "".join(texts[:2]) == long_text
    assert fake_line.calls["push"] == 2   # no fresh reply token: pushed, 5 messages per call


async def test_metrics_and_health(line):
    server, _ = line
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{server.port}/healthz") as response:
            assert response.status == 200 and (await response.json())["status"] == "ok"
        async with session.get(f"http://127.0.0.1:{server.port}/metrics") as response:
            text = await response.text()
    assert "# TYPE tabunka_reply_latency_seconds histogram" in text
    assert re.search(r"^tabunka_reply_latency_seconds_count \d+$", text, re.M)
