"""Ochiai and the line spectrum (debugger/localize/blame.py), on hand-made traces.

ochiai(l) = failed(l) / sqrt(total_failed * (failed(l) + passed(l))): a line
scores 1 when it runs in every failing run and in no passing one.
"""

from __future__ import annotations

import math

import pytest

from mgdebug.debugger.localize.blame import ochiai, spectrum
from mgdebug.debugger.results import ExpectationResult, RunStatus, TraceData


def run(status: RunStatus, lines: list[int] | None, name: str = "e") -> ExpectationResult:
    trace = None if lines is None else TraceData(lines=lines)
    return ExpectationResult(expectation_id=name, status=status, trace=trace)


def test_a_line_in_every_failing_run_and_no_passing_one_scores_one() -> None:
    assert ochiai(failed=3, passed=0, total_failed=3) == 1.0


def test_a_line_no_failing_run_executed_scores_zero() -> None:
    assert ochiai(failed=0, passed=5, total_failed=2) == 0.0


def test_without_failing_runs_every_line_scores_zero() -> None:
    assert ochiai(failed=0, passed=0, total_failed=0) == 0.0


def test_passing_runs_through_a_line_lower_its_score() -> None:
    assert ochiai(1, 1, 2) == pytest.approx(1 / math.sqrt(2 * 2))
    assert ochiai(2, 0, 2) > ochiai(2, 1, 2) > ochiai(2, 3, 2)


def test_a_line_missing_from_some_failing_runs_scores_lower() -> None:
    assert ochiai(1, 0, 2) == pytest.approx(1 / math.sqrt(2))
    assert ochiai(1, 0, 2) < ochiai(2, 0, 2)


def test_spectrum_ranks_the_line_only_failing_runs_execute_highest() -> None:
    results = [
        run("pass", [1, 2, 4], "ok"),
        run("fail", [1, 2, 3], "bad"),
    ]
    scores = spectrum(results, {1, 2, 3, 4})
    assert scores[3] == 1.0
    assert scores[1] == scores[2] == pytest.approx(1 / math.sqrt(2))
    assert scores[4] == 0.0  # ran, but only in a passing run
    assert max(scores, key=lambda line: scores[line]) == 3


def test_spectrum_scores_only_the_lines_asked_for() -> None:
    results = [run("fail", [1, 2, 3])]
    assert set(spectrum(results, {2, 3, 9})) == {2, 3}


def test_lines_no_run_executed_get_no_score() -> None:
    scores = spectrum([run("fail", [1]), run("pass", [1])], {1, 2})
    assert scores == {1: pytest.approx(1 / math.sqrt(2))}


@pytest.mark.parametrize("status", ["error", "timeout", "crash"])
def test_every_kind_of_failure_counts_as_failing(status: RunStatus) -> None:
    scores = spectrum([run(status, [5]), run("pass", [6])], {5, 6})
    assert scores == {5: 1.0, 6: 0.0}


def test_a_skipped_run_counts_neither_as_passing_nor_failing() -> None:
    alone = spectrum([run("fail", [1, 2]), run("pass", [2])], {1, 2})
    with_skip = spectrum([run("fail", [1, 2]), run("pass", [2]), run("skip", [1, 2])], {1, 2})
    assert with_skip == alone


def test_a_run_without_a_trace_is_left_out() -> None:
    # A run that never traced (it timed out before the module loaded) tells
    # nothing about lines, and must not count in total_failed either.
    alone = spectrum([run("fail", [1])], {1})
    assert spectrum([run("fail", [1]), run("timeout", None)], {1}) == alone == {1: 1.0}


def test_no_runs_give_no_scores() -> None:
    assert spectrum([], {1, 2}) == {}
