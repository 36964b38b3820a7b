"""Loopback emulators of the LINE Messaging API and the Telegram Bot API.

They behave like the real services as far as the bot uses them (signatures, size
limits, 429 with retry-after, 403 for blocked users, retry keys), record every message,
and run alone for manual trials and benchmarks:
``python -m tests.fakes.line --port 8101`` / ``python -m tests.fakes.telegram --port 8102``.
"""
