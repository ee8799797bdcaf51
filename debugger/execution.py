"""Running expectations inside the sandbox grandchild: load the module, run each kind.

Nothing here confines anything (see sandbox_child.py): by the time these
functions run, the process is already limited and watched.
"""

from __future__ import annotations

import ast
import doctest
import io
import linecache
import re
import sys
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

from mgdebug.analysis.model import Expectation

from .results import ExpectationResult, RunStatus
from .saferepr import cap, describe_exception, safe_repr
from .sandbox_protocol import Order
from .tracer import Tracer

MESSAGE_LIMIT = 4000
_EXPECTATION_FILE = "<expectation>"
_COMPARE_HELPER = "__mgdebug_compare__"


class BoundedWriter(io.TextIOBase):
    """A stdout that keeps the first `limit` characters and counts the rest."""

    def __init__(self, limit: int) -> None:
        self._parts: list[str] = []
        self._room = limit
        self._dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        kept = text[: max(self._room, 0)]
        if kept:
            self._parts.append(kept)
            self._room -= len(kept)
        self._dropped += len(text) - len(kept)
        return len(text)

    def text(self) -> str:
        kept = "".join(self._parts)
        if self._dropped:
            kept += f"\n... [output truncated: {self._dropped} more characters]"
        return kept


class Module:
    """The module under test, executed from `order.source` and registered in sys.modules."""

    def __init__(self, order: Order) -> None:
        self.file = order.module_file
        self.module = types.ModuleType(order.module_name)
        self.module.__file__ = order.module_file
        self.error: ExpectationResult | None = None
        lines = order.source.splitlines(keepends=True)
        # Tracebacks, doctest and inspect read the source from linecache: give
        # them job.source whatever the scratch file holds (other workers may
        # be rewriting it with another candidate).
        linecache.cache[order.module_file] = (len(order.source), None, lines, order.module_file)
        sys.modules[order.module_name] = self.module

    def load(self, source: str) -> None:
        try:
            code = compile(source, self.file, "exec")
            exec(code, self.module.__dict__)
        except BaseException as exc:  # noqa: BLE001 - the module's top level may do anything
            self.error = self.failure("", exc)
            self.error.message = "the module failed to load: " + self.error.message

    def namespace(self) -> dict[str, Any]:
        """A fresh copy of the module's globals per expectation, as doctest does."""
        return dict(self.module.__dict__)

    def error_line(self, tb: types.TracebackType | None) -> int | None:
        line = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.file:
                line = tb.tb_lineno
            tb = tb.tb_next
        return line

    def failure(self, expectation_id: str, exc: BaseException) -> ExpectationResult:
        """The result for code that raised (or exited) instead of returning."""
        status: RunStatus = "error"
        text = describe_exception(exc, MESSAGE_LIMIT)
        if isinstance(exc, SystemExit):
            status, text = "crash", f"the code called sys.exit({exc.code!r})"
        elif isinstance(exc, KeyboardInterrupt):
            status, text = "crash", "the code raised KeyboardInterrupt"
        elif isinstance(exc, SyntaxError) and exc.filename == self.file:
            return ExpectationResult(
                expectation_id, "error", cap(text, 200), None, text, exc.lineno
            )
        return ExpectationResult(
            expectation_id,
            status,
            actual=cap(text, 200),
            message=text,
            error_line=self.error_line(exc.__traceback__),
        )


# -- the four kinds -------------------------------------------------------------


def _run_eval(module: Module, exp: Expectation, ns: dict[str, Any]) -> ExpectationResult:
    exec(exp.setup, ns)
    try:
        actual = eval(compile(exp.call or "None", _EXPECTATION_FILE, "eval"), ns)
    except Exception as exc:  # noqa: BLE001
        return module.failure(exp.id, exc)
    try:
        expected = eval(compile(exp.expected or "None", _EXPECTATION_FILE, "eval"), ns)
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
    return ExpectationResult(
        exp.id, "pass" if equal else "fail", safe_repr(actual), safe_repr(expected)
    )


class _DoctestRunner(doctest.DocTestRunner):
    outcome: tuple[str, Any] = ("error", None)

    def report_start(self, out: Any, test: Any, example: Any) -> None:
        pass

    def report_success(self, out: Any, test: Any, example: Any, got: str) -> None:
        self.outcome = ("pass", got)

    def report_failure(self, out: Any, test: Any, example: Any, got: str) -> None:
        self.outcome = ("fail", got)

    def report_unexpected_exception(self, out: Any, test: Any, example: Any, exc_info: Any) -> None:
        self.outcome = ("raised", exc_info[1])


def _run_doctest(module: Module, exp: Expectation, ns: dict[str, Any]) -> ExpectationResult:
    exec(exp.setup, ns)
    want = exp.want or ""
    example = doctest.Example(
        exp.call or "", want if not want or want.endswith("\n") else want + "\n"
    )
    test = doctest.DocTest([example], ns, exp.id, module.file, exp.origin.line, None)
    runner = _DoctestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    runner.run(test, out=lambda text: None, clear_globs=False)
    kind, value = runner.outcome
    if kind == "raised":
        result = module.failure(exp.id, value)
        result.expected = cap(want, MESSAGE_LIMIT)
        return result
    status: RunStatus = "pass" if kind == "pass" else "fail"
    return ExpectationResult(exp.id, status, cap(value, MESSAGE_LIMIT), cap(want, MESSAGE_LIMIT))


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
        return compile(code, _EXPECTATION_FILE, "exec")  # raises the user's SyntaxError
    tree = ast.fix_missing_locations(_RecordCompare().visit(tree))
    return compile(tree, _EXPECTATION_FILE, "exec")


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


_ASSERT_EQ = re.compile(r"^(?:AssertionError: )?assert (.+?) == (.+)$")


class _PytestCollector:
    """A pytest plugin that keeps what we report: outcome, exception, output."""

    def __init__(self) -> None:
        self.reports: list[Any] = []
        self.errors: list[Any] = []  # collection errors
        self.exception: BaseException | None = None

    def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
        if call.excinfo is not None and self.exception is None:
            self.exception = call.excinfo.value

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.reports.append(report)

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.errors.append(report)


def _run_pytest(module: Module, exp: Expectation, order: Order) -> ExpectationResult:
    import pytest

    test_file = order.test_files.get(exp.test_file or "", exp.test_file or "")
    target = test_file
    if exp.nodeid and "::" in exp.nodeid:
        target += "::" + exp.nodeid.split("::", 1)[1]
    rootdir = test_file.rsplit("/", 1)[0] or "/"
    plugin = _PytestCollector()
    saved = sys.stdout, sys.stderr
    # pytest's own report is noise, except to explain a run that ran nothing.
    report_out = BoundedWriter(MESSAGE_LIMIT * 4)
    sys.stdout = sys.stderr = report_out
    try:
        code = pytest.main(
            [target, "-p", "no:cacheprovider", "-q", "--rootdir", rootdir, "--no-header"],
            plugins=[plugin],
        )
    finally:
        sys.stdout, sys.stderr = saved
    failed = [r for r in plugin.reports if r.failed] + plugin.errors
    output = "".join(
        text for r in plugin.reports for name, text in r.sections if name.startswith("Captured")
    )
    if failed:
        report = failed[0]
        message = cap(str(report.longreprtext), MESSAGE_LIMIT)
        exc = plugin.exception
        result = (
            module.failure(exp.id, exc) if exc is not None else ExpectationResult(exp.id, "error")
        )
        result.message = message
        result.stdout = output
        if isinstance(exc, AssertionError) and report.when == "call":
            result.status = "fail"
            crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
            match = _ASSERT_EQ.match(str(getattr(crash, "message", "")).split("\n", 1)[0])
            if match:
                result.actual, result.expected = match.group(1), match.group(2)
        return result
    calls = [r for r in plugin.reports if r.when == "call"]
    if not calls:
        skipped = [r for r in plugin.reports if r.skipped]
        if skipped:
            return ExpectationResult(exp.id, "pass", message="skipped: " + _skip_reason(skipped[0]))
        said = report_out.text()
        return ExpectationResult(
            exp.id,
            "error",
            message=f"pytest ran no test for {target} (exit status {int(code)})\n"
            + said[-MESSAGE_LIMIT:],
        )
    if calls[0].skipped:  # xfail
        return ExpectationResult(exp.id, "pass", message="xfail", stdout=output)
    return ExpectationResult(exp.id, "pass", stdout=output)


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""


# -- the job --------------------------------------------------------------------

Runner = Callable[[Module, Expectation, dict[str, Any]], ExpectationResult]
_RUNNERS: dict[str, Runner] = {"eval": _run_eval, "doctest": _run_doctest, "exec": _run_exec}


def run_expectations(order: Order, start: int) -> Iterator[tuple[int, ExpectationResult]]:
    """Run `order.expectations[start:]`, yielding each result as soon as it is known."""
    module = Module(order)
    module.load(order.source)
    tracer = Tracer(order.module_file, order.trace) if order.trace is not None else None
    budget = order.limits.output_bytes
    for index in range(start, len(order.expectations)):
        exp = order.expectations[index]
        if module.error is not None:
            result = ExpectationResult(**{**module.error.__dict__, "expectation_id": exp.id})
            yield index, result
            if order.stop_at_first_failure:
                return
            continue
        out = BoundedWriter(max(budget, 0))
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = out
        began = time.perf_counter()
        if tracer is not None:
            tracer.start()
        try:
            if exp.kind == "pytest":
                result = _run_pytest(module, exp, order)
            else:
                result = _RUNNERS[exp.kind](module, exp, module.namespace())
        except BaseException as exc:  # noqa: BLE001 - setup code may raise anything
            result = module.failure(exp.id, exc)
        finally:
            trace = tracer.stop() if tracer is not None else None
            sys.stdout, sys.stderr = saved
        result.duration = time.perf_counter() - began
        result.trace = trace
        result.stdout = cap(out.text() + result.stdout, max(budget, 0) + 100)
        budget -= len(result.stdout)
        yield index, result
        if order.stop_at_first_failure and not result.passed:
            return
