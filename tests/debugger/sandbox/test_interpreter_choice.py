"""Which Python runs the code under test: the order of debugger/sandbox/interpreter.py.

Each venv here is a folder with `bin/python` linked to a real interpreter and
a pyvenv.cfg, which is all the resolution looks at; the probe really runs it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mgdebug.debugger.sandbox.interpreter import (
    OWN,
    InterpreterError,
    describe,
    resolve_interpreter,
)

REAL_PYTHON = sys.executable
PYENV = Path.home() / ".pyenv" / "versions"


def fake_venv(folder: Path, python: str = REAL_PYTHON) -> str:
    (folder / "bin").mkdir(parents=True)
    home = os.path.dirname(os.path.realpath(python))
    (folder / "pyvenv.cfg").write_text(f"home = {home}\n")
    (folder / "bin" / "python").symlink_to(python)
    return str(folder / "bin" / "python")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """proj/pyproject.toml and proj/src/pkg/mod.py: a file two folders below its root."""
    root = tmp_path / "proj"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (root / "src" / "pkg" / "mod.py").write_text("x = 1\n")
    return root


def test_explicit_python_wins_over_everything(project: Path, tmp_path: Path) -> None:
    fake_venv(project / ".venv")
    chosen = fake_venv(tmp_path / "elsewhere")
    active = fake_venv(tmp_path / "active")
    found = resolve_interpreter(
        str(project / "src/pkg/mod.py"), chosen, environ={"VIRTUAL_ENV": str(tmp_path / "active")}
    )
    assert (found.path, found.chosen_by) == (chosen, "--python")
    assert found.version == ".".join(map(str, sys.version_info[:3]))
    assert active != found.path


def test_explicit_python_may_name_the_venv_folder(tmp_path: Path) -> None:
    python = fake_venv(tmp_path / "env")
    found = resolve_interpreter(str(tmp_path / "mod.py"), str(tmp_path / "env"), environ={})
    assert found.path == python


def test_active_virtual_env_beats_a_project_venv(project: Path, tmp_path: Path) -> None:
    fake_venv(project / ".venv")
    active = fake_venv(tmp_path / "active")
    found = resolve_interpreter(
        str(project / "src/pkg/mod.py"), None, environ={"VIRTUAL_ENV": str(tmp_path / "active")}
    )
    assert (found.path, found.chosen_by) == (active, "$VIRTUAL_ENV")


def test_venv_beside_the_file_beats_the_project_root(project: Path) -> None:
    fake_venv(project / ".venv")
    beside = fake_venv(project / "src" / "pkg" / "venv")
    found = resolve_interpreter(str(project / "src/pkg/mod.py"), None, environ={})
    assert (found.path, found.chosen_by) == (beside, "venv")


def test_venv_of_the_project_root_is_found_from_a_subfolder(project: Path) -> None:
    python = fake_venv(project / ".venv")
    found = resolve_interpreter(str(project / "src/pkg/mod.py"), None, environ={})
    assert (found.path, found.chosen_by) == (python, ".venv")


def test_dot_venv_is_preferred_to_venv_in_one_folder(project: Path) -> None:
    dot = fake_venv(project / ".venv")
    fake_venv(project / "venv")
    assert resolve_interpreter(str(project / "src/pkg/mod.py"), None, environ={}).path == dot


def test_the_nearest_marker_is_the_root_and_git_counts(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    inner = outer / "inner"
    inner.mkdir(parents=True)
    (outer / "setup.cfg").write_text("")
    fake_venv(outer / ".venv")  # not the project of inner/mod.py: inner has its own root
    (inner / ".git").mkdir()
    (inner / "mod.py").write_text("")
    found = resolve_interpreter(str(inner / "mod.py"), None, environ={})
    assert found.chosen_by == OWN


def test_without_any_venv_mgdebugs_own_python_runs_the_code(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("")
    found = resolve_interpreter(str(tmp_path / "mod.py"), None, environ={})
    assert (found.path, found.chosen_by) == (sys.executable, OWN)
    assert describe(found.path, found.chosen_by).startswith(f"using {sys.executable} (")


def test_a_virtual_env_without_python_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "gone").mkdir()
    found = resolve_interpreter(
        str(tmp_path / "mod.py"), None, environ={"VIRTUAL_ENV": str(tmp_path / "gone")}
    )
    assert found.chosen_by == OWN


def test_a_file_that_is_not_python_is_a_usage_error(tmp_path: Path) -> None:
    script = tmp_path / "notpython"
    script.write_text("#!/bin/sh\necho hello\n")
    script.chmod(0o755)
    with pytest.raises(InterpreterError, match=f"^{script} is not a Python interpreter$"):
        resolve_interpreter(str(tmp_path / "mod.py"), str(script), environ={})
    with pytest.raises(InterpreterError, match="is not a Python interpreter"):
        resolve_interpreter(str(tmp_path / "mod.py"), str(tmp_path / "missing"), environ={})


def test_a_broken_project_venv_is_an_error_not_a_silent_fallback(project: Path) -> None:
    fake_venv(project / ".venv", python="/bin/false")
    with pytest.raises(InterpreterError, match="is not a Python interpreter"):
        resolve_interpreter(str(project / "src/pkg/mod.py"), None, environ={})


@pytest.mark.skipif(not (PYENV / "3.8.18").exists(), reason="needs pyenv's Python 3.8")
def test_python_38_is_too_old_for_the_code_under_test(tmp_path: Path) -> None:
    old = str(PYENV / "3.8.18" / "bin" / "python")
    with pytest.raises(InterpreterError, match=r"is Python 3\.8; mgdebug needs 3\.9\+"):
        resolve_interpreter(str(tmp_path / "mod.py"), old, environ={})


def test_the_probe_runs_once_per_interpreter(tmp_path: Path) -> None:
    python = fake_venv(tmp_path / "env")
    first = resolve_interpreter(str(tmp_path / "a.py"), python, environ={})
    os.unlink(python)  # a second probe would now fail
    second = resolve_interpreter(str(tmp_path / "b.py"), python, environ={})
    assert first.version == second.version
