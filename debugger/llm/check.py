"""`mgdebug --model-check`: does the configured endpoint answer, and with which models?

Lists the endpoint's models and times one tiny chat request, so a user sees in
one line whether the URL, the key and the model name fit together before a
debugging run depends on them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .client import ModelClient, ModelError
from .config import ModelConfig
from .connect import client_for


@dataclass
class EndpointCheck:
    ok: bool
    endpoint: str
    model: str
    models: list[str] = field(default_factory=list)
    model_listed: bool = False
    seconds: float = 0.0  # the round trip of one short chat request
    message: str = ""

    def lines(self) -> list[str]:
        shown = ", ".join(self.models[:20]) + (" …" if len(self.models) > 20 else "")
        out = [f"endpoint: {self.endpoint}", f"models it lists: {shown or '(none)'}"]
        if self.ok:
            out.append(f"{self.model}: answered in {self.seconds:.2f} s")
        else:
            out.append(f"{self.model}: {self.message}")
        return out


def say_ok(client: ModelClient) -> None:
    """One tiny chat request past the cache: the round trip a check times (ModelError if not)."""
    client.complete(
        [{"role": "user", "content": "Answer with the single word: ok"}],
        max_tokens=5,
        use_cache=False,
    )


def check_endpoint(config: ModelConfig) -> EndpointCheck:
    result = EndpointCheck(ok=False, endpoint=config.endpoint, model=config.name)
    with client_for(config) as client:
        try:
            result.models = client.list_models()
            result.model_listed = config.name in result.models
        except ModelError as error:
            if error.kind in ("unreachable", "auth"):
                result.message = str(error)
                return result
            # Some servers (llama.cpp's older builds) have no /models: the chat may still work.
        started = time.monotonic()
        try:
            say_ok(client)
        except ModelError as error:
            result.message = str(error)
            return result
        result.seconds = time.monotonic() - started
        result.ok = True
    return result
