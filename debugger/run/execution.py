"""Running expectations inside the sandbox grandchild: load the module, run each kind.

Nothing here confines anything (see sandbox_child.py): by the time these
functions run, the process is already limited and watched.
"""

from __future__ import annotations

import ast
import sys
import time
import types
from collections.abc import Callable, Sequence
from tempfile import gettempdir
from typing import Any

from mgdebug.analysis.model import Expectation

from ..results import ExpectationResult
from ..sandbox.protocol import Order
from ..sandbox.timer import SoftTimer, share
from ..sandbox.verdicts import childs_verdict, code_folders, forget, note, observe_eval
from ..trace.saferepr import cap, describe_exception, safe_repr
from ..trace.tracer import make_tracer
from .doctest_session import DoctestSession
from .module import BoundedWriter, Module, timed_out
from .pytest_session import PytestSession, session_root

_EXPECTATION_FILE = "<expectation>"
_COMPARE_HELPER = "__mgdebug_compare__"


# -- eval and exec (doctest: doctest_session.py, pytest: pytest_session.py) ----


def _run_eval(module: Module, exp: Expectation, ns: dict[str, Any]) -> ExpectationResult:
    exec(exp.setup, ns)
    try:
        actual = eval(compile(exp.call or "None", _EXPECTATION_FILE, "eval", dont_inherit=True), ns)
    except Exception as exc:  # noqa: BLE001
        return module.failure(exp.id, exc)
    try:
        expected = eval(
            compile(exp.expected or "None", _EXPECTATION_FILE, "eval", dont_inherit=True), ns
        )
    except Exception as exc:  # noqa: BLE001
        return ExpectationResult(
            exp.id,
            "error",
            actual=safe_repr(actual),
            message="the expected value could not be evaluated: " + describe_exception(exc),
        )
    try:
        equal = bool(actual == expected)
    except Exception as exc:  # noqa: BLE001
        return module.failure(exp.id, exc)
    # The worker decides (sandbox/verdicts.py); this process's verdict is the same
    # rule, so that stop-at-first-failure stops where the worker's verdict will.
    seen = observe_eval(actual, expected, equal)
    note(exp.id, seen)
    passed, why = childs_verdict(seen)
    return ExpectationResult(
        exp.id, "pass" if passed else "fail", safe_repr(actual), safe_repr(expected), why
    )


class _RecordCompare(ast.NodeTransformer):
    """`assert a == b` -> `assert __mgdebug_compare__(a, b)`, to report both sides."""

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
            call = ast.Call(
                ast.Name(_COMPARE_HELPER, ast.Load()), [test.left, test.comparators[0]], []
            )
            node.test = ast.copy_location(call, test)
        return node


def _compile_exec(code: str) -> types.CodeType:
    try:
        tree = ast.parse(code, _EXPECTATION_FILE)
    except SyntaxError:
        return compile(
            code, _EXPECTATION_FILE, "exec", dont_inherit=True
        )  # raises the user's SyntaxError
    tree = ast.fix_missing_locations(_RecordCompare().visit(tree))
    return compile(tree, _EXPECTATION_FILE, "exec", dont_inherit=True)


def _run_exec(module: Module, exp: Expectation, ns: dict[str, Any]) -> ExpectationResult:
    compared: list[Any] = []

    def compare(left: Any, right: Any) -> Any:
        compared[:] = [left, right]
        return left == right

    ns[_COMPARE_HELPER] = compare
    exec(exp.setup, ns)
    try:
        exec(_compile_exec(exp.code or ""), ns)
    except AssertionError as exc:
        result = module.failure(exp.id, exc)
        result.status = "fail"
        if compared:
            result.actual, result.expected = safe_repr(compared[0]), safe_repr(compared[1])
        return result
    except BaseException as exc:  # noqa: BLE001
        return module.failure(exp.id, exc)
    return ExpectationResult(exp.id, "pass")


# -- the job --------------------------------------------------------------------

Runner = Callable[[Module, Expectation, dict[str, Any]], ExpectationResult]
_RUNNERS: dict[str, Runner] = {"eval": _run_eval, "exec": _run_exec}
Emit = Callable[[int, ExpectationResult], None]


class _Run:
    """One module source against some of the order's expectations."""

    def __init__(self, order: Order, deadline: float, emit: Emit) -> None:
        self.order = order
        self.deadline = deadline
        self.emit = emit
        self.module = Module(order)
        forget()
        code_folders(order.scratch_base, order.scratch_root, order.user_root, gettempdir())
        self.tracer = make_tracer(order.source, order.module_file, order.trace)
        self.module.load(order.source, self.tracer)
        self.timer = SoftTimer()
        self.budget = order.limits.output_bytes

    def report(self, index: int, result: ExpectationResult) -> bool:
        """Send one result; whether the run goes on."""
        self.emit(index, result)
        return result.passed or not self.order.stop_at_first_failure

    def captured(self, text: str) -> str:
        """`text` within what is left of the output budget."""
        kept = cap(text, max(self.budget, 0) + 100)
        self.budget -= len(kept)
        return kept

    def one(self, index: int, left: int) -> bool:
        exp = self.order.expectations[index]
        if self.module.error is not None:
            return self.report(
                index, ExpectationResult(**{**self.module.error.__dict__, "expectation_id": exp.id})
            )
        seconds = share(self.deadline - time.monotonic(), left)
        if seconds <= 0:
            result = ExpectationResult(
                exp.id, "timeout", message="no time left for it (wall clock)"
            )
            return self.report(index, result)
        out = BoundedWriter(max(self.budget, 0))
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = out
        began = time.perf_counter()
        if self.tracer is not None:
            self.tracer.start()
        try:
            with self.timer.limit(seconds):
                result = _RUNNERS[exp.kind](self.module, exp, self.module.namespace())
        except BaseException as exc:  # noqa: BLE001 - setup code may raise anything
            result = self.module.failure(exp.id, exc)
        finally:
            # The limit is off by now: rendering the trace cannot be interrupted.
            trace = self.tracer.stop() if self.tracer is not None else None
            sys.stdout, sys.stderr = saved
        if self.timer.fired:
            result = timed_out(result, seconds)
        result.duration = time.perf_counter() - began
        result.trace = trace
        result.stdout = self.captured(out.text() + result.stdout)
        return self.report(index, result)


def _same_session(order: Order, first: Expectation, exp: Expectation) -> bool:
    return exp.kind == "pytest" and session_root(order, exp) == session_root(order, first)


def _same_docstring(first: Expectation, exp: Expectation) -> bool:
    return exp.kind == "doctest" and first.session is not None and exp.session == first.session


def run_expectations(order: Order, indices: Sequence[int], deadline: float, emit: Emit) -> None:
    """Run the expectations at `indices` in that order, emitting each result once known.

    `deadline` (time.monotonic) is when they all should be done: each gets a
    soft limit, its share of the time left (sandbox_timer.share), and one
    that runs out is reported as "timeout", with its trace, and the run goes on.
    """
    run = _Run(order, deadline, emit)
    position = 0
    while position < len(indices):
        first = order.expectations[indices[position]]
        left = len(indices) - position
        if first.kind == "pytest" and run.module.error is None:
            end = position + 1
            while end < len(indices) and _same_session(
                order, first, order.expectations[indices[end]]
            ):
                end += 1
            go = PytestSession(run, indices[position:end], left).main()
            position = end
        elif first.kind == "doctest" and run.module.error is None:
            # The examples of one docstring are one doctest session (run_plan
            # puts them together, in the docstring's order).
            end = position + 1
            while end < len(indices) and _same_docstring(first, order.expectations[indices[end]]):
                end += 1
            go = DoctestSession(run, indices[position:end], left).main()
            position = end
        else:
            go = run.one(indices[position], left)
            position += 1
        if not go:
            return
