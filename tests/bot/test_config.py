"""Configuration: defaults, environment variables, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_embedded_defaults_run_a_demo_city():
    config = load_config()
    assert config.source == "embedded defaults"
    assert config.city.get("name", "vi") == "Thành phố Tabunka (demo)"
    assert {a.id for a in config.city.areas} == {"kita", "minami", "chuo", "coast"}
    assert config.content.path is None and config.matching.semantic is True


def test_the_example_config_is_valid_and_documents_every_key():
    example = Path(__file__).resolve().parents[2] / "config.example.yaml"
    config = load_config(example, environ={})
    defaults = load_config()
    assert config.city.keys() == defaults.city.keys()


def test_a_city_block_replaces_the_demo_city_whole(tmp_path):
    config = load_config(write(tmp_path, "city:\n  name: 横浜市\n  desk_phone: 045-000-0000\n"))
    assert config.city.keys() == {"name", "desk_phone"}
    assert config.city.get("name", "en") == "横浜市"      # falls back to what exists
    assert config.matching.semantic is True                # other sections keep their defaults


def test_environment_variables_are_expanded(tmp_path):
    path = write(tmp_path, "city:\n  name: X\n  desk_phone: ${DESK_PHONE}\n  desk_email: ${MAIL:-desk@example.org}\n")
    config = load_config(path, environ={"DESK_PHONE": "0120-11-2222"})
    assert config.city.get("desk_phone", "en") == "0120-11-2222"
    assert config.city.get("desk_email", "en") == "desk@example.org"


@pytest.mark.parametrize(("text", "message"), [
    ("city:\n  name: X\n  desk_phone: ${NOPE}\n", "city.desk_phone: environment variable NOPE is not set"),
    ("matching:\n  semantik: true\n", "matching.semantik: unknown setting; expected one of: cache_dir, semantic"),
    ("telegramm: {}\n", "telegramm: unknown section"),
    ("matching:\n  semantic: yes please\n", "matching.semantic: expected true or false"),
    ("city:\n  name: X\n  shelter_map_url: shelters.html\n",
     "city.shelter_map_url: expected a web address starting with https://"),
    ("city:\n  desk_phone: '1'\n", "city.name: missing"),
    ("city:\n  name: X\n  areas:\n    - {id: Kita Ward, name: 北区}\n",
     "city.areas[0].id: 'Kita Ward' must be lowercase"),
    ("city: [\n", "malformed YAML"),
])
def test_errors_name_the_key_and_what_was_expected(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ={})
    assert message in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.yaml")
