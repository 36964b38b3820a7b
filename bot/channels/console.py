"""The console channel: the same handlers in a terminal, with no tokens.

Buttons are printed as numbered lines; typing the number taps the button. This is how
anyone tries the bot on its embedded defaults, and how staff rehearse a conversation.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from handlers.messages import Incoming
from handlers.replies import Button, Reply

__all__ = ["ConsoleChannel"]

Handle = Callable[[Incoming], Awaitable[list[Reply]]]


class ConsoleChannel:
    platform = "console"

    def __init__(self, handle: Handle, user_id: str = "resident", lang_hint: str | None = None,
                 stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self._handle = handle
        self._user_id = user_id
        self._lang_hint = lang_hint
        self._in = stdin or sys.stdin
        self._out = stdout or sys.stdout
        self._buttons: tuple[Button, ...] = ()

    def _print(self, replies: list[Reply]) -> None:
        for reply in replies:
            self._out.write(f"\n{reply.text}\n")
            for number, button in enumerate(reply.buttons, 1):
                self._out.write(f"  [{number}] {button.label}\n")
            if reply.buttons:
                self._buttons = reply.buttons
        self._out.flush()

    def _incoming(self, line: str) -> Incoming:
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self._buttons):
            payload = self._buttons[int(text) - 1].payload
            return Incoming(self.platform, self._user_id, "button", payload=payload, lang_hint=self._lang_hint)
        return Incoming(self.platform, self._user_id, "text", text=text, lang_hint=self._lang_hint)

    async def run(self) -> None:
        """Follow, then read lines until end of input or 'quit'."""
        loop = asyncio.get_running_loop()
        self._print(await self._handle(Incoming(self.platform, self._user_id, "follow",
                                                lang_hint=self._lang_hint)))
        while True:
            self._out.write("\n> ")
            self._out.flush()
            line = await loop.run_in_executor(None, self._in.readline)
            if not line or line.strip().lower() in ("quit", "exit"):
                break
            if not line.strip():
                continue
            self._print(await self._handle(self._incoming(line)))
