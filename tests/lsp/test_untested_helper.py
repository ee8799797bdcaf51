"""The language server blames an untested helper as the CLI does: the caller's error
says the bug is most likely in the helper, the helper's line carries the warning,
and its checked fix is offered there (real engine, VS Code and Neovim).
"""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient
from support import UNTESTED_HELPER

from .conftest import open_file, wait_for_diagnostics

RUN_TIMEOUT = 180.0  # the engine runs each expectation in a sandbox process


def settled(diagnostics: list[types.Diagnostic]) -> bool:
    """The run is over: the blamed helper's line is shown, and no fix search is under way."""
    return any(d.code == "likely-location" for d in diagnostics) and not any(
        "searching for a checked fix" in d.message for d in diagnostics
    )


async def test_bug_in_an_untested_helper_is_shown_on_the_helper_with_its_fix(
    client: LanguageClient, tmp_path
) -> None:
    path = tmp_path / "helper.py"
    path.write_text(UNTESTED_HELPER)
    uri = open_file(client, str(path))
    found = await wait_for_diagnostics(client, uri, settled, RUN_TIMEOUT)

    (likely,) = [d for d in found if d.code == "likely-location"]
    assert likely.range.start.line == 1, "the helper's `return x * 3`"
    assert "in `_scale`, which has no tests of its own" in likely.message
    (failing,) = [d for d in found if d.code == "failing-function"]
    assert failing.range.start.line == 4 and "double" in failing.message
    assert "the bug is most likely in `_scale`, which it calls" in failing.message

    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri),
        range=types.Range(types.Position(1, 0), types.Position(1, 0)),
        context=types.CodeActionContext(diagnostics=list(client.diagnostics[uri])),
    )
    actions = [
        a
        for a in await client.text_document_code_action_async(params) or []
        if isinstance(a, types.CodeAction)
    ]
    assert actions and "`3` → `2` on line 2" in actions[0].title, [a.title for a in actions]
