"""pytest expectations: the tests of one project run by one `pytest.main` session.

They run as the user's own `pytest` runs them: from the copy of the project's
rootdir (the sandbox copies the folder pytest roots the tests at, see
analysis/pytest_discovery.project_root), with no `--rootdir` of ours, so that
pytest finds the project's configuration file, conftest.py files, markers,
fixtures and ini options itself. Skips and xfails are reported as pytest
reports them: a skipped test or an xfail that failed is "skip" (neither a
pass nor a failure), a strict xpass is a failure, a non-strict one a pass.

Runs in the sandbox grandchild, in the user's interpreter (Python 3.9+, the
standard library and pytest only: see child_kit.py).
"""

from __future__ import annotations

import ast
import linecache
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mgdebug.analysis.model import Expectation

from ..results import ExpectationResult
from ..sandbox.protocol import Order
from ..sandbox.timer import SoftTimeout, share
from ..trace.saferepr import cap
from .module import MESSAGE_LIMIT, BoundedWriter, Module, timed_out
from .package_import import ServeModule, package_name
from .pytest_kept import Kept
from .user_frames import classify_load_error

if TYPE_CHECKING:
    from .execution import _Run


_ASSERT_EQ = re.compile(r"^(?:AssertionError: )?assert (.+?) == (.+)$")
_WHERE = re.compile(r"^\s*\+\s+where (.+?) = ", re.M)  # the first "where": the left or right side
# This grandchild's kept pytest sessions, by their arguments (None: use
# pytest.main), and the PytestSession their plugin reports to.
_KEPT: dict[tuple[str, ...], Kept | None] = {}
_CURRENT: list[PytestSession] = []


def pytest_file(order: Order, exp: Expectation) -> str:
    return order.test_files.get(exp.test_file or "", exp.test_file or "")


def session_root(order: Order, exp: Expectation) -> str:
    """Where pytest runs `exp`'s test: the copy of the user's project folder.

    The sandbox copies `order.user_root` (pytest's rootdir for the module's
    tests) and maps each test file into the copy; a test file from elsewhere
    (copied apart, with its folder) runs in its own folder.
    """
    scratch = pytest_file(order, exp)
    user = os.path.abspath(exp.test_file or "")
    if order.user_root:
        inside = os.path.relpath(user, order.user_root)
        if not inside.startswith(".." + os.sep) and scratch.endswith(os.sep + inside):
            return scratch[: -len(inside) - 1] or os.sep
    return os.path.dirname(scratch) or os.sep


class PytestSession:
    """Consecutive pytest expectations of one project, run by one `pytest.main`.

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
        self.files = [pytest_file(order, exp) for exp in self.exps]
        self.root = session_root(order, self.exps[0])
        self.rests: list[str] = []  # per expectation: its node id after the file part
        self.targets: list[str] = []  # pytest's arguments, without duplicates
        for exp, test_file in zip(self.exps, self.files):  # noqa: B905 - Python 3.9
            rest = exp.nodeid.split("::", 1)[1] if exp.nodeid and "::" in exp.nodeid else ""
            self.rests.append(rest)
            target = f"{test_file}::{rest}" if rest else test_file
            if target not in self.targets:
                self.targets.append(target)
        self.prefixes = self.node_ids(self.root)  # per expectation: its node id as pytest writes it
        self.current: int | None = None
        self.settled: set[int] = set()  # positions reported (or skipped after a stop)
        self.stopped = False
        self.reports: dict[int, list[Any]] = {}
        self.exceptions: dict[int, BaseException] = {}
        self.errors: list[Any] = []  # collection reports that failed
        # nodeid -> the exception that failed a collection (a test file importing a
        # package the interpreter lacks): classified like a module that fails to load.
        self.collect_exceptions: dict[str, BaseException] = {}
        self.began = 0.0
        self.seconds = 0.0
        self.said = BoundedWriter(MESSAGE_LIMIT * 4)  # pytest's own report
        self.code = 0

    def node_ids(self, rootpath: str) -> list[str]:
        """Per expectation, its node id as pytest writes it: relative to its rootdir."""
        out = []
        for test_file, rest in zip(self.files, self.rests):  # noqa: B905 - Python 3.9
            name = os.path.relpath(test_file, rootpath).replace(os.sep, "/")
            out.append(f"{name}::{rest}" if rest else name)
        return out

    def args(self) -> list[str]:
        args = [*self.targets, "-p", "no:cacheprovider", "-q", "--no-header"]
        args.append("--continue-on-collection-errors")
        # The project's addopts may hold -x: every expectation needs its verdict.
        args += ["-x"] if self.run.order.stop_at_first_failure else ["--maxfail=0"]
        return args

    def main(self) -> bool:
        """Run the session; whether the run goes on after it."""
        import pytest

        saved = sys.stdout, sys.stderr
        cwd = os.getcwd()
        before = set(sys.modules)
        alias = self.alias_module()
        # pytest's own report is noise, except to explain a run that ran nothing.
        sys.stdout = sys.stderr = self.said
        try:
            # As the user runs `pytest`: from the project's folder.
            os.chdir(self.root)
            if self.run.tracer is None:
                self.code = self.kept_run(before)
            else:
                self.code = int(pytest.main(self.args(), plugins=[_pytest_plugin(lambda: self)]))
        finally:
            sys.stdout, sys.stderr = saved
            os.chdir(cwd)
            self.finish()
            self.forget(before, alias)
        self.settle_before(len(self.exps))
        return not self.stopped

    def kept_run(self, before: set[str]) -> int:
        """An untraced run (the fix search): reuse this grandchild's pytest session.

        See pytest_kept.py; `pytest.main` when there is none to reuse or it
        cannot be made.
        """
        import pytest

        args = self.args()
        key = tuple(args)
        _CURRENT[:] = [self]
        kept = _KEPT.get(key)
        if kept is not None and kept.usable:
            self.configured(str(kept.config.rootpath))
            kept.rebind(self.run.module.module)
            kept.run(lambda: self.stopped)
            return 0
        if key in _KEPT:
            return int(pytest.main(args, plugins=[_pytest_plugin(lambda: self)]))
        _KEPT[key] = None  # until it works
        try:
            kept = Kept(args, _pytest_plugin(lambda: _CURRENT[0]), self.root)
        except Exception:  # noqa: BLE001 - another pytest: its own main, every time
            self.errors.clear()
            self.collect_exceptions.clear()
            return int(pytest.main(args, plugins=[_pytest_plugin(lambda: self)]))
        kept.run(lambda: self.stopped)
        root = self.root + os.sep
        imported = [sys.modules[name] for name in set(sys.modules) - before]
        kept.adopt(
            [m for m in imported if str(getattr(m, "__file__", None) or "").startswith(root)],
            self.run.module.module,
        )
        _KEPT[key] = kept if kept.usable else None
        return 0

    def alias_module(self) -> ServeModule | None:
        """Have `import pkg.mod` give the module under test, under pytest's name for it.

        run/module.py loads a package member as `pkg.mod`, the name it has
        from the folders above it; from the project root (pytest's rootdir,
        on sys.path) it may be a shorter one. Without the alias, tests
        importing that name would import another copy from disk, whose calls
        the tracer does not see.
        """
        name = package_name(self.run.order.module_file, self.root + os.sep)
        if name is None or name in sys.modules:
            return None  # usually so: run/module.py loaded it as `pkg.mod` already
        alias = ServeModule(name, self.run.module.module, lambda module: None)
        sys.meta_path.insert(0, alias)
        return alias

    def forget(self, before: set[str], alias: ServeModule | None) -> None:
        """Unload what the session imported from the project copy (test modules, conftest).

        The next candidate source must be imported afresh by its tests, and
        the sandbox forgets only the modules of the module's own folder.
        """
        keep = self.run.module.module
        root = self.root + os.sep
        for name in set(sys.modules) - before:
            module = sys.modules.get(name)
            path = getattr(module, "__file__", None) or ""
            if module is not keep and isinstance(path, str) and path.startswith(root):
                del sys.modules[name]
        if alias is not None:
            sys.meta_path.remove(alias)
            if sys.modules.get(alias.name) is keep:
                del sys.modules[alias.name]

    # -- called by the plugin ---------------------------------------------------

    def configured(self, rootpath: str) -> None:
        self.prefixes = self.node_ids(rootpath)

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
            result = timed_out(result, self.seconds)
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

    def classify_collection_error(self, result: ExpectationResult, report: Any) -> None:
        """A test file that could not be imported is like a module that could not load."""
        exc = self.collect_exceptions.get(report.nodeid or "")
        if exc is None:
            return
        while exc.__cause__ is not None:  # pytest's CollectError wraps the ImportError
            exc = exc.__cause__
        module = self.run.module
        kind, name, where = classify_load_error(exc, module.file, module.root)
        result.load_error, result.load_module, result.load_where = kind, name, where

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
            result = _pytest_failure(
                self.run.module, exp, failed[0], self.exceptions.get(ran), output
            )
            if not reports:
                self.classify_collection_error(result, failed[0])
            return result
        if any(r.when == "call" and r.passed for r in reports):
            xpassed = [r for r in reports if r.when == "call" and hasattr(r, "wasxfail")]
            message = "xpass (not strict): " + xpassed[0].wasxfail if xpassed else ""
            return ExpectationResult(exp.id, "pass", message=message.strip(), stdout=output)
        skipped = [r for r in reports if r.skipped]
        if skipped:
            return ExpectationResult(
                exp.id, "skip", message=_skip_reason(skipped[0]), stdout=output
            )
        target = self.files[pos] + (f"::{self.rests[pos]}" if self.rests[pos] else "")
        return ExpectationResult(
            exp.id,
            "error",
            message=f"pytest ran no test for {target} (exit status {self.code})\n"
            + self.said.text()[-MESSAGE_LIMIT:],
        )


def _pytest_failure(
    module: Module, exp: Expectation, report: Any, exc: BaseException | None, output: str
) -> ExpectationResult:
    result = module.failure(exp.id, exc) if exc is not None else ExpectationResult(exp.id, "error")
    result.message = cap(str(report.longreprtext), MESSAGE_LIMIT)
    result.stdout = output
    if report.when == "call" and exc is None and "XPASS(strict)" in result.message:
        # pytest: a strict xfail that passes fails the test.
        result.status = "fail"
        result.actual = "the test passed"
        result.message = "xfail(strict=True) test passed: " + result.message
    if isinstance(exc, AssertionError) and report.when == "call":
        result.status = "fail"
        crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
        match = _ASSERT_EQ.match(str(getattr(crash, "message", "")).split("\n", 1)[0])
        if match:
            left, right = match.group(1), match.group(2)
            swap = _expected_on_the_left(exc, crash, left, right)
            result.actual, result.expected = (right, left) if swap else (left, right)
    return result


def _expected_on_the_left(exc: BaseException, crash: Any, left: str, right: str) -> bool:
    """Whether `assert left == right` wrote the expected value first (`assert 3 == f(x)`).

    pytest's "+  where 's' = f('')" line names the value a call gave, when it
    prints one; else the assert's own source: a literal on the left and none on
    the right.
    """
    where = _WHERE.search(str(getattr(crash, "message", "")))
    if where is not None and left != right:
        return where.group(1) == right
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    line = linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno).strip()
    try:
        test = ast.parse(line).body[0] if line.startswith("assert ") else None
    except (SyntaxError, ValueError, IndexError):
        return False  # an assert over several lines: keep pytest's order
    if not isinstance(test, ast.Assert) or not isinstance(test.test, ast.Compare):
        return False
    compare = test.test
    if len(compare.ops) != 1 or not isinstance(compare.ops[0], ast.Eq):
        return False
    return _is_literal(compare.left) and not _is_literal(compare.comparators[0])


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _pytest_plugin(current: Callable[[], PytestSession]) -> object:
    """The hooks of the `current()` session; made here as `pytest` is imported only once needed.

    A kept pytest session (pytest_kept.py) outlives the PytestSession that
    made it: its plugin reports to whichever is current.
    """
    import pytest

    class Plugin:
        def pytest_configure(self, config: Any) -> None:
            current().configured(str(config.rootpath))

        def pytest_collectreport(self, report: Any) -> None:
            if report.failed:
                current().errors.append(report)

        def pytest_exception_interact(self, node: Any, call: Any, report: Any) -> None:
            if isinstance(report, pytest.CollectReport) and call.excinfo is not None:
                current().collect_exceptions[report.nodeid] = call.excinfo.value

        def pytest_runtest_logstart(self, nodeid: str) -> None:
            current().item_starts(nodeid)

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
            if call.excinfo is not None:
                current().exception(call.excinfo.value)

        def pytest_runtest_logreport(self, report: Any) -> None:
            current().report(report)

    return Plugin()


def _skip_reason(report: Any) -> str:
    """`skipped: why` or `xfail: why`, as pytest -rA says."""
    if hasattr(report, "wasxfail"):
        return ("xfail: " + str(report.wasxfail)).strip().rstrip(":")
    longrepr = report.longrepr
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""
    reason = reason[len("Skipped: ") :] if reason.startswith("Skipped: ") else reason
    return ("skipped: " + reason).strip().rstrip(":")
