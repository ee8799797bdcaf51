"""`mgdebug --model-check`: whether the endpoint answers, what it lists, and how long it takes.

The real CLI against the scripted OpenAI server: up, down, refusing the key,
and asked for a model it does not have. No FILE is needed, and the key never
shows in what it prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .model_runs import (
    SECRET_KEY,
    Reply,
    ScriptedOpenAI,
    closed_port_url,
    no_retries,
    run_cli,
)


@pytest.fixture
def server() -> Iterator[Any]:
    scripted = ScriptedOpenAI(models=["qwen2.5-coder", "llama3.1"]).start()
    yield scripted
    scripted.stop()


def test_model_check_lists_the_models_and_times_a_round_trip_without_a_file(
    server: Any, tmp_path: Path
) -> None:
    server.responder = lambda body: Reply("ok")
    run = run_cli(
        "--model-check", "--model", "qwen2.5-coder", "--model-url", server.url, cwd=tmp_path
    )
    assert run.code == 0, run.stderr
    assert f"endpoint: {server.url}" in run.stdout
    assert "models it lists: qwen2.5-coder, llama3.1" in run.stdout
    assert "qwen2.5-coder: answered in " in run.stdout
    assert [r.body["model"] for r in server.chat_requests()] == ["qwen2.5-coder"]


def test_model_check_of_a_server_that_is_down_says_so_and_exits_2(tmp_path: Path) -> None:
    no_retries(tmp_path)
    url = closed_port_url()
    run = run_cli("--model-check", "--model", "m", "--model-url", url, cwd=tmp_path)
    assert run.code == 2
    assert f"cannot reach {url}" in run.stdout
    assert "Traceback" not in run.stderr


def test_model_check_of_a_refused_key_says_401_and_never_prints_the_key(
    server: Any, tmp_path: Path
) -> None:
    no_retries(tmp_path)
    server.responder = lambda body: Reply(status=401)
    env = {"MGDEBUG_API_KEY": SECRET_KEY}
    run = run_cli(
        "--model-check",
        "--model",
        "qwen2.5-coder",
        "--model-url",
        server.url,
        cwd=tmp_path,
        env=env,
    )
    assert run.code == 2
    assert "refused the API key (401)" in run.stdout
    # The key did go out (in the header, where it belongs) and nowhere else.
    assert server.chat_requests()[0].headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert SECRET_KEY not in run.stdout + run.stderr


def test_model_check_of_an_unknown_model_names_the_ones_the_server_has(
    server: Any, tmp_path: Path
) -> None:
    no_retries(tmp_path)

    def only_listed(body: dict[str, Any]) -> Any:
        return Reply("ok") if body["model"] in server.models else Reply(status=404)

    server.responder = only_listed
    run = run_cli("--model-check", "--model", "gpt-7", "--model-url", server.url, cwd=tmp_path)
    assert run.code == 2
    assert "has no model 'gpt-7' (404)" in run.stdout
    assert "models it lists: qwen2.5-coder, llama3.1" in run.stdout


def test_model_check_with_nothing_configured_says_what_to_set(tmp_path: Path) -> None:
    run = run_cli("--model-check", cwd=tmp_path)
    assert run.code == 2
    assert "no model is configured" in run.stderr
    assert "--model NAME" in run.stderr and "[tool.mgdebug.model]" in run.stderr


def test_model_check_uses_the_environment(server: Any, tmp_path: Path) -> None:
    server.responder = lambda body: Reply("ok")
    env = {"MGDEBUG_MODEL": "llama3.1", "MGDEBUG_MODEL_URL": server.url}
    run = run_cli("--model-check", cwd=tmp_path, env=env)
    assert run.code == 0, run.stdout + run.stderr
    assert "model: llama3.1 (from $MGDEBUG_MODEL)" in run.stdout


def test_model_check_uses_the_projects_pyproject_table(server: Any, tmp_path: Path) -> None:
    server.responder = lambda body: Reply("ok")
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        f'[tool.mgdebug.model]\nname = "qwen2.5-coder"\nurl = "{server.url}"\n', encoding="utf-8"
    )
    target = project / "src" / "code.py"
    target.write_text("x = 1\n", encoding="utf-8")
    # From the FILE's project, wherever mgdebug is started.
    run = run_cli("--model-check", str(target), cwd=tmp_path)
    assert run.code == 0, run.stdout + run.stderr
    assert "model: qwen2.5-coder (from " in run.stdout and "pyproject.toml)" in run.stdout
    assert len(server.chat_requests()) == 1
