"""The shipped phrasebook: valid, complete for the catalogue, every template renders."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.config import load_config
from phrasebook.loader import DEFAULT_CONTENT_DIR, load_content, load_phrasebook
from phrasebook.matcher import Matcher, MatchSettings
from phrasebook.render import Renderer, parse_slots

CONFIG = load_config()
CATALOGUE = Path(__file__).resolve().parents[3] / "shared" / "catalogue.yaml"

SAMPLE_VALUES = {
    "time": "14:05", "date": "2026-09-01", "datetime": "2026-09-01 18:30", "time_range": "09:00-20:00",
    "date_range": "2026-09-01..2026-09-14", "place": "北小学校", "area": "kita, coast", "number": "7",
    "languages": "en, vi, ne", "text": "体育館の入口は東側です", "phone": "03-0000-0001",
    "url": "https://example.org/x",
}


@pytest.fixture(scope="module")
def book():
    return load_phrasebook(DEFAULT_CONTENT_DIR, CONFIG.city.keys())


def test_shipped_content_has_no_errors():
    _, problems = load_content(DEFAULT_CONTENT_DIR, CONFIG.city.keys())
    assert [str(p) for p in problems if p.severity == "error"] == []


@pytest.mark.skipif(not CATALOGUE.exists(), reason="../shared/catalogue.yaml is not beside the repository")
def test_every_catalogue_id_is_complete_in_every_language(book):
    catalogue = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    assert list(book.languages) == list(catalogue["languages"])
    for section, items in (("faq", book.faq), ("phrases", book.phrases), ("templates", book.templates)):
        for item_id in catalogue[section]:
            assert item_id in items, f"{section}: {item_id} missing"
            assert set(items[item_id].texts) == set(book.languages), item_id


def sample_values(book, template):
    raw = {}
    for slot in template.slots:
        if slot.type == "choice":
            values = book.choice_lists[slot.choices]
            raw[slot.name] = values[-1]
        else:
            raw[slot.name] = SAMPLE_VALUES[slot.type]
    return parse_slots(template, raw, book, CONFIG.city)


def test_every_template_renders_in_every_language_with_nothing_left_unfilled(book):
    renderer = Renderer(book, CONFIG.city)
    for template in book.templates.values():
        values = sample_values(book, template)
        for lang in book.languages:
            text = renderer.template(template.id, lang, values)
            assert not re.search(r"[{}]", text), f"{template.id} [{lang}]: {text}"
            drill = renderer.template(template.id, lang, values, drill=True)
            prefix, suffix = book.ui(lang, "drill_prefix"), book.ui(lang, "drill_suffix")
            assert drill.startswith(prefix) and drill.endswith(suffix), f"{template.id} [{lang}]"
            if lang != "en":  # the marking is in the reader's language, not left in English
                assert prefix != book.ui("en", "drill_prefix"), lang


def test_choice_labels_differ_between_values(book):
    for lang, pack in book.packs.items():
        for list_name, labels in pack.choices.items():
            assert len(set(labels.values())) == len(labels), f"{list_name} [{lang}]: two values share a label"


def test_held_out_questions_find_their_entry(book):
    """Each question, removed from the index, must still find its entry among the top 3.

    This guards the content (enough varied questions and keywords per language) and the
    lexical matcher together; it uses no evaluation file.
    """
    matcher = Matcher(book, MatchSettings(semantic=False))
    found: dict[str, list[bool]] = defaultdict(list)
    for row, phrasing in enumerate(matcher.phrasings):
        if phrasing.field != "question":
            continue
        mask = np.zeros(len(matcher.phrasings), dtype=bool)
        mask[row] = True
        _, hits = matcher.rank(phrasing.text, exclude=mask)
        found[phrasing.lang].append(phrasing.entry_id in [h.entry_id for h in hits[:3]])
    rates = {lang: sum(v) / len(v) for lang, v in found.items()}
    assert min(rates.values()) >= 0.75, rates
