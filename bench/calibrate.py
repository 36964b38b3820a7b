"""Derive the matcher's weights and thresholds from the content itself (leave-one-out).

No evaluation questions are used. Each query is a question phrasing of the shipped
content, asked with that phrasing removed from the index:

* positives: the rest of the index is unchanged, so the query must find its own entry
  through the *other* phrasings and keywords, as a resident's new wording would;
* negatives: every phrasing of the query's entry is removed, so nothing right is left to
  find: the bot should decline (or at worst suggest), never answer confidently;
* out of scope: ``bench/data/out_of_scope.jsonl``, off-topic messages written for
  calibration in every language (weather, restaurants, jokes, other countries' visas...),
  which the bot should decline.

Negatives made this way are harder than real out-of-scope questions ("where is good
ramen?"): they are on topic, only the entry is missing. Thresholds fitted on them are
conservative, which is the right side to err on for a municipal bot.

Usage: python bench/calibrate.py [--per-entry N] [--no-semantic] [--cases FILE]
Prints the grid's best settings and ends with one JSON line of them. ``--cases FILE``
keeps the collected scores (collection is the slow part) and reuses them if present.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from phrasebook.loader import load_phrasebook
from phrasebook.matcher import Matcher, MatchSettings

WIDE = MatchSettings(semantic_floor=0.70, semantic_ceiling=1.0, max_hits=8, suggest_threshold=0.0)


@dataclass
class Case:
    expect: str | None
    lex: dict[str, float]
    sem: dict[str, float]  # raw cosine, from the wide [0.70, 1.0] scaling
    kind: str = "content"  # content (leave-one-out) or oos (bench/data/out_of_scope.jsonl)


def collect(matcher: Matcher, per_entry: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    rows_by_entry: dict[tuple[str, str], list[int]] = {}
    for i, p in enumerate(matcher.phrasings):
        if p.field == "question":
            rows_by_entry.setdefault((p.entry_id, p.lang), []).append(i)
    entry_rows: dict[str, np.ndarray] = {}
    for i, p in enumerate(matcher.phrasings):
        entry_rows.setdefault(p.entry_id, []).append(i)  # type: ignore[arg-type]
    cases: list[Case] = []
    size = len(matcher.phrasings)
    for (entry_id, _lang), rows in sorted(rows_by_entry.items()):
        for row in rng.sample(rows, min(per_entry, len(rows))):
            text = matcher.phrasings[row].text
            for negative in (False, True):
                mask = np.zeros(size, dtype=bool)
                if negative:
                    mask[entry_rows[entry_id]] = True
                else:
                    mask[row] = True
                _, hits = matcher.rank(text, exclude=mask)
                cases.append(Case(
                    expect=None if negative else entry_id,
                    lex={h.entry_id: h.lexical for h in hits},
                    sem={h.entry_id: 0.70 + 0.30 * h.semantic for h in hits if h.semantic is not None},
                ))
    return cases


def collect_out_of_scope(matcher: Matcher, path: Path) -> list[Case]:
    """Off-topic messages written for calibration (not the evaluation file): decline them."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        _, hits = matcher.rank(json.loads(line)["text"])
        cases.append(Case(expect=None, kind="oos", lex={h.entry_id: h.lexical for h in hits},
                          sem={h.entry_id: 0.70 + 0.30 * h.semantic for h in hits if h.semantic is not None}))
    return cases


def objective(m: dict[str, float]) -> float:
    """A confident wrong answer costs most; an on-topic question whose entry is missing
    answered confidently nearly as much; a missed top-3 costs a resident a retry; a right
    answer given at once saves the resident a tap."""
    return (m["top1"] + 1.0 * m["top3"] + 0.5 * m["answered"] - 3.0 * m["wrong"]
            - 1.5 * m["negatives_answered"] + 0.3 * m["decline"] + 1.0 * m["oos_decline"])


def as_arrays(cases: list[Case], k: int = 8) -> tuple[np.ndarray, ...]:
    """Per case, up to k candidate entries: lexical scores, raw cosines, is-expected flags."""
    n = len(cases)
    lex = np.zeros((n, k), dtype=np.float32)
    sem = np.full((n, k), -1.0, dtype=np.float32)
    right = np.zeros((n, k), dtype=bool)
    positive = np.asarray([c.expect is not None for c in cases])
    oos = np.asarray([c.kind == "oos" for c in cases])
    for i, case in enumerate(cases):
        def strength(entry_id: str, case: Case = case) -> float:
            return max(case.lex.get(entry_id, 0.0), case.sem.get(entry_id, 0.0) - 0.7)

        ids = sorted(set(case.lex) | set(case.sem), key=strength, reverse=True)[:k]
        for j, entry_id in enumerate(ids):
            lex[i, j] = case.lex.get(entry_id, 0.0)
            sem[i, j] = case.sem.get(entry_id, -1.0)
            right[i, j] = entry_id == case.expect
    return lex, sem, right, positive, oos


def sweep(arrays: tuple[np.ndarray, ...], weight: float, floor: float,
          ceiling: float) -> list[tuple[float, dict[str, float]]]:
    lex, sem, right, positive, oos = arrays
    scaled = np.clip((sem - floor) / (ceiling - floor), 0.0, 1.0)
    score = (1 - weight) * lex + weight * scaled
    order = np.argsort(-score, axis=1)
    ranked = np.take_along_axis(score, order, axis=1)
    ranked_right = np.take_along_axis(right, order, axis=1)
    best, second = ranked[:, 0], ranked[:, 1]
    first_right = ranked_right[:, 0]
    in_top3 = ranked_right[:, :3].any(axis=1)
    pos, neg = positive, ~positive & ~oos
    if not oos.any():
        oos = neg
    results = []
    for suggest in np.arange(0.30, 0.72, 0.02):
        offered = best >= suggest
        for answer in np.arange(suggest + 0.04, 0.96, 0.02):
            for margin in (0.0, 0.02, 0.04, 0.06, 0.08):
                answered = offered & (best >= answer) & (best - second >= margin)
                m = {
                    "top1": float((offered & first_right)[pos].mean()),
                    "top3": float((offered & in_top3)[pos].mean()),
                    "answered": float((answered & first_right)[pos].mean()),
                    "wrong": float((answered & ~first_right)[pos].mean()),
                    "decline": float((~offered)[neg].mean()),
                    "negatives_answered": float(answered[neg].mean()),
                    "oos_decline": float((~offered)[oos].mean()),
                }
                results.append((objective(m), {"semantic_weight": weight, "semantic_floor": floor,
                                               "semantic_ceiling": ceiling,
                                               "answer_threshold": round(float(answer), 2),
                                               "suggest_threshold": round(float(suggest), 2),
                                               "margin": margin, **{k: round(v, 4) for k, v in m.items()}}))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-entry", type=int, default=2, help="questions per entry and language")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-semantic", action="store_true")
    parser.add_argument("--content", type=Path, default=None, help="content directory (default: shipped)")
    parser.add_argument("--cases", type=Path, default=None, help="cache of collected scores (pickle)")
    parser.add_argument("--out-of-scope", type=Path, default=Path(__file__).parent / "data" / "out_of_scope.jsonl",
                        help="off-topic messages to decline (JSONL with text, lang)")
    args = parser.parse_args()
    book = load_phrasebook(args.content) if args.content else load_phrasebook()
    settings = MatchSettings(**{**WIDE.__dict__, "semantic": not args.no_semantic})
    started = time.perf_counter()
    matcher = Matcher(book, settings)
    semantic = matcher.uses_semantic
    if args.cases and args.cases.exists():
        with args.cases.open("rb") as handle:
            cases = pickle.load(handle)
    else:
        cases = collect(matcher, args.per_entry, args.seed)
        if args.cases:
            with args.cases.open("wb") as handle:
                pickle.dump(cases, handle)
    if args.out_of_scope.exists():
        cases += collect_out_of_scope(matcher, args.out_of_scope)
    print(f"{len(cases)} cases in {time.perf_counter() - started:.0f} s "
          f"(semantic {'on' if semantic else 'off'})", file=sys.stderr)
    arrays = as_arrays(cases)
    weights = [0.0] if not semantic else [0.3, 0.4, 0.5, 0.6, 0.7]
    floors = [0.80] if not semantic else [0.78, 0.80, 0.82, 0.84, 0.86, 0.88, 0.90, 0.92]
    ceilings = [0.94] if not semantic else [0.92, 0.94, 0.96, 0.98, 1.0]
    best: tuple[float, dict[str, float]] | None = None
    for weight in weights:
        for floor in floors:
            for ceiling in ceilings:
                for value, result in sweep(arrays, weight, floor, ceiling):
                    if best is None or value > best[0]:
                        best = (value, result)
    assert best is not None
    for key, value in best[1].items():
        print(f"{key:20} {value}")
    print(json.dumps(best[1]))


if __name__ == "__main__":
    main()
