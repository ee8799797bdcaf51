"""`mgdebug FILE`: debug a Python file from a terminal or CI; `mgdebug lsp`: the language server."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .model_cli import add_model_arguments, model_check, model_options
from .source_file import InputError, SourceFile, read_source, write_fix

# The engine (tree-sitter, the analysis, the sandbox) is imported by `run` only:
# `--help`, `--version` and usage errors answer at once without it.
if TYPE_CHECKING:
    from mgdebug.analysis.model import ModuleInfo
    from mgdebug.debugger.report import Report

EXIT_PASS = 0
EXIT_FIXED = 1
EXIT_USAGE = 2
EXIT_UNFIXED = 3
EXIT_INTERNAL = 4

EPILOG = f"""\
exit status:
  {EXIT_PASS}  every expectation passes (or the file has none: the report says how to add one)
  {EXIT_FIXED}  a failure was found and a checked fix is shown (applied with --fix)
  {EXIT_USAGE}  usage or input error: bad arguments, --function naming no function of the
     file, missing, binary or non-UTF-8 file, syntax error (the message says which);
     or the file could not be imported for a reason outside it ("could not run
     `f`: ..." says what to do): a missing dependency, input() or sys.exit() at
     import time, another module that raised while imported, syntax too new for
     the interpreter used. Nothing is blamed then. (An error raised by the file's
     own top-level code is a bug in the file: 3, with its line.) A model setting
     that cannot work (a remote --model-url with no key, a URL with no --model,
     a --model-path that is no file) is a usage error too.
  {EXIT_UNFIXED}  a failure was found and no checked fix was found
  {EXIT_INTERNAL}  internal error in mgdebug (please report it, with the file)
With a model, the status is the same as without: its fixes count only once checked.
`mgdebug --model-check`: 0 when the model answers, 2 when it does not.

Lines and columns are 1-based, in the text report, --json and --sarif alike.
`mgdebug lsp` starts the language server on stdio.
Expectations come from doctests and prose examples in docstrings, asserts under
`if __name__ == "__main__":`, and pytest tests in test_*.py next to the file or
in a tests/ folder.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgdebug",
        description="Find where and why a Python function is wrong, from real runs, "
        "and offer fixes already checked against its expectations.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, help="print mgdebug's version and exit")
    parser.add_argument(
        "file",
        nargs="?",  # required, except with --model-check
        help="the Python file to debug (or `lsp` for the language server; `mgdebug doc FILE` and "
        "`mgdebug tests FILE` write a checked docstring or tests: see their --help). Project "
        "mode: no file (every test of this folder's project), a folder, test files or node ids "
        "(file.py::test, several allowed): their failing tests are debugged across modules",
    )
    formats = parser.add_mutually_exclusive_group()  # both on stdout: one or the other
    formats.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    formats.add_argument(
        "--sarif",
        action="store_true",
        help="print one SARIF 2.1.0 log on stdout, for CI code-scanning views",
    )
    parser.add_argument("--function", metavar="NAME", help="debug only this function")
    parser.add_argument("--fix", action="store_true", help="apply the best checked fix to the file")
    parser.add_argument(
        "--no-search", action="store_true", help="localize only; do not search for fixes"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="time budget of the fix search (default 30)",
    )
    parser.add_argument(
        "--max-candidates",
        type=int,
        default=5000,
        metavar="N",
        help="candidate budget of the fix search (default 5000)",
    )
    parser.add_argument(
        "--test",
        action="append",
        default=[],
        metavar="FILE",
        help="a pytest file whose tests are expectations too (repeatable)",
    )
    parser.add_argument("--no-color", action="store_true", help="no colour in the text report")
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="the Python to run the code in (default: $VIRTUAL_ENV, else a .venv or venv "
        "beside the file or in its project, else mgdebug's own)",
    )
    parser.add_argument(
        "--pass-env",
        action="append",
        default=[],
        metavar="NAME",
        help="let the code under test see this environment variable (repeatable; by default "
        "it sees only PATH, locale and Python settings, never keys or tokens)",
    )
    parser.add_argument(
        "--allow-network",
        action="store_true",
        help="let the code under test open TCP connections (closed by default where the "
        "kernel has Landlock)",
    )
    add_model_arguments(parser)
    return parser


class _VersionAction(argparse.Action):
    """`--version`: the installed distribution's version, looked up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"mgdebug {installed_version()}")
        parser.exit()


def installed_version() -> str:
    """The version in the package metadata (pyproject.toml), never a copy of it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mgdebug")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


class StderrProgress:
    """Progress on stderr, only once a run has taken over a second."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.shown = False

    def __call__(self, message: str, percent: int) -> None:
        if time.monotonic() - self.started < 1.0:
            return
        with self.lock:
            if sys.stderr.isatty():
                sys.stderr.write(f"mgdebug: {percent:3d}% {message}\x1b[K\r")
            else:
                sys.stderr.write(f"mgdebug: {percent}% {message}\n")
            sys.stderr.flush()
            self.shown = True

    def finish(self) -> None:
        if self.shown and sys.stderr.isatty():
            sys.stderr.write("\x1b[K")


def exit_status(report: Report) -> int:
    if report.syntax_errors:
        return EXIT_USAGE
    if report.could_not_run is not None and report.could_not_run.environment:
        return EXIT_USAGE
    if not report.fails_the_users_expectations:
        return EXIT_PASS  # model-written cases that fail are the model's opinion, not a verdict
    return EXIT_FIXED if any(f.validated for f in report.fixes) else EXIT_UNFIXED


def check_function(module: ModuleInfo, name: str, path: str) -> None:
    """`--function NAME` must name one function of the file: else a usage error, not a report."""
    from mgdebug.debugger.engine import resolve_function

    if module.syntax_errors or resolve_function(module, name) is not None:
        return  # a file that does not parse is reported as such, with its syntax error
    same = sorted(q for q, f in module.functions.items() if f.name == name)
    if same:
        raise InputError(
            f"--function {name}: several functions are named `{name}` in {path}: "
            f"{', '.join(same)}; give the qualified name"
        )
    known = sorted(module.functions)
    listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    raise InputError(
        f"--function {name}: no function named `{name}` in {path}"
        + (f" (its functions: {listed})" if known else " (it defines no function)")
    )


def run(args: argparse.Namespace) -> int:
    from mgdebug.debugger.options import DebugOptions, Limits
    from mgdebug.debugger.sandbox.interpreter import InterpreterError, resolve_interpreter
    from mgdebug.debugger.sandbox.pool import Sandbox

    source = read_source(args.file)
    path = os.path.abspath(args.file)
    model = model_options(args, path)  # a bad model setting: exit 2 before any run
    options = DebugOptions(
        function=args.function,
        search_fixes=not args.no_search,
        search_seconds=args.budget,
        max_candidates=args.max_candidates,
        extra_tests=[os.path.abspath(t) for t in args.test],
        python=args.python,
        model=model,
        limits=Limits(pass_env=tuple(args.pass_env), network=args.allow_network),
    )
    try:
        interpreter = resolve_interpreter(path, options.python)
    except InterpreterError as exc:  # a --python that cannot run the code: a usage error
        raise InputError(str(exc)) from exc
    progress = StderrProgress()
    from .project_cli import module_tests

    # The project's tests that execute this module (project mode); None: as before.
    covering = module_tests(path, options, interpreter)
    root = str(covering.root) if covering is not None else None
    with Sandbox(path, options.limits, interpreter=interpreter, root=root) as sandbox:
        # The worker's interpreter starts (~0.1 s) while the engine, tree-sitter
        # and the analysis load: the plain run's fixed cost, measured by
        # benchmarks/startup.py.
        sandbox.start()
        from mgdebug.analysis.functions import analyze_module
        from mgdebug.debugger.engine import DebugRequest, debug

        if args.function:
            check_function(analyze_module(source.text, path), args.function, args.file)
        found = covering.expectations if covering is not None else ()
        request = DebugRequest(
            source.text, path, options, found, progress=progress, sandbox=sandbox
        )
        report = debug(request)
    progress.finish()
    if covering is not None:
        report.messages.append(covering.note)
    report.path = args.file
    if args.fix:
        _apply_fix(report, source)
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif args.sarif:
        from .sarif import to_sarif

        status = exit_status(report)
        log = to_sarif(
            report,
            source.text,
            exit_code=status,
            successful=status != EXIT_USAGE,
            version=installed_version(),
        )
        json.dump(log, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        from .text_report import render

        colour = sys.stdout.isatty() and not args.no_color and "NO_COLOR" not in os.environ
        sys.stdout.write(render(report, source.text, colour=colour))
    # The text report says it already: on stderr only when stdout is JSON, so it
    # is printed once either way.
    if report.syntax_errors and (args.json or args.sarif):
        first = report.syntax_errors[0]
        sys.stderr.write(
            f"mgdebug: {args.file}:{first.line}:{first.column + 1}: syntax error: {first.message}\n"
        )
    if report.could_not_run is not None and (args.json or args.sarif):
        sys.stderr.write(f"mgdebug: {report.could_not_run.message}\n")
    return exit_status(report)


def _apply_fix(report: Report, source: SourceFile) -> None:
    best = next((f for f in report.fixes if f.validated), None)
    if best is None:
        report.messages.append("--fix: no checked fix, the file was not changed")
        return
    write_fix(source, best.source)
    sys.stderr.write(best.diff)
    report.messages.append(f"--fix: applied to {source.path}: {best.summary}")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["doc"], ["tests"]):  # docstrings and tests: server/generate_cli.py
        from .generate_cli import main as generate_main

        return generate_main(argv)
    if argv[:1] == ["lsp"]:
        from mgdebug.server.lsp.main import run_stdio

        run_stdio()
        return EXIT_PASS
    from .project_cli import wants_project

    if wants_project(argv):  # no file, a folder, test files or node ids: server/project_cli.py
        from .project_cli import main as project_main

        return project_main(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_PASS
    if args.file is None and not args.model_check:
        parser.print_usage(sys.stderr)
        sys.stderr.write("mgdebug: error: the following arguments are required: file\n")
        return EXIT_USAGE
    return guarded(lambda: model_check(args) if args.model_check else run(args), "the file")


def guarded(command: Callable[[], int], what: str) -> int:
    """`command`'s exit status; bad input, ^C and our own errors as their own statuses.

    `what` is what the user should attach to a report of an internal error.
    """
    try:
        return command()
    except InputError as exc:
        sys.stderr.write(f"mgdebug: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("mgdebug: interrupted\n")
        return 130
    except Exception:  # noqa: BLE001 - the last line of defence: say it is ours
        sys.stderr.write(f"mgdebug: internal error; please report it with {what}:\n")
        traceback.print_exc()
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
