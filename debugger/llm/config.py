"""Where the model comes from: CLI flags, environment, `[tool.mgdebug.model]`, or none.

One resolution order for every front end, so the CLI and the language server
agree on which endpoint a project uses: explicit settings (flags, editor
settings) win over the environment, which wins over the project's
pyproject.toml. The API key is read only from the environment (never from a
project file, which may be committed) and is kept out of every repr.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - mgdebug itself runs on 3.10 too
    import tomli as tomllib

DEFAULT_TIMEOUT = 60.0  # seconds per request; local models on a laptop are slow
DEFAULT_RETRIES = 3  # the openai client's own backoff on 408/409/429/5xx and lost connections
# Tokens per answer: a model that never ends its turn (a base model, a bad chat
# template) would otherwise generate until its context is full, minutes per call
# on a laptop, and a server keeps generating after the client gave up.
DEFAULT_MAX_TOKENS = 2048


class ModelConfigError(ValueError):
    """A model setting that cannot work; the message says which and what to do."""


@dataclass(frozen=True)
class ModelConfig:
    """A configured endpoint. `api_key` never appears in a repr, a log or a cache key."""

    name: str
    url: str | None = None  # None: the openai package's default (api.openai.com)
    api_key: str = field(default="", repr=False)
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    max_tokens: int = DEFAULT_MAX_TOKENS
    chosen_by: str = ""  # "--model", "$MGDEBUG_MODEL", "pyproject.toml", ...
    # A GGUF file run in process by llama-cpp-python (`--model-path`, the [local]
    # extra) instead of an HTTP endpoint; `name` is then the file's name.
    path: str | None = None

    @property
    def endpoint(self) -> str:
        if self.path:
            return f"local:{self.path}"
        return self.url or "https://api.openai.com/v1"

    def describe(self) -> str:
        return f"{self.name} at {self.endpoint}"


def is_local_url(url: str | None) -> bool:
    """A loopback or private address: such servers (Ollama, llama.cpp) need no key."""
    if not url:
        return False
    host = urlparse(url).hostname or ""
    if host in ("localhost", "host.docker.internal") or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def project_model_table(start: Path) -> tuple[dict[str, Any], Path | None]:
    """`[tool.mgdebug.model]` of the nearest pyproject.toml at or above `start`."""
    folder = start if start.is_dir() else start.parent
    for candidate in [folder, *folder.parents]:
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                return {}, pyproject
            table = data.get("tool", {}).get("mgdebug", {}).get("model", {})
            return (table if isinstance(table, dict) else {}), pyproject
    return {}, None


def resolve_model_config(
    start: Path,
    *,
    name: str | None = None,
    url: str | None = None,
    path: str | None = None,
    disabled: bool = False,
    environ: Mapping[str, str] | None = None,
) -> ModelConfig | None:
    """The model to use for a file or folder at `start`, or None when none is configured.

    `name`/`url`/`path` are the explicit settings (CLI flags or editor
    settings); `disabled` is `--no-model`. A GGUF `path` and an endpoint
    (`name`/`url`) exclude each other: the one set at the higher level (flags,
    then environment, then pyproject.toml) wins, and both at one level is an
    error. Raises ModelConfigError for a setting that cannot work, such as a
    remote URL with no key or a GGUF file that is not there.
    """
    if disabled:
        return None
    env = os.environ if environ is None else environ
    table, pyproject = project_model_table(start)
    in_file = str(pyproject) if pyproject else "pyproject.toml"
    chosen_name, name_rank, source = _first(
        (name, "--model / model.name"),
        (env.get("MGDEBUG_MODEL"), "$MGDEBUG_MODEL"),
        (table.get("name"), in_file),
    )
    chosen_url, url_rank, _ = _first(
        (url, ""),
        (env.get("MGDEBUG_MODEL_URL"), ""),
        (table.get("url"), ""),
    )
    chosen_path, path_rank, path_source = _first(
        (path, "--model-path / model.path"),
        (env.get("MGDEBUG_MODEL_PATH"), "$MGDEBUG_MODEL_PATH"),
        (table.get("path"), in_file),
    )
    timeout = _number(table.get("timeout"), DEFAULT_TIMEOUT, "timeout")
    retries = int(_number(table.get("retries"), DEFAULT_RETRIES, "retries"))
    max_tokens = int(_number(table.get("max_tokens"), DEFAULT_MAX_TOKENS, "max_tokens")) or 1
    endpoint_rank = min(name_rank, url_rank)
    if chosen_path:
        if path_rank == endpoint_rank:
            raise ModelConfigError(
                f"both a GGUF file ({chosen_path}) and an endpoint "
                f"({chosen_name or chosen_url}) are set in {path_source}: keep one"
            )
        if path_rank < endpoint_rank:
            base = pyproject.parent if pyproject and path_source == in_file else Path.cwd()
            return _local_config(chosen_path, path_source, base, timeout)
    if not chosen_name:
        if chosen_url:
            raise ModelConfigError(
                f"a model URL is set ({chosen_url}) but no model name: "
                "pass --model NAME or set MGDEBUG_MODEL"
            )
        return None
    if chosen_url and not urlparse(chosen_url).scheme.startswith("http"):
        raise ModelConfigError(f"model URL {chosen_url!r} is not an http(s) URL")
    key = env.get("MGDEBUG_API_KEY") or env.get("OPENAI_API_KEY") or ""
    if key and url_rank == 2 and not is_local_url(chosen_url):
        # A cloned repository must not be able to send the user's key to a server
        # it names: the key goes only to a remote URL the user set themselves.
        raise ModelConfigError(
            f"{in_file} names a remote model URL ({chosen_url}); mgdebug sends your API key "
            f"only to a URL you set yourself: pass --model-url {chosen_url} or set "
            "MGDEBUG_MODEL_URL (or mgdebug.model.url in the editor)"
        )
    if not key and not is_local_url(chosen_url):
        raise ModelConfigError(
            f"model {chosen_name} at {chosen_url or 'api.openai.com'} needs an API key: "
            "set MGDEBUG_API_KEY (or OPENAI_API_KEY) in the environment"
        )
    return ModelConfig(
        name=str(chosen_name),
        url=str(chosen_url).rstrip("/") if chosen_url else None,
        api_key=key,
        timeout=timeout,
        retries=retries,
        max_tokens=max_tokens,
        chosen_by=source,
    )


def _local_config(raw: str, source: str, base: Path, timeout: float) -> ModelConfig:
    """A GGUF file run in process; whether llama-cpp-python can run it is local.py's question."""
    file = Path(raw).expanduser()
    if not file.is_absolute():
        file = base / file
    if not file.is_file():
        raise ModelConfigError(
            f"model file {raw} (from {source}) is not a file: give the path of a .gguf model"
        )
    resolved = file.resolve()
    return ModelConfig(name=resolved.name, path=str(resolved), timeout=timeout, chosen_by=source)


def _first(*pairs: tuple[object, str]) -> tuple[str | None, int, str]:
    """The first setting given, its rank (0: explicit, 1: environment, 2: project) and source."""
    for rank, (value, source) in enumerate(pairs):
        if isinstance(value, str) and value.strip():
            return value.strip(), rank, source
    return None, len(pairs), ""


def _number(value: object, default: float, what: str) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ModelConfigError(f"[tool.mgdebug.model] {what} must be a non-negative number")
    return float(value)
