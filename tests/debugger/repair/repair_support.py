"""Helpers shared by the repair tests: candidate lists for sources named by their code."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.repair.candidates import Candidate, CandidateContext, generate_candidates


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def line_of(source: str, fragment: str) -> int:
    """The 1-based line holding `fragment` (tests name lines by their code, not numbers)."""
    for number, line in enumerate(source.splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not in source")


def candidates(
    source: str,
    lines: Sequence[int | str],
    context: CandidateContext | None = None,
    *,
    pairs: bool = False,
) -> list[Candidate]:
    numbers = [line if isinstance(line, int) else line_of(source, line) for line in lines]
    suspicious = [(n, 1.0 - i / 100) for i, n in enumerate(numbers)]
    return list(
        generate_candidates(source, analyze_module(source), suspicious, context, pairs=pairs)
    )


def position_of(found: list[Candidate], fixed_source: str) -> int:
    """0-based rank of the candidate equal to `fixed_source` (fails if absent)."""
    for rank, candidate in enumerate(found):
        if candidate.source == fixed_source:
            return rank
    raise AssertionError("the fix is not among the candidates")


def sources(found: list[Candidate]) -> set[str]:
    return {c.source for c in found}
