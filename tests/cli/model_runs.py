"""Running the real `mgdebug` against the scripted OpenAI server, with a clean environment.

The CLI runs as a subprocess (as a user runs it) while the scripted server
runs in the test process on a free loopback port, so every request the CLI
makes is recorded. The environment holds only the model settings a test
gives: no MGDEBUG_* or OPENAI_API_KEY from the developer's shell, and the
answer cache in a scratch folder.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .conftest import REPO, CliRun, run_mgdebug


def _load_scripted_openai() -> Any:
    """tests/debugger/llm/scripted_openai.py, by path: tests/ is no package to import it from."""
    name = "scripted_openai_for_cli"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, REPO / "tests" / "debugger" / "llm" / "scripted_openai.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while being made
        spec.loader.exec_module(module)
    return sys.modules[name]


_scripted = _load_scripted_openai()
Reply = _scripted.Reply
ScriptedOpenAI = _scripted.ScriptedOpenAI

MODEL_VARIABLES = ("MGDEBUG_MODEL", "MGDEBUG_MODEL_URL", "MGDEBUG_MODEL_PATH", "MGDEBUG_API_KEY")
# Shaped like a real key so that redaction would catch it too: the tests prove it never shows.
SECRET_KEY = "sk-proj-H2testKEYdoNotLeak0123456789abcdef"

# A bug the edit search cannot fix (a square is missing, not an operator wrong):
# only a model's rewrite, checked in the sandbox, fixes it.
GITHUB_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"

# A bug the edit search cannot fix (a square is missing, not an operator wrong):
# only a model's rewrite, checked in the sandbox, fixes it. The function holds a
# token, as code sometimes does: prompts must carry it redacted.
SQUARES = f'''def total(values):
    """The sum of the squares of `values`.

    >>> total([1, 2, 3])
    14
    >>> total([])
    0
    """
    token = "{GITHUB_TOKEN}"
    result = 0
    for v in values:
        result += v
    return result
'''

# The model echoes the redacted literal, as a real one would: the fix shown must
# not carry the placeholder into the user's file.
FIXED_TOTAL = '''```python
def total(values):
    """The sum of the squares of `values`.

    >>> total([1, 2, 3])
    14
    >>> total([])
    0
    """
    token = "<redacted>"
    result = 0
    for v in values:
        result += v * v
    return result
```'''

EXPLANATION = "The loop adds each value instead of its square. So total([1, 2, 3]) gives 6."


# Block 2 of `total` is the loop body (`result += v`), the line the bug is on.
VERDICTS = (
    '{"blocks": [{"block": 1, "verdict": "correct", "reason": "loops over values"}, '
    '{"block": 2, "verdict": "wrong", "reason": "adds v where its square is meant"}]}'
)


def run_cli(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> CliRun:
    """`mgdebug ARGS` in `cwd` with only the model settings in `env`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in MODEL_VARIABLES and k not in ("OPENAI_API_KEY", "NO_COLOR")
    }
    clean["XDG_CACHE_HOME"] = str(cwd / ".cache")
    clean.update(env or {})
    return run_mgdebug(*args, cwd=cwd, timeout=timeout, env=clean)


def closed_port_url() -> str:
    """A loopback URL nothing listens on: the port was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def no_retries(folder: Path) -> None:
    """A project whose model settings fail fast: one try, short timeout (the table's own keys)."""
    (folder / "pyproject.toml").write_text(
        "[tool.mgdebug.model]\nretries = 0\ntimeout = 5\n", encoding="utf-8"
    )


def oracle(fixed: str = FIXED_TOTAL) -> Callable[[dict[str, Any]], Reply]:
    """Answers each kind of prompt (debugger/llm/prompts.py) as a helpful model would."""

    def answer(body: dict[str, Any]) -> Reply:
        text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        if "corrected function" in text:
            return Reply(fixed)
        if "explain why it fails" in text:
            return Reply(EXPLANATION)
        if "test cases" in text:
            return Reply('{"cases": [{"call": "total([2])", "expected": "4"}]}')
        if "For each block" in text:
            return Reply(VERDICTS)
        if "Which fix matches" in text:
            return Reply('{"choice": 1, "reason": "squares"}')
        return Reply("{}")

    return answer
