"""Channels: the only code that knows a chat platform. One file per platform."""
