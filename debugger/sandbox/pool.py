"""Run expectations against a module source in confined child processes.

    with Sandbox("/path/to/user/file.py", Limits()) as box:
        results = box.run(Job(source, expectations, trace=TraceSpec(blocks)))
        for index, results in box.run_many(jobs): ...
        for index, results in box.run_candidates(sources, expectations, wall_seconds_each=1): ...

The caller never runs user code. `Sandbox` keeps `workers` fork servers
(sandbox_worker.py) alive; each job is one fork of a warm worker (a chunk of
candidates shares one), confined in sandbox_child.py, executed by execution.py
(and traced by tracer.py) under soft time limits (sandbox_timer.py). Code under
test runs in a scratch copy of the user's folder, which is made on first use.

The worker runs in the interpreter the caller chose (interpreter.py: the
project's Python), from the child kit (child_kit.py), not from mgdebug's
installation, which that interpreter does not have.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import os
import pwd
import select
import shutil
import subprocess
import threading
import time
import weakref
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mgdebug.analysis.model import Expectation
from mgdebug.analysis.pytest_discovery import project_root

from ..options import Limits
from ..results import ExpectationResult
from . import validate
from .interpreter import Interpreter, own_interpreter
from .kit import kit_folder, worker_command
from .protocol import ChannelClosed, Order, TraceSpec, receive, send
from .scratch import (
    child_environment,
    copy_folder,
    external_copy,
    give_to,
    make_scratch,
)

__all__ = ["Job", "Sandbox", "TraceSpec", "WorkerStartError"]

_GRACE_SECONDS = (
    30.0  # beyond a job's wall time (pytest warm-up included) before a worker is presumed hung
)
_CHUNK_MAX = 64  # candidates per grandchild: bounds what a crash costs and what can leak
_START_RETRIES = 1  # a worker that goes away while starting is started again this often


class WorkerStartError(RuntimeError):
    """Sandbox workers keep exiting before they can take work: nothing can run here."""


@dataclass
class Job:
    source: str  # the whole module source (the user's file, or a candidate fix)
    expectations: Sequence[Expectation]
    trace: TraceSpec | None = None
    stop_at_first_failure: bool = False
    wall_seconds: float | None = None  # the whole job; default from Limits


@dataclass
class _Batch:
    """An order in flight: its sources are the callers' jobs or candidates at `indices`."""

    indices: list[int]
    order: Order
    reported: int = 0  # sources answered so far (the worker answers them in order)
    restarts: int = 0  # workers that went away while starting with it (_start_again)


class _Worker:
    """One fork server process and the batch it is running, if any."""

    def __init__(self, env: dict[str, str], cwd: str, python: str) -> None:
        self.process = subprocess.Popen(
            worker_command(python),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=cwd,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.to_fd = self.process.stdin.fileno()
        self.from_fd = self.process.stdout.fileno()
        self.ready = False
        self.pytest = False  # told to import pytest, or given an order that needs it
        self.batch: _Batch | None = None  # in flight
        self.deadline = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid

    def submit(self, batch: _Batch) -> None:
        send(self.to_fd, batch.order)
        self.batch = batch
        self.extend(30.0 if not self.ready else 0.0)  # the first also waits for the imports

    def extend(self, extra: float = 0.0) -> None:
        """Expect the next answer within a source's wall time (and grace)."""
        assert self.batch is not None
        self.deadline = time.monotonic() + self.batch.order.wall_seconds + _GRACE_SECONDS + extra

    def receive(self) -> Any:
        message = receive(self.from_fd)
        if message == ("ready",):
            self.ready = True
            return None
        return message

    def stop(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _cleanup(workers: list[_Worker], base: list[str]) -> None:
    for worker in workers:
        worker.stop()
    workers.clear()
    for path in base:
        shutil.rmtree(path, ignore_errors=True)
    base.clear()


def _world_readable(path: str) -> bool:
    """Whether a user with no relation to `path`'s owner can reach and list it."""
    path = os.path.realpath(path)
    while True:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return True  # a missing sys.path entry blocks nothing
        if mode & 0o005 != 0o005:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def _unprivileged(sys_path: Sequence[str]) -> tuple[tuple[int, int], bool] | None:
    """((uid, gid) of `nobody`, whether the drop must keep the right to read everything).

    Imports made lazily by the code under test read the interpreter's files
    (`sys_path`: the child interpreter's) after the drop. An interpreter
    installed under /root (pyenv) is unreadable to `nobody`: the grandchild
    then keeps CAP_DAC_READ_SEARCH alone (Order.keep_read), which still takes
    root's writes, chmod, chown and signals away from it.
    """
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return None
    readable = all(_world_readable(p) for p in sys_path if p)
    return (nobody.pw_uid, nobody.pw_gid), not readable


def _homes() -> tuple[str, ...]:
    """The user's HOME folders (the environment's and the account's), as real paths."""
    found = {os.path.expanduser("~")}
    with contextlib.suppress(KeyError):
        found.add(pwd.getpwuid(os.geteuid()).pw_dir)
    real = {os.path.realpath(h) for h in found if h and os.path.isabs(h)}
    return tuple(sorted(h for h in real if h != os.sep and os.path.isdir(h)))


_PR_SET_DUMPABLE = 4


@functools.cache
def close_own_proc_files() -> bool:
    """Make this process non-dumpable, once: code under test running as the same user
    could otherwise read `/proc/<mgdebug pid>/environ` (every API key) or attach to it."""
    from .libc import prctl  # here: ctypes costs a run that never starts a sandbox

    return prctl(_PR_SET_DUMPABLE, 0)


class Sandbox:
    """Confined, parallel runs of jobs against one user file. Not thread-safe: one caller."""

    def __init__(
        self,
        module_path: str,
        limits: Limits | None = None,
        workers: int = 2,
        interpreter: Interpreter | None = None,
        root: str | None = None,
    ) -> None:
        """`interpreter`: what code under test runs in (None: mgdebug's own); `root`: the
        folder to copy when the caller knows the project (project mode), else found here."""
        close_own_proc_files()
        self.module_path = os.path.abspath(module_path)
        self.interpreter = interpreter or own_interpreter()
        self.limits = limits if limits is not None else Limits()
        self.worker_count = max(1, workers)
        folder = os.path.dirname(self.module_path)
        self._user_root = folder if os.path.isdir(folder) else None
        self._module_name = os.path.splitext(os.path.basename(self.module_path))[0]
        drop = (
            _unprivileged([*self.interpreter.sys_path, kit_folder()])
            if self.limits.drop_privileges and os.geteuid() == 0
            else None
        )
        self._run_as = drop[0] if drop else None
        self._keep_read = bool(drop and drop[1])
        self._hidden = _homes()
        self._workers: list[_Worker] = []
        self._base: list[str] = []  # the scratch temp dir, once made
        self._root = ""
        self._copied_root = self._user_root  # the user folder copied: the module's or its project's
        self._root_hint = os.path.abspath(root) if root else None
        self._copy = ""  # its copy, which holds self._root
        self._externals: dict[str, str] = {}
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _cleanup, self._workers, self._base)

    # -- lifecycle ------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._finalizer()

    @property
    def scratch_root(self) -> str:
        """The copy of the user's folder (made on first use)."""
        self._ensure_scratch()
        return self._root

    def start(self) -> None:
        """Start the first worker now, so its start-up overlaps the caller's own work."""
        with self._lock:
            self._start_workers(1)

    def isolation(self) -> dict[str, object]:
        """Which walls hold code under test on this machine: `sandbox` in `--json`.

        `level` is "kernel" when Landlock confines writes, the network and
        signals; "hook" when only the privilege drop (if any), rlimits and the
        audit hook do — which code that attacks the checker from inside its
        own process can get around (README, "Security").
        """
        from .landlock import abi_version, layers
        from .seccomp import supported

        abi = abi_version() if self.limits.landlock else 0
        user = "same user as mgdebug"
        if self._run_as:
            user = "separate user (nobody)" + (", reading as root" if self._keep_read else "")
        sockets = "" if self.limits.network else " no UDP, raw or Unix sockets;"
        forks = " no processes (threads only);" if self.limits.max_processes == 0 else ""
        filtered = (
            [
                f"seccomp: no capabilities;{sockets}{forks} no setuid or world-writable"
                " chmod, chown, xattrs, device nodes, ptrace, io_uring"
            ]
            if abi and supported()
            else []
        )
        reads = ["landlock: no reads in HOME's dot-folders"] if abi and self._hidden else []
        walls = [
            user,
            *layers(abi),
            *reads,
            *filtered,
            "rlimits: CPU, memory, file size, processes",
            "environment: allow-list, private HOME and TMPDIR",
            "audit hook: process starts and writes outside the scratch copy",
        ]
        if self.limits.network and abi >= 4:
            walls.remove("landlock: no TCP connections")
        return {"level": "kernel" if abi else "hook", "landlock_abi": abi, "layers": walls}

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self._workers]

    def _ensure_scratch(self) -> None:
        if self._base:
            return
        # pytest runs in the project's rootdir, with its config and conftest.py
        # files: copy that folder (pytest_discovery.project_root), not only the module's.
        if self._user_root is not None:
            self._copied_root = self._root_hint or str(project_root(self.module_path))
        copied = self._copied_root
        base, copy = make_scratch(copied, os.path.basename(copied or ""))
        self._copy = copy
        inside = os.path.relpath(self._user_root, copied) if self._user_root and copied else ""
        self._root = os.path.normpath(os.path.join(copy, inside))
        self._base.append(base)
        if self._run_as is not None:
            give_to(base, *self._run_as)

    def _start_workers(self, count: int = 1) -> None:
        """Have `count` workers (at most `worker_count`).

        Workers start as work needs them: a run of one job (the plain
        `mgdebug file.py` whose expectations pass) never pays for a second
        interpreter start (~60 ms of CPU on a 2-core machine, measured with
        benchmarks/startup.py).
        """
        if not self._finalizer.alive:
            raise RuntimeError("this Sandbox is closed")
        self._ensure_scratch()
        env = child_environment(os.environ, self._base[0], self.limits.pass_env)
        while len(self._workers) < min(count, self.worker_count):
            self._workers.append(_Worker(env, kit_folder(), self.interpreter.path))

    def _replace(self, worker: _Worker) -> _Worker:
        worker.process.kill()
        worker.stop()
        env = child_environment(os.environ, self._base[0], self.limits.pass_env)
        fresh = _Worker(env, kit_folder(), self.interpreter.path)
        self._workers[self._workers.index(worker)] = fresh
        return fresh

    # -- jobs -----------------------------------------------------------------

    def _order(self, job_id: int, job: Job) -> Order:
        module_file = os.path.join(self._root, os.path.basename(self.module_path))
        return Order(
            job_id=job_id,
            source=job.source,
            module_name=self._module_name,
            module_file=module_file,
            scratch_root=self._root,
            user_root=self._copied_root,
            expectations=list(job.expectations),
            trace=job.trace,
            stop_at_first_failure=job.stop_at_first_failure,
            wall_seconds=job.wall_seconds or self.limits.wall_seconds,
            limits=self.limits,
            test_files=self._test_files(job.expectations),
            run_as=self._run_as,
            keep_read=self._keep_read,
            hidden=self._hidden,
            scratch_base=self._base[0] if self.limits.landlock else "",
        )

    def _test_files(self, expectations: Sequence[Expectation]) -> dict[str, str]:
        """Map each pytest file to its place in the scratch copy, copying outsiders in."""
        mapping: dict[str, str] = {}
        for exp in expectations:
            if exp.kind != "pytest" or not exp.test_file:
                continue
            path = os.path.abspath(exp.test_file)
            copied = self._copied_root
            if copied is not None and path.startswith(copied + os.sep):
                mapping[exp.test_file] = os.path.join(self._copy, os.path.relpath(path, copied))
                continue
            if path not in self._externals:
                target = external_copy(self._root, path)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                # The folder too: its conftest.py and helpers are part of the test.
                copy_folder(os.path.dirname(path), os.path.dirname(target))
                if self._run_as is not None:
                    give_to(os.path.dirname(target), *self._run_as)
                self._externals[path] = target
            mapping[exp.test_file] = self._externals[path]
        return mapping

    def run(self, job: Job) -> list[ExpectationResult]:
        """Run one job; its results in the order of its expectations."""
        with contextlib.closing(self.run_many([job])) as stream:
            for _, results in stream:
                return results
        return []

    def run_many(self, jobs: Sequence[Job]) -> Generator[tuple[int, list[ExpectationResult]]]:
        """Run jobs in parallel over the workers; yield (job index, results) as they finish.

        Each job runs in a grandchild of its own.
        """
        return self._stream(_Batch([i], self._order(i, job)) for i, job in enumerate(jobs))

    def run_candidates(
        self,
        sources: Sequence[str],
        expectations: Sequence[Expectation],
        *,
        wall_seconds_each: float,
        stop_at_first_failure: bool = True,
    ) -> Generator[tuple[int, list[ExpectationResult]]]:
        """Run many versions of the module against the same expectations, untraced.

        Yields (index in `sources`, results) as each finishes, like run_many
        with one job per source, but a chunk of sources shares one forked
        grandchild, each source in a fresh module object, which is several
        times faster for the fix search. What one candidate can leave to the
        next is listed in sandbox_worker._ModuleRegistry. A source that loops
        is stopped after `wall_seconds_each` and reported "timeout"; one that
        kills its grandchild is reported "crash" and the chunk goes on in a
        new one.
        """
        size = self._chunk_size(len(sources))

        def batches() -> Iterator[_Batch]:
            for start in range(0, len(sources), size):
                chunk = list(sources[start : start + size])
                job = Job(chunk[0], expectations, None, stop_at_first_failure, wall_seconds_each)
                order = replace(self._order(start, job), candidates=chunk)
                yield _Batch(list(range(start, start + len(chunk))), order)

        return self._stream(batches())

    def _chunk_size(self, count: int) -> int:
        """Sources per grandchild: all workers busy until the end, few forks, short tails."""
        return max(1, min(_CHUNK_MAX, math.ceil(count / self.worker_count)))

    def _stream(self, batches: Iterator[_Batch]) -> Generator[tuple[int, list[ExpectationResult]]]:
        with self._lock:
            self._start_workers()
            pending = deque[_Batch]()
            retried: set[int] = set()
            try:
                while True:
                    for worker in self._workers:
                        if worker.batch is None:
                            if not pending:
                                pending.extend(itertools.islice(batches, 1))
                            if pending:
                                self._submit(worker, pending.popleft(), retried)
                    if len(self._workers) < self.worker_count:
                        if not pending:
                            pending.extend(itertools.islice(batches, 1))
                        if pending:  # every worker is busy and there is more: one more
                            self._start_workers(len(self._workers) + 1)
                            continue
                    if not any(w.batch for w in self._workers):
                        return
                    yield from self._collect(retried)
            finally:
                self._abandon()

    def _submit(self, worker: _Worker, batch: _Batch, retried: set[int]) -> None:
        try:
            worker.submit(batch)
        except OSError:
            if worker.ready:  # the worker died while idle: start another, once
                worker = self._replace(worker)
                retried.update(batch.indices)
                try:
                    worker.submit(batch)
                except OSError:
                    worker = self._start_again(worker, batch)
            else:
                worker = self._start_again(worker, batch)
        if any(e.kind == "pytest" for e in batch.order.expectations):
            self._warm_pytest(worker)

    def _start_again(self, worker: _Worker, batch: _Batch) -> _Worker:
        """Replace a worker that went away while starting (a broken pipe, or its pipe's
        end before "ready"), once per batch, and give the new one `batch`.

        A worker takes orders only after it said "ready", so nothing of the batch
        ran: this is not the batch's one retry (`retried`), and no verdict on its
        code. A second failure means workers cannot start here (WorkerStartError).
        """
        while True:
            status = worker.process.poll()
            if batch.restarts >= _START_RETRIES:
                worker.process.kill()
                worker.stop()
                self._workers.remove(worker)  # the next run starts a fresh one
                how = "still starting" if status is None else f"exit status {status}"
                raise WorkerStartError(
                    f"the sandbox worker ({self.interpreter.path}) went away while starting,"
                    f" {batch.restarts + 1} times in a row ({how})"
                )
            batch.restarts += 1
            worker = self._replace(worker)
            try:
                worker.submit(batch)
            except OSError:
                continue
            return worker

    def _warm_pytest(self, busy: _Worker) -> None:
        """Have idle workers import pytest (seconds) while `busy` runs the first pytest job.

        Otherwise each does so on its first pytest job, later, when the caller
        is waiting for it or wants it to cancel.
        """
        busy.pytest = True
        for worker in self._workers:
            if not worker.pytest and worker.batch is None:
                worker.pytest = True
                with contextlib.suppress(OSError):  # a dead worker is found out later
                    send(worker.to_fd, "warm-pytest")

    def _collect(self, retried: set[int]) -> Iterator[tuple[int, list[ExpectationResult]]]:
        busy = {w.from_fd: w for w in self._workers if w.batch is not None}
        timeout = max(0.0, min(w.deadline for w in busy.values()) - time.monotonic())
        ready, _, _ = select.select(list(busy), [], [], timeout)
        for fd in ready:
            worker = busy[fd]
            try:
                message = worker.receive()
            except (ChannelClosed, OSError):
                yield from self._worker_lost(worker, retried, "the sandbox worker died")
                continue
            batch = worker.batch
            if message is None or batch is None:
                continue
            ids = [e.id for e in batch.order.expectations]
            if not validate.worker_results(message, len(batch.indices), ids):
                yield from self._worker_lost(worker, retried, "the sandbox worker sent nonsense")
                continue
            batch.reported += 1
            if batch.reported == len(batch.indices):
                worker.batch = None
            else:
                worker.extend()
            yield batch.indices[message[2]], message[3]
        for worker in busy.values():
            if worker.batch is not None and time.monotonic() > worker.deadline:
                yield from self._worker_lost(
                    worker, retried, "the sandbox worker stopped answering"
                )

    def _worker_lost(
        self, worker: _Worker, retried: set[int], reason: str
    ) -> Iterator[tuple[int, list[ExpectationResult]]]:
        """Restart a dead or hung worker; retry its unanswered sources once, then report a crash.

        The source it was running when it went is the first unanswered one.
        """
        batch = worker.batch
        assert batch is not None
        if not worker.ready:  # it went away while starting: nothing of the batch ran
            worker.batch = None  # now the new worker's
            self._start_again(worker, batch)
            return
        fresh = self._replace(worker)
        indices = batch.indices[batch.reported :]
        sources = list(batch.order.sources())[batch.reported :]
        if indices[0] in retried:
            crash = [
                ExpectationResult(e.id, "crash", message=reason) for e in batch.order.expectations
            ]
            yield indices[0], crash
            indices, sources = indices[1:], sources[1:]
        if not indices:
            return
        retried.update(indices)
        order = replace(
            batch.order,
            source=sources[0],
            candidates=sources if batch.order.candidates else (),
        )
        fresh.submit(_Batch(indices, order))

    def _abandon(self) -> None:
        """The caller stopped early: cancel what is still running, drain the answers."""
        for worker in list(self._workers):
            if worker.batch is None:
                continue
            try:
                send(worker.to_fd, "cancel")
                while worker.batch is not None:
                    ready, _, _ = select.select([worker.from_fd], [], [], 5.0)
                    if not ready:
                        raise ChannelClosed
                    batch = worker.batch
                    if worker.receive() is not None:
                        batch.reported += 1
                        if batch.reported == len(batch.indices):
                            worker.batch = None
            except (ChannelClosed, OSError):
                self._replace(worker)
