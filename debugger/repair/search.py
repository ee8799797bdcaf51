"""The fix search: run candidate edits against every expectation, keep those that pass.

Each candidate runs in the sandbox with the previously failing expectations
first and stops at its first failure, so most wrong candidates cost one
expectation. A candidate passes only if every expectation passes, including
those that passed before and those of the callers of the edited function
(the caller runs are part of the same expectation set).
"""

from __future__ import annotations

import difflib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from mgdebug.analysis.model import Expectation, ModuleInfo

from ..report import Fix, SearchStats, shown_path
from ..results import ExpectationResult
from ..sandbox import Sandbox
from .candidates import KIND_PRIORS, Candidate, CandidateContext, generate_candidates

BATCH = 24  # candidates handed to the sandbox at once: keeps both workers busy


@dataclass
class SearchOutcome:
    fixes: list[Fix] = field(default_factory=list)
    stats: SearchStats = field(default_factory=SearchStats)


def unified_diff(old: str, new: str, path: str) -> str:
    """A unified diff with git-style headers, the path relative to the cwd when inside it."""
    path = shown_path(path).lstrip("/")
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


def candidate_wall_seconds(baseline: Sequence[ExpectationResult]) -> float:
    """How long one candidate may run: a few times the original run, within bounds.

    Many wrong candidates loop forever (a flipped loop condition); each one costs
    this much, so it must follow the program's real running time. The baseline
    was traced, which makes it an over-estimate of an untraced candidate run.
    """
    finished = [r.duration for r in baseline if r.status != "timeout"]
    if len(finished) < len(baseline):
        # The original loops: a candidate that loops too is the common case, and
        # only the expectations that finished say how long a run should take.
        return min(1.0, max(0.3, 5.0 * max(finished, default=0.0)))
    return min(5.0, max(0.5, 2.0 * sum(finished) + 0.25))


def _ordered(
    expectations: Sequence[Expectation], baseline: Sequence[ExpectationResult]
) -> list[Expectation]:
    failing = {r.expectation_id for r in baseline if not r.passed}
    return sorted(expectations, key=lambda e: e.id not in failing)


def search_fixes(
    sandbox: Sandbox,
    source: str,
    path: str,
    module: ModuleInfo,
    expectations: Sequence[Expectation],
    baseline: Sequence[ExpectationResult],
    suspicious_lines: Sequence[tuple[int, float]],
    context: CandidateContext,
    *,
    seconds: float,
    max_candidates: int,
    max_fixes: int,
    cancel: threading.Event | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> SearchOutcome:
    """Search single edits, then pairs if no single edit passes; rank what passes."""
    outcome = SearchOutcome()
    started = time.monotonic()
    ordered = _ordered(expectations, baseline)
    line_rank = {line: i for i, (line, _) in enumerate(suspicious_lines)}
    line_score = dict(suspicious_lines)
    kinds: Counter[str] = Counter()
    found: list[tuple[Candidate, int]] = []
    deadline = started + seconds
    per_candidate = candidate_wall_seconds(baseline)

    def run(stream: Iterator[Candidate]) -> None:
        first_fix_rank: int | None = None
        while True:
            if cancel is not None and cancel.is_set():
                return
            if time.monotonic() > deadline or outcome.stats.candidates_tried >= max_candidates:
                outcome.stats.budget_exhausted = True
                return
            batch = _take(stream, min(BATCH, max_candidates - outcome.stats.candidates_tried))
            if not batch:
                return
            remaining = max(0.5, deadline - time.monotonic())
            for index, results in sandbox.run_candidates(
                [c.source for c in batch],
                ordered,
                wall_seconds_each=min(remaining, per_candidate),
            ):
                cand = batch[index]
                kinds[cand.kind] += 1
                outcome.stats.candidates_tried += 1
                if len(results) == len(ordered) and all(r.passed for r in results):
                    found.append((cand, len(results)))
                    rank = line_rank.get(cand.line, len(line_rank))
                    first_fix_rank = rank if first_fix_rank is None else first_fix_rank
            if progress is not None:
                elapsed = time.monotonic() - started
                progress(
                    f"checked {outcome.stats.candidates_tried} candidate fixes, {len(found)} pass",
                    min(99, int(100 * elapsed / seconds)),
                )
            # Enough: a full set of fixes, or two suspicious lines past the first fix.
            if len(found) >= max_fixes:
                return
            if first_fix_rank is not None and line_rank.get(batch[-1].line, 0) > first_fix_rank + 2:
                return

    run(generate_candidates(source, module, suspicious_lines, context))
    if not found:
        pairs = generate_candidates(source, module, suspicious_lines, context, pairs=True)
        run(c for c in pairs if c.kind == "pair")

    outcome.stats.candidates_by_kind = dict(kinds)
    outcome.stats.seconds = round(time.monotonic() - started, 3)
    found.sort(
        key=lambda item: (
            item[0].tokens_changed,
            -line_score.get(item[0].line, 0.0),
            -KIND_PRIORS.get(item[0].kind, 0.0),
        )
    )
    outcome.fixes = [
        Fix(
            function=cand.function,
            source=cand.source,
            diff=unified_diff(source, cand.source, path),
            validated=True,
            origin="search",
            summary=cand.summary,
            line=cand.line,
            passed=total,
            total=total,
            edit_kind=cand.kind,
            tokens_changed=cand.tokens_changed,
        )
        for cand, total in found[:max_fixes]
    ]
    if not found:
        tried = ", ".join(f"{n} {k}" for k, n in kinds.most_common())
        outcome.stats.message = (
            f"no small edit passes every expectation (tried {outcome.stats.candidates_tried}: "
            f"{tried or 'none'}); a model can be configured for larger fixes"
        )
    return outcome


def _take(stream: Iterator[Candidate], n: int) -> list[Candidate]:
    batch: list[Candidate] = []
    for cand in stream:
        batch.append(cand)
        if len(batch) >= n:
            break
    return batch
