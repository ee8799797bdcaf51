"""The one model client: Chat Completions on any OpenAI-compatible endpoint.

Synchronous callers (the engine runs in worker threads) get a blocking
`complete()`; underneath, `openai.AsyncOpenAI` runs on a private event loop
thread so that cancelling — a newer edit in the editor, `$/cancelRequest` —
cancels the asyncio task and with it the HTTP request itself, instead of
waiting for a slow local model to finish. Retries with backoff on 429/5xx and
dropped connections are the openai package's own (`max_retries`); concurrency
is bounded by a semaphore; every call is accounted (calls, tokens, seconds)
and every prompt is redacted before it leaves the machine.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import openai

from .cache import AnswerCache, CachedAnswer, cache_key
from .config import ModelConfig
from .redact import redact

T = TypeVar("T")
_POLL_SECONDS = 0.05  # how often a waiting caller looks at its cancel event


class ModelError(Exception):
    """The model could not answer; `kind` says why, the message says what to do."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        # unreachable, timeout, auth, not-found, rate-limited, refused, cancelled, and
        # not-installed (--model-path without the [local] extra)
        self.kind = kind


@dataclass
class Usage:
    """What the model cost this run: shown in the report's last line and in `--json`."""

    calls: int = 0  # requests answered by the endpoint
    cached: int = 0  # answers taken from the cache instead
    failed: int = 0  # requests that ended in a ModelError
    parse_failures: int = 0  # answers that did not hold what was asked for
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0  # wall time spent waiting for the endpoint
    redactions: int = 0  # secret-looking literals removed from prompts
    errors: list[str] = field(default_factory=list)  # distinct error messages, in order

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass(frozen=True)
class Answer:
    text: str
    cached: bool


class ModelClient:
    """One endpoint and model; thread-safe; close() when done (or use `with`)."""

    def __init__(
        self,
        config: ModelConfig,
        *,
        cache: AnswerCache | None = None,
        concurrency: int = 4,
        show_prompt: Callable[[list[dict[str, str]]], None] | None = None,
    ) -> None:
        self.config = config
        self.cache = cache
        # `--show-prompts`: sees each prompt exactly as it leaves (redacted), cached or not.
        self.show_prompt = show_prompt
        self.usage = Usage()
        # Set once the endpoint proved unusable for this run (down, bad key, no such
        # model): later requests fail at once instead of each waiting out retries.
        self.unavailable: ModelError | None = None
        self._lock = threading.Lock()
        self._open(concurrency)

    def _open(self, concurrency: int) -> None:
        """Start the transport: the private event loop and the openai client on it.

        A subclass with another transport (local.LocalModelClient: a GGUF run in
        process) overrides this, `close`, `list_models` and `_request`; caching,
        redaction, accounting and `show_prompt` stay here, shared.
        """
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._client = self._run(self._make_client(concurrency), None)

    async def _make_client(self, concurrency: int) -> openai.AsyncOpenAI:
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        return openai.AsyncOpenAI(
            api_key=self.config.api_key or "unused-by-local-servers",
            base_url=self.config.url,
            timeout=self.config.timeout,
            max_retries=self.config.retries,
        )

    def __enter__(self) -> ModelClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        with contextlib.suppress(ModelError):
            self._run(self._client.close(), None)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    # -- calls -------------------------------------------------------------------

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        seed: int | None = None,
        cancel: threading.Event | None = None,
        use_cache: bool = True,
    ) -> Answer:
        """The text of the first choice; raises ModelError when there is none."""
        cleaned: list[dict[str, str]] = []
        for message in messages:
            text, count = redact(message["content"])
            self._count(Usage(redactions=count))
            cleaned.append({"role": message["role"], "content": text})
        params: dict[str, Any] = {"temperature": temperature}
        params["max_tokens"] = max_tokens if max_tokens is not None else self.config.max_tokens
        if seed is not None:
            params["seed"] = seed
        if self.show_prompt is not None:
            self.show_prompt(cleaned)
        key = cache_key(self.config.endpoint, self.config.name, cleaned, params)
        if use_cache and self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self._count(Usage(cached=1))
                return Answer(hit.text, cached=True)
        if self.unavailable is not None:
            raise self.unavailable
        started = time.monotonic()
        try:
            text, prompt_tokens, completion_tokens = self._request(cleaned, params, cancel)
        except ModelError as error:
            self._count(Usage(failed=1, seconds=time.monotonic() - started), str(error))
            if error.kind in ("unreachable", "auth", "not-found", "not-installed"):
                self.unavailable = error
            raise
        seconds = time.monotonic() - started
        self._count(
            Usage(
                calls=1,
                seconds=seconds,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
            )
        )
        if not text.strip():
            self._count(Usage(), "the model returned an empty answer")
            raise ModelError("refused", "the model returned an empty answer")
        if use_cache and self.cache is not None:
            self.cache.put(key, CachedAnswer(text, prompt_tokens, completion_tokens))
        return Answer(text, cached=False)

    def list_models(self, cancel: threading.Event | None = None) -> list[str]:
        """The model ids the endpoint lists (`GET /models`)."""
        return self._run(self._models(), cancel)

    def note_parse_failure(self, why: str) -> None:
        self._count(Usage(parse_failures=1), f"unusable answer: {why}")

    # -- internals ---------------------------------------------------------------

    def _request(
        self,
        messages: list[dict[str, str]],
        params: dict[str, Any],
        cancel: threading.Event | None,
    ) -> tuple[str, int, int]:
        """One uncached request: (text of the first choice, prompt tokens, completion tokens).

        The transport hook: raises ModelError, never anything else.
        """
        response = self._run(self._create(messages, params), cancel)
        choices = getattr(response, "choices", None) or []
        text = (choices[0].message.content or "") if choices else ""
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        return text, prompt_tokens, completion_tokens

    async def _create(self, messages: list[dict[str, str]], params: dict[str, Any]) -> Any:
        async with self._semaphore:
            try:
                return await self._client.chat.completions.create(
                    model=self.config.name,
                    messages=messages,  # type: ignore[arg-type]
                    **params,
                )
            except openai.OpenAIError as error:
                raise self._translate(error) from error

    async def _models(self) -> list[str]:
        try:
            page = await self._client.models.list()
            return [model.id async for model in page]
        except openai.OpenAIError as error:
            raise self._translate(error) from error

    def _translate(self, error: openai.OpenAIError) -> ModelError:
        where = self.config.describe()
        if isinstance(error, openai.APITimeoutError):
            return ModelError(
                "timeout",
                f"{where} did not answer within {self.config.timeout:g} s "
                f"({self.config.retries} retries)",
            )
        if isinstance(error, openai.APIConnectionError):
            return ModelError(
                "unreachable", f"cannot reach {self.config.endpoint}: is the server up?"
            )
        if isinstance(error, openai.AuthenticationError):
            return ModelError(
                "auth", f"{self.config.endpoint} refused the API key (401): check MGDEBUG_API_KEY"
            )
        if isinstance(error, openai.NotFoundError):
            return ModelError(
                "not-found",
                f"{self.config.endpoint} has no model {self.config.name!r} (404): "
                "`mgdebug --model-check` lists the ones it has",
            )
        if isinstance(error, openai.RateLimitError):
            return ModelError(
                "rate-limited",
                f"{self.config.endpoint} kept answering 429 (rate limit) after "
                f"{self.config.retries} retries",
            )
        if isinstance(error, openai.APIStatusError):
            return ModelError(
                "refused", f"{self.config.endpoint} answered HTTP {error.status_code}"
            )
        return ModelError("refused", f"{where}: {type(error).__name__}")

    def _run(self, coroutine: Coroutine[Any, Any, T], cancel: threading.Event | None) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        while True:
            try:
                return future.result(timeout=_POLL_SECONDS)
            except concurrent.futures.TimeoutError:
                if cancel is not None and cancel.is_set():
                    future.cancel()  # cancels the task, which aborts the HTTP request
                    raise ModelError("cancelled", "the model request was cancelled") from None
            except concurrent.futures.CancelledError:
                raise ModelError("cancelled", "the model request was cancelled") from None

    def _count(self, delta: Usage, error: str | None = None) -> None:
        """Add `delta` to the run's usage (and `error` to its distinct errors)."""
        with self._lock:
            u = self.usage
            u.calls += delta.calls
            u.cached += delta.cached
            u.failed += delta.failed
            u.parse_failures += delta.parse_failures
            u.prompt_tokens += delta.prompt_tokens
            u.completion_tokens += delta.completion_tokens
            u.seconds += delta.seconds
            u.redactions += delta.redactions
            if error and error not in u.errors:
                u.errors.append(error)
