"""The web server: webhooks for LINE and Telegram, /healthz and /metrics.

Routes are declared in one place at start-up; the body size limit is aiohttp's
``client_max_size`` (a larger body gets 413 before any handler runs). The app has named
states and refuses to start twice or to start after stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import signal

from aiohttp import web

from bot.app import Parts, open_parts
from bot.channels.line import LineChannel
from bot.channels.telegram import TelegramChannel
from bot.config import Config
from bot.dispatch import Dispatcher

__all__ = ["BotServer", "ServerState", "serve"]

log = logging.getLogger(__name__)


class ServerState(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    STOPPED = "stopped"


class BotServer:
    """Owns the channels and the aiohttp site; ``start`` once, ``stop`` once."""

    def __init__(self, config: Config, parts: Parts) -> None:
        self.config = config
        self.parts = parts
        self.metrics = parts.metrics
        self.state = ServerState.NEW
        self.line: LineChannel | None = None
        self.telegram: TelegramChannel | None = None
        handle = parts.resident.handle
        if config.line.enabled:
            self.line = LineChannel(handle, config.line.channel_secret, config.line.access_token,
                                    config.line.api_base, self.metrics)
        if config.telegram.enabled:
            tg = config.telegram
            self.telegram = TelegramChannel(handle, tg.token, tg.api_base, self.metrics, mode=tg.mode,
                                            webhook_secret=tg.webhook_secret or None, webhook_url=tg.public_url)
        self.app = self._build_app()
        self._runner: web.AppRunner | None = None
        self._dispatcher_task: asyncio.Task[None] | None = None
        self.port: int = config.server.port

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=self.config.server.max_body_bytes)
        routes = [web.get("/healthz", self._healthz), web.get("/metrics", self._metrics)]
        if self.line is not None:
            routes.append(web.post(self.config.line.webhook_path, self.line.webhook))
        if self.telegram is not None and self.telegram.mode == "webhook":
            routes.append(web.post(self.config.telegram.webhook_path, self.telegram.webhook))
        app.add_routes(routes)
        return app

    async def _healthz(self, _request: web.Request) -> web.Response:
        healthy = self.state is ServerState.RUNNING
        return web.json_response({"status": "ok" if healthy else self.state.value,
                                  "line": self.line is not None, "telegram": self.telegram is not None},
                                 status=200 if healthy else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(text=self.metrics.render(), content_type="text/plain", charset="utf-8")

    async def start(self) -> None:
        if self.state is not ServerState.NEW:
            raise RuntimeError(f"cannot start a server that is {self.state.value}; build a new one")
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.server.host, self.config.server.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        if self.line is not None:
            await self.line.start()
        if self.telegram is not None:
            await self.telegram.start()
        if self.line is not None or self.telegram is not None:
            # The outbox is drained while serving, so a broadcast interrupted by a crash
            # resumes as soon as the bot is back.
            dispatcher = Dispatcher(self.parts.storage, self.config.broadcast,
                                    self.line.api if self.line else None,
                                    self.telegram.app.bot if self.telegram else None)
            self._dispatcher_task = asyncio.create_task(dispatcher.run_forever())
        self.state = ServerState.RUNNING
        log.info("serving on %s:%d (LINE %s, Telegram %s)", self.config.server.host, self.port,
                 "on" if self.line else "off", self.telegram.mode if self.telegram else "off")

    async def stop(self) -> None:
        """Stop taking requests, let in-flight work finish, close the channels."""
        if self.state is not ServerState.RUNNING:
            raise RuntimeError(f"cannot stop a server that is {self.state.value}")
        self.state = ServerState.STOPPED
        if self._dispatcher_task is not None:
            self._dispatcher_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher_task
        if self._runner is not None:
            await self._runner.shutdown()
        if self.line is not None:
            await self.line.stop()
        if self.telegram is not None:
            await self.telegram.stop()
        if self._runner is not None:
            await self._runner.cleanup()


async def serve(config: Config, semantic: bool | None = None) -> None:
    """Run until SIGTERM or SIGINT, then drain and exit cleanly."""
    parts = await open_parts(config, semantic=semantic)
    server = BotServer(config, parts)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"tabunka-bot serving on http://{config.server.host}:{server.port} "
          f"(LINE {'on' if server.line else 'off'}, Telegram "
          f"{server.telegram.mode if server.telegram else 'off'}); Ctrl-C or SIGTERM to stop", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
        await parts.close()
