"""Offline language identification for short chat messages.

Short messages defeat statistical models, so identification goes script first:

1. A script that belongs to one supported language decides it outright: Hangul -> ko,
   kana -> ja, Thai -> th, Myanmar -> my, Khmer -> km, Devanagari -> ne, Cyrillic -> mn.
2. Kanji-only text is Japanese or Chinese. Every statistical model calls it Chinese, so
   we decide by character sets the standard library already has: a character that
   Shift-JIS (cp932) encodes but neither GB2312 nor Big5 does is a Japan-only form
   (駅, 転, 険); one only GB2312 has is Simplified, one only Big5 has is Traditional; and a
   few function words (的, 吗, 怎, 这...) exist only in Chinese. Text with none of these
   (避難所, 地震) is genuinely ambiguous: we say so, and the caller keeps the resident's
   language.
3. Latin text goes to py3langid restricted to the Latin-script languages we support, after
   a rule for the letters only Vietnamese uses (ư, ơ, ạ, ế ...).

The result says whether it is *confident*: only a confident guess may switch the answer
away from the language the resident chose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from phrasebook.normalize import normalize
from phrasebook.scripts import script_counts

__all__ = ["LanguageGuess", "LanguageIdentifier"]

_SCRIPT_LANGUAGE = {
    "hangul": "ko", "kana": "ja", "thai": "th", "myanmar": "my", "khmer": "km",
    "devanagari": "ne", "cyrillic": "mn",
}
_LATIN_LANGUAGES = {"en": "en", "vi": "vi", "pt": "pt-BR", "es": "es", "tl": "tl", "id": "id"}
_CHINESE_FUNCTION_CHARS = frozenset("的吗嗎么麼呢吧们們这這哪怎没沒给給您啊呀谁了")
_VIETNAMESE_LETTERS = frozenset(
    "ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
)
_LATIN_SUPPORTED_CONFIDENCE = 0.60
_LATIN_UNSUPPORTED_CONFIDENCE = 0.97
# Short function words typical of one language. On a short message the model's
# probability is often between the two thresholds; one of these words confirms it.
# Unaccented Vietnamese ("rac vut ngay nao") has none of the others' words, so it is
# never confidently taken for Tagalog, as the model alone would.
_MARKER_WORDS = {
    "en": {"the", "is", "my", "how", "where", "what", "when", "do", "can", "i", "need"},
    "tl": {"ang", "ng", "mga", "sa", "po", "paano", "saan", "kailan", "nasaan", "ako", "ko", "ba"},
    "id": {"di", "yang", "saya", "bagaimana", "gimana", "dimana", "kapan", "apa", "tidak", "gak", "mau"},
    "es": {"el", "la", "los", "las", "dónde", "donde", "cómo", "qué", "está", "necesito", "mi", "por"},
    "pt-BR": {"o", "os", "do", "da", "onde", "quando", "meu", "minha", "não", "é", "você", "preciso"},
    "vi": {"la", "gi", "o", "dau", "toi", "nao", "khong", "duoc", "cua", "cho"},
}


@dataclass(frozen=True)
class LanguageGuess:
    """What language a message is in.

    ``lang`` is the best guess (None when the text has no letters); ``confident`` says
    whether it is safe to answer in it; ``candidates`` lists every plausible language,
    best first (kanji-only text lists both Japanese and Chinese).
    """

    lang: str | None
    confident: bool
    candidates: tuple[str, ...]
    method: str


@lru_cache(maxsize=8192)
def _han_charsets(ch: str) -> frozenset[str]:
    """The languages whose national character set can write ``ch``."""
    found = set()
    for lang, codec in (("ja", "cp932"), ("zh-Hans", "gb2312"), ("zh-Hant", "big5")):
        try:
            ch.encode(codec)
            found.add(lang)
        except UnicodeEncodeError:
            pass
    return frozenset(found)


class LanguageIdentifier:
    """Identify which supported language a short message is in. Build once, share."""

    def __init__(self, languages: Iterable[str]) -> None:
        self.languages = tuple(languages)
        self._latin = [code for code, ours in _LATIN_LANGUAGES.items() if ours in self.languages]
        self._model: Any = None

    def _latin_model(self) -> Any:
        if self._model is None:
            from py3langid.langid import MODEL_DIR, MODEL_FILE
            from py3langid.langid import LanguageIdentifier as Model

            model = Model.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
            model.set_languages(self._latin)
            self._model = model
        return self._model

    def warm_up(self) -> None:
        """Load the statistical model now rather than on the first Latin message."""
        if self._latin:
            self._latin_model()

    def identify(self, text: str) -> LanguageGuess:
        norm = normalize(text)
        counts = script_counts(norm)
        if not counts:
            return LanguageGuess(None, False, (), "no-letters")
        if counts.get("kana"):
            return self._known("ja", "script:kana", counts["kana"] + counts.get("han", 0))
        script, letters = counts.most_common(1)[0]
        if script in _SCRIPT_LANGUAGE:
            return self._known(_SCRIPT_LANGUAGE[script], f"script:{script}", letters)
        if script == "han":
            return self._han(norm)
        return self._latin_guess(norm)

    def _known(self, lang: str, method: str, letters: int) -> LanguageGuess:
        if lang not in self.languages:
            return LanguageGuess(None, False, (), method)
        return LanguageGuess(lang, letters >= 2, (lang,), method)

    def _han(self, text: str) -> LanguageGuess:
        # Penalise each language once for every character its character set cannot
        # write; Chinese function words count against Japanese.
        penalty = {"ja": 0.0, "zh-Hans": 0.0, "zh-Hant": 0.0}
        for ch in text:
            if ch == " ":
                continue
            if ch in _CHINESE_FUNCTION_CHARS:
                penalty["ja"] += 1.0
            sets = _han_charsets(ch)
            if sets:
                for lang in penalty:
                    if lang not in sets:
                        penalty[lang] += 1.0
        ranked = sorted((v for v in penalty if v in self.languages), key=lambda k: penalty[k])
        if not ranked:
            return LanguageGuess(None, False, (), "han-charset")
        best = ranked[0]
        tied = [lang for lang in ranked if penalty[lang] == penalty[best]]
        confident = len(tied) == 1 and penalty[ranked[1]] - penalty[best] >= 1.0 if len(ranked) > 1 else True
        return LanguageGuess(best, confident, tuple(ranked), "han-charset")

    def _latin_guess(self, text: str) -> LanguageGuess:
        if "vi" in self.languages and any(ch in _VIETNAMESE_LETTERS for ch in text):
            return LanguageGuess("vi", True, ("vi",), "vietnamese-letters")
        if not self._latin:
            return LanguageGuess(None, False, (), "latin")
        code, prob = self._latin_model().classify(text)
        lang = _LATIN_LANGUAGES[code]
        words = text.split()
        hits = {code_: sum(w in markers for w in words) for code_, markers in _MARKER_WORDS.items()}
        rival = max((n for code_, n in hits.items() if code_ != lang), default=0)
        if hits.get(lang, 0) > 0:
            confident = prob >= _LATIN_SUPPORTED_CONFIDENCE and hits[lang] >= rival
        else:
            # No function word of its own: only a long, very clear message counts.
            confident = prob >= _LATIN_UNSUPPORTED_CONFIDENCE and len(words) >= 3 and rival == 0
        return LanguageGuess(lang, confident, (lang,), "py3langid")
