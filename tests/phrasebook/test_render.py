"""Rendering: city facts, slot values by type and language, drill marking."""

from __future__ import annotations

import datetime as dt

import pytest

from phrasebook.errors import RenderError, SlotValueError
from phrasebook.loader import load_phrasebook
from phrasebook.render import Renderer, parse_slots
from tests.conftest import CITY, MINI


@pytest.fixture(scope="module")
def book():
    return load_phrasebook(MINI, CITY.keys())


@pytest.fixture(scope="module")
def renderer(book):
    return Renderer(book, CITY)


def quake(book, **overrides):
    raw = {"time": "14:05", "max_intensity": "shindo_5_upper", "area": "kita, minami", **overrides}
    return parse_slots(book.template("quake.occurred"), raw, book, CITY)


def test_city_facts_are_filled_in_the_readers_language(renderer):
    assert renderer.ui("vi", "decline").endswith("03-1234-5678.")
    assert renderer.answer("garbage.collection_day", "en").endswith("https://example.org/calendar")


def test_template_in_each_language(book, renderer):
    values = quake(book)
    assert renderer.template("quake.occurred", "en", values) == \
        "An earthquake occurred at 14:05. Seismic intensity 5 Upper in Kita Ward, Minami Ward."
    assert renderer.template("quake.occurred", "ja", values) == "14:05に地震がありました。北区、南区で震度5強。"
    # Minami has no Vietnamese name in the config: English is the fallback, never a blank.
    assert "Quận Kita, Minami Ward" in renderer.template("quake.occurred", "vi", values)


def test_drill_marks_the_start_and_end_in_that_language(book, renderer):
    values = quake(book)
    text = renderer.template("quake.occurred", "vi", values, drill=True)
    assert text.startswith("[DIỄN TẬP]\n") and text.endswith("\n[HẾT DIỄN TẬP]")
    assert "[DRILL]" not in text


def test_place_text_and_date_slots(book, renderer):
    values = parse_slots(book.template("shelter.opened"),
                         {"shelter_name": "北小学校", "date": "2026-09-01", "note": "体育館に入ってください"},
                         book, CITY)
    en = renderer.template("shelter.opened", "en", values)
    assert en.startswith("On September 1, Kita Shougakkou (北小学校) opened.")
    assert en.endswith("体育館に入ってください (not translated)")
    ja = renderer.template("shelter.opened", "ja", values)
    assert ja == "9月1日、北小学校を開きました。体育館に入ってください"
    assert renderer.template("shelter.opened", "vi", values).startswith("Ngày 1/9,")


@pytest.mark.parametrize(("raw", "message"), [
    ({"time": "25:00"}, "slot 'time': '25:00' is not a time; expected HH:MM"),
    ({"max_intensity": "6"},
     "slot 'max_intensity': '6' is not a choice; expected one of: shindo_5_lower, shindo_5_upper"),
    ({"area": "kita, nishi"}, "slot 'area': unknown area 'nishi'; expected one or more of: kita, minami"),
    ({"area": ""}, "slot 'area': missing; expected one or more of: kita, minami"),
    ({"magnitude": "7"}, "slot 'magnitude': template quake.occurred has no such slot"),
])
def test_slot_values_are_checked_by_type(book, raw, message):
    with pytest.raises(SlotValueError) as caught:
        quake(book, **raw)
    assert str(caught.value).startswith(message)


def test_date_slot_rejects_impossible_dates(book):
    with pytest.raises(SlotValueError, match="not a date; expected YYYY-MM-DD"):
        parse_slots(book.template("shelter.opened"),
                    {"shelter_name": "北小学校", "date": "2026-02-30", "note": "x"}, book, CITY)


def test_rendering_with_a_slot_missing_is_an_error(renderer):
    with pytest.raises(RenderError, match="no value for slot"):
        renderer.template("quake.occurred", "en", {"time": dt.time(14, 5)})


def test_card_shows_japanese_with_reading(renderer):
    card = renderer.card("card.injured", "vi")
    assert (card.japanese, card.reading, card.text) == ("けがをしています。", "けがを しています。", "Tôi bị thương.")
