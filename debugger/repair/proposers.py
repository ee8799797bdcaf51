"""Where candidate fixes come from: the `Proposer` interface and the edit generator behind it.

A proposer only proposes: it yields `Candidate`s (the new file, the text
edits that make it, where and why) best first, lazily, and never runs code.
`check.check_candidates` is the one place a candidate becomes a checked fix,
whatever proposed it; mutation localization draws its mutants from the same
interface. A model proposer yields candidates of origin "model" and plugs in
the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from ..baseline import Baseline
from .candidates import Candidate, generate_candidates

SuspiciousLines = Sequence[tuple[int, float]]  # (1-based line, score), most suspicious first


class Proposer(Protocol):
    """Yields candidate fixes of `baseline.source`, best first."""

    def propose(self, baseline: Baseline) -> Iterator[Candidate]: ...


class EditProposer:
    """Single small edits (candidates.py) at the suspicious lines, likeliest first."""

    def __init__(self, lines: SuspiciousLines) -> None:
        self.lines = lines

    def propose(self, baseline: Baseline) -> Iterator[Candidate]:
        return generate_candidates(baseline.source, baseline.module, self.lines, baseline.context)


class PairProposer:
    """Pairs of the best single edits at the top suspicious lines (and no single edit)."""

    def __init__(self, lines: SuspiciousLines) -> None:
        self.lines = lines

    def propose(self, baseline: Baseline) -> Iterator[Candidate]:
        stream = generate_candidates(
            baseline.source, baseline.module, self.lines, baseline.context, pairs=True
        )
        return (candidate for candidate in stream if candidate.kind == "pair")
