"""Persistent state behind one small async interface: SQLite via aiosqlite.

Why SQLite: a city starts the bot on one machine; an embedded file with WAL (readers never
wait for the writer) and ``synchronous=NORMAL`` holds tens of thousands of subscribers
and their question log with no server to run. The interface is narrow so that a
PostgreSQL implementation can serve multi-node set-ups later.

The schema is created and migrated on open by version number (``PRAGMA user_version``);
each migration runs once, in one transaction. Every statement is parametrised.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from handlers.ports import QuestionRecord, Subscriber, UnansweredQuestion
from phrasebook.errors import TabunkaError

__all__ = ["Delivery", "LineBatch", "Storage", "StorageError", "Target"]

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
    # 2: broadcasts as an outbox: one delivery row per recipient, texts stored once
    """
    CREATE TABLE broadcasts (
        id           INTEGER PRIMARY KEY,
        template_id  TEXT NOT NULL,
        slots        TEXT NOT NULL,
        drill        INTEGER NOT NULL,
        target       TEXT NOT NULL,
        priority     INTEGER NOT NULL,
        status       TEXT NOT NULL,
        created_by   TEXT NOT NULL,
        created_at   REAL NOT NULL,
        finished_at  REAL
    );
    CREATE TABLE broadcast_texts (
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
        language     TEXT NOT NULL,
        text         TEXT NOT NULL,
        PRIMARY KEY (broadcast_id, language)
    );
    CREATE TABLE deliveries (
        id           INTEGER PRIMARY KEY,
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
        platform     TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        language     TEXT NOT NULL,
        status       TEXT NOT NULL DEFAULT 'pending',
        attempts     INTEGER NOT NULL DEFAULT 0,
        batch_key    TEXT,
        not_before   REAL NOT NULL DEFAULT 0,
        error        TEXT,
        UNIQUE (broadcast_id, platform, user_id)
    );
    CREATE INDEX deliveries_queue ON deliveries (platform, status, broadcast_id, language, id);
    CREATE INDEX deliveries_batch ON deliveries (batch_key)
    """,
)


class StorageError(TabunkaError):
    """The database cannot be used (wrong file, newer schema than this code knows)."""


_UNSET = object()
BROADCAST_PLATFORMS = ("line", "telegram")


class Storage:
    """Open with :meth:`open`; one instance per process, shared by every handler."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        # One connection is shared by every coroutine: a transaction must not interleave
        # with another coroutine's writes, so all writes take this lock.
        self._write_lock = asyncio.Lock()
        self._questions: list[tuple[object, ...]] = []
        self._flush_handle: asyncio.TimerHandle | None = None

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _write(self, sql: str, params: Sequence[object] = ()) -> aiosqlite.Cursor:
        async with self._write_lock:
            return await self._db.execute(sql, params)

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
        await self.flush_questions()
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise StorageError(f"{self.path} has schema version {version}, newer than this bot knows "
                               f"({len(MIGRATIONS)}); upgrade tabunka-bot or use another data_dir")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            async with self._transaction():
                for statement in filter(str.strip, script.split(";")):
                    await self._db.execute(statement)
                await self._db.execute(f"PRAGMA user_version = {int(number)}")

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
        changes: dict[str, object] = {}
        if language is not _UNSET:
            changes["language"] = language
        if area is not _UNSET:
            changes["area"] = area
        if subscribed is not None:
            changes["subscribed"] = int(subscribed)
        if blocked is not None:
            changes["blocked"] = int(blocked)
        # One statement (an upsert returning the row): one round trip to the database thread.
        columns = ["platform", "user_id", "created_at", "updated_at", *changes]
        updates = ", ".join(f"{column} = excluded.{column}" for column in ("updated_at", *changes))
        async with self._write_lock, self._db.execute(
                f"INSERT INTO subscribers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                f"ON CONFLICT (platform, user_id) DO UPDATE SET {updates} "
                "RETURNING platform, user_id, language, area, subscribed, blocked",
                (platform, user_id, now, now, *changes.values())) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return _subscriber(row)

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
        """Buffered: written every second or every 100 questions, in one statement.

        The question log is for staff, not for residents' safety; batching it keeps one
        database round trip off every message. At most a second of log is lost in a crash.
        """
        self._questions.append((time.time(), record.platform, record.user_id, record.text[:1000], record.language,
                                record.top_id, record.score, record.action))
        if len(self._questions) >= 100:
            await self.flush_questions()
        elif self._flush_handle is None:
            loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_later(1.0, lambda: loop.create_task(self.flush_questions()))

    async def flush_questions(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        rows, self._questions = self._questions, []
        if rows:
            async with self._write_lock:
                await self._db.executemany(
                    "INSERT INTO question_log (at, platform, user_id, text, language, top_id, score, action) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    async def unanswered(self, days: int = 30, limit: int = 20) -> list[UnansweredQuestion]:
        """The most frequent declined questions of the last ``days`` days."""
        await self.flush_questions()
        since = (dt.datetime.now() - dt.timedelta(days=days)).timestamp()
        async with self._db.execute(
                "SELECT lower(trim(text)) AS q, COUNT(*) AS n, MAX(language) AS lang FROM question_log "
                "WHERE action = 'decline' AND at >= ? GROUP BY q ORDER BY n DESC, q LIMIT ?",
                (since, limit)) as cursor:
            rows = await cursor.fetchall()
        return [UnansweredQuestion(text=row["q"], count=int(row["n"]), language=row["lang"]) for row in rows]

    # --- audit log ------------------------------------------------------------------------------

    async def audit(self, actor: str, action: str, detail: str = "") -> None:
        await self._write("INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
                               (time.time(), actor, action, detail))

    async def audit_entries(self, limit: int = 50) -> list[tuple[str, str, str]]:
        async with self._db.execute(
                "SELECT actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)) as cursor:
            rows = await cursor.fetchall()
        return [(row["actor"], row["action"], row["detail"]) for row in rows]


    # --- broadcasts (the outbox) -------------------------------------------------------------

    @staticmethod
    def _target_sql(target: Target) -> tuple[str, list[object]]:
        """WHERE clause over subscribers for a target; residents with no area get every area's notices."""
        clauses = ["subscribed = 1", "blocked = 0"]
        params: list[object] = []
        platforms = target.platforms or BROADCAST_PLATFORMS   # the console has no one to notify
        for column, values in (("platform", platforms), ("language", target.languages)):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        if target.areas:
            clauses.append(f"(area IS NULL OR area IN ({', '.join('?' * len(target.areas))}))")
            params.extend(target.areas)
        return " AND ".join(clauses), params

    async def recipients(self, target: Target) -> dict[tuple[str, str], int]:
        """How many subscribers a target reaches, by (platform, language)."""
        where, params = self._target_sql(target)
        async with self._db.execute(
                f"SELECT platform, COALESCE(language, 'en') AS lang, COUNT(*) AS n FROM subscribers "
                f"WHERE {where} GROUP BY platform, lang", params) as cursor:
            rows = await cursor.fetchall()
        return {(row["platform"], row["lang"]): int(row["n"]) for row in rows}

    async def create_broadcast(self, template_id: str, slots: dict[str, str], drill: bool, target: Target,
                               priority: int, created_by: str, texts: dict[str, str]) -> int:
        """The broadcast, its text per language and one delivery per recipient: one transaction."""
        where, params = self._target_sql(target)
        async with self._transaction():
            cursor = await self._db.execute(
                "INSERT INTO broadcasts (template_id, slots, drill, target, priority, status, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'sending', ?, ?)",
                (template_id, json.dumps(slots, ensure_ascii=False), int(drill), json.dumps(target.as_dict()),
                 priority, created_by, time.time()))
            broadcast_id = int(cursor.lastrowid or 0)
            await self._db.executemany(
                "INSERT INTO broadcast_texts (broadcast_id, language, text) VALUES (?, ?, ?)",
                [(broadcast_id, lang, text) for lang, text in texts.items()])
            await self._db.execute(
                "INSERT INTO deliveries (broadcast_id, platform, user_id, language) "
                f"SELECT ?, platform, user_id, COALESCE(language, 'en') FROM subscribers WHERE {where}",
                [broadcast_id, *params])
        return broadcast_id

    async def broadcast_text(self, broadcast_id: int, language: str) -> str:
        async with self._db.execute(
                "SELECT text FROM broadcast_texts WHERE broadcast_id = ? AND language IN (?, 'en') "
                "ORDER BY language = ? DESC LIMIT 1", (broadcast_id, language, language)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise StorageError(f"broadcast {broadcast_id} has no text for {language}")
        return str(row["text"])

    async def claim_line_batch(self, size: int, busy: set[str] | frozenset[str] = frozenset()) -> LineBatch | None:
        """A due batch already in flight (left by a crash, or waiting to retry) that no worker
        in ``busy`` is sending, or else up to ``size`` pending LINE recipients of one broadcast
        and language, marked in flight under a new retry key *before* any call is made."""
        now = time.time()
        skip = sorted(busy)
        async with self._db.execute(
                "SELECT batch_key, broadcast_id, language FROM deliveries WHERE platform = 'line' "
                f"AND status = 'inflight' AND not_before <= ? AND batch_key NOT IN ({', '.join('?' * len(skip))}) "
                "LIMIT 1", (now, *skip)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            async with self._transaction():
                async with self._db.execute(
                        "SELECT d.broadcast_id, d.language FROM deliveries d "
                        "JOIN broadcasts b ON b.id = d.broadcast_id "
                        "WHERE d.platform = 'line' AND d.status = 'pending' AND d.not_before <= ? "
                        "ORDER BY b.priority DESC, d.broadcast_id, d.language, d.id LIMIT 1", (now,)) as cursor:
                        first = await cursor.fetchone()
                if first is None:
                    return None
                key = str(uuid.uuid4())
                await self._db.execute(
                    "UPDATE deliveries SET status = 'inflight', batch_key = ? WHERE id IN ("
                    "SELECT id FROM deliveries WHERE platform = 'line' AND status = 'pending' AND broadcast_id = ? "
                    "AND language = ? AND not_before <= ? ORDER BY id LIMIT ?)",
                    (key, first["broadcast_id"], first["language"], now, size))
            broadcast_id, language = int(first["broadcast_id"]), str(first["language"])
        else:
            key, broadcast_id, language = str(row["batch_key"]), int(row["broadcast_id"]), str(row["language"])
        async with self._db.execute("SELECT user_id FROM deliveries WHERE batch_key = ? AND status = 'inflight'",
                                    (key,)) as cursor:
            users = [str(r["user_id"]) for r in await cursor.fetchall()]
        return LineBatch(key=key, broadcast_id=broadcast_id, language=language, user_ids=tuple(users),
                         text=await self.broadcast_text(broadcast_id, language))

    async def finish_line_batch(self, key: str, status: str, error: str | None = None) -> None:
        await self._write("UPDATE deliveries SET status = ?, error = ?, attempts = attempts + 1 "
                               "WHERE batch_key = ? AND status = 'inflight'", (status, error, key))

    async def retry_line_batch(self, key: str, delay: float, max_attempts: int, error: str) -> bool:
        """Keep the batch (and its retry key) for a later attempt; False once attempts run out."""
        await self._write(
            "UPDATE deliveries SET attempts = attempts + 1, not_before = ?, error = ? "
            "WHERE batch_key = ? AND status = 'inflight'", (time.time() + delay, error, key))
        async with self._db.execute("SELECT MAX(attempts) FROM deliveries WHERE batch_key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0] is not None and int(row[0]) >= max_attempts:
            await self.finish_line_batch(key, "failed", error)
            return False
        return True

    async def pending_deliveries(self, platform: str, after_id: int, limit: int) -> list[Delivery]:
        """The next page of pending deliveries, most urgent broadcast first (streamed, not loaded whole)."""
        async with self._db.execute(
                "SELECT d.id, d.broadcast_id, d.user_id, d.language, d.attempts FROM deliveries d "
                "JOIN broadcasts b ON b.id = d.broadcast_id WHERE d.platform = ? AND d.status = 'pending' "
                "AND d.not_before <= ? AND d.id > ? ORDER BY b.priority DESC, d.id LIMIT ?",
                (platform, time.time(), after_id, limit)) as cursor:
            rows = await cursor.fetchall()
        return [Delivery(int(r["id"]), int(r["broadcast_id"]), str(r["user_id"]), str(r["language"]),
                         int(r["attempts"])) for r in rows]

    async def mark_delivery(self, delivery_id: int, status: str, error: str | None = None) -> None:
        await self._write("UPDATE deliveries SET status = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
                               (status, error, delivery_id))

    async def retry_delivery(self, delivery_id: int, delay: float, error: str) -> None:
        await self._write("UPDATE deliveries SET attempts = attempts + 1, not_before = ?, error = ? WHERE id = ?",
                               (time.time() + delay, error, delivery_id))

    async def unfinished_deliveries(self) -> int:
        async with self._db.execute(
                "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'inflight')") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def cancel_broadcast(self, broadcast_id: int, actor: str) -> int:
        """Stop what has not been sent; returns how many deliveries were cancelled."""
        cursor = await self._write(
            "UPDATE deliveries SET status = 'cancelled' WHERE broadcast_id = ? AND status = 'pending'", (broadcast_id,))
        await self._write("UPDATE broadcasts SET status = 'cancelled', finished_at = ? WHERE id = ?",
                               (time.time(), broadcast_id))
        await self.audit(actor, "broadcast.cancel", f"broadcast {broadcast_id}")
        return int(cursor.rowcount or 0)

    async def broadcast_counts(self, broadcast_id: int) -> dict[tuple[str, str], int]:
        """Deliveries of a broadcast by (platform, status)."""
        async with self._db.execute(
                "SELECT platform, status, COUNT(*) AS n FROM deliveries WHERE broadcast_id = ? "
                "GROUP BY platform, status", (broadcast_id,)) as cursor:
            rows = await cursor.fetchall()
        return {(r["platform"], r["status"]): int(r["n"]) for r in rows}

    async def broadcasts(self, limit: int = 20) -> list[tuple[int, str, str, int, str]]:
        """Recent broadcasts: (id, template, status, drill, created_by)."""
        async with self._db.execute(
                "SELECT id, template_id, status, drill, created_by FROM broadcasts ORDER BY id DESC LIMIT ?",
                (limit,)) as cursor:
            rows = await cursor.fetchall()
        return [(int(r["id"]), r["template_id"], r["status"], int(r["drill"]), r["created_by"]) for r in rows]

    async def close_finished_broadcasts(self) -> None:
        await self._write(
            "UPDATE broadcasts SET status = 'done', finished_at = ? WHERE status = 'sending' AND NOT EXISTS ("
            "SELECT 1 FROM deliveries d WHERE d.broadcast_id = broadcasts.id AND d.status IN ('pending', 'inflight'))",
            (time.time(),))

    async def mark_blocked(self, platform: str, user_id: str) -> None:
        await self.save_subscriber(platform, user_id, blocked=True, subscribed=False)


@dataclass(frozen=True)
class Target:
    """Who a broadcast goes to; empty means everyone."""

    areas: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        return {"areas": list(self.areas), "languages": list(self.languages), "platforms": list(self.platforms)}


@dataclass(frozen=True)
class LineBatch:
    """Up to 500 LINE recipients of one broadcast and language, sent under one retry key."""

    key: str
    broadcast_id: int
    language: str
    user_ids: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Delivery:
    id: int
    broadcast_id: int
    user_id: str
    language: str
    attempts: int


def _subscriber(row: aiosqlite.Row) -> Subscriber:
    return Subscriber(platform=row["platform"], user_id=row["user_id"], language=row["language"],
                      area=row["area"], subscribed=bool(row["subscribed"]), blocked=bool(row["blocked"]))
