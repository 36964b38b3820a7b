"""The phrasebook engine: content, validation, language identification, matching, rendering.

Knows nothing of chats or platforms. The public surface is what is listed here; the
modules' other names may change.
"""

from phrasebook.city import Area, CityFacts
from phrasebook.errors import ContentError, RenderError, SlotValueError, TabunkaError, UnknownIdError
from phrasebook.langid import LanguageGuess, LanguageIdentifier
from phrasebook.loader import DEFAULT_CONTENT_DIR, load_content, load_phrasebook
from phrasebook.matcher import Decision, Hit, Matcher, MatchSettings
from phrasebook.model import Phrasebook
from phrasebook.normalize import normalize
from phrasebook.problems import Problem
from phrasebook.render import Renderer, parse_slots

__all__ = [
    "DEFAULT_CONTENT_DIR",
    "Area",
    "CityFacts",
    "ContentError",
    "Decision",
    "Hit",
    "LanguageGuess",
    "LanguageIdentifier",
    "MatchSettings",
    "Matcher",
    "Phrasebook",
    "Problem",
    "RenderError",
    "Renderer",
    "SlotValueError",
    "TabunkaError",
    "UnknownIdError",
    "load_content",
    "load_phrasebook",
    "normalize",
    "parse_slots",
]
