"""Model fixes, checked like every other candidate, and one ranked list with the search's.

LDB's loop: the model's corrected function is spliced into the file and run
against the user's expectations; a failing one goes back with its new
failures (expected vs actual), up to `rounds` answers. A passing rewrite is
shrunk: every subset of its changed hunks, fewest first, becomes a candidate
of origin "model" for `check_candidates` — the one place a candidate becomes
a checked fix — so the user sees the smallest change that passes, never an
unchecked one. The merged list ranks: passes the user's expectations
(required), then the model's, then agreement with the model, then the
search's own order (size, suspicion, the plain form first: see `rank_fixes`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from mgdebug.analysis.model import Expectation

from ..baseline import Baseline, Controls
from ..localize.blame import Localization
from ..repair.candidates import Candidate
from ..repair.check import candidate_wall_seconds, check_candidates
from ..repair.edits import TextEdit, apply_changes, tokens_changed
from ..report import Fix, Report
from ..results import ExpectationResult
from ..sandbox.pool import Job
from .explain import judge_fixes
from .model_evidence import function_source
from .model_fixes import Failure, FixConversation
from .pipeline import ModelRun
from .splice import Splice, find_definition, hunks, subsets_smallest_first

MAX_SUBSETS = 32  # hunk subsets checked when shrinking a passing rewrite


def failures_of(
    expectations: Sequence[Expectation], results: Sequence[ExpectationResult]
) -> list[Failure]:
    by_id = {e.id: e for e in expectations}
    return [
        Failure(
            by_id[r.expectation_id].description if r.expectation_id in by_id else r.expectation_id,
            _one_line(r.expected),
            _one_line(r.actual or r.message),
        )
        for r in results
        if not r.passed
    ]


def _one_line(text: str | None) -> str | None:
    """Doctest output ends in a newline; a prompt's "expected 3, got 4" should not."""
    return None if text is None else text.strip()


def _trial(baseline: Baseline, controls: Controls, source: str) -> list[ExpectationResult]:
    """The user's expectations on `source`, all of them (the loop needs every new failure)."""
    job = Job(
        source,
        baseline.expectations,
        wall_seconds=candidate_wall_seconds(baseline.results) * 2,
    )
    return controls.sandbox.run(job)


def ldb_loop(
    run: ModelRun, baseline: Baseline, controls: Controls, function: str, evidence: str
) -> tuple[Splice | None, int]:
    """A spliced model fix passing the user's expectations, and how many answers it took."""
    func = baseline.module.functions[function]
    conversation = FixConversation(
        run.client,
        baseline.source,
        baseline.module,
        function_source(baseline.source, func),
        failures_of(baseline.expectations, baseline.results),
        evidence,
        run.cancel,
    )
    failures: list[Failure] = []
    for round_ in range(max(1, run.options.rounds)):
        if round_ == 0:
            splice = run.ask("fix", conversation.propose)
        else:
            again = failures or failures_of(baseline.expectations, baseline.results)
            splice = run.ask("fix", lambda a=again: conversation.retry(a))  # type: ignore[misc]
        if run.cancelled or controls.cancelled:
            return None, round_ + 1
        if splice is None:
            if not run.usable or run.left() < 1:
                return None, round_ + 1
            continue
        results = _trial(baseline, controls, splice.source)
        failures = failures_of(baseline.expectations, results)
        if not failures and len(results) == len(baseline.expectations):
            return splice, round_ + 1
    return None, max(1, run.options.rounds)


def _line_of(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


@dataclass
class ShrinkProposer:
    """Subsets of a passing rewrite's changed hunks, fewest first, the whole rewrite last."""

    splice: Splice
    function: str

    def propose(self, baseline: Baseline) -> Iterator[Candidate]:
        original = baseline.source
        parts = hunks(original, self.splice.source)
        seen: set[str] = set()
        for subset in subsets_smallest_first(len(parts), MAX_SUBSETS):
            chosen: list[TextEdit] = [parts[i] for i in subset]
            source = apply_changes(original, chosen)
            if source in seen or source == original:
                continue
            seen.add(source)
            try:
                ast.parse(source)
            except SyntaxError:
                continue
            size = sum(tokens_changed(original[h.start : h.end], h.text) for h in chosen)
            whole = len(subset) == len(parts)
            what = (
                "the model's corrected function"
                if whole
                else f"the model's fix, shrunk to {len(subset)} of {len(parts)} changed hunk(s)"
            )
            yield Candidate(
                source=source,
                kind="model",
                line=_line_of(original, chosen[0].start),
                summary=f"{what} of `{self.function}`",
                tokens_changed=size,
                function=self.function,
                changes=tuple(chosen),
                origin="model",
            )


def model_fix(
    run: ModelRun, baseline: Baseline, controls: Controls, loc: Localization
) -> Fix | None:
    """The model's smallest checked fix of the blamed function, or None."""
    function = loc.blamed
    if function is None or function not in baseline.module.functions:
        return None
    evidence = run.evidence_text if run.steps.trace_in_prompts else ""
    if run.steps.trace_in_prompts and loc.suspects:
        top = ", ".join(str(s.line) for s in loc.suspects[:3])
        evidence = (evidence + "\n" if evidence else "") + f"Most suspicious lines: {top}"
    splice, answers = ldb_loop(run, baseline, controls, function, evidence)
    if splice is None:
        return None
    outcome = check_candidates(baseline, controls, [], [ShrinkProposer(splice, function)])
    if not outcome.fixes:
        return None
    fix = outcome.fixes[0]
    fix.alternatives = 0
    tries = "" if answers == 1 else f" (after {answers} answers: failed checks went back)"
    fix.note = f"{fix.summary}, checked against every expectation of yours{tries}"
    run.model_fix_found = True
    return fix


def _function_code(source: str, function: str) -> str | None:
    """The function's code, formatting and comments aside, to compare two fixes' effects."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    node = find_definition(tree, function)
    return ast.dump(node) if node is not None else None


def _model_passes(
    controls: Controls, fixes: Sequence[Fix], model_cases: Sequence[Expectation], wall: float
) -> list[int]:
    if not model_cases:
        return [0] * len(fixes)
    jobs = [Job(f.source, model_cases, wall_seconds=wall) for f in fixes]
    counts = [0] * len(fixes)
    for index, results in controls.sandbox.run_many(jobs):
        counts[index] = sum(1 for r in results if r.status == "pass")
    return counts


def rank_fixes(
    run: ModelRun,
    baseline: Baseline,
    judged: Baseline,
    controls: Controls,
    fixes: list[Fix],
    model: Fix | None,
) -> list[Fix]:
    """One list: user expectations (all pass) > model expectations > agreement > search order.

    `fixes` come ranked by check.py (repair/simplicity.py); the model's fix never
    shares an agreement tier with them, so their own order is the last key.
    """
    model_cases = [e for e in judged.expectations if e.origin.kind == "model"]
    merged = [*fixes] + ([model] if model is not None else [])
    if not merged:
        return []
    wall = candidate_wall_seconds(baseline.results) * 2
    passes = _model_passes(controls, merged, model_cases, wall)
    agree: dict[int, int] = {}  # index -> tier: 0 ranks first
    if model is not None:
        target = _function_code(model.source, model.function)
        model_index = len(merged) - 1
        agreeing = [
            i
            for i, f in enumerate(fixes)
            if f.source == model.source
            or (target is not None and _function_code(f.source, f.function) == target)
        ]
        for i in agreeing:
            agree[i] = 0
            fixes[i].note = "does what the model's own checked fix does"
        if agreeing:
            # The same effect twice: keep the search's (smaller, edit-shaped) spelling.
            merged.pop(model_index)
            passes.pop(model_index)
        elif fixes:
            # Checked fixes that disagree: the tests cannot decide, so ask the model
            # which matches the intent (the model's fix first, then the search's best).
            shown = [model, *fixes[:3]]
            choice = judge_fixes(run, baseline, shown)
            if choice is not None and choice[0] > 0:
                agree[merged.index(shown[choice[0]])] = 0
                agree[model_index] = 1
                picked = shown[choice[0]]
                picked.note = f"the model judged this fix to match the intent: {choice[1]}"
            else:
                agree[model_index] = 0
                model.note += (
                    f"; the model judged it to match the intent: {choice[1]}"
                    if choice is not None
                    else "; ranked above smaller search edits: the tests do not decide "
                    "between them, and weak tests let wrong small edits pass"
                )
        else:
            agree[model_index] = 0
    order = sorted(
        range(len(merged)),
        key=lambda i: (-passes[i], agree.get(i, 2), i),
    )
    if model_cases:
        for i in range(len(merged)):
            extra = f"passes {passes[i]}/{len(model_cases)} model-written expectations"
            merged[i].note = f"{merged[i].note}; {extra}" if merged[i].note else extra
    return [merged[i] for i in order]


def repair(
    run: ModelRun,
    baseline: Baseline,
    judged: Baseline,
    controls: Controls,
    loc: Localization,
    report: Report,
) -> None:
    from .model_decompose import decomposed_fix

    attempts = [model_fix]
    if run.steps.decompose:
        attempts.insert(0 if run.steps.decompose_first else 1, decomposed_fix)
    fix: Fix | None = None
    for attempt in attempts:
        if not run.can_ask() or controls.cancelled:
            break
        fix = attempt(run, baseline, controls, loc)
        if fix is not None:
            break
    if controls.cancelled:
        return
    if fix is not None and not report.fixes:
        report.messages.append(
            "the model's fix passes every expectation of yours (checked in the sandbox)"
        )
    if fix is None and not any(e.origin.kind == "model" for e in judged.expectations):
        return
    ranked = rank_fixes(run, baseline, judged, controls, list(report.fixes), fix)
    report.fixes = ranked[: max(1, baseline.options.max_fixes)]
