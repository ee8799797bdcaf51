"""The command line's model flags: parsed into `ModelOptions`, and `mgdebug --model-check`.

One resolution (debugger/llm/config.py) serves the CLI and the language
server; this module only maps flags onto it and says what went wrong in the
CLI's terms (a bad setting is a usage error, exit 2). Nothing here imports
`openai` at module level: `mgdebug --help` and an offline run must not pay for
it (benchmarks/startup.py measures both).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from .source_file import InputError

# pathlib is imported only when a run needs it: `--help` stays at argparse's cost.
if TYPE_CHECKING:
    from mgdebug.debugger.llm.config import ModelConfig
    from mgdebug.debugger.options import ModelOptions

STRATEGIES = ("mgdebug", "mgdebugger", "ldb")
DEFAULT_BUDGET = 20  # model requests per run; ModelOptions.max_calls
DEFAULT_ROUNDS = 3  # fix attempts per function; ModelOptions.rounds

NO_MODEL_CONFIGURED = (
    "no model is configured: pass --model NAME (and --model-url URL for a server other "
    "than OpenAI's) or --model-path FILE.gguf, set MGDEBUG_MODEL / MGDEBUG_MODEL_URL, "
    "or add [tool.mgdebug.model] to pyproject.toml"
)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "model (optional; any OpenAI-compatible endpoint, or a GGUF file)",
        "A model adds generated expectations, block verdicts, explanations and fixes; "
        "every fix it writes is checked in the sandbox like any other. Settings: flags, "
        "else $MGDEBUG_MODEL / $MGDEBUG_MODEL_URL / $MGDEBUG_MODEL_PATH, else "
        "[tool.mgdebug.model] in pyproject.toml; the key only from $MGDEBUG_API_KEY "
        "or $OPENAI_API_KEY (a local URL needs none).",
    )
    group.add_argument("--model", metavar="NAME", help="the model's name at the endpoint")
    group.add_argument(
        "--model-url",
        metavar="URL",
        help="the endpoint's base URL, e.g. http://localhost:11434/v1 (default: OpenAI's)",
    )
    group.add_argument(
        "--model-path",
        metavar="FILE",
        help="a GGUF model run in process (needs pip install 'mgdebug[local]')",
    )
    group.add_argument(
        "--no-model", action="store_true", help="run offline, whatever is configured"
    )
    group.add_argument(
        "--model-check",
        action="store_true",
        help="say whether the endpoint answers, the models it lists and the round trip; "
        "no FILE needed",
    )
    budget = "at most N model requests per run; cached answers are free"
    _add_count(group, "--model-budget", 0, DEFAULT_BUDGET, budget)
    rounds = "fix attempts per function, retries with the new failure included"
    _add_count(group, "--model-rounds", 1, DEFAULT_ROUNDS, rounds)
    group.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="mgdebug",
        help="mgdebug: real traces plus the model (default); mgdebugger: the paper's loop, "
        "no real trace; ldb: entry trace, block verdicts, regenerate",
    )
    group.add_argument(
        "--show-prompts",
        action="store_true",
        help="print each prompt as sent (after redaction) on stderr",
    )
    group.add_argument(
        "--no-cache", action="store_true", help="ask the model again instead of its cached answers"
    )


def _add_count(
    group: argparse._ArgumentGroup, flag: str, least: int, default: int, what: str
) -> None:
    """A flag taking a count of at least `least`, its default said in its help."""
    help_text = f"{what} (default {default})"
    group.add_argument(flag, type=_count(least), default=default, metavar="N", help=help_text)


def _count(least: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}")
        return value

    return parse


def resolve_config(args: argparse.Namespace, start: str) -> ModelConfig | None:
    """The configured model for a run at `start` (a file or folder), or None.

    A setting that cannot work is a usage error (InputError: exit 2).
    """
    from pathlib import Path

    from mgdebug.debugger.llm.config import ModelConfigError, resolve_model_config

    try:
        config = resolve_model_config(
            Path(start),
            name=args.model,
            url=args.model_url,
            path=args.model_path,
            disabled=args.no_model,
        )
    except ModelConfigError as error:
        raise InputError(str(error)) from None
    if config is not None and config.path:
        # Before any run: a GGUF that cannot load here is a usage error, not a note.
        from mgdebug.debugger.llm.local import local_model_problem

        problem = local_model_problem(config)
        if problem:
            raise InputError(problem)
    return config


def model_options(args: argparse.Namespace, start: str) -> ModelOptions:
    """`DebugOptions.model` from the flags: config None means offline, and nothing changes."""
    from mgdebug.debugger.options import ModelOptions

    config = resolve_config(args, start)
    return ModelOptions(
        config=config,
        strategy=args.strategy,
        max_calls=args.model_budget,
        rounds=args.model_rounds,
        use_cache=not args.no_cache,
        show_prompt=PromptPrinter(config, sys.stderr) if config and args.show_prompts else None,
    )


class PromptPrinter:
    """`--show-prompts`: each prompt as it leaves (redacted by the client), between rules.

    Requests may go out from several threads; the lock keeps one prompt whole.
    """

    def __init__(self, config: ModelConfig, stream: TextIO) -> None:
        self.where = config.describe()
        self.stream = stream
        self.lock = threading.Lock()
        self.count = 0

    def __call__(self, messages: list[dict[str, str]]) -> None:
        with self.lock:
            self.count += 1
            out = [f"===== mgdebug: prompt {self.count} to {self.where} (as sent) ====="]
            for message in messages:
                out.append(f"--- {message.get('role', '?')} ---")
                out.append(message.get("content", "").rstrip("\n"))
            out.append(f"===== end of prompt {self.count} =====")
            self.stream.write("\n".join(out) + "\n")
            self.stream.flush()


def model_check(args: argparse.Namespace) -> int:
    """`mgdebug --model-check [FILE]`: 0 when the model answers, 2 otherwise."""
    config = resolve_config(args, os.path.abspath(args.file or "."))
    if config is None:
        reason = "--no-model is given" if args.no_model else NO_MODEL_CONFIGURED
        sys.stderr.write(f"mgdebug: {reason}\n")
        return 2
    print(f"model: {config.name} (from {config.chosen_by})")
    if config.path:
        ok, lines = _check_local(config)
    else:
        from mgdebug.debugger.llm.check import check_endpoint

        result = check_endpoint(config)
        ok, lines = result.ok, result.lines()
        if result.models and not result.model_listed:
            lines.append(f"note: {config.name} is not among the models it lists")
    for line in lines:
        print(line)
    return 0 if ok else 2


def _check_local(config: ModelConfig) -> tuple[bool, list[str]]:
    """A GGUF file has no endpoint to list: load it and time one short answer."""
    from mgdebug.debugger.llm.check import say_ok
    from mgdebug.debugger.llm.client import ModelError
    from mgdebug.debugger.llm.connect import open_client
    from mgdebug.debugger.options import ModelOptions

    lines = [f"endpoint: {config.endpoint} (in process, llama-cpp-python)"]
    started = time.monotonic()
    client = open_client(ModelOptions(config=config, use_cache=False))
    if client is None:  # pragma: no cover - a config always opens a client
        return False, lines
    try:
        say_ok(client)
    except ModelError as error:
        return False, [*lines, f"{config.name}: {error}"]
    finally:
        client.close()
    lines.append(f"{config.name}: loaded and answered in {time.monotonic() - started:.2f} s")
    return True, lines
