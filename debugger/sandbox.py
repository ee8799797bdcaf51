"""Run expectations against a module source in confined child processes.

    with Sandbox("/path/to/user/file.py", Limits()) as box:
        results = box.run(Job(source, expectations, trace=TraceSpec(blocks)))
        for index, results in box.run_many(jobs): ...

The caller never runs user code. `Sandbox` keeps `workers` fork servers
(sandbox_worker.py) alive; each job is one fork of a warm worker, confined in
sandbox_child.py, executed by execution.py (and traced by tracer.py). Code under
test runs in a scratch copy of the user's folder, which is made on first use.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import select
import shutil
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from mgdebug.analysis.model import Expectation

from .options import Limits
from .results import ExpectationResult
from .sandbox_protocol import ChannelClosed, Order, TraceSpec, receive, send
from .sandbox_scratch import (
    child_environment,
    copy_folder,
    external_copy,
    give_to,
    make_scratch,
)

__all__ = ["Job", "Sandbox", "TraceSpec"]

_WORKER_MODULE = "mgdebug.debugger.sandbox_worker"
_GRACE_SECONDS = (
    30.0  # beyond a job's wall time (pytest warm-up included) before a worker is presumed hung
)


@dataclass
class Job:
    source: str  # the whole module source (the user's file, or a candidate fix)
    expectations: Sequence[Expectation]
    trace: TraceSpec | None = None
    stop_at_first_failure: bool = False
    wall_seconds: float | None = None  # the whole job; default from Limits


class _Worker:
    """One fork server process and the job it is running, if any."""

    def __init__(self, env: dict[str, str], cwd: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", _WORKER_MODULE],
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
        self.job: tuple[int, Order] | None = None  # (job index, order) in flight
        self.deadline = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid

    def submit(self, index: int, order: Order) -> None:
        send(self.to_fd, order)
        self.job = (index, order)
        self.deadline = (
            time.monotonic()
            + order.wall_seconds
            + _GRACE_SECONDS
            + (
                0 if self.ready else 30.0  # the first job also waits for the worker's imports
            )
        )

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


def _unprivileged() -> tuple[int, int] | None:
    """(uid, gid) of `nobody`, if code running as it could still import Python's libraries.

    Imports made lazily by the code under test read the interpreter's files
    after the drop; an interpreter installed under /root (pyenv) is unreadable
    to `nobody`, and then we keep root and rely on the audit hook.
    """
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return None
    if not all(_world_readable(p) for p in sys.path if p):
        return None
    return nobody.pw_uid, nobody.pw_gid


class Sandbox:
    """Confined, parallel runs of jobs against one user file. Not thread-safe: one caller."""

    def __init__(self, module_path: str, limits: Limits | None = None, workers: int = 2) -> None:
        self.module_path = os.path.abspath(module_path)
        self.limits = limits if limits is not None else Limits()
        self.worker_count = max(1, workers)
        folder = os.path.dirname(self.module_path)
        self._user_root = folder if os.path.isdir(folder) else None
        self._module_name = os.path.splitext(os.path.basename(self.module_path))[0]
        self._run_as = (
            _unprivileged() if self.limits.drop_privileges and os.geteuid() == 0 else None
        )
        self._workers: list[_Worker] = []
        self._base: list[str] = []  # the scratch temp dir, once made
        self._root = ""
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

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self._workers]

    def _ensure_scratch(self) -> None:
        if self._base:
            return
        base, self._root = make_scratch(self._user_root, os.path.basename(self._user_root or ""))
        self._base.append(base)
        if self._run_as is not None:
            give_to(base, *self._run_as)

    def _start_workers(self) -> None:
        if not self._finalizer.alive:
            raise RuntimeError("this Sandbox is closed")
        self._ensure_scratch()
        env = child_environment(os.environ)
        while len(self._workers) < self.worker_count:
            self._workers.append(_Worker(env, self._base[0]))

    def _replace(self, worker: _Worker) -> _Worker:
        worker.process.kill()
        worker.stop()
        fresh = _Worker(child_environment(os.environ), self._base[0])
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
            user_root=self._user_root,
            expectations=list(job.expectations),
            trace=job.trace,
            stop_at_first_failure=job.stop_at_first_failure,
            wall_seconds=job.wall_seconds or self.limits.wall_seconds,
            limits=self.limits,
            test_files=self._test_files(job.expectations),
            run_as=self._run_as,
        )

    def _test_files(self, expectations: Sequence[Expectation]) -> dict[str, str]:
        """Map each pytest file to its place in the scratch copy, copying outsiders in."""
        mapping: dict[str, str] = {}
        for exp in expectations:
            if exp.kind != "pytest" or not exp.test_file:
                continue
            path = os.path.abspath(exp.test_file)
            if self._user_root is not None and path.startswith(self._user_root + os.sep):
                mapping[exp.test_file] = os.path.join(
                    self._root, os.path.relpath(path, self._user_root)
                )
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
        """Run jobs in parallel over the workers; yield (job index, results) as they finish."""
        with self._lock:
            self._start_workers()
            pending = deque(enumerate(jobs))
            retried: set[int] = set()
            try:
                while pending or any(w.job for w in self._workers):
                    for worker in self._workers:
                        if worker.job is None and pending:
                            index, job = pending.popleft()
                            self._submit(worker, index, self._order(index, job), retried)
                    yield from self._collect(retried, pending)
            finally:
                self._abandon()

    def _submit(self, worker: _Worker, index: int, order: Order, retried: set[int]) -> None:
        try:
            worker.submit(index, order)
        except OSError:  # the worker died while idle: start another, once
            fresh = self._replace(worker)
            retried.add(index)
            fresh.submit(index, order)

    def _collect(
        self, retried: set[int], pending: deque[tuple[int, Job]]
    ) -> Iterator[tuple[int, list[ExpectationResult]]]:
        busy = {w.from_fd: w for w in self._workers if w.job is not None}
        timeout = max(0.0, min(w.deadline for w in busy.values()) - time.monotonic())
        ready, _, _ = select.select(list(busy), [], [], timeout)
        for fd in ready:
            worker = busy[fd]
            try:
                message = worker.receive()
            except (ChannelClosed, OSError):
                yield from self._worker_lost(worker, retried, "the sandbox worker died")
                continue
            if message is None or worker.job is None:
                continue
            index, _ = worker.job
            worker.job = None
            yield index, message[2]
        for worker in busy.values():
            if worker.job is not None and time.monotonic() > worker.deadline:
                yield from self._worker_lost(
                    worker, retried, "the sandbox worker stopped answering"
                )

    def _worker_lost(
        self, worker: _Worker, retried: set[int], reason: str
    ) -> Iterator[tuple[int, list[ExpectationResult]]]:
        """Restart a dead or hung worker; retry its job once, then report a crash."""
        assert worker.job is not None
        index, order = worker.job
        fresh = self._replace(worker)
        if index not in retried:
            retried.add(index)
            fresh.submit(index, order)
            return
        yield (
            index,
            [ExpectationResult(exp.id, "crash", message=reason) for exp in order.expectations],
        )

    def _abandon(self) -> None:
        """The caller stopped early: cancel jobs still running, drain their answers."""
        for worker in list(self._workers):
            if worker.job is None:
                continue
            try:
                send(worker.to_fd, "cancel")
                while worker.job is not None:
                    ready, _, _ = select.select([worker.from_fd], [], [], 5.0)
                    if not ready:
                        raise ChannelClosed
                    if worker.receive() is not None:
                        worker.job = None
            except (ChannelClosed, OSError):
                self._replace(worker)
