"""The bot's configuration: one YAML file over embedded defaults, secrets from the environment.

Rules, and why:

* With no file at all the bot runs on ``bot/defaults/config.yaml``: a demo city, the
  shipped phrasebook, SQLite in ./data. Anyone can try it with no tokens.
* A config file is merged over those defaults key by key, except ``city:``, which replaces
  the demo city as a whole: a real city's notices must never show a demo phone number.
* ``${NAME}`` in any string is replaced by the environment variable NAME
  (``${NAME:-default}`` gives a default); an unset variable is an error naming the key.
  This is how secrets (tokens, channel secrets) reach the bot: never as literals in a file
  that gets committed or e-mailed.
* Every problem names the key and what was expected, and the CLI exits 1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from phrasebook.city import Area, CityFacts
from phrasebook.errors import TabunkaError

__all__ = ["Config", "ConfigError", "ContentSettings", "MatchingConfig", "StorageSettings", "load_config"]

DEFAULTS_FILE = Path(__file__).parent / "defaults" / "config.yaml"
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_URL_KEYS_SUFFIX = "_url"


class ConfigError(TabunkaError):
    """The configuration is invalid; the message names the key and what was expected."""


@dataclass(frozen=True)
class ContentSettings:
    path: Path | None = None


@dataclass(frozen=True)
class MatchingConfig:
    semantic: bool = True
    cache_dir: Path | None = None


@dataclass(frozen=True)
class StorageSettings:
    data_dir: Path = Path("./data")


@dataclass(frozen=True)
class Config:
    city: CityFacts
    content: ContentSettings = field(default_factory=ContentSettings)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    storage: StorageSettings = field(default_factory=StorageSettings)
    source: str = "embedded defaults"


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (or only the defaults) and build a checked :class:`Config`."""
    environ = os.environ if environ is None else environ
    data = _read(DEFAULTS_FILE)
    source = "embedded defaults"
    if path is not None:
        user = _read(path)
        data = _merge(data, user)
        source = str(path)
    data = _expand(data, environ, ())
    return _build(data, source)


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ConfigError(f"{path}:{line}: malformed YAML: {exc.problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return data


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if key != "city" and isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged[key] = _merge(dict(base[key]), value)
        else:
            merged[key] = value
    return merged


def _expand(value: Any, environ: Mapping[str, str], path: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            raise ConfigError(f"{'.'.join(path)}: environment variable {name} is not set")
        return _ENV.sub(replace, value)
    if isinstance(value, Mapping):
        return {k: _expand(v, environ, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, environ, (*path, str(i))) for i, v in enumerate(value)]
    return value


def _section(data: Mapping[str, Any], name: str, allowed: set[str]) -> Mapping[str, Any]:
    section = data.get(name) or {}
    if not isinstance(section, Mapping):
        raise ConfigError(f"{name}: expected a mapping")
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ConfigError(f"{name}.{unknown[0]}: unknown setting; expected one of: {', '.join(sorted(allowed))}")
    return section


_TOP_LEVEL = {"city", "content", "matching", "storage"}


def _build(data: Mapping[str, Any], source: str) -> Config:
    unknown = sorted(set(data) - _TOP_LEVEL)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown section; expected one of: {', '.join(sorted(_TOP_LEVEL))}")
    content = _section(data, "content", {"path"})
    matching = _section(data, "matching", {"semantic", "cache_dir"})
    storage = _section(data, "storage", {"data_dir"})
    semantic = matching.get("semantic", True)
    if not isinstance(semantic, bool):
        raise ConfigError("matching.semantic: expected true or false")
    return Config(
        city=_city(data.get("city")),
        content=ContentSettings(path=_optional_path(content.get("path"), "content.path")),
        matching=MatchingConfig(semantic=semantic,
                                cache_dir=_optional_path(matching.get("cache_dir"), "matching.cache_dir")),
        storage=StorageSettings(data_dir=_optional_path(storage.get("data_dir"), "storage.data_dir")
                                or Path("./data")),
        source=source,
    )


def _optional_path(value: Any, key: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a path or null")
    return Path(value).expanduser()


def _city(raw: Any) -> CityFacts:
    if not isinstance(raw, Mapping):
        raise ConfigError("city: expected a mapping (name, desk_phone, desk_hours, areas, ...)")
    values: dict[str, str | Mapping[str, str]] = {}
    for key, value in raw.items():
        if key == "areas":
            continue
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            text = str(value)
        elif isinstance(value, Mapping) and value and all(isinstance(v, str) for v in value.values()):
            values[str(key)] = {str(k): v for k, v in value.items()}
            continue
        else:
            raise ConfigError(f"city.{key}: expected a string or a mapping of language code to string")
        if key.endswith(_URL_KEYS_SUFFIX) and not re.match(r"^https?://\S+$", text):
            raise ConfigError(f"city.{key}: expected a web address starting with https://, got '{text}'")
        values[str(key)] = text
    if "name" not in values:
        raise ConfigError("city.name: missing; expected the city's name (a string or one per language)")
    return CityFacts(values=values, areas=_areas(raw.get("areas")))


def _areas(raw: Any) -> tuple[Area, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError("city.areas: expected a list of {id, name}")
    areas: list[Area] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            raise ConfigError(f"city.areas[{i}]: expected an 'id' (letters, digits, _ or -) and a 'name'")
        area_id = item["id"]
        if not re.fullmatch(r"[a-z0-9_-]{1,40}", area_id):
            raise ConfigError(f"city.areas[{i}].id: '{area_id}' must be lowercase letters, digits, _ or -")
        if area_id in seen:
            raise ConfigError(f"city.areas[{i}].id: duplicate area id '{area_id}'")
        seen.add(area_id)
        name = item.get("name")
        if isinstance(name, str):
            names: Mapping[str, str] = {"ja": name}
        elif isinstance(name, Mapping) and name:
            names = {str(k): str(v) for k, v in name.items()}
        else:
            raise ConfigError(f"city.areas[{i}].name: expected a string or a mapping of language code to string")
        areas.append(Area(id=area_id, names=names))
    return tuple(areas)
