"""A GGUF model run in process (`--model-path FILE.gguf`, the `[local]` extra).

For a user with a model file and no server: llama-cpp-python loads the file
once, lazily (a run that needs no model never pays for it), and answers the
same `complete()` as the HTTP client — the cache, redaction, accounting and
`--show-prompts` are ModelClient's own; only the transport (`_request`) is
different. Generation streams token by token so that a cancel (a newer edit in
the editor) or the timeout stops it between tokens instead of after the whole
answer, and its length is bounded, because a small model left alone rambles
until its context is full.

A GGUF that carries a chat template is asked through llama.cpp's chat API
(`create_chat_completion`), with the same messages as any endpoint. One without
(a *base* model, such as the 270M Gemma on the package index) answers a chat
with nothing useful, so the messages are rendered as one plain-text prompt and
continued with `create_completion`; which of the two is used is logged and
noted once in the run's usage, so weak answers are not a mystery.

llama-cpp-python is imported only here and only when the model is first
needed: mgdebug without the extra works as before, and `--model-path` without
it fails with one message saying what to install.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .client import ModelClient, ModelError, Usage
from .config import ModelConfig

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'mgdebug[local]'"
# Our longest prompts (a function, its failing expectations, a bounded trace and
# the verdicts) stay well under 4k tokens; 8k leaves room for the answer and for
# a retry conversation. The KV cache this costs is small for the models meant
# here (~150 MB for the 270M Gemma).
N_CTX = 8192
N_THREADS = 2  # the 2-core machines this is developed and tested on; more slows the rest
# The longest answer generated: a corrected function is a few hundred tokens; a
# base model that never stops is cut here (~15 s at ~50 tokens/s on 2 threads).
MAX_NEW_TOKENS = 768
_POLL_SECONDS = 0.05  # how often a caller waiting for the model looks at its cancel event

CHAT = "chat"  # the GGUF's own chat template, through create_chat_completion
COMPLETION = "completion"  # no template: messages rendered as one prompt (base models)

# Plain-completion rendering: headings a base model has seen in countless
# READMEs and Q&A pages, so it continues with an answer and then, usually,
# starts a new heading — where generation stops.
_QUESTION = "### Question"
_ANSWER = "### Answer"
_STOP = ["\n### ", "<end_of_turn>", "<eos>"]
_CODE_FENCE = "```python\n"


def llama_cpp_installed() -> bool:
    """Whether the `[local]` extra is there (without importing it: that takes a while)."""
    return importlib.util.find_spec("llama_cpp") is not None


def local_model_problem(config: ModelConfig) -> str | None:
    """Why `config.path` cannot be run here, or None; cheap, for a front end to fail early."""
    if not config.path:
        return None
    if not Path(config.path).is_file():
        return f"no GGUF model file at {config.path}"
    if not llama_cpp_installed():
        return _not_installed_message()
    return None


def render_prompt(messages: list[dict[str, str]]) -> tuple[str, str]:
    """(prompt, primer) for a model without a chat template.

    The primer is the start of the answer written into the prompt — the
    opening of a ```python fence when the question asks for code, `{` when it
    asks for a JSON object — so that a base model continues *inside* the
    requested shape instead of chatting about it. It is put back in front of
    the generated text, so the answer is parsed as a whole, as strictly as any.
    """
    parts: list[str] = []
    for message in messages:
        content = message["content"].strip()
        if message["role"] == "system":
            parts.append(content)
        elif message["role"] == "assistant":
            parts.append(f"{_ANSWER}\n{content}")
        else:
            parts.append(f"{_QUESTION}\n{content}")
    # The answer instruction, not the question's own code (prompts show the
    # function in a ```python fence whatever they ask for): prompts.py's wording.
    last_question = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    if "one JSON object" in last_question:
        primer = "{"
    elif "```python block" in last_question:
        primer = _CODE_FENCE
    else:
        primer = ""
    prompt = "\n\n".join(parts) + f"\n\n{_ANSWER}\n{primer}"
    return prompt, primer


def read_stream(
    pieces: Iterator[str | None],
    cancel: threading.Event | None,
    deadline: float | None,
    where: str,
) -> tuple[str, int]:
    """The streamed text and its token count, stopping between tokens on cancel or timeout.

    Stopping means no longer pulling from llama.cpp's generator, so generation
    ends at the next token rather than at the answer's end; `deadline` is a
    `time.monotonic()` value, `where` names the model in the timeout message.
    """
    out: list[str] = []
    count = 0
    for piece in pieces:
        if cancel is not None and cancel.is_set():
            raise ModelError("cancelled", "the model request was cancelled")
        if deadline is not None and time.monotonic() > deadline:
            raise ModelError(
                "timeout", f"{where} did not finish in time ({count} tokens generated)"
            )
        if piece:
            out.append(piece)
            count += 1
    return "".join(out), count


class LocalModelClient(ModelClient):
    """ModelClient whose transport is a GGUF file run by llama-cpp-python in this process.

    One model per client, loaded on first use; one generation at a time (a
    llama.cpp context is not thread-safe), other callers wait — and can be
    cancelled while they wait.
    """

    def _open(self, concurrency: int) -> None:
        del concurrency  # one model, one context: generations are serialized anyway
        self._llama: Any = None
        self._generating = threading.Lock()
        self.mode: str | None = None  # CHAT or COMPLETION once the model is loaded
        self._closed = False

    def close(self) -> None:
        with self._generating:
            llama, self._llama = self._llama, None
            self._closed = True
            if llama is not None and hasattr(llama, "close"):
                llama.close()

    def list_models(self, cancel: threading.Event | None = None) -> list[str]:
        """The one model there is (loading it proves the file and the extra work)."""
        self._acquire(cancel)
        try:
            self._model()
        finally:
            self._generating.release()
        return [self.config.name]

    # -- the transport -------------------------------------------------------------

    def _request(
        self,
        messages: list[dict[str, str]],
        params: dict[str, Any],
        cancel: threading.Event | None,
    ) -> tuple[str, int, int]:
        self._acquire(cancel)
        try:
            llama = self._model()
            limit = min(int(params.get("max_tokens") or MAX_NEW_TOKENS), MAX_NEW_TOKENS)
            options: dict[str, Any] = {
                "temperature": float(params.get("temperature", 0.0)),
                "max_tokens": limit,
                "stream": True,
            }
            if params.get("seed") is not None:
                options["seed"] = int(params["seed"])
            primer = ""
            finish: list[str] = []  # the stream's last finish_reason: "stop" or "length"
            try:
                if self.mode == CHAT:
                    chunks = llama.create_chat_completion(messages=messages, **options)
                    pieces = _pieces(chunks, finish, chat=True)
                else:
                    prompt, primer = render_prompt(messages)
                    options["stop"] = _STOP + (["\n```"] if primer == _CODE_FENCE else [])
                    chunks = llama.create_completion(prompt=prompt, **options)
                    pieces = _pieces(chunks, finish, chat=False)
                deadline = time.monotonic() + self.config.timeout if self.config.timeout else None
                where = f"{self.config.describe()} (timeout {self.config.timeout:g} s)"
                text, _ = read_stream(pieces, cancel, deadline, where)
            except ValueError as error:  # llama.cpp's "Requested tokens exceed context window"
                raise ModelError(
                    "refused", f"{self.config.describe()}: {error} (the prompt is too long)"
                ) from error
            completion_tokens = len(llama.tokenize(text.encode("utf-8"), add_bos=False))
            if primer and text.strip():
                # A fence ended by the stop sequence is closed again; one cut off by
                # the token limit stays open and is rejected as truncated code.
                closed = primer == _CODE_FENCE and finish[-1:] != ["length"]
                text = primer + text + ("\n```\n" if closed else "")
            # llama.cpp keeps prompt + generated tokens in its context; the stream
            # reports no usage, so the prompt's share is what the answer did not take.
            prompt_tokens = max(0, int(getattr(llama, "n_tokens", 0)) - completion_tokens)
            return text, prompt_tokens, completion_tokens
        finally:
            self._generating.release()

    def _acquire(self, cancel: threading.Event | None) -> None:
        while not self._generating.acquire(timeout=_POLL_SECONDS):
            if cancel is not None and cancel.is_set():
                raise ModelError("cancelled", "the model request was cancelled")

    def _model(self) -> Any:
        """The loaded model (loading it on first use); the caller holds `_generating`."""
        if self._llama is not None:
            return self._llama
        if self._closed:
            raise ModelError("refused", f"{self.config.describe()}: the client is closed")
        path = self.config.path or ""
        if not Path(path).is_file():
            raise ModelError("not-found", f"no GGUF model file at {path}")
        try:
            llama_cpp = _import_llama_cpp()
        except ImportError as error:
            raise ModelError("not-installed", _not_installed_message()) from error
        started = time.monotonic()
        try:
            llama = llama_cpp.Llama(
                model_path=path, n_ctx=N_CTX, n_threads=N_THREADS, verbose=False
            )
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelError(
                "unreachable", f"llama.cpp cannot load {path}: {error} (is it a GGUF model?)"
            ) from error
        metadata = getattr(llama, "metadata", None) or {}
        self.mode = CHAT if metadata.get("tokenizer.chat_template") else COMPLETION
        seconds = time.monotonic() - started
        if self.mode == CHAT:
            log.info("%s loaded in %.1f s; chat template found: chat API", path, seconds)
        else:
            note = (
                f"{self.config.name} has no chat template (a base model?): "
                "prompts are sent as plain-text completions"
            )
            log.info("%s loaded in %.1f s; %s", path, seconds, note)
            self._count(Usage(), note)
        self._llama = llama
        return llama


def _import_llama_cpp() -> Any:
    """`import llama_cpp`, its OpenMP threads told to sleep rather than spin while idle.

    llama.cpp's CPU threads meet at a barrier after every layer; OpenMP's default
    is to spin there. On a busy machine (the editor, the code under test, other
    work on 2 cores) spinning threads take the CPU from the one they wait for:
    40 tokens took 25-40 s with spinning and 6-7 s with OMP_WAIT_POLICY=PASSIVE
    (the 270M Gemma, 2 threads, load average 6). libgomp reads the variable once,
    when llama.cpp's library loads, so it is set for the import only — the
    environment the code under test inherits stays as it was. A user's own
    setting wins.
    """
    if "llama_cpp" in sys.modules or "OMP_WAIT_POLICY" in os.environ:
        return importlib.import_module("llama_cpp")
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        return importlib.import_module("llama_cpp")
    finally:
        del os.environ["OMP_WAIT_POLICY"]


def _pieces(chunks: Iterator[Any], finish: list[str], *, chat: bool) -> Iterator[str | None]:
    """The text of each streamed chunk (chat deltas or completion text); notes finish_reason."""
    for chunk in chunks:
        choice = chunk["choices"][0]
        if choice.get("finish_reason"):
            finish.append(choice["finish_reason"])
        yield choice.get("delta", {}).get("content") if chat else choice.get("text")


def _not_installed_message() -> str:
    return (
        "--model-path runs a GGUF model in process with llama-cpp-python, which is not "
        f"installed: {INSTALL_HINT} (it builds llama.cpp, a few minutes), or serve the "
        "file with an OpenAI-compatible server (`python -m llama_cpp.server --model FILE`, "
        "Ollama) and use --model-url"
    )
