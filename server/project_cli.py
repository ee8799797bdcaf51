"""`mgdebug`, `mgdebug tests/`, `mgdebug tests/test_x.py::test_y`: project mode from a terminal.

The targets are resolved by debugger/project/target.py; a single module
(`mgdebug pkg/util.py`) stays the single-file run of cli.py, which asks
`module_tests` for the project's tests that reach it. Here: the options,
the run (debugger/project/run.py), `--fix` on the file the best fix is in
(with cli.py's safety: refused if that file changed since it was read), the
text report with `path:line`, and `--json` with `tests` and `project`.
Exit statuses are cli.py's; a selection in which pytest finds no test, or
that cannot run, is a usage error (2).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .source_file import InputError, SourceFile, write_fix

if TYPE_CHECKING:
    from mgdebug.debugger.options import DebugOptions
    from mgdebug.debugger.project.run import CoveringTests, ProjectReport
    from mgdebug.debugger.sandbox.interpreter import Interpreter

_NOT_IN_PROJECT_MODE = {
    "function": "--function works on one module: `mgdebug FILE --function NAME`",
    "test": "--test adds tests to one module's run; in project mode name the tests themselves",
    "sarif": "--sarif is for one module's run; use --json in project mode",
}


def project_parser() -> argparse.ArgumentParser:
    """cli.py's parser, taking any number of targets (none: the current folder's project)."""
    from .cli import build_parser

    parser = build_parser()
    for action in parser._actions:  # the positional `file`, made repeatable
        if action.dest == "file":
            action.nargs = "*"
            action.default = []
            action.help = (
                "a Python file, or tests: test files, folders, node ids (file.py::test); "
                "none: every test of the current folder's project"
            )
    return parser


def wants_project(argv: Sequence[str]) -> bool:
    """Whether these arguments name a project target rather than one module."""
    if any(a in ("-h", "--help", "--version", "--model-check") for a in argv):
        return False  # answered by cli.py, without importing the engine
    from mgdebug.debugger.project.target import TargetError, resolve_target

    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            args, _unknown = project_parser().parse_known_args(list(argv))
    except SystemExit:
        return False  # cli.py reports the usage error, once
    files: list[str] = list(args.file)
    if len(files) != 1:
        return True
    if "::" in files[0] or os.path.isdir(files[0]):
        return True
    if not os.path.isfile(files[0]):
        return False  # cli.py says "no such file"
    try:
        return resolve_target(files).module is None  # a test file
    except TargetError:
        return False


def module_tests(
    path: str, options: DebugOptions, interpreter: Interpreter
) -> CoveringTests | None:
    """`mgdebug pkg/util.py`: the project's tests that execute it, None to run as before."""
    from mgdebug.debugger.project.run import covering_tests

    return covering_tests(path, options, interpreter)


def _options(args: argparse.Namespace, root: str) -> DebugOptions:
    from mgdebug.debugger.options import DebugOptions, Limits

    from .model_cli import model_options

    return DebugOptions(
        search_fixes=not args.no_search,
        search_seconds=args.budget,
        max_candidates=args.max_candidates,
        python=args.python,
        model=model_options(args, root),
        limits=Limits(pass_env=tuple(args.pass_env), network=args.allow_network),
    )


def apply_best_fix(result: ProjectReport) -> str:
    """Write the best checked fix to its file; what was done, in words.

    Raises InputError when that file changed since it was read.
    """
    best = next((f for f in result.report.fixes if f.validated), None)
    if best is None:
        return "--fix: no checked fix, no file was changed"
    module = result.module(best.path)
    if module is None:
        return f"--fix: {best.path} was not read by this run, so it was not changed"
    write_fix(SourceFile(str(module.path), module.text, module.raw), best.source)
    sys.stderr.write(best.diff)
    return f"--fix: applied to {module.shown}: {best.summary}"


def _test_lines(result: ProjectReport) -> list[str]:
    counts: dict[str, int] = {}
    for test in result.tests:
        counts[test.outcome] = counts.get(test.outcome, 0) + 1
    summary = ", ".join(f"{n} {outcome.replace('_', ' ')}" for outcome, n in sorted(counts.items()))
    reused = len(result.tests) - result.tests_ran
    cached = f"; {reused} from the cache" if reused else ""
    lines = [f"tests ({result.target.describe()}): {summary or 'none'}{cached}"]
    for test in [t for t in result.tests if t.failing][:10]:
        where = f"{test.file}:{test.line}" if test.file else test.nodeid
        lines.append(f"  {test.outcome.upper()} {test.nodeid}  ({where})  {test.message}")
    return lines


def run(args: argparse.Namespace) -> int:
    from mgdebug.debugger.project.run import ProjectOptions, debug_project
    from mgdebug.debugger.project.target import TargetError, resolve_target
    from mgdebug.debugger.sandbox.interpreter import InterpreterError, resolve_interpreter

    from .cli import EXIT_USAGE, StderrProgress, exit_status

    for flag, why in _NOT_IN_PROJECT_MODE.items():
        if getattr(args, flag, None):
            raise InputError(why)
    try:
        target = resolve_target(list(args.file))
    except TargetError as exc:
        raise InputError(str(exc)) from exc
    options = _options(args, str(target.root / "conftest.py"))
    try:
        interpreter = resolve_interpreter(str(target.root / "conftest.py"), options.python)
    except InterpreterError as exc:
        raise InputError(str(exc)) from exc
    progress = StderrProgress()
    result = debug_project(
        target, ProjectOptions(debug=options), progress=progress, interpreter=interpreter
    )
    progress.finish()
    report = result.report
    if args.fix:
        report.messages.append(apply_best_fix(result))
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        from .text_report import render

        colour = sys.stdout.isatty() and not args.no_color and "NO_COLOR" not in os.environ
        text = render(report, "", colour=colour, sources=result.sources)
        head, _, rest = text.partition("\n")
        if report.interpreter:  # the interpreter line first, then the tests, then the rest
            sys.stdout.write(head + "\n")
            text = rest
        sys.stdout.write("\n".join(_test_lines(result)) + "\n" + text)
    if not result.tests:
        if args.json:  # the text report says it already
            sys.stderr.write(f"mgdebug: {report.messages[0] if report.messages else 'no tests'}\n")
        return EXIT_USAGE
    return exit_status(report)


def main(argv: Sequence[str]) -> int:
    """Project mode's `main`: the same error handling and statuses as cli.main."""
    from .cli import EXIT_USAGE, guarded

    parser = project_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else 0
    return guarded(lambda: run(args), "the project")
