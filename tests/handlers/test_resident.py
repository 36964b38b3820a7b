"""The resident handler on the shipped content, with a real SQLite store."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.app import open_parts
from bot.config import load_config
from handlers.messages import Incoming, resolve_language_hint


@pytest.fixture
async def parts(tmp_path: Path):
    config = load_config()
    config = dataclasses.replace(
        config, storage=dataclasses.replace(config.storage, data_dir=tmp_path),
        matching=dataclasses.replace(config.matching, semantic=False),
        limits=dataclasses.replace(config.limits, rate_limit_messages=5),
        staff=frozenset({"console:staff"}))
    built = await open_parts(config)
    yield built
    await built.close()


def text(user: str, words: str, platform: str = "console") -> Incoming:
    return Incoming(platform, user, "text", text=words)


async def test_a_flood_gets_one_notice_then_silence(parts):
    handle = parts.resident.handle
    for _ in range(5):
        assert await handle(text("flooder", "gomi"))
    notice = await handle(text("flooder", "gomi"))
    assert notice[0].text == parts.engine.book.ui("en", "rate_limited")
    assert await handle(text("flooder", "gomi")) == []


async def test_questions_are_logged_and_staff_see_the_unanswered(parts):
    handle = parts.resident.handle
    for _ in range(2):
        await handle(text("r1", "who won the baseball game yesterday"))
    await handle(text("r1", "when is garbage day"))
    report = await handle(text("staff", "/unanswered 7"))
    assert "unanswered, last 7 days: 1" in report[0].text
    assert "2  [en] who won the baseball game yesterday" in report[0].text


async def test_staff_test_command_explains_and_residents_cannot_use_it(parts):
    handle = parts.resident.handle
    explained = (await handle(text("staff", "/test ゴミの日")))[0].text
    assert "decision:" in explained and "garbage.collection_day" in explained
    resident = (await handle(text("someone", "/test ゴミの日")))[0].text
    assert "decision:" not in resident


async def test_forged_or_stale_buttons_show_the_menu(parts):
    replies = await parts.resident.handle(Incoming("console", "r2", "button", payload="faq:no.such.entry"))
    assert replies[0].text == parts.engine.renderer.ui("en", "menu")


async def test_command_words_work_in_every_language(parts):
    book = parts.engine.book
    for lang, pack in book.packs.items():
        word = pack.commands["help"][0]
        replies = await parts.resident.handle(text(f"u-{lang}", word))
        assert replies[0].text in {parts.engine.renderer.ui(code, "help") for code in book.languages}, (lang, word)


async def test_the_language_picker_pages_through_all_sixteen(parts):
    first = (await parts.resident.handle(Incoming("console", "r3", "button", payload="menu:language")))[0]
    assert len(first.buttons) == 13 and first.buttons[-1].payload == "langs:1"
    second = (await parts.resident.handle(Incoming("console", "r3", "button", payload="langs:1")))[0]
    codes = {b.payload for b in first.buttons[:-1] + second.buttons[:-1]}
    assert codes == {f"lang:{code}" for code in parts.engine.book.languages}


@pytest.mark.parametrize(("hint", "expected"), [
    ("pt-br", "pt-BR"), ("zh-TW", "zh-Hant"), ("zh", "zh-Hans"), ("fil", "tl"), ("en-US", "en"),
    ("vi", "vi"), ("fr", None), (None, None), ("ja_JP", "ja"),
])
def test_platform_language_hints(hint, expected):
    languages = ("ja", "ja-easy", "en", "zh-Hans", "zh-Hant", "ko", "vi", "pt-BR", "es", "tl", "id")
    assert resolve_language_hint(hint, languages) == expected


async def test_a_returning_resident_keeps_their_language(parts):
    handle = parts.resident.handle
    await handle(Incoming("telegram", "55", "follow", lang_hint="en"))
    await handle(Incoming("telegram", "55", "button", payload="lang:ne"))
    await handle(Incoming("telegram", "55", "unfollow"))
    assert (await parts.storage.subscriber("telegram", "55")).blocked
    greeting = (await handle(Incoming("telegram", "55", "follow", lang_hint=None)))[0]
    subscriber = await parts.storage.subscriber("telegram", "55")
    assert (subscriber.language, subscriber.blocked, subscriber.subscribed) == ("ne", False, True)
    assert greeting.text.startswith(parts.engine.renderer.ui("ne", "greeting"))
