"""The mgdebug language server: the pygls instance, its lifecycle, and one short
handler per LSP method, each delegating to the module for its feature.

Document events only schedule work (`runs.Runs`); request handlers are async
so that `$/cancelRequest` reaches them, and they answer from cached results.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import (
    FeatureRequestError,
    JsonRpcContentModified,
    JsonRpcInvalidParams,
)
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from . import code_actions, code_lens, hover, inlay_hints, pipeline
from .documents import FunctionSpan, index_functions, span_at
from .pipeline import DocumentState
from .protocol import MgdebugProtocol
from .runs import Runs
from .settings import Settings, parse_initialization_options, parse_settings, problems_message

log = logging.getLogger(__name__)

VERSION = "0.1.0"
OPEN_DELAY = 0.1  # seconds; editors often send didOpen then an immediate didChange
SAVE_DELAY = 0.1
TYPE_DELAY = 0.4  # roughly a typing pause


class MgdebugServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "mgdebug",
            VERSION,
            protocol_cls=MgdebugProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.settings = Settings()
        self.states: dict[str, DocumentState] = {}
        self.runs = Runs(self)
        self.setting_problems: list[str] = []
        self._notices: set[str] = set()

    def notice_once(self, message: str) -> None:
        """An info message the user needs once per session, not once per file."""
        if message and message not in self._notices:
            self._notices.add(message)
            self.window_show_message(types.ShowMessageParams(types.MessageType.Info, message))

    def report_settings_problems(self, problems: list[str]) -> None:
        if problems:
            self.window_show_message(
                types.ShowMessageParams(types.MessageType.Warning, problems_message(problems))
            )

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Text that is not JSON gets a ParseError response; other errors are logged."""
        if isinstance(error, ValueError):  # json.JSONDecodeError, UnicodeDecodeError
            log.warning("unreadable message: %s", error)
            assert isinstance(self.protocol, MgdebugProtocol)
            self.protocol.send_parse_error(str(error))
            return
        if source is FeatureRequestError:
            return  # the request's error response already tells the client
        log.error("server error: %r", error)
        self.window_log_message(
            types.LogMessageParams(types.MessageType.Error, f"mgdebug: internal error: {error!r}")
        )

    def open_document(self, uri: str) -> TextDocument | None:
        """The editor's buffer for `uri`, or None if the client never opened it.

        pygls would read a never-opened file from disk; its text is not what
        the user sees, and it may be huge or binary.
        """
        return self.workspace.text_documents.get(uri)

    def refresh_views(self) -> None:
        """Ask the client to re-request code lenses and inlay hints, if it can."""
        workspace = self.client_capabilities.workspace
        if workspace and workspace.code_lens and workspace.code_lens.refresh_support:
            self.workspace_code_lens_refresh(None)
        if workspace and workspace.inlay_hint and workspace.inlay_hint.refresh_support:
            self.workspace_inlay_hint_refresh(None)


SERVER = MgdebugServer()


def _schedule(ls: MgdebugServer, uri: str, delay: float, *, debug: bool) -> None:
    ls.runs.schedule(uri, delay, lambda: pipeline.refresh(ls, uri, debug=debug))


@SERVER.feature(types.INITIALIZE)
def initialize(ls: MgdebugServer, params: types.InitializeParams) -> None:
    """Read settings from `initializationOptions` ({"settings", "workspaceTrusted"})."""
    ls.settings, ls.setting_problems = parse_initialization_options(params.initialization_options)


@SERVER.feature(types.INITIALIZED)
def initialized(ls: MgdebugServer, params: types.InitializedParams) -> None:
    """Report bad settings and, if code may not run, why."""
    ls.report_settings_problems(ls.setting_problems)
    if ls.settings.enable and not ls.settings.may_run_code:
        ls.notice_once(ls.settings.not_running_reason)


@SERVER.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
def did_change_configuration(ls: MgdebugServer, params: types.DidChangeConfigurationParams) -> None:
    """Apply `{"settings": {...}}`; re-check every document if what runs changed."""
    raw = params.settings.get("settings") if isinstance(params.settings, dict) else None
    before = ls.settings
    ls.settings, problems = parse_settings(raw, before)
    ls.report_settings_problems(problems)
    if ls.settings.enable and not ls.settings.may_run_code:
        ls.notice_once(ls.settings.not_running_reason)
    if (before.enable, before.may_run_code) != (ls.settings.enable, ls.settings.may_run_code):
        for uri in ls.workspace.text_documents:
            pipeline.publish(ls, uri)
            _schedule(ls, uri, OPEN_DELAY, debug=ls.settings.may_run_code)
    if before.inlayValues != ls.settings.inlayValues:
        ls.refresh_views()


@SERVER.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: MgdebugServer, params: types.DidOpenTextDocumentParams) -> None:
    """Debug a newly opened document once, whatever `run` says (see settings.py)."""
    uri = params.text_document.uri
    ls.states[uri] = DocumentState()
    _schedule(ls, uri, OPEN_DELAY, debug=True)


@SERVER.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: MgdebugServer, params: types.DidChangeTextDocumentParams) -> None:
    """Cancel runs on the older text; re-check syntax, and debug if `run` is "onType"."""
    _schedule(ls, params.text_document.uri, TYPE_DELAY, debug=ls.settings.run == "onType")


@SERVER.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: MgdebugServer, params: types.DidSaveTextDocumentParams) -> None:
    """Debug the saved buffer unless `run` is "onOpen"."""
    _schedule(ls, params.text_document.uri, SAVE_DELAY, debug=ls.settings.run != "onOpen")


@SERVER.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: MgdebugServer, params: types.DidCloseTextDocumentParams) -> None:
    """Stop its runs, forget its results, and clear its diagnostics."""
    uri = params.text_document.uri
    ls.runs.cancel_document(uri)
    ls.states.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _view(ls: MgdebugServer, uri: str) -> tuple[TextDocument, pipeline.Snapshot] | None:
    """The open document and its results on its current text, if there are any."""
    doc = ls.open_document(uri)
    state = ls.states.get(uri)
    if doc is None or state is None or not ls.settings.enable:
        return None
    snapshot = state.view(doc)
    return (doc, snapshot) if snapshot is not None else None


@SERVER.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[code_actions.KIND], resolve_provider=True, work_done_progress=False
    ),
)
async def code_action(
    ls: MgdebugServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    """Quick fixes: the checked fixes of failing functions in the range (never fixAll)."""
    view = _view(ls, params.text_document.uri)
    if view is None or not code_actions.wants_quickfix(params.context.only):
        return None
    resolve = code_actions.client_resolves_edits(ls.client_capabilities)
    return code_actions.list_actions(view[0], view[1], params, resolve) or None


@SERVER.feature(types.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: MgdebugServer, action: types.CodeAction) -> types.CodeAction:
    """Fill in the edit of a listed fix, if the document still has the fixed text."""
    data = action.data if isinstance(action.data, dict) else {}
    view = _view(ls, str(data.get("uri")))
    fix = code_actions.find_fix(view[1], data) if view else None
    edit = code_actions.workspace_edit(view[0], fix) if view and fix else None
    if edit is None:
        raise JsonRpcContentModified("the document changed; this fix no longer applies")
    action.edit = edit
    return action


@SERVER.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
async def code_lens_(
    ls: MgdebugServer, params: types.CodeLensParams
) -> list[types.CodeLens] | None:
    """Pass/fail counts and "Debug" above each function with expectations."""
    view = _view(ls, params.text_document.uri)
    return code_lens.lenses(params.text_document.uri, view[1]) if view else None


@SERVER.feature(types.TEXT_DOCUMENT_HOVER)
async def hover_(ls: MgdebugServer, params: types.HoverParams) -> types.Hover | None:
    """A variable's values in the failing run of the function under the cursor."""
    view = _view(ls, params.text_document.uri)
    return hover.hover(view[0], view[1], params.position) if view else None


@SERVER.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
async def inlay_hint(
    ls: MgdebugServer, params: types.InlayHintParams
) -> list[types.InlayHint] | None:
    """Values at the end of each block of failing functions (setting `inlayValues`)."""
    view = _view(ls, params.text_document.uri)
    if view is None or not ls.settings.inlayValues:
        return None
    first, last = params.range.start.line + 1, params.range.end.line + 1
    return inlay_hints.hints(view[0], view[1], first, last)


def _function_at(
    ls: MgdebugServer, args: tuple[Any, ...]
) -> tuple[str, TextDocument, dict[str, FunctionSpan], str]:
    """Check a command's `[uri, line]` (0-based line) and find the function there."""
    if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], int):
        raise JsonRpcInvalidParams("expected arguments [uri, line] with a 0-based line number")
    uri, line = args
    doc = ls.open_document(uri)
    if doc is None:
        raise JsonRpcInvalidParams(f"{uri} is not open in the editor")
    if not ls.settings.may_run_code:
        raise JsonRpcInvalidParams(ls.settings.not_running_reason or "mgdebug is disabled")
    spans = index_functions(doc.source)
    if not isinstance(spans, dict):
        raise JsonRpcInvalidParams(f"the file has a syntax error on line {spans.line}")
    span = span_at(spans, line + 1)
    if span is None:
        raise JsonRpcInvalidParams(f"no function at line {line + 1}")
    return uri, doc, spans, span.qualname


async def _debug_function(ls: MgdebugServer, args: tuple[Any, ...]) -> pipeline.Snapshot:
    uri, doc, spans, name = _function_at(ls, args)
    snapshot = await pipeline.debug_document(
        ls, uri, doc, spans, only={name}, request_id=ls.protocol.msg_id
    )
    if snapshot is None:
        raise JsonRpcContentModified("the document changed during the run; run it again")
    ls.refresh_views()
    return snapshot


@SERVER.command(code_lens.DEBUG_COMMAND)
async def debug_function(ls: MgdebugServer, *args: Any) -> dict[str, Any]:
    """`mgdebug.debugFunction [uri, line]`: debug one function fully, with progress."""
    name = _function_at(ls, args)[3]
    snapshot = await _debug_function(ls, args)
    state = snapshot.functions.get(name)
    if state is None:
        return {"function": name, "status": "untested", "fixes": []}
    report = state.report
    return {
        "function": name,
        "status": report.status,
        "passed": report.passed,
        "failed": report.failed,
        "fixes": [fix.title for fix in state.fixes],
    }


@SERVER.command(code_lens.FIX_COMMAND)
async def fix_function(ls: MgdebugServer, *args: Any) -> dict[str, Any]:
    """`mgdebug.fixFunction [uri, line]`: apply the best checked fix via workspace/applyEdit."""
    uri, doc, _, name = _function_at(ls, args)
    view = _view(ls, uri)
    fix = code_actions.best_fix(view[1], name) if view else None
    if fix is None:  # nothing cached: find one now
        fix = code_actions.best_fix(await _debug_function(ls, args), name)
    edit = code_actions.workspace_edit(doc, fix) if fix else None
    if fix is None or edit is None:
        return {"applied": False, "message": f"no checked fix for {name}"}
    result = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=fix.title)
    )
    return {"applied": result.applied, "title": fix.title, "reason": result.failure_reason}


@SERVER.feature(types.SHUTDOWN)
def shutdown(ls: MgdebugServer, params: None) -> None:
    """Stop every run; the engine's sandbox processes end with them."""
    ls.runs.shutdown()
