"""Shared fixtures: a small valid content directory to break on purpose, and a city."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from phrasebook.city import Area, CityFacts

MINI = Path(__file__).parent / "fixtures" / "mini"

CITY = CityFacts(
    values={
        "name": {"ja": "テスト市", "en": "Test City", "vi": "Thành phố Test"},
        "desk_phone": "03-1234-5678",
        "garbage_calendar_url": "https://example.org/calendar",
        "garbage_rules_url": "https://example.org/rules",
    },
    areas=(Area("kita", {"ja": "北区", "en": "Kita Ward", "vi": "Quận Kita"}),
           Area("minami", {"ja": "南区", "en": "Minami Ward"})),
)


@pytest.fixture
def city() -> CityFacts:
    return CITY


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the mini content (ja, en, vi; 3 FAQ entries, 2 cards, 2 templates)."""
    target = tmp_path / "content"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture
def edit_yaml() -> Callable[[Path, Callable[[Any], None]], None]:
    """Load a YAML file, let the test change the data, write it back."""

    def edit(path: Path, change: Callable[[Any], None]) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    return edit
