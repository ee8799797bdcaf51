"""pytest expectations: consecutive tests of one folder run by one `pytest.main` session."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mgdebug.analysis.model import Expectation

from .results import ExpectationResult
from .run_module import MESSAGE_LIMIT, BoundedWriter, Module, timed_out
from .saferepr import cap
from .sandbox_protocol import Order
from .sandbox_timer import SoftTimeout, share

if TYPE_CHECKING:
    from .execution import _Run


_ASSERT_EQ = re.compile(r"^(?:AssertionError: )?assert (.+?) == (.+)$")


def pytest_file(order: Order, exp: Expectation) -> str:
    return order.test_files.get(exp.test_file or "", exp.test_file or "")


def rootdir(test_file: str) -> str:
    return test_file.rsplit("/", 1)[0] or "/"


class PytestSession:
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
        self.files = [pytest_file(order, exp) for exp in self.exps]
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
        args += ["--rootdir", rootdir(self.files[0]), "--continue-on-collection-errors"]
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


def _pytest_plugin(session: PytestSession) -> object:
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
