"""Every feature end to end with the real engine, as VS Code and as Neovim.

The fixture file has one bug (`>=` where `>` is meant) that its own doctests
catch, so the engine has something to find, blame and fix.
"""

from __future__ import annotations

import doctest
import types as pytypes

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import open_file, replace_text, wait_for_diagnostics
from .samples import BUGGY, FIXED

BUG_LINE = 10  # 0-based: `if xs[i] >= xs[i + 1]:`
RUN_TIMEOUT = 180.0  # the engine runs each expectation in a sandbox process


def failing(diagnostics: list[types.Diagnostic]) -> bool:
    """The run is over: a failing function, and no fix search still under way."""
    return any(
        d.code == "failing-function" and "searching for a checked fix" not in d.message
        for d in diagnostics
    )


def passes_doctests(source: str) -> bool:
    module = pytypes.ModuleType("fixture")
    exec(compile(source, "fixture.py", "exec"), module.__dict__)  # our own fixture text
    result = doctest.testmod(module, verbose=False, report=False)
    return result.failed == 0 and result.attempted == 3


def apply(text: str, edit: types.WorkspaceEdit) -> str:
    """Apply a one-change TextDocumentEdit the way an editor does (ASCII text)."""
    assert edit.document_changes and len(edit.document_changes) == 1
    change = edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit)
    (text_edit,) = change.edits
    assert isinstance(text_edit, types.TextEdit)
    lines = text.splitlines(True) + [""]
    start, end = text_edit.range.start, text_edit.range.end
    before = "".join(lines[: start.line]) + lines[start.line][: start.character]
    after = lines[end.line][end.character :] + "".join(lines[end.line + 1 :])
    return before + text_edit.new_text + after


async def quick_fixes(
    client: LanguageClient, uri: str, line: int, only: list[str] | None = None
) -> list[types.CodeAction]:
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri),
        range=types.Range(types.Position(line, 0), types.Position(line, 0)),
        context=types.CodeActionContext(diagnostics=list(client.diagnostics[uri]), only=only),
    )
    result = await client.text_document_code_action_async(params)
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def test_bug_to_fix(client: LanguageClient, tmp_path) -> None:
    """Diagnostics with related information, the quick fix, lenses, hover; the fix passes."""
    path = tmp_path / "sorting.py"
    path.write_text(BUGGY)
    uri = open_file(client, str(path))
    found = await wait_for_diagnostics(client, uri, failing, RUN_TIMEOUT)

    function = next(d for d in found if d.code == "failing-function")
    assert function.range.start.line == 0 and function.severity == types.DiagnosticSeverity.Error
    assert (
        function.message == "`is_sorted([1, 2, 2, 3])` returned False; the docstring expects True"
    )
    related = function.related_information or []
    assert any(r.location.uri == uri and r.location.range.start.line == 2 for r in related), (
        "related information points at the failing doctest"
    )
    (likely,) = [d for d in found if d.code == "likely-location"]
    assert likely.range.start.line == BUG_LINE, "the checked fix's line is the most likely place"

    actions = await quick_fixes(client, uri, BUG_LINE)
    assert len(actions) == 1
    action = actions[0]
    assert action.title == "mgdebug: `>=` → `>` on line 11 (passes 3/3 expectations)"
    assert action.kind == types.CodeActionKind.QuickFix and not action.is_preferred
    assert action.edit is None, "the edit waits for codeAction/resolve"
    assert await quick_fixes(client, uri, BUG_LINE, only=["source.fixAll"]) == []
    assert await quick_fixes(client, uri, 20) == [], "nothing outside the failing function"

    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None
    change = resolved.edit.document_changes[0]  # type: ignore[index]
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 1
    fixed = apply(BUGGY, resolved.edit)
    assert fixed == FIXED and passes_doctests(fixed)

    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri))
    )
    titles = [lens.command.title for lens in lenses or [] if lens.command]
    assert "✗ 1 of 3 failed" in titles and "Debug" in titles

    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(BUG_LINE, 14))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "`i`" in hover.contents.value and "| 11 |" in hover.contents.value

    # the user applies the fix and saves: only is_sorted re-runs, and now it passes
    replace_text(client, uri, fixed, 2)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))
    )
    await wait_for_diagnostics(client, uri, lambda d: not d, RUN_TIMEOUT)
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri))
    )
    assert "✓ 3 passed" in [lens.command.title for lens in lenses or [] if lens.command]


async def test_unsaved_buffer_and_syntax_error_mid_typing(client: LanguageClient, tmp_path) -> None:
    """The buffer is debugged, not the file; a syntax error keeps old results, marked stale."""
    path = tmp_path / "sorting.py"
    path.write_text(FIXED)  # the file on disk passes; the unsaved buffer does not
    uri = open_file(client, str(path), text=BUGGY)
    await wait_for_diagnostics(client, uri, failing, RUN_TIMEOUT)

    replace_text(client, uri, BUGGY.replace("return False", "return (False"), 2)
    stale = await wait_for_diagnostics(
        client, uri, lambda d: any(x.code == "syntax-error" for x in d), 10
    )
    function = next(d for d in stale if d.code == "failing-function")
    assert function.message.endswith("(stale: file has a syntax error)")
    syntax = next(d for d in stale if d.code == "syntax-error")
    assert syntax.range.start.line == 11

    replace_text(client, uri, BUGGY, 3)  # typing goes on and the text parses again
    fresh = await wait_for_diagnostics(
        client, uri, lambda d: bool(d) and not any(x.code == "syntax-error" for x in d), 10
    )
    assert not any("stale" in d.message for d in fresh)


@pytest.mark.no_resolve
async def test_client_without_resolve_gets_the_edit_inline(
    client: LanguageClient, tmp_path
) -> None:
    path = tmp_path / "sorting.py"
    path.write_text(BUGGY)
    uri = open_file(client, str(path))
    await wait_for_diagnostics(client, uri, failing, RUN_TIMEOUT)
    (action,) = await quick_fixes(client, uri, BUG_LINE)
    assert action.edit is not None and apply(BUGGY, action.edit) == FIXED


@pytest.mark.init({"settings": {"inlayValues": True}})
async def test_commands_progress_and_inlay_values(client: LanguageClient, tmp_path) -> None:
    """Debug (with $/progress), Fix (through workspace/applyEdit) and inlay values."""
    path = tmp_path / "sorting.py"
    path.write_text(BUGGY)
    uri = open_file(client, str(path))
    await wait_for_diagnostics(client, uri, failing, RUN_TIMEOUT)
    before = set(client.progress_reports)

    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("mgdebug.debugFunction", [uri, BUG_LINE])
    )
    assert result["function"] == "is_sorted" and result["status"] == "fail"
    assert result["fixes"] == ["mgdebug: `>=` → `>` on line 11 (passes 3/3 expectations)"]
    new_tokens = set(client.progress_reports) - before
    assert new_tokens, "a run of seconds reports $/progress"
    for token in new_tokens:
        kinds = [type(v).__name__ for v in client.progress_reports[token]]
        assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"

    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("mgdebug.fixFunction", [uri, 0])
    )
    assert result["applied"] is True
    (applied,) = client.applied_edits  # type: ignore[attr-defined]
    assert apply(BUGGY, applied.edit) == FIXED

    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(0, 0), types.Position(14, 0)),
        )
    )
    assert hints and any("i=" in str(h.label) for h in hints)
    assert {h.position.line for h in hints} <= set(range(9, 13)), "at the ends of loop blocks"


async def test_inlay_values_are_off_by_default(client: LanguageClient, tmp_path) -> None:
    path = tmp_path / "sorting.py"
    path.write_text(BUGGY)
    uri = open_file(client, str(path))
    await wait_for_diagnostics(client, uri, failing, RUN_TIMEOUT)
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(0, 0), types.Position(14, 0)),
        )
    )
    assert not hints
