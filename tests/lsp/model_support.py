"""What the language server's model tests share: a server session with its own
environment, an engine that records the model options it is given, and a
scripted model that knows how to fix `count_vowels`.

The server runs as in the editor (`python -m mgdebug.server lsp` over stdio);
the model is tests/debugger/llm/scripted_openai.py, a real HTTP server, and
each session gets its own answer cache so no test sees another's answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from mgdebug.debugger.options import DebugOptions
from mgdebug.debugger.report import Report
from tests.debugger.llm.scripted_openai import Reply

from .conftest import REPO, SERVER_COMMAND, _act_like_an_editor, start, wait_for

RECORDING_ENGINE = "tests.lsp.model_support:recording_engine"
LOG_VARIABLE = "MGDEBUG_MODEL_TEST_LOG"

# A bug no small edit fixes: only a rewrite (the model's) passes the doctests.
COUNT_VOWELS = '''\
def count_vowels(text):
    """How many of the letters of `text` are vowels.

    >>> count_vowels("banana")
    3
    >>> count_vowels("sky")
    0
    """
    count = len(text)
    return count
'''

FIXED_FUNCTION = '''\
def count_vowels(text):
    """How many of the letters of `text` are vowels.

    >>> count_vowels("banana")
    3
    >>> count_vowels("sky")
    0
    """
    count = sum(1 for letter in text if letter in "aeiou")
    return count
'''

VERDICT_REASON = "`count` is the length of the text, vowels or not"
EXPLANATION = "It returns len(text), 6 for 'banana', counting every letter instead of vowels."


def recording_engine(
    source: str,
    path: str,
    options: DebugOptions | None = None,
    *,
    cancel: threading.Event | None = None,
    progress: Callable[[str, int], None] | None = None,
    localized: Callable[[Report], None] | None = None,
) -> Report:
    """The real engine, after appending the run's model options to $MGDEBUG_MODEL_TEST_LOG."""
    from mgdebug.debugger.engine import debug_source

    config = options.model.config if options else None
    entry = {
        "functions": options.functions if options else [],
        "model": config.name if config else None,
        "url": config.url if config else None,
        "has_key": bool(config and config.api_key),
        "max_calls": options.model.max_calls if options else None,
        "strategy": options.model.strategy if options else None,
    }
    with open(os.environ[LOG_VARIABLE], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")
    return debug_source(
        source, path, options, cancel=cancel, progress=progress, localized=localized
    )


def engine_runs(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def server_env(tmp: Path, record: bool, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The editor's environment without any model choice or key, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MGDEBUG_") and k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")
    }
    env.update(PYTHONPATH=REPO, XDG_CACHE_HOME=str(tmp / "cache"))
    env[LOG_VARIABLE] = str(tmp / "engine.jsonl")
    if record:
        env["MGDEBUG_LSP_ENGINE"] = RECORDING_ENGINE
    env.update(extra or {})
    return env


@asynccontextmanager
async def model_session(
    tmp: Path,
    settings: dict[str, Any],
    *,
    record: bool = False,
    env: dict[str, str] | None = None,
) -> AsyncIterator[LanguageClient]:
    """A server started as VS Code starts it, with `settings` in initializationOptions."""
    config = ClientServerConfig(
        server_command=SERVER_COMMAND, server_env=server_env(tmp, record, env)
    )
    client: LanguageClient = await config.start()  # type: ignore[assignment]
    _act_like_an_editor(client)
    _read_code_actions_as_editors_do(client)
    try:
        await start(client, "visual-studio-code", {"settings": settings})
        yield client
    finally:
        # without shutdown and exit the server outlives the test and stop() waits for it
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), 30)
        await client.stop()


def _read_code_actions_as_editors_do(client: LanguageClient) -> None:
    """lsprotocol reads any item with a `command` key as a Command, so a CodeAction that
    runs a command would arrive as a garbled Command; VS Code and Neovim look at whether
    `command` is a string, and so does this."""
    converter = client.protocol._converter

    def structure(item: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(item.get("command"), str):
            return converter.structure(item, types.Command)
        return converter.structure(item, types.CodeAction)

    converter.register_structure_hook(
        Union[types.Command, types.CodeAction],  # noqa: UP007 - the key lsprotocol registered
        structure,
    )


def scripted_answer(body: dict[str, Any]) -> Reply:
    """A model that answers each of mgdebug's prompts about `count_vowels` sensibly."""
    prompt = body["messages"][-1]["content"]
    if "Write the corrected function" in prompt or "Your fix was run" in prompt:
        return Reply(f"Here is the fix:\n\n```python\n{FIXED_FUNCTION}```\n")
    if "explain why it fails" in prompt:
        return Reply(EXPLANATION)
    if "say whether it behaved correctly" in prompt:
        blocks = sorted({int(n) for n in re.findall(r"\[block (\d+),", prompt)})
        verdicts = [{"block": b, "verdict": "wrong", "reason": VERDICT_REASON} for b in blocks]
        return Reply(json.dumps({"blocks": verdicts}))
    if "test cases" in prompt:
        return Reply(json.dumps({"cases": [{"call": 'count_vowels("a")', "expected": "1"}]}))
    if "Which fix matches" in prompt:
        return Reply(json.dumps({"choice": 1, "reason": "counts vowels"}))
    return Reply("I cannot help with that.")


async def wait_for_runs(log: Path, count: int, timeout: float = 90.0) -> list[dict[str, Any]]:
    """The engine's first `count` runs, once they have started."""
    runs: list[dict[str, Any]] = await wait_for(
        lambda: (found := engine_runs(log)) and len(found) >= count and found,
        timeout,
        f"{count} engine runs",
    )
    return runs
