"""Project mode's engine: from the failing tests to the module, line and checked fix.

    collect_tests (once, cached) → rank_modules (Ochiai) → for the best modules:
        debug(module, expectations = its failing tests, then the passing tests that cover it)
    → one merged Report, every suspect and fix naming its file

Each module is debugged by the single-file engine (engine.py) with the
project's tests as its expectations, so every candidate fix is checked first
against the failing tests, then against the passing tests that execute that
module: a fix that breaks another test is not a fix. Modules are tried best
first, at most `max_modules`, and the search stops at the first module with a
checked fix that makes every failing test pass.

The API front ends call (the CLI: server/project_cli.py; the language server):

    target = resolve_target(["tests/"], cwd=folder)     # target.py; also [] or ["f.py::test"]
    result = debug_project(target, ProjectOptions(...), cancel=event, progress=callback)
    result.report            # the merged Report: suspects[].path, fixes[].path
    result.modules           # per debugged module: absolute `path`, `shown`, `text` and `raw`
                             # as read (fix edits apply to them), and its own Report
    result.module(fix.path)  # the ModuleRun a suspect's or fix's `path` names
    result.tests             # per test: nodeid, outcome, message, file, line, covered lines
    result.ranking           # the modules the failing tests reach, most suspicious first
    result.to_json()         # `mgdebug --json` in project mode
    covering_tests(path, options, interpreter)  # `mgdebug pkg/util.py`: the tests reaching it

`Suspect.path` and `Fix.path` are shown paths (relative to the current folder
when under it, else absolute); `ModuleRun.path` is always absolute. `cancel`
is checked before each module and inside each module's run; the one pytest
run of the selection is bounded by `ProjectOptions.test_seconds`, not cancelled.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mgdebug.analysis.model import Expectation

from ..baseline import ProgressCallback
from ..options import DebugOptions
from ..report import Report, SearchStats, shown_path
from ..results import ExpectationResult, RunStatus
from ..sandbox.interpreter import Interpreter, resolve_interpreter
from .cache import SuiteRun, collect_tests
from .collect import DEFAULT_SECONDS, TestRun
from .spectrum import ModuleScore, rank_modules
from .target import Target, project_of, tests_that_may_reach

__all__ = [
    "CoveringTests",
    "ModuleRun",
    "ProjectOptions",
    "ProjectReport",
    "covering_tests",
    "debug_project",
]

_STATUS: dict[str, RunStatus] = {
    "passed": "pass",
    "failed": "fail",
    "error": "error",
    "skipped": "skip",
    "timeout": "timeout",
    "not_run": "skip",
}


@dataclass
class ProjectOptions:
    """Project mode's settings; `debug` is what each module's run gets (budgets, limits, Python)."""

    debug: DebugOptions = field(default_factory=DebugOptions)
    max_modules: int = 3  # candidate modules debugged, best first
    test_seconds: float = DEFAULT_SECONDS  # the one pytest run of the selection
    use_cache: bool = True


@dataclass
class ModuleRun:
    """One module the engine debugged: the file as read (fixes apply to it) and its report."""

    path: Path  # absolute
    shown: str  # relative to the current folder when under it
    text: str  # the source as read: `Fix.source` replaces it, `Fix.edits` apply to it
    raw: bytes  # the bytes as read, so a writer can refuse if the file changed since
    score: ModuleScore | None
    report: Report

    @property
    def fixed(self) -> bool:
        return any(f.validated for f in self.report.fixes)


@dataclass
class ProjectReport:
    """Everything project mode found: the merged report, per-module runs and the tests."""

    target: Target
    report: Report
    tests: list[TestRun]
    ranking: list[ModuleScore]
    modules: list[ModuleRun]
    tests_ran: int = 0  # tests that ran this time (the others' results came from the cache)

    @property
    def sources(self) -> dict[str, str]:
        """Shown path -> source as read, for renderers that quote suspect lines."""
        return {m.shown: m.text for m in self.modules}

    def module(self, shown_or_absolute: str) -> ModuleRun | None:
        """The debugged module a suspect's or fix's `path` names."""
        for run in self.modules:
            if shown_or_absolute in (run.shown, str(run.path)):
                return run
        return None

    def to_json(self) -> dict[str, Any]:
        """The Report's JSON plus `tests` and `project` (root, selection, ranked modules)."""
        data = self.report.to_json()
        data["tests"] = [t.to_json() for t in self.tests]
        debugged = {m.score.path for m in self.modules if m.score is not None}
        data["project"] = {
            "root": str(self.target.root),
            "selection": self.target.describe(),
            "tests_ran": self.tests_ran,
            "tests_reused": len(self.tests) - self.tests_ran,
            "modules": [
                {
                    "path": shown_path(str(self.target.root / m.path)),
                    "score": m.score,
                    "line": m.line,
                    "failing_tests": m.failing,
                    "passing_tests": m.passing,
                    "debugged": m.path in debugged,
                }
                for m in self.ranking
            ],
        }
        return data


def _words(paths: Sequence[str]) -> str:
    return paths[0] if len(paths) == 1 else ", ".join(paths[:-1]) + " and " + paths[-1]


def _static_ids(path: Path, text: str) -> set[tuple[str, str]]:
    """(test file, test name) of the pytest tests the engine finds by itself for `path`."""
    from mgdebug.analysis.expectations import find_expectations
    from mgdebug.analysis.functions import analyze_module

    found = find_expectations(analyze_module(text, str(path)), str(path))
    return {
        (os.path.realpath(e.test_file or ""), (e.nodeid or "").split("::", 1)[-1])
        for e in found
        if e.kind == "pytest"
    }


def _expectations(
    root: Path, module: str, tests: Sequence[TestRun], static: set[tuple[str, str]]
) -> list[Expectation]:
    """The failing tests that reach `module`, then the passing ones that cover it."""
    failing = [t for t in tests if t.failing and t.reaches(module) and "::" in t.nodeid]
    passing = [t for t in tests if t.outcome == "passed" and t.reaches(module)]
    out = []
    for test in [*failing, *passing]:
        exp = test.expectation(root)
        if (os.path.realpath(exp.test_file or ""), test.name) not in static:
            out.append(exp)
    return out


@dataclass(frozen=True)
class _ModuleRunner:
    """What every module's run shares: the project copied, its interpreter, the cancel flag."""

    root: Path
    interpreter: Interpreter
    cancel: threading.Event | None

    def debug(
        self,
        path: Path,
        expectations: Sequence[Expectation],
        options: DebugOptions,
        progress: ProgressCallback | None,
    ) -> tuple[str, bytes, Report]:
        from ..engine import DebugRequest, debug
        from ..sandbox.pool import Sandbox

        raw = path.read_bytes()
        text = raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
        limits, root = options.limits, str(self.root)
        with Sandbox(str(path), limits, interpreter=self.interpreter, root=root) as box:
            request = DebugRequest(
                text, str(path), options, expectations, self.cancel, progress, None, sandbox=box
            )
            report = debug(request)
        return text, raw, report


def _scaled(progress: ProgressCallback | None, start: int, span: int) -> ProgressCallback | None:
    if progress is None:
        return None
    outer = progress

    def scaled(message: str, percent: int) -> None:
        outer(message, start + percent * span // 100)

    return scaled


def debug_project(
    target: Target,
    options: ProjectOptions | None = None,
    *,
    cancel: threading.Event | None = None,
    progress: ProgressCallback | None = None,
    interpreter: Interpreter | None = None,
) -> ProjectReport:
    """Run the target's tests, then debug the modules their failures point at (best first)."""
    from ..engine import Cancelled

    started = time.monotonic()
    options = options or ProjectOptions()
    root = target.root
    python = interpreter or resolve_interpreter(str(root / "conftest.py"), options.debug.python)
    if progress is not None:
        progress(f"running {target.describe()}", 2)
    suite = collect_tests(
        target,
        python,
        options.debug.limits,
        seconds=options.test_seconds,
        use_cache=options.use_cache,
    )
    report = Report(path=str(root))
    report.interpreter, report.interpreter_reason = python.path, python.chosen_by
    report.interpreter_version = python.version
    tests = suite.tests
    report.expectations = [t.expectation(root) for t in tests]
    report.results = [
        ExpectationResult(f"pytest:{t.nodeid}", _STATUS[t.outcome], message=t.message)
        for t in tests
    ]
    result = ProjectReport(target, report, tests, [], [], suite.ran)
    if suite.stopped == "time":
        left = sum(1 for t in tests if t.outcome in ("not_run", "timeout"))
        report.messages.append(
            f"the test run stopped after {options.test_seconds:g} s: {left} test(s) did not "
            "finish, so they are neither passes nor failures here"
        )
    if suite.problem or not tests:
        report.messages.append(_no_tests(target, suite))
        report.seconds = time.monotonic() - started
        return result
    failing = [t for t in tests if t.failing]
    # The selection's failures, against every passing test known (the cache's too).
    evidence = [*tests, *[t for t in suite.context if t.outcome == "passed"]]
    result.ranking = ranking = rank_modules(evidence)
    if not failing:
        skipped = sum(1 for t in tests if t.outcome in ("skipped", "not_run"))
        note = f" ({skipped} skipped or not run)" if skipped else ""
        report.messages.append(
            f"all {len(tests) - skipped} tests that ran pass{note}: nothing to fix"
        )
        report.seconds = time.monotonic() - started
        return result
    candidates = ranking[: max(1, options.max_modules)]
    if not options.debug.search_fixes:
        # Localizing only: no checked fix can tell the modules apart, so the spectrum
        # decides, and only the modules tied for its top score are debugged.
        candidates = [m for m in candidates if m.score == candidates[0].score]
    runner = _ModuleRunner(root, python, cancel)
    for index, score in enumerate(candidates):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        path = root / score.path
        exps = _expectations(
            root, score.path, evidence, _static_ids(path, path.read_text("utf-8", "replace"))
        )
        span = 90 // len(candidates)
        scaled = _scaled(progress, 8 + index * span, span)
        if scaled is not None:
            scaled(f"debugging {score.path}", 0)
        text, raw, module_report = runner.debug(path, exps, options.debug, scaled)
        shown = shown_path(str(path))
        result.modules.append(ModuleRun(path, shown, text, raw, score, module_report))
        reached = sum(1 for t in failing if t.reaches(score.path))
        if (
            module_report.fixes
            and any(f.validated for f in module_report.fixes)
            and reached == len(failing)
        ):
            break
    _merge(result, failing)
    report.seconds = time.monotonic() - started
    return result


def _no_tests(target: Target, suite: SuiteRun) -> str:
    if suite.problem:
        return f"the tests could not run: {suite.problem}"
    said = suite.said.strip().splitlines()
    last = f" (pytest: {said[-1].strip('= ')})" if said else ""
    return f"pytest found no tests in {target.describe()} under {target.root}{last}"


def _merge(result: ProjectReport, failing: Sequence[TestRun]) -> None:
    """One report: modules with a checked fix first, then in the spectrum's order."""
    report = result.report
    runs = sorted(result.modules, key=lambda m: not m.fixed)  # stable: spectrum order kept
    for rank, run in enumerate(runs):
        module = run.report
        report.suspects.extend(replace(s, path=run.shown) for s in module.suspects)
        report.fixes.extend(replace(f, path=run.shown) for f in module.fixes)
        # Each module's run blames the lowest function of its own that the failing tests
        # reach; across modules the first one's blame stands (a checked fix, else the
        # spectrum), and a helper elsewhere is not blamed for what its callers gave it.
        report.functions.extend(
            replace(
                f,
                # The module's tests name no function of it: they are the project's tests
                # that reach it, and their line is in a test file, not in this module.
                name=f"{run.shown}::{f.name}" if f.name else f"tests reaching {run.shown}",
                line=f.line if f.name else 0,
                end_line=f.end_line if f.name else 0,
                blamed=f.blamed and rank == 0,
                blame_reason=f.blame_reason if rank == 0 else "",
            )
            for f in module.functions
        )
        report.messages.extend(f"{run.shown}: {m}" for m in module.messages)
        if not report.failing_calls:
            report.failing_calls = module.failing_calls
        if module.isolation and not report.isolation:
            report.isolation = module.isolation
        report.could_not_run = report.could_not_run or module.could_not_run
    searched = [r.report.search for r in runs if r.report.search is not None]
    if searched:
        report.search = _first_search(searched, runs)
    report.messages.insert(0, _summary(result, failing, runs))


def _first_search(searched: list[SearchStats], runs: list[ModuleRun]) -> SearchStats:
    """The stats of the search that found the first fix (else of all, added up)."""
    for run in runs:
        if run.fixed and run.report.search is not None:
            return run.report.search
    total = SearchStats()
    for stats in searched:
        total.candidates_tried += stats.candidates_tried
        total.seconds += stats.seconds
        total.budget_exhausted = total.budget_exhausted or stats.budget_exhausted
        total.stopped_by = total.stopped_by or stats.stopped_by
    return total


def _summary(result: ProjectReport, failing: Sequence[TestRun], runs: Sequence[ModuleRun]) -> str:
    """ "3 of 40 tests fail; they reach a.py and b.py; the bug is most likely in b.py" """
    tests = result.tests
    counted = [t for t in tests if t.outcome not in ("skipped", "not_run")]
    head = f"{len(failing)} of {len(counted)} tests fail"
    reached = [shown_path(str(result.target.root / m.path)) for m in result.ranking]
    if not reached:
        return head + (
            "; they run none of the project's own modules, so the problem is in the tests "
            "or their fixtures"
        )
    more = f" and {len(reached) - 5} more" if len(reached) > 5 else ""
    head += f"; they reach {_words(reached[:5])}{more}"
    if runs and runs[0].fixed:
        where = runs[0].shown
        return head + f"; the bug is most likely in {where} (a checked fix there passes the tests)"
    return head + f"; the bug is most likely in {reached[0]} (from the lines the failing tests run)"


# -- `mgdebug pkg/util.py`: today's run, plus the project's tests that reach it --------


@dataclass
class CoveringTests:
    """The project's tests that execute one module, as expectations for the engine."""

    root: Path
    expectations: list[Expectation]
    tests: list[TestRun]
    ran: int

    @property
    def note(self) -> str:
        """The report's note saying where these expectations came from."""
        failing = sum(1 for t in self.tests if t.failing)
        return (
            f"{len(self.tests)} of the project's tests execute this module ({failing} failing): "
            "they judge it too, run by pytest from the project root"
        )


def _beyond_direct(path: Path, target: Target) -> list[str] | None:
    """The project's test files that may reach `path`, root-relative; None when the engine
    already reads every one of them for it (today's discovery), or none can reach it."""
    from mgdebug.analysis.pytest_discovery import pytest_files_for

    reaching = tests_that_may_reach(path, target)
    if not reaching:
        return None
    direct = {p.resolve() for p in pytest_files_for(str(path))}

    def read_by_engine(test: Path) -> bool:
        text = test.read_text(encoding="utf-8", errors="replace")
        return (
            test.resolve() in direct and re.search(rf"\b{re.escape(path.stem)}\b", text) is not None
        )

    if all(read_by_engine(t) for t in reaching):
        return None  # each imports the module and sits where the engine looks already
    return [t.relative_to(target.root).as_posix() for t in reaching]


def covering_tests(
    path: str, options: DebugOptions, interpreter: Interpreter, *, use_cache: bool = True
) -> CoveringTests | None:
    """The tests of `path`'s project that execute it (failing first), None if there are none.

    None too when the file is in no project, or every test file of the project
    is already one the engine reads for it: nothing runs then, and `mgdebug
    FILE` behaves exactly as before project mode.
    """
    module = Path(os.path.abspath(path)).resolve()
    root = project_of(module)
    if root is None:
        return None
    from .target import resolve_target

    target = resolve_target([str(module)], cwd=root)
    files = _beyond_direct(module, target) if target.module is not None else None
    if files is None:
        return None
    selection = replace(target, args=tuple(files))
    suite = collect_tests(selection, interpreter, options.limits, use_cache=use_cache)
    relative = module.relative_to(target.root).as_posix()
    static = _static_ids(module, module.read_text("utf-8", "replace"))
    exps = _expectations(target.root, relative, suite.tests, static)
    if not exps:
        return None
    reaching = [t for t in suite.tests if t.reaches(relative)]
    return CoveringTests(target.root, exps, reaching, suite.ran)
