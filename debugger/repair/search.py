"""The fix search: run candidate edits against every expectation, keep those that pass.

Each candidate runs in the sandbox with the previously failing expectations
first and stops at its first failure, so most wrong candidates cost one
expectation. A candidate passes only if every expectation passes (or is
skipped, as the test itself asks), including those that passed before and
those of the callers of the edited function (the caller runs are part of the
same expectation set).

Deterministic: what is found depends on the candidates, not on the machine's
speed. The search is budgeted by candidates checked (`max_candidates`); its
stopping rules look at whole batches of results in candidate order; the wall
clock (`seconds`) is only an outer safety net, and it starts with the first
answer, so that the workers' warm-up and pytest's start-up do not count.

When several different edits pass, the tests do not decide between them: the
report says so, ranks them, and, when a cheap probe finds one, names an input
on which two of them disagree (`_distinguishing_example`).
"""

from __future__ import annotations

import ast
import difflib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from mgdebug.analysis.model import Expectation, ModuleInfo, Origin

from ..report import Fix, SearchStats, shown_path
from ..results import ExpectationResult
from ..sandbox import Job, Sandbox
from .candidates import KIND_PRIORS, Candidate, CandidateContext, generate_candidates

BATCH = 24  # candidates handed to the sandbox at once: keeps both workers busy
# A pytest candidate runs a whole pytest session (configuration, collection)
# beyond the tests' own time, which the traced baseline did not measure.
PYTEST_SESSION_SECONDS = 1.0
MAX_PROBES = 40  # inputs tried to tell two passing fixes apart
MAX_CONFIRMED = 20  # passing pytest candidates checked again in a fresh session


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
    stats = outcome.stats
    began = time.monotonic()
    clock = _Clock(seconds)
    ordered = _ordered(expectations, baseline)
    skipped = {r.expectation_id for r in baseline if r.skipped}
    line_rank = {line: i for i, (line, _) in enumerate(suspicious_lines)}
    line_score = dict(suspicious_lines)
    kinds: Counter[str] = Counter()
    found: list[tuple[Candidate, int, int]] = []  # (candidate, passed, order tried)
    per_candidate = candidate_wall_seconds(baseline)

    def run(stream: Iterator[Candidate]) -> None:
        while True:
            if cancel is not None and cancel.is_set():
                stats.stopped_by = "cancelled"
                return
            if clock.over():
                stats.stopped_by = "time"
                return
            want = min(BATCH, max_candidates - stats.candidates_tried)
            batch = _take(stream, want) if want > 0 else []
            if want <= 0 and _take(stream, 1):
                stats.stopped_by = "candidates"
                return
            if not batch:
                return
            # Results come back in completion order: collect the whole batch,
            # then decide, so that no rule depends on which finished first.
            answers: dict[int, list[ExpectationResult]] = {}
            for index, results in sandbox.run_candidates(
                [c.source for c in batch],
                ordered,
                wall_seconds_each=min(max(0.5, clock.left()), per_candidate),
            ):
                clock.tick()
                answers[index] = results
            for index, cand in enumerate(batch):
                kinds[cand.kind] += 1
                stats.candidates_tried += 1
                results = answers.get(index, [])
                if _passes(results, ordered, skipped):
                    found.append((cand, _count_passed(results), stats.candidates_tried))
            if progress is not None:
                share = stats.candidates_tried / max(1, max_candidates)
                progress(
                    f"checked {stats.candidates_tried} candidate fixes, {len(found)} pass",
                    min(99, int(100 * max(share, clock.elapsed() / max(seconds, 0.001)))),
                )
            # Enough: a full set of fixes, or two suspicious lines past the first fix.
            if len(found) >= max_fixes:
                return
            first_fix_rank = min(
                (line_rank.get(c.line, len(line_rank)) for c, _, _ in found), default=None
            )
            if first_fix_rank is not None and line_rank.get(batch[-1].line, 0) > first_fix_rank + 2:
                return

    run(generate_candidates(source, module, suspicious_lines, context))
    if not found and not stats.stopped_by:
        pairs = generate_candidates(source, module, suspicious_lines, context, pairs=True)
        run(c for c in pairs if c.kind == "pair")

    stats.budget_exhausted = stats.stopped_by in ("time", "candidates")
    stats.candidates_by_kind = dict(kinds)
    found.sort(
        key=lambda item: (
            item[0].tokens_changed,
            -line_score.get(item[0].line, 0.0),
            -KIND_PRIORS.get(item[0].kind, 0.0),
            item[2],  # then the generator's own order
        )
    )
    if any(e.kind == "pytest" for e in ordered):
        found = _confirmed(sandbox, found, ordered, skipped, per_candidate)
    stats.passing_edits = len(found)
    outcome.fixes = [
        Fix(
            function=cand.function,
            source=cand.source,
            diff=unified_diff(source, cand.source, path),
            validated=True,
            origin="search",
            summary=cand.summary,
            line=cand.line,
            passed=passed,
            total=passed,  # skipped tests count in neither
            edit_kind=cand.kind,
            tokens_changed=cand.tokens_changed,
            alternatives=len(found) - 1,
        )
        for cand, passed, _ in found[:max_fixes]
    ]
    example = ""
    if len(outcome.fixes) > 1 and not (cancel is not None and cancel.is_set()):
        example = _distinguishing_example(
            sandbox, outcome.fixes, module, baseline, path, per_candidate
        )
    stats.message = _message(stats, kinds, clock.elapsed(), seconds, max_candidates, example)
    stats.seconds = round(time.monotonic() - began, 3)
    return outcome


def _message(
    stats: SearchStats,
    kinds: Counter[str],
    elapsed: float,
    seconds: float,
    max_candidates: int,
    example: str,
) -> str:
    """What the user should know about how the search ended; "" when nothing."""
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


def _confirmed(
    sandbox: Sandbox,
    found: list[tuple[Candidate, int, int]],
    ordered: Sequence[Expectation],
    skipped: set[str],
    wall_each: float,
) -> list[tuple[Candidate, int, int]]:
    """The passing candidates that pass again, each in a pytest session of its own.

    The search ran most pytest candidates in a reused session (pytest_kept.py),
    which cannot rebind everything the tests made from the module; a fresh
    session imports the candidate as `pytest` would, so it alone decides.
    """
    jobs = [
        Job(cand.source, ordered, stop_at_first_failure=True, wall_seconds=wall_each)
        for cand, _, _ in found[:MAX_CONFIRMED]
    ]
    kept: list[tuple[Candidate, int, int]] = []
    verdicts = dict(sandbox.run_many(jobs))
    for index, item in enumerate(found[:MAX_CONFIRMED]):
        if _passes(verdicts.get(index, []), ordered, skipped):
            kept.append(item)
    return kept


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


# -- telling passing fixes apart ---------------------------------------------------


def _probe_calls(
    source: str, module: ModuleInfo, baseline: Sequence[ExpectationResult]
) -> list[str]:
    """Calls of module-level functions as the expectations made them, and small perturbations.

    The inputs come from the baseline's traces (depth-0 calls), so they work
    for every kind of expectation, pytest tests included; integers are moved by
    one, or set to the integers the source names and their neighbours, since
    boundaries and off-by-one edits are what passing fixes most often differ on.
    """
    try:
        literals = sorted(
            {
                node.value + delta
                for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Constant) and type(node.value) is int
                for delta in (-1, 0, 1)
            }
        )[:12]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        literals = []
    calls: dict[str, None] = {}
    for result in baseline:
        for record in result.trace.calls if result.trace is not None else []:
            if record.depth != 0 or record.function not in module.functions:
                continue
            if "." in record.function:
                continue
            try:
                args = {k: ast.literal_eval(v) for k, v in record.args.items()}
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            for variant in _variants(args, literals):
                text = ", ".join(f"{k}={v!r}" for k, v in variant.items())
                calls.setdefault(f"{record.function}({text})")
            if len(calls) >= MAX_PROBES:
                return list(calls)[:MAX_PROBES]
    return list(calls)


def _variants(args: dict[str, object], literals: Sequence[int]) -> Iterator[dict[str, object]]:
    yield args
    for name, value in args.items():
        if isinstance(value, int) and not isinstance(value, bool):
            for other in (value + 1, value - 1, *literals):
                yield {**args, name: other}


def _distinguishing_example(
    sandbox: Sandbox,
    fixes: Sequence[Fix],
    module: ModuleInfo,
    baseline: Sequence[ExpectationResult],
    path: str,
    wall_each: float,
) -> str:
    """An input two fixes disagree on, as "`f(x=3)`, which gives 3 with fix 1 and 4 with fix 2".

    "" if no probe tells them apart.
    """
    calls = _probe_calls(fixes[0].source, module, baseline)
    if not calls:
        return ""
    probes = [
        Expectation(
            id=f"probe:{i}",
            function=call.split("(", 1)[0],
            kind="eval",
            origin=Origin(path, 0, "given"),
            description=call,
            call=call,
            expected="None",
        )
        for i, call in enumerate(calls)
    ]
    outputs: dict[int, list[str | None]] = {}
    for index, results in sandbox.run_candidates(
        [f.source for f in fixes], probes, wall_seconds_each=wall_each, stop_at_first_failure=False
    ):
        outputs[index] = [_outcome(r) for r in results]
    first = outputs.get(0, [])
    for other in range(1, len(fixes)):
        for i, (a, b) in enumerate(zip(first, outputs.get(other, []))):  # noqa: B905
            if a != b:
                return f"`{calls[i]}`, which gives {a} with fix 1 and {b} with fix {other + 1}"
    return ""


def _outcome(result: ExpectationResult) -> str:
    if result.status in ("pass", "fail"):
        return str(result.actual)
    if result.status == "error":
        return f"an exception ({result.actual})"
    return f"no value ({result.status})"
