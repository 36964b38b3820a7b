"""The exceptions of the phrasebook engine.

    TabunkaError                  base of every error this project raises on purpose
    ├── ContentError              the content (YAML) is invalid; carries every Problem
    ├── RenderError               a template or sentence cannot be filled in
    │   └── SlotValueError        an operator's slot value does not fit its type
    └── UnknownIdError            an id that the phrasebook does not have

Callers catch by type, never by parsing messages. Each message states what is wrong and
what was expected, so it can be shown to staff as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phrasebook.problems import Problem

__all__ = ["ContentError", "RenderError", "SlotValueError", "TabunkaError", "UnknownIdError"]


class TabunkaError(Exception):
    """Base class of the project's deliberate errors."""


class ContentError(TabunkaError):
    """The phrasebook content has errors; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        lines = "\n".join(str(p) for p in errors[:50])
        more = f"\n... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(
            f"the phrasebook has {len(errors)} error(s); "
            f"run 'tabunka-bot validate' for the full list:\n{lines}{more}"
        )


class RenderError(TabunkaError):
    """A sentence or template could not be filled in."""


class SlotValueError(RenderError):
    """A slot value does not fit the slot's type; the message says what was expected."""

    def __init__(self, slot: str, message: str) -> None:
        super().__init__(f"slot '{slot}': {message}")
        self.slot = slot
        self.reason = message


class UnknownIdError(TabunkaError, KeyError):
    """An entry, card, template or interface id that the phrasebook does not have."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain message
        return str(self.args[0]) if self.args else "unknown id"
