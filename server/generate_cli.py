"""`mgdebug doc FILE --function NAME [--write]`, `mgdebug tests FILE [--function NAME] [--out P]`.

`doc` prints the docstring it would write as a unified diff of FILE (`--write`
applies it); every example in it ran as a doctest first. `tests` writes a
pytest file of regression tests, each run by pytest before it is offered
(`--dry-run` prints the diff instead); with a model (the model flags of
`mgdebug FILE`), specification tests too, a violated one as an xfail. Notes — why a function got no
examples, which cases were dropped — go to stderr.

Exit status: 0 done (or nothing to add), 2 usage or input error (no such
function, syntax error, a module that cannot be imported), 4 internal error.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .model_cli import add_model_arguments, model_options
from .source_file import InputError, SourceFile, read_source, write_fix

if TYPE_CHECKING:  # the engine loads lazily: `--help` answers without it
    from mgdebug.debugger.generate.observe import GenerateRequest

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERNAL = 4


def build_parser(command: str) -> argparse.ArgumentParser:
    if command == "doc":
        parser = argparse.ArgumentParser(
            prog="mgdebug doc",
            description="Write a docstring with checked examples for one function "
            "(in the file's docstring style); print it as a diff.",
        )
        parser.add_argument("file", help="the Python file")
        parser.add_argument("--function", metavar="NAME", required=True, help="the function")
        parser.add_argument("--write", action="store_true", help="apply the diff to the file")
    else:
        parser = argparse.ArgumentParser(
            prog="mgdebug tests",
            description="Generate pytest regression tests, checked by pytest, and write them "
            "where the project keeps its tests.",
        )
        parser.add_argument("file", help="the Python file")
        parser.add_argument(
            "--function", metavar="NAME", action="append", help="only this function (repeatable)"
        )
        parser.add_argument("--out", metavar="PATH", help="the test file (default: see README)")
        parser.add_argument(
            "--dry-run", action="store_true", help="print the diff, do not write the test file"
        )
    parser.add_argument("--python", metavar="PATH", help="run the code in this interpreter")
    # With a model: its proposed inputs (outputs still from running them) and, for
    # `tests`, specification tests; a case the code violates is an xfail and a note.
    add_model_arguments(parser)
    return parser


def _diff(old: str, new: str, path: str) -> str:
    a, b = (path, path) if os.path.isabs(path) else (f"a/{path}", f"b/{path}")
    return "".join(
        difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), a, b)
    )


def _note(message: str) -> None:
    sys.stderr.write(f"mgdebug: {message}\n")


def main(argv: Sequence[str]) -> int:
    command, rest = argv[0], list(argv[1:])
    parser = build_parser(command)
    try:
        args = parser.parse_args(rest)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    try:
        return _run(command, args)
    except InputError as exc:
        _note(str(exc))
        return EXIT_USAGE
    except Exception:  # noqa: BLE001 - report, never a bare traceback for users
        traceback.print_exc()
        _note("internal error (please report it, with the file)")
        return EXIT_INTERNAL


def _run(command: str, args: argparse.Namespace) -> int:
    from mgdebug.debugger.generate.observe import GenerateError, GenerateRequest
    from mgdebug.debugger.options import DebugOptions
    from mgdebug.debugger.sandbox.interpreter import InterpreterError, resolve_interpreter
    from mgdebug.debugger.sandbox.pool import Sandbox

    source = read_source(args.file)
    path = os.path.abspath(args.file)
    options = DebugOptions(python=args.python, model=model_options(args, path))
    try:
        interpreter = resolve_interpreter(path, options.python)
    except InterpreterError as exc:
        raise InputError(str(exc)) from exc
    try:
        with Sandbox(path, options.limits, interpreter=interpreter) as sandbox:
            request = GenerateRequest(source.text, path, sandbox, options)
            if command == "doc":
                return _doc(source, request, args)
            return _tests(request, args)
    except GenerateError as exc:
        raise InputError(str(exc)) from exc


def _doc(source: SourceFile, request: GenerateRequest, args: argparse.Namespace) -> int:
    from mgdebug.debugger.generate.docstrings import write_checked_docstring

    result = write_checked_docstring(request, args.function)
    for message in result.messages:
        _note(message)
    if result.source is None:
        return EXIT_OK
    sys.stdout.write(_diff(source.text, result.source, args.file))
    what = "completed" if result.completed else "written"
    if args.write:
        write_fix(source, result.source)
        _note(
            f"docstring of `{result.function}` {what} in {args.file} "
            f"({result.style} style, {result.examples} example(s), each run as a doctest)"
        )
    return EXIT_OK


def _tests(request: GenerateRequest, args: argparse.Namespace) -> int:
    from mgdebug.debugger.generate.testgen import generate_tests

    result = generate_tests(request, args.function or (), args.out)
    for message in result.messages:
        _note(message)
    if result.new_text is None:
        _note("no tests were written")
        return EXIT_OK
    shown = os.path.relpath(result.path)
    if args.dry_run:
        sys.stdout.write(_diff(result.old_text or "", result.new_text, shown))
        return EXIT_OK
    os.makedirs(os.path.dirname(result.path), exist_ok=True)
    with open(result.path, "w", encoding="utf-8") as handle:
        handle.write(result.new_text)
    verb = "appended to" if result.old_text is not None else "written to"
    sys.stdout.write(
        f"{result.tests} regression test case(s), all passing under pytest, {verb} {shown}\n"
    )
    return EXIT_OK
