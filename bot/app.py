"""Wire the parts together once: engine, storage, handlers. No global state."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.engine import Engine, build_engine
from bot.metrics import Metrics
from bot.storage import Storage
from handlers.ratelimit import RateLimiter
from handlers.resident import HandlerSettings, ResidentHandler

__all__ = ["Parts", "open_parts"]


@dataclass
class Parts:
    engine: Engine
    storage: Storage
    resident: ResidentHandler
    metrics: Metrics

    async def close(self) -> None:
        await self.storage.close()


async def open_parts(config: Config, semantic: bool | None = None) -> Parts:
    """Build everything once; a content or config error stops here, before any message."""
    engine = build_engine(config, semantic=semantic, background=True)
    metrics = Metrics()
    storage = await Storage.open(config.database_path)
    settings = HandlerSettings(max_message_chars=config.limits.max_message_chars,
                               staff=config.staff)
    limiter = RateLimiter(config.limits.rate_limit_messages, config.limits.rate_limit_window_seconds)
    resident = ResidentHandler(engine.book, engine.matcher, engine.renderer, config.city, storage,
                               settings, limiter,
                               on_decision=lambda action: metrics.inc("tabunka_decisions_total", action=action))
    return Parts(engine=engine, storage=storage, resident=resident, metrics=metrics)
