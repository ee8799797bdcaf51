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
from collections.abc import Callable, Sequence
from typing import Any

from mgdebug.analysis.model import Expectation

from .results import ExpectationResult, RunStatus
from .saferepr import cap, describe_exception, safe_repr
from .sandbox_protocol import Order
from .sandbox_timer import SoftTimeout, SoftTimer, share
from .tracer import Tracer, make_tracer

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

    def load(self, source: str, tracer: Tracer | None = None) -> None:
        """Run the module's top level: the rewritten module if it is to be traced."""
        try:
            if tracer is not None:
                code = tracer.code
                tracer.install(self.module.__dict__)
            else:
                code = compile(source, self.file, "exec", dont_inherit=True)
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


_ASSERT_EQ = re.compile(r"^(?:AssertionError: )?assert (.+?) == (.+)$")


def _pytest_file(order: Order, exp: Expectation) -> str:
    return order.test_files.get(exp.test_file or "", exp.test_file or "")


def _rootdir(test_file: str) -> str:
    return test_file.rsplit("/", 1)[0] or "/"


class _PytestSession:
    """Consecutive pytest expectations of one test folder, run by one `pytest.main`.

    One session instead of one per test saves pytest's start-up and collection
    per test (0.3-0.5 s each). Acting as a plugin of the session, it maps each
    test item to its expectation by node id; the first item of an expectation
    starts the tracer and the soft limit, and the next expectation's first
    item, or the end of the session, stops them and reports the expectation,
    so a crash later in the session loses no earlier result.
    """

    def __init__(self, run: _Run, indices: Sequence[int], left: int) -> None:
        order = run.order
        self.run = run
        self.indices = indices
        self.left = left  # expectations of the whole run still to go, this session's included
        self.exps = [order.expectations[i] for i in indices]
        self.files = [_pytest_file(order, exp) for exp in self.exps]
        self.prefixes: list[str] = []  # per expectation: its node id as pytest writes it
        self.targets: list[str] = []  # pytest's arguments, without duplicates
        for exp, test_file in zip(self.exps, self.files, strict=True):
            rest = exp.nodeid.split("::", 1)[1] if exp.nodeid and "::" in exp.nodeid else ""
            name = test_file.rsplit("/", 1)[-1]
            self.prefixes.append(f"{name}::{rest}" if rest else name)
            target = f"{test_file}::{rest}" if rest else test_file
            if target not in self.targets:
                self.targets.append(target)
        self.current: int | None = None
        self.settled: set[int] = set()  # positions reported (or skipped after a stop)
        self.stopped = False
        self.reports: dict[int, list[Any]] = {}
        self.exceptions: dict[int, BaseException] = {}
        self.errors: list[Any] = []  # collection reports that failed
        self.began = 0.0
        self.seconds = 0.0
        self.said = BoundedWriter(MESSAGE_LIMIT * 4)  # pytest's own report
        self.code = 0

    def main(self) -> bool:
        """Run the session; whether the run goes on after it."""
        import pytest

        run = self.run
        args = [*self.targets, "-p", "no:cacheprovider", "-q", "--no-header"]
        args += ["--rootdir", _rootdir(self.files[0]), "--continue-on-collection-errors"]
        if run.order.stop_at_first_failure:
            args.append("-x")
        saved = sys.stdout, sys.stderr
        # pytest's own report is noise, except to explain a run that ran nothing.
        sys.stdout = sys.stderr = self.said
        try:
            self.code = int(pytest.main(args, plugins=[_pytest_plugin(self)]))
        finally:
            sys.stdout, sys.stderr = saved
            self.finish()
        self.settle_before(len(self.exps))
        return not self.stopped

    # -- called by the plugin ---------------------------------------------------

    def owner(self, nodeid: str) -> int | None:
        for pos, prefix in enumerate(self.prefixes):
            if nodeid == prefix or nodeid.startswith((prefix + "::", prefix + "[")):
                return pos
        return None

    def item_starts(self, nodeid: str) -> None:
        pos = self.owner(nodeid)
        if pos == self.current or self.stopped:
            return
        self.finish()
        if pos is None or pos in self.settled:
            return
        self.settle_before(pos)
        if self.stopped:
            return
        self.current = pos
        self.seconds = max(share(self.run.deadline - time.monotonic(), self.left - pos), 0.01)
        self.began = time.perf_counter()
        self.run.timer.arm(self.seconds)
        if self.run.tracer is not None:
            self.run.tracer.start()

    def exception(self, exc: BaseException) -> None:
        if isinstance(exc, SoftTimeout):
            self.run.timer.disarm()  # before pytest formats the traceback, under the limit
        if self.current is not None:
            self.exceptions.setdefault(self.current, exc)

    def report(self, report: Any) -> None:
        if self.current is not None:
            self.reports.setdefault(self.current, []).append(report)

    # -- results ----------------------------------------------------------------

    def finish(self) -> None:
        """Stop tracing the current expectation and report it."""
        pos, self.current = self.current, None
        if pos is None:
            return
        run = self.run
        run.timer.disarm()
        trace = run.tracer.stop() if run.tracer is not None else None
        result = self.result(pos)
        if run.timer.fired:
            result = _timed_out(result, self.seconds)
        result.duration = time.perf_counter() - self.began
        result.trace = trace
        self.settle(pos, result)

    def settle(self, pos: int, result: ExpectationResult) -> None:
        self.settled.add(pos)
        if not self.stopped:
            result.stdout = self.run.captured(result.stdout)
            self.stopped = not self.run.report(self.indices[pos], result)

    def settle_before(self, end: int) -> None:
        """Report the expectations before `end` that no test item ran."""
        for pos in range(end):
            if pos in self.settled:
                continue
            # The same test asked for twice ran once, as the first of the two.
            self.settle(pos, self.result(pos, self.prefixes.index(self.prefixes[pos])))

    def result(self, pos: int, ran: int | None = None) -> ExpectationResult:
        """The result of expectation `pos` from the reports of the items of `ran` (itself)."""
        exp = self.exps[pos]
        ran = pos if ran is None else ran
        reports = self.reports.get(ran, [])
        failed = [r for r in reports if r.failed]
        if not reports:
            name = self.prefixes[pos].split("::", 1)[0]
            failed = [e for e in self.errors if name.startswith(e.nodeid or "")][:1]
        output = "".join(
            text for r in reports for name, text in r.sections if name.startswith("Captured")
        )
        if failed:
            return _pytest_failure(
                self.run.module, exp, failed[0], self.exceptions.get(ran), output
            )
        calls = [r for r in reports if r.when == "call"]
        if not calls:
            skipped = [r for r in reports if r.skipped]
            if skipped:
                return ExpectationResult(
                    exp.id, "pass", message="skipped: " + _skip_reason(skipped[0])
                )
            target = self.files[pos] + self.prefixes[pos][len(self.files[pos].rsplit("/", 1)[-1]) :]
            return ExpectationResult(
                exp.id,
                "error",
                message=f"pytest ran no test for {target} (exit status {self.code})\n"
                + self.said.text()[-MESSAGE_LIMIT:],
            )
        if calls[0].skipped:  # xfail
            return ExpectationResult(exp.id, "pass", message="xfail", stdout=output)
        return ExpectationResult(exp.id, "pass", stdout=output)


def _pytest_failure(
    module: Module, exp: Expectation, report: Any, exc: BaseException | None, output: str
) -> ExpectationResult:
    result = module.failure(exp.id, exc) if exc is not None else ExpectationResult(exp.id, "error")
    result.message = cap(str(report.longreprtext), MESSAGE_LIMIT)
    result.stdout = output
    if isinstance(exc, AssertionError) and report.when == "call":
        result.status = "fail"
        crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
        match = _ASSERT_EQ.match(str(getattr(crash, "message", "")).split("\n", 1)[0])
        if match:
            result.actual, result.expected = match.group(1), match.group(2)
    return result


def _pytest_plugin(session: _PytestSession) -> object:
    """The session's hooks; made here because `pytest` is imported only once needed."""
    import pytest

    class Plugin:
        def pytest_collectreport(self, report: Any) -> None:
            if report.failed:
                session.errors.append(report)

        def pytest_runtest_logstart(self, nodeid: str) -> None:
            session.item_starts(nodeid)

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
            if call.excinfo is not None:
                session.exception(call.excinfo.value)

        def pytest_runtest_logreport(self, report: Any) -> None:
            session.report(report)

    return Plugin()


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""


def _timed_out(result: ExpectationResult, seconds: float) -> ExpectationResult:
    """The result of an expectation its soft limit interrupted (error_line: where it was)."""
    return ExpectationResult(
        result.expectation_id,
        "timeout",
        message=f"timed out after {seconds:.3g} s (wall clock)",
        error_line=result.error_line,
        stdout=result.stdout,
    )


# -- the job --------------------------------------------------------------------

Runner = Callable[[Module, Expectation, dict[str, Any]], ExpectationResult]
_RUNNERS: dict[str, Runner] = {"eval": _run_eval, "doctest": _run_doctest, "exec": _run_exec}
Emit = Callable[[int, ExpectationResult], None]


class _Run:
    """One module source against some of the order's expectations."""

    def __init__(self, order: Order, deadline: float, emit: Emit) -> None:
        self.order = order
        self.deadline = deadline
        self.emit = emit
        self.module = Module(order)
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
            result = _timed_out(result, seconds)
        result.duration = time.perf_counter() - began
        result.trace = trace
        result.stdout = self.captured(out.text() + result.stdout)
        return self.report(index, result)


def _same_session(order: Order, first: Expectation, exp: Expectation) -> bool:
    return exp.kind == "pytest" and _rootdir(_pytest_file(order, exp)) == _rootdir(
        _pytest_file(order, first)
    )


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
            go = _PytestSession(run, indices[position:end], left).main()
            position = end
        else:
            go = run.one(indices[position], left)
            position += 1
        if not go:
            return
