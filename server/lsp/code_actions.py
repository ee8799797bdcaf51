"""Checked fixes as quick fixes.

Listing is cheap: titles come from cached results. The edit (the engine's
own edits of the fix, applied once to check that the result parses) is built
only on `codeAction/resolve` when the client can resolve, because most listed
actions are never applied. Fixes
are never preferred and never offered for `source.fixAll`: a fix proved
against the tests is still a guess about what the author meant.

With a model configured, each failing function in the range also gets
"mgdebug: ask the model for a fix", a command action (`mgdebug.askModel`):
the model is asked only when the user picks it, never to list actions, and
what comes back is offered as quick fixes only once the sandbox checked it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument

from .documents import FunctionFix, FunctionState, Snapshot
from .text_edits import apply_edits, lsp_lines, parses, to_client

KIND = types.CodeActionKind.QuickFix
ASK_MODEL_COMMAND = "mgdebug.askModel"
ASK_MODEL_TITLE = "mgdebug: ask the model for a fix"


def wants_quickfix(only: Sequence[str] | None) -> bool:
    """Whether a request limited to `only` kinds covers quick fixes (not "source.fixAll")."""
    if not only:
        return True
    wanted = [str(getattr(kind, "value", kind)) for kind in only]  # enum members or strings
    return any(kind in ("", KIND.value) or KIND.value.startswith(kind + ".") for kind in wanted)


def client_resolves_edits(capabilities: types.ClientCapabilities) -> bool:
    text = capabilities.text_document
    code_action = text.code_action if text else None
    resolve = code_action.resolve_support if code_action else None
    return bool(
        resolve and "edit" in resolve.properties and code_action and code_action.data_support
    )


def shown_in_range(snapshot: Snapshot, start_line: int, end_line: int) -> list[FunctionState]:
    """Failing (or blamed) functions that overlap the 1-based line range."""
    found: list[FunctionState] = []
    for state in snapshot.functions.values():
        report = state.report
        shown = report.status == "fail" or report.blamed  # diagnostics.build shows the same
        if shown and report.line <= end_line and start_line <= report.end_line:
            found.append(state)
    return found


def fixes_in_range(snapshot: Snapshot, start_line: int, end_line: int) -> list[FunctionFix]:
    """Validated fixes of failing (or blamed) functions that overlap the 1-based line range."""
    return [fix for state in shown_in_range(snapshot, start_line, end_line) for fix in state.fixes]


def ask_model_actions(
    doc: TextDocument, snapshot: Snapshot, params: types.CodeActionParams
) -> list[types.CodeAction]:
    """ "Ask the model for a fix" for each failing function in the range (a command, no edit)."""
    start, end = params.range.start.line + 1, params.range.end.line + 1
    ours = [d for d in params.context.diagnostics if d.source == "mgdebug"]
    actions = []
    for state in shown_in_range(snapshot, start, end):
        name = state.report.name
        related = [d for d in ours if isinstance(d.data, dict) and d.data.get("function") == name]
        title = f"{ASK_MODEL_TITLE} to {name}"
        actions.append(
            types.CodeAction(
                title=title,
                kind=KIND,
                diagnostics=related or None,
                is_preferred=False,
                command=types.Command(
                    title=title,
                    command=ASK_MODEL_COMMAND,
                    arguments=[doc.uri, state.report.line - 1],
                ),
                data={"uri": doc.uri, "ask": name},
            )
        )
    return actions


def is_command_action(data: Any) -> bool:
    """A listed action that runs a command: resolving it has nothing to fill in."""
    return isinstance(data, dict) and "ask" in data


def list_actions(
    doc: TextDocument,
    snapshot: Snapshot,
    params: types.CodeActionParams,
    resolve: bool,
) -> list[types.CodeAction]:
    start, end = params.range.start.line + 1, params.range.end.line + 1
    ours = [d for d in params.context.diagnostics if d.source == "mgdebug"]
    actions = []
    for fix in fixes_in_range(snapshot, start, end):
        related = [
            d for d in ours if isinstance(d.data, dict) and d.data.get("function") == fix.function
        ]
        action = types.CodeAction(
            title=fix.title,
            kind=KIND,
            diagnostics=related or None,
            is_preferred=False,
            data=_action_data(doc, snapshot, fix),
        )
        if not resolve:
            action.edit = workspace_edit(doc, fix)
            if action.edit is None:
                continue
        actions.append(action)
    return actions


def _action_data(doc: TextDocument, snapshot: Snapshot, fix: FunctionFix) -> dict[str, Any]:
    index = snapshot.functions[fix.function].fixes.index(fix)
    return {"uri": doc.uri, "version": doc.version, "function": fix.function, "index": index}


def find_fix(snapshot: Snapshot, data: Any) -> FunctionFix | None:
    """The fix a resolve request's `data` names, if it is still there."""
    if not isinstance(data, dict):
        return None
    state = snapshot.functions.get(str(data.get("function")))
    index = data.get("index")
    if state is None or not isinstance(index, int) or not 0 <= index < len(state.fixes):
        return None
    return state.fixes[index]


def workspace_edit(doc: TextDocument, fix: FunctionFix) -> types.WorkspaceEdit | None:
    """The fix as a versioned edit of the document; None if it no longer applies or parses."""
    source = doc.source
    if "".join(lsp_lines(source)[fix.start_line - 1 : fix.end_line]) != fix.old_text:
        return None
    after = apply_edits(source, fix.edits)
    if after is None or after == source or not parses(after):
        return None
    edit = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(
            uri=doc.uri, version=doc.version
        ),
        edits=list(to_client(source, fix.edits, doc.position_codec)),
    )
    return types.WorkspaceEdit(document_changes=[edit])


def best_fix(snapshot: Snapshot, function: str) -> FunctionFix | None:
    state = snapshot.functions.get(function)
    return state.fixes[0] if state and state.fixes else None
