"""The ``tabunka-bot`` command line: staff tools now, the bot itself in later commands.

Every command loads the same config and content the bot uses, so what staff test is what
residents get. Exit codes: 0 fine, 1 content/config/input problems, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bot.config import Config, ConfigError, load_config
from bot.engine import Engine, build_engine
from handlers.replies import Reply, decision_reply, entry_reply
from handlers.staff import explain
from phrasebook.errors import ContentError, TabunkaError
from phrasebook.evaluate import evaluate, read_eval_file
from phrasebook.loader import DEFAULT_CONTENT_DIR, load_content

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tabunka-bot", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None,
                        help="config file (default: the embedded demo defaults)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check the content and the config; list every problem")
    p.add_argument("path", nargs="?", type=Path, default=None, help="content directory (default: config's)")
    p.add_argument("--no-confusables", action="store_true", help="skip the near-duplicate check")

    p = sub.add_parser("ask", help="the reply the bot would send to a message")
    p.add_argument("text")
    p.add_argument("--lang", default=None, help="the resident's chosen language (BCP 47 code)")
    p.add_argument("--explain", action="store_true", help="show language, top hits, scores, decision")
    p.add_argument("--no-semantic", action="store_true", help="lexical matching only")

    p = sub.add_parser("phrase", help="the phrase card for a message")
    p.add_argument("text")
    p.add_argument("--lang", default=None)
    p.add_argument("--no-semantic", action="store_true", help="lexical matching only")

    p = sub.add_parser("chat", help="talk to the bot in the terminal (no tokens needed)")
    p.add_argument("--as", dest="role", choices=("resident", "staff"), default="resident")
    p.add_argument("--lang", default=None, help="language hint, as a platform would give it")
    p.add_argument("--no-semantic", action="store_true", help="lexical matching only")

    p = sub.add_parser("serve", help="run the bot: every channel enabled in the config, /healthz, /metrics")
    p.add_argument("--no-semantic", action="store_true", help="lexical matching only")

    p = sub.add_parser("broadcast", help="send a disaster notice from a template to subscribers")
    p.add_argument("template", help="template id, e.g. shelter.opened")
    p.add_argument("--set", dest="slots", action="append", default=[], metavar="SLOT=VALUE")
    p.add_argument("--area", action="append", default=[], help="only residents of these areas (repeatable)")
    p.add_argument("--lang", action="append", default=[], help="only these languages (repeatable)")
    p.add_argument("--platform", action="append", default=[], choices=("line", "telegram"))
    p.add_argument("--drill", action="store_true", help="mark the notice as a drill in every language")
    p.add_argument("--yes", action="store_true", help="send without asking to confirm")
    p.add_argument("--show", action="append", default=[], metavar="LANG", help="also preview this language")

    p = sub.add_parser("dispatch", help="send what is pending in the outbox (resume after a crash), then exit")

    p = sub.add_parser("cancel", help="stop a broadcast: what has not been sent is not sent")
    p.add_argument("id", type=int)

    p = sub.add_parser("broadcasts", help="broadcast history, or one broadcast's delivery status")
    p.add_argument("id", nargs="?", type=int)

    p = sub.add_parser("coverage", help="what is translated, language by section")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("eval", help="accuracy on a labelled JSONL file")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p.add_argument("--misses", type=int, default=0, metavar="N", help="also list N misclassified lines")
    p.add_argument("--no-semantic", action="store_true", help="lexical matching only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
        handler = _COMMANDS[args.command]
        return handler(args, config)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (ConfigError, TabunkaError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _engine(args: argparse.Namespace, config: Config) -> Engine:
    semantic = False if getattr(args, "no_semantic", False) else None
    return build_engine(config, semantic=semantic)


# --- validate ------------------------------------------------------------------------------

def cmd_validate(args: argparse.Namespace, config: Config) -> int:
    root = args.path or config.content.path or DEFAULT_CONTENT_DIR
    book, problems = load_content(root, config.city.keys())
    errors = [p for p in problems if p.severity == "error"]
    if not errors and not args.no_confusables:
        from phrasebook.confusables import find_confusables
        from phrasebook.matcher import phrasings_of

        files = {lang: str(Path(root.name) / "lang" / f"{lang}.yaml") for lang in book.languages}
        problems += find_confusables(phrasings_of(book), files)
    for problem in problems:
        print(problem)
    warnings = len(problems) - len(errors)
    print(f"{root}: {len(errors)} error(s), {warnings} warning(s); "
          f"{len(book.faq)} FAQ entries, {len(book.phrases)} cards, {len(book.templates)} templates, "
          f"{len(book.languages)} languages; config: {config.source}")
    return 1 if errors else 0


# --- ask / phrase ----------------------------------------------------------------------------

def _print_reply(reply: Reply) -> None:
    print(reply.text)
    for number, button in enumerate(reply.buttons, 1):
        print(f"  [{number}] {button.label}  ({button.payload})")


def cmd_ask(args: argparse.Namespace, config: Config) -> int:
    engine = _engine(args, config)
    _check_lang(engine, args.lang)
    decision = engine.matcher.decide(args.text, args.lang)
    if args.explain:
        print(explain(decision, engine.matcher.uses_semantic))
        print("-" * 60)
    _print_reply(decision_reply(engine.book, engine.renderer, decision))
    return 0


def cmd_phrase(args: argparse.Namespace, config: Config) -> int:
    engine = _engine(args, config)
    _check_lang(engine, args.lang)
    decision = engine.matcher.decide(args.text, args.lang, only="card")
    if decision.action == "decline" or decision.top is None:
        print(engine.renderer.ui(decision.answer_lang, "card_menu"))
        for card_id in engine.book.phrases:
            print(f"  {card_id:28} {engine.book.title(card_id, decision.answer_lang)}")
        return 1
    _print_reply(entry_reply(engine.book, engine.renderer, decision.top.entry_id, decision.answer_lang))
    return 0


def _check_lang(engine: Engine, lang: str | None) -> None:
    if lang is not None and lang not in engine.book.languages:
        raise TabunkaError(f"unknown language '{lang}'; expected one of: {', '.join(engine.book.languages)}")


# --- chat --------------------------------------------------------------------------------------

def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from bot.app import open_parts
    from bot.channels.console import ConsoleChannel

    async def run() -> None:
        parts = await open_parts(config, semantic=False if args.no_semantic else None)
        try:
            await ConsoleChannel(parts.resident.handle, user_id=args.role, lang_hint=args.lang).run()
        finally:
            await parts.close()

    asyncio.run(run())
    return 0


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    import asyncio
    import logging

    from bot.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(config, semantic=False if args.no_semantic else None))
    return 0


# --- broadcasts ------------------------------------------------------------------------------------

def _parse_slot_args(items: list[str]) -> dict[str, str]:
    slots = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise TabunkaError(f"--set {item!r}: expected SLOT=VALUE, e.g. --set time=14:30")
        slots[name.strip()] = value.strip()
    return slots


def cmd_broadcast(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from bot.broadcasting import enqueue, local_operator, prepare
    from bot.storage import Storage, Target

    engine = build_engine(config, semantic=False)
    prepared = prepare(engine, args.template, _parse_slot_args(args.slots), args.drill)
    for lang in args.lang:
        _check_lang(engine, lang)
    areas = {a.id for a in config.city.areas}
    for area in args.area:
        if area not in areas:
            raise TabunkaError(f"unknown area '{area}'; expected one of: {', '.join(sorted(areas))}")
    target = Target(areas=tuple(args.area), languages=tuple(args.lang), platforms=tuple(args.platform))

    async def run() -> int:
        storage = await Storage.open(config.database_path)
        try:
            counts = await storage.recipients(target)
            for lang in ("ja", "en", *args.show):
                print(f"--- {lang} {'-' * 50}\n{prepared.texts[lang]}\n")
            print("recipients:")
            for platform in ("line", "telegram"):
                row = {lang: n for (p, lang), n in counts.items() if p == platform}
                detail = ", ".join(f"{k} {v}" for k, v in sorted(row.items()))
                print(f"  {platform:9} {sum(row.values()):>7}  {detail}")
            total = sum(counts.values())
            line_total = sum(n for (p, _), n in counts.items() if p == "line")
            if config.line.enabled and line_total:
                await _print_line_quota(config, line_total)
            if total == 0:
                print("nobody to send to: no subscriber matches the target")
                return 1
            if not args.yes:
                if not sys.stdin.isatty():
                    print("refusing to send without confirmation: add --yes", file=sys.stderr)
                    return 1
                question = f"send to {total} recipients{' (DRILL)' if args.drill else ''}? [y/N] "
                if input(question).strip().lower() != "y":
                    await storage.audit(local_operator(), "broadcast.cancelled_at_preview", args.template)
                    print("cancelled; nothing was sent")
                    return 1
            broadcast_id = await enqueue(storage, prepared, target, local_operator())
            print(f"broadcast {broadcast_id}: {total} deliveries queued")
            return await _dispatch(config, storage, broadcast_id)
        finally:
            await storage.close()

    return asyncio.run(run())


async def _print_line_quota(config: Config, needed: int) -> None:
    from linebot.v3.messaging import ApiException

    from bot.broadcasting import platform_clients

    async with platform_clients(config) as (line_api, _):
        assert line_api is not None
        try:
            quota = await line_api.get_message_quota()
            used = await line_api.get_message_quota_consumption()
        except ApiException as exc:
            print(f"  LINE quota unknown (HTTP {exc.status})")
            return
    if quota.type == "limited" and quota.value is not None:
        left = int(quota.value) - int(used.total_usage)
        print(f"  LINE monthly quota left: {left}")
        if needed > left:
            print(f"  WARNING: this needs {needed} LINE messages; {needed - left} will be refused by LINE")


async def _dispatch(config: Config, storage: object, broadcast_id: int | None) -> int:
    from bot.broadcasting import platform_clients
    from bot.dispatch import Dispatcher
    from bot.storage import Storage

    assert isinstance(storage, Storage)
    total = await storage.unfinished_deliveries()
    done = 0

    async def progress() -> None:
        nonlocal done
        done += 1
        if done % 50 == 0 or done == total:
            width = 30
            filled = int(width * min(done, total) / max(total, 1))
            print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", flush=True)

    async with platform_clients(config) as (line_api, bot):
        dispatcher = Dispatcher(storage, config.broadcast, line_api, bot, on_progress=progress)
        await dispatcher.run_until_empty()
    print()
    if broadcast_id is not None:
        _print_counts(await storage.broadcast_counts(broadcast_id))
    print(f"sent: LINE {dispatcher.sent['line']} recipients, Telegram {dispatcher.sent['telegram']} messages")
    return 0


def _print_counts(counts: dict[tuple[str, str], int]) -> None:
    for platform in ("line", "telegram"):
        row = {status: n for (p, status), n in counts.items() if p == platform}
        if row:
            print(f"  {platform:9} " + ", ".join(f"{k} {v}" for k, v in sorted(row.items())))


def _with_storage(config: Config, work: Callable[[Any], Awaitable[int]]) -> int:
    """Open the database, run ``work(storage)``, close it: the shape of the outbox commands."""
    import asyncio

    from bot.storage import Storage

    async def run() -> int:
        storage = await Storage.open(config.database_path)
        try:
            return await work(storage)
        finally:
            await storage.close()

    return asyncio.run(run())


def cmd_dispatch(args: argparse.Namespace, config: Config) -> int:
    return _with_storage(config, lambda storage: _dispatch(config, storage, None))


def cmd_cancel(args: argparse.Namespace, config: Config) -> int:
    from bot.broadcasting import local_operator

    async def cancel(storage: Any) -> int:
        cancelled = await storage.cancel_broadcast(args.id, local_operator())
        print(f"broadcast {args.id}: {cancelled} pending deliveries cancelled")
        return 0

    return _with_storage(config, cancel)


def cmd_broadcasts(args: argparse.Namespace, config: Config) -> int:
    async def show(storage: Any) -> int:
        if args.id is None:
            for bid, template, status, drill, who in await storage.broadcasts():
                print(f"{bid:>5}  {template:26} {status:10} {'drill' if drill else '':5} {who}")
        else:
            _print_counts(await storage.broadcast_counts(args.id))
        return 0

    return _with_storage(config, show)


# --- coverage -----------------------------------------------------------------------------------

def coverage(root: Path, config: Config) -> dict[str, dict[str, list[str]]]:
    """For each id of each section, the languages it is complete in."""
    book, problems = load_content(root, config.city.keys())
    broken = {(p.id.split(" ")[0], p.lang) for p in problems if p.severity == "error"}
    result: dict[str, dict[str, list[str]]] = {"faq": {}, "phrases": {}, "templates": {}}
    sections: dict[str, Any] = {"faq": book.faq, "phrases": book.phrases, "templates": book.templates}
    for section, items in sections.items():
        for item_id, item in items.items():
            result[section][item_id] = [lang for lang in book.languages
                                        if lang in item.texts and (item_id, lang) not in broken]
    return result


def cmd_coverage(args: argparse.Namespace, config: Config) -> int:
    root = config.content.path or DEFAULT_CONTENT_DIR
    data = coverage(root, config)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    langs = load_content(root, config.city.keys())[0].languages
    print(f"{'language':10}" + "".join(f"{s:>12}" for s in data))
    for lang in langs:
        cells = []
        for items in data.values():
            done = sum(lang in langs_ for langs_ in items.values())
            cells.append(f"{done:>5}/{len(items):<6}")
        print(f"{lang:10}" + "".join(f"{c:>12}" for c in cells))
    return 0


# --- eval -------------------------------------------------------------------------------------------

def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def cmd_eval(args: argparse.Namespace, config: Config) -> int:
    engine = _engine(args, config)
    report = evaluate(engine.matcher, read_eval_file(args.file))
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return 0
    print(f"{'language':10} {'n':>5} {'top1':>6} {'top3':>6} {'answer':>6} {'wrong':>6} {'decline':>7}")
    rows = [*report.by_lang.items(), ("overall", report.overall)]
    for lang, scores in rows:
        s = scores.summary()
        print(f"{lang:10} {s['n']:>5} {_fmt(s['top1'])} {_fmt(s['top3'])} {_fmt(s['answered'])} "
              f"{_fmt(s['wrong'])} {_fmt(s['decline']):>7}")
    print(f"semantic layer: {'on' if engine.matcher.uses_semantic else 'off'}")
    for line, decision in report.misses[: args.misses]:
        got = decision.top.entry_id if decision.top else "-"
        print(f"miss [{line.lang}] {line.text!r}: expected {line.expect}, got {decision.action} {got}")
    return 0


_COMMANDS = {
    "validate": cmd_validate,
    "ask": cmd_ask,
    "phrase": cmd_phrase,
    "chat": cmd_chat,
    "broadcast": cmd_broadcast,
    "dispatch": cmd_dispatch,
    "broadcasts": cmd_broadcasts,
    "cancel": cmd_cancel,
    "serve": cmd_serve,
    "coverage": cmd_coverage,
    "eval": cmd_eval,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
