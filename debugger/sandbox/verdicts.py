"""Verdicts made outside the process the code under test runs in.

The grandchild runs the code and says what it saw; the worker, which never
runs user code, decides (worker.py calls `judge` on every result frame). Code
under test that replaces `doctest.OutputChecker.check_output` or returns an
object whose `__eq__` always says True then changes nothing: the comparison is
not made where it runs.

- doctest: the child sends the example's output as doctest captured it, or
  the exception text doctest matches (`exc_msg`, as its checker received it);
  the worker parses the docstring itself and applies doctest's own rules
  (its `OutputChecker`, the example's directives, IGNORE_EXCEPTION_DETAIL),
  with the same `doctest` module the child would use (the user's interpreter).
- eval (`call == expected`): when both values are plain data (exact int,
  float, complex, str, bytes, bool, None and lists, tuples, dicts, sets and
  frozensets of them, bounded; subclasses that do not redefine `__eq__`,
  `__ne__` or `__hash__`, such as namedtuples and IntEnums, count as their
  base), the child sends both in a canonical form, the worker rebuilds them
  from builtin types and compares with `==`: Python's own rules (1 == 1.0 ==
  True, -0.0 == 0.0, NaN != NaN, a NaN object equal to itself in a container).
  When only the expected value is plain, the returned object's own `__eq__`
  would decide in Python: accepted only when it is not the code under test's
  (a C-implemented comparison, or a Python one in a file outside the scratch
  copy, the project and the run's temp folders: Decimal, Fraction, numpy);
  otherwise the two are not equal, whatever that `__eq__` said. When the
  expected value is not plain, the child's `==` stands and the result says so
  (`verdict_by` "sandbox").

What this does not stop: the child is still the observer. Code that forges
the observation itself (a frame on the result pipe, a replaced runner sending
made-up output, a class disguised as a library's) still gets its pass; see
README, "Security".

Standard library only, Python 3.9: part of the child kit (kit.py).
"""

from __future__ import annotations

import doctest
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mgdebug.analysis.model import PYTEST_ALLOW_BYTES, PYTEST_ALLOW_UNICODE, Expectation

from ..results import ExpectationResult
from . import plain_data

# Report-only flags: they decide what doctest prints, or whether it tries the
# examples after a failure; every example is run and reported here.
REPORT_ONLY = doctest.REPORT_ONLY_FIRST_FAILURE | doctest.FAIL_FAST
# The most of an example's output (or exception text) judged here: beyond it
# the example fails (`cut`), saying so; doctest itself has no such bound.
SEEN_LIMIT = plain_data.MAX_CHARS


@dataclass
class Observation:
    """What the grandchild saw for one expectation, for the worker to judge.

    doctest (`kind` "doctest"): `printed`, the example's output, or
    `exception`, the exception as doctest formats it for matching (None: none
    was raised); "skipped": doctest skipped the example (+SKIP).
    eval (`kind` "eval"): `actual` and `expected` in canonical form, as JSON
    text ("": not plain data), why the actual is not (`origin`: "big",
    "library" or "code", and `detail`), and what the child's own `==` said (`equal`).
    """

    kind: str
    printed: str = ""
    exception: str | None = None
    cut: bool = False  # the output or exception text was longer than SEEN_LIMIT
    actual: str = ""
    expected: str = ""
    origin: str = ""
    detail: str = ""
    equal: bool = False


# -- doctest --------------------------------------------------------------------


def session_text(exp: Expectation) -> str:
    """The docstring the expectation's example belongs to.

    An expectation built by hand (a benchmark's visible test) has no session:
    its one example is written out as a docstring, so that doctest's parser
    reads its directives.
    """
    if exp.session_source is not None:
        return exp.session_source
    lines = (exp.call or "").rstrip("\n").split("\n")
    prompt = [">>> " + lines[0]] + ["... " + line for line in lines[1:]]
    want = exp.want or ""
    return "\n".join(prompt) + "\n" + want + ("" if not want or want.endswith("\n") else "\n")


_UNICODE = re.compile(r"(\W|^)[uU]([rR]?[\'\"])", re.UNICODE)  # pytest's own patterns
_BYTES = re.compile(r"(\W|^)[bB]([rR]?[\'\"])", re.UNICODE)
_CHECKER = doctest.OutputChecker()  # the worker's own: the code under test never reaches it


def check_output(
    checker: doctest.OutputChecker, want: str, got: str, optionflags: int, plain: Any
) -> bool:
    """doctest's comparison, then pytest's ALLOW_UNICODE / ALLOW_BYTES second chance.

    `plain` is `doctest.OutputChecker.check_output` itself (the child passes
    its subclass's super method): the pytest flags drop u'' / b'' prefixes on
    both sides and compare again, as pytest's checker does.
    """
    if plain(checker, want, got, optionflags):
        return True
    if not optionflags & (PYTEST_ALLOW_UNICODE | PYTEST_ALLOW_BYTES):
        return False
    for flag, prefix in ((PYTEST_ALLOW_UNICODE, _UNICODE), (PYTEST_ALLOW_BYTES, _BYTES)):
        if optionflags & flag:
            want, got = prefix.sub(r"\1\2", want), prefix.sub(r"\1\2", got)
    return bool(plain(checker, want, got, optionflags))


@lru_cache(maxsize=64)
def _examples(text: str) -> list[doctest.Example] | None:
    try:
        return doctest.DocTestParser().get_examples(text)
    except ValueError:
        return None


def example_flags(base: int, example: doctest.Example) -> int:
    """The flags an example runs with: the docstring's, then its own directives.

    As DocTestRunner merges them, minus the report-only ones (never in effect here).
    """
    flags = base & ~REPORT_ONLY
    for flag, on in example.options.items():
        if flag & REPORT_ONLY:
            continue
        flags = flags | flag if on else flags & ~flag
    return flags


def _doctest_passes(exp: Expectation, seen: Observation) -> bool | None:
    """doctest's verdict on what the child saw; None if the child could not have seen it."""
    examples = _examples(session_text(exp))
    number = exp.example or 0
    if examples is None or not 0 <= number < len(examples):
        return None
    example = examples[number]
    flags = example_flags(exp.optionflags, example)
    skipped = bool(flags & doctest.SKIP)
    if seen.kind == "skipped" or skipped:
        return True if seen.kind == "skipped" and skipped else None
    if seen.kind != "doctest":
        return None
    if seen.cut:
        return False

    def check(want: str, got: str) -> bool:
        return check_output(_CHECKER, want, got, flags, doctest.OutputChecker.check_output)

    if seen.exception is None:
        return check(example.want, seen.printed)
    if example.exc_msg is None:
        return False  # an exception where output was expected (doctest's BOOM)
    if check(example.exc_msg, seen.exception):
        return True
    strip = getattr(doctest, "_strip_exception_details", None)
    if flags & doctest.IGNORE_EXCEPTION_DETAIL and strip is not None:
        return check(strip(example.exc_msg), strip(seen.exception))
    return False


def observe_eval(actual: Any, expected: Any, equal: bool) -> Observation:
    """The child's side: both values in canonical form, if plain, and its own `==`."""
    encoder = plain_data.Encoder(tuple(_code_folders))
    right = encoder.encode(expected)
    left = encoder.encode(actual)
    to_text = plain_data.to_text
    seen = Observation("eval", actual=to_text(left), expected=to_text(right), equal=equal)
    if left is None:
        seen.origin, seen.detail = encoder.origin, encoder.detail
    return seen


def childs_verdict(seen: Observation) -> tuple[bool, str]:
    """What `eval_verdict` will say, without rebuilding: for plain data the child's
    `==` is Python's, which is what the worker's comparison reproduces."""
    if not seen.expected or seen.actual or seen.origin == "library":
        return seen.equal, ""
    return False, _refusal(seen) if seen.equal else ""


def eval_verdict(seen: Observation) -> tuple[bool, str, str] | None:
    """(equal, verdict_by, message) for an eval observation; None if no child could send it."""
    if seen.kind != "eval" or type(seen.equal) is not bool:
        return None
    if not seen.expected:
        return seen.equal, "sandbox", ""
    nans: dict[int, float] = {}
    try:
        forms = [json.loads(text) if text else None for text in (seen.expected, seen.actual)]
        if any(plain_data.size(form) > 4 * plain_data.MAX_NODES for form in forms):
            return None
        expected = plain_data.rebuild(forms[0], nans)
        if forms[1] is not None:
            return bool(plain_data.rebuild(forms[1], nans) == expected), "mgdebug", ""
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None  # malformed, or unhashable where a key was needed: not a child's form
    if seen.origin == "library":
        return seen.equal, "sandbox", ""
    if seen.origin not in ("code", "big"):
        return None
    return False, "mgdebug", _refusal(seen) if seen.equal else ""


def _refusal(seen: Observation) -> str:
    what = (
        "too large to compare outside the sandbox"
        if seen.origin == "big"
        else (f"a {seen.detail[:200]} whose __eq__ is the code under test's own")
    )
    return (
        f"not counted as equal: the value returned is {what}; mgdebug compares plain"
        " expected values itself and does not take that __eq__'s word for it"
    )


# -- the child's side: observations wait here until their result is sent ----------

_pending: dict[str, Observation] = {}
_code_folders: list[str] = []  # where the code under test lives and writes (observe_eval)


_given: list[tuple[str | None, ...]] = [()]


def code_folders(*folders: str | None) -> None:
    """The scratch copy, the project and the run's temp folders, for this grandchild."""
    if folders != _given[0]:  # the same for every source of an order: resolved once
        _given[0] = folders
        _code_folders[:] = [os.path.realpath(f) for f in folders if f]


def note(expectation_id: str, seen: Observation) -> None:
    """Keep what was seen for an expectation until its result goes out (`take`)."""
    _pending[expectation_id] = seen


def take(expectation_id: str) -> Observation | None:
    return _pending.pop(expectation_id, None)


def forget() -> None:
    """A new source: nothing seen for the last one may stand for this one's."""
    _pending.clear()


# -- the worker's side ------------------------------------------------------------


def judge(
    exp: Expectation, result: ExpectationResult, seen: Observation | None
) -> ExpectationResult | None:
    """The result, its verdict made here (in place); None if no honest child sends it.

    Only "pass" and "fail" are decided here: a child can always make itself
    fail, error or crash, so those stand as sent (without a verdict_by).
    """
    status = result.status
    result.verdict_by = ""
    if status not in ("pass", "fail"):
        return None if status == "skip" and exp.kind in ("eval", "doctest") else result
    if exp.kind not in ("eval", "doctest"):
        result.verdict_by = "sandbox"  # pytest hooks, asserts: the child's word
        return result
    if seen is None:
        return None
    message = result.message
    if exp.kind == "doctest":
        passed = _doctest_passes(exp, seen)
        if passed is None:
            return None
        by = "mgdebug"
        if seen.cut:
            message = f"the example printed more than {SEEN_LIMIT} characters: not compared"
    else:
        verdict = eval_verdict(seen)
        if verdict is None:
            return None
        passed, by, why = verdict
        message = why or message
    result.status, result.verdict_by, result.message = "pass" if passed else "fail", by, message
    return result
