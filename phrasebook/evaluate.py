"""Measure the matcher on labelled questions (``tabunka-bot eval``).

Each line is ``{"text": ..., "lang": ..., "expect": "<id>" | null}``; null means the
question is out of scope and must be declined. Definitions, per language and overall:

* ``top1``: in-scope lines where the bot's first offer is the expected entry: it answers
  with it, or lists it first among suggestions;
* ``top3``: in-scope lines where the expected entry is answered or among the suggestions;
* ``answered``: in-scope lines answered outright with the expected entry;
* ``wrong``: in-scope lines answered outright with a different entry (the costly error:
  a resident reads a confident wrong answer);
* ``decline``: out-of-scope lines that the bot declined.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phrasebook.errors import TabunkaError
from phrasebook.matcher import Decision, Matcher

__all__ = ["EvalLine", "EvalReport", "Scores", "evaluate", "read_eval_file"]


@dataclass(frozen=True)
class EvalLine:
    text: str
    lang: str
    expect: str | None


@dataclass
class Scores:
    n: int = 0
    n_in_scope: int = 0
    n_out_of_scope: int = 0
    top1_hits: int = 0
    top3_hits: int = 0
    answered_hits: int = 0
    wrong_answers: int = 0
    declined_out_of_scope: int = 0

    def add(self, line: EvalLine, decision: Decision) -> None:
        self.n += 1
        offered = [h.entry_id for h in decision.hits] if decision.action != "decline" else []
        if line.expect is None:
            self.n_out_of_scope += 1
            self.declined_out_of_scope += decision.action == "decline"
            return
        self.n_in_scope += 1
        if decision.action == "answer":
            offered = offered[:1]
            if offered == [line.expect]:
                self.answered_hits += 1
            else:
                self.wrong_answers += 1
        self.top1_hits += offered[:1] == [line.expect]
        self.top3_hits += line.expect in offered[:3]

    @staticmethod
    def _ratio(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    def summary(self) -> dict[str, Any]:
        return {
            "top1": self._ratio(self.top1_hits, self.n_in_scope),
            "top3": self._ratio(self.top3_hits, self.n_in_scope),
            "answered": self._ratio(self.answered_hits, self.n_in_scope),
            "wrong": self._ratio(self.wrong_answers, self.n_in_scope),
            "decline": self._ratio(self.declined_out_of_scope, self.n_out_of_scope),
            "n": self.n,
            "n_in_scope": self.n_in_scope,
            "n_out_of_scope": self.n_out_of_scope,
        }


@dataclass
class EvalReport:
    overall: Scores
    by_lang: dict[str, Scores]
    misses: list[tuple[EvalLine, Decision]]

    def as_dict(self) -> dict[str, Any]:
        return {"overall": self.overall.summary(),
                "by_lang": {k: v.summary() for k, v in self.by_lang.items()}}


def read_eval_file(path: Path) -> Iterator[EvalLine]:
    """Parse a JSONL evaluation file; a bad line raises with its number."""
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
                yield EvalLine(text=str(item["text"]), lang=str(item["lang"]),
                               expect=item.get("expect"))
            except (ValueError, KeyError, TypeError) as exc:
                raise TabunkaError(f"{path}:{number}: not an eval line ({exc}); expected "
                                   '{"text": ..., "lang": ..., "expect": "<id>" or null}') from None


def evaluate(matcher: Matcher, lines: Iterable[EvalLine]) -> EvalReport:
    overall = Scores()
    by_lang: dict[str, Scores] = {}
    misses: list[tuple[EvalLine, Decision]] = []
    for line in lines:
        decision = matcher.decide(line.text, line.lang)
        overall.add(line, decision)
        by_lang.setdefault(line.lang, Scores()).add(line, decision)
        correct = (decision.action == "decline") if line.expect is None else (
            decision.action != "decline" and decision.top is not None
            and decision.top.entry_id == line.expect)
        if not correct:
            misses.append((line, decision))
    return EvalReport(overall, dict(sorted(by_lang.items())), misses)


