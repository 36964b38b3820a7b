"""Load the content directory into a :class:`Phrasebook`, collecting every problem.

Loading never stops at the first problem: staff fix content in batches, so the loader
records each one with its file and line and carries on with what it can build. The caller
decides what to do: ``tabunka-bot validate`` prints them, the bot refuses to start on any
error (:func:`load_phrasebook`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phrasebook.errors import ContentError
from phrasebook.model import (
    SEVERITIES,
    SLOT_TYPES,
    CardText,
    FaqEntry,
    FaqText,
    LanguagePack,
    Phrasebook,
    PhraseCard,
    Slot,
    Template,
    TemplateText,
)
from phrasebook.problems import Problem
from phrasebook.yamlsrc import SourceFile, YamlSyntaxError, load_yaml

__all__ = ["DEFAULT_CONTENT_DIR", "LIMITS", "load_content", "load_phrasebook", "placeholders"]

DEFAULT_CONTENT_DIR = Path(__file__).parent / "data"

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
CITY_PREFIX = "city."


@dataclass(frozen=True)
class Limits:
    """Platform limits that content must fit (LINE and Telegram)."""

    button_chars: int = 20          # LINE quick reply label
    line_utf16_units: int = 5000    # LINE text message
    telegram_chars: int = 4096      # Telegram sendMessage
    min_faq_questions: int = 3
    min_card_questions: int = 2


LIMITS = Limits()


def placeholders(text: str) -> list[str]:
    """The names inside ``{...}`` in ``text``, in order (city references included)."""
    return PLACEHOLDER.findall(text)


@dataclass
class _Collector:
    root: Path
    problems: list[Problem] = field(default_factory=list)

    def _rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def error(self, src: SourceFile | Path, keys: Iterable[Any], id_: str,
              lang: str | None, message: str) -> None:
        self._add(src, keys, id_, lang, message, "error")

    def warn(self, src: SourceFile | Path, keys: Iterable[Any], id_: str,
             lang: str | None, message: str) -> None:
        self._add(src, keys, id_, lang, message, "warning")

    def _add(self, src: SourceFile | Path, keys: Iterable[Any], id_: str,
             lang: str | None, message: str, severity: str) -> None:
        if isinstance(src, SourceFile):
            file, line = self._rel(src.path), src.line(*keys)
        else:
            file, line = self._rel(src), 1
        self.problems.append(Problem(file, line, id_, lang, message, severity))  # type: ignore[arg-type]


def load_phrasebook(root: Path = DEFAULT_CONTENT_DIR,
                    city_keys: frozenset[str] | None = None) -> Phrasebook:
    """Load and validate; raise :class:`ContentError` listing every error if any."""
    book, problems = load_content(root, city_keys)
    if any(p.severity == "error" for p in problems):
        raise ContentError(problems)
    return book


def load_content(root: Path = DEFAULT_CONTENT_DIR,
                 city_keys: frozenset[str] | None = None) -> tuple[Phrasebook, list[Problem]]:
    """Build what can be built from ``root`` and report every problem found on the way.

    ``city_keys``: the keys of the config's ``city:`` block; when given, every
    ``{city.xxx}`` reference in the content must name one of them.
    """
    out = _Collector(root)
    files = _read_files(root, out)
    lang_src = files.get("languages.yaml")
    languages, source = _languages(lang_src, out)
    ui_src = files.get("ui.yaml")
    ui_ids = _ui_ids(ui_src, out)
    choice_lists, template_structs = _template_structure(files.get("templates.yaml"), ui_ids, out)
    faq_structs = _id_list(files.get("faq.yaml"), "faq", out)
    card_structs = _id_list(files.get("phrases.yaml"), "phrases", out)

    lang_files: dict[str, SourceFile] = {}
    unparsed = {name for name, src in files.items() if src is None}
    for name, src in files.items():
        if name.startswith("lang/") and src is not None:
            code = name[len("lang/"):-len(".yaml")]
            if code not in languages:
                out.error(src, (), code, code,
                          f"unknown language file; expected one of: {', '.join(languages)}")
                continue
            lang_files[code] = src
    for code in languages:
        if code not in lang_files and f"lang/{code}.yaml" not in unparsed:
            out.error(root / "lang" / f"{code}.yaml", (), code, code,
                      "missing language file; every language in languages.yaml needs one")

    known = _KnownIds(
        faq=set(faq_structs), cards=set(card_structs), templates=set(template_structs),
        choice_lists=choice_lists, ui=ui_ids,
    )
    for code, src in lang_files.items():
        _check_unknown_ids(src, code, known, out)

    faq = {fid: _build_faq(fid, struct, src, lang_files, languages, known, out)
           for fid, (struct, src) in faq_structs.items()}
    cards = {cid: _build_card(cid, struct, src, lang_files, languages, out)
             for cid, (struct, src) in card_structs.items()}
    templates = {tid: _build_template(tid, struct, src, lang_files, languages, choice_lists, ui_ids, out)
                 for tid, (struct, src) in template_structs.items()}
    packs = {code: _build_pack(code, languages.get(code, code), lang_files.get(code), ui_ids,
                               choice_lists, out)
             for code in languages}

    _check_categories(faq_structs, card_structs, template_structs, ui_ids, out)
    _check_placeholders(lang_files, source, known, template_structs, out)
    _check_lengths(lang_files, out)
    if city_keys is not None:
        _check_city_refs(lang_files, city_keys, out)

    book = Phrasebook(
        languages=tuple(languages), source_language=source, faq=faq, phrases=cards,
        templates=templates, choice_lists=choice_lists, packs=packs,
    )
    return book, sorted(out.problems, key=lambda p: (p.severity != "error", p.file, p.line))


# --- files -----------------------------------------------------------------------------

def _read_files(root: Path, out: _Collector) -> dict[str, SourceFile | None]:
    """Parsed files by name; a file that exists but does not parse maps to None."""
    files: dict[str, SourceFile | None] = {}
    if not root.is_dir():
        out.error(root, (), "content", None, "content directory not found; expected a folder "
                  "with languages.yaml, faq.yaml, phrases.yaml, templates.yaml, ui.yaml, lang/")
        return files
    paths = [root / n for n in ("languages.yaml", "faq.yaml", "phrases.yaml",
                                "templates.yaml", "ui.yaml")]
    paths += sorted((root / "lang").glob("*.yaml"))
    for path in paths:
        name = str(path.relative_to(root))
        if not path.exists():
            out.error(path, (), name, None, "file missing")
            continue
        try:
            src = load_yaml(path)
        except YamlSyntaxError as exc:
            out.problems.append(Problem(out._rel(path), exc.line, name, None, exc.message))
            files[name] = None
            continue
        for keys, line in src.duplicate_keys:
            out.problems.append(Problem(out._rel(path), line, str(keys[-1]), None,
                                        "duplicate key; each key may appear once"))
        files[name] = src
    return files


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _languages(src: SourceFile | None, out: _Collector) -> tuple[dict[str, str], str]:
    if src is None:
        return {}, "ja"
    data = _mapping(src.data)
    langs = _mapping(data.get("languages"))
    if not langs:
        out.error(src, ("languages",), "languages", None,
                  "no languages; expected a mapping of BCP 47 code to the language's own name")
    source = str(data.get("source", "ja"))
    if langs and source not in langs:
        out.error(src, ("source",), "source", source, "source language is not in 'languages'")
    return {str(k): str(v) for k, v in langs.items()}, source


_UI_SECTIONS = ("ui", "buttons", "commands", "categories")


def _ui_ids(src: SourceFile | None, out: _Collector) -> dict[str, tuple[str, ...]]:
    if src is None:
        return {s: () for s in _UI_SECTIONS}
    data = _mapping(src.data)
    result = {}
    for section in _UI_SECTIONS:
        value = data.get(section)
        if not isinstance(value, Mapping):
            out.error(src, (section,), section, None,
                      f"section '{section}' missing; expected a mapping of id to description")
            value = {}
        result[section] = tuple(str(k) for k in value)
    return result


def _id_list(src: SourceFile | None, section: str,
             out: _Collector) -> dict[str, tuple[Mapping[str, Any], SourceFile]]:
    found: dict[str, tuple[Mapping[str, Any], SourceFile]] = {}
    if src is None:
        return found
    items = _mapping(src.data).get(section)
    if not isinstance(items, list):
        out.error(src, (section,), section, None, f"expected a list under '{section}:'")
        return found
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            out.error(src, (section, index), f"{section}[{index}]", None, "entry without an 'id'")
            continue
        if item["id"] in found:
            out.error(src, (section, index, "id"), item["id"], None,
                      "duplicate id; each id may be defined once")
            continue
        found[item["id"]] = (item, src)
    return found


def _template_structure(src: SourceFile | None, ui_ids: Mapping[str, tuple[str, ...]],
                        out: _Collector) -> tuple[dict[str, tuple[str, ...]],
                                                  dict[str, tuple[Mapping[str, Any], SourceFile]]]:
    if src is None:
        return {}, {}
    raw = _mapping(_mapping(src.data).get("choices"))
    choice_lists: dict[str, tuple[str, ...]] = {}
    for name, values in raw.items():
        if not isinstance(values, list) or not values:
            out.error(src, ("choices", name), str(name), None, "a choice list must be a non-empty list of values")
            continue
        choice_lists[str(name)] = tuple(str(v) for v in values)
    return choice_lists, _id_list(src, "templates", out)


# --- building entries --------------------------------------------------------------------

@dataclass(frozen=True)
class _KnownIds:
    faq: set[str]
    cards: set[str]
    templates: set[str]
    choice_lists: Mapping[str, tuple[str, ...]]
    ui: Mapping[str, tuple[str, ...]]


def _check_unknown_ids(src: SourceFile, code: str, known: _KnownIds, out: _Collector) -> None:
    data = _mapping(src.data)
    sections: dict[str, Iterable[str]] = {
        "faq": known.faq, "phrases": known.cards, "templates": known.templates,
        "choices": known.choice_lists, **{s: known.ui[s] for s in _UI_SECTIONS},
    }
    for section, ids in sections.items():
        allowed = set(ids)
        for key in _mapping(data.get(section)):
            if key not in allowed:
                out.error(src, (section, key), str(key), code,
                          f"unknown id in '{section}'; it is not defined in the structure files")
    for list_name, labels in _mapping(data.get("choices")).items():
        values = set(known.choice_lists.get(list_name, ()))
        for value in _mapping(labels):
            if values and value not in values:
                out.error(src, ("choices", list_name, value), f"{list_name}.{value}", code,
                          f"unknown choice value; expected one of: {', '.join(sorted(values))}")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return ()


def _build_faq(fid: str, struct: Mapping[str, Any], struct_src: SourceFile,
               lang_files: Mapping[str, SourceFile],
               languages: Mapping[str, str], known: _KnownIds, out: _Collector) -> FaqEntry:
    related = _strings(struct.get("related"))
    texts: dict[str, FaqText] = {}
    for code in languages:
        src = lang_files.get(code)
        if src is None:
            continue
        raw = _mapping(src.data).get("faq", {}) or {}
        item = raw.get(fid) if isinstance(raw, Mapping) else None
        if not isinstance(item, Mapping):
            out.error(src, ("faq",), fid, code, "missing translation; expected title, questions, keywords, answer")
            continue
        text = FaqText(title=_text(item.get("title")), questions=_strings(item.get("questions")),
                       keywords=_strings(item.get("keywords")), answer=_text(item.get("answer")))
        keys = ("faq", fid)
        if not text.title:
            out.error(src, keys, fid, code, "missing 'title' (a button label of at most 20 characters)")
        if not text.answer:
            out.error(src, keys, fid, code, "missing 'answer'")
        if len(text.questions) < LIMITS.min_faq_questions:
            out.error(src, keys, fid, code, f"{len(text.questions)} question(s); expected at least "
                      f"{LIMITS.min_faq_questions} different wordings")
        if not text.keywords:
            out.warn(src, keys, fid, code, "no keywords; synonyms and common spellings help residents find this entry")
        texts[code] = text
    for rel in related:
        if rel not in known.faq and rel not in known.cards:
            out.error(struct_src, ("faq", _index_of(struct_src, "faq", fid), "related"), fid, None,
                      f"related id '{rel}' is neither a FAQ entry nor a phrase card")
    return FaqEntry(id=fid, category=str(struct.get("category", "")), related=related, texts=texts)


def _build_card(cid: str, struct: Mapping[str, Any], struct_src: SourceFile,
                lang_files: Mapping[str, SourceFile], languages: Mapping[str, str],
                out: _Collector) -> PhraseCard:
    reading, romaji = _text(struct.get("reading")), _text(struct.get("romaji"))
    index_keys = ("phrases", _index_of(struct_src, "phrases", cid))
    if not reading:
        out.error(struct_src, index_keys, cid, "ja", "missing 'reading' (hiragana reading of the Japanese text)")
    elif any(_is_kanji(ch) for ch in reading):
        out.error(struct_src, index_keys, cid, "ja", "'reading' contains kanji; expected hiragana only")
    if not romaji:
        out.error(struct_src, index_keys, cid, "ja", "missing 'romaji'")
    texts: dict[str, CardText] = {}
    for code in languages:
        src = lang_files.get(code)
        if src is None:
            continue
        raw = _mapping(_mapping(src.data).get("phrases"))
        item = raw.get(cid)
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, Mapping) or not _text(item.get("text")):
            out.error(src, ("phrases", cid), cid, code,
                      "missing translation; expected 'text' (and questions, keywords)")
            continue
        card = CardText(text=_text(item.get("text")), questions=_strings(item.get("questions")),
                        keywords=_strings(item.get("keywords")))
        if len(card.questions) < LIMITS.min_card_questions:
            out.error(src, ("phrases", cid), cid, code, f"{len(card.questions)} question(s); expected at "
                      f"least {LIMITS.min_card_questions} ways a resident asks for this card")
        texts[code] = card
    return PhraseCard(id=cid, category=str(struct.get("category", "")), reading=reading,
                      romaji=romaji, texts=texts)


def _is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _build_template(tid: str, struct: Mapping[str, Any], struct_src: SourceFile,
                    lang_files: Mapping[str, SourceFile], languages: Mapping[str, str],
                    choice_lists: Mapping[str, tuple[str, ...]],
                    ui_ids: Mapping[str, tuple[str, ...]], out: _Collector) -> Template:
    index = _index_of(struct_src, "templates", tid)
    base = ("templates", index)
    severity = str(struct.get("severity", ""))
    if severity not in SEVERITIES:
        out.error(struct_src, base + ("severity",), tid, None,
                  f"unknown severity '{severity}'; expected one of: {', '.join(SEVERITIES)}")
    slots: list[Slot] = []
    for name, spec in _mapping(struct.get("slots")).items():
        spec = _mapping(spec)
        stype = str(spec.get("type", ""))
        keys = base + ("slots", name)
        if stype not in SLOT_TYPES:
            out.error(struct_src, keys, tid, None,
                      f"slot '{name}' has unknown type '{stype}'; expected one of: {', '.join(sorted(SLOT_TYPES))}")
        choices = spec.get("choices")
        if stype == "choice" and choices not in choice_lists:
            out.error(struct_src, keys, tid, None,
                      f"slot '{name}' names choice list '{choices}', which is not under 'choices:'")
        slots.append(Slot(name=str(name), type=stype, choices=str(choices) if choices else None,
                          multi=bool(spec.get("multi", False))))
    buttons = _strings(struct.get("buttons"))
    for button in buttons:
        if button not in ui_ids.get("buttons", ()):
            out.error(struct_src, base + ("buttons",), tid, None,
                      f"button '{button}' is not defined under 'buttons:' in ui.yaml")
    texts: dict[str, TemplateText] = {}
    for code in languages:
        src = lang_files.get(code)
        if src is None:
            continue
        item = _mapping(_mapping(src.data).get("templates")).get(tid)
        if not isinstance(item, Mapping) or not _text(item.get("text")):
            out.error(src, ("templates",), tid, code, "missing translation; expected 'title' and 'text'")
            continue
        text = TemplateText(title=_text(item.get("title")), text=_text(item.get("text")))
        if not text.title:
            out.error(src, ("templates", tid), tid, code, "missing 'title' (at most 20 characters)")
        texts[code] = text
    return Template(id=tid, category=str(struct.get("category", "")), severity=severity,
                    slots=tuple(slots), buttons=buttons, texts=texts)


def _index_of(src: SourceFile, section: str, id_: str) -> int:
    items = _mapping(src.data).get(section) or []
    for i, item in enumerate(items):
        if isinstance(item, Mapping) and item.get("id") == id_:
            return i
    return 0


def _build_pack(code: str, name: str, src: SourceFile | None,
                ui_ids: Mapping[str, tuple[str, ...]],
                choice_lists: Mapping[str, tuple[str, ...]], out: _Collector) -> LanguagePack:
    if src is None:
        return LanguagePack(code=code, name=name)
    data = _mapping(src.data)
    sections: dict[str, dict[str, str]] = {}
    for section in ("ui", "buttons", "categories"):
        raw = _mapping(data.get(section))
        values: dict[str, str] = {}
        for key in ui_ids.get(section, ()):
            value = _text(raw.get(key))
            if not value:
                out.error(src, (section,), f"{section}.{key}", code, "missing translation")
            values[key] = value
        sections[section] = values
    commands: dict[str, tuple[str, ...]] = {}
    raw_commands = _mapping(data.get("commands"))
    for key in ui_ids.get("commands", ()):
        raw_words = raw_commands.get(key)
        words = (raw_words,) if isinstance(raw_words, str) else _strings(raw_words)
        if not words:
            out.error(src, ("commands",), f"commands.{key}", code, "missing; expected a list of command words")
        commands[key] = tuple(w.strip().lower() for w in words)
    choices: dict[str, dict[str, str]] = {}
    raw_choices = _mapping(data.get("choices"))
    for list_name, values_ in choice_lists.items():
        labels = _mapping(raw_choices.get(list_name))
        choices[list_name] = {}
        for value in values_:
            label = _text(labels.get(value))
            if not label:
                out.error(src, ("choices",), f"{list_name}.{value}", code, "missing choice label")
            choices[list_name][value] = label
    formats = dict(_mapping(data.get("formats")))
    _check_formats(src, code, formats, out)
    return LanguagePack(code=code, name=name, ui=sections["ui"], buttons=sections["buttons"],
                        commands=commands, categories=sections["categories"], choices=choices,
                        formats=formats)


def _check_formats(src: SourceFile, code: str, formats: Mapping[str, Any], out: _Collector) -> None:
    date = formats.get("date")
    if not isinstance(date, str) or not date:
        out.error(src, ("formats",), "formats.date", code,
                  "missing date format; expected e.g. '{month}月{day}日' or '{day} {month_name}'")
        return
    allowed = {"year", "month", "day", "month_name", "weekday"}
    for name in placeholders(date):
        if name not in allowed:
            out.error(src, ("formats", "date"), "formats.date", code,
                      f"unknown placeholder '{{{name}}}'; expected one of: {', '.join(sorted(allowed))}")
    if "{month_name}" in date and len(_strings(formats.get("months"))) != 12:
        out.error(src, ("formats",), "formats.months", code,
                  "the date format uses {month_name}; expected 12 month names")
    if "{weekday}" in date and len(_strings(formats.get("weekdays"))) != 7:
        out.error(src, ("formats",), "formats.weekdays", code,
                  "the date format uses {weekday}; expected 7 weekday names, Monday first")


def _check_categories(faq: Mapping[str, tuple[Mapping[str, Any], SourceFile]],
                      cards: Mapping[str, tuple[Mapping[str, Any], SourceFile]],
                      templates: Mapping[str, tuple[Mapping[str, Any], SourceFile]],
                      ui_ids: Mapping[str, tuple[str, ...]], out: _Collector) -> None:
    categories = set(ui_ids.get("categories", ()))
    for section, items in (("faq", faq), ("phrases", cards), ("templates", templates)):
        for id_, (struct, src) in items.items():
            category = struct.get("category")
            if category not in categories:
                out.error(src, (section, _index_of(src, section, id_)), id_, None,
                          f"unknown category '{category}'; expected one of the categories in ui.yaml")


# --- cross-language checks -------------------------------------------------------------

def _text_fields(data: Mapping[str, Any]) -> Iterable[tuple[tuple[str, ...], str]]:
    """Every sentence a resident may read, with its key path (questions and keywords excluded)."""
    for fid, item in _mapping(data.get("faq")).items():
        item = _mapping(item)
        for key in ("title", "answer"):
            if isinstance(item.get(key), str):
                yield ("faq", fid, key), item[key]
    for cid, item in _mapping(data.get("phrases")).items():
        text = item if isinstance(item, str) else _mapping(item).get("text")
        if isinstance(text, str):
            yield ("phrases", cid, "text"), text
    for tid, item in _mapping(data.get("templates")).items():
        item = _mapping(item)
        for key in ("title", "text"):
            if isinstance(item.get(key), str):
                yield ("templates", tid, key), item[key]
    for section in ("ui", "buttons", "categories"):
        for key, value in _mapping(data.get(section)).items():
            if isinstance(value, str):
                yield (section, key), value
    for list_name, labels in _mapping(data.get("choices")).items():
        for value, label in _mapping(labels).items():
            if isinstance(label, str):
                yield ("choices", list_name, value), label


def _check_placeholders(lang_files: Mapping[str, SourceFile], source: str, known: _KnownIds,
                        templates: Mapping[str, tuple[Mapping[str, Any], SourceFile]],
                        out: _Collector) -> None:
    src_file = lang_files.get(source)
    reference: dict[tuple[str, ...], list[str]] = {}
    if src_file is not None:
        reference = {k: sorted(set(p for p in placeholders(v) if not p.startswith(CITY_PREFIX)))
                     for k, v in _text_fields(_mapping(src_file.data))}
        for tid, (struct, _struct_src) in templates.items():
            slot_names = set(_mapping(struct.get("slots")))
            if ("templates", tid, "text") not in reference:
                continue  # the missing translation is reported already
            used = set(reference[("templates", tid, "text")])
            for unused in sorted(slot_names - used):
                out.error(src_file, ("templates", tid), tid, source,
                          f"slot '{{{unused}}}' is never used in the text")
            for unknown in sorted(used - slot_names):
                out.error(src_file, ("templates", tid), tid, source,
                          f"placeholder '{{{unknown}}}' is not a slot of this template; slots: "
                          f"{', '.join(sorted(slot_names)) or 'none'}")
    for code, src in lang_files.items():
        for keys, text in _text_fields(_mapping(src.data)):
            found = sorted({p for p in placeholders(text) if not p.startswith(CITY_PREFIX)})
            expected = reference.get(keys)
            if expected is None or found == expected or code == source:
                continue
            missing = [f"{{{p}}}" for p in expected if p not in found]
            extra = [f"{{{p}}}" for p in found if p not in expected]
            detail = "; ".join(filter(None, [
                f"missing {', '.join(missing)}" if missing else "",
                f"not in the Japanese text: {', '.join(extra)}" if extra else "",
            ]))
            out.error(src, keys, ".".join(keys[1:]) if len(keys) > 2 else ".".join(keys), code,
                      f"placeholders differ from Japanese ({detail}); expected exactly "
                      f"{', '.join('{' + p + '}' for p in expected) or 'none'}")


def utf16_units(text: str) -> int:
    """Length as LINE counts it: UTF-16 code units (emoji and rare kanji count 2)."""
    return len(text.encode("utf-16-le")) // 2


def _check_lengths(lang_files: Mapping[str, SourceFile], out: _Collector) -> None:
    for code, src in lang_files.items():
        for keys, text in _text_fields(_mapping(src.data)):
            label = ".".join(keys[1:]) if len(keys) > 2 else ".".join(keys)
            is_button = keys[0] in ("buttons", "categories") or keys[-1] == "title"
            if is_button and len(text.strip()) > LIMITS.button_chars:
                out.error(src, keys, label, code, f"button label is {len(text.strip())} characters; "
                          f"LINE allows at most {LIMITS.button_chars}")
            if utf16_units(text) > LIMITS.line_utf16_units:
                out.error(src, keys, label, code, f"text is {utf16_units(text)} UTF-16 units; "
                          f"LINE allows at most {LIMITS.line_utf16_units}")
            if len(text) > LIMITS.telegram_chars:
                out.error(src, keys, label, code, f"text is {len(text)} characters; "
                          f"Telegram allows at most {LIMITS.telegram_chars}")


def _check_city_refs(lang_files: Mapping[str, SourceFile], city_keys: frozenset[str],
                     out: _Collector) -> None:
    for code, src in lang_files.items():
        for keys, text in _text_fields(_mapping(src.data)):
            for name in placeholders(text):
                if name.startswith(CITY_PREFIX) and name[len(CITY_PREFIX):] not in city_keys:
                    label = ".".join(keys[1:]) if len(keys) > 2 else ".".join(keys)
                    out.error(src, keys, label, code,
                              f"'{{{name}}}' refers to a key the config's city block lacks; "
                              f"known: {', '.join(sorted(city_keys))}")
