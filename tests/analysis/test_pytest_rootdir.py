"""The folder mgdebug roots a project's pytest run at is the one pytest itself picks.

mgdebug finds it statically (analysis/pytest_discovery.pytest_rootdir), to
copy that folder into the sandbox; each layout here is checked against
pytest's own rootdir logic on the same files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.config.findpaths import determine_setup

from mgdebug.analysis.pytest_discovery import MAX_ROOT_LEVELS, project_root, pytest_rootdir

LAYOUTS: dict[str, dict[str, str]] = {
    "pytest.ini at the top": {"pytest.ini": "[pytest]\n"},
    "empty pytest.ini": {"pytest.ini": ""},
    "pyproject table": {
        "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n",
        "tests/tox.ini": "[tox]\n",
    },
    "pyproject native table": {"pyproject.toml": "[tool.pytest]\nminversion = '8.0'\n"},
    "tox.ini section": {"tox.ini": "[pytest]\n", "tests/setup.cfg": "[metadata]\n"},
    "setup.cfg section": {"setup.cfg": "[tool:pytest]\n"},
    "setup.py only": {"setup.py": ""},
    "pyproject without a pytest table": {"pyproject.toml": "[project]\nname = 'x'\n"},
    "nearest config wins": {
        "pyproject.toml": "[tool.pytest.ini_options]\n",
        "tests/pytest.ini": "[pytest]\n",
    },
    "nothing": {},
}


def _layout(root: Path, files: dict[str, str]) -> list[Path]:
    tests = [root / "tests" / "unit" / "test_a.py", root / "tests" / "test_b.py"]
    for test in tests:
        test.parent.mkdir(parents=True, exist_ok=True)
        test.write_text("def test_ok():\n    pass\n")
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("def f():\n    return 1\n")
    for name, text in files.items():
        (root / name).write_text(text)
    return tests


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_rootdir_is_the_one_pytest_picks(tmp_path: Path, name: str) -> None:
    root = tmp_path / "project"
    tests = _layout(root, LAYOUTS[name])
    pytests, *_ = determine_setup(
        inifile=None,
        override_ini=None,
        args=[str(t) for t in tests],
        rootdir_cmd_arg=None,
        invocation_dir=root,
    )
    assert pytest_rootdir(tests, invocation_dir=root) == pytests


def test_the_copied_project_root_holds_the_config_and_the_module(tmp_path: Path) -> None:
    root = tmp_path / "project"
    tests = _layout(root, {"pytest.ini": "[pytest]\n"})
    assert project_root(str(root / "pkg" / "mod.py"), tests) == root
    # Tests found beside the module and no configuration: the module's folder.
    assert project_root(str(root / "pkg" / "mod.py"), [root / "pkg" / "test_mod.py"]) == (
        root / "pkg"
    )


def test_a_config_far_above_the_module_is_not_taken_as_its_project(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["d"] * (MAX_ROOT_LEVELS + 1))
    deep.mkdir(parents=True)
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\n")
    (deep / "mod.py").write_text("")
    (deep / "test_mod.py").write_text("")
    assert project_root(str(deep / "mod.py"), [deep / "test_mod.py"]) == deep
    # Without tests there is no pytest run to root: the module's folder.
    assert project_root(str(deep / "mod.py"), []) == deep
