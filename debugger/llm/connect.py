"""Opening the run's model client from its options: one place for every front end.

An HTTP endpoint gets `ModelClient` (openai's Chat Completions); a GGUF file
(`--model-path`) gets the in-process llama-cpp-python backend of the `[local]`
extra. Both answer `complete()` the same way, so the pipeline never asks which.
"""

from __future__ import annotations

from collections.abc import Callable

from ..options import ModelOptions
from .cache import AnswerCache
from .client import ModelClient
from .config import ModelConfig
from .local import LocalModelClient


def open_client(options: ModelOptions) -> ModelClient | None:
    """The client for `options.config`, or None when no model is configured."""
    config = options.config
    if config is None:
        return None
    cache = AnswerCache() if options.use_cache else None
    return client_for(config, cache=cache, show_prompt=options.show_prompt)


def client_for(
    config: ModelConfig,
    *,
    cache: AnswerCache | None = None,
    show_prompt: Callable[[list[dict[str, str]]], None] | None = None,
) -> ModelClient:
    """The client class `config` needs: a GGUF file in process, else the HTTP endpoint.

    Never fails for a missing `[local]` extra or model file: the first request
    does, with a ModelError saying what to install (`local_model_problem` asks
    the same question up front), so a run without its model still stands.
    """
    if config.path:
        return LocalModelClient(config, cache=cache, show_prompt=show_prompt)
    return ModelClient(config, cache=cache, show_prompt=show_prompt)
