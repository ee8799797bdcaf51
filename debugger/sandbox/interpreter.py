"""Which Python the code under test runs in: the project's, not mgdebug's.

A user's code imports the packages of the environment they develop in, which is
rarely the one mgdebug is installed in. The order (issue 8, section 3):

1. `--python PATH` on the command line, or the language server's `python` setting;
2. `$VIRTUAL_ENV` (an activated environment): its `bin/python`;
3. a `.venv` or `venv` folder with `bin/python` in the file's folder, then in its
   project root (the nearest folder upwards with pyproject.toml, setup.cfg or .git);
4. mgdebug's own `sys.executable`.

A chosen interpreter is run once to learn its version and its `sys.path` (the
sandbox checks that `nobody` could read it before dropping privileges to it);
the answer is cached per path for the life of the process. A path that is not
a working Python 3.9 or newer is a usage error (`InterpreterError`), never a
silent fallback: the user asked for that interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "Interpreter",
    "InterpreterError",
    "describe",
    "own_interpreter",
    "resolve_interpreter",
]

MIN_VERSION = (3, 9)
_PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")
_VENV_NAMES = (".venv", "venv")
_PROBE_SECONDS = 20.0
# Runs in the candidate interpreter, whatever its version (even Python 2 answers).
_PROBE = (
    "import json, sys; print(json.dumps({'version': list(sys.version_info[:3]), "
    "'path': [p for p in sys.path if p]}))"
)

OWN = "mgdebug's own"  # `chosen_by` of the fallback


class InterpreterError(ValueError):
    """The interpreter asked for cannot run code under test (a usage error: exit 2)."""


@dataclass(frozen=True)
class Interpreter:
    path: str  # as found, not resolved: a venv's bin/python is a symlink that must stay one
    chosen_by: str  # "--python", "$VIRTUAL_ENV", ".venv", "venv" or OWN
    version: str  # "3.11.7"
    sys_path: tuple[str, ...] = ()  # the interpreter's own sys.path, without the script folder


_probed: dict[str, tuple[str, tuple[str, ...]]] = {}
_lock = threading.Lock()


def _venv_python(folder: str) -> str | None:
    python = os.path.join(folder, "bin", "python")
    return python if os.path.isfile(python) and os.access(python, os.X_OK) else None


def project_root(path: str) -> str | None:
    """The nearest folder at or above `path`'s folder holding a project marker."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        if any(os.path.exists(os.path.join(folder, m)) for m in _PROJECT_MARKERS):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _explicit_path(explicit: str) -> str:
    """A path, a venv folder, or a command name on PATH (`python3.12`)."""
    expanded = os.path.expanduser(explicit)
    if os.sep not in expanded and not os.path.exists(expanded):
        found = shutil.which(expanded)
        if found:
            return found
    expanded = os.path.abspath(expanded)
    if os.path.isdir(expanded):
        return _venv_python(expanded) or expanded
    return expanded


def _probe(python: str) -> tuple[str, tuple[str, ...]]:
    """(version, sys.path) of `python`, run once per path; InterpreterError if it is no Python."""
    with _lock:
        if python in _probed:
            return _probed[python]
    if _is_running(python):
        answer = (
            ".".join(str(n) for n in sys.version_info[:3]),
            tuple(p for p in sys.path if p),
        )
    else:
        answer = _run_probe(python)
    with _lock:
        _probed[python] = answer
    return answer


def _is_running(python: str) -> bool:
    """Whether `python` is the interpreter running mgdebug (`python` beside `python3`, say).

    The same folder too: a venv's python is a link to its base interpreter,
    the same file with another sys.path.
    """
    here = os.path.abspath(sys.executable)
    there = os.path.abspath(python)
    if os.path.dirname(here) != os.path.dirname(there):
        return False
    try:
        return os.path.samefile(here, there)
    except OSError:
        return False


def _run_probe(python: str) -> tuple[str, tuple[str, ...]]:
    not_python = InterpreterError(f"{python} is not a Python interpreter")
    if not os.path.isfile(python) or not os.access(python, os.X_OK):
        raise not_python
    try:
        done = subprocess.run(
            [python, "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=_PROBE_SECONDS,
            cwd="/",  # the probe's sys.path must not depend on where mgdebug was started
            stdin=subprocess.DEVNULL,
        )
        data = json.loads(done.stdout.strip().splitlines()[-1])
        major, minor, micro = (int(n) for n in data["version"])
        sys_path = tuple(str(p) for p in data["path"])
    except (OSError, subprocess.SubprocessError, ValueError, LookupError, TypeError) as exc:
        raise not_python from exc
    if done.returncode != 0:
        raise not_python
    version = f"{major}.{minor}.{micro}"
    if (major, minor) < MIN_VERSION:
        raise InterpreterError(
            f"{python} is Python {major}.{minor}; mgdebug needs "
            f"{MIN_VERSION[0]}.{MIN_VERSION[1]}+ for code under test"
        )
    return version, sys_path


def _found(python: str, chosen_by: str) -> Interpreter:
    version, sys_path = _probe(python)
    return Interpreter(python, chosen_by, version, sys_path)


def resolve_interpreter(
    path: str, explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> Interpreter:
    """The interpreter to run the code of the file at `path` in (see the module docstring).

    `explicit` is `--python` or the `python` setting; `environ` defaults to
    os.environ. Raises InterpreterError when the interpreter chosen cannot be used.
    """
    environ = os.environ if environ is None else environ
    if explicit:
        return _found(_explicit_path(explicit), "--python")
    active = environ.get("VIRTUAL_ENV")
    if active:
        python = _venv_python(active)
        if python is not None:
            return _found(python, "$VIRTUAL_ENV")
    folders = [os.path.dirname(os.path.abspath(path))]
    root = project_root(path)
    if root is not None and root not in folders:
        folders.append(root)
    for folder in folders:
        for name in _VENV_NAMES:
            python = _venv_python(os.path.join(folder, name))
            if python is not None:
                return _found(python, name)
    return own_interpreter()


def own_interpreter() -> Interpreter:
    """mgdebug's own interpreter (the fallback, and what direct users of Sandbox get)."""
    return _found(sys.executable, OWN)


def describe(path: str, chosen_by: str) -> str:
    """The report's first line: "using /p/bin/python (3.11.7, from .venv)"."""
    try:
        version = _probe(path)[0]
    except InterpreterError:
        version = "?"
    how = chosen_by if chosen_by == OWN else f"from {chosen_by}"
    return f"using {path} ({version}, {how})"
