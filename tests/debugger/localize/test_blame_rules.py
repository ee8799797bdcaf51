"""The blame rules of debugger/localize/blame.py, one test per rule, on hand-made runs.

The module is analysed from source; the runs (`ExpectationResult` with a
`TraceData` of lines and calls) are written by hand as the tracer would
report them, so each rule is checked in milliseconds, without a sandbox.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import Expectation, ModuleInfo, Origin
from mgdebug.debugger.localize.blame import (
    Localization,
    agree_with_top_suspect,
    function_reports,
    localize,
)
from mgdebug.debugger.report import FunctionReport, FunctionStatus, Suspect
from mgdebug.debugger.results import CallRecord, ExpectationResult, RunStatus, TraceData

SOURCE = textwrap.dedent(
    """\
    def helper(xs):
        total = 0
        for x in xs:
            if x < 0:
                total -= x
            else:
                total += x
        return total

    def mean(xs):
        if not xs:
            return 0
        return helper(xs) / len(xs)
    """
)
HELPER_LINES = set(range(2, 9))
MEAN_LINES = {11, 12, 13}
# What the tracer sees for each call of `mean`; the bug is on line 5.
EMPTY = [11, 12]
POSITIVE = [2, 3, 4, 7, 8, 11, 13]
NEGATIVE = [2, 3, 4, 5, 8, 11, 13]


def module() -> ModuleInfo:
    return analyze_module(SOURCE, "stats.py")


def exp(name: str, function: str) -> Expectation:
    return Expectation(
        id=name,
        function=function,
        kind="eval",
        origin=Origin(path="stats.py", line=1, kind="docstring"),
        description=name,
    )


def ran(
    name: str,
    status: RunStatus,
    lines: list[int],
    calls: Sequence[str] = (),
    error_line: int | None = None,
) -> ExpectationResult:
    trace = TraceData(
        lines=sorted(lines),
        calls=[CallRecord(function=f, depth=i, args={}) for i, f in enumerate(calls)],
    )
    return ExpectationResult(
        expectation_id=name,
        status=status,
        actual="ZeroDivisionError" if error_line else "-1.0",
        error_line=error_line,
        trace=trace,
    )


def blame(
    expectations: list[Expectation], results: list[ExpectationResult]
) -> tuple[Localization, dict[str, FunctionReport]]:
    mod = module()
    reports = function_reports(mod, expectations, results)
    return localize(mod, expectations, results, reports), reports


def test_a_functions_status_comes_from_its_own_expectations_and_skips_count_for_nothing() -> None:
    reports = function_reports(
        module(),
        [exp("m1", "mean"), exp("m2", "mean"), exp("h", "helper")],
        [ran("m1", "pass", EMPTY), ran("m2", "fail", NEGATIVE), ran("h", "skip", [])],
    )
    mean, helper = reports["mean"], reports["helper"]
    assert (mean.status, mean.passed, mean.failed) == ("fail", 1, 1)
    assert [f.expectation_id for f in mean.failures] == ["m2"]
    # A skipped test is neither a pass nor a failure: `helper` stays untested.
    assert (helper.status, helper.passed, helper.failed, helper.skipped) == ("untested", 0, 0, 1)


def test_a_failing_expectation_naming_no_function_is_listed_under_no_name() -> None:
    expectations = [exp("ok", ""), exp("bad", "")]
    reports = function_reports(
        module(), expectations, [ran("ok", "pass", EMPTY), ran("bad", "fail", NEGATIVE)]
    )
    assert (reports[""].passed, reports[""].failed) == (1, 1)
    passing = function_reports(module(), expectations[:1], [ran("ok", "pass", EMPTY)])
    assert "" not in passing  # only a failure needs a place to be shown


def test_nothing_is_blamed_when_every_expectation_passes() -> None:
    loc, reports = blame([exp("m", "mean")], [ran("m", "pass", POSITIVE, ["mean", "helper"])])
    assert loc.blamed is None and loc.suspects == []
    assert not any(r.blamed for r in reports.values())


def test_a_function_whose_own_expectations_fail_is_blamed_before_its_callers() -> None:
    loc, reports = blame(
        [exp("m", "mean"), exp("h", "helper")],
        [
            ran("m", "fail", NEGATIVE, ["mean", "helper"]),
            ran("h", "fail", [2, 3, 4, 5, 8], ["helper"]),
        ],
    )
    assert loc.blamed == "helper"
    assert "`helper` fails its own expectations" in loc.reason
    assert reports["helper"].blamed and not reports["mean"].blamed
    # Its own failing run judges its lines, so the suspects lie in it.
    assert {s.line for s in loc.suspects} <= HELPER_LINES


def test_a_blamed_function_with_failing_expectations_is_judged_by_its_own_runs_only() -> None:
    loc, _ = blame(
        [exp("m", "mean"), exp("h", "helper")],
        [
            ran("m", "fail", POSITIVE, ["mean", "helper"]),  # runs line 7 of helper
            ran("h", "fail", [2, 3, 4, 5, 8], ["helper"]),
        ],
    )
    assert loc.blamed == "helper"
    assert set(loc.ochiai) == {2, 3, 4, 5, 8}  # not line 7: only `mean`'s run reached it
    assert [r.expectation_id for r in loc.failing] == ["h"]


def test_helpers_reached_only_through_a_trusted_function_are_not_suspects() -> None:
    mod = analyze_module(
        textwrap.dedent(
            """\
            def helper(x):
                return x - 1

            def check(x):
                return helper(x) > 0

            def main(x):
                return check(x) and x
            """
        ),
        "m.py",
    )
    expectations = [exp("c", "check"), exp("m", "main")]
    results = [
        ran("c", "pass", [2, 5], ["check", "helper"]),
        ran("m", "fail", [2, 5, 8], ["main", "check", "helper"]),
    ]
    reports = function_reports(mod, expectations, results)
    loc = localize(mod, expectations, results, reports)
    assert loc.blamed == "main"
    assert loc.scope == ["main"]
    assert [s.line for s in loc.suspects] == [8]


def test_a_passing_callee_is_trusted() -> None:
    # Even when the failing run raised inside it: `helper` passes its own
    # expectations, so the caller is blamed and the callee's lines are no suspects.
    loc, _ = blame(
        [exp("m", "mean"), exp("h", "helper")],
        [
            ran("m", "fail", NEGATIVE, ["mean", "helper"], error_line=5),
            ran("h", "pass", [2, 3, 4, 7, 8], ["helper"]),
        ],
    )
    assert loc.blamed == "mean"
    assert loc.scope == ["mean"]
    assert set(loc.scope_lines) <= MEAN_LINES
    assert loc.suspects and {s.line for s in loc.suspects} <= MEAN_LINES


def test_an_untested_helper_that_raised_in_a_failing_run_is_blamed() -> None:
    loc, reports = blame(
        [exp("m", "mean")], [ran("m", "fail", NEGATIVE, ["mean", "helper"], error_line=5)]
    )
    assert loc.blamed == "helper"
    assert "has no expectations of its own and raised" in loc.reason
    assert "on line 5" in loc.reason
    assert reports["helper"].blamed and reports["helper"].blame_reason == loc.reason


def test_an_untested_helper_is_blamed_when_its_line_separates_failing_runs_best() -> None:
    loc, _ = blame(
        [exp("empty", "mean"), exp("pos", "mean"), exp("neg", "mean")],
        [
            ran("empty", "pass", EMPTY, ["mean"]),
            ran("pos", "pass", POSITIVE, ["mean", "helper"]),
            ran("neg", "fail", NEGATIVE, ["mean", "helper"]),
        ],
    )
    # Line 5 runs only in the failing run; every line of `mean` also in a passing one.
    assert loc.ochiai[5] == 1.0 and max(loc.ochiai[ln] for ln in MEAN_LINES & set(loc.ochiai)) < 1
    assert loc.blamed == "helper"
    assert "its line 5 runs in failing runs of `mean`" in loc.reason
    assert loc.suspects[0].line == 5 and loc.suspects[0].function == "helper"


def test_a_helper_line_only_as_suspicious_as_the_callers_leaves_the_blame_on_the_caller() -> None:
    # One failing run, no passing one: every executed line ties at 1.0.
    loc, _ = blame([exp("neg", "mean")], [ran("neg", "fail", NEGATIVE, ["mean", "helper"])])
    assert set(loc.ochiai.values()) == {1.0}
    assert loc.blamed == "mean"
    assert loc.scope == ["mean", "helper"]  # the untested helper's lines are still suspects
    assert {s.function for s in loc.suspects} == {"mean", "helper"}


def test_failing_runs_naming_no_function_blame_the_outermost_function_they_called() -> None:
    loc, _ = blame([exp("t", "")], [ran("t", "fail", NEGATIVE, ["mean", "helper"])])
    assert loc.blamed == "mean"
    # `mean` has no expectation of its own: the reason must not say it fails them.
    assert "fails its own expectations" not in loc.reason
    assert "lowest function the failing runs reach" in loc.reason


def test_failing_runs_that_call_no_function_of_the_file_blame_nothing() -> None:
    loc, _ = blame([exp("t", "")], [ran("t", "fail", [], [])])
    assert loc.blamed is None and loc.suspects == []


def reports_and_suspects(
    top_function: str,
    helper_status: FunctionStatus = "untested",
    reason: str = "judged on 1 failing run(s)",
) -> tuple[list[FunctionReport], list[Suspect]]:
    helper = FunctionReport(name="helper", line=1, end_line=8, status=helper_status)
    mean = FunctionReport(
        name="mean", line=10, end_line=13, status="fail", blamed=True, blame_reason="was blamed"
    )
    top = Suspect(
        function=top_function, line=5 if top_function == "helper" else 13, score=1.0, reason=reason
    )
    other = Suspect(function="mean", line=11, score=0.5, reason="judged on 1 failing run(s)")
    return [helper, mean], [top, other]


def test_an_untested_helper_is_blamed_when_the_top_suspect_line_is_in_it() -> None:
    functions, suspects = reports_and_suspects("helper")
    agree_with_top_suspect(functions, suspects)
    helper, mean = functions
    assert helper.blamed and not mean.blamed and mean.blame_reason == ""
    assert helper.blame_reason == (
        "`helper` has no expectations of its own; its line 5 is the most suspicious line "
        "in the failing runs of `mean`"
    )


def test_a_failing_function_holding_the_top_suspect_line_is_blamed_for_its_own_failures() -> None:
    functions, suspects = reports_and_suspects("helper", helper_status="fail")
    agree_with_top_suspect(functions, suspects)
    assert functions[0].blamed
    assert functions[0].blame_reason.startswith("`helper` fails its own expectations")


def test_the_blame_stays_when_the_top_suspect_line_is_in_the_blamed_function() -> None:
    functions, suspects = reports_and_suspects("mean")
    agree_with_top_suspect(functions, suspects)
    assert [f.blamed for f in functions] == [False, True]
    assert functions[1].blame_reason == "was blamed"


def test_a_checked_fix_on_the_top_line_is_named_in_the_blame_once() -> None:
    functions, suspects = reports_and_suspects(
        "mean", reason="judged on 1 failing run(s); a checked fix changes this line"
    )
    agree_with_top_suspect(functions, suspects)
    agree_with_top_suspect(functions, suspects)  # the engine calls it after each ranking
    assert functions[1].blame_reason == "was blamed; a checked fix changes it"


def test_a_top_suspect_outside_every_function_moves_no_blame() -> None:
    functions, suspects = reports_and_suspects("<module>")
    agree_with_top_suspect(functions, suspects)
    assert [f.blamed for f in functions] == [False, True]
    agree_with_top_suspect(functions, [])
    assert [f.blamed for f in functions] == [False, True]
