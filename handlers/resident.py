"""The resident conversation: first contact, language, questions, cards, menu, settings.

One :meth:`ResidentHandler.handle` call per incoming message, returning the replies to
send. The handler is platform-neutral and stateless between calls: what it must remember
about a resident (language, area, notices on or off) lives in the store.

Button payloads are short strings a channel hands back untouched:
``lang:<code>``, ``langs:<page>``, ``area:<id>``, ``faq:<id>``, ``card:<id>``,
``cards:<page>``, ``menu:<item>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.messages import Incoming, resolve_language_hint
from handlers.ports import QuestionRecord, ResidentStore, Subscriber
from handlers.ratelimit import RateLimiter
from handlers.replies import MAX_BUTTONS, Button, Reply, decision_reply, entry_button, entry_reply
from handlers.staff import explain
from phrasebook.city import CityFacts
from phrasebook.matcher import Matcher
from phrasebook.model import Phrasebook
from phrasebook.normalize import normalize
from phrasebook.render import Renderer

__all__ = ["HandlerSettings", "ResidentHandler"]

_MENU_ITEMS = ("language", "area", "cards", "stop", "resume", "help", "desk")
_GREETING_LANGUAGES = ("ja-easy", "en")  # always greet in these too: most residents read one


@dataclass(frozen=True)
class HandlerSettings:
    """Limits and roles; built from the config by the bot."""

    max_message_chars: int = 1000
    staff: frozenset[str] = field(default_factory=frozenset)   # "platform:user_id"
    unanswered_days: int = 30


class ResidentHandler:
    def __init__(self, book: Phrasebook, matcher: Matcher, renderer: Renderer, city: CityFacts,
                 store: ResidentStore, settings: HandlerSettings | None = None,
                 rate_limiter: RateLimiter | None = None,
                 on_decision: Callable[[str], None] | None = None) -> None:
        """``on_decision`` is told each matcher action (answer, suggest, decline): metrics."""
        self.book = book
        self.matcher = matcher
        self.renderer = renderer
        self.city = city
        self.store = store
        self.settings = settings or HandlerSettings()
        self.rate_limiter = rate_limiter or RateLimiter()
        self._commands = self._command_words()
        self._on_decision = on_decision or (lambda _action: None)

    def _command_words(self) -> dict[str, str]:
        """Every language's command words, normalised, to the command they mean."""
        words: dict[str, str] = {}
        for pack in self.book.packs.values():
            for command, spellings in pack.commands.items():
                for word in spellings:
                    words.setdefault(normalize(word), command)
        for command in _MENU_ITEMS + ("menu",):
            words.setdefault(command, command)
        words["start"] = "menu"
        return words

    # --- entry point -------------------------------------------------------------------------------

    async def handle(self, msg: Incoming) -> list[Reply]:
        if msg.kind == "unfollow":
            await self.store.save_subscriber(msg.platform, msg.user_id, subscribed=False, blocked=True)
            return []
        subscriber = await self.store.subscriber(msg.platform, msg.user_id)
        if msg.kind == "follow" or subscriber is None:
            # A returning resident (unblocked, or /start again) keeps the language they chose.
            hint = resolve_language_hint(msg.lang_hint, self.book.languages)
            language = subscriber.language if subscriber and subscriber.language else hint
            subscriber = await self.store.save_subscriber(
                msg.platform, msg.user_id, language=language, subscribed=True, blocked=False)
            if msg.kind == "follow":
                return [self._greeting(language)]
        elif subscriber.blocked:
            subscriber = await self.store.save_subscriber(msg.platform, msg.user_id, blocked=False)
        lang = subscriber.language or resolve_language_hint(msg.lang_hint, self.book.languages) or "en"
        verdict = self.rate_limiter.check(msg.actor)
        if verdict == "drop":
            return []
        if verdict == "notify":
            return [Reply(self.renderer.ui(lang, "rate_limited"))]
        if msg.kind == "unsupported":
            return [Reply(self.renderer.ui(lang, "unsupported_message"), self._menu_button(lang))]
        if msg.kind == "button":
            return await self._button(msg, subscriber, lang)
        return await self._text(msg, subscriber, lang)

    # --- text ----------------------------------------------------------------------------------------

    async def _text(self, msg: Incoming, subscriber: Subscriber, lang: str) -> list[Reply]:
        text = msg.text.strip()
        if len(text) > self.settings.max_message_chars:
            return [Reply(self.renderer.ui(lang, "too_long"))]
        if msg.actor in self.settings.staff and text.startswith("/"):
            staff_reply = await self._staff_command(text)
            if staff_reply is not None:
                return [staff_reply]
        norm = normalize(text.lstrip("/"))
        if not norm:
            return [Reply(self.renderer.ui(lang, "empty_message"), self._menu_button(lang))]
        command = self._commands.get(norm)
        if command is not None:
            return await self._menu_item(command, msg, subscriber, lang)
        decision = self.matcher.decide(text, subscriber.language or lang)
        self._on_decision(decision.action)
        top = decision.top
        await self.store.log_question(QuestionRecord(
            platform=msg.platform, user_id=msg.user_id, text=text, language=decision.answer_lang,
            top_id=top.entry_id if top else None, score=top.score if top else None, action=decision.action))
        if subscriber.language is None:  # first words from a new resident: remember their language
            await self.store.save_subscriber(msg.platform, msg.user_id, language=decision.answer_lang)
        return [decision_reply(self.book, self.renderer, decision)]

    async def _staff_command(self, text: str) -> Reply | None:
        command, _, rest = text.partition(" ")
        if command == "/test" and rest.strip():
            decision = self.matcher.decide(rest.strip())
            return Reply(explain(decision, self.matcher.uses_semantic))
        if command == "/unanswered":
            days = int(rest) if rest.strip().isdigit() else self.settings.unanswered_days
            rows = await self.store.unanswered(days=days)
            lines = [f"unanswered, last {days} days: {len(rows)}"]
            lines += [f"{row.count:>4}  [{row.language or '-'}] {row.text}" for row in rows]
            return Reply("\n".join(lines))
        return None

    # --- buttons -------------------------------------------------------------------------------------

    async def _button(self, msg: Incoming, subscriber: Subscriber, lang: str) -> list[Reply]:
        kind, _, value = msg.payload.partition(":")
        if kind == "lang" and value in self.book.languages:
            await self.store.save_subscriber(msg.platform, msg.user_id, language=value)
            return [Reply(self.renderer.ui(value, "language_set")), self._menu(value, subscriber)]
        if kind == "langs":
            return [self._language_picker(lang, page=int(value) if value.isdigit() else 0)]
        if kind == "area" and value in {a.id for a in self.city.areas}:
            await self.store.save_subscriber(msg.platform, msg.user_id, area=value)
            return [Reply(self.renderer.ui(lang, "area_set", area=self.city.area(value).name(lang)),
                          self._menu_button(lang))]
        if kind in ("faq", "card") and (value in self.book.faq or value in self.book.phrases):
            return [entry_reply(self.book, self.renderer, value, lang)]
        if kind == "cards":
            return [self._card_picker(lang, page=int(value) if value.isdigit() else 0)]
        if kind == "menu":
            return await self._menu_item(value, msg, subscriber, lang)
        return [self._menu(lang, subscriber)]  # stale or forged payload: show the menu

    async def _menu_item(self, item: str, msg: Incoming, subscriber: Subscriber, lang: str) -> list[Reply]:
        ui = self.renderer.ui
        if item == "language":
            return [self._language_picker(lang)]
        if item == "area":
            return [self._area_picker(lang)]
        if item == "cards":
            return [self._card_picker(lang)]
        if item == "stop":
            await self.store.save_subscriber(msg.platform, msg.user_id, subscribed=False)
            return [Reply(ui(lang, "notices_stopped"), self._menu_button(lang))]
        if item == "resume":
            await self.store.save_subscriber(msg.platform, msg.user_id, subscribed=True)
            return [Reply(ui(lang, "notices_resumed"), self._menu_button(lang))]
        if item == "help":
            return [Reply(ui(lang, "help"), self._menu_button(lang))]
        if item == "desk":
            return [Reply(ui(lang, "desk"), self._menu_button(lang))]
        fresh = await self.store.subscriber(msg.platform, msg.user_id) or subscriber
        return [self._menu(lang, fresh)]

    # --- building replies -------------------------------------------------------------------------

    def _menu_button(self, lang: str) -> tuple[Button, ...]:
        return (Button(self.book.button(lang, "menu"), "menu:main"),)

    def _menu(self, lang: str, subscriber: Subscriber) -> Reply:
        b = self.book.button
        notices = ("stop_notices", "menu:stop") if subscriber.subscribed else ("resume_notices", "menu:resume")
        buttons = [
            Button(b(lang, "language"), "menu:language"),
            Button(b(lang, "cards"), "menu:cards"),
            Button(b(lang, "desk"), "menu:desk"),
            Button(b(lang, notices[0]), notices[1]),
            Button(b(lang, "help"), "menu:help"),
        ]
        if self.city.areas:
            buttons.insert(2, Button(b(lang, "area"), "menu:area"))
        return Reply(self.renderer.ui(lang, "menu"), tuple(buttons))

    def _greeting(self, hint: str | None) -> Reply:
        first = hint or "en"
        langs = [first] + [code for code in _GREETING_LANGUAGES if code != first and code in self.book.languages]
        text = "\n\n".join(self.renderer.ui(code, "greeting") for code in langs)
        picker = self._language_picker(first, preselect=hint)
        return Reply(f"{text}\n\n{picker.text}", picker.buttons)

    def _language_picker(self, lang: str, page: int = 0, preselect: str | None = None) -> Reply:
        languages = list(self.book.languages)
        if preselect in languages:
            languages.remove(preselect)
            languages.insert(0, preselect)
        buttons = [Button(self.book.language_name(code), f"lang:{code}") for code in languages]
        return Reply(self.renderer.ui(lang, "choose_language"),
                     _page(buttons, page, lambda p: Button(self.book.button(lang, "more"), f"langs:{p}")))

    def _area_picker(self, lang: str) -> Reply:
        buttons = [Button(area.name(lang)[:20], f"area:{area.id}") for area in self.city.areas]
        return Reply(self.renderer.ui(lang, "choose_area"), tuple(buttons[:MAX_BUTTONS]))

    def _card_picker(self, lang: str, page: int = 0) -> Reply:
        buttons = [entry_button(self.book, card_id, lang) for card_id in self.book.phrases]
        return Reply(self.renderer.ui(lang, "card_menu"),
                     _page(buttons, page, lambda p: Button(self.book.button(lang, "more"), f"cards:{p}")))


def _page(buttons: list[Button], page: int, more: Callable[[int], Button]) -> tuple[Button, ...]:
    """At most MAX_BUTTONS per page; the last slot of a full page is 'more', which wraps."""
    per_page = MAX_BUTTONS - 1
    pages = max(1, -(-len(buttons) // per_page))
    if len(buttons) <= MAX_BUTTONS:
        return tuple(buttons)
    page %= pages
    chunk = buttons[page * per_page:(page + 1) * per_page]
    return (*chunk, more((page + 1) % pages))
