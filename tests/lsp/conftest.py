"""End-to-end fixtures: the real server over stdio, driven by pytest-lsp's client
with the recorded capabilities of VS Code and Neovim."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER_COMMAND = [sys.executable, "-m", "mgdebug.server", "lsp"]
CLIENTS = ["visual-studio-code", "neovim"]
FAKE_ENGINE = "tests.lsp.fake_engine:debug_source"
FAKE_LOG = os.path.join(tempfile.mkdtemp(prefix="mgdebug-fake-engine-"), "calls.jsonl")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "init(options): initializationOptions for the server")
    config.addinivalue_line("markers", "no_resolve: the client cannot resolve code actions")


def server_env(fake: bool) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": REPO}
    if fake:
        env["MGDEBUG_LSP_ENGINE"] = FAKE_ENGINE
        env["MGDEBUG_FAKE_ENGINE_LOG"] = FAKE_LOG
    return env


def capabilities(name: str, resolve: bool = True) -> types.ClientCapabilities:
    caps = pytest_lsp.client_capabilities(name)
    if not resolve and caps.text_document and caps.text_document.code_action:
        caps.text_document.code_action.resolve_support = None  # an older client
    return caps


async def start(
    client: LanguageClient,
    name: str,
    options: dict[str, Any] | None = None,
    resolve: bool = True,
) -> types.InitializeResult:
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(name, resolve), initialization_options=options
        )
    )


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND, server_env=server_env(False)),
    params=CLIENTS,
)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    """A session with the real engine, as VS Code and as Neovim."""
    marker = request.node.get_closest_marker("init")
    options = marker.args[0] if marker else None
    _act_like_an_editor(lsp_client)
    resolve = request.node.get_closest_marker("no_resolve") is None
    lsp_client.init_result = await start(lsp_client, request.param, options, resolve)  # type: ignore[attr-defined]
    yield lsp_client
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND, server_env=server_env(True)),
    params=CLIENTS,
)
async def fake_client(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    """A session whose engine is tests/lsp/fake_engine.py: runs of a scripted length."""
    open(FAKE_LOG, "w").close()
    _act_like_an_editor(lsp_client)
    marker = request.node.get_closest_marker("init")
    lsp_client.init_result = await start(
        lsp_client, request.param, marker.args[0] if marker else None
    )  # type: ignore[attr-defined]
    yield lsp_client
    await lsp_client.shutdown_session()


def fake_calls() -> list[dict[str, Any]]:
    with open(FAKE_LOG, encoding="utf-8") as log:
        return [json.loads(line) for line in log]


def _act_like_an_editor(client: LanguageClient) -> None:
    """Answer the server's requests that the recorded clients promise but pytest-lsp lacks."""
    client.applied_edits = []  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        client.applied_edits.append(params)  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def code_lens_refresh(params: None) -> None:
        client.lens_refreshes = getattr(client, "lens_refreshes", 0) + 1  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def inlay_hint_refresh(params: None) -> None:
        pass


def open_file(client: LanguageClient, path: str, text: str | None = None, version: int = 1) -> str:
    """Open `path` in the client, with `text` as the unsaved buffer if given."""
    from pygls.uris import from_fs_path

    uri = from_fs_path(path) or path
    with open(path, encoding="utf-8") as disk:
        on_disk = disk.read()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri, "python", version, on_disk if text is None else text)
        )
    )
    return uri


def replace_text(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def wait_for(
    predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition"
) -> Any:
    """Poll until `predicate()` is truthy; the server works in the background."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def ours(diagnostics: Sequence[types.Diagnostic]) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.source == "mgdebug"]


async def wait_for_diagnostics(
    client: LanguageClient,
    uri: str,
    predicate: Callable[[list[types.Diagnostic]], bool] = bool,
    timeout: float = 60.0,
) -> list[types.Diagnostic]:
    def check() -> tuple[list[types.Diagnostic]] | None:
        found = ours(client.diagnostics.get(uri, []))
        return (found,) if uri in client.diagnostics and predicate(found) else None

    result: tuple[list[types.Diagnostic]] = await wait_for(check, timeout, f"diagnostics on {uri}")
    return result[0]
