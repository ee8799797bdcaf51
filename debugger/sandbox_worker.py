"""The sandbox's fork server: `python -m mgdebug.debugger.sandbox_worker`.

A long-lived process that has already imported what is expensive (pytest, the
tracer) and forks one confined grandchild per job, so a job costs a fork, not
an interpreter start. It reads `Order`s from the parent on its stdin pipe,
supervises the grandchild (wall clock, crash, cancellation) and answers with
one result per expectation on its stdout pipe.

The worker never runs user code itself: a grandchild that dies takes nothing
with it, and the worker reports how it died.
"""

from __future__ import annotations

import contextlib
import gc
import os
import select
import signal
import sys
import time
import traceback
from typing import Any

from .results import ExpectationResult, RunStatus
from .sandbox_protocol import ChannelClosed, Order, receive, send

_EXIT_FATAL = 70  # the grandchild's own machinery failed (sandbox bug)


def _preload() -> None:
    """Import now what every grandchild would otherwise import again."""
    import doctest  # noqa: F401
    import tempfile

    from . import execution, sandbox_child, tracer  # noqa: F401

    tempfile.gettempdir()  # probes the temp dir by writing a file: once, not per job
    _freeze()


def _preload_pytest() -> None:
    """pytest, its plugins and its lazy imports: only once a job needs pytest.

    Done lazily because it takes seconds and triples the worker's memory,
    which makes every later fork slower.
    """
    import tempfile
    from importlib.metadata import entry_points

    import pytest

    for plugin in entry_points(group="pytest11"):
        try:
            plugin.load()
        except Exception:  # noqa: BLE001, S112 - a broken plugin fails later, in the job
            continue
    # One throwaway session, so that grandchildren find pytest's lazy imports done.
    with tempfile.TemporaryDirectory(prefix="mgdebug-warm-") as folder:
        path = os.path.join(folder, "test_warm.py")
        with open(path, "w") as f:
            f.write("def test_warm():\n    assert 1 == 1\n")
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        try:
            pytest.main([path, "-q", "-p", "no:cacheprovider", "--rootdir", folder])
        except Exception:  # noqa: BLE001, S110 - warming is an optimisation only
            pass
        finally:
            sys.stdout.close()
            sys.stdout, sys.stderr = saved
        sys.modules.pop("test_warm", None)
    _freeze()


def _freeze() -> None:
    """Keep the collector off everything imported so far.

    Forking is cheap only if the worker writes to few of its pages between
    forks: every page it touches after a fork takes a copy-on-write fault
    (dear in a VM), and the collector touches every object it scans.
    """
    gc.collect()
    gc.freeze()
    gc.disable()


def _signal_message(sig: int) -> str:
    name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
    reasons = {
        "SIGKILL": "memory limit?",
        "SIGXCPU": "CPU time limit",
        "SIGSEGV": "segmentation fault",
        "SIGXFSZ": "file size limit",
        "SIGABRT": "aborted",
    }
    reason = reasons.get(name)
    return f"killed by signal {name}" + (f" ({reason})" if reason else "")


class _Child:
    """One forked grandchild running `order.expectations[start:]`."""

    def __init__(self, order: Order, start: int) -> None:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the grandchild: never returns
            code = 0
            try:
                os.close(read_fd)
                _grandchild(order, start, write_fd)
            except BaseException:  # noqa: BLE001
                code = _EXIT_FATAL
                with contextlib.suppress(BaseException):
                    send(write_fd, ("fatal", traceback.format_exc()))
            os._exit(code)
        os.close(write_fd)
        with contextlib.suppress(OSError):  # also done in the child: whichever runs first wins
            os.setpgid(pid, pid)
        self.pid = pid
        self.fd = read_fd
        self.done = False
        self.fatal: str | None = None

    def kill(self) -> None:
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                kill(self.pid, signal.SIGKILL)

    def reap(self) -> int:
        os.close(self.fd)
        _, status = os.waitpid(self.pid, 0)
        return status


def _grandchild(order: Order, start: int, fd: int) -> None:
    from .execution import run_expectations
    from .sandbox_child import confine

    gc.enable()  # the code under test may make cycles; imports stay frozen
    confine(order, fd)
    for index, result in run_expectations(order, start):
        send(fd, ("result", index, result))
    send(fd, ("done",))


def _death_message(status: int) -> str:
    if os.WIFSIGNALED(status):
        return _signal_message(os.WTERMSIG(status))
    return f"the code ended the process with os._exit({os.WEXITSTATUS(status)})"


class Worker:
    def __init__(self, control_in: int, control_out: int) -> None:
        self.control_in = control_in
        self.control_out = control_out
        self.pytest_loaded = False

    def serve(self) -> None:
        send(self.control_out, ("ready",))
        while True:
            try:
                message = receive(self.control_in)
            except ChannelClosed:
                return
            if isinstance(message, Order):
                results = self.run(message)
                if results is None:
                    return  # the parent went away
                send(self.control_out, ("results", message.job_id, results))

    def run(self, order: Order) -> list[ExpectationResult] | None:
        """Results of the order, in its expectations' order; None if the parent left."""
        if not self.pytest_loaded and any(e.kind == "pytest" for e in order.expectations):
            _preload_pytest()
            self.pytest_loaded = True
        deadline = time.monotonic() + order.wall_seconds
        results: dict[int, ExpectationResult] = {}
        total = len(order.expectations)
        start = 0
        closing: tuple[RunStatus, str] | None = None
        while start < total and closing is None:
            child = _Child(order, start)
            outcome = self._supervise(child, order, results, deadline)
            if outcome == "parent-gone":
                child.kill()
                child.reap()
                return None
            if outcome in ("timeout", "cancelled"):
                child.kill()
                child.reap()
                closing = (
                    ("timeout", f"timed out after {order.wall_seconds:g} s (wall clock)")
                    if outcome == "timeout"
                    else ("crash", "cancelled")
                )
                break
            status = child.reap()
            unfinished = next((i for i in range(start, total) if i not in results), total)
            if child.done or unfinished == total:
                break
            if child.fatal is not None:
                closing = ("crash", "sandbox internal error: " + child.fatal)
                break
            exp = order.expectations[unfinished]
            results[unfinished] = ExpectationResult(exp.id, "crash", message=_death_message(status))
            if order.stop_at_first_failure:
                break
            start = unfinished + 1  # a fresh grandchild carries on with the rest
        return self._complete(order, results, closing)

    def _supervise(
        self, child: _Child, order: Order, results: dict[int, ExpectationResult], deadline: float
    ) -> str:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            ready, _, _ = select.select([child.fd, self.control_in], [], [], remaining)
            if self.control_in in ready:
                try:
                    word = receive(self.control_in)
                except ChannelClosed:
                    return "parent-gone"
                if word == "cancel":
                    return "cancelled"
            if child.fd in ready:
                try:
                    message: Any = receive(child.fd)
                except ChannelClosed:
                    return "ended"
                if message[0] == "result":
                    results[message[1]] = message[2]
                elif message[0] == "done":
                    child.done = True
                    return "ended"
                elif message[0] == "fatal":
                    child.fatal = message[1]

    @staticmethod
    def _complete(
        order: Order, results: dict[int, ExpectationResult], closing: tuple[RunStatus, str] | None
    ) -> list[ExpectationResult]:
        """Fill in what never ran: timed out, cancelled, or skipped after a failure."""
        out: list[ExpectationResult] = []
        for index, exp in enumerate(order.expectations):
            if index in results:
                out.append(results[index])
            elif closing is not None:
                out.append(ExpectationResult(exp.id, closing[0], message=closing[1]))
            elif order.stop_at_first_failure:
                break
        return out


def main() -> None:
    # Keep the protocol pipes off fds 0/1 so that a stray print (ours or a
    # plugin's at import) cannot corrupt a frame.
    control_in, control_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    sys.stdin = open(os.devnull)  # noqa: SIM115
    sys.stdout = sys.stderr
    _preload()
    Worker(control_in, control_out).serve()


if __name__ == "__main__":
    main()
