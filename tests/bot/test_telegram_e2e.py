"""Telegram end to end: python-telegram-bot against the Bot API emulator."""

from __future__ import annotations

import aiohttp
import pytest

from tests.bot.conftest import TG_SECRET, eventually
from tests.fakes.telegram import blocked_update, callback_update, command_update, sticker_update, text_update


@pytest.fixture
async def telegram(fake_telegram, server_factory):
    server = await server_factory(fake_telegram=fake_telegram, telegram_mode="webhook")
    fake_telegram.webhook_url = f"http://127.0.0.1:{server.port}/webhooks/telegram"
    fake_telegram.webhook_secret = TG_SECRET
    return server


async def test_a_resident_starts_picks_a_language_asks_and_changes_area(telegram, fake_telegram):
    book, renderer = telegram.parts.engine.book, telegram.parts.engine.renderer
    await fake_telegram.push_update(command_update(101, "/start", language_code="pt-br"))
    await eventually(lambda: fake_telegram.texts(101))
    first = fake_telegram.sent["101"][0]
    assert first["text"].startswith(renderer.ui("pt-BR", "greeting"))
    keyboard = first["reply_markup"]["inline_keyboard"]
    assert keyboard[0][0]["callback_data"] == "lang:pt-BR"

    await fake_telegram.push_update(callback_update(101, "lang:es"))
    await eventually(lambda: book.ui("es", "language_set") in fake_telegram.texts(101))
    assert fake_telegram.callback_answers            # the button's spinner was stopped

    await fake_telegram.push_update(text_update(101, "cuando es el dia de la basura"))
    await eventually(lambda: any("garbage-calendar" in t for t in fake_telegram.texts(101)))
    await fake_telegram.push_update(text_update(101, "ゴミの日はいつですか"))
    expected_ja = renderer.answer("garbage.collection_day", "ja")
    await eventually(lambda: expected_ja in fake_telegram.texts(101)[-1])

    await fake_telegram.push_update(callback_update(101, "area:minami"))
    await eventually(lambda: any(renderer.ui("es", "area_set", area="Minami-ku") == t
                                 for t in fake_telegram.texts(101)))
    await fake_telegram.push_update(text_update(101, "stop"))
    await eventually(lambda: fake_telegram.texts(101)[-1] == renderer.ui("es", "notices_stopped"))
    subscriber = await telegram.parts.storage.subscriber("telegram", "101")
    assert (subscriber.language, subscriber.area, subscriber.subscribed) == ("es", "minami", False)


async def test_a_blocked_user_is_unsubscribed_on_403(telegram, fake_telegram):
    await fake_telegram.push_update(command_update(102, "/start"))
    await eventually(lambda: fake_telegram.texts(102))
    fake_telegram.block(102)
    await fake_telegram.push_update(text_update(102, "when is garbage day"))
    storage = telegram.parts.storage
    await eventually(lambda: telegram.metrics.value("tabunka_send_errors_total", platform="telegram",
                                                    status="403") == 1)
    assert (await storage.subscriber("telegram", "102")).blocked


async def test_my_chat_member_kicked_unsubscribes(telegram, fake_telegram):
    await fake_telegram.push_update(command_update(103, "/start"))
    await eventually(lambda: fake_telegram.texts(103))
    await fake_telegram.push_update(blocked_update(103))
    storage = telegram.parts.storage

    async def blocked() -> bool:
        return (await storage.subscriber("telegram", "103")).blocked

    for _ in range(200):
        if await blocked():
            break
        import asyncio
        await asyncio.sleep(0.02)
    assert await blocked()


async def test_a_wrong_secret_token_is_refused(telegram, fake_telegram):
    fake_telegram.webhook_secret = "not-the-secret-token-000"
    assert await fake_telegram.push_update(text_update(104, "hello")) == 403
    fake_telegram.webhook_secret = None
    assert await fake_telegram.push_update(text_update(104, "hello")) == 403
    assert not fake_telegram.texts(104)


async def test_malformed_webhook_bodies_get_400(telegram):
    url = f"http://127.0.0.1:{telegram.port}/webhooks/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    async with aiohttp.ClientSession() as session:
        for body in (b"{oops", b"", b"[]"):
            async with session.post(url, data=body, headers=headers) as response:
                assert response.status == 400, body


async def test_stickers_get_a_polite_reply_and_long_answers_are_split(telegram, fake_telegram):
    book = telegram.parts.engine.book
    await fake_telegram.push_update(sticker_update(105))
    await eventually(lambda: fake_telegram.texts(105) == [book.ui("en", "unsupported_message")])
    from handlers.replies import Reply

    assert await telegram.telegram.send(105, [Reply("A sentence that repeats. " * 400)])
    pieces = fake_telegram.texts(105)[1:]
    assert len(pieces) == 3 and all(len(p) <= 4096 for p in pieces)


async def test_429_is_waited_out_and_the_message_delivered(telegram, fake_telegram):
    from handlers.replies import Reply

    fake_telegram.fail_next(429, retry_after=1, user="106")
    assert await telegram.telegram.send(106, [Reply("after the wait")])
    assert fake_telegram.texts(106) == ["after the wait"]
    assert telegram.metrics.value("tabunka_send_errors_total", platform="telegram", status="429") == 1


async def test_polling_mode_receives_updates(fake_telegram, server_factory):
    server = await server_factory(fake_telegram=fake_telegram, telegram_mode="polling")
    await fake_telegram.push_update(text_update(107, "when is garbage day", language_code="en"))
    await eventually(lambda: any("garbage-calendar" in t for t in fake_telegram.texts(107)))
    assert server.telegram.mode == "polling"
