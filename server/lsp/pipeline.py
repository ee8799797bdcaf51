"""What happens to a document: check its syntax, move old results onto its text,
decide what to re-run, run it, merge, publish.

Only the functions an edit can have changed are re-run: the edited ones and
their callers (a caller's expectations run through its callees). An edit
outside every function (imports, constants, module-level asserts) can change
anything, so it re-runs the whole file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace import TextDocument

from mgdebug.analysis.model import SyntaxProblem
from mgdebug.debugger.options import DebugOptions
from mgdebug.debugger.report import Report

from . import diagnostics
from .documents import (
    MAX_SOURCE_CHARS,
    FunctionSpan,
    Snapshot,
    callers_closure,
    function_text,
    index_functions,
    ingest,
    remap,
)

if TYPE_CHECKING:
    from mgdebug.debugger.engine import ProgressCallback

    from .server import MgdebugServer

log = logging.getLogger(__name__)


@dataclass
class DocumentState:
    """Results for one open document, and what was last shown for it."""

    results: Snapshot | None = None  # merged results, on the text they were computed for
    syntax_error: SyntaxProblem | None = None  # in the current text
    notice: str = ""  # why the document is not debugged at all
    _view: tuple[int | None, Snapshot | None] | None = field(default=None, repr=False)

    def set_results(self, results: Snapshot) -> None:
        self.results = results
        self._view = None

    def view(self, doc: TextDocument) -> Snapshot | None:
        """Results moved onto the document's current text; None while it does not parse."""
        if self.results is None or self.notice:
            return None
        if self._view is not None and self._view[0] == doc.version:
            return self._view[1]
        spans = index_functions(doc.source)
        moved = remap(self.results, doc.source, spans) if isinstance(spans, dict) else None
        self._view = (doc.version, moved)
        return moved


def unsupported_reason(source: str) -> str:
    if "\x00" in source:
        return "mgdebug: this looks like a binary file (it contains NUL bytes); not debugged."
    if len(source) > MAX_SOURCE_CHARS:
        return (
            f"mgdebug: this file has {len(source):,} characters, more than the "
            f"{MAX_SOURCE_CHARS:,} mgdebug debugs; not debugged."
        )
    return ""


def publish(ls: MgdebugServer, uri: str) -> None:
    doc = ls.workspace.text_documents.get(uri)
    state = ls.states.get(uri)
    if doc is None or state is None:
        return
    if not ls.settings.enable:
        items: list[types.Diagnostic] = []
    else:
        # during a syntax error the last good results stay where they were last shown
        snapshot = state.results if state.syntax_error else state.view(doc)
        items = diagnostics.build(doc, snapshot, state.syntax_error, state.notice)
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=doc.version)
    )


async def refresh(ls: MgdebugServer, uri: str, *, debug: bool) -> None:
    """Check the current text, republish, and debug it if asked and allowed."""
    doc = ls.workspace.text_documents.get(uri)
    if doc is None or not ls.settings.enable:
        return
    state = ls.states.setdefault(uri, DocumentState())
    source = doc.source
    state.notice = unsupported_reason(source)
    if state.notice:
        publish(ls, uri)
        return
    spans = await asyncio.to_thread(index_functions, source)
    if isinstance(spans, SyntaxProblem):
        state.syntax_error = spans
        publish(ls, uri)
        return
    state.syntax_error = None
    publish(ls, uri)
    if debug:
        if not ls.settings.may_run_code:
            ls.notice_once(ls.settings.not_running_reason)
            return
        # debug_document told the user; a background refresh has no one else to answer
        with contextlib.suppress(Exception):
            await debug_document(ls, uri, doc, spans)


def plan(previous: Snapshot | None, source: str, spans: dict[str, FunctionSpan]) -> set[str] | None:
    """The functions to re-run after an edit: None for the whole file, empty for none."""
    if previous is None:
        return None
    old_spans = index_functions(previous.source)
    if not isinstance(old_spans, dict):
        return None
    old_lines, new_lines = previous.source.splitlines(True), source.splitlines(True)
    if _outside_functions(old_lines, old_spans) != _outside_functions(new_lines, spans):
        return None
    changed = {
        name
        for name, span in spans.items()
        if name not in old_spans
        or function_text(old_lines, old_spans[name]) != function_text(new_lines, span)
    }
    changed |= set(old_spans) - set(spans)  # removed: their callers now fail differently
    rerun = callers_closure(spans, changed) & set(spans)
    if len(rerun) > max(len(spans) // 2, 1):
        return None  # one whole run costs less than many narrow ones
    return rerun


def _outside_functions(lines: list[str], spans: dict[str, FunctionSpan]) -> list[str]:
    inside: set[int] = set()
    for span in spans.values():
        inside.update(range(span.line, span.end_line + 1))
    # blank lines move when functions grow; they mean nothing
    return [text for i, text in enumerate(lines, 1) if i not in inside and text.strip()]


def _merge(
    old: Snapshot | None, fresh: Snapshot, rerun: set[str] | None, spans: dict[str, FunctionSpan]
) -> Snapshot:
    if old is None or rerun is None:
        return fresh
    merged = remap(old, fresh.source, spans)
    functions = {n: s for n, s in merged.functions.items() if n not in rerun}
    for name, state in fresh.functions.items():
        if name in rerun or name not in functions:
            functions[name] = state
    # whether the module imports is a fact about the whole file, whatever part re-ran
    return replace(
        merged, functions=functions, messages=fresh.messages, could_not_run=fresh.could_not_run
    )


def _publish_early(
    ls: MgdebugServer,
    uri: str,
    doc: TextDocument,
    source: str,
    early: Snapshot,
    rerun: set[str] | None,
    spans: dict[str, FunctionSpan],
) -> None:
    state = ls.states.get(uri)
    if state is None or ls.workspace.text_documents.get(uri) is not doc or doc.source != source:
        return  # closed, or the text moved on
    state.set_results(_merge(state.results, early, rerun, spans))
    publish(ls, uri)


async def debug_document(
    ls: MgdebugServer,
    uri: str,
    doc: TextDocument,
    spans: dict[str, FunctionSpan],
    *,
    only: set[str] | None = None,
    token: types.ProgressToken | None = None,
    request_id: object = None,
) -> Snapshot | None:
    """Debug the document's current text (all of it, what changed, or `only`).

    `only` is what a user asked for by command; such a run shows progress at once.
    """
    state = ls.states.setdefault(uri, DocumentState())
    source, path = doc.source, doc.path or uri
    rerun = (
        only if only is not None else await asyncio.to_thread(plan, state.results, source, spans)
    )
    if rerun is not None and not rerun:
        return state.results
    options = DebugOptions(search_seconds=ls.settings.timeBudget, python=ls.settings.python or None)
    loop = asyncio.get_running_loop()

    def show_early(report: Report) -> None:
        """Suspects are known before the fix search: show them now (from the run's thread)."""
        early = ingest(report, source)
        for state in early.functions.values():
            state.searching = state.report.status == "fail" or state.report.blamed
        loop.call_soon_threadsafe(_publish_early, ls, uri, doc, source, early, rerun, spans)

    def work(cancel: threading.Event, progress: ProgressCallback) -> Snapshot:
        engine = ls.runs.engine  # the first use imports it: on this thread, not the loop
        narrowed = options if rerun is None else replace(options, functions=sorted(rerun))
        report = engine(
            source, path, narrowed, cancel=cancel, progress=progress, localized=show_early
        )
        return ingest(report, source)

    what = "whole file" if rerun is None else ", ".join(sorted(rerun))
    try:
        fresh = await ls.runs.run(
            uri,
            work,
            title=f"mgdebug: debugging {what}",
            token=token,
            request_id=request_id,
            asked=only is not None,
        )
    except Exception as exc:
        log.exception("debugging %s failed", uri)
        ls.notice_once(f"mgdebug: debugging failed: {exc!r} (details in the server log)")
        raise
    if fresh is None or ls.workspace.text_documents.get(uri) is not doc or doc.source != source:
        return None  # cancelled, closed, or the text moved on while it ran
    state.set_results(_merge(state.results, fresh, rerun, spans))
    for message in fresh.messages:
        ls.window_log_message(types.LogMessageParams(types.MessageType.Info, message))
    publish(ls, uri)
    return state.results
