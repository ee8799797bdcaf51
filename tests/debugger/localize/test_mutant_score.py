"""How one mutant's reruns score its line (debugger/localize/mutation.py: mutant_score).

A mutant that changes the failing runs points at its line; one that makes a
failing run pass (fail-to-pass) weighs double; breaking passing runs lowers it.
"""

from __future__ import annotations

import pytest

from mgdebug.debugger.localize.mutation import FIXED_WEIGHT, mutant_score
from mgdebug.debugger.results import ExpectationResult, RunStatus


def res(name: str, status: RunStatus, actual: str | None = None) -> ExpectationResult:
    return ExpectationResult(expectation_id=name, status=status, actual=actual)


def baseline(*results: ExpectationResult) -> dict[str, ExpectationResult]:
    return {r.expectation_id: r for r in results}


ONE_FAILING = baseline(res("bad", "fail", "3"))
FAILING_AND_PASSING = baseline(res("bad", "fail", "3"), res("ok", "pass", "1"))


def test_a_mutant_that_changes_nothing_scores_zero() -> None:
    assert mutant_score(FAILING_AND_PASSING, [res("bad", "fail", "3"), res("ok", "pass", "1")]) == 0


def test_a_new_wrong_value_counts_as_a_change() -> None:
    changed = mutant_score(ONE_FAILING, [res("bad", "fail", "4")])
    assert changed == pytest.approx(1 / (1 + FIXED_WEIGHT))


def test_a_new_status_counts_as_a_change() -> None:
    assert mutant_score(ONE_FAILING, [res("bad", "error", "3")]) > 0


def test_fail_to_pass_weighs_double() -> None:
    assert FIXED_WEIGHT == 2.0
    changed = mutant_score(ONE_FAILING, [res("bad", "fail", "4")])
    fixed = mutant_score(ONE_FAILING, [res("bad", "pass", "4")])
    assert fixed == pytest.approx(1.0)
    # The change alone is one third; making it pass adds two more thirds.
    assert fixed - changed == pytest.approx(2 * changed)


def test_breaking_a_passing_run_lowers_the_score() -> None:
    clean = mutant_score(FAILING_AND_PASSING, [res("bad", "pass"), res("ok", "pass", "1")])
    broken = mutant_score(FAILING_AND_PASSING, [res("bad", "pass"), res("ok", "fail", "2")])
    assert clean == pytest.approx(1.0)
    assert 0 < broken < clean


def test_breaking_only_passing_runs_scores_zero() -> None:
    # The failing run is untouched: the mutant says nothing about the bug.
    assert mutant_score(FAILING_AND_PASSING, [res("bad", "fail", "3"), res("ok", "fail")]) == 0


def test_changing_more_of_the_failing_runs_scores_higher() -> None:
    base = baseline(res("a", "fail", "1"), res("b", "fail", "2"))
    one = mutant_score(base, [res("a", "fail", "9"), res("b", "fail", "2")])
    both = mutant_score(base, [res("a", "fail", "9"), res("b", "fail", "8")])
    assert 0 < one < both


def test_without_failing_runs_in_the_baseline_nothing_scores() -> None:
    base = baseline(res("ok", "pass", "1"))
    assert mutant_score(base, [res("ok", "fail", "2")]) == 0


def test_runs_of_unknown_expectations_are_ignored() -> None:
    assert mutant_score(ONE_FAILING, [res("elsewhere", "pass")]) == 0
    assert mutant_score(ONE_FAILING, []) == 0
