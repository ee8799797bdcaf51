"""Doctest expectations, run by the standard library's own `doctest` machinery, per docstring.

The examples of one docstring are one session, as in `python -m doctest`: a
shallow copy of the module's globals, the examples run in order by a real
`doctest.DocTestRunner`, each leaving its state to the next (those that only
print or assign included), with doctest's parser for the `# doctest:`
directives. The runner's report hooks map each example back to its
expectation: the hook before an example starts the tracer and the soft time
limit, the one after it reports the result at once, so a crash later in the
session loses no earlier result.

The verdict this process reaches (with doctest's checker, which the code under
test can replace) only decides whether the run goes on: each result carries
what the example printed or the exception text doctest matched, and the
worker decides pass or fail from it (sandbox/verdicts.py), out of the code's reach.

Only the prefix of the docstring up to the last example asked for runs:
narrowing or a failing-first order may ask for a few examples of a session,
but those before them still set up their state.
"""

from __future__ import annotations

import doctest
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..results import ExpectationResult, RunStatus
from ..sandbox.timer import SoftTimeout, share
from ..sandbox.verdicts import (
    REPORT_ONLY,
    SEEN_LIMIT,
    Observation,
    check_output,
    note,
    session_text,
)
from ..trace.saferepr import cap
from .module import MESSAGE_LIMIT, BoundedWriter, timed_out

if TYPE_CHECKING:
    from .execution import _Run

__all__ = ["DoctestSession", "session_text"]


class _Stop(Exception):
    """The run stops here (stop_at_first_failure): leave the doctest runner."""


class _Checker(doctest.OutputChecker):
    """doctest's own checker, remembering what it was first given to compare.

    That is what the worker judges: the example's output, or, for an expected
    exception, what `traceback.format_exception_only` made of the one raised
    (doctest's `exc_msg`; that text, not the whole traceback doctest prints,
    is also what the report shows as got).
    """

    def __init__(self) -> None:
        self.exception: str | None = None
        self.example: doctest.Example | None = None
        self.seen: Observation | None = None

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        example = self.example
        if example is not None and self.seen is None:
            cut = len(got) > SEEN_LIMIT
            if example.exc_msg is not None and want is example.exc_msg:
                self.exception = got
                self.seen = Observation("doctest", exception=got[:SEEN_LIMIT], cut=cut)
            elif want is example.want:
                self.seen = Observation("doctest", printed=got[:SEEN_LIMIT], cut=cut)
        # pytest's ALLOW_UNICODE / ALLOW_BYTES as its checker applies them (verdicts.py).
        return check_output(self, want, got, optionflags, doctest.OutputChecker.check_output)


class _Runner(doctest.DocTestRunner):
    """A DocTestRunner that tells the session about each example instead of printing."""

    def __init__(self, session: DoctestSession, optionflags: int) -> None:
        self.checker = _Checker()
        super().__init__(checker=self.checker, verbose=False, optionflags=optionflags)
        self.session = session

    def report_start(self, out: Any, test: Any, example: Any) -> None:
        self.checker.example, self.checker.exception = example, None
        self.checker.seen = None
        self.session.example_starts(example)

    def report_success(self, out: Any, test: Any, example: Any, got: str) -> None:
        self.session.example_ends(example, "pass", self.checker.exception or got)

    def report_failure(self, out: Any, test: Any, example: Any, got: str) -> None:
        self.session.example_ends(example, "fail", self.checker.exception or got)

    def report_unexpected_exception(self, out: Any, test: Any, example: Any, exc_info: Any) -> None:
        self.session.example_ends(example, "raised", exc_info[1])


class DoctestSession:
    """Consecutive expectations of one docstring, run as one `doctest.DocTest`."""

    def __init__(self, run: _Run, indices: Sequence[int], left: int) -> None:
        self.run = run
        self.indices = indices
        self.left = left  # expectations of the whole run still to go, this session's included
        self.exps = [run.order.expectations[i] for i in indices]
        self.position: dict[int, list[int]] = {}  # example number -> positions in `exps`
        for pos, exp in enumerate(self.exps):
            self.position.setdefault(exp.example or 0, []).append(pos)
        self.numbers: dict[int, int] = {}  # id(example) -> its number in the docstring
        self.settled: set[int] = set()
        self.stopped = False
        self.current: int | None = None  # number of the example running
        self.began = 0.0
        self.seconds = 0.0
        self.errors = BoundedWriter(0)
        self.broken: tuple[RunStatus, str] | None = None  # why the examples left did not run
        self.checker: _Checker | None = None

    def main(self) -> bool:
        """Run the session; whether the run goes on after it."""
        first = self.exps[0]
        module = self.run.module
        try:
            test = doctest.DocTestParser().get_doctest(
                session_text(first),
                module.namespace(),
                first.session or first.id,
                module.file,
                max(first.session_line - 1, 0),
            )
        except ValueError as exc:  # doctest refuses the docstring
            for pos in range(len(self.exps)):
                self.settle(pos, ExpectationResult(self.exps[pos].id, "error", message=str(exc)))
            return not self.stopped
        test.examples = test.examples[: max(exp.example or 0 for exp in self.exps) + 1]
        for number, example in enumerate(test.examples):
            self.numbers[id(example)] = number
            for flag in list(example.options):
                if flag & REPORT_ONLY:
                    del example.options[flag]
        runner = _Runner(self, first.optionflags & ~REPORT_ONLY)
        self.checker = runner.checker
        saved = sys.stderr
        try:
            runner.run(test, out=lambda text: None)
        except _Stop:
            pass
        except BaseException as exc:  # noqa: BLE001 - a SoftTimeout out of doctest, Ctrl-C
            self.interrupted(exc)
        finally:
            self.run.timer.disarm()
            sys.stderr = saved
        self.settle_rest()
        return not self.stopped

    # -- called by the runner, around each example ------------------------------

    def example_starts(self, example: doctest.Example) -> None:
        self.current = number = self.numbers[id(example)]
        run = self.run
        todo = self.left - len(self.settled)
        self.seconds = max(share(run.deadline - time.monotonic(), todo), 0.01)
        self.errors = BoundedWriter(max(run.budget, 0))
        sys.stderr = self.errors
        self.began = time.perf_counter()
        run.timer.arm(self.seconds)
        if number in self.position and run.tracer is not None:
            run.tracer.start()

    def example_ends(self, example: doctest.Example, kind: str, value: Any) -> None:
        run = self.run
        run.timer.disarm()
        number, self.current = self.numbers[id(example)], None
        positions = self.position.get(number)
        if positions is None:
            return  # set-up for the examples asked for: its outcome is not asked for
        trace = run.tracer.stop() if run.tracer is not None else None
        for pos in positions:
            exp = self.exps[pos]
            want = cap(example.want if exp.want is None else exp.want, MESSAGE_LIMIT)
            if kind == "raised":
                result = run.module.failure(exp.id, value)
                result.expected = want
            else:
                status: RunStatus = "pass" if kind == "pass" else "fail"
                result = ExpectationResult(exp.id, status, cap(value, MESSAGE_LIMIT), want)
                if self.checker is not None and self.checker.seen is not None:
                    note(exp.id, self.checker.seen)
            if run.timer.fired:
                result = timed_out(result, self.seconds)
            result.duration = time.perf_counter() - self.began
            result.trace = trace
            result.stdout = self.errors.text()
            self.settle(pos, result)
        if self.stopped:
            raise _Stop

    # -- results ----------------------------------------------------------------

    def interrupted(self, exc: BaseException) -> None:
        """Something left the doctest runner mid-example: that example's result, and why
        the examples after it did not run."""
        number, self.current = self.current, None
        timeout = isinstance(exc, SoftTimeout) or self.run.timer.fired
        positions = self.position.get(number, []) if number is not None else []
        tracer = self.run.tracer
        trace = tracer.stop() if positions and tracer is not None else None
        for pos in positions:
            result = self.run.module.failure(self.exps[pos].id, exc)
            if timeout:
                result = timed_out(result, self.seconds)
            result.trace = trace
            result.duration = time.perf_counter() - self.began
            self.settle(pos, result)
        what = "timed out" if timeout else f"was interrupted ({type(exc).__name__})"
        status: RunStatus = "timeout" if timeout else "crash"
        self.broken = (status, f"not run: an earlier example of this docstring {what}")

    def settle(self, pos: int, result: ExpectationResult) -> None:
        if pos in self.settled:
            return
        self.settled.add(pos)
        if not self.stopped:
            result.stdout = self.run.captured(result.stdout)
            self.stopped = not self.run.report(self.indices[pos], result)

    def settle_rest(self) -> None:
        """Report the expectations whose example did not run."""
        for pos, exp in enumerate(self.exps):
            if pos in self.settled:
                continue
            if self.broken is not None:
                status, message = self.broken
                self.settle(pos, ExpectationResult(exp.id, status, message=message))
            else:
                # doctest skipped it (+SKIP): it is not one of doctest's tests either.
                note(exp.id, Observation("skipped"))
                self.settle(pos, ExpectationResult(exp.id, "pass", message="skipped by doctest"))
