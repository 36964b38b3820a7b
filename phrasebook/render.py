"""Fill content in: ``{city.*}`` references, interface sentences and disaster templates.

Slot values are parsed and checked once (:func:`parse_slots`), then rendered in each
language (:meth:`Renderer.template`): dates in that language's format, areas and choices
with that language's labels, places in Japanese with a reading, free text as written and
marked as not translated. A value that does not fit its slot type raises
:class:`SlotValueError` saying what was expected, before anything is sent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from phrasebook.city import CityFacts
from phrasebook.errors import RenderError, SlotValueError, UnknownIdError
from phrasebook.loader import PLACEHOLDER
from phrasebook.model import Phrasebook, Slot, Template
from phrasebook.romanize import Romanizer

__all__ = ["Card", "PlaceName", "Renderer", "SlotValue", "parse_slots"]

_PHONE = re.compile(r"^[0-9#*+()\- ]{2,24}$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_JAPANESE_LANGS = ("ja", "ja-easy")


@dataclass(frozen=True)
class PlaceName:
    """A Japanese place name, with readings or translations the operator supplied."""

    ja: str
    translations: Mapping[str, str] = field(default_factory=dict)


SlotValue = str | int | dt.date | dt.datetime | dt.time | tuple[str, ...] | PlaceName | \
    tuple[dt.time, dt.time] | tuple[dt.date, dt.date]


@dataclass(frozen=True)
class Card:
    """A phrase card as shown: Japanese with reading and romaji beside the resident's text."""

    id: str
    japanese: str
    reading: str
    romaji: str
    text: str
    lang: str


def _parse_time(slot: str, raw: str) -> dt.time:
    match = _TIME.match(raw.strip())
    if not match:
        raise SlotValueError(slot, f"'{raw}' is not a time; expected HH:MM, e.g. 14:30")
    return dt.time(int(match.group(1)), int(match.group(2)))


def _parse_date(slot: str, raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise SlotValueError(slot, f"'{raw}' is not a date; expected YYYY-MM-DD, e.g. 2026-09-01") from None


def _split(raw: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,、]", raw) if part.strip()]


def parse_slots(template: Template, raw: Mapping[str, str], book: Phrasebook,
                city: CityFacts) -> dict[str, SlotValue]:
    """Check every slot value against its type; raise on the first that does not fit.

    Also refuses unknown slot names and missing slots, so that a broadcast never goes out
    with a hole in it.
    """
    unknown = sorted(set(raw) - {s.name for s in template.slots})
    if unknown:
        raise SlotValueError(unknown[0], f"template {template.id} has no such slot; slots: "
                             f"{', '.join(s.name for s in template.slots) or 'none'}")
    values: dict[str, SlotValue] = {}
    for slot in template.slots:
        if slot.name not in raw or not str(raw[slot.name]).strip():
            raise SlotValueError(slot.name, f"missing; expected {describe_slot(slot, book, city)}")
        values[slot.name] = parse_slot(slot, str(raw[slot.name]), book, city)
    return values


def describe_slot(slot: Slot, book: Phrasebook, city: CityFacts) -> str:
    """What a slot expects, in words an operator understands."""
    if slot.type == "choice" and slot.choices:
        return "one of: " + ", ".join(book.choice_lists.get(slot.choices, ()))
    if slot.type == "area":
        return ("one or more of: " if slot.multi else "one of: ") + ", ".join(a.id for a in city.areas)
    return {
        "time": "a time HH:MM", "date": "a date YYYY-MM-DD", "datetime": "YYYY-MM-DD HH:MM",
        "time_range": "HH:MM-HH:MM", "date_range": "YYYY-MM-DD..YYYY-MM-DD",
        "number": "a whole number", "place": "a place name in Japanese",
        "languages": "language codes, e.g. en, vi, zh-Hans", "phone": "a phone number",
        "url": "a web address starting with https://", "text": "free text",
    }.get(slot.type, slot.type)


def parse_slot(slot: Slot, raw: str, book: Phrasebook, city: CityFacts) -> SlotValue:
    """One slot value, checked against its type."""
    raw = raw.strip()
    kind = slot.type
    if kind == "time":
        return _parse_time(slot.name, raw)
    if kind == "date":
        return _parse_date(slot.name, raw)
    if kind == "datetime":
        try:
            return dt.datetime.strptime(raw, "%Y-%m-%d %H:%M")
        except ValueError:
            raise SlotValueError(slot.name, f"'{raw}' is not a date and time; expected "
                                 "YYYY-MM-DD HH:MM, e.g. 2026-09-01 18:00") from None
    if kind == "time_range":
        parts = re.split(r"\s*[-–〜~]\s*", raw)
        if len(parts) != 2:
            raise SlotValueError(slot.name, f"'{raw}' is not a time range; expected HH:MM-HH:MM")
        return (_parse_time(slot.name, parts[0]), _parse_time(slot.name, parts[1]))
    if kind == "date_range":
        parts = raw.split("..")
        if len(parts) != 2:
            raise SlotValueError(slot.name, f"'{raw}' is not a date range; expected YYYY-MM-DD..YYYY-MM-DD")
        start, end = _parse_date(slot.name, parts[0]), _parse_date(slot.name, parts[1])
        if end < start:
            raise SlotValueError(slot.name, "the range ends before it starts")
        return (start, end)
    if kind == "number":
        if not re.fullmatch(r"\d{1,9}", raw):
            raise SlotValueError(slot.name, f"'{raw}' is not a whole number")
        return int(raw)
    if kind == "choice":
        allowed = book.choice_lists.get(slot.choices or "", ())
        picked = _split(raw) if slot.multi else [raw]
        for value in picked:
            if value not in allowed:
                raise SlotValueError(slot.name, f"'{value}' is not a choice; expected one of: {', '.join(allowed)}")
        return tuple(picked)
    if kind == "area":
        known = [a.id for a in city.areas]
        picked = _split(raw) if slot.multi else [raw]
        for value in picked:
            if value not in known:
                raise SlotValueError(slot.name, f"unknown area '{value}'; expected "
                                     f"{'one or more' if slot.multi else 'one'} of: {', '.join(known)}")
        return tuple(picked)
    if kind == "languages":
        picked = _split(raw)
        for value in picked:
            if value not in book.languages:
                raise SlotValueError(slot.name, f"unknown language '{value}'; expected codes from: "
                                     f"{', '.join(book.languages)}")
        return tuple(picked)
    if kind == "phone":
        if not _PHONE.match(raw):
            raise SlotValueError(slot.name, f"'{raw}' is not a phone number; expected digits, - + ( ) # *")
        return raw
    if kind == "url":
        if not re.match(r"^https?://\S+$", raw):
            raise SlotValueError(slot.name, f"'{raw}' is not a web address; expected https://...")
        return raw
    if kind == "place":
        return PlaceName(ja=raw)
    if kind == "text":
        return raw
    raise SlotValueError(slot.name, f"unknown slot type '{kind}'")


class Renderer:
    """Renders content for one city. Build once; share."""

    def __init__(self, book: Phrasebook, city: CityFacts, romanizer: Romanizer | None = None) -> None:
        self.book = book
        self.city = city
        self.romanizer = romanizer or Romanizer()

    # --- sentences -------------------------------------------------------------------------

    def fill(self, text: str, lang: str, values: Mapping[str, str] | None = None) -> str:
        """Replace ``{city.key}`` and ``{name}`` placeholders; unknown names are an error."""
        values = values or {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("city."):
                try:
                    return self.city.get(name[5:], lang)
                except KeyError:
                    raise RenderError(f"'{{{name}}}' is not in the config's city block") from None
            if name in values:
                return values[name]
            raise RenderError(f"no value for '{{{name}}}'")

        return PLACEHOLDER.sub(replace, text)

    def ui(self, lang: str, key: str, **values: str) -> str:
        return self.fill(self.book.ui(lang, key), lang, values)

    def answer(self, entry_id: str, lang: str) -> str:
        try:
            entry = self.book.faq[entry_id]
        except KeyError:
            raise UnknownIdError(f"no FAQ entry '{entry_id}'") from None
        return self.fill(entry.texts[lang].answer, lang)

    def card(self, card_id: str, lang: str) -> Card:
        try:
            card = self.book.phrases[card_id]
        except KeyError:
            raise UnknownIdError(f"no phrase card '{card_id}'") from None
        source = self.book.source_language
        return Card(id=card_id, japanese=card.texts[source].text, reading=card.reading,
                    romaji=card.romaji, text=card.texts[lang].text, lang=lang)

    # --- templates ---------------------------------------------------------------------------

    def template(self, template_id: str, lang: str, values: Mapping[str, SlotValue],
                 drill: bool = False) -> str:
        """The notice in ``lang`` with every slot filled; with ``drill``, marked in that language."""
        template = self.book.template(template_id)
        shown = {slot.name: self.format_value(slot, values[slot.name], lang)
                 for slot in template.slots if slot.name in values}
        missing = [s.name for s in template.slots if s.name not in shown]
        if missing:
            raise RenderError(f"template {template_id}: no value for slot(s) {', '.join(missing)}")
        text = self.fill(template.texts[lang].text, lang, shown)
        if drill:
            text = f"{self.ui(lang, 'drill_prefix')}\n{text}\n{self.ui(lang, 'drill_suffix')}"
        return text

    def format_value(self, slot: Slot, value: SlotValue, lang: str) -> str:
        pack = self.book.packs[lang]
        sep = "、" if lang in ("ja", "ja-easy", "zh-Hans", "zh-Hant") else ", "
        kind = slot.type
        if kind == "time" and isinstance(value, dt.time):
            return value.strftime("%H:%M")
        if kind == "date" and isinstance(value, dt.date):
            return self.format_date(value, lang)
        if kind == "datetime" and isinstance(value, dt.datetime):
            return f"{self.format_date(value.date(), lang)} {value.strftime('%H:%M')}"
        if kind == "time_range" and isinstance(value, tuple):
            start, end = value
            return f"{start.strftime('%H:%M')}–{end.strftime('%H:%M')}"  # type: ignore[union-attr]
        if kind == "date_range" and isinstance(value, tuple):
            start, end = value
            return f"{self.format_date(start, lang)} – {self.format_date(end, lang)}"  # type: ignore[arg-type]
        if kind == "choice" and isinstance(value, tuple):
            labels = pack.choices.get(slot.choices or "", {})
            return sep.join(labels.get(str(v), str(v)) for v in value)
        if kind == "area" and isinstance(value, tuple):
            return sep.join(self.city.area(str(v)).name(lang) for v in value)
        if kind == "languages" and isinstance(value, tuple):
            return ", ".join(self.book.language_name(str(v)) for v in value)
        if kind == "place" and isinstance(value, PlaceName):
            return self.format_place(value, lang)
        if kind == "text" and isinstance(value, str):
            if lang in _JAPANESE_LANGS:
                return value
            return f"{value} {self.ui(lang, 'untranslated_mark')}"
        return str(value)

    def format_date(self, value: dt.date, lang: str) -> str:
        formats = self.book.packs[lang].formats
        pattern = str(formats.get("date", "{year}-{month}-{day}"))
        months = list(formats.get("months") or [])  # type: ignore[call-overload]
        weekdays = list(formats.get("weekdays") or [])  # type: ignore[call-overload]
        return pattern.format(
            year=value.year, month=value.month, day=value.day,
            month_name=months[value.month - 1] if len(months) == 12 else value.month,
            weekday=weekdays[value.weekday()] if len(weekdays) == 7 else "",
        ).strip()

    def format_place(self, place: PlaceName, lang: str) -> str:
        if lang in place.translations:
            return f"{place.translations[lang]} ({place.ja})"
        if lang == "ja":
            return place.ja
        if lang == "ja-easy":
            reading = self.romanizer.hiragana(place.ja)
            return place.ja if reading == place.ja else f"{place.ja}（{reading}）"
        return f"{self.romanizer.romaji(place.ja)} ({place.ja})"
