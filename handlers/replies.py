"""Platform-neutral replies, and how a matcher Decision becomes one.

A :class:`Reply` is text plus buttons; each channel draws the buttons its own way (LINE
quick replies, Telegram inline keyboards, numbered lines in the console). Handlers build
replies only from content and config, never from literal strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from phrasebook.matcher import Decision
from phrasebook.model import Phrasebook
from phrasebook.render import Card, Renderer

__all__ = ["Button", "Reply", "card_reply", "decision_reply", "entry_reply"]

MAX_BUTTONS = 13  # LINE quick replies allow 13; Telegram shows them all


@dataclass(frozen=True)
class Button:
    """A tappable choice: ``label`` is shown, ``payload`` comes back when tapped."""

    label: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """What the bot sends back: text and up to MAX_BUTTONS buttons."""

    text: str
    buttons: tuple[Button, ...] = ()

    def __post_init__(self) -> None:
        if len(self.buttons) > MAX_BUTTONS:
            raise ValueError(f"a reply has at most {MAX_BUTTONS} buttons, got {len(self.buttons)}")


def entry_button(book: Phrasebook, entry_id: str, lang: str) -> Button:
    kind = book.kind_of(entry_id)
    return Button(label=book.title(entry_id, lang), payload=f"{kind}:{entry_id}")


def format_card(card: Card, book: Phrasebook, renderer: Renderer) -> str:
    """A phrase card: the Japanese large and first, with reading, then the resident's text."""
    lines = [renderer.ui(card.lang, "card_intro"), "", card.japanese, f"（{card.reading}）",
             card.romaji]
    if card.lang not in (book.source_language, "ja-easy"):
        lines += ["", f"{book.language_name(card.lang)}: {card.text}"]
    return "\n".join(lines)


def card_reply(book: Phrasebook, renderer: Renderer, card_id: str, lang: str) -> Reply:
    return Reply(text=format_card(renderer.card(card_id, lang), book, renderer))


def entry_reply(book: Phrasebook, renderer: Renderer, entry_id: str, lang: str) -> Reply:
    """The full reply for one entry: an answer with related buttons, or a phrase card."""
    if book.kind_of(entry_id) == "card":
        return card_reply(book, renderer, entry_id, lang)
    entry = book.faq[entry_id]
    buttons = tuple(entry_button(book, rel, lang) for rel in entry.related)[:MAX_BUTTONS]
    text = renderer.answer(entry_id, lang)
    if buttons:
        text = f"{text}\n\n{renderer.ui(lang, 'answer_footer')}"
    return Reply(text=text, buttons=buttons)


def decision_reply(book: Phrasebook, renderer: Renderer, decision: Decision) -> Reply:
    """Answer, suggest the top three as buttons, or decline with the consultation desk."""
    lang = decision.answer_lang
    if decision.action == "answer" and decision.top is not None:
        return entry_reply(book, renderer, decision.top.entry_id, lang)
    if decision.action == "suggest":
        buttons = tuple(entry_button(book, h.entry_id, lang) for h in decision.suggestions)
        return Reply(text=renderer.ui(lang, "suggest"), buttons=buttons)
    return Reply(text=renderer.ui(lang, "decline"),
                 buttons=(Button(book.button(lang, "desk"), "menu:desk"),))
