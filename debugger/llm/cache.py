"""Model answers on disk, keyed by endpoint, model, prompt and parameters.

Re-running mgdebug on the same bug costs no model call, and a deterministic
cache makes model-assisted runs repeatable. The key is a SHA-256 over what
determines the answer — never the API key — and a file holds only the
answer text and its token counts. Writes go through a temporary file and a
rename so two processes sharing the cache never read half an answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mgdebug" / "model-answers"


@dataclass(frozen=True)
class CachedAnswer:
    text: str
    prompt_tokens: int
    completion_tokens: int


def cache_key(
    endpoint: str, model: str, messages: list[dict[str, str]], params: dict[str, Any]
) -> str:
    payload = json.dumps(
        {"endpoint": endpoint, "model": model, "messages": messages, "params": params},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AnswerCache:
    """A folder of JSON files, one per answer, fanned out by the key's first two digits."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedAnswer | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            return CachedAnswer(
                str(data["text"]), int(data["prompt_tokens"]), int(data["completion_tokens"])
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or damaged: ask again

    def put(self, key: str, answer: CachedAnswer) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(
                    {
                        "text": answer.text,
                        "prompt_tokens": answer.prompt_tokens,
                        "completion_tokens": answer.completion_tokens,
                    },
                    out,
                )
            os.replace(temporary, path)
        except OSError:
            pass  # a read-only or full disk costs a repeated call, not the run
