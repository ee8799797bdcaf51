"""A docstring's examples run in the real sandbox as one doctest session, judged as doctest does."""

from __future__ import annotations

import doctest
import importlib.util
import random
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mgdebug.analysis.expectations import find_expectations
from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import Expectation
from mgdebug.debugger.options import Limits
from mgdebug.debugger.results import ExpectationResult
from mgdebug.debugger.sandbox.pool import Job, Sandbox, TraceSpec

COUNTER = textwrap.dedent(
    '''
    class Counter:
        """Counts.

        >>> c = Counter()
        >>> c.add(2)
        >>> print("total", c.total)
        total 2
        >>> c.add(3)
        >>> c.total
        5
        >>> c.add(-1)
        Traceback (most recent call last):
        ValueError: only positive steps
        >>> c.total
        5
        """

        def __init__(self):
            self.total = 0

        def add(self, n):
            if n < 0:
                raise ValueError("only positive steps")
            self.total += n
    '''
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("doctests")
    (folder / "mod.py").write_text(COUNTER)
    return folder


@pytest.fixture(scope="module")
def box(folder: Path) -> Iterator[Sandbox]:
    with Sandbox(str(folder / "mod.py"), Limits(wall_seconds=10)) as sandbox:
        yield sandbox


def _expectations(folder: Path, source: str) -> list[Expectation]:
    path = str(folder / "mod.py")
    found = find_expectations(analyze_module(source, path), path)
    return [e for e in found if e.kind == "doctest"]


def _run(box: Sandbox, source: str, exps: list[Expectation], **job: object) -> list:
    return box.run(Job(source, exps, **job))  # type: ignore[arg-type]


def _verdicts(exps: list[Expectation], results: list[ExpectationResult]) -> dict[int, str]:
    """origin line -> status, for comparing with doctest's own verdict."""
    by_id = {r.expectation_id: r.status for r in results}
    return {e.origin.line: by_id[e.id] for e in exps if e.id in by_id}


def _doctest_failing_lines(source: str, folder: Path, flags: int = 0) -> set[int]:
    """The file lines of the examples doctest itself fails, in the same source."""
    path = folder / f"copy_{abs(hash(source))}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    failing: set[int] = set()

    class Runner(doctest.DocTestRunner):
        def report_failure(self, out: Any, test: Any, example: Any, got: str) -> None:
            failing.add(test.lineno + example.lineno + 1)

        def report_unexpected_exception(
            self, out: Any, test: Any, example: Any, exc_info: Any
        ) -> None:
            failing.add(test.lineno + example.lineno + 1)

    for test in doctest.DocTestFinder().find(module):
        Runner(optionflags=flags).run(test, out=lambda text: None)
    return failing


def test_state_carries_through_print_only_and_assign_only_examples(
    box: Sandbox, folder: Path
) -> None:
    exps = _expectations(folder, COUNTER)
    results = _run(box, COUNTER, exps)
    assert all(r.passed for r in results), [(r.expectation_id, r.actual) for r in results]
    assert len(results) == 7


def test_a_broken_method_fails_exactly_the_examples_doctest_fails(
    box: Sandbox, folder: Path
) -> None:
    broken = COUNTER.replace("self.total += n", "self.total = n")
    exps = _expectations(folder, broken)
    verdicts = _verdicts(exps, _run(box, broken, exps))
    failing = {line for line, status in verdicts.items() if status != "pass"}
    assert failing == _doctest_failing_lines(broken, folder)
    assert len(failing) == 2  # `c.total` after two adds, twice


def test_an_example_asked_for_alone_still_gets_the_state_of_those_before_it(
    box: Sandbox, folder: Path
) -> None:
    exps = _expectations(folder, COUNTER)
    last = exps[-1]
    (result,) = _run(box, COUNTER, [last])
    assert result.passed, result.actual
    assert result.actual == "5\n"


def test_failing_first_order_still_runs_each_docstring_in_its_own_order(
    box: Sandbox, folder: Path
) -> None:
    broken = COUNTER.replace("self.total += n", "self.total = n")
    exps = _expectations(folder, broken)
    shuffled = exps[:]
    random.Random(4).shuffle(shuffled)
    assert shuffled != exps
    assert _verdicts(exps, _run(box, broken, shuffled)) == _verdicts(exps, _run(box, broken, exps))


def test_an_example_without_output_that_raises_fails_and_the_session_goes_on(
    box: Sandbox, folder: Path
) -> None:
    source = COUNTER.replace(">>> c.add(2)", ">>> c.add(-2)")
    exps = _expectations(folder, source)
    results = _run(box, source, exps)
    statuses = [r.status for r in results]
    assert statuses[1] == "error"
    assert results[1].actual == "ValueError: only positive steps"
    # doctest goes on after a failure, in the same namespace: `c` exists.
    assert statuses[0] == "pass" and statuses[3] == "pass"
    failing = {e.origin.line for e, r in zip(exps, results, strict=True) if not r.passed}
    assert failing == _doctest_failing_lines(source, folder)


def test_tracing_changes_no_verdict_and_no_exception_text(box: Sandbox, folder: Path) -> None:
    source = COUNTER.replace("ValueError: only positive steps", "ValueError: only positive")
    exps = _expectations(folder, source)
    module = analyze_module(source, str(folder / "mod.py"))
    spec = TraceSpec(blocks={q: f.blocks for q, f in module.functions.items()})
    plain = _run(box, source, exps)
    traced = _run(box, source, exps, trace=spec)
    assert [(r.status, r.actual) for r in plain] == [(r.status, r.actual) for r in traced]
    assert [r.status for r in plain].count("fail") == 1
    wrong = next(r for r in traced if r.status == "fail")
    assert wrong.actual == "ValueError: only positive steps\n"
    assert wrong.trace is not None and any(c.function == "Counter.add" for c in wrong.trace.calls)


def test_stop_at_first_failure_stops_inside_the_session(box: Sandbox, folder: Path) -> None:
    broken = COUNTER.replace("self.total += n", "self.total = n")
    exps = _expectations(folder, broken)
    results = _run(box, broken, exps, stop_at_first_failure=True)
    assert [r.status for r in results] == ["pass", "pass", "pass", "pass", "fail"]


def test_an_example_that_loops_times_out_and_its_docstring_goes_on(
    box: Sandbox, folder: Path
) -> None:
    source = COUNTER.replace(">>> c.add(3)", ">>> while True: pass")
    exps = _expectations(folder, source)
    results = _run(box, source, exps, wall_seconds=3)
    assert [r.status for r in results] == [
        "pass",
        "pass",
        "pass",
        "timeout",
        "fail",
        "pass",
        "fail",
    ]
    assert results[4].actual == "2\n"  # the state the loop left: `add(3)` never ran


def test_option_flags_of_the_expectation_apply_to_the_whole_docstring(
    box: Sandbox, folder: Path
) -> None:
    source = textwrap.dedent(
        '''
        def numbers():
            """
            >>> numbers()
            [0, 1, 2, ...]
            >>> numbers()  # doctest: +ELLIPSIS
            [0, 1, 2, ...]
            """
            return list(range(10))
        '''
    )
    exps = _expectations(folder, source)
    assert [r.status for r in _run(box, source, exps)] == ["fail", "pass"]
    with_flags = [Expectation(**{**e.__dict__, "optionflags": doctest.ELLIPSIS}) for e in exps]
    assert [r.status for r in _run(box, source, with_flags)] == ["pass", "pass"]


def test_an_example_that_escapes_doctest_ends_its_docstring(box: Sandbox, folder: Path) -> None:
    # doctest lets KeyboardInterrupt through: the examples after it never run.
    source = COUNTER.replace(">>> c.add(3)", ">>> raise KeyboardInterrupt")
    exps = _expectations(folder, source)
    results = _run(box, source, exps)
    assert [r.status for r in results] == ["pass"] * 3 + ["crash"] * 4
    assert results[3].message == "the code raised KeyboardInterrupt"
    assert "not run: an earlier example of this docstring was interrupted" in results[4].message
