"""Prepare, preview, enqueue and send a broadcast: the operator's command-line path.

``prepare`` checks the slot values and renders the notice in every language (drill
marking included) before anything is stored; ``enqueue`` writes the broadcast, its texts
and one delivery per recipient in one transaction; ``platform_clients`` opens the SDK
clients the dispatcher sends with.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import AsyncIterator
from dataclasses import dataclass

from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, Configuration
from telegram import Bot

from bot.config import Config
from bot.engine import Engine
from bot.storage import Storage, Target
from phrasebook.model import SEVERITIES
from phrasebook.render import parse_slots

__all__ = ["Prepared", "enqueue", "local_operator", "platform_clients", "prepare"]


@dataclass(frozen=True)
class Prepared:
    template_id: str
    raw_slots: dict[str, str]
    drill: bool
    priority: int
    texts: dict[str, str]


def local_operator() -> str:
    """Who runs the command line: recorded in the audit log."""
    return f"cli:{getpass.getuser()}"


def prepare(engine: Engine, template_id: str, raw_slots: dict[str, str], drill: bool) -> Prepared:
    """Check slots and render every language; raises SlotValueError / UnknownIdError."""
    template = engine.book.template(template_id)
    values = parse_slots(template, raw_slots, engine.book, engine.config.city)
    texts = {lang: engine.renderer.template(template_id, lang, values, drill=drill) for lang in engine.book.languages}
    return Prepared(template_id=template_id, raw_slots=dict(raw_slots), drill=drill,
                    priority=SEVERITIES.index(template.severity), texts=texts)


async def enqueue(storage: Storage, prepared: Prepared, target: Target, actor: str) -> int:
    broadcast_id = await storage.create_broadcast(prepared.template_id, prepared.raw_slots, prepared.drill, target,
                                                  prepared.priority, actor, prepared.texts)
    await storage.audit(actor, "broadcast.create",
                        f"broadcast {broadcast_id} {prepared.template_id}{' (drill)' if prepared.drill else ''} "
                        f"target {target.as_dict()}")
    return broadcast_id


@contextlib.asynccontextmanager
async def platform_clients(config: Config) -> AsyncIterator[tuple[AsyncMessagingApi | None, Bot | None]]:
    """The LINE and Telegram clients of the enabled platforms, closed on exit."""
    line_client = None
    line_api = None
    bot = None
    if config.line.enabled:
        line_client = AsyncApiClient(Configuration(host=config.line.api_base.rstrip("/"),
                                                   access_token=config.line.access_token))
        line_api = AsyncMessagingApi(line_client)
    if config.telegram.enabled:
        bot = Bot(config.telegram.token, base_url=config.telegram.api_base.rstrip("/"))
        await bot.initialize()
    try:
        yield line_api, bot
    finally:
        if line_client is not None:
            await line_client.close()
        if bot is not None:
            await bot.shutdown()
