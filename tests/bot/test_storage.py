"""Storage: schema migrations by version, WAL, and state that survives a reopen."""

from __future__ import annotations

import aiosqlite
import pytest

from bot.storage import MIGRATIONS, Storage, StorageError
from handlers.ports import QuestionRecord


async def test_a_new_database_is_migrated_to_the_latest_version(tmp_path):
    storage = await Storage.open(tmp_path / "db.sqlite3")
    assert await storage.schema_version() == len(MIGRATIONS)
    async with storage._db.execute("PRAGMA journal_mode") as cursor:
        assert (await cursor.fetchone())[0] == "wal"
    await storage.close()


async def test_subscribers_survive_a_reopen_and_only_given_fields_change(tmp_path):
    path = tmp_path / "db.sqlite3"
    storage = await Storage.open(path)
    await storage.save_subscriber("line", "U1", language="vi", area="kita")
    await storage.save_subscriber("line", "U1", subscribed=False)
    await storage.close()
    storage = await Storage.open(path)
    subscriber = await storage.subscriber("line", "U1")
    assert (subscriber.language, subscriber.area) == ("vi", "kita")
    assert (subscriber.subscribed, subscriber.blocked) == (False, False)
    assert await storage.count_subscribers() == 0
    await storage.close()


async def test_sql_injection_in_values_is_just_text(tmp_path):
    storage = await Storage.open(tmp_path / "db.sqlite3")
    evil = "x'); DROP TABLE subscribers; --"
    await storage.save_subscriber("telegram", evil, language=evil)
    await storage.log_question(QuestionRecord("telegram", evil, evil, None, None, None, "decline"))
    assert (await storage.subscriber("telegram", evil)).language == evil
    assert (await storage.unanswered())[0].text == evil.lower()
    await storage.close()


async def test_a_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "db.sqlite3"
    async with aiosqlite.connect(path) as db:
        await db.execute("PRAGMA user_version = 99")
    with pytest.raises(StorageError, match="schema version 99, newer than this bot knows"):
        await Storage.open(path)
