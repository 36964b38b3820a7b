"""What both emulators share: an aiohttp server on 127.0.0.1 and fault injection."""

from __future__ import annotations

import asyncio
import signal
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

LOOPBACK = "127.0.0.1"


@dataclass
class Fault:
    """Answer the next ``count`` matching requests with ``status`` (and Retry-After)."""

    status: int
    count: int = 1
    retry_after: int | None = None
    user: str | None = None   # only requests to this user/chat


@dataclass
class FakeServer:
    """Base: start/stop on a free loopback port; ``sent`` records messages per recipient."""

    host: str = LOOPBACK
    port: int = 0
    sent: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    faults: list[Fault] = field(default_factory=list)
    requests: int = 0
    _runner: web.AppRunner | None = None

    def app(self) -> web.Application:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> FakeServer:
        if self.host not in (LOOPBACK, "localhost", "::1"):
            raise ValueError("emulators listen on loopback only")
        app = self.app()
        app.router.add_get("/_sent", self._sent_handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _sent_handler(self, _request: web.Request) -> web.Response:
        return web.json_response({k: v for k, v in self.sent.items()})

    def fail_next(self, status: int, count: int = 1, retry_after: int | None = None,
                  user: str | None = None) -> None:
        self.faults.append(Fault(status, count, retry_after, user))

    def take_fault(self, users: list[str]) -> Fault | None:
        for fault in self.faults:
            if fault.count > 0 and (fault.user is None or fault.user in users):
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def total_sent(self) -> int:
        return sum(len(v) for v in self.sent.values())


async def serve_forever(server: FakeServer, name: str) -> None:
    await server.start()
    print(f"{name} emulator at {server.base_url} (GET {server.base_url}/_sent shows what it recorded)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
