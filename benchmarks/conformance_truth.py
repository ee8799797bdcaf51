"""Ground truth for the conformance benchmark: doctest's own verdict on every example.

The benchmark compares mgdebug's verdicts with those of the real tools, so this
module must *be* doctest, not a model of it: it runs `doctest.DocTestFinder` and a
`doctest.DocTestRunner` subclass over an imported module and records, for each
example the runner reports, its file, 1-based line and verdict. It runs inside the
project's own interpreter (as a script, `python conformance_truth.py ...`, printing
JSON), so it imports nothing but the standard library (and pytest's doctest checker
when the project runs its doctests through pytest) and keeps to Python 3.9 syntax.

Every example of a docstring is run, even after a failure (doctest's default; the
per-example comparison needs a verdict for each), so REPORT_ONLY_FIRST_FAILURE and
FAIL_FAST are dropped from the flags.
"""

from __future__ import annotations

import argparse
import doctest
import functools
import importlib
import io
import json
import os
import sys
import traceback
from collections import Counter
from typing import Any

MESSAGE_LIMIT = 400
_DRIFT = 20  # how far below doctest's line an example is looked for
_DROPPED_FLAGS = doctest.REPORT_ONLY_FIRST_FAILURE | doctest.FAIL_FAST


def example_line(test: doctest.DocTest, example: doctest.Example) -> int | None:
    """The 1-based file line of an example's `>>>` (None when it cannot be found).

    doctest knows no line for the docstring of a property or a `__test__` string
    (Python < 3.13), and guesses wrong for a module that assigns its `__doc__`
    (hashlib). So its line is checked against the file; when it is missing or
    wrong, the docstring's start is taken from where the file has the test's
    examples (the start most of them agree on).
    """
    lines = _file_lines(test.filename)
    if test.lineno is not None and _is_example_at(lines, test.lineno + example.lineno, example):
        return test.lineno + example.lineno + 1
    starts = [s for s in (test.lineno, _voted_start(test, lines)) if s is not None]
    for start in starts:
        if _is_example_at(lines, start + example.lineno, example):
            return start + example.lineno + 1
    for start in starts:  # lines joined by a backslash put later examples further down
        for index in range(start + example.lineno, start + example.lineno + _DRIFT):
            if _is_example_at(lines, index, example):
                return index + 1
    return None


@functools.lru_cache(maxsize=8)
def _file_lines(filename: str | None) -> tuple[str, ...]:
    if not filename or not os.path.isfile(filename):
        return ()
    with open(filename, encoding="utf-8") as handle:
        return tuple(handle.read().splitlines())


def _first_line(example: doctest.Example) -> str:
    return example.source.splitlines()[0].strip() if example.source.strip() else ""


def _decoded(text: str) -> str:
    """`text` with its escapes decoded, as a docstring that is not raw reads it."""
    try:
        return text.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeError:
        return text


def _is_example_at(lines: tuple[str, ...], index: int, example: doctest.Example) -> bool:
    """Whether the file's line `index` is the `>>>` line of `example`.

    A docstring that is not raw reads `\\"` in the file as `\"` and joins a line
    ending in a backslash with the next, so both are compared as written and decoded.
    """
    if not 0 <= index < len(lines):
        return False
    text = lines[index].strip()
    if not text.startswith(">>>"):
        return False
    written, first = text[3:].strip(), _first_line(example)
    if written.endswith("\\") and not written.endswith("\\\\"):
        head = written[:-1].rstrip()
        return bool(head) and (first.startswith(head) or first.startswith(_decoded(head)))
    return first in (written, _decoded(written))


def _voted_start(test: doctest.DocTest, lines: tuple[str, ...]) -> int | None:
    """The 0-based docstring start that places the most of `test`'s examples on a `>>>`."""
    prompts = [i for i, line in enumerate(lines) if line.lstrip().startswith(">>>")]
    votes = Counter(
        index - example.lineno
        for example in test.examples
        for index in prompts
        if _is_example_at(lines, index, example)
    )
    ranked = votes.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


class RecordingRunner(doctest.DocTestRunner):
    """A DocTestRunner that keeps one verdict per example instead of printing a report."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.verdicts: list[dict[str, Any]] = []

    def _record(
        self, test: doctest.DocTest, example: doctest.Example, verdict: str, message: str
    ) -> None:
        self.verdicts.append(
            {
                "file": os.path.realpath(test.filename) if test.filename else None,
                "line": example_line(test, example),
                "name": test.name,
                "source": example.source[:MESSAGE_LIMIT],
                "verdict": verdict,
                "message": message[:MESSAGE_LIMIT],
            }
        )

    def report_start(self, out: Any, test: doctest.DocTest, example: doctest.Example) -> None:
        pass

    def report_success(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, got: str
    ) -> None:
        self._record(test, example, "pass", "")

    def report_failure(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, got: str
    ) -> None:
        self._record(test, example, "fail", f"expected {example.want!r}, got {got!r}")

    def report_unexpected_exception(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, exc_info: Any
    ) -> None:
        text = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        self._record(test, example, "fail", f"raised {text}")


def flag_value(names: list[str], pytest_flags: bool) -> int:
    """Option flags from their names; pytest's own (ALLOW_UNICODE, NUMBER, ...) when asked."""
    lookup = dict(doctest.OPTIONFLAGS_BY_NAME)
    if pytest_flags:
        from _pytest import doctest as pytest_doctest  # only in the project's venv

        lookup.update(pytest_doctest._get_flag_lookup())
    value = 0
    for name in names:
        value |= lookup[name]
    return value


def doctest_verdicts(
    module: Any, optionflags: int = 0, checker: doctest.OutputChecker | None = None
) -> list[dict[str, Any]]:
    """Every example doctest finds in `module`, run as `doctest.testmod` would run it."""
    runner = RecordingRunner(
        checker=checker, verbose=False, optionflags=optionflags & ~_DROPPED_FLAGS
    )
    for test in doctest.DocTestFinder().find(module):
        runner.run(test, out=io.StringIO().write, clear_globs=True)
    return runner.verdicts


def _import(name: str, path: str, root: str) -> Any:
    """Import `name` from `root` as `python -m doctest` / pytest would, and check the file."""
    sys.path.insert(0, root)
    loaded = sys.modules.get(name)
    if loaded is not None and os.path.realpath(
        getattr(loaded, "__file__", "") or ""
    ) != os.path.realpath(path):
        # doctest itself imports difflib, inspect, ...: the copy under test must be
        # imported afresh, or its examples would be found in the stdlib's file.
        del sys.modules[name]
    module = importlib.import_module(name)
    if os.path.realpath(getattr(module, "__file__", "") or "") != os.path.realpath(path):
        raise SystemExit(f"imported {name} from {module.__file__}, not {path}")
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="folder put first on sys.path")
    parser.add_argument("--module", required=True, help="import name of the module")
    parser.add_argument("--path", required=True, help="the file the import must load")
    parser.add_argument("--flags", default="", help="option flag names, space-separated")
    parser.add_argument(
        "--pytest",
        action="store_true",
        help="use pytest's doctest checker and flags (doctests run by pytest)",
    )
    args = parser.parse_args(argv)
    os.chdir(args.root)
    module = _import(args.module, args.path, args.root)
    checker = None
    if args.pytest:
        from _pytest import doctest as pytest_doctest

        checker = pytest_doctest._get_checker()
    flags = flag_value(args.flags.split(), args.pytest)
    # The examples print; keep the JSON on the real stdout clean.
    real_stdout = sys.stdout
    sys.stdout = io.StringIO()
    try:
        verdicts = doctest_verdicts(module, flags, checker)
    finally:
        sys.stdout = real_stdout
    json.dump({"verdicts": verdicts}, real_stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
