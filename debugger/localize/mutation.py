"""Mutation-based localization (Metallaxis-FL): which line's edits change the failing runs.

Spectrum scores tie whenever every expectation runs the same lines, which is
the common case for a small function. Mutating a line and rerunning tells the
lines apart: a mutant of the faulty line tends to change the outcome of the
failing expectations (it touches the wrong value), while mutants of correct
lines tend to break the passing ones. For each mutant m:

    score(m) = failed_changed(m) / sqrt(total_failed * (failed_changed(m) + passed_broken(m)))

where failed_changed counts failing expectations whose outcome (status or
actual value) changed, and passed_broken the passing ones that now fail; a
fail-to-pass term (failing expectations the mutant makes pass) is mixed in
with weight FIXED_WEIGHT, see `mutant_score`. A line scores the best of its
mutants (Papadakis & Le Traon, 2015).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..baseline import Baseline, Controls
from ..repair.candidates import Candidate
from ..repair.check import candidate_wall_seconds
from ..repair.proposers import EditProposer
from ..results import ExpectationResult
from .blame import Evidence, mutation_evidence

# On QuixBugs, 5/10/15/25 mutants per line ranked the buggy line first for
# 22/24/25/25 of 40 programs (one gathered run, scored offline): 15 is enough.
MUTANTS_PER_LINE = 15
FIXED_WEIGHT = 2.0
# The ranking is decided by a fixed set of mutants, not by how many a busy
# machine got through in time: the same file gives the same suspects on every
# run. 400 covers 15 mutants for each of ~26 executed lines, more than any
# QuixBugs program has; the time budget is only a safety net for slow
# (pytest-heavy) projects, and the report says when it was hit.
MAX_MUTANTS = 400


@dataclass
class MutationEvidence:
    scores: dict[int, float]  # line -> best mutant score
    mutants: int
    seconds: float
    cut_short: bool = False  # the time budget stopped it before every mutant ran

    def evidence(self) -> Evidence:
        """These scores as line-ranking evidence (`Localization.rerank`)."""
        return mutation_evidence(self.scores)


def _outcome(result: ExpectationResult) -> tuple[str, str | None]:
    return result.status, result.actual


def mutant_score(
    baseline: dict[str, ExpectationResult], results: Iterable[ExpectationResult]
) -> float:
    total_failed = sum(1 for r in baseline.values() if not r.passed)
    failed_changed = failed_fixed = passed_broken = 0
    for result in results:
        before = baseline.get(result.expectation_id)
        if before is None:
            continue
        if not before.passed and _outcome(result) != _outcome(before):
            failed_changed += 1
            failed_fixed += result.passed
        elif before.passed and not result.passed:
            passed_broken += 1
    if not failed_changed or not total_failed:
        return 0.0
    changed = failed_changed / math.sqrt(total_failed * (failed_changed + passed_broken))
    # When every expectation fails, almost any edit changes every output and
    # `changed` ties; an edit that makes failing expectations *pass* (MUSE's
    # fail-to-pass) is the stronger sign, so it weighs double.
    fixed = failed_fixed / total_failed / (1 + passed_broken)
    return (changed + FIXED_WEIGHT * fixed) / (1 + FIXED_WEIGHT)


def _mutants(baseline: Baseline, lines: Sequence[int]) -> list[Candidate]:
    """Up to MUTANTS_PER_LINE mutants of each line, interleaved across lines.

    The mutants come from the fix search's own edit proposer. Interleaving
    means a pass cut short by its time budget has looked at every line a
    little, instead of some lines fully and the rest not at all.
    """
    per_line: dict[int, list[Candidate]] = {line: [] for line in lines}
    # One proposer over all lines: it parses the source once.
    for cand in EditProposer([(line, 1.0) for line in lines]).propose(baseline):
        group = per_line.get(cand.line)
        if group is not None and len(group) < MUTANTS_PER_LINE:
            group.append(cand)
    groups = list(per_line.values())
    return [group[i] for i in range(MUTANTS_PER_LINE) for group in groups if i < len(group)]


def mutation_scores(
    baseline: Baseline, controls: Controls, lines: Sequence[int]
) -> MutationEvidence:
    """Metallaxis scores for `lines` from at most MAX_MUTANTS mutants.

    `DebugOptions.mutation_seconds` is a safety net: past it the ranking uses
    the mutants that ran (then `cut_short` is set, and the result may differ
    between runs).
    """
    started = time.monotonic()
    seconds = baseline.options.mutation_seconds
    by_id = {r.expectation_id: r for r in baseline.results}
    mutants = _mutants(baseline, lines)[:MAX_MUTANTS]
    scores: dict[int, float] = {}
    done = 0
    cut_short = False
    stream = controls.sandbox.run_candidates(
        [m.source for m in mutants],
        baseline.expectations,
        wall_seconds_each=candidate_wall_seconds(baseline.results),
        stop_at_first_failure=False,
    )
    try:
        for index, results in stream:
            done += 1
            line = mutants[index].line
            scores[line] = max(scores.get(line, 0.0), mutant_score(by_id, results))
            if controls.cancelled:
                break
            if time.monotonic() - started > seconds and done < len(mutants):
                cut_short = True
                break
    finally:
        stream.close()
    return MutationEvidence(scores, done, time.monotonic() - started, cut_short)
