"""Code lenses and inlay values stay true: the server asks the client to refresh them
after every run that changes them, so a client that asked too early is not left with
no lens or a "before your edit" one (issue 14).

One server (the real engine) for the module. Its client behaves as VS Code does:
it asks for lenses when a file opens or changes, and again only when the server
sends `workspace/codeLens/refresh`. Each test debugs a file of its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from .conftest import SERVER_COMMAND, open_file, replace_text, server_env
from .samples import BUGGY, FIXED
from .test_features import apply

pytestmark = pytest.mark.asyncio(loop_scope="module")

RUN_TIMEOUT = 120.0
FAILING = "✗ 1 of 3 failed"
EDITED = "(before your edit)"
OPTIONS = {"settings": {"run": "onType", "inlayValues": True}}


def capabilities() -> types.ClientCapabilities:
    """VS Code's, with inlay-hint refresh (newer VS Code has it) and the status bar's
    `mgdebug/status` asked for, as the extension does."""
    caps = pytest_lsp.client_capabilities("visual-studio-code")
    assert caps.workspace is not None
    caps.workspace.inlay_hint = types.InlayHintWorkspaceClientCapabilities(refresh_support=True)
    caps.experimental = {"mgdebugStatus": True}
    return caps


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=SERVER_COMMAND, server_env=server_env(False)),
)
async def editor(lsp_client: LanguageClient):
    lsp_client.events = []  # type: ignore[attr-defined]

    def record(kind: str) -> Callable[[Any], None]:
        def handler(params: Any) -> None:
            lsp_client.events.append((kind, params))  # type: ignore[attr-defined]

        return handler

    lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)(record("lenses"))
    lsp_client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)(record("values"))
    lsp_client.feature("mgdebug/status")(record("status"))
    lsp_client.applied_edits = []  # type: ignore[attr-defined]

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        lsp_client.applied_edits.append(params)  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)

    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=capabilities(), initialization_options=OPTIONS)
    )
    yield lsp_client
    await lsp_client.shutdown_session()


def events(client: LanguageClient, kind: str) -> list[Any]:
    return [params for k, params in client.events if k == kind]  # type: ignore[attr-defined]


async def lenses(client: LanguageClient, uri: str) -> list[types.CodeLens]:
    found = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri))
    )
    return found or []


def titles(found: list[types.CodeLens]) -> list[str]:
    return [lens.command.title for lens in found if lens.command]


async def lenses_after_refresh(
    client: LanguageClient, uri: str, wanted: Callable[[list[str]], bool]
) -> list[types.CodeLens]:
    """What a client that re-asks only when told to sees, once it shows `wanted`."""
    deadline = time.monotonic() + RUN_TIMEOUT
    seen = len(events(client, "lenses"))
    shown: list[str] = []
    while time.monotonic() < deadline:
        if len(events(client, "lenses")) > seen:
            seen = len(events(client, "lenses"))
            found = await lenses(client, uri)
            shown = titles(found)
            if wanted(shown):
                return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no refresh brought the lenses wanted; last seen: {shown}")


def settled(shown: list[str]) -> bool:
    """The final answer for the buggy file: its count and the fix the search found."""
    return FAILING in shown and "Apply best fix" in shown


async def test_lenses_asked_for_before_the_first_run_ends_appear_when_it_does(
    editor: LanguageClient, tmp_path: Path
) -> None:
    client = editor
    path = tmp_path / "opened.py"
    path.write_text(BUGGY)
    before = len(events(client, "values"))
    uri = open_file(client, str(path))
    assert await lenses(client, uri) == [], "asked at once, like VS Code: nothing has run yet"

    found = await lenses_after_refresh(client, uri, settled)
    assert not any(EDITED in title for title in titles(found))
    assert len(events(client, "values")) > before, "inlay values are refreshed too"
    statuses = [s for s in events(client, "status") if s.uri == uri]
    assert statuses and statuses[-1].failing == 1 and statuses[-1].passing == 0


async def test_a_run_after_an_edit_refreshes_lenses_and_values_it_changed(
    editor: LanguageClient, tmp_path: Path
) -> None:
    client = editor
    path = tmp_path / "edited.py"
    path.write_text(BUGGY)
    uri = open_file(client, str(path))
    await lenses_after_refresh(client, uri, settled)

    lens_refreshes, value_refreshes = len(events(client, "lenses")), len(events(client, "values"))
    edited = BUGGY.replace("    return True\n", "    return True  # still wrong\n")
    replace_text(client, uri, edited, 2)
    # VS Code asks again on a change: the count is of the text before the edit, and says so
    assert f"{FAILING} {EDITED}" in titles(await lenses(client, uri))
    found = await lenses_after_refresh(client, uri, settled)
    assert not any(EDITED in title for title in titles(found)), "the new result is not stale"
    assert len(events(client, "lenses")) > lens_refreshes
    assert len(events(client, "values")) > value_refreshes


async def test_apply_best_fix_lens_edits_the_file_and_the_saved_fix_shows_as_passing(
    editor: LanguageClient, tmp_path: Path
) -> None:
    client = editor
    path = tmp_path / "fixed.py"
    path.write_text(BUGGY)
    uri = open_file(client, str(path))
    found = await lenses_after_refresh(client, uri, settled)
    (fix,) = [lens for lens in found if lens.command and lens.command.title == "Apply best fix"]
    assert fix.command is not None and fix.range.start.line == 0  # on `def is_sorted`

    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(fix.command.command, fix.command.arguments)
    )
    assert answer["applied"] is True, answer
    (edit,) = client.applied_edits  # type: ignore[attr-defined]
    fixed = apply(BUGGY, edit.edit)
    assert fixed == FIXED

    replace_text(client, uri, fixed, 2)  # the editor applies it, then the user saves
    path.write_text(fixed)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))
    )
    found = await lenses_after_refresh(client, uri, lambda shown: "✓ 3 passed" in shown)
    assert not any(EDITED in title or "Apply" in title for title in titles(found))
    statuses = [s for s in events(client, "status") if s.uri == uri]
    assert statuses[-1].failing == 0 and statuses[-1].passing == 1 and not statuses[-1].edited
