"""Typed options for one debugging run, shared by the CLI and the language server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the child kit (sandbox/kit.py) carries this module, but not the model layer
    from .llm.config import ModelConfig

Strategy = Literal["mgdebug", "mgdebugger", "ldb"]


@dataclass
class Limits:
    """Resource limits for code under test, per sandboxed run."""

    wall_seconds: float = 10.0  # one expectation batch, wall clock
    cpu_seconds: int = 10
    memory_mb: int = 1024  # address space
    max_processes: int = 0  # extra processes code under test may start (0: none)
    output_bytes: int = 1_000_000  # stdout/stderr kept per run
    file_mb: int = 16  # largest file code under test may write
    drop_privileges: bool = True  # started as root: run code under test as `nobody`
    # Environment variables code under test may see beyond the allow-list
    # (sandbox/scratch.py): `--pass-env NAME`.
    pass_env: tuple[str, ...] = ()
    # The kernel's own wall where it has one (sandbox/landlock.py): writes only in
    # the scratch folder, no TCP, no signals out. `network` leaves TCP open.
    landlock: bool = True
    network: bool = False


@dataclass
class ModelOptions:
    """The model half of a run (debugger/llm/); `config` None: offline, nothing changes."""

    config: ModelConfig | None = None
    strategy: Strategy = "mgdebug"
    max_calls: int = 20  # requests per run (--model-budget); cached answers are free
    rounds: int = 3  # fix attempts per function: the first answer and retries with new failures
    use_cache: bool = True  # --no-cache: ask the endpoint again
    # --show-prompts: called with each prompt as sent (after redaction).
    show_prompt: Callable[[list[dict[str, str]]], None] | None = None


@dataclass
class DebugOptions:
    function: str | None = None  # narrow to one function (qualname or name)
    functions: list[str] = field(default_factory=list)  # or to several (the editor's re-runs)
    search_fixes: bool = True
    search_seconds: float = 30.0  # fix search time budget
    # Mutation-based line ranking (0: spectrum only). A fixed set of mutants
    # decides it (mutation_localize.MAX_MUTANTS); this is only the safety net.
    mutation_seconds: float = 10.0
    max_candidates: int = 5000  # fix search candidate budget
    max_fixes: int = 5  # checked fixes kept
    trace: bool = True
    limits: Limits = field(default_factory=Limits)
    extra_tests: list[str] = field(default_factory=list)  # test files the user names
    # The interpreter code under test runs in (--python / the `python` setting);
    # None: found from $VIRTUAL_ENV, a .venv/venv of the project, else mgdebug's own.
    python: str | None = None
    model: ModelOptions = field(default_factory=ModelOptions)
