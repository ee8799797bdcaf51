"""Calls of functions imported from the workspace, resolved to where they are defined."""

from __future__ import annotations

import textwrap
from pathlib import Path

import jedi
import pytest

from mgdebug.analysis.functions import analyze_module

MAIN = """\
import os
import pkg.mod as m
from pkg.mod import helper
from pkg.reexport import again
from os.path import join


def f(x):
    return helper(x) + m.helper(x) + again(x) + len(join("a", os.sep))
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'ws'\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text("def helper(x):\n    return x + 1\n")
    (tmp_path / "pkg" / "reexport.py").write_text("from .mod import helper as again\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(MAIN)
    return tmp_path


def test_workspace_imports_resolve_through_reexports_and_skip_the_stdlib(
    workspace: Path,
) -> None:
    path = workspace / "app" / "main.py"
    module = analyze_module(MAIN, str(path))
    assert module.functions["f"].imported_calls == ["pkg.mod.helper"]
    assert module.functions["f"].calls == []


def test_relative_imports_resolve_inside_a_package(workspace: Path) -> None:
    source = textwrap.dedent(
        """
        from .mod import helper

        def use():
            return helper(1)
        """
    )
    path = workspace / "pkg" / "user.py"
    path.write_text(source)
    assert analyze_module(source, str(path)).functions["use"].imported_calls == ["pkg.mod.helper"]


def test_jedi_failure_falls_back_to_the_static_name(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("jedi exploded")

    monkeypatch.setattr(jedi, "Script", broken)
    path = workspace / "app" / "main.py"
    module = analyze_module(MAIN, str(path))
    # Without jedi the re-export cannot be followed, but the stdlib stays out.
    assert module.functions["f"].imported_calls == ["pkg.mod.helper", "pkg.reexport.again"]


def test_without_a_path_imports_are_not_resolved() -> None:
    module = analyze_module(MAIN)
    assert module.functions["f"].imported_calls == []


def test_resolution_can_be_turned_off(workspace: Path) -> None:
    path = workspace / "app" / "main.py"
    module = analyze_module(MAIN, str(path), resolve_imports=False)
    assert module.functions["f"].imported_calls == []
