"""When the module under test cannot be imported: say why, and what to do, without blame.

A missing dependency, an `input()` at import time or another module that
raises while imported is a fact about the environment, not a bug in the
functions under test: reporting their expectations as failures would send
the user hunting for a bug that is not there. The sandbox child classifies
the load error (user_frames.classify_load_error); this turns it into one
sentence with the remedy.

A statement of the file's own top level that raises (a NameError, a
division by zero) is different: it is the user's bug, in that file. It is
still reported as "could not run", since no expectation ran, but with the
line to fix, `environment=False`, and exit status 3 rather than 2.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from mgdebug.analysis.model import Expectation

from .report import CouldNotRun
from .results import ExpectationResult
from .run.user_frames import EXIT, IMPORT, MISSING_MODULE, STDIN, SYNTAX, TOP_LEVEL

MAIN_GUARD = 'move it under `if __name__ == "__main__":`'


def load_failure(results: Sequence[ExpectationResult]) -> ExpectationResult | None:
    """The load error every result carries, if the module could not be imported."""
    if not results or not all(r.load_error for r in results):
        return None
    return results[0]


def function_names(expectations: Sequence[Expectation]) -> str:
    """ "`mean`", "`mean` and `variance`", "`a`, `b` and 3 more", or "the expectations"."""
    names = list(dict.fromkeys(f"`{e.function}`" for e in expectations if e.function))
    if not names:
        return "the expectations"
    if len(names) == 1:
        return names[0]
    if len(names) <= 3:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return ", ".join(names[:2]) + f" and {len(names) - 2} more"


def describe_load_failure(
    failure: ExpectationResult,
    expectations: Sequence[Expectation],
    source: str,
    path: str,
    interpreter: str,
) -> CouldNotRun:
    """The report's account of a module that could not be imported."""
    kind, line = failure.load_error, failure.error_line
    error = failure.message.removeprefix("the module failed to load: ")
    at = f" (line {line})" if line else ""
    if kind == MISSING_MODULE:
        top = failure.load_module.split(".", 1)[0] or "a module it imports"
        why = f"`{top}` is not installed in {interpreter}{at}; use --python or install it there"
    elif kind == STDIN:
        text = _line_text(source, line)
        reads = "input()" if "input(" in text else "standard input"
        why = (
            f"the module reads {reads} when imported{at}, and code under test runs "
            f"with no stdin; {MAIN_GUARD}"
        )
    elif kind == EXIT:
        why = f"the module calls sys.exit() when imported{at}; {MAIN_GUARD}"
    elif kind == SYNTAX:
        # mgdebug's parser accepted it, so the interpreter is older than the code
        why = (
            f"{interpreter} cannot parse the file{at}: {error}; it may need a newer "
            "Python: use --python"
        )
    elif kind == IMPORT:
        where = f" at {failure.load_where}" if failure.load_where else ""
        why = (
            f"importing `{failure.load_module}` failed: {error}{where}; fix that module, "
            "or use --python with an interpreter where it imports"
        )
    else:
        name = os.path.basename(path)
        why = (
            f"line {line} of {name} raised {error} when the module was imported; "
            "this is a bug in the file's top level, not in the functions under test"
        )
    return CouldNotRun(
        kind=kind or TOP_LEVEL,
        message=f"could not run {function_names(expectations)}: {why}",
        environment=kind != TOP_LEVEL,
        line=line,
        error=error,
        traceback=failure.traceback,
    )


def _line_text(source: str, line: int | None) -> str:
    lines = source.splitlines()
    return lines[line - 1] if line is not None and 0 < line <= len(lines) else ""
