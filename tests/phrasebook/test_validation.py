"""Content validation: each kind of problem is reported as file:line: id [lang]: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from phrasebook.confusables import find_confusables
from phrasebook.errors import ContentError
from phrasebook.loader import load_content, load_phrasebook
from phrasebook.matcher import phrasings_of
from phrasebook.problems import Problem
from tests.conftest import CITY

KEYS = CITY.keys()


def errors(root: Path) -> list[Problem]:
    return [p for p in load_content(root, KEYS)[1] if p.severity == "error"]


def only_error(root: Path) -> Problem:
    found = errors(root)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def test_the_mini_content_is_valid(mini):
    assert load_content(mini, KEYS)[1] == []


def test_problem_reads_file_line_id_lang_message():
    problem = Problem("data/lang/vi.yaml", 12, "garbage.sorting", "vi", "missing 'answer'")
    assert str(problem) == "data/lang/vi.yaml:12: garbage.sorting [vi]: missing 'answer'"


def test_unknown_language_file(mini):
    (mini / "lang" / "xx.yaml").write_text("faq: {}\n", encoding="utf-8")
    problem = only_error(mini)
    assert problem.file.endswith("lang/xx.yaml")
    assert "unknown language file; expected one of: ja, en, vi" in problem.message


def test_missing_language_file(mini):
    (mini / "lang" / "vi.yaml").unlink()
    problem = only_error(mini)
    assert (problem.id, problem.lang) == ("vi", "vi")
    assert "missing language file" in problem.message


def test_missing_translation(mini, edit_yaml):
    edit_yaml(mini / "lang" / "vi.yaml", lambda d: d["faq"].pop("garbage.sorting"))
    problem = only_error(mini)
    assert (problem.id, problem.lang) == ("garbage.sorting", "vi")
    assert problem.message.startswith("missing translation")


def test_duplicate_id(mini):
    path = mini / "faq.yaml"
    path.write_text(path.read_text() + "  - id: garbage.sorting\n    category: garbage\n", encoding="utf-8")
    problem = only_error(mini)
    assert problem.id == "garbage.sorting"
    assert problem.line == 11
    assert "duplicate id" in problem.message


def test_duplicate_key_is_reported_not_silently_overwritten(mini):
    path = mini / "lang" / "en.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("buttons: {desk: Help desk,", "buttons: {desk: Help desk, desk: Desk,"),
                    encoding="utf-8")
    problem = only_error(mini)
    assert problem.id == "desk" and "duplicate key" in problem.message


def test_placeholder_misspelled_in_one_language(mini):
    path = mini / "lang" / "vi.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Lúc {time}", "Lúc {tme}"), encoding="utf-8")
    problem = only_error(mini)
    assert (problem.id, problem.lang) == ("quake.occurred.text", "vi")
    assert "missing {time}" in problem.message
    assert "not in the Japanese text: {tme}" in problem.message
    assert problem.line == 29


def test_japanese_template_must_use_every_slot(mini):
    path = mini / "lang" / "ja.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{area}で", ""), encoding="utf-8")
    messages = [p.message for p in errors(mini)]
    assert "slot '{area}' is never used in the text" in messages


def test_unknown_slot_type(mini, edit_yaml):
    edit_yaml(mini / "templates.yaml",
              lambda d: d["templates"][0]["slots"]["time"].update(type="clock"))
    problem = only_error(mini)
    assert problem.id == "quake.occurred"
    assert "slot 'time' has unknown type 'clock'; expected one of:" in problem.message


def test_unknown_choice_list(mini, edit_yaml):
    edit_yaml(mini / "templates.yaml",
              lambda d: d["templates"][0]["slots"]["max_intensity"].update(choices="shindo"))
    assert "names choice list 'shindo', which is not under 'choices:'" in only_error(mini).message


def test_city_reference_the_config_lacks(mini):
    path = mini / "lang" / "en.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Call 119.", "Call 119 or {city.fire_dept}."),
                    encoding="utf-8")
    problem = only_error(mini)
    assert (problem.id, problem.lang) == ("emergency.ambulance.answer", "en")
    assert "'{city.fire_dept}' refers to a key the config's city block lacks" in problem.message


def test_text_over_both_platform_limits(mini, edit_yaml):
    edit_yaml(mini / "lang" / "en.yaml",
              lambda d: d["faq"]["emergency.ambulance"].update(answer="Call 119. " * 520))
    messages = sorted(p.message for p in errors(mini))
    assert any("LINE allows at most 5000" in m for m in messages)
    assert any("Telegram allows at most 4096" in m for m in messages)


def test_emoji_count_twice_against_the_line_limit(mini, edit_yaml):
    edit_yaml(mini / "lang" / "en.yaml",
              lambda d: d["faq"]["emergency.ambulance"].update(answer="🚑" * 2600))
    problem = only_error(mini)
    assert "text is 5200 UTF-16 units; LINE allows at most 5000" in problem.message


def test_button_label_over_twenty_characters(mini, edit_yaml):
    edit_yaml(mini / "lang" / "en.yaml",
              lambda d: d["faq"]["garbage.sorting"].update(title="How to sort your garbage"))
    problem = only_error(mini)
    assert "button label is 24 characters; LINE allows at most 20" in problem.message


def test_too_few_questions(mini, edit_yaml):
    edit_yaml(mini / "lang" / "vi.yaml",
              lambda d: d["faq"]["garbage.sorting"].update(questions=["Phân loại rác thế nào?"]))
    assert "1 question(s); expected at least 3" in only_error(mini).message


def test_malformed_yaml_reports_its_line(mini):
    path = mini / "lang" / "en.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[6] = "    answer: [unclosed"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problem = only_error(mini)
    assert problem.file.endswith("lang/en.yaml")
    assert problem.message.startswith("malformed YAML")
    assert problem.line in (7, 8)


def test_unknown_id_in_a_language_file(mini, edit_yaml):
    edit_yaml(mini / "lang" / "en.yaml",
              lambda d: d["faq"].update({"garbage.colection_day": d["faq"]["garbage.sorting"]}))
    problem = only_error(mini)
    assert problem.id == "garbage.colection_day"
    assert "unknown id in 'faq'" in problem.message


def test_load_phrasebook_refuses_invalid_content_with_every_error(mini, edit_yaml):
    edit_yaml(mini / "lang" / "vi.yaml", lambda d: (d["faq"].pop("garbage.sorting"), d["phrases"].pop("card.injured")))
    with pytest.raises(ContentError) as caught:
        load_phrasebook(mini, KEYS)
    assert len(caught.value.problems) == 2
    assert "the phrasebook has 2 error(s)" in str(caught.value)


def test_confusable_entries_are_a_warning(mini, edit_yaml):
    edit_yaml(mini / "lang" / "en.yaml",
              lambda d: d["faq"]["garbage.sorting"]["questions"].append("When is garbage day"))
    book, problems = load_content(mini, KEYS)
    assert problems == []
    warnings = find_confusables(phrasings_of(book), {"en": "lang/en.yaml"})
    assert len(warnings) == 1
    assert warnings[0].severity == "warning"
    assert "cannot tell them apart" in warnings[0].message
