"""The editor's model settings reach the engine, and only runs a save or a command
starts may use the model (real server over stdio, real engine wrapped by a
recorder of its options, server/lsp/model_setup.py).

Typing never costs a model request: a keystroke's run is offline whatever the
settings say. A configuration that cannot work is said once and leaves the
model off; the key comes only from the server's environment.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

from mgdebug.debugger.report import ModelSummary
from mgdebug.server.lsp.model_setup import ModelSetup, problem_key
from mgdebug.server.lsp.settings import ModelSettings, parse_settings
from tests.debugger.llm.scripted_openai import ScriptedOpenAI

from .conftest import open_file, replace_text, wait_for, wait_for_diagnostics
from .model_support import COUNT_VOWELS, engine_runs, model_session, wait_for_runs

RUN_TIMEOUT = 120.0


def failing(diagnostics: list[types.Diagnostic]) -> bool:
    return any(d.code == "failing-function" for d in diagnostics) and not any(
        "searching for a checked fix" in d.message for d in diagnostics
    )


def save(client, uri: str) -> None:  # type: ignore[no-untyped-def]
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))
    )


def warnings(client, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        m.message
        for m in client.messages
        if m.type == types.MessageType.Warning and text in m.message
    ]


# -- parsing, without a server ------------------------------------------------------


def test_model_settings_are_read_nested_or_dotted_and_checked_one_by_one() -> None:
    settings, problems = parse_settings(
        {"model": {"name": "qwen", "budget": 5}, "model.url": "http://localhost:11434/v1"}
    )
    assert problems == []
    assert settings.model == ModelSettings("qwen", "http://localhost:11434/v1", 5, "mgdebug")
    settings, problems = parse_settings({"model": {"budget": -1, "strategy": "ldb"}}, settings)
    assert settings.model == ModelSettings("qwen", "http://localhost:11434/v1", 20, "ldb")
    assert problems == [
        "`model.budget` should be a number of model requests between 0 and 200, got -1"
    ]
    assert parse_settings({"model": {"name": None}}, settings)[0].model.name == ""
    assert parse_settings({"model": "qwen"})[1] == ["`model` should be an object, got 'qwen'"]


def test_model_problems_differing_only_in_numbers_are_said_once() -> None:
    said: list[str] = []
    setup = ModelSetup(said.append, lambda _: None)
    for seconds in (3, 4):
        summary = ModelSummary("m", "http://x", "mgdebug", message=f"no answer in {seconds} s")
        setup.report(summary)
    setup.report(ModelSummary("m", "http://x", "mgdebug", message="HTTP 401: bad key"))
    assert len(said) == 2 and "no answer in 3 s" in said[0] and "401" in said[1]
    assert problem_key("took 1.5 s, 3 calls") == problem_key("took 20 s, 1 calls")


# -- the real server ----------------------------------------------------------------


async def test_typing_runs_offline_and_a_save_runs_with_the_configured_model(
    tmp_path: Path,
) -> None:
    scripted = ScriptedOpenAI().start()  # no script: every request gets a 500; only counted
    settings = {
        "run": "onType",
        "timeBudget": 5,
        "model": {"name": "scripted-model", "url": scripted.url, "budget": 7},
    }
    path = tmp_path / "vowels.py"
    path.write_text(COUNT_VOWELS)
    log = tmp_path / "engine.jsonl"
    try:
        async with model_session(tmp_path, settings, record=True) as client:
            uri = open_file(client, str(path))
            await wait_for_diagnostics(client, uri, failing, RUN_TIMEOUT)
            edited = COUNT_VOWELS.replace("count = len(text)", "count = len(text)  # all")
            replace_text(client, uri, edited, 2)
            runs = await wait_for_runs(log, 2)
            await wait_for_diagnostics(
                client, uri, lambda d: failing(d) and not any("stale" in x.message for x in d)
            )
            assert [r["model"] for r in runs] == [None, None], "open and typing run offline"
            assert scripted.chat_requests() == []

            path.write_text(edited)
            save(client, uri)
            runs = await wait_for_runs(log, 3)
            saved = runs[2]
            assert saved["model"] == "scripted-model" and saved["url"] == scripted.url
            assert (saved["max_calls"], saved["strategy"]) == (7, "mgdebug")
            assert saved["functions"] == ["count_vowels"], "the failing function, re-asked"
            assert not saved["has_key"], "a loopback endpoint needs no key"
    finally:
        scripted.stop()


async def test_settings_changed_later_reach_the_next_saved_run(tmp_path: Path) -> None:
    path = tmp_path / "vowels.py"
    path.write_text(COUNT_VOWELS)
    log = tmp_path / "engine.jsonl"
    async with model_session(tmp_path, {"timeBudget": 5}, record=True) as client:
        uri = open_file(client, str(path))
        await wait_for_diagnostics(client, uri, failing, RUN_TIMEOUT)
        save(client, uri)  # no model anywhere: the saved text equals the last run's
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                {"settings": {"model": {"name": "other", "url": "http://127.0.0.1:9/v1"}}}
            )
        )
        save(client, uri)
        runs = await wait_for_runs(log, 2)
        assert runs[1]["model"] == "other" and runs[1]["url"] == "http://127.0.0.1:9/v1"
        assert len(engine_runs(log)) == 2, "the first save had nothing new to run"


async def test_a_model_url_without_a_name_is_one_warning_and_runs_stay_offline(
    tmp_path: Path,
) -> None:
    path = tmp_path / "vowels.py"
    path.write_text(COUNT_VOWELS)
    log = tmp_path / "engine.jsonl"
    settings = {"timeBudget": 5, "model": {"url": "http://127.0.0.1:9/v1"}}
    async with model_session(tmp_path, settings, record=True) as client:
        uri = open_file(client, str(path))
        await wait_for_diagnostics(client, uri, failing, RUN_TIMEOUT)
        for _ in range(2):
            save(client, uri)
            await wait_for(lambda: warnings(client, "the model is off"), 30, "the warning")
        # a code-action request resolves the configuration too; it must not say it again
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=types.Range(types.Position(8, 0), types.Position(8, 0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
        actions = await client.text_document_code_action_async(params) or []
        assert not any("ask the model" in a.title for a in actions)
        said = warnings(client, "the model is off")
        assert len(said) == 1 and "no model name" in said[0]
        assert all(r["model"] is None for r in engine_runs(log))


async def test_the_key_comes_only_from_the_servers_environment(tmp_path: Path) -> None:
    path = tmp_path / "vowels.py"
    path.write_text(COUNT_VOWELS)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mgdebug.model]\nname = "from-pyproject"\nurl = "http://127.0.0.1:9/v1"\n'
        'retries = 0\napi_key = "sk-in-a-file-that-is-ignored"\n'
    )
    log = tmp_path / "engine.jsonl"
    env = {"MGDEBUG_API_KEY": "sk-test-only-in-the-environment"}
    async with model_session(tmp_path, {"timeBudget": 5}, record=True, env=env) as client:
        uri = from_fs_path(str(path)) or ""
        open_file(client, str(path))
        await wait_for_diagnostics(client, uri, failing, RUN_TIMEOUT)
        save(client, uri)
        runs = await wait_for_runs(log, 2)
        assert runs[1]["model"] == "from-pyproject" and runs[1]["has_key"]
        logged = " ".join(m.message for m in client.log_messages + client.messages)
        assert "sk-test-only" not in logged
