"""Which model a document's runs may use, and the model's problems said once.

The editor's `model` settings are only the explicit part of the choice: they
go through `resolve_model_config` with the document's folder as the start, so
$MGDEBUG_MODEL, $MGDEBUG_MODEL_URL and the project's `[tool.mgdebug.model]`
work in the editor exactly as on the command line, and the API key comes only
from the server's environment (the VS Code extension puts it there).

A configuration that cannot work (a URL without a name, a remote endpoint
without a key) turns the model off with one warning; an endpoint that is down
or answers garbage gets one warning per distinct problem for the server's
lifetime, however many saves meet it, because the offline results are shown
either way and a warning per save would be a flood.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from mgdebug.debugger.llm.config import ModelConfig, ModelConfigError, resolve_model_config
from mgdebug.debugger.options import ModelOptions
from mgdebug.debugger.report import ModelSummary

from .settings import ModelSettings

log = logging.getLogger(__name__)

CACHE_SECONDS = 2.0  # code actions ask on every cursor move; pyproject.toml rarely changes
_NUMBERS = re.compile(r"\d+(?:\.\d+)?")


def start_folder(path: str) -> Path:
    """Where the search for pyproject.toml starts: the file's folder, else the server's."""
    if os.path.isabs(path):  # an unsaved buffer's "path" is its URI
        return Path(path).parent
    return Path.cwd()


def problem_key(message: str) -> str:
    """Messages that differ only in numbers (seconds, counts) are one problem."""
    return _NUMBERS.sub("#", message.strip())


class ModelSetup:
    """Resolves a document's model configuration and reports model problems once."""

    def __init__(self, warn: Callable[[str], None], log_info: Callable[[str], None]) -> None:
        self._warn = warn
        self._log_info = log_info
        self._cache: dict[tuple[Path, ModelSettings], tuple[float, ModelConfig | None]] = {}
        self._said: set[str] = set()

    def forget(self) -> None:
        """Settings changed: resolve again."""
        self._cache.clear()

    def config(self, settings: ModelSettings, path: str) -> ModelConfig | None:
        """The model for runs on the file at `path`; None when none is set or it cannot work."""
        key = (start_folder(path), settings)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            config = resolve_model_config(
                key[0], name=settings.name or None, url=settings.url or None
            )
        except ModelConfigError as error:
            self.warn_once(f"mgdebug: the model is off: {error}")
            config = None
        self._cache[key] = (now, config)
        return config

    def options(self, settings: ModelSettings, config: ModelConfig | None) -> ModelOptions:
        """The run's model options; `config` None keeps the run offline."""
        return ModelOptions(config=config, strategy=settings.strategy, max_calls=settings.budget)

    def report(self, summary: ModelSummary | None) -> None:
        """After a run: its model problem, once per distinct problem; usage in the log."""
        if summary is None:
            return
        usage = summary.usage
        self._log_info(
            f"mgdebug: model {summary.name} at {summary.endpoint}: "
            f"{usage.get('calls', 0)} calls, {usage.get('cached', 0)} cached, "
            f"{usage.get('failed', 0)} failed, {usage.get('parse_failures', 0)} unusable answers"
        )
        if summary.message:
            # the engine's message says what failed and that the offline result stands
            self.warn_once(f"mgdebug: the model could not help: {summary.message}")

    def warn_once(self, message: str) -> None:
        key = problem_key(message)
        if key in self._said:
            log.info("%s (said before)", message)
            return
        self._said.add(key)
        self._warn(message)
