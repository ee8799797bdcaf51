"""Which of the project's modules the failing tests point at: Ochiai over (file, line).

Each test is a run, passing or failing; a line's suspiciousness is Ochiai's
ef / sqrt(F * (ef + ep)): ef and ep the failing and passing tests that
executed it, F all failing tests. A module ranks by its most suspicious
line. Only modules some failing test reached are candidates: a module no
failing test ran cannot hold the fault they show (lines a module runs on
import are not any test's, so they never count either way).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .collect import TestRun

__all__ = ["ModuleScore", "line_scores", "rank_modules"]


@dataclass(frozen=True)
class ModuleScore:
    """A module the failing tests reach: its best line and that line's Ochiai score."""

    path: str  # root-relative
    score: float
    line: int
    failing: int  # failing tests that reach it
    passing: int  # passing tests that reach it


def line_scores(tests: Sequence[TestRun]) -> dict[tuple[str, int], float]:
    """Ochiai per (file, line) executed by at least one failing test."""
    failed = [t for t in tests if t.failing]
    passed = [t for t in tests if t.outcome == "passed"]
    total_failed = len(failed)
    if not total_failed:
        return {}
    ef: Counter[tuple[str, int]] = Counter()
    ep: Counter[tuple[str, int]] = Counter()
    for test in failed:
        ef.update((path, n) for path, lines in test.covered.items() for n in lines)
    for test in passed:
        ep.update(
            (path, n) for path, lines in test.covered.items() for n in lines if (path, n) in ef
        )
    return {key: ef[key] / math.sqrt(total_failed * (ef[key] + ep[key])) for key in ef}


def rank_modules(tests: Sequence[TestRun]) -> list[ModuleScore]:
    """Modules reached by failing tests, most suspicious first (ties: more failing tests, path)."""
    best: dict[str, tuple[float, int]] = {}
    for (path, line), score in line_scores(tests).items():
        known = best.get(path)
        if known is None or score > known[0] or (score == known[0] and line < known[1]):
            best[path] = (score, line)
    ranked = [
        ModuleScore(
            path,
            round(score, 4),
            line,
            sum(1 for t in tests if t.failing and t.reaches(path)),
            sum(1 for t in tests if t.outcome == "passed" and t.reaches(path)),
        )
        for path, (score, line) in best.items()
    ]
    ranked.sort(key=lambda m: (-m.score, -m.failing, m.path))
    return ranked
