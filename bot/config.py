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

__all__ = ["BroadcastSettings", "Config", "ConfigError", "ContentSettings", "MatchingConfig", "StorageSettings",
           "load_config"]

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
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1_048_576


@dataclass(frozen=True)
class LineSettings:
    enabled: bool = False
    channel_secret: str = ""
    access_token: str = ""
    webhook_path: str = "/webhooks/line"
    api_base: str = "https://api.line.me"


@dataclass(frozen=True)
class TelegramSettings:
    enabled: bool = False
    token: str = ""
    mode: str = "polling"
    webhook_secret: str = ""
    webhook_path: str = "/webhooks/telegram"
    public_url: str | None = None
    api_base: str = "https://api.telegram.org/bot"


@dataclass(frozen=True)
class BroadcastSettings:
    """How the dispatcher drains the outbox (the first four are configurable)."""

    telegram_rate_per_second: float = 25.0
    telegram_concurrency: int = 8
    line_concurrency: int = 4
    max_attempts: int = 5
    line_batch_size: int = 500
    base_backoff_seconds: float = 1.0
    page_size: int = 500


@dataclass(frozen=True)
class LimitSettings:
    max_message_chars: int = 1000
    rate_limit_messages: int = 20
    rate_limit_window_seconds: float = 60.0


@dataclass(frozen=True)
class Config:
    city: CityFacts
    content: ContentSettings = field(default_factory=ContentSettings)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    storage: StorageSettings = field(default_factory=StorageSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    line: LineSettings = field(default_factory=LineSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    broadcast: BroadcastSettings = field(default_factory=BroadcastSettings)
    staff: frozenset[str] = frozenset()
    operators: frozenset[str] = frozenset()
    source: str = "embedded defaults"

    @property
    def database_path(self) -> Path:
        return self.storage.data_dir / "tabunka.sqlite3"


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (or only the defaults) and build a checked :class:`Config`."""
    environ = os.environ if environ is None else environ
    data = _read(DEFAULTS_FILE)
    source = "embedded defaults"
    if path is not None:
        user = _read(path)
        data = _merge(data, user)
        source = str(path)
    _check_secrets_are_references(data)
    # A disabled channel's ${SECRET} need not be set: expand a channel section only if enabled.
    data = {key: value if key in _CHANNELS and not _enabled(value) else _expand(value, environ, (key,))
            for key, value in data.items()}
    return _build(data, source)


_CHANNELS = ("line", "telegram")
_SECRET_KEYS = {"line": ("channel_secret", "access_token"), "telegram": ("token", "webhook_secret")}


def _enabled(section: Any) -> bool:
    return isinstance(section, Mapping) and section.get("enabled") is True


def _check_secrets_are_references(data: Mapping[str, Any]) -> None:
    for channel, keys in _SECRET_KEYS.items():
        section = data.get(channel)
        if not isinstance(section, Mapping):
            continue
        for key in keys:
            value = section.get(key)
            if value not in (None, "") and not (isinstance(value, str) and _ENV.fullmatch(value.strip())):
                raise ConfigError(f"{channel}.{key}: secrets are read from the environment only; "
                                  f"write ${{YOUR_VARIABLE}} here and set the variable")


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


_TOP_LEVEL = {"city", "content", "matching", "storage", "limits", "staff", "server", "line", "telegram",
              "broadcast", "operators"}


def _build(data: Mapping[str, Any], source: str) -> Config:
    unknown = sorted(set(data) - _TOP_LEVEL)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown section; expected one of: {', '.join(sorted(_TOP_LEVEL))}")
    content = _section(data, "content", {"path"})
    matching = _section(data, "matching", {"semantic", "cache_dir"})
    storage = _section(data, "storage", {"data_dir"})
    limits = _section(data, "limits", {"max_message_chars", "rate_limit_messages", "rate_limit_window_seconds"})
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
        limits=LimitSettings(
            max_message_chars=_positive_int(limits, "max_message_chars", 1000),
            rate_limit_messages=_positive_int(limits, "rate_limit_messages", 20),
            rate_limit_window_seconds=float(_positive_int(limits, "rate_limit_window_seconds", 60)),
        ),
        server=_server(_section(data, "server", {"host", "port", "max_body_bytes"})),
        line=_line(_section(data, "line", {"enabled", "channel_secret", "access_token", "webhook_path", "api_base"})),
        telegram=_telegram(_section(data, "telegram", {"enabled", "token", "mode", "webhook_secret",
                                                       "webhook_path", "public_url", "api_base"})),
        broadcast=_broadcast(_section(data, "broadcast", {"telegram_rate_per_second", "telegram_concurrency",
                                                          "line_concurrency", "max_attempts"})),
        staff=_actors(data.get("staff"), "staff"),
        operators=_actors(data.get("operators"), "operators"),
        source=source,
    )


def _broadcast(section: Mapping[str, Any]) -> BroadcastSettings:
    rate = section.get("telegram_rate_per_second", 25.0)
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 < rate <= 10_000:
        raise ConfigError("broadcast.telegram_rate_per_second: expected a number above 0 (Telegram allows ~30)")
    values = {}
    for key, default in (("telegram_concurrency", 8), ("line_concurrency", 4), ("max_attempts", 5)):
        value = section.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
            raise ConfigError(f"broadcast.{key}: expected a whole number from 1 to 1000")
        values[key] = value
    return BroadcastSettings(telegram_rate_per_second=float(rate), **values)


def _str(section: Mapping[str, Any], name: str, key: str, default: str) -> str:
    value = section.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ConfigError(f"{name}.{key}: expected text, got {value!r}")
    return value


def _bool(section: Mapping[str, Any], name: str, key: str) -> bool:
    value = section.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{name}.{key}: expected true or false")
    return value


def _url(value: str, key: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"{key}: expected a web address starting with https:// (or http:// for a local emulator)")
    return value


def _path(value: str, key: str) -> str:
    if not value.startswith("/"):
        raise ConfigError(f"{key}: expected a path starting with /")
    return value


def _server(section: Mapping[str, Any]) -> ServerSettings:
    port = section.get("port", 8080)
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError("server.port: expected a port number 0-65535 (0: any free port)")
    size = section.get("max_body_bytes", 1_048_576)
    if not isinstance(size, int) or size < 1024:
        raise ConfigError("server.max_body_bytes: expected a whole number of at least 1024")
    return ServerSettings(host=_str(section, "server", "host", "127.0.0.1"), port=port, max_body_bytes=size)


def _line(section: Mapping[str, Any]) -> LineSettings:
    enabled = _bool(section, "line", "enabled")
    settings = LineSettings(
        enabled=enabled,
        channel_secret=_str(section, "line", "channel_secret", "") if enabled else "",
        access_token=_str(section, "line", "access_token", "") if enabled else "",
        webhook_path=_path(_str(section, "line", "webhook_path", "/webhooks/line"), "line.webhook_path"),
        api_base=_url(_str(section, "line", "api_base", "https://api.line.me"), "line.api_base"),
    )
    if enabled and not (settings.channel_secret and settings.access_token):
        raise ConfigError("line: enabled, but channel_secret or access_token is empty; "
                          "set them as ${LINE_CHANNEL_SECRET} and ${LINE_CHANNEL_ACCESS_TOKEN}")
    return settings


def _telegram(section: Mapping[str, Any]) -> TelegramSettings:
    enabled = _bool(section, "telegram", "enabled")
    mode = _str(section, "telegram", "mode", "polling")
    if mode not in ("polling", "webhook"):
        raise ConfigError(f"telegram.mode: expected polling or webhook, got {mode!r}")
    public_url = section.get("public_url")
    settings = TelegramSettings(
        enabled=enabled,
        token=_str(section, "telegram", "token", "") if enabled else "",
        mode=mode,
        webhook_secret=_str(section, "telegram", "webhook_secret", "") if enabled else "",
        webhook_path=_path(_str(section, "telegram", "webhook_path", "/webhooks/telegram"),
                           "telegram.webhook_path"),
        public_url=_url(public_url, "telegram.public_url") if isinstance(public_url, str) else None,
        api_base=_url(_str(section, "telegram", "api_base", "https://api.telegram.org/bot"), "telegram.api_base"),
    )
    if enabled and not settings.token:
        raise ConfigError("telegram: enabled, but token is empty; set it as ${TELEGRAM_BOT_TOKEN}")
    if enabled and mode == "webhook" and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", settings.webhook_secret):
        raise ConfigError("telegram.webhook_secret: webhook mode needs a secret of 16-256 characters "
                          "A-Z a-z 0-9 _ - (Telegram's rule), from ${TELEGRAM_WEBHOOK_SECRET}")
    return settings


def _positive_int(section: Mapping[str, Any], key: str, default: int) -> int:
    value = section.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"limits.{key}: expected a whole number of at least 1, got {value!r}")
    return value


def _actors(raw: Any, key: str) -> frozenset[str]:
    """A list of ``platform:user_id`` strings (e.g. ``telegram:12345``, ``line:U4af4...``)."""
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise ConfigError(f"{key}: expected a list of platform:user_id")
    actors = set()
    for i, item in enumerate(raw):
        text = str(item)
        platform, _, user = text.partition(":")
        if platform not in ("telegram", "line", "console") or not user:
            raise ConfigError(f"{key}[{i}]: '{text}' is not platform:user_id with platform telegram, line or console")
        actors.add(text)
    return frozenset(actors)


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
