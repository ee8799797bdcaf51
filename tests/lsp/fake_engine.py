"""A scripted stand-in for the engine, for tests that need a run of known length.

The server loads it when $MGDEBUG_LSP_ENGINE is "tests.lsp.fake_engine:debug_source".
A line `# fake-engine: slow SECONDS` makes the run take that long, reporting
progress and honouring cancellation the way the engine promises to. Every
call is appended to the file named by $MGDEBUG_FAKE_ENGINE_LOG as one JSON
line, so a test can see what ran and what was cancelled.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from mgdebug.debugger.options import DebugOptions
from mgdebug.debugger.report import Report

if TYPE_CHECKING:
    from mgdebug.debugger.engine import Engine

ProgressCallback = Callable[[str, int], None]


class Cancelled(Exception):
    """Like engine.Cancelled; the server recognises any error after its cancel Event."""


SLOW = re.compile(r"# fake-engine: slow ([0-9.]+)")


def _log(**entry: object) -> None:
    if path := os.environ.get("MGDEBUG_FAKE_ENGINE_LOG"):
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")


def debug_source(
    source: str,
    path: str,
    options: DebugOptions | None = None,
    *,
    cancel: threading.Event | None = None,
    progress: ProgressCallback | None = None,
    localized: Callable[[Report], None] | None = None,
) -> Report:
    narrowed = (options.functions or [options.function]) if options else []
    function = ",".join(n for n in narrowed if n) or None
    _log(event="start", function=function, budget=options.search_seconds if options else None)
    match = SLOW.search(source)
    seconds = float(match.group(1)) if match else 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cancel is not None and cancel.is_set():
            _log(event="cancelled", function=function)
            raise Cancelled()
        if progress is not None:
            left = deadline - time.monotonic()
            progress("running expectations", int(100 * (1 - left / seconds)))
        time.sleep(0.02)
    _log(event="done", function=function)
    return Report(path=path, messages=["fake engine ran"])


if TYPE_CHECKING:  # the scripted engine keeps the real one's signature (checked by mypy)
    _ENGINE: Engine = debug_source
