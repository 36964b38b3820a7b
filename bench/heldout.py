"""How well each language's questions find their own entry when held out (lexical).

For content writers: each question phrasing is removed from the index in turn and asked;
the share that still finds its entry in the top 1 and top 3 shows whether a language has
enough varied questions and distinctive keywords. The misses list what to improve
(add a wording, sharpen a keyword, remove a keyword that pulls other questions).

Usage: python bench/heldout.py [--lang L] [--misses N]
Ends with one JSON line of the per-language top-3 rates.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from phrasebook.loader import load_phrasebook
from phrasebook.matcher import Matcher, MatchSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default=None)
    parser.add_argument("--misses", type=int, default=0)
    args = parser.parse_args()
    matcher = Matcher(load_phrasebook(), MatchSettings(semantic=False))
    top1: dict[str, list[bool]] = defaultdict(list)
    top3: dict[str, list[bool]] = defaultdict(list)
    misses: list[tuple[str, str, str, list[str]]] = []
    for row, phrasing in enumerate(matcher.phrasings):
        if phrasing.field != "question" or (args.lang and phrasing.lang != args.lang):
            continue
        mask = np.zeros(len(matcher.phrasings), dtype=bool)
        mask[row] = True
        _, hits = matcher.rank(phrasing.text, exclude=mask)
        ids = [h.entry_id for h in hits[:3]]
        top1[phrasing.lang].append(ids[:1] == [phrasing.entry_id])
        top3[phrasing.lang].append(phrasing.entry_id in ids)
        if phrasing.entry_id not in ids:
            misses.append((phrasing.lang, phrasing.entry_id, phrasing.text, ids))
    rates = {}
    for lang in top3:
        rates[lang] = round(sum(top3[lang]) / len(top3[lang]), 3)
        print(f"{lang:8} n={len(top3[lang]):4}  top1 {sum(top1[lang]) / len(top1[lang]):.3f}  top3 {rates[lang]:.3f}")
    for lang, expect, text, got in misses[: args.misses]:
        print(f"miss [{lang}] {expect}: {text!r} -> {', '.join(got) or '-'}")
    print(json.dumps(rates))


if __name__ == "__main__":
    main()
