"""The in-process backend with a real GGUF model: answers, shapes, cancellation, threads.

The 270M base model is far too weak to debug anything; what these tests
prove is the plumbing a user's real model goes through: it loads lazily,
answers by plain completion when the file has no chat template (and says so),
every answer to our real prompts is either parsed or rejected by answers.py,
a cancel stops generation between tokens, and two threads share one model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mgdebug.debugger.llm.answers import AnswerError, code_answer, json_answer
from mgdebug.debugger.llm.client import ModelError
from mgdebug.debugger.llm.config import ModelConfig
from mgdebug.debugger.llm.connect import open_client
from mgdebug.debugger.llm.local import CHAT, COMPLETION, LocalModelClient
from mgdebug.debugger.llm.prompts import CASES, FIX, SYSTEM
from mgdebug.debugger.options import ModelOptions

FUNCTION = '''def mean(values):
    """Arithmetic mean.

    >>> mean([1, 2, 3, 4])
    2.5
    """
    total = 0
    for value in values:
        total += value
    return total / (len(values) + 1)'''


@pytest.fixture(scope="module", params=[COMPLETION, CHAT])
def client(request: pytest.FixtureRequest) -> Iterator[LocalModelClient]:
    """The base model (no chat template: plain completion), then a copy with a template."""
    mode = request.param
    gguf: Path = request.getfixturevalue(
        "gguf" if mode == COMPLETION else "gguf_with_chat_template"
    )
    config = ModelConfig(name=gguf.name, path=str(gguf), chosen_by="--model-path")
    opened = open_client(ModelOptions(config=config, use_cache=False))
    assert isinstance(opened, LocalModelClient)
    yield opened
    opened.close()


def ask(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]


def test_the_model_loads_on_first_use_and_answers_with_its_token_counts(
    client: LocalModelClient,
) -> None:
    before = client.usage.calls
    answer = client.complete(ask("Complete the Python function:\n\ndef add(a, b):"), max_tokens=40)
    assert answer.text.strip() and not answer.cached
    assert client.mode == (CHAT if "chat-template" in client.config.name else COMPLETION)
    assert client.usage.calls == before + 1
    assert client.usage.prompt_tokens > 0 and 0 < client.usage.completion_tokens <= 40
    if client.mode == COMPLETION:  # the Gemma base model: the user is told why answers are weak
        assert any("no chat template" in error for error in client.usage.errors)


@pytest.mark.parametrize("shape", ["code", "json"])
def test_every_answer_to_our_prompts_is_parsed_or_rejected(
    client: LocalModelClient, shape: str
) -> None:
    if shape == "code":
        prompt = FIX.format(
            function=FUNCTION, failures="- mean([1, 2, 3, 4]): expected 2.5, got 2.0", evidence=""
        )
    else:
        prompt = CASES.format(function=FUNCTION, usage="", count=3, name="mean")
    try:
        answer = client.complete(ask(prompt), max_tokens=256)
    except ModelError as empty:  # an answer with no text is rejected before parsing
        assert empty.kind == "refused" and "empty" in str(empty)
        return
    try:
        parsed = code_answer(answer.text) if shape == "code" else json_answer(answer.text)
    except AnswerError as rejected:
        print(f"{shape} answer rejected ({rejected}):\n{answer.text}")
        return
    print(f"{shape} answer parsed:\n{parsed}")
    assert parsed


def test_a_cancel_stops_the_model_between_tokens(client: LocalModelClient) -> None:
    client.list_models()  # loaded: what is timed below is generation only
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    started = time.monotonic()
    timer.start()
    with pytest.raises(ModelError) as caught:
        client.complete(
            ask("Count from 1 to 1000, separated by commas: 1, 2, 3, 4,"),
            max_tokens=768,  # ~15 s of tokens if nothing stopped it
            cancel=cancel,
        )
    elapsed = time.monotonic() - started
    assert caught.value.kind == "cancelled"
    assert elapsed < 4.0, f"cancel took {elapsed:.1f} s to stop the model"


def test_two_threads_share_one_model_one_generation_at_a_time(client: LocalModelClient) -> None:
    before = client.usage.calls
    answered: list[int] = []
    unexpected: list[BaseException] = []

    def run(n: int) -> None:
        try:
            client.complete(ask(f"Write the number {n} in words:"), max_tokens=12)
            answered.append(n)
        except ModelError as error:
            if error.kind != "refused":  # an empty answer is the model's, not a race
                unexpected.append(error)
        except BaseException as error:
            unexpected.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in (7, 12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not unexpected
    assert client.usage.calls == before + 2  # both generated, one after the other
