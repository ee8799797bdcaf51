"""The model in the editor: "ask the model for a fix" yields a checked fix, the
model's evidence is shown as its opinion, and a model that is down is said
once (real server over stdio, real engine, the scripted OpenAI server).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.debugger.llm.scripted_openai import Reply, ScriptedOpenAI

from .conftest import open_file, wait_for, wait_for_diagnostics
from .model_support import COUNT_VOWELS, VERDICT_REASON, model_session, scripted_answer

RUN_TIMEOUT = 120.0
FUNCTION_LINE = 0  # 0-based: `def count_vowels`
BUGGY_LINE = 8  # 0-based: `count = len(text)`


def settled(diagnostics: list[types.Diagnostic]) -> bool:
    return any(d.code == "failing-function" for d in diagnostics) and not any(
        "searching for a checked fix" in d.message for d in diagnostics
    )


def actions_request(client: LanguageClient, uri: str, line: int) -> types.CodeActionParams:
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri),
        range=types.Range(types.Position(line, 0), types.Position(line, 0)),
        context=types.CodeActionContext(diagnostics=list(client.diagnostics.get(uri, []))),
    )


async def code_actions(client: LanguageClient, uri: str, line: int) -> list[types.CodeAction]:
    found = await client.text_document_code_action_async(actions_request(client, uri, line))
    return [a for a in found or [] if isinstance(a, types.CodeAction)]


@pytest.fixture
def scripted() -> Any:
    server = ScriptedOpenAI(responder=scripted_answer).start()
    yield server
    server.stop()


def model_settings(url: str) -> dict[str, Any]:
    return {"timeBudget": 5, "model": {"name": "scripted-model", "url": url}}


@asynccontextmanager
async def vowels_open(tmp_path: Path, url: str) -> AsyncIterator[tuple[LanguageClient, str]]:
    """count_vowels open in a server whose model is at `url`, its first run settled."""
    path = tmp_path / "vowels.py"
    path.write_text(COUNT_VOWELS)
    async with model_session(tmp_path, model_settings(url)) as client:
        uri = open_file(client, str(path))
        await wait_for_diagnostics(client, uri, settled, RUN_TIMEOUT)
        yield client, uri


async def test_asking_the_model_offers_its_checked_fix_as_a_quick_fix(
    tmp_path: Path, scripted: ScriptedOpenAI
) -> None:
    async with vowels_open(tmp_path, scripted.url) as (client, uri):
        assert scripted.chat_requests() == [], "opening a file asks the model nothing"
        before = await code_actions(client, uri, BUGGY_LINE)
        assert [a.title for a in before] == ["mgdebug: ask the model for a fix to count_vowels"], (
            "no small edit passes: the only action is to ask"
        )
        ask = before[0]
        assert ask.command is not None and ask.edit is None
        # VS Code resolves an action without an edit before running its command
        resolved = await client.code_action_resolve_async(ask)
        assert resolved.command == ask.command

        answer = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(ask.command.command, ask.command.arguments)
        )
        assert scripted.chat_requests(), "the command asked the model"
        assert answer["function"] == "count_vowels" and answer["status"] == "fail"
        assert answer["fixes"] and "the model's fix, checked" in answer["fixes"][0], answer

        after = await code_actions(client, uri, BUGGY_LINE)
        fix = next(a for a in after if "the model's fix, checked" in a.title)
        fix = await client.code_action_resolve_async(fix)
        assert fix.edit is not None and fix.edit.document_changes
        edit = fix.edit.document_changes[0]
        assert isinstance(edit, types.TextDocumentEdit)
        new_text = "".join(e.new_text for e in edit.edits)
        assert 'in "aeiou"' in new_text


async def test_the_models_verdicts_and_explanation_are_shown_as_its_opinion(
    tmp_path: Path, scripted: ScriptedOpenAI
) -> None:
    async with vowels_open(tmp_path, scripted.url) as (client, uri):
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))
        )
        found = await wait_for_diagnostics(
            client,
            uri,
            lambda d: settled(d) and any("model's explanation" in x.message for x in d),
            RUN_TIMEOUT,
        )
        failing = next(d for d in found if d.code == "failing-function")
        assert "model's explanation (its opinion, not checked)" in failing.message
        related = [r.message for r in failing.related_information or []]
        opinions = [m for m in related if m.startswith("model (its opinion, not checked)")]
        assert opinions and VERDICT_REASON in opinions[0], related

        hover = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(BUGGY_LINE, 4))
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        shown = hover.contents.value
        assert "_model (its opinion, not checked): " in shown and VERDICT_REASON in shown


async def test_a_model_that_is_down_is_said_once_over_two_saves(tmp_path: Path) -> None:
    down = ScriptedOpenAI(replies=[], responder=lambda body: Reply(status=503)).start()
    # no retries: each save meets the failure at once
    (tmp_path / "pyproject.toml").write_text("[tool.mgdebug.model]\nretries = 0\n")
    try:
        async with vowels_open(tmp_path, down.url) as (client, uri):
            for saves in (1, 2):
                client.text_document_did_save(
                    types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))
                )
                await wait_for(
                    lambda n=saves: len(model_runs(client)) >= n, RUN_TIMEOUT, "the model run"
                )
            assert len(down.chat_requests()) >= 2, "both saves asked the model"
            notices = [m for m in client.messages if "model could not help" in m.message]
            assert len(notices) == 1, [m.message for m in client.messages]
            assert notices[0].type == types.MessageType.Warning
            # the offline result stands
            assert settled(list(client.diagnostics[uri]))
    finally:
        down.stop()


async def test_cancelling_the_ask_stops_the_request_to_the_model(tmp_path: Path) -> None:
    slow = ScriptedOpenAI(responder=lambda body: Reply("too late", delay=30)).start()
    try:
        async with vowels_open(tmp_path, slow.url) as (client, uri):
            params = types.ExecuteCommandParams("mgdebug.askModel", [uri, FUNCTION_LINE])
            request = asyncio.ensure_future(
                client.protocol.send_request_async(
                    types.WORKSPACE_EXECUTE_COMMAND, params, msg_id=4343
                )
            )
            await wait_for(lambda: slow.chat_requests(), RUN_TIMEOUT, "a request to the model")
            started = time.monotonic()
            client.cancel_request(types.CancelParams(id=4343))
            with pytest.raises(JsonRpcException) as error:
                await asyncio.wait_for(request, 10)
            assert error.value.code == -32800  # RequestCancelled
            await wait_for(lambda: slow.chat_requests()[0].aborted, 10, "the HTTP request to end")
            assert time.monotonic() - started < 10
            # the server still answers
            assert await client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(8, 4))
            )
    finally:
        slow.stop()


def model_runs(client: LanguageClient) -> list[str]:
    """The server's log line after each run that had a model."""
    return [m.message for m in client.log_messages if m.message.startswith("mgdebug: model ")]
