"""Verdicts made by the worker from what the grandchild saw (sandbox/verdicts.py).

Plain-data equality must be exactly Python's `==`; doctest verdicts exactly
doctest's, even when the code under test replaced doctest's checker; and a
result no honest grandchild sends is refused, not believed.
"""

from __future__ import annotations

import collections
import doctest
import enum
import importlib.util
import math
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import given

from mgdebug.analysis.expectations import find_expectations
from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.options import Limits
from mgdebug.debugger.results import ExpectationResult
from mgdebug.debugger.sandbox import plain_data, verdicts
from mgdebug.debugger.sandbox.pool import Job, Sandbox
from mgdebug.debugger.sandbox.verdicts import Observation, eval_verdict, judge, observe_eval

NAN = float("nan")
Pair = collections.namedtuple("Pair", "a b")


class Color(enum.IntEnum):
    RED = 1


PAIRS = [
    (1, 1.0),
    (1, True),
    (0.0, -0.0),
    (float("nan"), float("nan")),
    (NAN, NAN),
    ([NAN], [NAN]),
    ([float("nan")], [float("nan")]),
    ({1: "a"}, {1.0: "a"}),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
    ({1, 2}, {2, 1}),
    ({frozenset({1}), 2}, {2, frozenset({1.0})}),
    ((1, 2), [1, 2]),
    ("a", b"a"),
    (2**53 + 1, float(2**53)),
    (2**80, float(2**80)),
    (10**400, 10**400),
    (complex(1, 0), 1),
    (None, 0),
    (Pair(1, 2), (1, 2)),
    (Color.RED, 1),
    ([[[]]], [[[]]]),
    ({1: [1, {2: (3,)}]}, {1: [1, {2: (3.0,)}]}),
    (collections.OrderedDict(a=1), {"a": 1}),
    (math.inf, float("inf")),
]


@pytest.mark.parametrize(("actual", "expected"), PAIRS)
def test_plain_equality_is_pythons(actual: Any, expected: Any) -> None:
    seen = observe_eval(actual, expected, actual == expected)
    verdict = eval_verdict(seen)
    assert verdict is not None
    assert verdict[0] == (actual == expected)
    # Only the OrderedDict (it redefines __eq__) is not plain data.
    plain = type(actual) is not collections.OrderedDict
    assert verdict[1] == ("mgdebug" if plain else "sandbox")


TWO = "class Two:\n    def __eq__(self, other):\n        return True\n"


@pytest.fixture(scope="module")
def two_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[type, Path]:
    folder = tmp_path_factory.mktemp("code")
    (folder / "two.py").write_text(TWO)
    spec = importlib.util.spec_from_file_location("two_for_verdicts", folder / "two.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Two, folder


def test_the_code_under_tests_own_eq_never_equals_plain_data(two_class: tuple[type, Path]) -> None:
    two, folder = two_class
    verdicts.code_folders(str(folder))
    try:
        for actual, expected in [(two(), 2), ([two()], [2]), ({"k": two()}, {"k": 2})]:
            equal, by, why = eval_verdict(observe_eval(actual, expected, True)) or (True, "", "")
            assert (equal, by) == (False, "mgdebug")
            assert "code under test's own" in why
        # The same class from outside the code's folders is a library's: its word stands.
        verdicts.code_folders(str(folder / "elsewhere"))
        assert eval_verdict(observe_eval(two(), 2, True)) == (True, "sandbox", "")
    finally:
        verdicts.code_folders()


def test_values_past_the_bounds_are_compared_in_the_sandbox_or_not_equal() -> None:
    big = list(range(plain_data.MAX_NODES + 1))
    assert eval_verdict(observe_eval(big, list(big), True)) == (True, "sandbox", "")
    equal, by, why = eval_verdict(observe_eval(big, [1], True)) or (True, "", "")
    assert (equal, by) == (False, "mgdebug") and "too large" in why


EVAL = given("f", "f", "eval", call="f()", expected="2")
DOCTEST = given("g", "g", "doctest", call="g()\n", want="2\n")
SKIPPED = given("h", "h", "doctest", call="h()  # doctest: +SKIP\n", want="2\n")


@pytest.mark.parametrize(
    ("exp", "status", "seen"),
    [
        (EVAL, "pass", None),
        (DOCTEST, "pass", None),
        (EVAL, "skip", None),
        (DOCTEST, "pass", Observation("skipped")),
        (SKIPPED, "pass", Observation("doctest", printed="2\n")),
        (DOCTEST, "pass", Observation("eval", actual='["i","2"]', expected='["i","2"]')),
        (EVAL, "pass", Observation("eval", actual='["i",2]', expected='["i","2"]')),
        (EVAL, "pass", Observation("eval", actual='["d",[[["l",[]],["N"]]]]', expected='["N"]')),
        (EVAL, "pass", Observation("eval", actual="[[", expected='["N"]')),
        (EVAL, "pass", Observation("eval", expected='["i","2"]', origin="?")),
    ],
    ids=[
        "eval-no-observation",
        "doctest-no-observation",
        "eval-skip",
        "skip-claimed",
        "skipped-example-ran",
        "wrong-kind",
        "int-not-text",
        "unhashable-key",
        "not-json",
        "unknown-origin",
    ],
)
def test_a_result_no_honest_grandchild_sends_is_refused(
    exp: Any, status: Any, seen: Observation | None
) -> None:
    assert judge(exp, ExpectationResult(exp.id, status), seen) is None


def test_the_childs_verdict_is_replaced_by_the_workers() -> None:
    wrong = Observation("doctest", printed="1\n")
    judged = judge(DOCTEST, ExpectationResult(DOCTEST.id, "pass"), wrong)
    assert judged is not None and (judged.status, judged.verdict_by) == ("fail", "mgdebug")
    skipped = judge(SKIPPED, ExpectationResult(SKIPPED.id, "pass"), Observation("skipped"))
    assert skipped is not None and skipped.status == "pass"
    cut = Observation("doctest", printed="2\n", cut=True)  # more was printed than is judged
    judged = judge(DOCTEST, ExpectationResult(DOCTEST.id, "pass"), cut)
    assert judged is not None and judged.status == "fail" and "not compared" in judged.message
    timeout = judge(EVAL, ExpectationResult(EVAL.id, "timeout"), None)
    assert timeout is not None and (timeout.status, timeout.verdict_by) == ("timeout", "")


# -- doctest, end to end in the real sandbox, against doctest itself ----------------

TRICKY = textwrap.dedent(
    '''
    import doctest as _doctest


    class BadThing(Exception):
        pass


    def f(n):
        """Output and exceptions, matched as doctest matches them.

        >>> f(1)
        1
        >>> f(2)
        3
        >>> f(-1)
        Traceback (most recent call last):
        ValueError: negative: -1
        >>> f(-2)
        Traceback (most recent call last):
        ValueError: negative: -3
        >>> f(-2)  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        builtins.ValueError: something else
        >>> f(-2)  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        TypeError: negative: -2
        >>> f(0)
        Traceback (innermost last):
          ...
        mod.BadThing: zero
        >>> f(0)
        Traceback (most recent call last):
        BadThing: zero
        >>> f(-5)
        -5
        >>> list(range(f(20)))  # doctest: +ELLIPSIS
        [0, 1, ..., 19]
        >>> list(range(f(5)))  # doctest: +NORMALIZE_WHITESPACE
        [0,   1, 2,
         3, 4]
        >>> print("a"); print(); print("b")
        a
        <BLANKLINE>
        b
        >>> f(3)  # doctest: +SKIP
        4
        >>> print(f(3))
        4
        """
        if n == 0:
            raise BadThing("zero")
        if n < 0:
            raise ValueError(f"negative: {n}")
        return n
    '''
)
PATCHED = TRICKY + "\n\n_doctest.OutputChecker.check_output = lambda self, want, got, flags: True\n"


def _real_doctest_failures(source: str, folder: Path) -> set[int]:
    path = folder / "real_mod.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("mod", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    failing: set[int] = set()

    class Runner(doctest.DocTestRunner):
        def report_failure(self, out: Any, test: Any, example: Any, got: str) -> None:
            failing.add(test.lineno + example.lineno + 1)

        def report_unexpected_exception(self, out: Any, test: Any, ex: Any, info: Any) -> None:
            failing.add(test.lineno + ex.lineno + 1)

    for test in doctest.DocTestFinder().find(module):
        Runner().run(test, out=lambda text: None)
    return failing


@pytest.fixture(scope="module")
def doctest_box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Path]]:
    folder = tmp_path_factory.mktemp("verdicts")
    (folder / "mod.py").write_text(TRICKY)
    with Sandbox(str(folder / "mod.py"), Limits(wall_seconds=10)) as sandbox:
        yield sandbox, folder


@pytest.mark.parametrize("source", [TRICKY, PATCHED], ids=["as-is", "checker-replaced"])
def test_doctest_verdicts_are_doctests_even_with_its_checker_replaced(
    doctest_box: tuple[Sandbox, Path], source: str
) -> None:
    sandbox, folder = doctest_box
    path = str(folder / "mod.py")
    exps = [e for e in find_expectations(analyze_module(source, path), path) if e.kind == "doctest"]
    results = {r.expectation_id: r for r in sandbox.run(Job(source, exps))}
    failing = {e.origin.line for e in exps if not results[e.id].passed}
    assert failing == _real_doctest_failures(TRICKY, folder)
    assert len(failing) == 6, sorted(failing)
    judged = [r for r in results.values() if r.status in ("pass", "fail")]
    assert {r.verdict_by for r in judged} == {"mgdebug"}
    # What the user is shown stays doctest's text: the exception line, not a traceback.
    shown = {results[e.id].actual for e in exps if e.origin.line in failing}
    assert "ValueError: negative: -2\n" in shown
