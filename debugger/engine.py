"""One debugging run as a sequence of stages over one `Baseline` (baseline.py).

    analyse → run → localize → (propose → check)… → report

`analyse` parses the file and chooses the expectations; `run` runs them
traced in the sandbox; `locate` blames a function and ranks its lines, with
the mutation pass as weighted evidence (`Localization.rerank`); `repair`
hands the proposers' candidates to `check_candidates`, the one place a
candidate becomes a checked fix. Each stage writes its part of the `Report`.
`debug_source` is the single entry point the CLI and the language server call.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from mgdebug.analysis.expectations import find_expectations, missing_expectation_hint
from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import Expectation, ModuleInfo

from .baseline import Baseline, Controls, ProgressCallback
from .could_not_run import describe_load_failure, load_failure
from .localize.blame import (
    Evidence,
    Localization,
    agree_with_top_suspect,
    function_reports,
    localize,
)
from .localize.plain_words import describe_suspects, note_checked_fixes
from .options import DebugOptions
from .repair.hints import candidate_context
from .report import Report, Suspect
from .results import CallRecord, ExpectationResult
from .sandbox.backend import CheckBackend
from .sandbox.interpreter import Interpreter, resolve_interpreter
from .sandbox.pool import Job, Sandbox, TraceSpec

if TYPE_CHECKING:
    # Only for annotations: the model layer (and openai) is imported when a model is configured.
    from .llm.pipeline import ModelRun

__all__ = ["Cancelled", "DebugRequest", "Engine", "ProgressCallback", "debug", "debug_source"]


class Cancelled(Exception):
    """The caller cancelled the run (a newer edit, or the user)."""


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def select_expectations(
    module: ModuleInfo, expectations: Sequence[Expectation], functions: Sequence[str]
) -> list[Expectation]:
    """The expectations that judge `functions`: their own and those of their callers."""
    if not functions:
        return list(expectations)
    named = {n for n in (resolve_function(module, f) for f in functions) if n is not None}
    judges = module.callers_closure(named)
    return [e for e in expectations if e.function in judges]


def traced_functions(module: ModuleInfo, expectations: Sequence[Expectation]) -> list[str]:
    """The functions the expectations can reach: those under test and their callees.

    An expectation that names no function (a pytest test calling several, a
    main-block statement) may reach any of them.
    """
    if any(not e.function for e in expectations):
        return list(module.functions)
    return module.reachable([e.function for e in expectations])


def resolve_function(module: ModuleInfo, function: str) -> str | None:
    if function in module.functions:
        return function
    matches = [q for q, f in module.functions.items() if f.name == function]
    return matches[0] if len(matches) == 1 else None


@dataclass(frozen=True)
class DebugRequest:
    """What the caller asks: debug `source` as if it were the file at `path` (maybe unsaved).

    `expectations`, when given, are used in addition to those found in the file
    and next to it (a benchmark's visible tests). `localized` is called with the
    report once the suspects are known and before the fix search, so an editor
    can show them without waiting.
    """

    source: str
    path: str
    options: DebugOptions = field(default_factory=DebugOptions)
    expectations: Sequence[Expectation] = ()
    cancel: threading.Event | None = None
    progress: ProgressCallback | None = None
    localized: Callable[[Report], None] | None = None
    # A sandbox the caller started early (the CLI, to overlap the worker's start
    # with its own imports); the caller closes it. None: the run makes its own.
    sandbox: CheckBackend | None = None

    def report_progress(self, message: str, percent: int) -> None:
        if self.progress is not None:
            self.progress(message, percent)


class Engine(Protocol):
    """What front ends call: `debug_source`'s signature (a scripted engine in tests too)."""

    def __call__(
        self,
        source: str,
        path: str,
        options: DebugOptions | None = None,
        *,
        cancel: threading.Event | None = None,
        progress: ProgressCallback | None = None,
        localized: Callable[[Report], None] | None = None,
    ) -> Report: ...


def debug_source(
    source: str,
    path: str,
    options: DebugOptions | None = None,
    *,
    cancel: threading.Event | None = None,
    progress: ProgressCallback | None = None,
    localized: Callable[[Report], None] | None = None,
) -> Report:
    """Debug `source` as if it were the file at `path` (see `DebugRequest`)."""
    request = DebugRequest(source, path, options or DebugOptions(), (), cancel, progress, localized)
    return debug(request)


def debug(request: DebugRequest) -> Report:
    """The stages in order; each returns None when the run ends with it."""
    started = time.monotonic()
    report = Report(path=request.path)
    # The project's Python (interpreter.py); a bad --python is a usage error, raised here.
    interpreter = resolve_interpreter(request.path, request.options.python)
    report.interpreter, report.interpreter_reason = interpreter.path, interpreter.chosen_by
    report.interpreter_version = interpreter.version
    model = _open_model(request)
    try:
        baseline = _stages(request, report, interpreter, model)
    finally:
        if model is not None:
            model.finish(report)
    report.seconds = time.monotonic() - started
    if baseline is not None and report.could_not_run is None:
        request.report_progress("done", 100)
    return report


def _stages(
    request: DebugRequest, report: Report, interpreter: Interpreter, model: ModelRun | None
) -> Baseline | None:
    with _sandbox(request, interpreter) as sandbox:
        # The worker's interpreter starts (~0.2 s) while the file is analysed;
        # a file with nothing to run costs one process start, stopped at once.
        sandbox.start()
        report.isolation = sandbox.isolation()
        if model is not None and report.isolation.get("level") != "kernel":
            report.messages.append(
                "model-written code runs here behind the audit hook and rlimits only: this "
                "kernel has no Landlock, so review model fixes as you would any patch"
            )
        baseline = analyse(request, report, model)
        if baseline is None:
            return None
        _check(request.cancel)
        request.report_progress(f"running {len(baseline.expectations)} expectation(s)", 5)
        controls = Controls(sandbox, request.cancel, request.progress)
        ran = run(baseline, controls, report)
        if ran is None:
            if model is not None and report.could_not_run and report.could_not_run.environment:
                model.simulate_instead(baseline, report)
            return baseline
        _check(request.cancel)
        # Model-written expectations judge blame and rank fixes; only the user's are
        # required of a fix (`ran`), so a model's guess can never reject a right one.
        judged = ran if model is None else model.judge_untested(ran, controls, report)
        _check(request.cancel)
        loc = locate(judged, controls, report, model)
        _check(request.cancel)
        if _worth_repairing(ran, loc, report):
            repair(ran, controls, loc, request, report)
            if model is not None:
                _check(request.cancel)
                controls.report("asking the model for a fix", 80)
                model.repair(ran, judged, controls.within(80, 15), loc, report)
                _promote_fixed_lines(report)
                agree_with_top_suspect(report.functions, report.suspects)
        if model is not None:
            _check(request.cancel)
            model.explain(judged, report)
        _check(request.cancel)
    return baseline


def _open_model(request: DebugRequest) -> ModelRun | None:
    """The model half of the run; None offline (the llm modules are not even imported)."""
    if request.options.model.config is None:
        return None
    from .llm.pipeline import open_model_run

    return open_model_run(request.options.model, request.cancel)


def _sandbox(
    request: DebugRequest, interpreter: Interpreter
) -> contextlib.AbstractContextManager[CheckBackend]:
    if request.sandbox is not None:
        return contextlib.nullcontext(request.sandbox)
    return Sandbox(request.path, request.options.limits, interpreter=interpreter)


def analyse(
    request: DebugRequest, report: Report, model: ModelRun | None = None
) -> Baseline | None:
    """Parse the file and choose the expectations; None when nothing can run."""
    source, path, options = request.source, request.path, request.options
    module = analyze_module(source, path)
    report.syntax_errors = list(module.syntax_errors)
    if module.syntax_errors:
        # The errors themselves are in `syntax_errors`: a note repeating them would
        # print each twice.
        report.messages.append("the file cannot be imported until it parses, so nothing ran")
    found = find_expectations(module, path, extra_test_files=list(options.extra_tests))
    found.extend(request.expectations)
    narrow = [options.function] if options.function else list(options.functions)
    for name in narrow:
        if resolve_function(module, name) is None:
            report.messages.append(f"no function named `{name}` in {path}")
    chosen = select_expectations(module, found, narrow)
    report.expectations = chosen
    report.functions = list(function_reports(module, chosen, []).values())
    if module.syntax_errors:
        return None  # code that does not parse cannot be imported, so nothing can run
    if not chosen and model is not None:
        chosen = model.cases_for_file(module, path, narrow)
        if chosen:
            report.expectations = chosen
            report.functions = list(function_reports(module, chosen, []).values())
            report.messages.append(
                f"the file has no expectations: {len(chosen)} model-written case(s) judge it "
                "(origin `model`; add your own to be sure)"
            )
    if not chosen:
        report.messages.extend(_hints(module, narrow, path))
        return None
    return Baseline(source, path, module, options, tuple(chosen))


def run(baseline: Baseline, controls: Controls, report: Report) -> Baseline | None:
    """Run the expectations traced; the baseline with their results, None if it could not run."""
    module, chosen = baseline.module, baseline.expectations
    spec = TraceSpec(
        blocks={q: module.functions[q].blocks for q in traced_functions(module, chosen)}
    )
    results = controls.sandbox.run(Job(source=baseline.source, expectations=chosen, trace=spec))
    results = _untraced_verdicts(baseline, controls, results, report)
    report.results = results
    failed_load = load_failure(results)
    if failed_load is not None:
        _could_not_run(report, baseline, failed_load)
        controls.report("could not run", 100)
        return None
    report.functions = list(function_reports(module, chosen, results).values())
    # Constants and observed types feed both the mutants and the fix search.
    return replace(baseline, results=tuple(results), context=candidate_context(chosen, results))


def _untraced_verdicts(
    baseline: Baseline,
    controls: Controls,
    results: list[ExpectationResult],
    report: Report,
) -> list[ExpectationResult]:
    """Verdicts for the expectations that ran out of time only because they were traced.

    Tracing costs 5-30x on call-heavy code, so a module with hundreds of
    doctests can exhaust the wall budget traced while `doctest` itself runs
    them in a second. A timeout the tracer caused is not the code's verdict:
    those expectations run again untraced, and their result stands (without
    values: nothing was recorded for them). One that times out untraced too
    is a real timeout.
    """
    late = [i for i, r in enumerate(results) if r.status == "timeout"]
    if not late:
        return results
    again = [baseline.expectations[i] for i in late]
    # Untraced code runs 5-30x faster, so a quarter of the budget tells a tracer
    # timeout from a real one; a real infinite loop costs that quarter, not twice.
    wall = max(1.0, baseline.options.limits.wall_seconds / 4)
    job = Job(source=baseline.source, expectations=again, trace=None, wall_seconds=wall)
    untraced = controls.sandbox.run(job)
    merged = list(results)
    settled = 0
    for index, result in zip(late, untraced, strict=True):
        if result.status in ("pass", "fail", "error", "skip"):
            merged[index] = replace(result, trace=merged[index].trace)
            settled += 1
    if settled:
        report.messages.append(
            f"{settled} expectation(s) ran out of time under the tracer; their verdicts "
            "come from a run without it (no values were recorded for them)"
        )
    return merged


def locate(
    baseline: Baseline, controls: Controls, report: Report, model: ModelRun | None = None
) -> Localization:
    """Blame a function and rank its lines: the spectrum, then mutation and model evidence."""
    reports = {f.name: f for f in report.functions}
    if model is None:
        loc = localize(baseline.module, baseline.expectations, baseline.results, reports)
    else:
        loc = model.localize(baseline, report)
    evidence: list[Evidence] = []
    if baseline.options.mutation_seconds > 0 and loc.executed_lines():
        controls.report("ranking lines by mutation", 10)
        # Imported here: the repair modules pull in libcst (over 0.1 s), which a
        # run whose expectations all pass never needs.
        from .localize.mutation import mutation_scores

        mutation = mutation_scores(baseline, controls, loc.executed_lines())
        evidence.append(mutation.evidence())
        if mutation.cut_short:
            report.messages.append(
                f"line ranking by mutation stopped after {mutation.mutants} mutants "
                f"({mutation.seconds:.0f} s): the suspects may differ between runs"
            )
    if model is not None and loc.suspects:
        controls.report("asking the model about the failing run", 15)
        evidence.extend(model.line_evidence(baseline, loc))
    if evidence:
        loc.rerank(evidence)
    if model is not None:
        model.annotate(loc.suspects)
    report.suspects = loc.suspects
    agree_with_top_suspect(report.functions, report.suspects)
    report.failing_calls = _failing_calls(baseline.results)
    mutated = next((e.scores for e in evidence if e.source == "mutation"), None)
    describe_suspects(report, baseline.source, mutated)
    return loc


def _worth_repairing(baseline: Baseline, loc: Localization, report: Report) -> bool:
    """Whether a fix search can help; if not, the note that says why."""
    if not baseline.failing:
        skipped = sum(1 for r in baseline.results if r.skipped)
        if skipped == len(baseline.results):
            report.messages.append(f"no expectation ran: all {skipped} were skipped")
        elif skipped:
            report.messages.append(
                f"every expectation that ran passes ({skipped} skipped): nothing to fix"
            )
        else:
            report.messages.append("every expectation passes: nothing to fix")
        return False
    if not loc.suspects:
        report.messages.append("the failing runs executed no line of a function in this file")
        return False
    return baseline.options.search_fixes


def repair(
    baseline: Baseline,
    controls: Controls,
    loc: Localization,
    request: DebugRequest,
    report: Report,
) -> None:
    """Propose candidates at the suspects and keep those `check_candidates` proves."""
    if request.localized is not None:
        request.localized(report)
    controls.report("searching for checked fixes", 20)
    from .repair.search import search_fixes  # lazily: see mutation_scores above

    lines = [(s.line, s.score) for s in loc.suspects]
    outcome = search_fixes(baseline, controls.within(20, 79), lines)
    _check(request.cancel)
    report.fixes = outcome.fixes
    report.search = outcome.stats
    if outcome.stats.message:
        report.messages.append(outcome.stats.message)
    _promote_fixed_lines(report)
    agree_with_top_suspect(report.functions, report.suspects)


def _could_not_run(report: Report, baseline: Baseline, failure: ExpectationResult) -> None:
    """The module could not be imported: say why, blame nothing (see could_not_run.py)."""
    module, chosen = baseline.module, baseline.expectations
    interpreter = report.interpreter or sys.executable
    report.could_not_run = describe_load_failure(
        failure, chosen, baseline.source, baseline.path, interpreter
    )
    reports = function_reports(module, chosen, [])
    judged = {e.function for e in chosen}
    for name in judged:
        if name in reports:
            reports[name].status = "not_run"
    report.functions = list(reports.values())
    line = report.could_not_run.line
    if not report.could_not_run.environment and line is not None:
        func = module.function_at(line)
        owner = func.qualname if func is not None else "<module>"
        report.suspects = [
            Suspect(
                function=owner,
                line=line,
                score=1.0,
                reason=f"raised {report.could_not_run.error} when the module was imported, "
                "so no expectation could run",
            )
        ]


def _promote_fixed_lines(report: Report) -> None:
    """A line with a checked fix is the strongest evidence there is: rank it first."""
    fix_lines = [f.line for f in report.fixes]
    if not fix_lines:
        return

    def key(suspect: Suspect) -> int:
        return fix_lines.index(suspect.line) if suspect.line in fix_lines else len(fix_lines)

    report.suspects.sort(key=key)
    for suspect in report.suspects:
        if suspect.line in fix_lines and "a checked fix changes this line" not in suspect.reason:
            suspect.reason += "; a checked fix changes this line"
    note_checked_fixes(report)


def _failing_calls(results: Sequence[ExpectationResult]) -> list[CallRecord]:
    for result in results:
        if not result.passed and result.trace is not None:
            return result.trace.calls[:50]
    return []


def _hints(module: ModuleInfo, narrow: Sequence[str], path: str) -> list[str]:
    funcs = [
        f
        for f in module.functions.values()
        if not narrow or f.qualname in narrow or f.name in narrow
    ]
    from .project.target import is_test_file  # only when nothing ran: not on the hot path

    if is_test_file(Path(path)):
        # A docstring example for `test_total` is advice for the code it tests, not for it.
        funcs = [f for f in funcs if not f.name.startswith("test")]
        if not funcs:
            return [
                "a pytest file: its tests judge the code they import — debug that module, "
                "the project (`mgdebug` with no file) or one test (`mgdebug FILE::TEST`)"
            ]
    if not funcs:
        return ["no functions to debug in this file"]
    return [f"`{f.qualname}` has no expectations: {missing_expectation_hint(f)}" for f in funcs]
