"""One debugging run: parse, find expectations, run and trace, localize, repair.

The single entry point the CLI and the language server call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from mgdebug.analysis.expectations import find_expectations, missing_expectation_hint
from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import Expectation, ModuleInfo

from .localize import Localization, function_reports, localize
from .mutation_localize import mutation_scores
from .options import DebugOptions
from .repair.context import CandidateContext
from .repair.hints import candidate_context
from .repair.search import candidate_wall_seconds, search_fixes
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
    module = analyze_module(source, path)
    report.syntax_errors = list(module.syntax_errors)
    if module.syntax_errors:
        report.messages.append(
            f"{len(module.syntax_errors)} syntax error(s); only code that parses was analysed"
        )
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
    with Sandbox(path, options.limits) as sandbox:
        spec = TraceSpec(
            blocks={q: module.functions[q].blocks for q in traced_functions(module, chosen)}
        )
        results = sandbox.run(Job(source=source, expectations=chosen, trace=spec))
        report.results = results
        reports = function_reports(module, chosen, results)
        report.functions = list(reports.values())
        _check(cancel)
        loc = localize(module, chosen, results, reports)
        # Constants and observed types feed both the mutants and the fix search.
        context = candidate_context(chosen, results)
        if options.mutation_seconds > 0 and loc.executed_lines():
            if progress:
                progress("ranking lines by mutation", 10)
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
        report.suspects = loc.suspects
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
    return report


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
