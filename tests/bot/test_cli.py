"""The staff command line, run in-process on the mini content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import MINI


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"content:\n  path: {MINI}\n"
        "matching:\n  semantic: false\n"
        "city:\n  name: {ja: テスト市, en: Test City}\n  desk_phone: 03-1234-5678\n"
        "  garbage_calendar_url: https://example.org/calendar\n"
        "  garbage_rules_url: https://example.org/rules\n"
        "  areas:\n    - {id: kita, name: {ja: 北区, en: Kita Ward}}\n",
        encoding="utf-8")
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_passes_on_valid_content(capsys, config):
    code, out, _ = run(capsys, "--config", str(config), "validate")
    assert code == 0
    assert "0 error(s), 0 warning(s); 3 FAQ entries, 2 cards, 2 templates, 3 languages" in out


def test_validate_lists_every_error_and_exits_1(capsys, config, mini):
    (mini / "lang" / "vi.yaml").write_text(
        (mini / "lang" / "vi.yaml").read_text(encoding="utf-8").replace("Lúc {time}", "Lúc {tme}"), encoding="utf-8")
    (mini / "lang" / "en.yaml").write_text(
        (mini / "lang" / "en.yaml").read_text(encoding="utf-8").replace("Call 119.", "Call {city.fire}."),
        encoding="utf-8")
    code, out, _ = run(capsys, "--config", str(config), "validate", str(mini))
    assert code == 1
    assert "lang/vi.yaml:29: quake.occurred.text [vi]: placeholders differ from Japanese" in out
    assert "emergency.ambulance.answer [en]: '{city.fire}' refers to a key" in out
    assert "2 error(s)" in out


def test_ask_prints_the_reply_with_buttons(capsys, config):
    code, out, _ = run(capsys, "--config", str(config), "ask", "when is garbage day", "--lang", "en")
    assert code == 0
    assert out.startswith("Collection days depend on your area. See the calendar: https://example.org/calendar")
    assert "[1] Sorting garbage  (faq:garbage.sorting)" in out


def test_ask_explain_shows_language_hits_and_decision(capsys, config):
    code, out, _ = run(capsys, "--config", str(config), "ask", "ngay nao vut rac", "--lang", "vi", "--explain")
    assert code == 0
    assert "answer in:  vi" in out
    assert "garbage.collection_day" in out.split("top hits:")[1]
    assert "decision:   answer" in out
    assert "Ngày thu gom tùy khu vực" in out


def test_ask_declines_with_the_desk(capsys, config):
    code, out, _ = run(capsys, "--config", str(config), "ask", "who won the baseball game", "--lang", "en")
    assert code == 0
    assert out.startswith("Sorry, I could not find an answer. Call the desk: 03-1234-5678.")


def test_ask_rejects_an_unknown_language(capsys, config):
    code, _, err = run(capsys, "--config", str(config), "ask", "hello", "--lang", "fr")
    assert code == 1 and "unknown language 'fr'" in err


def test_phrase_shows_the_card(capsys, config):
    code, out, _ = run(capsys, "--config", str(config), "phrase", "tôi bị thương", "--lang", "vi")
    assert code == 0
    assert "けがをしています。\n（けがを しています。）\nKega o shite imasu." in out
    assert "Tiếng Việt: Tôi bị thương." in out
    # Written confidently in English: the resident's side follows the message.
    _, out, _ = run(capsys, "--config", str(config), "phrase", "I'm hurt", "--lang", "vi")
    assert "English: I am injured." in out


def test_coverage_json_lists_complete_languages_per_id(capsys, config, mini, edit_yaml):
    code, out, _ = run(capsys, "--config", str(config), "coverage", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"faq", "phrases", "templates"}
    assert data["faq"]["garbage.sorting"] == ["ja", "en", "vi"]
    assert data["templates"]["quake.occurred"] == ["ja", "en", "vi"]


def test_coverage_leaves_out_an_incomplete_language(capsys, tmp_path, config, mini, edit_yaml):
    edit_yaml(mini / "lang" / "vi.yaml", lambda d: d["faq"]["garbage.sorting"].pop("answer"))
    patched = tmp_path / "patched.yaml"
    patched.write_text(config.read_text(encoding="utf-8").replace(str(MINI), str(mini)), encoding="utf-8")
    _, out, _ = run(capsys, "--config", str(patched), "coverage", "--json")
    assert json.loads(out)["faq"]["garbage.sorting"] == ["ja", "en"]


def test_eval_json(capsys, config, tmp_path):
    lines = [
        {"text": "when is garbage day", "lang": "en", "expect": "garbage.collection_day"},
        {"text": "gọi xe cấp cứu", "lang": "vi", "expect": "emergency.ambulance"},
        {"text": "I'm hurt", "lang": "en", "expect": "card.injured"},
        {"text": "best ramen in town", "lang": "en", "expect": None},
    ]
    path = tmp_path / "eval.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    code, out, _ = run(capsys, "--config", str(config), "eval", str(path), "--json")
    result = json.loads(out)
    assert code == 0
    assert result["overall"] == {"top1": 1.0, "top3": 1.0, "answered": 1.0, "wrong": 0.0, "decline": 1.0,
                                 "n": 4, "n_in_scope": 3, "n_out_of_scope": 1}
    assert set(result["by_lang"]) == {"en", "vi"}


def test_eval_rejects_a_bad_line_with_its_number(capsys, config, tmp_path):
    path = tmp_path / "eval.jsonl"
    path.write_text('{"text": "x", "lang": "en", "expect": null}\n{"text": "y"}\n', encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "eval", str(path))
    assert code == 1 and "eval.jsonl:2: not an eval line" in err


def test_invalid_content_stops_ask_with_every_error(capsys, tmp_path, config, mini, edit_yaml):
    edit_yaml(mini / "lang" / "vi.yaml", lambda d: d["faq"].pop("garbage.sorting"))
    patched = tmp_path / "patched.yaml"
    patched.write_text(config.read_text(encoding="utf-8").replace(str(MINI), str(mini)), encoding="utf-8")
    code, _, err = run(capsys, "--config", str(patched), "ask", "gomi")
    assert code == 1 and "garbage.sorting [vi]: missing translation" in err
