"""One debugging run: parse, find expectations, run and trace, localize, repair.

The single entry point the CLI and the language server call.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence

from mgdebug.analysis.expectations import find_expectations, missing_expectation_hint
from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import Expectation, ModuleInfo

from .could_not_run import describe_load_failure, load_failure
from .interpreter import resolve_interpreter
from .localize import Localization, agree_with_top_suspect, function_reports, localize
from .options import DebugOptions
from .repair.context import CandidateContext
from .repair.hints import candidate_context
from .report import Report, Suspect
from .results import CallRecord, ExpectationResult
from .sandbox import Job, Sandbox, TraceSpec

ProgressCallback = Callable[[str, int], None]  # (message, percent 0-100)


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
    judges = {n for n in (resolve_function(module, f) for f in functions) if n is not None}
    frontier = list(judges)
    while frontier:
        for caller in module.callers_of(frontier.pop()):
            if caller not in judges:
                judges.add(caller)
                frontier.append(caller)
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


def debug_source(
    source: str,
    path: str,
    options: DebugOptions | None = None,
    *,
    cancel: threading.Event | None = None,
    progress: ProgressCallback | None = None,
    expectations: Sequence[Expectation] | None = None,
    localized: Callable[[Report], None] | None = None,
) -> Report:
    """Debug `source` as if it were the file at `path` (which may be unsaved).

    `expectations`, when given, are used in addition to those found in the file
    and next to it (a benchmark's visible tests, or a test the user names).
    `localized` is called with the report once the suspects are known and
    before the fix search, so an editor can show them without waiting.
    """
    options = options or DebugOptions()
    started = time.monotonic()
    report = Report(path=path)
    # The project's Python (interpreter.py); a bad --python is a usage error, raised here.
    interpreter = resolve_interpreter(path, options.python)
    report.interpreter, report.interpreter_reason = interpreter.path, interpreter.chosen_by
    module = analyze_module(source, path)
    report.syntax_errors = list(module.syntax_errors)
    if module.syntax_errors:
        # The errors themselves are in `syntax_errors`: a note repeating them would
        # print each twice.
        report.messages.append("the file cannot be imported until it parses, so nothing ran")
    found = find_expectations(module, path, extra_test_files=list(options.extra_tests))
    found.extend(expectations or [])
    narrow = [options.function] if options.function else list(options.functions)
    for name in narrow:
        if resolve_function(module, name) is None:
            report.messages.append(f"no function named `{name}` in {path}")
    chosen = select_expectations(module, found, narrow)
    report.expectations = chosen
    reports = function_reports(module, chosen, [])
    report.functions = list(reports.values())
    if module.syntax_errors:
        # Code that does not parse cannot be imported, so nothing can run.
        report.seconds = time.monotonic() - started
        return report
    if not chosen:
        report.messages.extend(_hints(module, narrow))
        report.seconds = time.monotonic() - started
        return report
    _check(cancel)
    if progress:
        progress(f"running {len(chosen)} expectation(s)", 5)
    with Sandbox(path, options.limits, interpreter=interpreter) as sandbox:
        spec = TraceSpec(
            blocks={q: module.functions[q].blocks for q in traced_functions(module, chosen)}
        )
        results = sandbox.run(Job(source=source, expectations=chosen, trace=spec))
        report.results = results
        failed_load = load_failure(results)
        if failed_load is not None:
            _could_not_run(report, module, chosen, failed_load, source, path)
            report.seconds = time.monotonic() - started
            if progress:
                progress("could not run", 100)
            return report
        reports = function_reports(module, chosen, results)
        report.functions = list(reports.values())
        _check(cancel)
        loc = localize(module, chosen, results, reports)
        # Constants and observed types feed both the mutants and the fix search.
        context = candidate_context(chosen, results)
        if options.mutation_seconds > 0 and loc.executed_lines():
            if progress:
                progress("ranking lines by mutation", 10)
            # Imported here: the repair modules pull in libcst (over 0.1 s), which a
            # run whose expectations all pass never needs.
            from .mutation_localize import mutation_scores
            from .repair.search import candidate_wall_seconds

            evidence = mutation_scores(
                sandbox,
                source,
                module,
                chosen,
                results,
                loc.executed_lines(),
                context,
                seconds=options.mutation_seconds,
                wall_each=candidate_wall_seconds(results),
                cancel=cancel,
            )
            loc.rerank(evidence.scores)
            if evidence.cut_short:
                report.messages.append(
                    f"line ranking by mutation stopped after {evidence.mutants} mutants "
                    f"({evidence.seconds:.0f} s): the suspects may differ between runs"
                )
        report.suspects = loc.suspects
        agree_with_top_suspect(report.functions, report.suspects)
        report.failing_calls = _failing_calls(results)
        if not any(not r.passed for r in results):
            report.messages.append("every expectation passes: nothing to fix")
        elif not loc.suspects:
            report.messages.append("the failing runs executed no line of a function in this file")
        elif options.search_fixes:
            if localized is not None:
                localized(report)
            if progress:
                progress("searching for checked fixes", 20)
            _repair(
                report,
                sandbox,
                source,
                path,
                module,
                chosen,
                results,
                loc,
                context,
                options,
                cancel,
                progress,
            )
    report.seconds = time.monotonic() - started
    if progress:
        progress("done", 100)
    return report


def _could_not_run(
    report: Report,
    module: ModuleInfo,
    chosen: Sequence[Expectation],
    failure: ExpectationResult,
    source: str,
    path: str,
) -> None:
    """The module could not be imported: say why, blame nothing (see could_not_run.py)."""
    interpreter = report.interpreter or sys.executable
    report.could_not_run = describe_load_failure(failure, chosen, source, path, interpreter)
    reports = function_reports(module, chosen, [])
    judged = {e.function for e in chosen}
    for name in judged:
        if name in reports:
            reports[name].status = "not_run"
    report.functions = list(reports.values())
    line = report.could_not_run.line
    if not report.could_not_run.environment and line is not None:
        owner = next(
            (f.qualname for f in module.functions.values() if f.line <= line <= f.end_line),
            "<module>",
        )
        report.suspects = [
            Suspect(
                function=owner,
                line=line,
                score=1.0,
                reason=f"raised {report.could_not_run.error} when the module was imported, "
                "so no expectation could run",
            )
        ]


def _repair(
    report: Report,
    sandbox: Sandbox,
    source: str,
    path: str,
    module: ModuleInfo,
    expectations: Sequence[Expectation],
    results: Sequence[ExpectationResult],
    loc: Localization,
    context: CandidateContext,
    options: DebugOptions,
    cancel: threading.Event | None,
    progress: ProgressCallback | None,
) -> None:
    lines = [(s.line, s.score) for s in loc.suspects]
    from .repair.search import search_fixes  # lazily: see mutation_scores above

    outcome = search_fixes(
        sandbox,
        source,
        path,
        module,
        expectations,
        results,
        lines,
        context,
        seconds=options.search_seconds,
        max_candidates=options.max_candidates,
        max_fixes=options.max_fixes,
        cancel=cancel,
        progress=(lambda msg, pct: progress(msg, 20 + pct * 79 // 100)) if progress else None,
    )
    _check(cancel)
    report.fixes = outcome.fixes
    report.search = outcome.stats
    if outcome.stats.message:
        report.messages.append(outcome.stats.message)
    _promote_fixed_lines(report)
    agree_with_top_suspect(report.functions, report.suspects)


def _promote_fixed_lines(report: Report) -> None:
    """A line with a checked fix is the strongest evidence there is: rank it first."""
    fix_lines = [f.line for f in report.fixes]
    if not fix_lines:
        return

    def key(suspect: Suspect) -> int:
        return fix_lines.index(suspect.line) if suspect.line in fix_lines else len(fix_lines)

    report.suspects.sort(key=key)
    for suspect in report.suspects:
        if suspect.line in fix_lines:
            suspect.reason += "; a checked fix changes this line"


def _failing_calls(results: Sequence[ExpectationResult]) -> list[CallRecord]:
    for result in results:
        if not result.passed and result.trace is not None:
            return result.trace.calls[:50]
    return []


def _hints(module: ModuleInfo, narrow: Sequence[str]) -> list[str]:
    funcs = [
        f
        for f in module.functions.values()
        if not narrow or f.qualname in narrow or f.name in narrow
    ]
    if not funcs:
        return ["no functions to debug in this file"]
    return [f"`{f.qualname}` has no expectations: {missing_expectation_hint(f)}" for f in funcs]
