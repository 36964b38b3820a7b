"""Matching decisions on the mini content (lexical path: fast and deterministic)."""

from __future__ import annotations

import pytest

from phrasebook.loader import load_phrasebook
from phrasebook.matcher import Matcher, MatchSettings
from tests.conftest import CITY, MINI


@pytest.fixture(scope="module")
def matcher():
    return Matcher(load_phrasebook(MINI, CITY.keys()), MatchSettings(semantic=False))


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("when is garbage day", "en", "garbage.collection_day"),
    ("ゴミの日はいつ？", "ja", "garbage.collection_day"),          # katakana folded to the entry's hiragana
    ("ngày nào vứt rác", "vi", "garbage.collection_day"),
    ("ngay nao vut rac", "vi", "garbage.collection_day"),          # typed without diacritics
    ("how do I call an ambulance", "en", "emergency.ambulance"),
    ("I'm hurt", "en", "card.injured"),
    ("Ambulance?? 🚑", "vi", "emergency.ambulance"),               # English from a Vietnamese resident
])
def test_answers_the_right_entry(matcher, text, lang, expected):
    decision = matcher.decide(text, lang)
    assert decision.action == "answer", decision
    assert decision.top.entry_id == expected


@pytest.mark.parametrize("text", ["qwertyuiop zxcvbnm", "who won the football match yesterday"])
def test_declines_what_nothing_fits(matcher, text):
    assert matcher.decide(text, "en").action == "decline"


def test_emoji_only_is_declined_without_hits(matcher):
    decision = matcher.decide("🙏🙏", "en")
    assert decision.action == "decline" and decision.hits == () and decision.normalized == ""


def test_close_call_between_two_entries_is_a_suggestion(matcher):
    decision = matcher.decide("garbage", "en")
    assert decision.action == "suggest"
    assert {h.entry_id for h in decision.suggestions[:2]} == {"garbage.collection_day", "garbage.sorting"}


def test_answer_language_is_the_residents_unless_confidently_another(matcher):
    assert matcher.decide("ゴミの日はいつ", "vi").answer_lang == "ja"        # clearly Japanese
    assert matcher.decide("when is garbage day", "vi").answer_lang == "en"
    assert matcher.decide("gomi", "vi").answer_lang == "vi"                   # too short to tell
    assert matcher.decide("ngay nao vut rac", "vi").answer_lang == "vi"


def test_only_cards_when_asked(matcher):
    decision = matcher.decide("I need water", "en", only="card")
    assert decision.top.entry_id == "card.need_water"
    assert all(h.entry_id.startswith("card.") for h in decision.hits)


def test_hits_are_ranked_and_explained(matcher):
    decision = matcher.decide("which day do I put out trash", "en")
    scores = [h.score for h in decision.hits]
    assert scores == sorted(scores, reverse=True)
    assert decision.top.matched == "which day do I put out trash"
    assert decision.top.matched_lang == "en" and decision.top.semantic is None
