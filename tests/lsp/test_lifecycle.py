"""Lifecycle, settings, scheduling, progress and cancellation, with a scripted engine.

The engine here is tests/lsp/fake_engine.py: it runs no code and takes as long
as the file says, so these tests prove the server's manners, not its findings.
"""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import fake_calls, open_file, replace_text, wait_for

PLAIN = (
    "def f(x):\n    return x\n\n\ndef g(x):\n    return f(x) + 1\n\n\ndef h(x):\n    return x * 2\n"
    + "".join(f"\n\ndef k{i}(x):\n    return x - {i}\n" for i in range(4))
)
SLOW = "# fake-engine: slow 3\n" + PLAIN


def events(kind: str) -> list[dict]:
    return [c for c in fake_calls() if c["event"] == kind]


def save(client: LanguageClient, uri: str) -> None:
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))
    )


async def test_capabilities_advertise_every_feature(fake_client: LanguageClient) -> None:
    caps: types.ServerCapabilities = fake_client.init_result.capabilities  # type: ignore[attr-defined]
    assert isinstance(caps.code_action_provider, types.CodeActionOptions)
    assert caps.code_action_provider.resolve_provider
    # Quick fixes, "write docstring" (refactor.rewrite) and "generate tests" (source).
    assert list(caps.code_action_provider.code_action_kinds or []) == [
        "quickfix",
        "refactor.rewrite",
        "source",
    ]
    assert caps.code_lens_provider and caps.hover_provider and caps.inlay_hint_provider
    assert caps.execute_command_provider is not None
    assert set(caps.execute_command_provider.commands) == {
        "mgdebug.debugFunction",
        "mgdebug.fixFunction",
        "mgdebug.askModel",
        "mgdebug.writeDocstring",
        "mgdebug.generateTests",
        "mgdebug.debugTest",
        "mgdebug.debugProject",
        "mgdebug.applyProjectFix",
    }


async def test_default_run_mode_is_on_open_and_save(fake_client: LanguageClient, tmp_path) -> None:
    path = tmp_path / "m.py"
    path.write_text(PLAIN)
    uri = open_file(fake_client, str(path))
    await wait_for(lambda: len(events("done")) == 1, 10, "the run on open")
    replace_text(fake_client, uri, PLAIN + "\n# edited\n", 2)
    await asyncio.sleep(1.0)  # past the typing debounce
    assert len(events("start")) == 1, "an edit must not run code when run is onSave"
    save(fake_client, uri)
    await wait_for(lambda: len(events("done")) == 2, 10, "the run on save")


@pytest.mark.init({"settings": {"run": "onType"}})
async def test_on_type_runs_after_a_pause(fake_client: LanguageClient, tmp_path) -> None:
    path = tmp_path / "m.py"
    path.write_text(PLAIN)
    uri = open_file(fake_client, str(path))
    await wait_for(lambda: len(events("done")) == 1, 10, "the run on open")
    for version in range(2, 6):  # a burst of keystrokes is debounced into one run
        replace_text(fake_client, uri, PLAIN.replace("x * 2", "x * " + "2" * version), version)
    await wait_for(lambda: len(events("done")) == 2, 10, "the run after typing")
    await asyncio.sleep(0.8)
    assert len(events("start")) == 2


@pytest.mark.init({"settings": {"run": "onOpen"}})
async def test_on_open_ignores_saves(fake_client: LanguageClient, tmp_path) -> None:
    path = tmp_path / "m.py"
    path.write_text(PLAIN)
    uri = open_file(fake_client, str(path))
    await wait_for(lambda: len(events("done")) == 1, 10, "the run on open")
    save(fake_client, uri)
    await asyncio.sleep(0.8)
    assert len(events("start")) == 1


async def test_an_edit_reruns_only_the_edited_function_and_its_callers(
    fake_client: LanguageClient, tmp_path
) -> None:
    path = tmp_path / "m.py"
    path.write_text(PLAIN)
    uri = open_file(fake_client, str(path))
    await wait_for(lambda: len(events("done")) == 1, 10, "the run on open")
    assert events("start")[0]["function"] is None  # the first run covers the whole file
    replace_text(fake_client, uri, PLAIN.replace("return x\n", "return -x\n", 1), 2)
    save(fake_client, uri)
    await wait_for(lambda: len(events("done")) == 2, 10, "the narrow run")
    assert [c["function"] for c in events("start")[1:]] == ["f,g"]  # one run for both


async def test_slow_run_reports_progress(fake_client: LanguageClient, tmp_path) -> None:
    path = tmp_path / "m.py"
    path.write_text(SLOW)
    open_file(fake_client, str(path))
    await wait_for(lambda: events("done"), 15, "the slow run")
    await asyncio.sleep(0.2)
    reports = [
        r for token, r in fake_client.progress_reports.items() if str(token).startswith("mgdebug/")
    ]
    assert len(reports) == 1, "one token created through window/workDoneProgress/create"
    kinds = [type(v).__name__ for v in reports[0]]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    assert "WorkDoneProgressReport" in kinds
    assert reports[0][0].cancellable


async def test_quick_run_reports_no_progress(fake_client: LanguageClient, tmp_path) -> None:
    path = tmp_path / "m.py"
    path.write_text(PLAIN)
    open_file(fake_client, str(path))
    await wait_for(lambda: events("done"), 10, "the run")
    await asyncio.sleep(0.2)
    assert fake_client.progress_reports == {}


async def test_new_edit_cancels_the_stale_run(fake_client: LanguageClient, tmp_path) -> None:
    path = tmp_path / "m.py"
    path.write_text(SLOW)
    uri = open_file(fake_client, str(path))
    await wait_for(lambda: events("start"), 10, "the run to start")
    replace_text(fake_client, uri, SLOW + "\n", 2)
    await wait_for(lambda: events("cancelled"), 2, "the stale run to stop")
    assert not events("done")


async def test_client_cancels_through_progress(fake_client: LanguageClient, tmp_path) -> None:
    path = tmp_path / "m.py"
    path.write_text(SLOW)
    open_file(fake_client, str(path))
    token = await wait_for(
        lambda: next(iter(fake_client.progress_reports), None), 5, "a progress token"
    )
    fake_client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token))
    await wait_for(lambda: events("cancelled"), 2, "the run to stop")
    await wait_for(
        lambda: type(fake_client.progress_reports[token][-1]).__name__ == "WorkDoneProgressEnd",
        2,
        "progress to end",
    )


async def test_cancel_request_stops_a_debug_command(fake_client: LanguageClient, tmp_path) -> None:
    path = tmp_path / "m.py"
    path.write_text(SLOW)
    uri = open_file(fake_client, str(path))
    await wait_for(lambda: events("done"), 15, "the run on open")
    params = types.ExecuteCommandParams("mgdebug.debugFunction", [uri, 2])
    request = asyncio.ensure_future(
        fake_client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND, params, msg_id=4242
        )
    )
    await wait_for(lambda: len(events("start")) == 2, 5, "the command's run")
    fake_client.cancel_request(types.CancelParams(id=4242))
    with pytest.raises(JsonRpcException) as error:
        await asyncio.wait_for(request, 5)
    assert error.value.code == -32800  # RequestCancelled
    await wait_for(lambda: events("cancelled"), 2, "the run to stop")


@pytest.mark.init({"settings": {"timeBudget": "fast", "run": "sometimes", "inlayValues": 1}})
async def test_bad_settings_get_one_message_and_defaults(
    fake_client: LanguageClient, tmp_path
) -> None:
    await wait_for(lambda: fake_client.messages, 5, "a message")
    await asyncio.sleep(0.3)
    assert len(fake_client.messages) == 1
    text = fake_client.messages[0].message
    assert fake_client.messages[0].type == types.MessageType.Warning
    assert "timeBudget" in text and "run" in text and "inlayValues" in text
    path = tmp_path / "m.py"
    path.write_text(PLAIN)
    uri = open_file(fake_client, str(path))
    await wait_for(lambda: events("done"), 10, "the run")
    assert events("start")[0]["budget"] == 30.0
    fake_client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"settings": {"timeBudget": 5}})
    )
    save(fake_client, uri)  # unchanged text: nothing to re-run
    fake_client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"settings": {"enable": "yes"}})
    )
    await wait_for(lambda: len(fake_client.messages) == 2, 5, "a second message")
    assert "enable" in fake_client.messages[1].message


@pytest.mark.init({"settings": {}, "workspaceTrusted": False})
async def test_untrusted_workspace_never_runs_code(fake_client: LanguageClient, tmp_path) -> None:
    for name in ("a.py", "b.py"):
        path = tmp_path / name
        path.write_text(PLAIN)
        open_file(fake_client, str(path))
    await asyncio.sleep(1.0)
    assert fake_calls() == []
    assert len(fake_client.messages) == 1
    assert "not trusted" in fake_client.messages[0].message
    assert fake_client.messages[0].type == types.MessageType.Info


@pytest.mark.init({"settings": {"runCode": False}})
async def test_run_code_off_still_reports_syntax_errors(
    fake_client: LanguageClient, tmp_path
) -> None:
    path = tmp_path / "m.py"
    path.write_text("def f(:\n    pass\n")
    uri = open_file(fake_client, str(path))
    await wait_for(lambda: fake_client.diagnostics.get(uri), 5, "a syntax error")
    assert fake_client.diagnostics[uri][0].code == "syntax-error"
    assert fake_calls() == []
    assert "runCode" in fake_client.messages[0].message


@pytest.mark.init({"settings": {"enable": False}})
async def test_disabled_server_stays_quiet(fake_client: LanguageClient, tmp_path) -> None:
    path = tmp_path / "m.py"
    path.write_text("def f(:\n")
    uri = open_file(fake_client, str(path))
    await asyncio.sleep(0.8)
    assert fake_calls() == [] and not fake_client.diagnostics.get(uri)
