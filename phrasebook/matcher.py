"""Match a resident's message to a FAQ entry or phrase card, and decide what to do.

The pipeline, each step's result handed to the next (nothing is matched twice):

1. normalise the message (:mod:`phrasebook.normalize`) and identify its language
   (:mod:`phrasebook.langid`);
2. first pass: the n-gram index (:mod:`phrasebook.index`) scores every phrasing and
   keyword of every language at once; the best few dozen go on;
3. second pass: rapidfuzz scores those candidates with a scorer suited to the text
   (token sets for spaced scripts, whole-string ratio for scripts without spaces,
   partial ratio for a keyword inside a longer message);
4. optionally, a multilingual embedding model (:mod:`phrasebook.semantic`) scores every
   entry for meaning, and the two scores are blended;
5. the :class:`Decision`: answer (one clear winner), suggest (top three as buttons) or
   decline (nothing fits: offer the consultation desk).

Thresholds and weights live in :class:`MatchSettings`; ``bench/calibrate.py`` derives
them from the content itself (leave-one-out), not from the evaluation questions.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from rapidfuzz import fuzz

from phrasebook.features import is_unspaced
from phrasebook.index import GramIndex
from phrasebook.langid import LanguageGuess, LanguageIdentifier
from phrasebook.model import Phrasebook
from phrasebook.normalize import fold_accents, has_latin_accents, normalize
from phrasebook.scripts import dominant_script

__all__ = ["Action", "Decision", "Hit", "MatchSettings", "Matcher", "Phrasing", "SemanticScorer", "phrasings_of"]

Action = Literal["answer", "suggest", "decline"]
Field = Literal["question", "keyword", "title", "text", "reading"]
_SENTENCE_FIELDS = ("question", "title", "text", "reading")


@dataclass(frozen=True)
class MatchSettings:
    """Weights and thresholds of the decision.

    The defaults come from ``python bench/calibrate.py --per-entry 2``, run 2026-11-22 on
    the shipped content and no evaluation questions: 4,352 leave-one-out cases from the
    content's own questions, plus 320 off-topic messages written for calibration
    (bench/data/out_of_scope.jsonl). Result: semantic weight 0.5, cosine floor 0.84 and
    ceiling 1.0, answer from 0.62 with a lead of 0.08 over the runner-up, suggest from
    0.40. Without the semantic layer (``semantic=False``) the same thresholds apply;
    README reports both.
    """

    answer_threshold: float = 0.62
    suggest_threshold: float = 0.40
    margin: float = 0.08
    semantic_weight: float = 0.5
    semantic_floor: float = 0.84
    semantic_ceiling: float = 1.0
    keyword_weight: float = 0.9
    # Phrasings in another language than the one a message is confidently written in
    # count a little less: 大家 is "landlord" in Japanese but "everyone" in Chinese.
    other_language_factor: float = 0.9
    candidates: int = 48
    max_hits: int = 5
    semantic: bool = True


class SemanticScorer(Protocol):
    """Similarity of a query with each sentence phrasing (questions, titles, card texts)."""

    def similarities(self, query: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Phrasing:
    """One indexed string: a question, keyword, title or card text of one entry."""

    entry_id: str
    lang: str
    field: Field
    text: str
    norm: str
    folded: str


@dataclass(frozen=True)
class Hit:
    """An entry with its score and the phrasing that matched best (for --explain)."""

    entry_id: str
    score: float
    lexical: float
    semantic: float | None
    matched: str
    matched_lang: str


@dataclass(frozen=True)
class Decision:
    """What the matcher concluded about one message."""

    action: Action
    hits: tuple[Hit, ...]
    text: str
    normalized: str
    guess: LanguageGuess
    answer_lang: str

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def suggestions(self) -> tuple[Hit, ...]:
        return self.hits[:3]


@dataclass
class _Entries:
    ids: list[str] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)

    def add(self, entry_id: str) -> int:
        if entry_id not in self.position:
            self.position[entry_id] = len(self.ids)
            self.ids.append(entry_id)
        return self.position[entry_id]


def phrasings_of(book: Phrasebook) -> list[Phrasing]:
    """Every string residents' messages are compared with, in every language."""
    out: list[Phrasing] = []

    def add(entry_id: str, lang: str, field_: Field, text: str) -> None:
        norm = normalize(text)
        if norm:
            out.append(Phrasing(entry_id, lang, field_, text, norm, fold_accents(norm)))

    for entry in book.faq.values():
        for lang, faq_text in entry.texts.items():
            add(entry.id, lang, "title", faq_text.title)
            for q in faq_text.questions:
                add(entry.id, lang, "question", q)
            for k in faq_text.keywords:
                add(entry.id, lang, "keyword", k)
    for card in book.phrases.values():
        if card.reading:
            add(card.id, book.source_language, "reading", card.reading)
        for lang, card_text in card.texts.items():
            add(card.id, lang, "text", card_text.text)
            for q in card_text.questions:
                add(card.id, lang, "question", q)
            for k in card_text.keywords:
                add(card.id, lang, "keyword", k)
    return out


class Matcher:
    """Built once from a Phrasebook; ``decide`` is safe to call from many conversations."""

    def __init__(self, book: Phrasebook, settings: MatchSettings | None = None,
                 identifier: LanguageIdentifier | None = None,
                 cache_dir: Path | None = None,
                 phrasings: Sequence[Phrasing] | None = None,
                 semantic_layer: SemanticScorer | None = None,
                 semantic_in_background: bool = False) -> None:
        """``phrasings`` and ``semantic_layer`` replace what would be built from ``book``
        (benchmarks use them to measure synthetic phrasebooks). ``semantic_in_background``
        answers lexically at once and switches the semantic layer on when its embeddings
        are ready: the first start embeds thousands of sentences, and a bot that starts in
        seconds is worth a few minutes of lexical-only answers."""
        self.book = book
        self.settings = settings or MatchSettings()
        self.identifier = identifier or LanguageIdentifier(book.languages)
        self.phrasings = list(phrasings if phrasings is not None else phrasings_of(book))
        self._entries = _Entries()
        self._entry_of = np.asarray([self._entries.add(p.entry_id) for p in self.phrasings],
                                    dtype=np.int32)
        self._is_keyword = np.asarray([p.field == "keyword" for p in self.phrasings], dtype=bool)
        # A keyword too short to mean anything alone ("ai", "ng") must not fire on any
        # message that happens to contain it.
        self._keyword_ok = np.asarray(
            [p.field != "keyword" or len(p.norm.replace(" ", "")) >= _min_keyword_chars(p.norm)
             for p in self.phrasings], dtype=bool)
        self._raw = GramIndex([p.norm for p in self.phrasings])
        self._folded = GramIndex([p.folded for p in self.phrasings])
        self._sentence_rows = np.asarray(
            [i for i, p in enumerate(self.phrasings) if p.field in _SENTENCE_FIELDS], dtype=np.int32)
        # What --explain shows for an entry found by meaning alone: its first sentence,
        # looked up once here rather than by scanning every phrasing on each query.
        self._representative: dict[str, Phrasing] = {}
        for p in self.phrasings:
            current = self._representative.get(p.entry_id)
            if current is None or (current.field not in _SENTENCE_FIELDS and p.field in _SENTENCE_FIELDS):
                self._representative[p.entry_id] = p
        self._semantic: SemanticScorer | None = semantic_layer
        self.semantic_ready = threading.Event()
        if semantic_layer is None and self.settings.semantic:
            from phrasebook.semantic import SemanticLayer, semantic_available

            if semantic_available():
                sentences = self.sentences()

                def build() -> None:
                    self._semantic = SemanticLayer(sentences, cache_dir)
                    self.semantic_ready.set()

                if semantic_in_background:
                    threading.Thread(target=build, name="semantic-layer", daemon=True).start()
                else:
                    build()
        else:
            self.semantic_ready.set()

    def sentences(self) -> list[str]:
        """The phrasings the semantic layer scores, in its row order."""
        return [self.phrasings[i].text for i in self._sentence_rows]

    @property
    def uses_semantic(self) -> bool:
        return self._semantic is not None

    @property
    def entry_count(self) -> int:
        return len(self._entries.ids)

    # --- scoring ---------------------------------------------------------------------------

    def rank(self, text: str, exclude: np.ndarray | None = None,
             guess: LanguageGuess | None = None) -> tuple[str, list[Hit]]:
        """All entries worth considering, best first, and the normalised text.

        ``exclude``: a boolean mask over phrasings to ignore (used by calibration to ask
        with a phrasing that is not also in the index). ``guess``: the message's language,
        identified here if not given.
        """
        norm = normalize(text)
        if not norm:
            return norm, []
        accented = has_latin_accents(norm)
        query = norm if accented else fold_accents(norm)
        index = self._raw if accented else self._folded
        cosine, cover, query_cover = index.score(query)
        gram = np.where(self._is_keyword, cover * self._keyword_ok, cosine)
        if exclude is not None:
            gram = np.where(exclude, 0.0, gram)
        guess = guess or self.identifier.identify(text)
        lexical = self._lexical(query, gram, query_cover, accented, self._language_factor(guess))
        semantic = self._semantic_scores(text, exclude)
        weight = self.settings.semantic_weight if semantic is not None else 0.0
        hits: list[Hit] = []
        entry_ids = set(lexical) | (set(semantic) if semantic else set())
        for entry_id in entry_ids:
            lex_score, matched = lexical.get(entry_id, (0.0, None))
            sem_score = semantic.get(entry_id, 0.0) if semantic is not None else None
            score = (1.0 - weight) * lex_score + weight * (sem_score or 0.0)
            if matched is None:
                matched = self._best_sentence(entry_id)
            hits.append(Hit(entry_id, round(float(score), 4), round(float(lex_score), 4),
                            None if sem_score is None else round(float(sem_score), 4),
                            matched.text, matched.lang))
        hits.sort(key=lambda h: (-h.score, h.entry_id))
        return norm, hits

    def _language_factor(self, guess: LanguageGuess) -> dict[str, float]:
        """Per phrasing language, how much its matches count for this message."""
        if not guess.confident or guess.lang is None:
            return {}
        family = {lang for lang in self.book.languages if _same_script_family(lang, guess.lang)}
        return {lang: 1.0 if lang in family else self.settings.other_language_factor
                for lang in self.book.languages}

    def _lexical(self, query: str, gram: np.ndarray, query_cover: np.ndarray, accented: bool,
                 factors: dict[str, float]) -> dict[str, tuple[float, Phrasing]]:
        """Per entry: the better of its best sentence match and its keyword evidence.

        A sentence (question, title, card text) scores by how alike it is to the whole
        message. Keywords score by how well they are found in the message, scaled by how
        much of the message the entry's matched keywords explain together: one generic
        word inside a long question is weak evidence, the message "gomi" is strong.
        """
        k = min(self.settings.candidates, len(gram))
        if k == 0:
            return {}
        top = np.argpartition(-gram, k - 1)[:k]
        unspaced = is_unspaced(query)
        best: dict[str, tuple[float, Phrasing]] = {}
        keyword_best: dict[str, tuple[float, Phrasing]] = {}
        explained: dict[str, float] = {}
        for row in top:
            g = float(gram[row])
            if g <= 0.0:
                continue
            phrasing = self.phrasings[row]
            target = phrasing.norm if accented else phrasing.folded
            factor = factors.get(phrasing.lang, 1.0)
            if phrasing.field == "keyword":
                rf = fuzz.partial_ratio(target, query) if len(target) <= len(query) else fuzz.ratio(target, query)
                found = (0.5 * min(g, 1.0) + 0.5 * rf / 100.0) * factor
                if found >= 0.7:
                    explained[phrasing.entry_id] = explained.get(phrasing.entry_id, 0.0) + float(query_cover[row])
                current = keyword_best.get(phrasing.entry_id)
                if current is None or found > current[0]:
                    keyword_best[phrasing.entry_id] = (found, phrasing)
                continue
            rf = fuzz.ratio(query, target) if unspaced else fuzz.token_set_ratio(query, target)
            score = (0.5 * min(g, 1.0) + 0.5 * rf / 100.0) * factor
            current = best.get(phrasing.entry_id)
            if current is None or score > current[0]:
                best[phrasing.entry_id] = (score, phrasing)
        for entry_id, (found, phrasing) in keyword_best.items():
            share = min(1.0, explained.get(entry_id, 0.0))
            score = self.settings.keyword_weight * found * (0.4 + 0.6 * share)
            current = best.get(entry_id)
            if current is None or score > current[0]:
                best[entry_id] = (score, phrasing)
        return best

    def _semantic_scores(self, text: str, exclude: np.ndarray | None) -> dict[str, float] | None:
        layer = self._semantic  # read once: the background builder may set it at any time
        if layer is None:
            return None
        sims = layer.similarities(text)
        if exclude is not None:
            sims = np.where(exclude[self._sentence_rows], -1.0, sims)
        entries = self._entry_of[self._sentence_rows]
        per_entry = np.full(len(self._entries.ids), -1.0, dtype=np.float32)
        np.maximum.at(per_entry, entries, sims)
        lo, hi = self.settings.semantic_floor, self.settings.semantic_ceiling
        scaled = np.clip((per_entry - lo) / (hi - lo), 0.0, 1.0)
        return {self._entries.ids[i]: float(s) for i, s in enumerate(scaled) if s > 0.0}

    def _best_sentence(self, entry_id: str) -> Phrasing:
        return self._representative[entry_id]

    # --- decision ----------------------------------------------------------------------------

    def decide(self, text: str, lang: str | None = None,
               exclude: np.ndarray | None = None, only: str | None = None) -> Decision:
        """Match ``text`` from a resident whose chosen language is ``lang``.

        ``only``: "faq" or "card" to consider one kind of entry (the phrase command).
        """
        guess = self.identifier.identify(text)
        norm, hits = self.rank(text, exclude, guess)
        if only is not None:
            hits = [h for h in hits if self.book.kind_of(h.entry_id) == only]
        hits = hits[: self.settings.max_hits]
        answer_lang = self.answer_language(guess, lang)
        s = self.settings
        if not hits or hits[0].score < s.suggest_threshold:
            action: Action = "decline"
        elif hits[0].score >= s.answer_threshold and (
                len(hits) == 1 or hits[0].score - hits[1].score >= s.margin):
            action = "answer"
        else:
            action = "suggest"
            hits = [h for h in hits if h.score >= s.suggest_threshold * 0.8]
        return Decision(action, tuple(hits), text, norm, guess, answer_lang)

    def answer_language(self, guess: LanguageGuess, chosen: str | None) -> str:
        """The resident's chosen language, unless the message is confidently in another.

        Japanese and Easy Japanese are one written language: a resident who chose Easy
        Japanese and writes in kanji still gets Easy Japanese.
        """
        languages = self.book.languages
        fallback = chosen if chosen in languages else None
        detected = guess.lang if guess.confident and guess.lang in languages else None
        if detected is None:
            if fallback:
                return fallback
            if guess.lang in languages and guess.lang:
                return guess.lang
            return "en" if "en" in languages else languages[0]
        if fallback and _same_family(fallback, detected):
            return fallback
        return detected


def _min_keyword_chars(norm: str) -> int:
    """Shortest keyword that is evidence on its own, by script.

    Two kanji or two Hangul syllables are a word (年金, 경찰); two Latin, Cyrillic or
    Devanagari letters, or two Thai, Burmese or Khmer code points, are not.
    """
    return 2 if dominant_script(norm) in ("han", "kana", "hangul") else 3


def _same_script_family(a: str, b: str) -> bool:
    """Japanese with Easy Japanese, the two Chinese forms with each other."""
    return a.split("-")[0] == b.split("-")[0]


def _same_family(a: str, b: str) -> bool:
    return a.split("-")[0] == b.split("-")[0] and not (a.startswith("zh") and a != b)
