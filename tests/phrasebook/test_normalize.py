"""Normalisation makes what residents type comparable with the phrasebook."""

from __future__ import annotations

import pytest

from phrasebook.normalize import fold_accents, has_latin_accents, normalize


@pytest.mark.parametrize(("raw", "expected"), [
    ("When is GARBAGE day?!", "when is garbage day"),
    ("ゴミの日は？😀🗑️", "ごみの日は"),                  # katakana folded, emoji dropped
    ("ＡＢＣ　ｶﾀｶﾅ", "abc かたかな"),                    # full width and half-width kana (NFKC)
    ("  many\t\nspaces  ", "many spaces"),
    ("¿Dónde está el refugio?", "¿dónde está el refugio".replace("¿", "").strip()),
    ("Хог хаях өдөр!", "хог хаях өдөр"),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("text", [
    "ขยะทิ้งวันไหน",            # Thai vowel and tone marks
    "फोहोर कुन दिन फाल्ने",      # Devanagari vowel signs and virama
    "အမှိုက်ပစ်ရက်",              # Burmese
    "ថ្ងៃចោលសំរាម",               # Khmer coeng (subscript) and vowel signs
])
def test_combining_vowel_signs_survive(text):
    # rapidfuzz's default_process deletes these marks; ours must keep every letter.
    assert normalize(text) == text


def test_emoji_only_message_normalises_to_nothing():
    assert normalize("🙏🙏🙏 !!!") == ""


@pytest.mark.parametrize(("text", "folded"), [
    ("ngày đổ rác", "ngay do rac"),
    ("cartão de residência", "cartao de residencia"),
    ("¿cuándo?", "¿cuando?"),
    ("ขยะทิ้ง", "ขยะทิ้ง"),           # non-Latin marks are letters, never folded
])
def test_fold_accents_only_touches_latin(text, folded):
    assert fold_accents(text) == folded


def test_has_latin_accents():
    assert has_latin_accents("ngày") and has_latin_accents("você")
    assert not has_latin_accents("ngay") and not has_latin_accents("ゴミ") and not has_latin_accents("ขยะ")
