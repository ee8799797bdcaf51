"""Where the bug is: per-function status, bottom-up blame, and ranked suspicious lines.

Blame rule (bottom-up over the subfunction tree):
1. A function whose own expectations all pass is trusted: never blamed, and
   its lines are never suspects.
2. A function with a failing expectation is a candidate. Among candidates, the
   lowest one is blamed: a candidate that (transitively) calls another
   candidate in a failing run defers to it.
3. A callee with no expectations of its own is blamed instead of its caller
   when the failing runs implicate it: the exception was raised inside it, or
   its own lines carry the highest spectrum score of the blamed scope (lines
   that run in failing runs and not in passing ones are in the callee).

Line ranking inside the blamed scope (the blamed function plus the untested
callees it reaches) uses Ochiai over passing and failing expectations:
    ochiai(l) = failed(l) / sqrt(total_failed * (failed(l) + passed(l)))
Ties, frequent when every expectation fails, are broken by data flow into the
wrong value: the line that raised, then lines whose block left a variable
holding the wrong returned value, then lines closer to the end of the failing
run's last block. Later evidence (the mutation pass of mutation_localize.py)
comes in through `Localization.rerank`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mgdebug.analysis.model import Expectation, FunctionInfo, ModuleInfo

from ..report import FailureEvidence, FunctionReport, Suspect
from ..results import BlockSnapshot, ExpectationResult


def function_reports(
    module: ModuleInfo,
    expectations: Sequence[Expectation],
    results: Sequence[ExpectationResult],
) -> dict[str, FunctionReport]:
    """Status of every function from its own expectations (pass/fail/untested; skips apart)."""
    by_id = {r.expectation_id: r for r in results}
    reports: dict[str, FunctionReport] = {}
    for func in sorted(module.functions.values(), key=lambda f: f.line):
        reports[func.qualname] = FunctionReport(
            name=func.qualname, line=func.line, end_line=func.end_line, status="untested"
        )
    for exp in expectations:
        report = reports.get(exp.function)
        result = by_id.get(exp.id)
        if report is None or result is None:
            continue
        if result.skipped:  # skipped or xfailed: neither a pass nor a failure
            report.skipped += 1
        elif result.passed:
            report.passed += 1
        else:
            report.failed += 1
            report.failures.append(evidence(exp, result))
    _unattributed(expectations, by_id, reports)
    for report in reports.values():
        if report.failed:
            report.status = "fail"
        elif report.passed:
            report.status = "pass"
    return reports


def _unattributed(
    expectations: Sequence[Expectation],
    by_id: dict[str, ExpectationResult],
    reports: dict[str, FunctionReport],
) -> None:
    """Failing expectations that name no function (a module docstring's example) under "".

    Without it their failure would show nowhere but the exit status. Listed
    only when one fails, so that passing unattributed tests add no entry.
    """
    mine = [(e, by_id[e.id]) for e in expectations if not e.function and e.id in by_id]
    failing = [(e, r) for e, r in mine if not r.passed]
    if not failing:
        return
    line = failing[0][0].origin.line
    report = FunctionReport(name="", line=line, end_line=line, status="untested")
    for exp, result in mine:
        if result.passed:
            report.passed += 1
        else:
            report.failed += 1
            report.failures.append(evidence(exp, result))
    reports[""] = report


def evidence(exp: Expectation, result: ExpectationResult) -> FailureEvidence:
    return FailureEvidence(
        expectation_id=exp.id,
        description=exp.description,
        origin_path=exp.origin.path,
        origin_line=exp.origin.line,
        origin_kind=exp.origin.kind,
        status=result.status,
        expected=None if result.expected is None else result.expected.rstrip("\n"),
        actual=None if result.actual is None else result.actual.rstrip("\n"),
        message=result.message,
        traceback=result.traceback,
    )


def _own_lines(module: ModuleInfo, func: FunctionInfo) -> set[int]:
    """Lines of `func`'s body, without the bodies of functions nested in it."""
    lines = set(range(func.body_line, func.end_line + 1))
    for other in module.functions.values():
        if other.parent == func.qualname or (
            other.qualname != func.qualname
            and other.qualname.startswith(func.qualname + ".")
            and other.class_name is None
        ):
            lines -= set(range(other.line, other.end_line + 1))
    if func.docstring_line is not None:
        doc_end = func.docstring_end_line or func.docstring_line
        lines -= set(range(func.docstring_line, doc_end + 1))
    return lines


def ochiai(failed: int, passed: int, total_failed: int) -> float:
    if failed == 0 or total_failed == 0:
        return 0.0
    return failed / math.sqrt(total_failed * (failed + passed))


def spectrum(results: Iterable[ExpectationResult], lines: set[int]) -> dict[int, float]:
    """Ochiai score of each executed line in `lines`."""
    failed_hits: dict[int, int] = {}
    passed_hits: dict[int, int] = {}
    total_failed = 0
    for result in results:
        if result.trace is None or result.skipped:
            continue
        hits = passed_hits if result.passed else failed_hits
        if not result.passed:
            total_failed += 1
        for line in result.trace.lines:
            if line in lines:
                hits[line] = hits.get(line, 0) + 1
    return {
        line: ochiai(failed_hits.get(line, 0), passed_hits.get(line, 0), total_failed)
        for line in set(failed_hits) | set(passed_hits)
    }


class Localization:
    """The outcome of localization: blamed function, its scope, ranked suspects."""

    def __init__(self, module: ModuleInfo, max_suspects: int) -> None:
        self.module = module
        self.max_suspects = max_suspects
        self.blamed: str | None = None
        self.reason: str = ""
        self.scope: list[str] = []
        self.scope_lines: dict[int, str] = {}  # line -> function owning it
        self.ochiai: dict[int, float] = {}
        self.failing: list[ExpectationResult] = []  # the failing runs that judged the lines
        self.suspects: list[Suspect] = []

    def executed_lines(self) -> list[int]:
        """Scope lines that ran in a failing run, best spectrum score first."""
        return sorted(
            (ln for ln, score in self.ochiai.items() if score > 0),
            key=lambda ln: -self.ochiai[ln],
        )

    def rerank(self, evidence: Sequence[Evidence]) -> None:
        """Rank again with weighted evidence from other sources weighed in.

        A line scores `sum(weight * its score)` over the evidence plus the
        weight left over times its spectrum score; one `mutation_evidence` at
        MUTATION_WEIGHT is the mutation pass of mutation_localize.py.
        """
        left = 1 - sum(item.weight for item in evidence)
        scores = {
            line: sum(item.weight * item.scores.get(line, 0.0) for item in evidence) + left * score
            for line, score in self.ochiai.items()
        }
        self.suspects = _rank(
            self.module, scores, self.scope_lines, self.failing, self.max_suspects, evidence
        )


@dataclass(frozen=True)
class Evidence:
    """Line scores from one source of evidence, and how much they count against the spectrum.

    `scores`: 1-based line -> score in [0, 1] (missing lines score 0).
    `reason`: what a score means to the user, formatted with `score`, e.g.
    "edits here change the failing runs (metallaxis {score:.2f})".
    """

    source: str  # "mutation", "model", ...
    weight: float
    scores: Mapping[int, float]
    reason: str = ""


def mutation_evidence(scores: Mapping[int, float]) -> Evidence:
    """Metallaxis scores (mutation_localize.py) as evidence at MUTATION_WEIGHT."""
    return Evidence(
        "mutation",
        MUTATION_WEIGHT,
        scores,
        "edits here change the failing runs (metallaxis {score:.2f})",
    )


# How much mutation evidence counts against the spectrum score, chosen on the
# QuixBugs development set (benchmarks/run_bench.py --localize-only): 0.3 gave
# 20/40 top-1 against 19/40 for 0.5-1.0 and 11/40 for the spectrum alone.
MUTATION_WEIGHT = 0.3


def _failing(results: Sequence[ExpectationResult]) -> list[ExpectationResult]:
    return [r for r in results if not r.passed]


def _called_in_failing_runs(results: Sequence[ExpectationResult]) -> set[str]:
    called: set[str] = set()
    for result in _failing(results):
        if result.trace:
            called.update(c.function for c in result.trace.calls)
    return called


def localize(
    module: ModuleInfo,
    expectations: Sequence[Expectation],
    results: Sequence[ExpectationResult],
    reports: dict[str, FunctionReport],
    *,
    max_suspects: int = 10,
) -> Localization:
    """Blame the lowest wrong function and rank its lines (see the module docstring)."""
    loc = Localization(module, max_suspects)
    failing = _failing(results)
    if not failing:
        return loc
    trusted = {name for name, r in reports.items() if r.status == "pass"}
    # "" (unattributed expectations) is no function: blame follows their runs instead.
    candidates = [n for n, r in reports.items() if r.status == "fail" and n in module.functions]
    called = _called_in_failing_runs(results)
    if not candidates:
        # Failing expectations that name no function (e.g. a pytest test calling
        # several): start from the outermost functions the failing runs called.
        reached = [n for n in module.leaves_first() if n in called]
        # A function whose own examples pass is trusted over one that has none; but
        # when a failing run calls only trusted ones, it has found an input their
        # examples miss (`assert "" == pluralize("")` beside passing doctests).
        candidates = [n for n in reached if n not in trusted] or reached
        candidates = [c for c in candidates if not module.callers_of(c) or c in called][-1:]
    if not candidates:
        return loc
    blamed = _lowest_candidate(module, candidates, called, trusted)
    scope = module.reachable([blamed], trusted | (set(candidates) - {blamed}))
    scope_lines: dict[int, str] = {}
    for name in scope:
        for line in _own_lines(module, module.functions[name]):
            scope_lines.setdefault(line, name)
    # Only the blamed function's own failing expectations judge its lines when it
    # has some; otherwise every failing run that reached it.
    own = [r for r in results if _expectation_function(expectations, r) == blamed]
    judged = own if any(not r.passed for r in own) else list(results)
    scores = spectrum(judged, set(scope_lines))
    own_fails = any(not r.passed for r in own)
    loc.blamed, loc.reason = _refine_blame(module, blamed, own_fails, scores, scope_lines, failing)
    loc.scope = scope
    loc.scope_lines = scope_lines
    loc.ochiai = scores
    loc.failing = _failing(judged)
    loc.suspects = _rank(module, scores, scope_lines, loc.failing, max_suspects)
    report = reports.get(loc.blamed)
    if report is not None:
        report.blamed = True
        report.blame_reason = loc.reason
    return loc


def _expectation_function(expectations: Sequence[Expectation], result: ExpectationResult) -> str:
    for exp in expectations:
        if exp.id == result.expectation_id:
            return exp.function
    return ""


def _lowest_candidate(
    module: ModuleInfo, candidates: list[str], called: set[str], trusted: set[str]
) -> str:
    order = module.leaves_first()
    ranked = sorted(candidates, key=lambda n: order.index(n) if n in order else len(order))
    for name in ranked:
        # A candidate defers to another candidate it reaches and that ran in a failing run.
        reach = module.reachable([name], trusted)
        if not any(other in reach and other != name and other in called for other in ranked):
            return name
    return ranked[0]


def _refine_blame(
    module: ModuleInfo,
    blamed: str,
    own_fails: bool,  # whether `blamed` has failing expectations of its own
    scores: dict[int, float],
    scope_lines: dict[int, str],
    failing: list[ExpectationResult],
) -> tuple[str, str]:
    for result in failing:
        line = result.error_line
        if line is not None and scope_lines.get(line, blamed) != blamed:
            callee = scope_lines[line]
            return callee, (
                f"`{callee}` has no expectations of its own and raised "
                f"{result.actual or 'an exception'} on line {line} in a failing run of `{blamed}`"
            )
    if scores:
        top_line = max(scores, key=lambda ln: scores[ln])
        owner = scope_lines.get(top_line, blamed)
        best_own = max((s for ln, s in scores.items() if scope_lines.get(ln) == blamed), default=0)
        if owner != blamed and scores[top_line] > best_own:
            return owner, (
                f"`{owner}` has no expectations of its own; its line {top_line} runs in "
                f"failing runs of `{blamed}` more than in passing ones"
            )
    func = module.functions[blamed]
    trusted = " and every function it calls is trusted or untested" if func.calls else ""
    if not own_fails:  # failing tests that name no function (a pytest test, a main block)
        return blamed, f"`{func.qualname}` is the lowest function the failing runs reach{trusted}"
    return blamed, f"`{func.qualname}` fails its own expectations{trusted}"


def _rank(
    module: ModuleInfo,
    scores: dict[int, float],
    scope_lines: dict[int, str],
    failing: list[ExpectationResult],
    max_suspects: int,
    evidence: Sequence[Evidence] = (),
) -> list[Suspect]:
    error_lines = {r.error_line for r in failing if r.error_line is not None}
    first_failing = failing[0]
    last_line = _last_executed_line(first_failing, set(scope_lines))
    wrong_value = first_failing.actual

    def tie_break(line: int) -> tuple[float, ...]:
        flows = _line_holds_value(first_failing, line, wrong_value)
        distance = abs(last_line - line) if last_line else 0
        return (scores[line], line in error_lines, flows, -distance)

    ranked = sorted(scores, key=tie_break, reverse=True)[:max_suspects]
    suspects = []
    for line in ranked:
        func_name = scope_lines[line]
        func = module.functions[func_name]
        block = next((b for b in func.blocks if b.start_line <= line <= b.end_line), None)
        values = _block_values(first_failing, func_name, block.index if block else None)
        suspects.append(
            Suspect(
                function=func_name,
                line=line,
                score=round(scores[line], 4),
                reason=_reason(line in error_lines, failing, evidence, line),
                block=block.index if block else None,
                values=values,
            )
        )
    return suspects


def _last_executed_line(result: ExpectationResult, lines: set[int]) -> int:
    if result.trace is None:
        return 0
    for snap in reversed(result.trace.snapshots):
        if snap.line in lines:
            return snap.line
    return 0


def _line_holds_value(result: ExpectationResult, line: int, wrong: str | None) -> bool:
    """Did the block ending at or after `line` leave a variable holding the wrong value?"""
    if result.trace is None or not wrong:
        return False
    return any(
        snap.line == line and wrong in snap.values.values() for snap in result.trace.snapshots
    )


def _block_values(
    result: ExpectationResult, function: str, block: int | None
) -> list[BlockSnapshot]:
    if result.trace is None or block is None:
        return []
    snaps = [s for s in result.trace.snapshots if s.function == function and s.block == block]
    return snaps[:3] + snaps[-2:] if len(snaps) > 5 else snaps


def _reason(
    raised: bool, failing: list[ExpectationResult], evidence: Sequence[Evidence], line: int
) -> str:
    parts = [f"judged on {len(failing)} failing run(s)"]
    parts += [e.reason.format(score=e.scores.get(line, 0)) for e in evidence if e.reason]
    if raised:
        parts.append("the exception was raised here")
    return "; ".join(parts)


def agree_with_top_suspect(
    functions: Sequence[FunctionReport], suspects: Sequence[Suspect]
) -> None:
    """Blame the function that holds the top suspect line, so blame and suspects agree.

    Suspects are ranked again after blame was first decided (mutation
    evidence, then lines a checked fix changes go first). Suspect lines only
    ever lie in the blamed scope: the blamed function and the untested
    helpers it reaches. When the best line now lies in another function of
    that scope, that function is the one to look at, and the one blamed.
    """
    if not suspects:
        return
    by_name = {f.name: f for f in functions}
    top, owner = suspects[0], by_name.get(suspects[0].function)
    blamed = next((f for f in functions if f.blamed), None)
    fixed = "; a checked fix changes it" if "a checked fix changes this line" in top.reason else ""
    if owner is not None and owner is blamed and fixed and fixed not in owner.blame_reason:
        owner.blame_reason += fixed
    if owner is None or blamed is None or owner is blamed:
        return
    blamed.blamed, blamed.blame_reason = False, ""
    owner.blamed = True
    if owner.status == "untested":
        owner.blame_reason = (
            f"`{owner.name}` has no expectations of its own; its line {top.line} is the most "
            f"suspicious line in the failing runs of `{blamed.name}`{fixed}"
        )
    else:
        owner.blame_reason = (
            f"`{owner.name}` fails its own expectations and its line {top.line} is the most "
            f"suspicious line{fixed}"
        )
