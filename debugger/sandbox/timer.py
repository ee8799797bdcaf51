"""Soft time limits inside the sandbox grandchild: one expectation times out, the process lives on.

The worker's wall clock kill (sandbox_worker.py) ends a looping run, but it
takes the grandchild with it: the trace of the looping expectation, and every
expectation or candidate after it. A soft limit interrupts only the code under
test, with an exception it is not meant to catch, so the run reports
"timeout" with what the tracer saw so far and carries on. The kill stays as
the backstop for code that a signal cannot interrupt (a long C call, a handler
that swallows the exception for ever).

Policy (`share`): the next expectation may use half of the time left before
its deadline, at least FLOOR_SECONDS, and the last one all of it. A slow but
finishing expectation keeps most of the budget, and when every expectation
loops (a loop bug usually loops for all inputs) each still gets a bounded
slice, so each still yields a trace. A fair share `left / n` would cut a slow
first test early whenever there are many quick ones after it.
"""

from __future__ import annotations

import signal
from types import FrameType

FLOOR_SECONDS = 1.0
# After firing, fire again this often until disarmed: code that catches every
# exception (`except BaseException: continue`) is hit again outside its `try`.
_REFIRE_SECONDS = 0.1


class SoftTimeout(BaseException):
    """The expectation's time is up. A BaseException, so `except Exception` lets it pass."""


def share(remaining: float, left: int) -> float:
    """Seconds the next of `left` expectations may take, with `remaining` seconds to go."""
    if left <= 1:
        return remaining
    return min(remaining, max(FLOOR_SECONDS, remaining / 2))


class SoftTimer:
    """SIGALRM (ITIMER_REAL) raising SoftTimeout in whatever Python code runs when it fires."""

    def __init__(self) -> None:
        self.armed = False
        self.fired = False

    def arm(self, seconds: float) -> None:
        self.fired = False
        self.armed = True
        # Again each time: the code under test may have installed a handler of its own.
        signal.signal(signal.SIGALRM, self._on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-6))

    def disarm(self) -> None:
        # The alarm may fire between any two bytecodes here; once `armed` is
        # False it no longer raises, so retry until both statements ran.
        while True:
            try:
                self.armed = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                return
            except SoftTimeout:
                continue

    def limit(self, seconds: float) -> SoftTimer:
        """`with timer.limit(s):` runs the body under a soft limit; `fired` says if it ran out."""
        self.arm(seconds)
        return self

    def __enter__(self) -> SoftTimer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.disarm()

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if not self.armed:
            return
        self.fired = True
        signal.setitimer(signal.ITIMER_REAL, _REFIRE_SECONDS)
        raise SoftTimeout
