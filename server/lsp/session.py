"""The language server's state: settings, open documents' results, and their runs.

`Session` owns all of it and talks to the editor only through the callbacks
it is handed (`Client`), so it knows nothing of pygls's server object and
`server.py` can stay a list of handlers. What happens to one text of a
document is in `pipeline.py`, which gets a `DocumentSnapshot`, never the
session.

The model (model_setup.py) is asked only by runs that a save or a command
starts: opening a file and typing run offline, so browsing and editing never
cost a request, and a save after an offline run asks the model about the
failing functions it has not yet seen with the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument

from mgdebug.analysis.model import ModuleInfo, SyntaxProblem
from mgdebug.debugger.llm.config import ModelConfig
from mgdebug.debugger.options import DebugOptions

from . import diagnostics, pipeline, views
from .documents import Snapshot, remap
from .logs import one_line
from .model_setup import ModelSetup
from .pipeline import DocumentSnapshot
from .project import ProjectResults
from .runs import ProgressBar, Runs
from .settings import Settings, parse_initialization_options, parse_settings, problems_message

log = logging.getLogger(__name__)

OPEN_DELAY = 0.1  # seconds; editors often send didOpen then an immediate didChange
SAVE_DELAY = 0.1
TYPE_DELAY = 0.4  # roughly a typing pause


@dataclass(frozen=True)
class Client:
    """What the session may ask of the editor; `server.py` wires each to pygls."""

    document: Callable[[str], TextDocument | None]  # the editor's buffer, if it was opened
    open_uris: Callable[[], list[str]]
    publish: Callable[[types.PublishDiagnosticsParams], None]
    show_message: Callable[[types.ShowMessageParams], None]
    log_message: Callable[[types.LogMessageParams], None]
    refresh_views: Callable[[], None]  # code lenses and inlay hints, if the client can
    # a document's outcome in a few numbers (`mgdebug/status`), if the client asked for it
    status: Callable[[str, dict[str, Any]], None]
    apply_edit: Callable[
        [types.ApplyWorkspaceEditParams], Awaitable[types.ApplyWorkspaceEditResult]
    ]
    progress: ProgressBar


@dataclass
class DocumentState:
    """Results for one open document, and what was last shown for it."""

    results: Snapshot | None = None  # merged results, on the text they were computed for
    syntax_error: SyntaxProblem | None = None  # in the current text
    notice: str = ""  # why the document is not debugged at all
    # Diagnostics a generator found (generate_actions.py), with the text they are about:
    # shown beside the run's until that text changes.
    findings: tuple[str, list[types.Diagnostic]] = ("", [])
    _analysis: ModuleInfo | None = field(default=None, repr=False)  # of the latest text
    _view: tuple[int | None, Snapshot | None] | None = field(default=None, repr=False)

    def set_results(self, results: Snapshot) -> None:
        self.results = results
        self._view = None

    def analysis(self, source: str) -> ModuleInfo:
        """`source` analysed once, however many requests ask."""
        if self._analysis is None or self._analysis.source != source:
            self._analysis = pipeline.analyse(source)
        return self._analysis

    def cached_analysis(self, source: str) -> ModuleInfo | None:
        found = self._analysis
        return found if found is not None and found.source == source else None

    def remember(self, module: ModuleInfo) -> None:
        """An analysis made off the event loop, for the requests that follow."""
        self._analysis = module

    def view(self, doc: TextDocument) -> Snapshot | None:
        """Results moved onto the document's current text; None while it does not parse."""
        if self.results is None or self.notice:
            return None
        if self._view is not None and self._view[0] == doc.version:
            return self._view[1]
        module = self.analysis(doc.source)
        moved = None if module.syntax_errors else remap(self.results, module)
        self._view = (doc.version, moved)
        return moved


class Session:
    """Settings, per-document state and runs of one language-server session."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.settings = Settings()
        self.documents: dict[str, DocumentState] = {}
        self.runs = Runs(client.progress)
        self.setting_problems: list[str] = []
        self._notices: set[str] = set()
        self._statuses: dict[str, dict[str, Any]] = {}  # last sent per document
        self.model = ModelSetup(self._warn, self._log)
        # project runs' marks (project.py): in any workspace file, open or not
        self.project = ProjectResults(
            client.document,
            client.publish,
            self.publish,
            lambda uri: uri in self.documents,
            lambda: self.settings.maxSuspects,
        )

    # -- messages ---------------------------------------------------------------

    def notice_once(self, message: str) -> None:
        """An info message the user needs once per session, not once per file."""
        if message and message not in self._notices:
            self._notices.add(message)
            self.client.show_message(types.ShowMessageParams(types.MessageType.Info, message))

    def _warn(self, message: str) -> None:
        self.client.show_message(types.ShowMessageParams(types.MessageType.Warning, message))
        self._log(message)

    def _log(self, message: str) -> None:
        self.client.log_message(types.LogMessageParams(types.MessageType.Info, message))

    def _report_settings_problems(self, problems: list[str]) -> None:
        if problems:
            self.client.show_message(
                types.ShowMessageParams(types.MessageType.Warning, problems_message(problems))
            )

    # -- lifecycle and settings ---------------------------------------------------

    def initialize(self, options: Any) -> None:
        self.settings, self.setting_problems = parse_initialization_options(options)

    def initialized(self) -> None:
        self._report_settings_problems(self.setting_problems)
        if self.settings.enable and not self.settings.may_run_code:
            self.notice_once(self.settings.not_running_reason)

    def change_settings(self, raw: Any) -> None:
        """New settings; every document is re-checked if what runs changed."""
        before = self.settings
        self.settings, problems = parse_settings(raw, before)
        self._report_settings_problems(problems)
        after = self.settings
        if before.model != after.model:
            self.model.forget()
        if after.enable and not after.may_run_code:
            self.notice_once(after.not_running_reason)
        if (before.enable, before.may_run_code) != (after.enable, after.may_run_code):
            for uri in self.client.open_uris():
                self.publish(uri)
                self.schedule(uri, OPEN_DELAY, debug=after.may_run_code)
        elif before.maxSuspects != after.maxSuspects:
            for uri in self.client.open_uris():
                self.publish(uri)  # the same results, more or fewer lines marked
        if before.inlayValues != after.inlayValues or before.enable != after.enable:
            self.client.refresh_views()

    def shutdown(self) -> None:
        self.runs.shutdown()

    # -- document events ----------------------------------------------------------

    def opened(self, uri: str) -> None:
        """A new document is debugged once, whatever `run` says (see settings.py)."""
        self.documents[uri] = DocumentState()
        self.schedule(uri, OPEN_DELAY, debug=True)

    def changed(self, uri: str) -> None:
        self.schedule(uri, TYPE_DELAY, debug=self.settings.run == "onType")

    def saved(self, uri: str) -> None:
        doc = self.client.document(uri)
        self.project.saved(uri, doc.source if doc else None)  # marks of the old text go
        self.schedule(uri, SAVE_DELAY, debug=self.settings.run != "onOpen", model=True)

    def closed(self, uri: str) -> None:
        self.runs.cancel_document(uri)
        self.documents.pop(uri, None)
        self._statuses.pop(uri, None)
        self.client.publish(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        self.project.closed(uri)  # a project run's marks stay on the file

    def schedule(self, uri: str, delay: float, *, debug: bool, model: bool = False) -> None:
        """Refresh `uri` after `delay`, cancelling runs on its older text; `model`: the
        run may ask the model (a save, never an edit)."""
        self.runs.schedule(uri, delay, lambda: self.refresh(uri, debug=debug, model=model))

    # -- results ------------------------------------------------------------------

    def view(self, uri: str) -> tuple[TextDocument, Snapshot] | None:
        """The open document and its results on its current text, if there are any."""
        doc = self.client.document(uri)
        state = self.documents.get(uri)
        if doc is None or state is None or not self.settings.enable:
            return None
        snapshot = state.view(doc)
        return (doc, snapshot) if snapshot is not None else None

    def snapshot(self, uri: str) -> DocumentSnapshot | None:
        """The document's current text with its analysis, if it is open."""
        doc = self.client.document(uri)
        if doc is None:
            return None
        state = self.documents.setdefault(uri, DocumentState())
        return _snapshot(uri, doc, state.analysis(doc.source))

    def publish(self, uri: str) -> None:
        doc = self.client.document(uri)
        state = self.documents.get(uri)
        if doc is None or state is None:
            return
        snapshot = None
        if not self.settings.enable:
            items: list[types.Diagnostic] = []
        else:
            # during a syntax error the last good results stay where they were last shown
            snapshot = state.results if state.syntax_error else state.view(doc)
            items = diagnostics.build(
                doc, snapshot, state.syntax_error, state.notice, self.settings.maxSuspects
            )
            if state.findings[0] == doc.source and not state.notice:
                items += state.findings[1]
            if not state.notice:
                items += self.project.diagnostics(uri, doc.source)
        self.client.publish(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=doc.version)
        )
        edited = state.syntax_error is not None  # the counts are of the last text that parsed
        self._send_status(uri, views.status_summary(snapshot, edited=edited))

    def _send_status(self, uri: str, summary: dict[str, Any]) -> None:
        if self._statuses.get(uri) != summary:
            self._statuses[uri] = summary
            self.client.status(uri, summary)

    def show_findings(self, uri: str, source: str, items: list[types.Diagnostic]) -> None:
        """Publish `items` (about `source`) with the document's other diagnostics."""
        state = self.documents.get(uri)
        if state is not None:
            state.findings = (source, items)
            self.publish(uri)

    def model_config(self, path: str) -> ModelConfig | None:
        """The model runs on `path` may ask, or None (none set, or one that cannot work)."""
        return self.model.config(self.settings.model, path)

    async def refresh(self, uri: str, *, debug: bool, model: bool = False) -> None:
        """Check the current text, republish, and debug it if asked and allowed."""
        doc = self.client.document(uri)
        if doc is None or not self.settings.enable:
            return
        state = self.documents.setdefault(uri, DocumentState())
        source = doc.source
        state.notice = pipeline.unsupported_reason(source)
        if state.notice:
            self.publish(uri)
            return
        module = state.cached_analysis(source)
        if module is None:  # ~10 ms per 2,000 lines: off the event loop
            module = await asyncio.to_thread(pipeline.analyse, source)
            state.remember(module)
        state.syntax_error = pipeline.first_syntax_problem(module)
        self.publish(uri)
        if state.syntax_error is not None or not debug:
            return
        if not self.settings.may_run_code:
            self.notice_once(self.settings.not_running_reason)
            return
        # debug() told the user; a background refresh has no one else to answer
        with contextlib.suppress(Exception):
            await self.debug(_snapshot(uri, doc, module), model=model)

    async def debug(
        self,
        snapshot: DocumentSnapshot,
        *,
        only: set[str] | None = None,
        token: types.ProgressToken | None = None,
        request_id: object = None,
        model: bool = False,
    ) -> Snapshot | None:
        """Debug one text of a document (all of it, what changed, or `only`); None if
        the run was cancelled or the text moved on while it ran.

        `only` is what a user asked for by command; such a run shows progress at once.
        `model`: the run may ask the configured model (never on a keystroke).
        """
        uri = snapshot.uri
        doc = self.client.document(uri)
        state = self.documents.setdefault(uri, DocumentState())
        rerun = (
            only
            if only is not None
            else await asyncio.to_thread(pipeline.plan, state.results, snapshot.module)
        )
        if rerun is not None and only is None:  # and what an earlier run left unfinished
            rerun = rerun | _unfinished(state.results, snapshot)
        config = self.model_config(snapshot.path) if model else None
        if config is not None and rerun is not None and only is None:
            rerun = rerun | _unseen_by_model(state.results, snapshot)
        if rerun is not None and not rerun:
            return state.results
        loop = asyncio.get_running_loop()

        def show_early(early: Snapshot) -> None:  # on the run's thread
            loop.call_soon_threadsafe(self._show_early, snapshot, doc, early, rerun)

        job = pipeline.Job(
            doc=snapshot,
            rerun=rerun,
            options=DebugOptions(
                search_seconds=self.settings.timeBudget,
                python=self.settings.python or None,
                model=self.model.options(self.settings.model, config),
            ),
            engine=lambda: self.runs.engine,
            early=show_early,
        )
        try:
            fresh = await self.runs.run(
                uri,
                job,
                title=job.title,
                token=token,
                request_id=request_id,
                asked=only is not None,
            )
        except Exception as exc:
            # one line in the editor's output channel; the traceback only at DEBUG level
            log.error("debugging %s failed: %s", uri, one_line(exc))
            log.debug("traceback of the failed run", exc_info=True)
            self.notice_once(f"mgdebug: debugging failed: {one_line(exc)} (see the output)")
            raise
        if fresh is not None:  # a problem with the model is one whatever the text did
            self.model.report(fresh.model)
        shown = self._shown(uri)
        if fresh is None or not self._merge(snapshot, doc, fresh, rerun):
            return None  # cancelled, closed, or the text moved on while it ran
        for message in fresh.messages:
            self.client.log_message(types.LogMessageParams(types.MessageType.Info, message))
        self._show(uri, shown)
        return self.documents[uri].results

    def _show_early(
        self,
        snapshot: DocumentSnapshot,
        doc: TextDocument | None,
        early: Snapshot,
        rerun: set[str] | None,
    ) -> None:
        shown = self._shown(snapshot.uri)
        if self._merge(snapshot, doc, early, rerun):
            self._show(snapshot.uri, shown)

    def _shown(self, uri: str) -> object:
        """What the editor's lenses and inlay values of `uri` would show now."""
        view = self.view(uri)
        return views.shown(uri, *view, self.settings.inlayValues) if view else None

    def _show(self, uri: str, before: object) -> None:
        """Publish new results; have the client ask again for lenses and values that changed.

        Clients ask for code lenses and inlay hints when a file opens or
        changes, often before the run on that text ends: without the refresh
        they keep the empty or "stale" answer they got then.
        """
        self.publish(uri)
        if self._shown(uri) != before:
            self.client.refresh_views()

    def _merge(
        self,
        snapshot: DocumentSnapshot,
        doc: TextDocument | None,
        fresh: Snapshot,
        rerun: set[str] | None,
    ) -> bool:
        """Merge results for `snapshot` if the document still has its text."""
        state = self.documents.get(snapshot.uri)
        current = self.client.document(snapshot.uri)
        if state is None or doc is None or current is not doc or doc.source != snapshot.source:
            return False  # closed, or the text moved on
        state.set_results(pipeline.merge(state.results, fresh, rerun))
        return True


def _unseen_by_model(results: Snapshot | None, snapshot: DocumentSnapshot) -> set[str]:
    """Failing (or blamed) functions whose results came from a run without the model."""
    if results is None:
        return set()
    return {
        name
        for name, state in results.functions.items()
        if (state.report.status == "fail" or state.report.blamed)
        and not state.with_model
        and name in snapshot.module.functions
    }


def _unfinished(results: Snapshot | None, snapshot: DocumentSnapshot) -> set[str]:
    """Functions whose results are not of their current text (a command re-ran only one
    function, or a run ended after its early results): the next run covers them too."""
    if results is None:
        return set()
    return {
        name
        for name, state in results.functions.items()
        if (state.stale or state.searching) and name in snapshot.module.functions
    }


def _snapshot(uri: str, doc: TextDocument, module: ModuleInfo) -> DocumentSnapshot:
    return DocumentSnapshot(uri=uri, version=doc.version, path=doc.path or uri, module=module)
