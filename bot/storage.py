"""Persistent state behind one small async interface: SQLite via aiosqlite.

Why SQLite: a city starts the bot on one machine; an embedded file with WAL (readers never
wait for the writer) and ``synchronous=NORMAL`` holds tens of thousands of subscribers
and their question log with no server to run. The interface is narrow so that a
PostgreSQL implementation can serve multi-node set-ups later.

The schema is created and migrated on open by version number (``PRAGMA user_version``);
each migration runs once, in one transaction. Every statement is parametrised.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from handlers.ports import QuestionRecord, Subscriber, UnansweredQuestion
from phrasebook.errors import TabunkaError

__all__ = ["Storage", "StorageError"]

MIGRATIONS: Sequence[str] = (
    # 1: subscribers, question log, audit log
    """
    CREATE TABLE subscribers (
        platform     TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        language     TEXT,
        area         TEXT,
        subscribed   INTEGER NOT NULL DEFAULT 1,
        blocked      INTEGER NOT NULL DEFAULT 0,
        created_at   REAL NOT NULL,
        updated_at   REAL NOT NULL,
        PRIMARY KEY (platform, user_id)
    );
    CREATE TABLE question_log (
        id           INTEGER PRIMARY KEY,
        at           REAL NOT NULL,
        platform     TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        text         TEXT NOT NULL,
        language     TEXT,
        top_id       TEXT,
        score        REAL,
        action       TEXT NOT NULL
    );
    CREATE INDEX question_log_action_at ON question_log (action, at);
    CREATE TABLE audit_log (
        id           INTEGER PRIMARY KEY,
        at           REAL NOT NULL,
        actor        TEXT NOT NULL,
        action       TEXT NOT NULL,
        detail       TEXT NOT NULL DEFAULT ''
    );
    """,
)


class StorageError(TabunkaError):
    """The database cannot be used (wrong file, newer schema than this code knows)."""


_UNSET = object()


class Storage:
    """Open with :meth:`open`; one instance per process, shared by every handler."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path

    @classmethod
    async def open(cls, path: Path) -> Storage:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        storage = cls(db, path)
        try:
            await storage._migrate()
        except BaseException:
            await db.close()
            raise
        return storage

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise StorageError(f"{self.path} has schema version {version}, newer than this bot knows "
                               f"({len(MIGRATIONS)}); upgrade tabunka-bot or use another data_dir")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, script.split(";")):
                    await self._db.execute(statement)
                await self._db.execute(f"PRAGMA user_version = {int(number)}")
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # --- subscribers ------------------------------------------------------------------------

    async def subscriber(self, platform: str, user_id: str) -> Subscriber | None:
        async with self._db.execute(
                "SELECT platform, user_id, language, area, subscribed, blocked FROM subscribers "
                "WHERE platform = ? AND user_id = ?", (platform, user_id)) as cursor:
            row = await cursor.fetchone()
        return _subscriber(row) if row else None

    async def save_subscriber(self, platform: str, user_id: str, *, language: object = _UNSET,
                              area: object = _UNSET, subscribed: bool | None = None,
                              blocked: bool | None = None) -> Subscriber:
        """Create or update; only the fields given change. Returns the stored row."""
        now = time.time()
        await self._db.execute(
            "INSERT INTO subscribers (platform, user_id, created_at, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (platform, user_id) DO NOTHING", (platform, user_id, now, now))
        changes: dict[str, object] = {}
        if language is not _UNSET:
            changes["language"] = language
        if area is not _UNSET:
            changes["area"] = area
        if subscribed is not None:
            changes["subscribed"] = int(subscribed)
        if blocked is not None:
            changes["blocked"] = int(blocked)
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)  # column names are ours
            await self._db.execute(
                f"UPDATE subscribers SET {assignments}, updated_at = ? WHERE platform = ? AND user_id = ?",
                (*changes.values(), now, platform, user_id))
        stored = await self.subscriber(platform, user_id)
        assert stored is not None
        return stored

    async def count_subscribers(self, platform: str | None = None) -> int:
        query = "SELECT COUNT(*) FROM subscribers WHERE subscribed = 1 AND blocked = 0"
        params: tuple[str, ...] = ()
        if platform:
            query += " AND platform = ?"
            params = (platform,)
        async with self._db.execute(query, params) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # --- question log -------------------------------------------------------------------------

    async def log_question(self, record: QuestionRecord) -> None:
        await self._db.execute(
            "INSERT INTO question_log (at, platform, user_id, text, language, top_id, score, action) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time(), record.platform, record.user_id, record.text[:1000], record.language,
             record.top_id, record.score, record.action))

    async def unanswered(self, days: int = 30, limit: int = 20) -> list[UnansweredQuestion]:
        """The most frequent declined questions of the last ``days`` days."""
        since = (dt.datetime.now() - dt.timedelta(days=days)).timestamp()
        async with self._db.execute(
                "SELECT lower(trim(text)) AS q, COUNT(*) AS n, MAX(language) AS lang FROM question_log "
                "WHERE action = 'decline' AND at >= ? GROUP BY q ORDER BY n DESC, q LIMIT ?",
                (since, limit)) as cursor:
            rows = await cursor.fetchall()
        return [UnansweredQuestion(text=row["q"], count=int(row["n"]), language=row["lang"]) for row in rows]

    # --- audit log ------------------------------------------------------------------------------

    async def audit(self, actor: str, action: str, detail: str = "") -> None:
        await self._db.execute("INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
                               (time.time(), actor, action, detail))

    async def audit_entries(self, limit: int = 50) -> list[tuple[str, str, str]]:
        async with self._db.execute(
                "SELECT actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)) as cursor:
            rows = await cursor.fetchall()
        return [(row["actor"], row["action"], row["detail"]) for row in rows]


def _subscriber(row: aiosqlite.Row) -> Subscriber:
    return Subscriber(platform=row["platform"], user_id=row["user_id"], language=row["language"],
                      area=row["area"], subscribed=bool(row["subscribed"]), blocked=bool(row["blocked"]))
