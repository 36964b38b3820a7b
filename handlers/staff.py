"""Diagnostics for municipal staff, shared by the CLI and the in-chat staff commands."""

from __future__ import annotations

from phrasebook.matcher import Decision

__all__ = ["explain"]


def explain(decision: Decision, semantic: bool) -> str:
    """What the matcher saw and concluded: language, top hits with scores, decision."""
    g = decision.guess
    lines = [
        f"message:    {decision.text!r}",
        f"normalised: {decision.normalized!r}",
        f"language:   {g.lang or '-'} ({'confident' if g.confident else 'not confident'}, {g.method}; "
        f"candidates {', '.join(g.candidates) or '-'})",
        f"answer in:  {decision.answer_lang}",
        f"semantic:   {'on' if semantic else 'off'}",
        "top hits:",
    ]
    for hit in decision.hits:
        sem = "-" if hit.semantic is None else f"{hit.semantic:.3f}"
        lines.append(f"  {hit.score:.3f}  {hit.entry_id}  lexical {hit.lexical:.3f} semantic {sem}  "
                     f"via [{hit.matched_lang}] {hit.matched!r}")
    lines.append(f"decision:   {decision.action}")
    return "\n".join(lines)
