"""The model's evidence for blame and ranking: generated cases, block verdicts, simulation.

Model-written expectations (generated_tests.py) are run in the sandbox like
the user's and judge functions that have none; they never outweigh the
user's: a function only the model's cases judge is not trusted when they
pass (weak cases would hide the bug), and is blamed on their failures only
when a failing user run called it. Block verdicts (LDB) and the first
divergence from the simulated intent (MGDebugger) become `Evidence` for
`Localization.rerank`, their reasons the suspects' `model_reason`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mgdebug.analysis.model import Expectation, FunctionInfo, ModuleInfo

from ..baseline import Baseline, Controls
from ..localize.blame import Evidence, Localization, function_reports, localize
from ..report import FunctionReport, Report, SimulatedBlock, SimulatedRun, Suspect
from ..results import ExpectationResult
from ..sandbox.pool import Job, TraceSpec
from .block_verdicts import ask_block_verdicts
from .block_verdicts import line_evidence as verdict_scores
from .generated_tests import CaseRequest, model_expectations, propose_cases
from .pipeline import ModelRun
from .simulate import first_divergence, simulate

# How much each kind of model evidence counts against the spectrum (the mutation
# pass has 0.3). VERDICT_WEIGHT is measured by benchmarks/verdict_weight.py
# (QuixBugs, localize-only, --strategy ldb, model_oracle.py's verdicts; 36 of
# 40 programs reach ranking), top-1 of the buggy line: oracle 25 (W=0), 29
# (0.1), 30 (0.2), 31 (0.3-0.5); noisy oracle (half its answers "all correct")
# 25, then 26 from 0.1 up. 0.3 is the smallest weight on the oracle's plateau;
# a model that marks the WRONG block was not measured, so the spectrum and the
# mutation evidence together keep the larger share. SIMULATION_WEIGHT is not
# measured (the oracle simulates no values): kept small.
VERDICT_WEIGHT = 0.3
SIMULATION_WEIGHT = 0.1
MAX_FUNCTIONS = 3  # untested functions asked about per run
CASE_SAMPLES = 3  # samples per function; a case is kept when a majority agree
MAX_USAGE_LINES = 5


def function_source(source: str, func: FunctionInfo) -> str:
    lines = source.splitlines(keepends=True)
    return "".join(lines[func.line - 1 : func.end_line])


def usage_lines(module: ModuleInfo, source: str, func: FunctionInfo) -> list[str]:
    """Lines of the file's other functions that call `func`: how the rest of it uses it."""
    lines = source.splitlines()
    found: list[str] = []
    for caller in module.callers_of(func.qualname):
        other = module.functions[caller]
        for number in range(other.line, other.end_line + 1):
            text = lines[number - 1].strip() if number <= len(lines) else ""
            if f"{func.name}(" in text and not text.startswith("def "):
                found.append(text)
    return found[:MAX_USAGE_LINES]


def _askable(func: FunctionInfo) -> bool:
    """A function the model's cases can call by name: module level, not a coroutine."""
    return func.parent is None and func.class_name is None and not func.is_async


def _cases(
    run: ModelRun, module: ModuleInfo, func: FunctionInfo, path: str, user: Sequence[Expectation]
) -> list[Expectation]:
    samples = min(CASE_SAMPLES, run.left())
    if samples < 1 or not run.can_ask(samples):
        run.budget_hit = run.budget_hit or run.usable
        return []
    request = CaseRequest(
        func, function_source(module.source, func), usage_lines(module, module.source, func)
    )
    cases = run.ask(
        "cases",
        lambda: propose_cases(run.client, request, samples=samples, cancel=run.cancel),
    )
    return model_expectations(cases or [], func, path, user)


def cases_for_file(
    run: ModelRun, module: ModuleInfo, path: str, narrow: Sequence[str]
) -> list[Expectation]:
    """Expectations for a file with none: the model's cases for its functions."""
    funcs = [
        f
        for f in sorted(module.functions.values(), key=lambda f: f.line)
        if _askable(f) and (not narrow or f.qualname in narrow or f.name in narrow)
    ]
    found: list[Expectation] = []
    for func in funcs[:MAX_FUNCTIONS]:
        found.extend(_cases(run, module, func, path, []))
    return found


def _called_in_failing_runs(results: Sequence[ExpectationResult]) -> set[str]:
    return {
        call.function
        for r in results
        if not r.passed and r.trace is not None
        for call in r.trace.calls
    }


def _keep(result: ExpectationResult) -> bool:
    """A model case whose call itself was wrong (no line of the file raised) judges nothing."""
    return result.status != "error" or result.error_line is not None


def judge_untested(
    run: ModelRun, baseline: Baseline, controls: Controls, report: Report
) -> Baseline:
    module = baseline.module
    user = [e for e in baseline.expectations if e.origin.kind != "model"]
    own = {e.function for e in baseline.expectations}
    called = _called_in_failing_runs(baseline.results)
    views = {f.name: replace(f, failures=list(f.failures)) for f in report.functions}
    loc = localize(module, baseline.expectations, baseline.results, views)
    if loc.blamed is None:
        return baseline
    names = [
        n for n in loc.scope if n not in own and n in called and _askable(module.functions[n])
    ][:MAX_FUNCTIONS]
    generated: list[Expectation] = []
    for name in names:
        generated.extend(_cases(run, module, module.functions[name], baseline.path, user))
    if not generated:
        return baseline
    spec = TraceSpec(
        blocks={q: module.functions[q].blocks for q in module.reachable(sorted(set(names)))}
    )
    results = controls.sandbox.run(Job(source=baseline.source, expectations=generated, trace=spec))
    kept = [(e, r) for e, r in zip(generated, results, strict=False) if _keep(r)]
    if not kept:
        return baseline
    expectations = baseline.expectations + tuple(e for e, _ in kept)
    all_results = baseline.results + tuple(r for _, r in kept)
    report.expectations = list(expectations)
    report.results = list(all_results)
    report.functions = list(function_reports(module, expectations, all_results).values())
    return replace(baseline, expectations=expectations, results=all_results)


def localize_judged(baseline: Baseline, functions: Sequence[FunctionReport]) -> Localization:
    """`localize`, with functions that only model expectations judge weighed below the user's."""
    user_judged = {e.function for e in baseline.expectations if e.origin.kind != "model"}
    called = _called_in_failing_runs(
        [
            r
            for e, r in zip(baseline.expectations, baseline.results, strict=False)
            if e.origin.kind != "model"
        ]
    )
    view: dict[str, FunctionReport] = {}
    for report in functions:
        if report.name in user_judged or report.status == "untested":
            view[report.name] = report
            continue
        copy = replace(report, failures=list(report.failures))
        if report.status == "pass" or report.name not in called:
            copy.status = "untested"  # the model's cases alone neither clear nor blame it
        view[report.name] = copy
    loc = localize(baseline.module, baseline.expectations, baseline.results, view)
    for report in functions:
        shown = view[report.name]
        if shown is not report and shown.blamed:
            report.blamed = True
            report.blame_reason = (
                f"`{report.name}` fails model-written expectations (run in the sandbox) "
                "and a failing run of yours calls it"
            )
    return loc


def _failing_run(
    baseline: Baseline, loc: Localization, function: str
) -> tuple[Expectation, ExpectationResult] | None:
    by_id = {e.id: e for e in baseline.expectations}
    runs = [*loc.failing, *(r for r in baseline.results if not r.passed)]
    for result in runs:
        exp = by_id.get(result.expectation_id)
        if exp is None or result.trace is None:
            continue
        if any(s.function == function for s in result.trace.snapshots):
            return exp, result
    return None


def _failure(exp: Expectation, result: ExpectationResult) -> tuple[str, str, str]:
    call = exp.call or exp.description
    return call, str(result.expected or exp.expected or "?"), str(result.actual or result.message)


def _target(baseline: Baseline, loc: Localization, entry: bool) -> str | None:
    if entry:
        for result in loc.failing:
            exp = next((e for e in baseline.expectations if e.id == result.expectation_id), None)
            if exp is not None and exp.function in baseline.module.functions:
                return exp.function
    return loc.blamed


def line_evidence(run: ModelRun, baseline: Baseline, loc: Localization) -> list[Evidence]:
    steps = run.steps
    name = _target(baseline, loc, steps.entry_trace)
    if name is None or name not in baseline.module.functions:
        return []
    func = baseline.module.functions[name]
    found = _failing_run(baseline, loc, name)
    if found is None or found[1].trace is None:
        return []
    exp, result = found
    trace = found[1].trace
    failure = _failure(exp, result)
    source = function_source(baseline.source, func)
    lines = set(loc.ochiai)
    evidence: list[Evidence] = []
    if steps.verdicts:
        verdicts = run.ask(
            "verdicts",
            lambda: ask_block_verdicts(run.client, func, source, trace, failure, cancel=run.cancel),
        )
        if verdicts:
            evidence.append(Evidence("model", VERDICT_WEIGHT, verdict_scores(verdicts, lines)))
            worded: list[str] = []
            for v in verdicts:
                span = f"lines {v.start_line}-{v.end_line}"
                worded.append(
                    f"block {v.block} ({span}): {'wrong' if v.wrong else 'correct'}"
                    + (f" — {v.reason}" if v.reason else "")
                )
                if v.wrong:
                    for line in range(v.start_line, v.end_line + 1):
                        run.line_reasons.setdefault(line, []).append(
                            f"model: {span} wrong" + (f" — {v.reason}" if v.reason else "")
                        )
            run.evidence_text = "Block verdicts:\n" + "\n".join(worded)
    if steps.simulate:
        call, expected, _ = failure
        simulation = run.ask(
            "simulate",
            lambda: simulate(run.client, func, source, call, expected, cancel=run.cancel),
        )
        divergence = first_divergence(simulation, trace.snapshots, func) if simulation else None
        if divergence is not None:
            diverged = range(divergence.start_line, divergence.end_line + 1)
            scores = {line: 1.0 if line in diverged else 0.0 for line in lines}
            evidence.append(Evidence("model", SIMULATION_WEIGHT, scores))
            for line in diverged:
                run.line_reasons.setdefault(line, []).append(divergence.describe())
    return evidence


def annotate(run: ModelRun, suspects: Sequence[Suspect]) -> None:
    for suspect in suspects:
        reasons = run.line_reasons.get(suspect.line)
        if reasons:
            suspect.model_reason = "; ".join(dict.fromkeys(reasons))


def simulate_instead(run: ModelRun, baseline: Baseline, report: Report) -> None:
    """The code could not run: what the model says the function should compute, simulated."""
    module = baseline.module
    for exp in baseline.expectations:
        func = module.functions.get(exp.function)
        expected = exp.expected if exp.expected is not None else (exp.want or "").strip()
        if func is None or not exp.call or not expected:
            continue
        source = function_source(baseline.source, func)
        call = exp.call.strip()
        simulation = run.ask(
            "simulate",
            lambda f=func, s=source, c=call, e=expected: simulate(  # type: ignore[misc]
                run.client, f, s, c, e, cancel=run.cancel
            ),
        )
        if simulation is None:
            return
        spans = {b.index: (b.start_line, b.end_line) for b in func.blocks}
        report.simulation = SimulatedRun(
            function=func.qualname,
            call=call,
            expected=expected,
            steps=[
                SimulatedBlock(s.block, *spans[s.block], dict(s.values)) for s in simulation.steps
            ],
            result=simulation.result,
        )
        report.messages.append(
            f"the code could not run here: `{call}` was simulated by the model instead "
            "(simulated values, never observed)"
        )
        return
