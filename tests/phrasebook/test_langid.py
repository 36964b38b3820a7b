"""Language identification on short messages in every supported language."""

from __future__ import annotations

import pytest

from phrasebook.langid import LanguageIdentifier

LANGUAGES = ("ja", "ja-easy", "en", "zh-Hans", "zh-Hant", "ko", "vi", "pt-BR", "es", "tl", "id",
             "th", "ne", "my", "km", "mn")


@pytest.fixture(scope="module")
def identify():
    return LanguageIdentifier(LANGUAGES).identify


SHORT_MESSAGES = {
    "ja": ["ゴミの日はいつ", "駅はどこですか", "救急車を呼んで", "けがをしました"],
    "ko": ["쓰레기 버리는 날", "구급차 불러주세요", "대피소 어디예요"],
    "zh-Hans": ["垃圾什么时候扔", "我受伤了", "怎么叫救护车", "国民健康保险"],
    "zh-Hant": ["垃圾什麼時候丟", "我受傷了", "怎麼叫救護車", "這裡是哪裡"],
    "en": ["when is garbage day", "where is the shelter", "I need an interpreter"],
    "vi": ["ngày đổ rác là khi nào", "tôi bị thương", "nơi sơ tán ở đâu"],
    "pt-BR": ["quando é o dia do lixo", "onde fica o abrigo mais próximo", "preciso de um intérprete"],
    "es": ["cuándo es el día de la basura", "dónde está el refugio", "necesito un intérprete por favor"],
    "tl": ["saan ang evacuation center", "kailan ang araw ng basura", "paano tumawag ng ambulansya"],
    "id": ["kapan hari buang sampah", "di mana tempat pengungsian", "saya butuh penerjemah"],
    "th": ["ทิ้งขยะวันไหน", "ศูนย์อพยพอยู่ที่ไหน"],
    "ne": ["फोहोर कुन दिन फाल्ने", "एम्बुलेन्स कसरी बोलाउने"],
    "my": ["အမှိုက်ပစ်ရက်", "ဆေးရုံဘယ်မှာလဲ"],
    "km": ["ថ្ងៃចោលសំរាម", "មន្ទីរពេទ្យនៅឯណា"],
    "mn": ["хог хаях өдөр", "эмнэлэг хаана байна"],
}


@pytest.mark.parametrize(("lang", "text"), [(lang, t) for lang, texts in SHORT_MESSAGES.items() for t in texts])
def test_short_messages_are_identified_confidently(identify, lang, text):
    guess = identify(text)
    assert guess.lang == lang, guess
    assert guess.confident, guess


@pytest.mark.parametrize("text", ["避難所", "地震", "救急車"])
def test_kanji_shared_by_japanese_and_chinese_is_not_confident(identify, text):
    guess = identify(text)
    assert not guess.confident
    assert "ja" in guess.candidates[:2]


def test_japan_only_kanji_forms_are_japanese(identify):
    guess = identify("駅")  # Chinese writes 站 / 驛
    assert guess.lang == "ja" and guess.confident


def test_no_letters_no_language(identify):
    guess = identify("😀 123 !!")
    assert guess.lang is None and not guess.confident


@pytest.mark.parametrize("text", ["rac vut ngay nao", "ngay nao vut rac", "xe cuu thuong goi so may"])
def test_unaccented_vietnamese_is_not_confidently_something_else(identify, text):
    # Statistical models take it for Tagalog; it must not switch a Vietnamese resident's language.
    guess = identify(text)
    assert not guess.confident or guess.lang == "vi", guess
