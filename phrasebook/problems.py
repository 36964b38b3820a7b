"""One reported content problem, formatted the way staff read it: ``file:line: id [lang]: ...``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Problem", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """A validation finding. Errors stop the bot from starting; warnings do not."""

    file: str
    line: int
    id: str
    lang: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f" [{self.lang}]" if self.lang else ""
        tag = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {tag}{self.id}{where}: {self.message}"
