"""Scheduling of debugging runs: off the event loop, cancellable, with progress.

The engine blocks for seconds (it runs the user's code in sandbox processes),
so it always runs on this module's own thread pool. pygls reads stdin on its
default pool; sharing that pool would let two long runs stop the server from
reading the very `$/cancelRequest` that should stop them.

A run stops when any of these sets its `threading.Event`: a newer edit of the
same document, the request that started it being cancelled (`$/cancelRequest`),
or the user pressing cancel on its progress notification
(`window/workDoneProgress/cancel`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import threading
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from lsprotocol import types
from pygls.progress import Progress

if TYPE_CHECKING:
    from mgdebug.debugger.engine import Engine, ProgressCallback

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[threading.Event, "ProgressCallback"], T]

PROGRESS_AFTER = 0.5  # seconds: shorter runs would only flash a progress bar
ENGINE_VARIABLE = "MGDEBUG_LSP_ENGINE"  # "module:function", for tests that need a scripted engine


def load_engine() -> Engine:
    """The engine entry point; tests may name another with $MGDEBUG_LSP_ENGINE."""
    spec = os.environ.get(ENGINE_VARIABLE, "")
    if not spec:
        from mgdebug.debugger.engine import debug_source

        return debug_source
    module, _, name = spec.partition(":")
    engine: Engine = getattr(importlib.import_module(module), name)
    return engine


class ProgressBar:
    """The client's progress bars: pygls's tracker, and whether we may create a token."""

    def __init__(self, progress: Progress, may_create: Callable[[], bool]) -> None:
        self.progress = progress
        self.may_create = may_create  # the client supports window/workDoneProgress/create


class _Progress:
    """`$/progress` for one run, begun only if the run outlives PROGRESS_AFTER."""

    def __init__(
        self,
        tracker: ProgressBar,
        title: str,
        cancel: threading.Event,
        token: types.ProgressToken | None,
    ) -> None:
        self._tracker = tracker
        self._title = title
        self._cancel = cancel
        self._token = token
        self._begun = False
        self._last: tuple[str, int] | None = None
        self._loop = asyncio.get_running_loop()

    async def begin(self) -> None:
        progress = self._tracker.progress
        if self._token is None:
            if not self._tracker.may_create():
                return
            self._token = f"mgdebug/{uuid.uuid4()}"
            try:
                await progress.create_async(self._token)
            except Exception as exc:  # the client may refuse; the run goes on without a bar
                log.info("client refused a progress token: %s", exc)
                return
        progress.begin(
            self._token,
            types.WorkDoneProgressBegin(title=self._title, cancellable=True, percentage=0),
        )
        self._begun = True
        # pygls cancels this future on `window/workDoneProgress/cancel`
        progress.tokens[self._token].add_done_callback(lambda _: self._cancel.set())

    def from_thread(self, message: str, percent: int) -> None:
        """The engine's progress callback; called on the worker thread."""
        self._loop.call_soon_threadsafe(self._report, message, percent)

    def _report(self, message: str, percent: int) -> None:
        if not self._begun or self._token is None or self._last == (message, percent):
            return
        self._last = (message, percent)
        self._tracker.progress.report(
            self._token,
            types.WorkDoneProgressReport(message=message, percentage=max(0, min(100, percent))),
        )

    def end(self, message: str) -> None:
        if not self._begun or self._token is None:
            return
        self._begun = False
        self._tracker.progress.end(self._token, types.WorkDoneProgressEnd(message=message))
        self._tracker.progress.tokens.pop(self._token, None)


class Runs:
    """The worker pool, the pending work per document, and what can cancel it."""

    def __init__(self, progress: ProgressBar, workers: int = 2) -> None:
        self._progress = progress
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="mgdebug-run")
        self._pending: dict[str, asyncio.Task[None]] = {}  # debounced refresh per document
        self._cancels: dict[str, set[threading.Event]] = {}  # running work per document
        self._requests: dict[object, threading.Event] = {}  # request id → its run
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        # imported on first use: the engine pulls in tree-sitter and the sandbox, and a
        # server that cannot debug should still start and report syntax errors
        if self._engine is None:
            self._engine = load_engine()
        return self._engine

    def schedule(self, uri: str, delay: float, refresh: Callable[[], Awaitable[None]]) -> None:
        """Run `refresh` after `delay` unless something newer for `uri` comes first."""
        self.cancel_document(uri)

        async def later() -> None:
            await asyncio.sleep(delay)
            await refresh()

        task = asyncio.ensure_future(later())
        self._pending[uri] = task
        task.add_done_callback(lambda t: self._forget(uri, t))

    def _forget(self, uri: str, task: asyncio.Task[None]) -> None:
        if self._pending.get(uri) is task:
            del self._pending[uri]
        if not task.cancelled() and (exc := task.exception()) is not None:
            # one line in the editor's output channel (the server's stderr); the traceback
            # only with MGDEBUG_LOG_LEVEL=DEBUG
            log.error("refresh of %s failed: %s: %s", uri, type(exc).__name__, exc)
            log.debug("traceback of the failed refresh", exc_info=exc)

    def cancel_document(self, uri: str) -> None:
        """A newer text makes every run on the older one pointless."""
        if (task := self._pending.pop(uri, None)) is not None:
            task.cancel()
        for event in self._cancels.get(uri, ()):
            event.set()

    def cancel_request(self, request_id: object) -> None:
        """`$/cancelRequest` for a request whose handler waits on a run."""
        if (event := self._requests.get(request_id)) is not None:
            event.set()

    async def run(
        self,
        uri: str,
        work: Work[T],
        *,
        title: str,
        token: types.ProgressToken | None = None,
        request_id: object = None,
        asked: bool = False,
    ) -> T | None:
        """`work` on the pool; None when it was cancelled. Engine errors propagate.

        A run the user `asked` for (a command) shows progress at once; a
        background run only once it outlives PROGRESS_AFTER.
        """
        cancel = threading.Event()
        progress = _Progress(self._progress, title, cancel, token)
        self._cancels.setdefault(uri, set()).add(cancel)
        if request_id is not None:
            self._requests[request_id] = cancel
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, work, cancel, progress.from_thread)
        # a cancelled run's own error has no reader; retrieving it keeps asyncio quiet
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        outcome = "cancelled"
        try:
            done, _ = await asyncio.wait({future}, timeout=0 if asked else PROGRESS_AFTER)
            if not done:
                await progress.begin()
            result = await future
            outcome = "done"
            return None if cancel.is_set() else result
        except asyncio.CancelledError:
            cancel.set()  # the thread cannot be interrupted, but the engine checks this
            raise
        except Exception:
            if cancel.is_set():
                return None  # engine.Cancelled, or whatever a cancelled run broke off with
            outcome = "failed"
            raise
        finally:
            progress.end(outcome)
            self._cancels[uri].discard(cancel)
            if not self._cancels[uri]:
                del self._cancels[uri]
            if request_id is not None:
                self._requests.pop(request_id, None)

    def shutdown(self) -> None:
        for uri in list(self._pending) + list(self._cancels):
            self.cancel_document(uri)
        self._executor.shutdown(wait=False, cancel_futures=True)
