"""The mgdebug language server: the pygls instance and one short handler per LSP
method, each delegating to the module for its feature.

The state (settings, documents, runs) lives in `session.Session`, which gets
the editor only as callbacks. Document events only schedule work
(`runs.Runs`); request handlers are async so that `$/cancelRequest` reaches
them, and they answer from cached results.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import metadata
from typing import Any

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcContentModified
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from . import (
    code_actions,
    code_lens,
    commands,
    generate_actions,
    hover,
    inlay_hints,
    project,
    project_commands,
    test_lens,
)
from .protocol import MgdebugProtocol
from .runs import ProgressBar
from .session import Client, Session

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "mgdebug/status"
STATUS_CAPABILITY = "mgdebugStatus"


def _version() -> str:
    try:
        return metadata.version("mgdebug")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


class MgdebugServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "mgdebug",
            _version(),
            protocol_cls=MgdebugProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.session = Session(
            Client(
                document=self.open_document,
                open_uris=lambda: list(self.workspace.text_documents),
                publish=self.text_document_publish_diagnostics,
                show_message=self.window_show_message,
                log_message=self.window_log_message,
                refresh_views=self.refresh_views,
                status=self.send_status,
                apply_edit=self.workspace_apply_edit_async,
                progress=ProgressBar(self.work_done_progress, self._may_create_progress),
            )
        )
        assert isinstance(self.protocol, MgdebugProtocol)
        self.protocol.on_cancel = self.session.runs.cancel_request
        # files a project run marks may never be opened: the client's encoding all the same
        self.session.project.codec = lambda: self.workspace.position_codec

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

    def send_status(self, uri: str, summary: dict[str, Any]) -> None:
        """`mgdebug/status` for a client that asked with the experimental capability
        `mgdebugStatus` (as rust-analyzer's `serverStatusNotification`): the VS Code
        extension's status bar."""
        experimental = self.client_capabilities.experimental
        if isinstance(experimental, dict) and experimental.get(STATUS_CAPABILITY):
            self.protocol.notify(STATUS_NOTIFICATION, {"uri": uri, **summary})

    def _may_create_progress(self) -> bool:
        window = self.client_capabilities.window
        return bool(window and window.work_done_progress)


SERVER = MgdebugServer()


@SERVER.feature(types.INITIALIZE)
def initialize(ls: MgdebugServer, params: types.InitializeParams) -> None:
    """Read settings from `initializationOptions` ({"settings", "workspaceTrusted"})."""
    ls.session.initialize(params.initialization_options)


@SERVER.feature(types.INITIALIZED)
def initialized(ls: MgdebugServer, params: types.InitializedParams) -> None:
    """Report bad settings and, if code may not run, why."""
    ls.session.initialized()


@SERVER.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
def did_change_configuration(ls: MgdebugServer, params: types.DidChangeConfigurationParams) -> None:
    """Apply `{"settings": {...}}`; re-check every document if what runs changed."""
    raw = params.settings.get("settings") if isinstance(params.settings, dict) else None
    ls.session.change_settings(raw)


@SERVER.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: MgdebugServer, params: types.DidOpenTextDocumentParams) -> None:
    """Debug a newly opened document once, whatever `run` says (see settings.py)."""
    ls.session.opened(params.text_document.uri)


@SERVER.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: MgdebugServer, params: types.DidChangeTextDocumentParams) -> None:
    """Cancel runs on the older text; re-check syntax, and debug if `run` is "onType"."""
    ls.session.changed(params.text_document.uri)


@SERVER.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: MgdebugServer, params: types.DidSaveTextDocumentParams) -> None:
    """Debug the saved buffer unless `run` is "onOpen"."""
    ls.session.saved(params.text_document.uri)


@SERVER.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: MgdebugServer, params: types.DidCloseTextDocumentParams) -> None:
    """Stop its runs, forget its results, and clear its diagnostics."""
    ls.session.closed(params.text_document.uri)


@SERVER.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[code_actions.KIND, *generate_actions.KINDS],
        resolve_provider=True,
        work_done_progress=False,
    ),
)
async def code_action(
    ls: MgdebugServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    """Quick fixes: the checked fixes of failing functions in the range (never fixAll),
    and "ask the model for a fix" when a model is configured."""
    view = ls.session.view(params.text_document.uri)
    resolve_edits = code_actions.client_resolves_edits(ls.client_capabilities)
    generated = generate_actions.list_actions(ls.session, params, resolve_edits)  # docs, tests
    if code_actions.wants_quickfix(params.context.only):  # a project run's fixes, any file
        generated = ls.session.project.code_actions(params.text_document.uri, params) + generated
    if view is None or not code_actions.wants_quickfix(params.context.only):
        return generated or None
    resolve = code_actions.client_resolves_edits(ls.client_capabilities)
    actions = code_actions.list_actions(view[0], view[1], params, resolve)
    if ls.session.model_config(view[1].path) is not None:
        actions += code_actions.ask_model_actions(view[0], view[1], params)
    return actions + generated or None


@SERVER.feature(types.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: MgdebugServer, action: types.CodeAction) -> types.CodeAction:
    """Fill in the edit of a listed fix, if the document still has the fixed text."""
    data = action.data if isinstance(action.data, dict) else {}
    if generate_actions.is_ours(action):  # a docstring or tests: generated now
        return await generate_actions.resolve(ls.session, action, ls.protocol.msg_id)
    if code_actions.is_command_action(data) or project.is_ours(action):
        return action  # its command does the work when chosen; a project fix has its edit
    view = ls.session.view(str(data.get("uri")))
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
    """Pass/fail counts and "Debug" above each function with expectations; "▶ debug this
    test" above each test of a test file."""
    uri = params.text_document.uri
    view = ls.session.view(uri)
    found = code_lens.lenses(uri, view[1]) if view else []
    doc = ls.session.client.document(uri)
    if doc is not None and doc.path and ls.session.settings.enable:
        failing = ls.session.project.failing_with_fix(uri)
        found += await asyncio.to_thread(test_lens.lenses, uri, doc.path, doc.source, failing)
    return found or None


@SERVER.feature(types.TEXT_DOCUMENT_HOVER)
async def hover_(ls: MgdebugServer, params: types.HoverParams) -> types.Hover | None:
    """A variable's values in the failing run of the function under the cursor."""
    view = ls.session.view(params.text_document.uri)
    return hover.hover(view[0], view[1], params.position) if view else None


@SERVER.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
async def inlay_hint(
    ls: MgdebugServer, params: types.InlayHintParams
) -> list[types.InlayHint] | None:
    """Values at the end of each block of failing functions (setting `inlayValues`)."""
    view = ls.session.view(params.text_document.uri)
    if view is None or not ls.session.settings.inlayValues:
        return None
    first, last = params.range.start.line + 1, params.range.end.line + 1
    return inlay_hints.hints(view[0], view[1], first, last)


@SERVER.command(code_lens.DEBUG_COMMAND)
async def debug_function(ls: MgdebugServer, *args: Any) -> dict[str, Any]:
    """`mgdebug.debugFunction [uri, line]`: debug one function fully, with progress."""
    return await commands.debug_function(ls.session, args, ls.protocol.msg_id)


@SERVER.command(code_lens.FIX_COMMAND)
async def fix_function(ls: MgdebugServer, *args: Any) -> dict[str, Any]:
    """`mgdebug.fixFunction [uri, line]`: apply the best checked fix via workspace/applyEdit."""
    return await commands.fix_function(ls.session, args, ls.protocol.msg_id)


@SERVER.command(code_actions.ASK_MODEL_COMMAND)
async def ask_model(ls: MgdebugServer, *args: Any) -> dict[str, Any]:
    """`mgdebug.askModel [uri, line]`: debug one function with the model, with progress and
    cancel; its checked fixes become quick fixes."""
    return await commands.ask_model(ls.session, args, ls.protocol.msg_id)


@SERVER.command(generate_actions.DOC_COMMAND)
async def write_docstring(ls: MgdebugServer, *args: Any) -> dict[str, Any]:
    """`mgdebug.writeDocstring [uri, line]`: a docstring with checked examples, applied."""
    return await generate_actions.run_command(ls.session, "doc", args, ls.protocol.msg_id)


@SERVER.command(generate_actions.TESTS_COMMAND)
async def generate_tests(ls: MgdebugServer, *args: Any) -> dict[str, Any]:
    """`mgdebug.generateTests [uri, line]`: regression tests checked by pytest, applied."""
    return await generate_actions.run_command(ls.session, "tests", args, ls.protocol.msg_id)


@SERVER.command(test_lens.DEBUG_TEST_COMMAND)
async def debug_test(ls: MgdebugServer, *args: Any) -> dict[str, Any]:
    """`mgdebug.debugTest [uri, nodeid]`: debug the project from one test, with progress."""
    return await project_commands.debug_test(ls.session, args, ls.protocol.msg_id)


@SERVER.command(test_lens.DEBUG_PROJECT_COMMAND)
async def debug_project(ls: MgdebugServer, *args: Any) -> dict[str, Any]:
    """`mgdebug.debugProject [folderUri?]`: every test of the folder's project."""
    folders = [f.uri for f in ls.workspace.folders.values()]
    if not folders and ls.workspace.root_uri:
        folders = [ls.workspace.root_uri]
    return await project_commands.debug_all(ls.session, args, ls.protocol.msg_id, folders)


@SERVER.command(test_lens.APPLY_PROJECT_FIX_COMMAND)
async def apply_project_fix(ls: MgdebugServer, *args: Any) -> dict[str, Any]:
    """`mgdebug.applyProjectFix [uri?]`: a project run's best checked fix, as a workspace edit."""
    return await project_commands.apply_fix(ls.session, args)


@SERVER.feature(types.SHUTDOWN)
def shutdown(ls: MgdebugServer, params: None) -> None:
    """Stop every run; the engine's sandbox processes end with them."""
    ls.session.shutdown()
