"""Build the phrasebook runtime from a config: content, matcher and renderer, once.

Everything the handlers need to answer residents is built here at start-up, so that a
content error stops the bot before it accepts a single message, and nothing is loaded
again per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from phrasebook.loader import DEFAULT_CONTENT_DIR, load_phrasebook
from phrasebook.matcher import Matcher, MatchSettings
from phrasebook.model import Phrasebook
from phrasebook.render import Renderer

__all__ = ["Engine", "build_engine"]


@dataclass(frozen=True)
class Engine:
    """The content and the machinery around it, shared by every conversation."""

    config: Config
    book: Phrasebook
    matcher: Matcher
    renderer: Renderer


def build_engine(config: Config, semantic: bool | None = None, background: bool = False) -> Engine:
    """Load and validate content, index it; raise ContentError listing every content error.

    ``background``: start answering at once and switch the semantic layer on when it is
    ready (chat, serve); commands that report on matching (ask, eval) wait for it.
    """
    content_dir = config.content.path or DEFAULT_CONTENT_DIR
    book = load_phrasebook(content_dir, config.city.keys())
    use_semantic = config.matching.semantic if semantic is None else semantic
    matcher = Matcher(book, MatchSettings(semantic=use_semantic), cache_dir=config.matching.cache_dir,
                      semantic_in_background=background)
    matcher.identifier.warm_up()
    return Engine(config=config, book=book, matcher=matcher, renderer=Renderer(book, config.city))
