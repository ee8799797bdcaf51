"""The tracer, run where it runs for real: inside the sandbox, around expectations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mgdebug.analysis.model import BasicBlock, Expectation, Origin
from mgdebug.debugger.results import ExpectationResult
from mgdebug.debugger.sandbox.pool import Job, Sandbox, TraceSpec
from mgdebug.debugger.trace.tracer import KEEP

SOURCE = """\
def total(items):
    acc = 0
    for item in items:
        acc += item
    return acc


def check(x):
    if x < 0:
        raise ValueError("negative")
    return x


def outer(xs):
    kept = [check(x) for x in xs if x != 0]
    return total(kept)


def careful(x):
    try:
        return check(x)
    except ValueError:
        return 0


class Weird:
    def __repr__(self):
        raise RuntimeError("no")


class Long:
    def __repr__(self):
        return "L" * 10_000


def holds_odd_values():
    weird = Weird()
    long = Long()
    return weird
"""

# Blocks as the analysis cuts them: (index, first line, last line, kind).
BLOCKS = {
    "total": [
        (0, 2, 2, "entry"),
        (1, 3, 3, "loop"),
        (2, 4, 4, "loop-body"),
        (3, 5, 5, "after-loop"),
    ],
    "check": [(0, 9, 9, "entry"), (1, 10, 10, "branch"), (2, 11, 11, "after")],
    "outer": [(0, 15, 16, "entry")],
    "careful": [(0, 20, 21, "try"), (1, 22, 23, "except")],
    "holds_odd_values": [(0, 35, 37, "entry")],
}
SPEC = TraceSpec(blocks={name: [BasicBlock(*b) for b in blocks] for name, blocks in BLOCKS.items()})


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    folder: Path = tmp_path_factory.mktemp("traced")
    (folder / "code.py").write_text(SOURCE)
    with Sandbox(str(folder / "code.py"), workers=1) as sandbox:
        yield sandbox


def traced(box: Sandbox, call: str, expected: str = "None") -> ExpectationResult:
    exp = Expectation(
        "x", "", "eval", Origin("code.py", 1, "given"), call, call=call, expected=expected
    )
    (result,) = box.run(Job(SOURCE, [exp], trace=SPEC))
    assert result.trace is not None, result.message
    return result


def test_records_calls_with_arguments_results_and_nesting_depth(box: Sandbox) -> None:
    result = traced(box, "outer([3, 0, 4])", "7")
    assert result.passed
    calls = [(c.function, c.depth, c.args, c.result) for c in result.trace.calls]
    assert calls == [
        ("outer", 0, {"xs": "[3, 0, 4]"}, "7"),
        ("check", 1, {"x": "3"}, "3"),
        ("check", 1, {"x": "4"}, "4"),
        ("total", 1, {"items": "[3, 4]"}, "7"),
    ]


def test_records_exceptions_raised_and_caught(box: Sandbox) -> None:
    result = traced(box, "careful(-1)", "0")
    careful, check = result.trace.calls
    assert (check.function, check.exception, check.result) == (
        "check",
        "ValueError: negative",
        None,
    )
    assert (careful.function, careful.result, careful.exception) == ("careful", "0", None)
    assert {20, 21, 9, 10, 22, 23} <= set(result.trace.lines)


def test_lines_hit_are_the_module_lines_that_ran(box: Sandbox) -> None:
    result = traced(box, "check(5)", "5")
    assert result.trace.lines == [9, 11]


def test_block_snapshots_count_loop_iterations(box: Sandbox) -> None:
    result = traced(box, "total([1, 2, 3])", "6")
    body = [s for s in result.trace.snapshots if s.function == "total" and s.block == 2]
    assert [(s.iteration, s.values["acc"], s.values["item"]) for s in body] == [
        (0, "1", "1"),
        (1, "3", "2"),
        (2, "6", "3"),
    ]
    (after,) = [s for s in result.trace.snapshots if s.block == 3]
    assert (after.line, after.values["acc"]) == (5, "6")


def test_long_loops_keep_first_and_last_snapshots_only(box: Sandbox) -> None:
    result = traced(box, "total(range(1000))", "499500")
    trace = result.trace
    body = [s for s in trace.snapshots if s.block == 2]
    iterations = [s.iteration for s in body]
    assert iterations == list(range(KEEP)) + list(range(1000 - KEEP, 1000))
    assert body[-1].values["acc"] == "499500"
    # The body is left 1000 times, the loop header 1001 (its last test ends the loop).
    assert trace.dropped_snapshots == (1000 - 2 * KEEP) + (1001 - 2 * KEEP)
    assert len(trace.calls) == 1


def test_many_calls_keep_first_and_last_records(box: Sandbox) -> None:
    result = traced(box, "[check(i) for i in range(100)][-1]", "99")
    args = [c.args["x"] for c in result.trace.calls]
    assert args == [str(i) for i in range(KEEP)] + [str(i) for i in range(100 - KEEP, 100)]
    assert result.trace.dropped_calls == 100 - 2 * KEEP


def test_unrepresentable_and_long_values_are_safe(box: Sandbox) -> None:
    result = traced(box, "holds_odd_values() is not None", "True")
    (call,) = result.trace.calls
    # its __repr__ raises: what it holds is shown instead (saferepr.attributes_repr)
    assert call.result == "Weird() (its __repr__ raised RuntimeError)"
    (snap,) = result.trace.snapshots
    assert snap.values["weird"] == "Weird() (its __repr__ raised RuntimeError)"
    assert len(snap.values["long"]) == SPEC.repr_limit and snap.values["long"].endswith("...")
    assert "Weird" not in snap.values and "Long" not in snap.values  # classes are skipped
