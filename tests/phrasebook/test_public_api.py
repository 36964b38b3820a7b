"""The phrasebook package exports exactly its documented surface, and nothing of chats."""

from __future__ import annotations

from pathlib import Path

import phrasebook

EXPECTED = {
    "DEFAULT_CONTENT_DIR", "Area", "CityFacts", "ContentError", "Decision", "Hit", "LanguageGuess",
    "LanguageIdentifier", "MatchSettings", "Matcher", "Phrasebook", "Problem", "RenderError", "Renderer",
    "SlotValueError", "TabunkaError", "UnknownIdError", "load_content", "load_phrasebook", "normalize",
    "parse_slots",
}


def test_exported_names():
    assert set(phrasebook.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(phrasebook, name) is not None


def test_the_engine_imports_no_platform_sdk_and_no_bot_code():
    """The arrows point one way: bot -> handlers -> phrasebook."""
    for source in Path(phrasebook.__file__).parent.glob("*.py"):
        imports = [line.strip() for line in source.read_text(encoding="utf-8").splitlines()
                   if line.strip().startswith(("import ", "from "))]
        for line in imports:
            module = line.split()[1].split(".")[0]
            assert module not in {"telegram", "linebot", "bot", "handlers", "aiohttp", "aiosqlite"}, (source, line)
