"""The in-process GGUF backend (`--model-path`) as CI sees it: without llama-cpp-python.

CI does not build the `[local]` extra (llama.cpp from source, minutes), so
these tests prove what holds without it: which client a configuration opens,
how a local model is named in caches and messages, the one message that says
what to install, and the rules of the transport (prompt rendering for base
models, stopping between tokens). The real model runs in tests/smoke
(scripts/model-smoke.sh). Where llama-cpp-python *is* installed (a developer
who ran the smoke tests), "not installed" is made true for one test by
`sys.modules["llama_cpp"] = None`, which is what Python's import system
itself reads as "no such module".
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mgdebug.debugger.llm.cache import AnswerCache, CachedAnswer, cache_key
from mgdebug.debugger.llm.client import ModelClient, ModelError
from mgdebug.debugger.llm.config import ModelConfig
from mgdebug.debugger.llm.connect import client_for, open_client
from mgdebug.debugger.llm.local import (
    INSTALL_HINT,
    LocalModelClient,
    local_model_problem,
    read_stream,
    render_prompt,
)
from mgdebug.debugger.llm.prompts import CASES, FIX, SYSTEM
from mgdebug.debugger.options import ModelOptions

ASK = [{"role": "user", "content": "fix `def f(): return 1`"}]


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    """A file where the model should be (its content is never read without llama.cpp)."""
    path = tmp_path / "tiny-model.gguf"
    path.write_bytes(b"GGUF\x03\x00\x00\x00")
    return path


@pytest.fixture
def no_llama_cpp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)


def local_config(path: Path) -> ModelConfig:
    return ModelConfig(name=path.name, path=str(path), chosen_by="--model-path")


# -- which client, and how it is named ---------------------------------------------


def test_a_gguf_path_opens_the_in_process_client_and_an_url_the_http_one(gguf: Path) -> None:
    local = open_client(ModelOptions(config=local_config(gguf), use_cache=False))
    remote = open_client(
        ModelOptions(config=ModelConfig(name="m", url="http://127.0.0.1:9/v1"), use_cache=False)
    )
    try:
        assert isinstance(local, LocalModelClient)
        assert type(remote) is ModelClient
        assert open_client(ModelOptions(config=None)) is None
    finally:
        for client in (local, remote):
            assert client is not None
            client.close()


def test_opening_a_local_client_loads_nothing(gguf: Path, no_llama_cpp: None) -> None:
    # A run that never asks the model must not pay for (or fail on) loading it.
    with client_for(local_config(gguf)) as client:
        assert isinstance(client, LocalModelClient)
        assert client.mode is None and client.usage.calls == 0


def test_a_local_model_is_named_by_its_file_in_messages_and_cache_keys(gguf: Path) -> None:
    config = local_config(gguf)
    assert config.endpoint == f"local:{gguf}"
    assert config.describe() == f"tiny-model.gguf at local:{gguf}"
    # The same model name behind a server is another endpoint: no shared cache entries.
    served = ModelConfig(name="tiny-model.gguf", url="http://127.0.0.1:8080/v1")
    params = {"temperature": 0.0}
    assert cache_key(config.endpoint, config.name, ASK, params) != cache_key(
        served.endpoint, served.name, ASK, params
    )


# -- a missing extra or file: one clear message, then the offline run stands ------------


def test_without_the_extra_the_first_request_says_what_to_install(
    gguf: Path, no_llama_cpp: None
) -> None:
    with client_for(local_config(gguf)) as client:
        with pytest.raises(ModelError) as caught:
            client.complete(ASK)
        assert caught.value.kind == "not-installed"
        assert INSTALL_HINT in str(caught.value) == str(client.usage.errors[0])
        assert "--model-url" in str(caught.value)  # the other way to use the same file
        # Later requests fail at once with the same message, not once per function.
        with pytest.raises(ModelError) as again:
            client.complete([{"role": "user", "content": "another question"}])
        assert again.value is caught.value
        assert client.usage.failed == 1 and client.usage.calls == 0


def test_the_up_front_check_names_the_missing_extra_or_file(
    gguf: Path, tmp_path: Path, no_llama_cpp: None
) -> None:
    assert INSTALL_HINT in (local_model_problem(local_config(gguf)) or "")
    missing = tmp_path / "nowhere.gguf"
    assert local_model_problem(local_config(missing)) == f"no GGUF model file at {missing}"
    assert local_model_problem(ModelConfig(name="m", url="http://127.0.0.1:9/v1")) is None


def test_a_model_file_that_is_gone_is_not_found_and_marks_the_model_unavailable(
    tmp_path: Path,
) -> None:
    gone = tmp_path / "deleted.gguf"
    with client_for(local_config(gone)) as client:
        with pytest.raises(ModelError) as caught:
            client.list_models()
        assert caught.value.kind == "not-found" and str(gone) in str(caught.value)
        with pytest.raises(ModelError):
            client.complete(ASK)
        assert client.unavailable is not None and client.unavailable.kind == "not-found"


# -- what stays ModelClient's: cache, show_prompt, redaction ----------------------------


def test_a_cached_local_answer_needs_no_model_and_the_prompt_is_still_shown(
    gguf: Path, tmp_path: Path, no_llama_cpp: None
) -> None:
    config = local_config(gguf)
    secret = "sk-abcdefghijklmnopqrstuvwxyz012345"
    asked = [{"role": "user", "content": f"fix `KEY = {secret!r}`"}]
    sent = [{"role": "user", "content": "fix `KEY = '<redacted>'`"}]
    cache = AnswerCache(tmp_path / "cache")
    params = {"temperature": 0.0, "max_tokens": config.max_tokens}
    key = cache_key(config.endpoint, config.name, sent, params)
    cache.put(key, CachedAnswer("```python\nKEY = None\n```", 12, 6))
    shown: list[list[dict[str, str]]] = []
    with client_for(config, cache=cache, show_prompt=shown.append) as client:
        answer = client.complete(asked)
    assert answer.cached and "KEY = None" in answer.text
    assert shown == [sent]  # redacted before it would leave, shown exactly as keyed
    assert client.usage.cached == 1 and client.usage.redactions == 1 and client.usage.calls == 0


# -- the transport's rules ----------------------------------------------------------------


def test_a_base_model_prompt_keeps_every_message_in_order_and_opens_the_code_fence() -> None:
    messages = [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": FIX.format(
                function="def f():\n    return 1", failures="- f() == 2", evidence=""
            ),
        },
        {"role": "assistant", "content": "```python\ndef f():\n    return 3\n```"},
        {"role": "user", "content": "Still fails. Answer again with exactly one ```python block."},
    ]
    prompt, primer = render_prompt(messages)
    assert primer == "```python\n" and prompt.endswith("### Answer\n```python\n")
    positions = [prompt.index(text) for text in (SYSTEM, "return 1", "return 3", "Still fails")]
    assert positions == sorted(positions)
    assert prompt.count("### Question") == 2 and prompt.count("### Answer") == 2


def test_a_question_asking_for_json_is_answered_from_an_opening_brace() -> None:
    # CASES shows the function in a ```python fence but asks for JSON: the ask decides.
    cases = CASES.format(function="def f():\n    return 1", usage="", count=3, name="f")
    prompt, primer = render_prompt([{"role": "user", "content": cases}])
    assert primer == "{" and prompt.endswith("### Answer\n{")
    _, plain = render_prompt([{"role": "user", "content": "Answer with the single word: ok"}])
    assert plain == ""


def _tokens(pulled: list[str], stop_after: int, cancel: threading.Event) -> Iterator[str]:
    for n in range(1000):
        pulled.append(f"t{n}")
        if n == stop_after:
            cancel.set()  # as the editor does mid-answer
        yield f"t{n} "


def test_a_cancel_stops_generation_at_the_next_token() -> None:
    cancel = threading.Event()
    pulled: list[str] = []
    with pytest.raises(ModelError) as caught:
        read_stream(_tokens(pulled, 3, cancel), cancel, None, "m")
    assert caught.value.kind == "cancelled"
    assert len(pulled) == 4  # not one token more was asked of llama.cpp


def test_a_model_past_its_time_stops_with_a_timeout_naming_it() -> None:
    with pytest.raises(ModelError) as caught:
        read_stream(iter(["a", "b"]), None, time.monotonic() - 1, "tiny.gguf (timeout 5 s)")
    assert caught.value.kind == "timeout" and "tiny.gguf (timeout 5 s)" in str(caught.value)
    text, count = read_stream(iter(["a", None, "b"]), threading.Event(), None, "m")
    assert (text, count) == ("ab", 2)
