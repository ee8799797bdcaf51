"""The rewriting tracer in-process: what the rewritten module records, and that it
behaves exactly like the module it was rewritten from."""

from __future__ import annotations

import asyncio
import traceback
from typing import Any

import pytest

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.results import TraceData
from mgdebug.debugger.sandbox.pool import TraceSpec
from mgdebug.debugger.trace.tracer import KEEP, Tracer, make_tracer

FILE = "/virtual/code.py"

SOURCE = """\
import asyncio
hits = 0


def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 1)


def evens(n):
    for i in range(n):
        if i % 2 == 0:
            yield i


def consume(n):
    total = 0
    for v in evens(n):
        total += fact(v)
    return total


def find(xs, target):
    for i, x in enumerate(xs):
        if x == target:
            break
    else:
        return -1
    return i


def divide(a, b):
    try:
        q = a // b
    finally:
        done = True
    return q


def outer_divide(a, b):
    return divide(a, b) + 1


def maybe(flag):
    if flag:
        value = 1
    return value


def survive(xs):
    bad = 0
    for x in xs:
        try:
            1 / x
        except ZeroDivisionError as e:
            bad += 1
    return bad


def bump():
    global hits
    hits += 1
    return hits


def counter():
    count = 0
    def inc():
        nonlocal count
        count += 1
    inc()
    inc()
    return count


def kind(v):
    match v:
        case 0:
            return "zero"
        case [a, b]:
            return a + b
    return "other"


def grow(n):
    out = []
    for i in range(n):
        out.append(i)
    return out


async def twice(x):
    await asyncio.sleep(0)
    return 2 * x


class Box:
    def __init__(self, v):
        self.v = v

    def __repr__(self):
        return f"Box({self.v})"

    def get(self):
        return self.v


def boxed(v):
    box = Box(v)
    return box.get()


def _mgdebug_clash(_mgdebug_rec):
    return _mgdebug_rec + 1


def helper_untraced(x):
    y = x * 2
    return y
"""


def _spec(source: str) -> TraceSpec:
    module = analyze_module(source, FILE)
    return TraceSpec(
        blocks={q: f.blocks for q, f in module.functions.items() if q != "helper_untraced"}
    )


def _load(source: str = SOURCE) -> tuple[Tracer, dict[str, Any]]:
    tracer = make_tracer(source, FILE, _spec(source))
    assert tracer is not None
    namespace: dict[str, Any] = {"__name__": "code"}
    tracer.install(namespace)
    exec(tracer.code, namespace)
    return tracer, namespace


@pytest.fixture(scope="module")
def loaded() -> tuple[Tracer, dict[str, Any]]:
    return _load()


def trace(loaded: tuple[Tracer, dict[str, Any]], call: str) -> tuple[Any, TraceData]:
    tracer, namespace = loaded
    tracer.start()
    try:
        value: Any = eval(call, namespace)
    except Exception as exc:  # noqa: BLE001 - the test looks at it
        value = exc
    return value, tracer.stop()


def _plain(source: str = SOURCE) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "code"}
    exec(compile(source, FILE, "exec"), namespace)
    return namespace


def test_recursion_depth_and_results(loaded: Any) -> None:
    value, data = trace(loaded, "fact(3)")
    assert value == 6
    assert [(c.function, c.depth, c.args, c.result) for c in data.calls] == [
        ("fact", 0, {"n": "3"}, "6"),
        ("fact", 1, {"n": "2"}, "2"),
        ("fact", 2, {"n": "1"}, "1"),
    ]


def test_a_suspended_generator_is_not_on_the_stack(loaded: Any) -> None:
    value, data = trace(loaded, "consume(4)")
    assert value == 1 + 2
    calls = [(c.function, c.depth, c.result) for c in data.calls]
    # fact runs while evens is suspended: it is nested in consume only.
    assert calls == [
        ("consume", 0, "3"),
        ("evens", 1, "None"),
        ("fact", 1, "1"),
        ("fact", 1, "2"),
        ("fact", 2, "1"),
    ]


def test_exceptions_through_frames_and_finally(loaded: Any) -> None:
    value, data = trace(loaded, "outer_divide(1, 0)")
    assert isinstance(value, ZeroDivisionError)
    assert [(c.function, c.exception) for c in data.calls] == [
        ("outer_divide", "ZeroDivisionError: integer division or modulo by zero"),
        ("divide", "ZeroDivisionError: integer division or modulo by zero"),
    ]
    divide_line = SOURCE.splitlines().index("        q = a // b") + 1
    assert divide_line in data.lines and divide_line + 3 not in data.lines  # `return q`
    raised = [s for s in data.snapshots if s.function == "divide" and s.line == divide_line]
    assert raised and "q" not in raised[0].values


def test_tracebacks_keep_the_users_lines(loaded: Any) -> None:
    _, namespace = loaded
    plain = _plain()
    lines = SOURCE.splitlines()
    expected = [
        ("outer_divide", lines.index("    return divide(a, b) + 1") + 1),
        ("divide", lines.index("        q = a // b") + 1),
    ]
    for ns in (namespace, plain):
        with pytest.raises(ZeroDivisionError) as info:
            ns["outer_divide"](1, 0)
        assert [(f.name, f.lineno) for f in traceback.extract_tb(info.tb)[1:]] == expected
    assert namespace["fact"].__code__.co_firstlineno == plain["fact"].__code__.co_firstlineno


def test_loop_else_break_and_lines(loaded: Any) -> None:
    value, data = trace(loaded, "find([5, 6, 7], 6)")
    assert value == 1
    lines = SOURCE.splitlines()
    else_return = lines.index("        return -1") + 1
    assert else_return not in data.lines
    assert lines.index("            break") + 1 in data.lines
    value, data = trace(loaded, "find([5], 6)")
    assert value == -1 and else_return in data.lines


def test_unbound_and_handler_names_are_left_out(loaded: Any) -> None:
    value, data = trace(loaded, "maybe(False)")
    assert isinstance(value, UnboundLocalError)
    assert all("value" not in s.values for s in data.snapshots)
    value, data = trace(loaded, "survive([1, 0] * 20)")
    assert value == 20
    loop = [s for s in data.snapshots if s.function == "survive" and "x" in s.values]
    assert loop and all("e" not in s.values for s in loop if s.block != max(s.block for s in loop))


def test_global_nonlocal_match_async(loaded: Any) -> None:
    assert trace(loaded, "bump()")[0] == trace(loaded, "bump()")[0] - 1
    value, data = trace(loaded, "counter()")
    assert value == 2
    assert [c.function for c in data.calls] == ["counter", "counter.inc", "counter.inc"]
    assert trace(loaded, "kind([1, 2])")[0] == 3
    assert trace(loaded, "kind('x')")[0] == "other"
    value, data = trace(loaded, "asyncio.run(twice(4))")
    assert value == 8 and [(c.function, c.result) for c in data.calls] == [("twice", "8")]


def test_methods_and_the_modules_own_reprs(loaded: Any) -> None:
    value, data = trace(loaded, "boxed(3)")
    assert value == 3
    assert [c.function for c in data.calls] == ["boxed", "Box.__init__", "Box.get"]
    (snap,) = [s for s in data.snapshots if s.function == "boxed"]
    assert snap.values["box"] == "Box(3)"
    repr_line = SOURCE.splitlines().index('        return f"Box({self.v})"') + 1
    assert repr_line not in data.lines  # rendering is not part of the run


def test_long_loops_show_mutable_values_as_they_were(loaded: Any) -> None:
    value, data = trace(loaded, "grow(100)")
    assert value == list(range(100))
    line = SOURCE.splitlines().index("        out.append(i)") + 1
    body = [s for s in data.snapshots if s.function == "grow" and s.line == line]
    assert [s.iteration for s in body] == list(range(KEEP)) + list(range(100 - KEEP, 100))
    assert body[-1].values["out"].startswith("[0, 1, 2")  # long list: rendered at capture
    assert body[0].values["out"] == "[0]"


def test_names_like_ours_and_functions_outside_the_spec_are_left_alone(loaded: Any) -> None:
    value, data = trace(loaded, "_mgdebug_clash(1) + helper_untraced(2)")
    assert value == 6
    assert [c.function for c in data.calls] == ["_mgdebug_clash"]
    lines = SOURCE.splitlines()
    untraced = {lines.index("    y = x * 2") + 1, lines.index("    return y") + 1}
    assert not untraced & set(data.lines)  # not rewritten at all: huge files stay cheap


def test_the_rewritten_module_computes_what_the_source_does(loaded: Any) -> None:
    _, namespace = loaded
    plain = _plain()
    for call in ["consume(9)", "find([1, 2], 2)", "survive([0, 1, 0])", "kind([1])", "grow(3)"]:
        assert eval(call, namespace) == eval(call, plain)


def test_a_source_that_does_not_parse_is_not_traced() -> None:
    assert make_tracer("def f(:\n", FILE, TraceSpec(blocks={})) is None
    assert make_tracer("x = 1\n", FILE, None) is None


def test_the_first_lines_of_generators_that_never_finish_are_kept() -> None:
    tracer, namespace = _load("def gen():\n    x = 1\n    yield x\n    yield 2\n")
    tracer.start()
    it = namespace["gen"]()
    assert next(it) == 1
    data = tracer.stop()
    assert {2, 3} <= set(data.lines)
    del it
    asyncio.set_event_loop_policy(None)
