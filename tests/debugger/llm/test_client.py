"""The real openai client against a scripted OpenAI-compatible server: calls, failures, cache."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from mgdebug.debugger.llm.cache import AnswerCache
from mgdebug.debugger.llm.client import ModelClient, ModelError
from mgdebug.debugger.llm.config import DEFAULT_MAX_TOKENS, ModelConfig

from .scripted_openai import Reply, ScriptedOpenAI

ASK = [{"role": "user", "content": "fix `def f(): return 1`"}]


def client_for(server: ScriptedOpenAI, tmp_path: Path | None = None, **kw: float) -> ModelClient:
    config = ModelConfig(
        name="scripted-model",
        url=server.url,
        api_key="sk-test-not-a-real-key-0123456789",
        timeout=kw.get("timeout", 5.0),
        retries=int(kw.get("retries", 2)),
    )
    cache = AnswerCache(tmp_path / "cache") if tmp_path is not None else None
    return ModelClient(config, cache=cache)


def test_answer_text_tokens_and_the_request_sent(endpoint: ScriptedOpenAI) -> None:
    endpoint.replies.append(Reply("```python\ndef f():\n    return 2\n```", prompt_tokens=7))
    with client_for(endpoint) as client:
        answer = client.complete(ASK, temperature=0.2, max_tokens=300)
    assert "return 2" in answer.text and not answer.cached
    (request,) = endpoint.chat_requests()
    assert request.body["model"] == "scripted-model"
    assert request.body["messages"] == ASK
    assert request.body["temperature"] == 0.2 and request.body["max_tokens"] == 300
    assert request.headers["authorization"] == "Bearer sk-test-not-a-real-key-0123456789"
    assert client.usage.calls == 1 and client.usage.prompt_tokens == 7


def test_every_request_caps_the_answer_length(endpoint: ScriptedOpenAI) -> None:
    # A model that never ends its turn would otherwise fill its whole context.
    endpoint.replies.append(Reply("ok"))
    with client_for(endpoint) as client:
        client.complete(ASK)
    (request,) = endpoint.chat_requests()
    assert request.body["max_tokens"] == DEFAULT_MAX_TOKENS


def test_rate_limits_and_server_errors_are_retried_with_backoff(endpoint: ScriptedOpenAI) -> None:
    endpoint.replies += [Reply(status=429), Reply(status=503), Reply("fine")]
    with client_for(endpoint, retries=3) as client:
        assert client.complete(ASK).text == "fine"
    assert len(endpoint.chat_requests()) == 3


def test_a_429_storm_ends_in_one_clear_error(endpoint: ScriptedOpenAI) -> None:
    endpoint.responder = lambda body: Reply(status=429)
    with client_for(endpoint, retries=1) as client, pytest.raises(ModelError) as caught:
        client.complete(ASK)
    assert caught.value.kind == "rate-limited"
    assert "429" in str(caught.value)
    assert client.usage.failed == 1 and len(endpoint.chat_requests()) == 2


def test_a_wrong_key_is_reported_without_retrying_and_without_the_key(
    endpoint: ScriptedOpenAI,
) -> None:
    endpoint.replies.append(Reply(status=401))
    with client_for(endpoint) as client, pytest.raises(ModelError) as caught:
        client.complete(ASK)
    assert caught.value.kind == "auth"
    assert "sk-test" not in str(caught.value) and "sk-test" not in repr(client.config)
    assert len(endpoint.chat_requests()) == 1


def test_a_slow_model_times_out(endpoint: ScriptedOpenAI) -> None:
    endpoint.responder = lambda body: Reply("late", delay=3.0)
    with client_for(endpoint, timeout=0.3, retries=0) as client, pytest.raises(ModelError) as e:
        client.complete(ASK)
    assert e.value.kind == "timeout"


def test_an_endpoint_that_is_down_is_unreachable() -> None:
    server = ScriptedOpenAI().start()
    url = server.url
    server.stop()
    config = ModelConfig(name="m", url=url, timeout=2.0, retries=0)
    with ModelClient(config) as client, pytest.raises(ModelError) as caught:
        client.complete(ASK)
    assert caught.value.kind == "unreachable"


def test_cancelling_aborts_the_http_request_itself(endpoint: ScriptedOpenAI) -> None:
    endpoint.replies.append(Reply("too late", delay=10.0))
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with client_for(endpoint) as client, pytest.raises(ModelError) as caught:
        client.complete(ASK, cancel=cancel)
    assert caught.value.kind == "cancelled"
    assert time.monotonic() - started < 3.0
    deadline = time.monotonic() + 3.0
    while not endpoint.requests[0].aborted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert endpoint.requests[0].aborted, "the server never saw the client hang up"


def test_a_repeated_prompt_is_answered_from_the_cache(
    endpoint: ScriptedOpenAI, tmp_path: Path
) -> None:
    endpoint.replies.append(Reply("cached answer"))
    with client_for(endpoint, tmp_path) as client:
        first = client.complete(ASK)
    endpoint.replies.append(Reply("other"))
    with client_for(endpoint, tmp_path) as client:
        second = client.complete(ASK)
        other = client.complete(ASK, temperature=0.7)  # another parameter: another key
    assert (first.text, first.cached) == ("cached answer", False)
    assert (second.text, second.cached) == ("cached answer", True)
    assert other.text == "other"
    assert len(endpoint.chat_requests()) == 2
    stored = "".join(p.read_text() for p in (tmp_path / "cache").rglob("*.json"))
    assert "cached answer" in stored and "sk-test" not in stored


def test_secrets_in_the_code_are_redacted_before_sending(endpoint: ScriptedOpenAI) -> None:
    endpoint.replies.append(Reply("ok"))
    secret = "sk-proj-abcdefghijklmnopqrstuvwx0123456789"
    code = f'API_KEY = "{secret}"\ndef f():\n    return API_KEY\n'
    with client_for(endpoint) as client:
        client.complete([{"role": "user", "content": code}])
    sent = endpoint.chat_requests()[0].body["messages"][0]["content"]
    assert secret not in sent and 'API_KEY = "<redacted>"' in sent
    assert client.usage.redactions == 1


def test_an_empty_answer_is_an_error_not_a_fix(endpoint: ScriptedOpenAI) -> None:
    endpoint.replies.append(Reply(""))
    with client_for(endpoint) as client, pytest.raises(ModelError) as caught:
        client.complete(ASK)
    assert caught.value.kind == "refused"


def test_models_are_listed(endpoint: ScriptedOpenAI) -> None:
    endpoint.models = ["llama3.2:3b", "qwen2.5-coder:7b"]
    with client_for(endpoint) as client:
        assert client.list_models() == ["llama3.2:3b", "qwen2.5-coder:7b"]


def test_the_endpoint_check_lists_models_and_times_a_request(endpoint: ScriptedOpenAI) -> None:
    from mgdebug.debugger.llm.check import check_endpoint

    endpoint.models = ["scripted-model", "other"]
    endpoint.replies.append(Reply("ok"))
    found = check_endpoint(ModelConfig(name="scripted-model", url=endpoint.url, retries=0))
    assert found.ok and found.model_listed and found.models == ["scripted-model", "other"]
    assert found.lines()[-1].startswith("scripted-model: answered in ")
    endpoint.replies.append(Reply(status=404))
    missing = check_endpoint(ModelConfig(name="nope", url=endpoint.url, retries=0))
    assert not missing.ok and not missing.model_listed and "404" in missing.lines()[-1]
