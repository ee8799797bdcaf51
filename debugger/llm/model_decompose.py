"""MGDebugger's hierarchical debugging for a long function with no helpers.

One long function gives the bottom-up blame one verdict and the model a lot
to read. decompose.py asks for a split into helpers and accepts it only when
the sandbox shows it behaves exactly like the original; the decomposed file
is then debugged like any other — the user's expectations run traced,
model-written cases judge the new helpers (step 1), verdicts and simulation
rank the lines (steps 2–3), the model fixes the lowest wrong helper (step 5,
LDB's loop) — and the fix is mapped back onto the user's own function text
(decompose.map_back; a whole-function replacement, labelled, when it cannot
be). The mapped candidate is checked against the ORIGINAL file's
expectations by `check_candidates` like every other candidate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..baseline import Baseline, Controls
from ..localize.blame import Localization, function_reports
from ..repair.candidates import Candidate
from ..repair.check import check_candidates
from ..report import Fix, Report
from ..sandbox.pool import Job, TraceSpec
from .model_evidence import judge_untested, line_evidence, localize_judged
from .pipeline import ModelRun


@dataclass
class _One:
    """A proposer of one candidate (the mapped-back fix)."""

    candidate: Candidate

    def propose(self, baseline: Baseline) -> Iterator[Candidate]:
        yield self.candidate


def decomposed_fix(
    run: ModelRun, baseline: Baseline, controls: Controls, loc: Localization
) -> Fix | None:
    """A checked fix of the blamed function found by debugging its decomposition, or None."""
    from .decompose import decompose, map_back, needs_decomposition
    from .model_repair import ldb_loop

    function = loc.blamed
    if function is None or not needs_decomposition(baseline.module, function):
        return None
    split = run.ask(
        "decompose",
        lambda: decompose(run.client, baseline, controls, function, cancel=run.cancel),
    )
    if split is None or controls.cancelled:
        return None
    module = split.module
    spec = TraceSpec(
        blocks={q: module.functions[q].blocks for q in module.reachable([split.function])}
    )
    job = Job(source=split.source, expectations=baseline.expectations, trace=spec)
    results = tuple(controls.sandbox.run(job))
    tree = replace(baseline, source=split.source, module=module, results=results)
    # A scratch report: the decomposed tree's blame and evidence are a means to
    # the fix, not what the user's report shows (their lines are not the file's).
    scratch = Report(path=baseline.path)
    scratch.functions = list(function_reports(module, tree.expectations, results).values())
    reasons, text = run.line_reasons, run.evidence_text
    run.line_reasons, run.evidence_text = {}, ""
    try:
        judged = judge_untested(run, tree, controls, scratch) if run.steps.cases else tree
        tree_loc = localize_judged(judged, scratch.functions)
        if tree_loc.blamed is None:
            return None
        evidence = line_evidence(run, judged, tree_loc)
        if evidence:
            tree_loc.rerank(evidence)
        prompt_evidence = run.evidence_text if run.steps.trace_in_prompts else ""
        splice, answers = ldb_loop(run, tree, controls, tree_loc.blamed, prompt_evidence)
    finally:
        run.line_reasons, run.evidence_text = reasons, text
    if splice is None:
        return None
    candidate = map_back(baseline, split, splice.source)
    if candidate is None:
        return None
    outcome = check_candidates(baseline, controls, [], [_One(candidate)])
    if not outcome.fixes:
        return None
    fix = outcome.fixes[0]
    fix.alternatives = 0
    helpers = ", ".join(f"`{h}`" for h in split.helpers)
    fix.note = (
        f"found by debugging the model's split of `{function}` into {helpers} "
        f"(checked equivalent), fixing `{tree_loc.blamed}` and mapping the fix back; "
        "checked against every expectation of yours"
    )
    if answers > 1:
        fix.note += f" (after {answers} answers)"
    run.model_fix_found = True
    return fix
