"""`Suspect.summary`: why a line is suspect in plain words, and only what the runs show
(debugger/localize/plain_words.py). Traces made by hand, then once through the real engine."""

from __future__ import annotations

import pytest

from mgdebug.debugger.engine import debug_source
from mgdebug.debugger.localize.plain_words import (
    describe_suspects,
    note_checked_fixes,
    only_initialises,
)
from mgdebug.debugger.report import Fix, Report, Suspect
from mgdebug.debugger.results import BlockSnapshot, CallRecord, ExpectationResult, TraceData

TOTAL = '''\
def total(xs):
    """
    >>> total([1, 2, 3])
    6
    >>> total([])
    0
    """
    s = 0
    for x in xs[1:]:
        s += x
    return s
'''
INTERNAL = ("score", "metallaxis", "ochiai", "muse", "block", "judged")


@pytest.mark.parametrize(
    "line",
    ["s = 0", "    result = []", "a, b = 0, 1", "x: int = 0", "d = {}", "n = -1", "out = list()"],
)
def test_a_bare_literal_assignment_only_initialises(line: str) -> None:
    assert only_initialises(line)


@pytest.mark.parametrize(
    "line", ["s = f(x)", "s += 1", "return 0", "x = y", "if x: y = 0", "xs[0] = 1", "s = 0; t(s)"]
)
def test_a_computation_or_a_call_is_more_than_an_initialisation(line: str) -> None:
    assert not only_initialises(line)


def snap(line: int, iteration: int = 0, **values: str) -> BlockSnapshot:
    return BlockSnapshot("total", 0, line, dict(values), iteration)


def failing_total(**extra: object) -> ExpectationResult:
    """`total([1, 2, 3])` returning 5: the loop from the second element."""
    trace = TraceData(
        lines=[8, 9, 10, 11],
        calls=[CallRecord("total", 0, {"xs": "[1, 2, 3]"}, result="5")],
        snapshots=[
            snap(8, s="0"),
            snap(9, s="0", x="2"),
            snap(10, s="2", x="2"),
            snap(9, 1, s="2", x="3"),
            snap(10, 1, s="5", x="3"),
            snap(9, 2, s="5", x="3"),
            snap(11, s="5", x="3"),
        ],
    )
    for name, value in extra.items():
        setattr(trace, name, value)
    return ExpectationResult("e1", "fail", actual="5\n", expected="6\n", trace=trace)


def passing_total() -> ExpectationResult:
    trace = TraceData(lines=[8, 9, 11], calls=[CallRecord("total", 0, {"xs": "[]"}, result="0")])
    return ExpectationResult("e2", "pass", actual="0\n", expected="0\n", trace=trace)


def summaries(results: list[ExpectationResult]) -> dict[int, str]:
    suspects = [
        Suspect("total", line, 0.5, "judged on 1 failing run(s)") for line in (8, 9, 10, 11)
    ]
    report = Report(path="total.py", suspects=suspects, results=results)
    describe_suspects(report, TOTAL, {8: 0.57, 9: 1.0, 10: 0.33})
    return {s.line: s.summary for s in report.suspects}


def fix(summary: str, line: int = 9, validated: bool = True) -> Fix:
    return Fix("total", "", "", validated, "search", summary, line=line)


def test_the_loop_variable_never_taking_an_element_of_the_argument_is_said() -> None:
    said = summaries([failing_total(), passing_total()])
    assert said[9].startswith("`x` never takes 1 here although the failing call passes [1, 2, 3]")


def test_no_claim_about_a_loop_when_the_trace_dropped_values_or_saw_two_calls() -> None:
    assert "never takes" not in summaries([failing_total(dropped_snapshots=3)])[9]
    twice = failing_total()
    assert twice.trace is not None
    twice.trace.calls.append(CallRecord("total", 1, {"xs": "[2, 3]"}, result="3"))
    assert "never takes" not in summaries([twice])[9]


def test_lines_only_failing_runs_reach_and_where_the_returned_value_is_computed() -> None:
    said = summaries([failing_total(), passing_total()])
    assert said[10] == (
        "the returned value 5 is computed here (`s`); only the failing runs reach this line"
    )
    assert said[11] == "`total([1, 2, 3])` returns 5 here, not the expected 6"
    assert said[8] == "small edits to this line change the failing result", "`s = 0` holds no 5"
    without_passing = summaries([failing_total()])
    assert "only the failing runs" not in without_passing[10], "no passing run to compare with"


def test_a_passing_run_that_never_calls_the_function_says_nothing_about_its_lines() -> None:
    elsewhere = ExpectationResult(
        "e3", "pass", trace=TraceData(lines=[20], calls=[CallRecord("other", 0, {})])
    )
    assert "only the failing runs" not in summaries([failing_total(), elsewhere])[10]


def test_with_nothing_else_to_say_the_failing_call_is_named() -> None:
    report = Report(
        path="total.py", suspects=[Suspect("total", 8, 0.5, "r")], results=[failing_total()]
    )
    describe_suspects(report, TOTAL)
    assert (
        report.suspects[0].summary == "the failing call `total([1, 2, 3])` goes through this line"
    )


def test_the_line_that_raised_names_the_call_and_the_exception() -> None:
    raised = ExpectationResult(
        "e1",
        "error",
        actual="IndexError: list index out of range",
        expected="0\n",
        error_line=11,
        trace=TraceData(lines=[8, 11], calls=[CallRecord("total", 0, {"xs": "[]"})]),
    )
    said = summaries([raised])
    assert said[11].startswith(
        "the failing call `total([])` raises IndexError: list index out of range here"
    )


def test_a_checked_fix_comes_first_with_its_change_and_is_replaced_when_fixes_change() -> None:
    suspects = [Suspect("total", 9, 0.8, "r", summary="`x` never takes 1 here")]
    report = Report(path="total.py", suspects=suspects, fixes=[fix("delete `[1:]` on line 9")])
    note_checked_fixes(report)
    assert report.suspects[0].summary == (
        "a checked fix changes this line: delete `[1:]`; `x` never takes 1 here"
    )
    report.fixes = [fix("`xs[1:]` → `xs` on line 9"), fix("`1` → `0` on line 9")]
    note_checked_fixes(report)
    assert report.suspects[0].summary == (
        "a checked fix changes this line: `xs[1:]` → `xs`; `x` never takes 1 here"
    ), "the best-ranked fix, once"
    report.fixes = [fix("`xs[1:]` → `xs` on line 9", validated=False)]
    note_checked_fixes(report)
    assert report.suspects[0].summary == "`x` never takes 1 here", "only checked fixes count"


def test_summaries_carry_no_scores_or_internal_terms() -> None:
    for summary in summaries([failing_total(), passing_total()]).values():
        assert summary and not any(word in summary.lower() for word in INTERNAL), summary


def test_the_engine_fills_the_summary_of_the_top_suspect(tmp_path) -> None:
    path = tmp_path / "total.py"
    path.write_text(TOTAL)
    report = debug_source(TOTAL, str(path))
    top = report.suspects[0]
    assert top.line == 9
    assert top.summary.startswith("a checked fix changes this line: ")
    assert "`x` never takes 1 here although the failing call passes [1, 2, 3]" in top.summary
    assert all(s.summary for s in report.suspects)


def test_no_claim_about_the_returned_value_when_the_function_was_called_twice() -> None:
    recursive = failing_total()
    assert recursive.trace is not None
    recursive.trace.calls.append(CallRecord("total", 1, {"xs": "[2, 3]"}, result="5"))
    said = summaries([recursive])
    assert "returns 5" not in said[11] and "computed here" not in said[10]
