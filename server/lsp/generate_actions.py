"""Docstrings and tests as code actions: listed cheaply, generated on resolve or by command.

Listing reads only the document's cached analysis, and only when the user
asks (trigger kind "invoked", or `only` naming the kinds): "mgdebug: write docstring
with checked examples" (`refactor.rewrite`) on a function, "mgdebug:
generate tests for `f`" (`source`) on a module-level function, or for the
module outside any function. The sandbox work (debugger/generate) runs on
`codeAction/resolve` when the client resolves edits, else through the
commands `mgdebug.writeDocstring` / `mgdebug.generateTests` `[uri, line]`,
which apply the result with `workspace/applyEdit`. Either way it runs on the
session's run pool, with `$/progress` and cancellation (runs.py), and the
result is one workspace edit the user can undo: the docstring as one text
edit of the document, the tests as an edit of the test file, or a
`CreateFile` and its text when the file is new. What the user must know
(why a function got no examples, cases dropped) comes as a message. A
specification test the code fails is also a warning diagnostic on the
function ("likely bug", labelled as the model's specification), shown with
the document's other diagnostics until its text changes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls import uris
from pygls.exceptions import JsonRpcContentModified, JsonRpcInvalidParams, JsonRpcRequestCancelled

from mgdebug.debugger.generate.inputs import importable
from mgdebug.debugger.options import DebugOptions

from .diagnostics import SOURCE, code_description, line_range
from .pipeline import DocumentSnapshot
from .session import Session
from .text_edits import lsp_lines, utf16_length

DOC_KIND = types.CodeActionKind.RefactorRewrite
TESTS_KIND = types.CodeActionKind.Source
KINDS = [DOC_KIND, TESTS_KIND]
DOC_TITLE = "mgdebug: write docstring with checked examples"
DOC_COMMAND = "mgdebug.writeDocstring"
TESTS_COMMAND = "mgdebug.generateTests"
LIKELY_BUG = "likely bug (the model's specification, checked by running it): "
_MARK = "mgdebug.generate"


def _wants(only: Sequence[str] | None, kind: str) -> bool:
    if not only:
        return True
    wanted = [str(getattr(k, "value", k)) for k in only]
    return any(w == kind or kind.startswith(w + ".") for w in wanted)


def _target(session: Session, uri: str, line: int) -> tuple[DocumentSnapshot, str] | None:
    """The document and the function at 0-based `line` ("" outside any), if work may run."""
    snapshot = session.snapshot(uri)
    if snapshot is None or snapshot.module.syntax_errors or not session.settings.may_run_code:
        return None
    func = snapshot.module.function_at(line + 1)
    return snapshot, func.qualname if func is not None else ""


def list_actions(
    session: Session, params: types.CodeActionParams, resolve: bool
) -> list[types.CodeAction]:
    """The docstring and tests actions at the range's start, without running anything."""
    uri, line = params.text_document.uri, params.range.start.line
    context = params.context
    if not context.only and context.trigger_kind != types.CodeActionTriggerKind.Invoked:
        # Not on every automatic lightbulb request: asked for (Ctrl+., a menu) or by kind.
        return []
    found = _target(session, uri, line)
    if found is None:
        return []
    snapshot, name = found
    func = snapshot.module.functions.get(name)
    actions: list[types.CodeAction] = []
    if func is not None and _wants(params.context.only, DOC_KIND.value):
        doc = _Offer(DOC_TITLE, DOC_KIND, DOC_COMMAND, "doc")
        actions.append(_action(doc, uri, line, name, resolve))
    module_level = func is not None and importable(func, snapshot.source)
    if (module_level or func is None) and _wants(params.context.only, TESTS_KIND.value):
        what = func.name if func is not None else os.path.basename(snapshot.path)
        title = f"mgdebug: generate tests for `{what}`"
        tests = _Offer(title, TESTS_KIND, TESTS_COMMAND, "tests")
        actions.append(_action(tests, uri, line, name, resolve))
    return actions


@dataclass(frozen=True)
class _Offer:
    """One generator as the menu offers it: its title and kind, its command, what it makes."""

    title: str
    kind: types.CodeActionKind
    command: str
    what: str  # "doc" or "tests": carried in the action's data to resolve it


def _action(offer: _Offer, uri: str, line: int, function: str, resolve: bool) -> types.CodeAction:
    title, kind = offer.title, offer.kind
    if resolve:
        data = {_MARK: offer.what, "uri": uri, "line": line, "function": function}
        return types.CodeAction(title=title, kind=kind, data=data)
    return types.CodeAction(
        title=title, kind=kind, command=types.Command(title, offer.command, arguments=[uri, line])
    )


def is_ours(action: types.CodeAction) -> bool:
    return isinstance(action.data, dict) and _MARK in action.data


@dataclass
class Generated:
    edit: types.WorkspaceEdit | None
    messages: list[str]
    summary: str
    functions: list[str] = field(default_factory=list)  # what the tests were generated for
    likely_bugs: list[tuple[str, str]] = field(default_factory=list)  # (function, what)
    written_uri: str = ""  # the test file the edit writes (not the document itself)


async def resolve(session: Session, action: types.CodeAction, request: object) -> types.CodeAction:
    """Run the generation the action names and fill in its edit."""
    data = action.data if isinstance(action.data, dict) else {}
    uri, line = data.get("uri"), data.get("line")
    if not isinstance(uri, str) or not isinstance(line, int):
        raise JsonRpcInvalidParams("not an mgdebug generate action")
    result = await generate(session, str(data.get(_MARK)), uri, line, request)
    action.edit = result.edit
    return action


async def run_command(
    session: Session, what: str, args: tuple[Any, ...], request: object
) -> dict[str, Any]:
    """`[uri, line]`: generate, then apply the edit with workspace/applyEdit."""
    if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], int):
        raise JsonRpcInvalidParams("expected arguments [uri, line] with a 0-based line number")
    result = await generate(session, what, args[0], args[1], request)
    if result.edit is None:
        return {"applied": False, "messages": result.messages}
    applied = await session.client.apply_edit(
        types.ApplyWorkspaceEditParams(edit=result.edit, label=result.summary)
    )
    answer: dict[str, Any] = {
        "applied": applied.applied,
        "summary": result.summary,
        "messages": result.messages,
    }
    if result.written_uri:
        answer["uri"] = result.written_uri  # the editor opens the test file it wrote
    return answer


async def generate(session: Session, what: str, uri: str, line: int, request: object) -> Generated:
    found = _target(session, uri, line)
    if found is None:
        raise JsonRpcContentModified("the document is not open, does not parse, or may not run")
    snapshot, name = found
    path = snapshot.path
    if not os.path.isabs(path):
        raise JsonRpcInvalidParams("save the file first: the code runs from its folder")
    from mgdebug.debugger.options import ModelOptions

    # The model settings of the model-layer issue apply: its inputs and, for tests,
    # its specification (xfail where the code disagrees); none configured, none asked.
    config = session.model_config(path)
    model = session.model.options(session.settings.model, config) if config else ModelOptions()
    options = DebugOptions(python=session.settings.python or None, model=model)

    def work(cancel: threading.Event, progress: Any) -> Generated:
        return _generate(what, snapshot, name, options, cancel, progress)

    title = "mgdebug: writing a docstring" if what == "doc" else "mgdebug: generating tests"
    result = await session.runs.run(uri, work, title=title, request_id=request, asked=True)
    if result is None:
        raise JsonRpcRequestCancelled("cancelled")
    if result.messages:
        text = "mgdebug: " + "\n".join(result.messages)
        # A specification the code violates (the model's opinion) deserves more than a note.
        bug = any(m.startswith("likely bug") for m in result.messages)
        level = types.MessageType.Warning if bug else types.MessageType.Info
        session.client.show_message(types.ShowMessageParams(level, text))
    if what == "tests":
        _show_likely_bugs(session, snapshot, result)
    return result


def _show_likely_bugs(session: Session, snapshot: DocumentSnapshot, result: Generated) -> None:
    """The likely bugs as warnings on their functions; a function tested again loses its old."""
    doc = session.client.document(snapshot.uri)
    state = session.documents.get(snapshot.uri)
    if doc is None or state is None or doc.source != snapshot.source:
        return  # the text moved on: the lines may no longer be the function's
    retested = set(result.functions)
    kept = [
        d
        for d in (state.findings[1] if state.findings[0] == doc.source else [])
        if isinstance(d.data, dict) and d.data.get("function") not in retested
    ]
    found: list[types.Diagnostic] = []
    for name, what in result.likely_bugs:
        func = snapshot.module.functions.get(name)
        if func is None:
            continue
        found.append(
            types.Diagnostic(
                range=line_range(doc, func.line),
                message=LIKELY_BUG + what,
                severity=types.DiagnosticSeverity.Warning,
                source=SOURCE,
                code="likely-bug",
                code_description=code_description(),
                data={"function": name},
            )
        )
    if found or len(kept) != len(state.findings[1]):
        session.show_findings(snapshot.uri, doc.source, kept + found)


def _generate(
    what: str,
    snapshot: DocumentSnapshot,
    name: str,
    options: DebugOptions,
    cancel: threading.Event,
    progress: Any,
) -> Generated:
    """On the run pool: the sandbox work and the edit it makes."""
    from mgdebug.debugger.generate.docstrings import write_checked_docstring
    from mgdebug.debugger.generate.observe import GenerateError, GenerateRequest
    from mgdebug.debugger.generate.testgen import generate_tests
    from mgdebug.debugger.sandbox.interpreter import resolve_interpreter
    from mgdebug.debugger.sandbox.pool import Sandbox

    source, path, python = snapshot.source, snapshot.path, options.python
    try:
        with Sandbox(path, options.limits, interpreter=resolve_interpreter(path, python)) as box:
            request = GenerateRequest(source, path, box, options, cancel, progress)
            if what == "doc":
                doc = write_checked_docstring(request, name)
                edit = _document_edit(snapshot, doc.source) if doc.source else None
                summary = f"docstring of `{doc.function}` ({doc.examples} checked example(s))"
                return Generated(edit, doc.messages, summary)
            tests = generate_tests(request, [name] if name else [])
    except GenerateError as exc:
        return Generated(None, [str(exc)], "")
    edit = _tests_edit(tests.path, tests.old_text, tests.new_text) if tests.new_text else None
    summary = f"{tests.tests} generated test case(s)"
    written = (uris.from_fs_path(tests.path) or tests.path) if edit is not None else ""
    return Generated(edit, tests.messages, summary, tests.functions, tests.likely_bugs, written)


def _document_edit(snapshot: DocumentSnapshot, new: str) -> types.WorkspaceEdit:
    """One versioned edit replacing only the lines that changed."""
    old_lines, new_lines = lsp_lines(snapshot.source), lsp_lines(new)
    start = 0
    while start < min(len(old_lines), len(new_lines)) and old_lines[start] == new_lines[start]:
        start += 1
    end_old, end_new = len(old_lines), len(new_lines)
    while end_old > start and end_new > start and old_lines[end_old - 1] == new_lines[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1
    edit = types.TextEdit(
        range=types.Range(types.Position(start, 0), types.Position(end_old, 0)),
        new_text="".join(new_lines[start:end_new]),
    )
    document = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(
            uri=snapshot.uri, version=snapshot.version
        ),
        edits=[edit],
    )
    return types.WorkspaceEdit(document_changes=[document])


def _tests_edit(path: str, old: str | None, new: str) -> types.WorkspaceEdit:
    """Append to the test file, or create it with its text."""
    uri = uris.from_fs_path(path) or path
    changes: list[Any] = []
    if old is None:
        changes.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False)))
        at = types.Position(0, 0)
        added = new
    else:
        lines = old.split("\n")
        at = types.Position(len(lines) - 1, utf16_length(lines[-1]))
        added = new[len(old) :]
    changes.append(
        types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
            edits=[types.TextEdit(range=types.Range(at, at), new_text=added)],
        )
    )
    return types.WorkspaceEdit(document_changes=changes)
