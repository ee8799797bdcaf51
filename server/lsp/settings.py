"""The server's settings: a typed dataclass read from the editor's loose JSON.

Settings arrive twice: in `initializationOptions` as
`{"settings": {...}, "workspaceTrusted": bool}` and in
`workspace/didChangeConfiguration` as `{"settings": {...}}`. Each value is
checked on its own, so one bad value costs only that value: it falls back to
the default and the problem is reported once, in one message.

When debugging runs (`run`):
- "onSave" (default): when a file is opened (the buffer then equals the file
  on disk, so the first results match what the user sees) and on every save.
- "onOpen": only when a file is opened, and when the user asks (the Debug lens).
- "onType": on open, on save, and after every edit (debounced).
Syntax is checked after every edit whatever `run` says: it runs no user code
and costs milliseconds.

`python`: the interpreter code under test runs in (DebugOptions.python), as
`--python` on the command line; "" finds one as the CLI does
(debugger/sandbox/interpreter.py). The VS Code extension fills it from the Python
extension's selected interpreter.

`maxSuspects`: how many suspect lines get a diagnostic, the most likely one
(a Warning) included; the others are Hints. 0 shows only the failing functions.

`model`: `{"name", "url", "budget", "strategy"}` (dotted keys such as
"model.name" are read too), the editor's side of `--model`, `--model-url`,
`--model-budget` and `--strategy`. Empty name and URL leave the choice to
$MGDEBUG_MODEL / $MGDEBUG_MODEL_URL and `[tool.mgdebug.model]` (server/lsp/model.py
resolves them per file). There is no key setting: the key comes only from the
server's environment, so it is never in a settings file a project may commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

from mgdebug.debugger.options import Strategy

RunMode = Literal["onSave", "onOpen", "onType"]
RUN_MODES: tuple[str, ...] = get_args(RunMode)
STRATEGIES: tuple[str, ...] = get_args(Strategy)
MAX_MODEL_CALLS = 200  # per run; a typo of 2000 would cost real money on a paid endpoint
MAX_SUSPECTS = 20  # suspect lines marked per file: more is a wall of hints, not a pointer


@dataclass(frozen=True)
class ModelSettings:
    """The `model` object; empty name and URL: environment or pyproject.toml decide."""

    name: str = ""
    url: str = ""
    budget: int = 20  # requests per run (ModelOptions.max_calls)
    strategy: Strategy = "mgdebug"


@dataclass(frozen=True)
class Settings:
    enable: bool = True
    run: RunMode = "onSave"
    timeBudget: float = 30.0  # seconds for the fix search (DebugOptions.search_seconds)
    inlayValues: bool = False
    runCode: bool = True
    python: str = ""  # path of the interpreter for code under test; "": found automatically
    maxSuspects: int = 3  # suspect lines marked, the top one included; 0: only failing functions
    model: ModelSettings = field(default_factory=ModelSettings)
    workspaceTrusted: bool = True  # from the client, not a user setting

    @property
    def may_run_code(self) -> bool:
        return self.enable and self.runCode and self.workspaceTrusted

    @property
    def not_running_reason(self) -> str:
        """Why no code runs, for the one message the user gets; "" when code runs."""
        if not self.workspaceTrusted:
            return (
                "mgdebug: this workspace is not trusted, so its code is never run; "
                "only syntax errors are reported. Trust the workspace to debug it."
            )
        if not self.runCode:
            return "mgdebug: `runCode` is off, so no code is run; only syntax errors are reported."
        return ""


def _check_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _check_run(value: Any) -> RunMode | None:
    return value if value in RUN_MODES else None  # type: ignore[return-value]


def _check_budget(value: Any) -> float | None:
    # bool is an int subclass: `true` is not a number of seconds
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 3600:
        return float(value)
    return None


def _check_python(value: Any) -> str | None:
    # null: back to finding it automatically
    if value is None:
        return ""
    return value if isinstance(value, str) and "\0" not in value else None


def _check_text(value: Any) -> str | None:
    if value is None:  # null: back to the environment and pyproject.toml
        return ""
    return value.strip() if isinstance(value, str) and "\0" not in value else None


def _check_calls(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_MODEL_CALLS:
        return value
    return None


def _check_suspects(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SUSPECTS:
        return value
    return None


def _check_strategy(value: Any) -> Strategy | None:
    return value if value in STRATEGIES else None  # type: ignore[return-value]


_MODEL_CHECKS = {
    "name": (_check_text, "a model name, or null"),
    "url": (_check_text, "an http(s) URL, or null"),
    "budget": (_check_calls, f"a number of model requests between 0 and {MAX_MODEL_CALLS}"),
    "strategy": (_check_strategy, " or ".join(f'"{s}"' for s in STRATEGIES)),
}

_CHECKS = {
    "enable": (_check_bool, "true or false"),
    "run": (_check_run, " or ".join(f'"{m}"' for m in RUN_MODES)),
    "timeBudget": (_check_budget, "a number of seconds between 0 and 3600"),
    "inlayValues": (_check_bool, "true or false"),
    "runCode": (_check_bool, "true or false"),
    "python": (_check_python, "the path of a Python interpreter, or null"),
    "maxSuspects": (_check_suspects, f"a number of lines between 0 and {MAX_SUSPECTS}"),
}


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from the client's JSON, and a problem description per bad value.

    Keys missing from `raw` keep their value in `base` (the defaults when None),
    so a partial update changes only what it names; bad values take the default.
    Unknown keys are ignored so that newer clients work with older servers.
    """
    base = base or Settings()
    if raw is None:
        return base, []
    if not isinstance(raw, dict):
        return base, [f"settings must be an object, got {type(raw).__name__}"]
    problems: list[str] = []
    changes = _checked(raw, _CHECKS, Settings(), "", problems)
    model = _parse_model(raw, base.model, problems)
    if model != base.model:
        changes["model"] = model
    return replace(base, **changes), problems


def _parse_model(raw: dict[str, Any], base: ModelSettings, problems: list[str]) -> ModelSettings:
    """The `model` object (or dotted "model.name" keys), checked value by value."""
    given = raw.get("model")
    if given is not None and not isinstance(given, dict):
        problems.append(f"`model` should be an object, got {given!r}")
        given = None
    values = {k[len("model.") :]: v for k, v in raw.items() if k.startswith("model.")}
    values.update(given or {})
    return replace(base, **_checked(values, _MODEL_CHECKS, ModelSettings(), "model.", problems))


def _checked(
    values: dict[str, Any],
    checks: Mapping[str, tuple[Callable[[Any], object], str]],
    defaults: object,
    prefix: str,
    problems: list[str],
) -> dict[str, Any]:
    """The checked value of each key of `checks` that `values` has.

    A bad value is described in `problems` (its key shown as `prefix` + name)
    and takes its value in `defaults`.
    """
    changes: dict[str, Any] = {}
    for name, (check, expected) in checks.items():
        if name not in values:
            continue
        value = check(values[name])
        if value is None:
            problems.append(f"`{prefix}{name}` should be {expected}, got {values[name]!r}")
            value = getattr(defaults, name)
        changes[name] = value
    return changes


def parse_initialization_options(options: Any) -> tuple[Settings, list[str]]:
    """Settings from `initializationOptions`: `{"settings": {...}, "workspaceTrusted": b}`."""
    if options is None:
        return Settings(), []
    if not isinstance(options, dict):
        return Settings(), [
            f"initializationOptions must be an object, got {type(options).__name__}"
        ]
    settings, problems = parse_settings(options.get("settings"))
    trusted = options.get("workspaceTrusted", True)
    if not isinstance(trusted, bool):
        problems.append(f"`workspaceTrusted` should be true or false, got {trusted!r}")
        # an unclear answer about trust is not trust
        trusted = False
    return replace(settings, workspaceTrusted=trusted), problems


def problems_message(problems: list[str]) -> str:
    return "mgdebug: ignored bad settings, using defaults for them: " + "; ".join(problems)
