"""The sandbox's fork server, started as `python KIT/entry.py` (child_kit.py).

It runs in the user's interpreter (interpreter.py), Python 3.9 to 3.13 without
mgdebug installed: this module and what it imports are standard library only,
and Python 3.9 code.

A long-lived process that has already imported what is expensive (pytest, the
tracer) and forks one confined grandchild per order, so a job costs a fork, not
an interpreter start; a batch of candidate sources shares one grandchild. It
reads `Order`s from the parent on its stdin pipe, supervises the grandchild
(wall clock, crash, cancellation) and answers with the results of each source
on its stdout pipe as soon as they are complete.

The worker never runs user code itself: a grandchild that dies takes nothing
with it, and the worker reports how it died.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import gc
import importlib.util
import os
import resource
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from mgdebug.analysis.model import Expectation

from ..results import ExpectationResult, RunStatus
from . import validate, verdicts
from .libc import prctl
from .protocol import ChannelClosed, Order, receive, send

_EXIT_FATAL = 70  # the grandchild's own machinery failed (sandbox bug)
# Past a source's soft deadline (sandbox_timer.py), before the grandchild is
# killed: time to stop the tracer and send what it saw.
_BACKSTOP_SECONDS = 1.0
_FORGED = (
    "the code under test wrote to mgdebug's result channel (a frame mgdebug never sends):"
    " this source's results are discarded"
)
# Set when this interpreter (the user's: child_kit.py) has no pytest; forked
# grandchildren then answer pytest expectations with it instead of running them.
_pytest_missing: str | None = None


def _preload() -> None:
    """Import now what every grandchild would otherwise import again."""
    import doctest  # noqa: F401
    import tempfile

    from ..run import execution  # noqa: F401
    from ..trace import tracer  # noqa: F401
    from . import child  # noqa: F401

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

    found: Any = entry_points()
    # entry_points(group=...) is 3.10+; Python 3.9 gives a dict of groups.
    if hasattr(found, "select"):
        plugins = found.select(group="pytest11")
    else:
        plugins = found.get("pytest11", ())
    for plugin in plugins:
        try:
            plugin.load()
        except Exception:  # noqa: BLE001, S112 - a broken plugin fails later, in the job
            continue
    # One throwaway session, so that grandchildren find pytest's lazy imports done.
    # Not in TMPDIR, the scratch folder's: a grandchild of another worker could
    # plant a conftest.py in it, and this process is not confined.
    kit_parent = os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[0])))
    with tempfile.TemporaryDirectory(prefix="mgdebug-warm-", dir=kit_parent) as folder:
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


def run_plan(expectations: Sequence[Expectation]) -> list[int]:
    """The order a grandchild runs expectations in: as given, but each session together.

    The pytest ones share one pytest session, and the examples of one
    docstring one doctest session, in the docstring's order (execution.py);
    each group is placed where its first member is, so that failing-first
    orderings keep most of their effect. The worker needs the same order to
    know which expectation a dead grandchild was running.
    """
    groups: dict[object, list[int]] = {}
    for i, exp in enumerate(expectations):
        if exp.kind == "pytest":
            groups.setdefault("pytest", []).append(i)
        elif exp.kind == "doctest" and exp.session is not None:
            groups.setdefault(("doctest", exp.session), []).append(i)
    plan: list[int] = []
    placed: set[int] = set()
    for i, exp in enumerate(expectations):
        if i in placed:
            continue
        key = "pytest" if exp.kind == "pytest" else ("doctest", exp.session)
        group = groups.get(key, [i]) if exp.kind in ("pytest", "doctest") else [i]
        if exp.kind == "doctest":
            group = sorted(group, key=lambda j: expectations[j].example or 0)
        plan += group
        placed.update(group)
    return plan


class _Child:
    """One forked grandchild running the order's sources from `first` on."""

    def __init__(self, order: Order, first: int, todo: list[int], deadline: float) -> None:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the grandchild: never returns
            code = 0
            try:
                os.close(read_fd)
                _grandchild(order, first, todo, deadline, write_fd)
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
        self.first = first  # the source it started with, in a fresh process
        self.done = False
        self.fatal: str | None = None
        self.progressed = False  # sent at least one result

    def kill(self) -> None:
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                kill(self.pid, signal.SIGKILL)

    def reap(self, grace: float = 0.0) -> int:
        """Its exit status; killed first if still alive after `grace` seconds.

        A grandchild whose pipe closed is normally exiting, but the code under
        test can close the pipe itself and go on running.
        """
        os.close(self.fd)
        deadline = time.monotonic() + grace
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return status
            if time.monotonic() >= deadline:
                self.kill()
                return os.waitpid(self.pid, 0)[1]
            time.sleep(0.002)


class _ModuleRegistry:
    """sys.modules as it was before the first candidate, restored after each one.

    Each candidate gets a fresh module object and namespace (run_module.Module);
    modules that import it (the user's helpers, test files, conftest) are
    forgotten so that they import the next candidate, not this one; builtins,
    the environment and the cwd are put back too (a candidate that replaced
    `sorted` made the next, wrong one pass: tests/security). What one
    candidate can still leave to the next, being the same process: changes to
    modules that stay loaded (the standard library and installed packages,
    their caches, globals and classes: `doctest.OutputChecker` among them),
    signal handlers other than SIGALRM, threads it started, open files, and
    memory it holds in any of those. So where a pass makes a checked fix (the
    fix search's orders, which stop at the first failure), a source that
    passes every expectation in a grandchild that ran an earlier one is run
    again, first in a fresh grandchild, and only that verdict counts
    (Worker._supervise): no such pass comes from what another candidate left.
    A failure still may (a correct candidate after one that broke `math`),
    which costs a fix, not a false one; so may the per-expectation verdicts of
    mutation runs (ranking evidence, never a checked fix).
    """

    def __init__(self, scratch_root: str) -> None:
        self.saved = dict(sys.modules)
        self.root = scratch_root + os.sep
        self.builtins = dict(builtins.__dict__)
        self.environ = dict(os.environ)
        self.cwd = os.getcwd()

    def restore(self) -> None:
        for name in set(sys.modules) - self.saved.keys():
            path = getattr(sys.modules[name], "__file__", None) or ""
            if isinstance(path, str) and path.startswith(self.root):
                del sys.modules[name]
        for name, module in self.saved.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
        # By identity, always: comparing would call the __eq__ of what was planted.
        builtins.__dict__.clear()
        builtins.__dict__.update(self.builtins)
        if os.environ != self.environ:
            os.environ.clear()
            os.environ.update(self.environ)
        with contextlib.suppress(OSError):
            os.chdir(self.cwd)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _grandchild(order: Order, first: int, todo: list[int], deadline: float, fd: int) -> None:
    from ..run.execution import run_expectations
    from .child import confine, write_module_file

    gc.enable()  # the code under test may make cycles; imports stay frozen
    confine(order, fd)
    from ..project.collect_child import is_collection, run_collection

    if is_collection(order):  # project mode's one coverage run of the user's tests
        run_collection(order, fd)
        return
    sources = order.sources()
    plan = run_plan(order.expectations)
    needs_file = any(e.kind == "pytest" for e in order.expectations)
    unrunnable = [i for i in plan if order.expectations[i].kind == "pytest"]
    if _pytest_missing is None:
        unrunnable = []
    else:
        needs_file = False
    registry = _ModuleRegistry(order.scratch_root)
    for k in range(first, len(sources)):
        if k > first:
            # The CPU limit is per process: a fresh grandchild carries on
            # before a long chunk of candidates would add up to it.
            if _cpu_seconds() > order.limits.cpu_seconds / 2:
                break
            registry.restore()
            todo, deadline = plan, time.monotonic() + order.wall_seconds
        job = replace(order, source=sources[k], candidates=()) if order.candidates else order
        if needs_file:
            write_module_file(job)
        for i in unrunnable:
            if i in todo:
                error = ExpectationResult(order.expectations[i].id, "error")
                error.message = _pytest_missing or ""
                _send_result(fd, k, i, error)
        todo = [i for i in todo if i not in unrunnable]
        run_expectations(job, todo, deadline, functools.partial(_send_result, fd, k))
        send(fd, ("end", k))
    send(fd, ("done",))


def _send_result(fd: int, source: int, index: int, result: ExpectationResult) -> None:
    # With what was seen, for the worker to judge (verdicts.py).
    send(fd, ("result", source, index, result, verdicts.take(result.expectation_id)))


def _death_message(status: int) -> str:
    if os.WIFSIGNALED(status):
        return _signal_message(os.WTERMSIG(status))
    return f"the code ended the process with os._exit({os.WEXITSTATUS(status)})"


class _Progress:
    """Where an order stands: the source being run, its results so far, its deadline."""

    def __init__(self, order: Order, reply: Callable[[Any], None]) -> None:
        self.order = order
        self.reply = reply
        self.plan = run_plan(order.expectations)
        self.ids = [e.id for e in order.expectations]
        self.count = len(order.sources())
        self.source = 0
        self.results: dict[int, ExpectationResult] = {}
        self.deadline = time.monotonic() + order.wall_seconds  # the soft one, of this source

    def todo(self) -> list[int]:
        return [i for i in self.plan if i not in self.results]

    def finish(self, closing: tuple[RunStatus, str] | None = None) -> None:
        """Report the current source to the parent and move on to the next."""
        out: list[ExpectationResult] = []
        for index, exp in enumerate(self.order.expectations):
            if index in self.results:
                out.append(self.results[index])
            elif closing is not None:  # timed out or cancelled: also what never ran
                out.append(ExpectationResult(exp.id, closing[0], message=closing[1]))
            # else skipped after a failure (stop_at_first_failure)
        self.reply(("results", self.order.job_id, self.source, out))
        self.source += 1
        self.results = {}
        self.deadline = time.monotonic() + self.order.wall_seconds


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
            if message == "warm-pytest":
                self.load_pytest()
            elif isinstance(message, Order) and not self.run(message):
                return  # the parent went away

    def load_pytest(self) -> None:
        global _pytest_missing
        if self.pytest_loaded:
            return
        self.pytest_loaded = True
        if importlib.util.find_spec("pytest") is None:
            _pytest_missing = (
                f"pytest is not installed in {sys.executable}; install it there or use --python"
            )
        else:
            _preload_pytest()

    def reply(self, message: Any) -> None:
        send(self.control_out, message)

    def run(self, order: Order) -> bool:
        """Run the order, replying per source as soon as it is complete; False if the parent left.

        A grandchild that dies (a crash, or killed past its deadline) costs
        the expectation it was running; a fresh one carries on with the rest.
        """
        if any(e.kind == "pytest" for e in order.expectations):
            self.load_pytest()
        from .child import prepare

        prepare(order)
        progress = _Progress(order, self.reply)
        while progress.source < progress.count:
            child = _Child(order, progress.source, progress.todo(), progress.deadline)
            outcome = self._supervise(child, progress)
            if outcome != "ended":
                child.kill()
            status = child.reap(_BACKSTOP_SECONDS if outcome == "ended" else 0.0)
            kill_strays()
            if outcome == "parent-gone":
                return False
            if outcome == "rerun":
                progress.results = {}
                progress.deadline = time.monotonic() + order.wall_seconds
                continue
            if outcome == "cancelled":
                while progress.source < progress.count:
                    progress.finish(("crash", "cancelled"))
                break
            if outcome == "forged":
                progress.results = {}
                progress.finish(("crash", _FORGED))
            elif outcome == "timeout":
                progress.finish(
                    ("timeout", f"timed out after {order.wall_seconds:g} s (wall clock)")
                )
            elif progress.source == progress.count or (child.done and child.progressed):
                continue  # all done, or a clean end between candidates
            elif child.fatal is not None or child.done:
                progress.finish(
                    ("crash", "sandbox internal error: " + (child.fatal or "no result"))
                )
            else:
                todo = progress.todo()
                exp = order.expectations[todo[0]]
                message = _death_message(status)
                progress.results[todo[0]] = ExpectationResult(exp.id, "crash", message=message)
                if order.stop_at_first_failure or len(todo) == 1:
                    progress.finish()
        return True

    @staticmethod
    def _fits(message: Any, progress: _Progress) -> bool:
        """A message of the protocol, about the source running, not repeating a result."""
        if not validate.grandchild_message(message, progress.source, progress.ids):
            return False
        if message[0] in ("result", "end") and progress.source >= progress.count:
            return False
        if message[0] == "end":
            # The grandchild ends a source after a result for each expectation,
            # or after the first failure when asked to stop there.
            got = progress.results.values()
            stopped = progress.order.stop_at_first_failure and any(not r.passed for r in got)
            return len(got) == len(progress.ids) or stopped
        return not (message[0] == "result" and message[2] in progress.results)

    def _supervise(self, child: _Child, progress: _Progress) -> str:
        while True:
            remaining = progress.deadline + _BACKSTOP_SECONDS - time.monotonic()
            if remaining <= 0:
                return "timeout"
            # Once every source is answered, the parent may send the next order:
            # it waits for serve(), while this grandchild says goodbye.
            listen = [child.fd] + ([self.control_in] if progress.source < progress.count else [])
            ready, _, _ = select.select(listen, [], [], remaining)
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
                except ChannelClosed as closed:
                    return "forged" if closed.args else "ended"  # args: not a frame of ours
                if not self._fits(message, progress):
                    return "forged"
                if message[0] == "result":
                    # The verdict is made here, not in the process the code ran in.
                    seen = message[4] if len(message) > 4 else None
                    exp = progress.order.expectations[message[2]]
                    judged = verdicts.judge(exp, message[3], seen)
                    if judged is None:
                        return "forged"
                    progress.results[message[2]] = judged
                    child.progressed = True
                elif message[0] == "end":
                    if (
                        progress.order.stop_at_first_failure  # a pass is a checked fix
                        and progress.source > child.first
                        and all(r.passed for r in progress.results.values())
                    ):
                        # A pass that state left by an earlier candidate of this
                        # grandchild may have made: run the source again, first
                        # in a fresh one (_ModuleRegistry says what can be left).
                        return "rerun"
                    progress.finish()
                    child.progressed = True
                elif message[0] == "done":
                    child.done = True
                    return "ended"
                elif message[0] == "fatal":
                    child.fatal = message[1]


_PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Inherit every process the code under test orphans.

    (The worker dies with its parent by itself: it reads end-of-file on its
    control pipe.) A grandchild's descendants that escape its process group (`setsid`,
    double fork) are re-parented to this worker instead of init, so
    `kill_strays` can end them when the run is over.
    """
    return prctl(_PR_SET_CHILD_SUBREAPER, 1)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                found.extend(int(word) for word in f.read().split())
        except (OSError, ValueError):
            continue
    return found


def _scan_children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def kill_strays() -> int:
    """Kill every process left under this worker once a grandchild is reaped; how many.

    Between runs the worker has no child of its own, so whatever is left is
    something the code under test started and did not stop. Killing one
    re-parents its children here; the loop ends when none is left.
    """
    killed = 0
    me = os.getpid()
    for _ in range(1000):
        # The `children` files may miss a child while the list changes under
        # them (proc(5)): a scan of /proc (~0.5 ms) has the last word.
        strays = _children(me) or _scan_children(me)
        if not strays:
            break
        for pid in strays:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            killed += 1
    return killed


def main() -> None:
    adopt_orphans()
    # Started in the kit's folder (pool.py), not the scratch folder the code
    # under test writes: Python made a relative PYTHONPATH entry (".")
    # absolute against the start-up folder, and this unconfined process would
    # otherwise import what the code planted there (pytest.py) on its next
    # lazy import. Grandchildren move to the scratch copy (child.py).
    kit, start = os.path.dirname(os.path.abspath(sys.argv[0])), os.getcwd()
    if start != kit:  # started elsewhere (an older parent): forget what Python added from there
        inside = start + os.sep
        sys.path[:] = [p for p in sys.path if p == kit or not (p + os.sep).startswith(inside)]
    # Keep the protocol pipes off fds 0/1 so that a stray print (ours or a
    # plugin's at import) cannot corrupt a frame.
    control_in, control_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    sys.stdin = open(os.devnull)  # noqa: SIM115
    sys.stdout = sys.stderr
    try:
        _preload()
        Worker(control_in, control_out).serve()
    except (BrokenPipeError, ChannelClosed):
        # The parent went away first (a spare worker it no longer needed, or a
        # run that ended): nobody is left to tell, and a traceback would land in
        # the user's terminal or editor output channel.
        pass
    # Nothing of the worker's needs finalizing (its grandchildren are reaped and
    # it holds no files): skipping the interpreter's teardown of everything it
    # preloaded lets the parent, which waits for it, finish sooner.
    os._exit(0)


if __name__ == "__main__":
    main()
