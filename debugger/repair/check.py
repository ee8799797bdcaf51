"""The one proof path: where any candidate, whoever proposed it, becomes a checked fix.

`check_candidates` runs candidates in the sandbox against every expectation,
the previously failing ones first, each stopping at its first failure (so
most wrong candidates cost one expectation). A candidate passes only if every
expectation passes (or is skipped, as the test itself asks), including those
that passed before and those of the callers of the edited function (the
caller runs are part of the same expectation set).

Deterministic: what is found depends on the candidates, not on the machine's
speed. The check is budgeted by candidates (`DebugOptions.max_candidates`);
its stopping rules look at whole batches of results in candidate order; the
wall clock (`search_seconds`) is only an outer safety net, and it starts with
the first answer, so that the workers' warm-up and pytest's start-up do not
count.

When several different edits pass, the tests do not decide between them: the
report says so, ranks them (simplicity.py: by size and suspicion, the plain
form first), and, when a cheap probe finds one, names an input on which two
of them disagree (distinguish.py).
"""

from __future__ import annotations

import difflib
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from mgdebug.analysis.model import Expectation

from ..baseline import Baseline, Controls
from ..options import DebugOptions
from ..report import Fix, SearchStats, shown_path
from ..results import ExpectationResult
from ..sandbox.pool import Job
from .candidates import Candidate
from .distinguish import distinguishing_example
from .positions import fix_edits
from .proposers import Proposer, SuspiciousLines
from .simplicity import Ranked, rank_passing

BATCH = 24  # candidates handed to the sandbox at once: keeps both workers busy
# A pytest-judged chunk pays a pytest session's start (40-150 ms CPU) in each forked
# grandchild; split over two workers, 24 left 12 per start and two workers checked
# fewer candidates per second than one (benchmarks/check_throughput.py --batch).
PYTEST_BATCH = 48
# A pytest candidate runs a whole pytest session (configuration, collection)
# beyond the tests' own time, which the traced baseline did not measure.
PYTEST_SESSION_SECONDS = 1.0
MAX_CONFIRMED = 20  # passing pytest candidates checked again in a fresh session

Found = tuple[Candidate, int, int]  # (candidate, expectations passed, order tried)


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
    pytest's session start-up comes on top: it is not part of any test's time,
    and a machine under load must not turn a right fix into a timeout.
    """
    extra = PYTEST_SESSION_SECONDS if any(_is_pytest(r) for r in baseline) else 0.0
    finished = [r.duration for r in baseline if r.status != "timeout"]
    if len(finished) < len(baseline):
        # The original loops: a candidate that loops too is the common case, and
        # only the expectations that finished say how long a run should take.
        return extra + min(1.0, max(0.3, 5.0 * max(finished, default=0.0)))
    return extra + min(5.0, max(0.5, 2.0 * sum(finished) + 0.25))


def check_candidates(
    baseline: Baseline,
    controls: Controls,
    lines: SuspiciousLines,
    proposers: Sequence[Proposer],
) -> SearchOutcome:
    """Check the proposers' candidates in turn; rank what passes every expectation.

    A proposer is asked only while none before it produced a passing candidate
    and the budget lasts (the edit generator's pairs follow its single edits
    that way). `lines` are the suspects (line, score), best first: they decide
    when to stop looking further down and, after size, how passing fixes rank.
    """
    checker = _Checker(baseline, controls, lines)
    for proposer in proposers:
        if checker.found or checker.stats.stopped_by:
            break
        checker.run(proposer.propose(baseline))
    return checker.outcome()


class _Clock:
    """The wall-clock safety net: `seconds` from the first answer on."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: float | None = None

    def tick(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def elapsed(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started

    def over(self) -> bool:
        return self.elapsed() > self.seconds

    def left(self) -> float:
        return self.seconds - self.elapsed()


class _Checker:
    """The state of one check: its budget, what passed, and the counts the report shows."""

    def __init__(self, baseline: Baseline, controls: Controls, lines: SuspiciousLines) -> None:
        self.baseline = baseline
        self.controls = controls
        self.options = baseline.options
        self.began = time.monotonic()
        self.clock = _Clock(self.options.search_seconds)
        self.stats = SearchStats()
        self.kinds: Counter[str] = Counter()
        self.found: list[Found] = []
        self.ordered = _ordered(baseline.expectations, baseline.results)
        self.skipped = {r.expectation_id for r in baseline.results if r.skipped}
        self.line_rank = {line: i for i, (line, _) in enumerate(lines)}
        self.line_score = dict(lines)
        self.per_candidate = candidate_wall_seconds(baseline.results)
        self.batch = PYTEST_BATCH if any(_is_pytest(r) for r in baseline.results) else BATCH

    def run(self, stream: Iterator[Candidate]) -> None:
        """Check `stream` batch by batch until it runs out or a stopping rule holds."""
        stats, max_candidates = self.stats, self.options.max_candidates
        while True:
            if self.controls.cancelled:
                stats.stopped_by = "cancelled"
                return
            if self.clock.over():
                stats.stopped_by = "time"
                return
            want = min(self.batch, max_candidates - stats.candidates_tried)
            batch = _take(stream, want) if want > 0 else []
            if want <= 0 and _take(stream, 1):
                stats.stopped_by = "candidates"
                return
            if not batch:
                return
            self._check_batch(batch)
            if self._enough(batch):
                return

    def _check_batch(self, batch: list[Candidate]) -> None:
        # Results come back in completion order: collect the whole batch, then
        # decide, so that no rule depends on which finished first.
        answers: dict[int, list[ExpectationResult]] = {}
        stream = self.controls.sandbox.run_candidates(
            [c.source for c in batch],
            self.ordered,
            wall_seconds_each=min(max(0.5, self.clock.left()), self.per_candidate),
        )
        try:
            for index, results in stream:
                self.clock.tick()
                answers[index] = results
                if self.clock.over() and len(answers) < len(batch):
                    # The safety net holds inside a batch too (candidates that each
                    # run out their time, flooding output): what did not answer was
                    # not checked, and the report says the budget stopped the search.
                    self.stats.stopped_by = "time"
                    break
        finally:
            stream.close()
        for index, cand in enumerate(batch):
            if index not in answers:
                continue
            self.kinds[cand.kind] += 1
            self.stats.candidates_tried += 1
            results = answers.get(index, [])
            if _passes(results, self.ordered, self.skipped):
                self.found.append((cand, _count_passed(results), self.stats.candidates_tried))
        share = self.stats.candidates_tried / max(1, self.options.max_candidates)
        spent = self.clock.elapsed() / max(self.options.search_seconds, 0.001)
        self.controls.report(
            f"checked {self.stats.candidates_tried} candidate fixes, {len(self.found)} pass",
            min(99, int(100 * max(share, spent))),
        )

    def _enough(self, batch: list[Candidate]) -> bool:
        """A full set of fixes, or two suspicious lines past the first fix."""
        if len(self.found) >= self.options.max_fixes:
            return True
        rank = self.line_rank
        first_fix_rank = min((rank.get(c.line, len(rank)) for c, _, _ in self.found), default=None)
        return first_fix_rank is not None and rank.get(batch[-1].line, 0) > first_fix_rank + 2

    def outcome(self) -> SearchOutcome:
        stats, found = self.stats, self.found
        stats.budget_exhausted = stats.stopped_by in ("time", "candidates")
        stats.candidates_by_kind = dict(self.kinds)
        found.sort(key=lambda item: item[2])  # the order tried: the last tie-break
        ranked = self._ranked(found)
        if any(e.kind == "pytest" for e in self.ordered):
            confirmed = self._confirmed([found[r.index] for r in ranked])
            found = [item for item in found if item in confirmed]
            ranked = self._ranked(found)
        stats.passing_edits = len(found)
        kept = ranked[: self.options.max_fixes]
        place = {r.index: n for n, r in enumerate(ranked)}
        fixes = []
        for r in kept:
            cand, passed, _ = found[r.index]
            fix = self._fix(cand, passed, len(found) - 1)
            if r.plain_form is not None:
                what = "slice" if r.written.endswith("]") else "arithmetic"
                fix.note = (
                    f"fix {place[r.plain_form] + 1}, written with the identity {what} `{r.written}`"
                )
            fixes.append(fix)
        # Variants rank last; telling one apart from its plain form is no question to ask.
        distinct = [fix for fix, r in zip(fixes, kept, strict=True) if r.plain_form is None]
        example = ""
        if len(distinct) > 1 and not self.controls.cancelled:
            example = distinguishing_example(
                self.baseline, self.controls.sandbox, distinct, self.per_candidate
            )
        variants = [r.written for r in ranked if r.plain_form is not None]
        stats.message = _message(
            stats, self.kinds, self.clock.elapsed(), self.options, example, variants
        )
        stats.seconds = round(time.monotonic() - self.began, 3)
        return SearchOutcome(fixes, stats)

    def _ranked(self, found: list[Found]) -> list[Ranked]:
        """`found` ranked by size and suspicion, the plain form first (simplicity.py)."""
        return rank_passing(self.baseline.source, [cand for cand, _, _ in found], self.line_score)

    def _fix(self, cand: Candidate, passed: int, alternatives: int) -> Fix:
        source, path = self.baseline.source, self.baseline.path
        return Fix(
            function=cand.function,
            source=cand.source,
            diff=unified_diff(source, cand.source, path),
            validated=True,
            origin=cand.origin,
            summary=cand.summary,
            line=cand.line,
            passed=passed,
            total=passed,  # skipped tests count in neither
            edit_kind=cand.kind,
            tokens_changed=cand.tokens_changed,
            alternatives=alternatives,
            edits=fix_edits(source, cand.changes),
        )

    def _confirmed(self, found: list[Found]) -> list[Found]:
        """The passing candidates that pass again, each in a pytest session of its own.

        The check ran most pytest candidates in a reused session (pytest_kept.py),
        which cannot rebind everything the tests made from the module; a fresh
        session imports the candidate as `pytest` would, so it alone decides.
        """
        wall = self.per_candidate
        jobs = [
            Job(cand.source, self.ordered, stop_at_first_failure=True, wall_seconds=wall)
            for cand, _, _ in found[:MAX_CONFIRMED]
        ]
        verdicts = dict(self.controls.sandbox.run_many(jobs))
        return [
            item
            for index, item in enumerate(found[:MAX_CONFIRMED])
            if _passes(verdicts.get(index, []), self.ordered, self.skipped)
        ]


def _message(
    stats: SearchStats,
    kinds: Counter[str],
    elapsed: float,
    options: DebugOptions,
    example: str,
    variants: Sequence[str] = (),
) -> str:
    """What the user should know about how the search ended; "" when nothing.

    `variants` are the identity slices or arithmetic (`xs[:]`) of the passing
    edits that are another's program written less plainly (simplicity.py):
    they rank last, and when they are all the others, there is nothing for
    the tests to decide.
    """
    seconds, max_candidates = options.search_seconds, options.max_candidates
    if stats.stopped_by in ("time", "candidates"):
        budget = f"{seconds:g} s" if stats.stopped_by == "time" else f"{max_candidates} candidates"
        what = "raise --budget" if stats.stopped_by == "time" else "raise --max-candidates"
        found = (
            f"{stats.passing_edits} passing edit(s) found so far"
            if stats.passing_edits
            else ("no passing edit found so far")
        )
        return (
            f"the fix search stopped after {stats.candidates_tried} candidates / {elapsed:.0f} s "
            f"(its budget of {budget}), before trying them all; {found}; {what} to search further"
        )
    if stats.passing_edits > 1 and stats.passing_edits - len(variants) == 1:
        shown = ", ".join(f"`{code}`" for code in variants[:3])
        more = ", ..." if len(variants) > 3 else ""
        others = "the other is" if len(variants) == 1 else f"the other {len(variants)} are"
        return (
            f"{stats.passing_edits} edits pass every expectation, but they are one fix: "
            f"{others} fix 1 written the long way ({shown}{more})"
        )
    if stats.passing_edits > 1:
        head = (
            f"{stats.passing_edits} different edits pass every expectation: "
            "your tests do not decide between them"
        )
        if example:
            return f"{head}; add an example such as {example}"
        return f"{head} (no input tried tells the first two apart); add an example that does"
    if not stats.passing_edits and stats.stopped_by != "cancelled":
        tried = ", ".join(f"{n} {k}" for k, n in kinds.most_common())
        return (
            "no small edit passes every expectation: no single edit of the suspicious lines, "
            f"nor a pair of them (tried {stats.candidates_tried}: {tried or 'none'})"
        )
    return ""


def _is_pytest(result: ExpectationResult) -> bool:
    return result.expectation_id.startswith("pytest:")


def _ordered(
    expectations: Sequence[Expectation], baseline: Sequence[ExpectationResult]
) -> list[Expectation]:
    failing = {r.expectation_id for r in baseline if not r.passed}
    return sorted(expectations, key=lambda e: e.id not in failing)


def _passes(
    results: Sequence[ExpectationResult], ordered: Sequence[Expectation], skipped: set[str]
) -> bool:
    """Every expectation ran and passed; a skip counts only where the original skipped too."""
    return len(results) == len(ordered) and all(
        r.status == "pass" or (r.skipped and r.expectation_id in skipped) for r in results
    )


def _count_passed(results: Sequence[ExpectationResult]) -> int:
    """Expectations that passed; the rest of a passing candidate's were skipped."""
    return sum(1 for r in results if r.status == "pass")


def _take(stream: Iterator[Candidate], n: int) -> list[Candidate]:
    batch: list[Candidate] = []
    for cand in stream:
        batch.append(cand)
        if len(batch) >= n:
            break
    return batch
