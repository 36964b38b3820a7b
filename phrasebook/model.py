"""The compiled content: what the YAML files say, as frozen, typed objects.

Everything here is built once at start-up by :mod:`phrasebook.loader` and never changed
afterwards, so handlers can share one Phrasebook between concurrent conversations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from phrasebook.errors import UnknownIdError

__all__ = [
    "SEVERITIES",
    "SLOT_TYPES",
    "CardText",
    "FaqEntry",
    "FaqText",
    "LanguagePack",
    "PhraseCard",
    "Phrasebook",
    "Slot",
    "Template",
    "TemplateText",
]

SLOT_TYPES = frozenset(
    {"time", "date", "datetime", "time_range", "date_range", "place", "area", "number",
     "choice", "languages", "text", "phone", "url"}
)
SEVERITIES = ("info", "advisory", "warning", "emergency")
EntryKind = Literal["faq", "card"]


@dataclass(frozen=True)
class FaqText:
    """One language's wording of a FAQ entry."""

    title: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class FaqEntry:
    """A question residents ask, answered in every language."""

    id: str
    category: str
    related: tuple[str, ...]
    texts: Mapping[str, FaqText]


@dataclass(frozen=True)
class CardText:
    """One language's side of a phrase card, and how residents ask for it."""

    text: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class PhraseCard:
    """A sentence to show Japanese staff: Japanese with reading beside the resident's language."""

    id: str
    category: str
    reading: str
    romaji: str
    texts: Mapping[str, CardText]


@dataclass(frozen=True)
class Slot:
    """A typed hole in a template that the operator fills once for all languages."""

    name: str
    type: str
    choices: str | None = None
    multi: bool = False


@dataclass(frozen=True)
class TemplateText:
    """One language's title and text of a template, with ``{slot}`` placeholders."""

    title: str
    text: str


@dataclass(frozen=True)
class Template:
    """A disaster notice that operators fill in and broadcast."""

    id: str
    category: str
    severity: str
    slots: tuple[Slot, ...]
    buttons: tuple[str, ...]
    texts: Mapping[str, TemplateText]

    def slot(self, name: str) -> Slot:
        for slot in self.slots:
            if slot.name == name:
                return slot
        raise UnknownIdError(f"template {self.id} has no slot '{name}'")


@dataclass(frozen=True)
class LanguagePack:
    """The interface text of one language: sentences, buttons, command words, labels."""

    code: str
    name: str
    ui: Mapping[str, str] = field(default_factory=dict)
    buttons: Mapping[str, str] = field(default_factory=dict)
    commands: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    formats: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Phrasebook:
    """All content, validated. Look-ups raise :class:`UnknownIdError` for unknown ids."""

    languages: tuple[str, ...]
    source_language: str
    faq: Mapping[str, FaqEntry]
    phrases: Mapping[str, PhraseCard]
    templates: Mapping[str, Template]
    choice_lists: Mapping[str, tuple[str, ...]]
    packs: Mapping[str, LanguagePack]

    def language_name(self, lang: str) -> str:
        return self.packs[lang].name if lang in self.packs else lang

    def kind_of(self, entry_id: str) -> EntryKind:
        """Whether an id names a FAQ entry or a phrase card."""
        if entry_id in self.faq:
            return "faq"
        if entry_id in self.phrases:
            return "card"
        raise UnknownIdError(f"no FAQ entry or phrase card has the id '{entry_id}'")

    def title(self, entry_id: str, lang: str) -> str:
        """The button label of a FAQ entry (its title) or a card (its text)."""
        if self.kind_of(entry_id) == "faq":
            return self.faq[entry_id].texts[lang].title
        return self.phrases[entry_id].texts[lang].text

    def ui(self, lang: str, key: str) -> str:
        try:
            return self.packs[lang].ui[key]
        except KeyError:
            raise UnknownIdError(f"no interface sentence '{key}' in language '{lang}'") from None

    def button(self, lang: str, key: str) -> str:
        try:
            return self.packs[lang].buttons[key]
        except KeyError:
            raise UnknownIdError(f"no button '{key}' in language '{lang}'") from None

    def template(self, template_id: str) -> Template:
        try:
            return self.templates[template_id]
        except KeyError:
            raise UnknownIdError(
                f"no template '{template_id}'; known: {', '.join(sorted(self.templates))}"
            ) from None
