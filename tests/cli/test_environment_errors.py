"""A module that cannot be imported is reported as "could not run", not as a bug in its functions.

Each test writes a small file as a user would, runs the real `mgdebug` console
script on it and reads the verdict: what went wrong, what to do, no blame,
no suspects, no fix search, exit status 2. An error raised by the file's own
top-level code is the exception: it is a bug in that file (exit status 3),
reported with its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import run_mgdebug

# An interpreter too old for `match` (pyenv's, when the machine has one).
PYTHON_39 = next(
    (p / "bin" / "python" for p in sorted((Path.home() / ".pyenv" / "versions").glob("3.9.*"))),
    Path("/nonexistent/python3.9"),
)

DOUBLE = '''

def double(x):
    """
    >>> double(2)
    4
    """
    return x * 2
'''


def write(folder: Path, name: str, top: str) -> Path:
    path = folder / name
    path.write_text(top + DOUBLE)
    return path


def assert_nothing_blamed(data: dict[str, Any]) -> None:
    assert_nothing_blamed_in(data["could_not_run"], data, "double")


def assert_nothing_blamed_in(problem: dict[str, Any], data: dict[str, Any], name: str) -> None:
    assert problem["environment"]
    assert data["suspects"] == []
    assert data["fixes"] == [] and data["search"] is None
    assert not any(f["blamed"] for f in data["functions"])
    assert {f["name"]: f["status"] for f in data["functions"]} == {name: "not_run"}


def test_missing_dependency_says_it_is_not_installed_in_the_interpreter_used(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "uses_absent.py", "import mgdebug_absent_dependency.sub as dep\n")
    run = run_mgdebug(str(path), "--json")
    assert run.code == 2, run.stderr
    data = run.json()
    problem = data["could_not_run"]
    assert problem["kind"] == "missing-module" and problem["environment"]
    python = data["interpreter"]["path"]
    assert python and python in problem["message"]
    assert problem["message"].startswith("could not run `double`: `mgdebug_absent_dependency`")
    assert "is not installed in" in problem["message"] and "--python" in problem["message"]
    assert_nothing_blamed(data)
    assert problem["message"] in run.stderr  # JSON on stdout, the reason on stderr


def test_missing_dependency_in_text_report_is_said_once_with_no_blame(tmp_path: Path) -> None:
    path = write(tmp_path, "uses_absent.py", "import mgdebug_absent_dependency\n")
    run = run_mgdebug(str(path), "--no-color")
    assert run.code == 2
    assert run.stdout.count("could not run `double`") == 1
    assert "blamed" not in run.stdout and "Suspicious lines" not in run.stdout
    assert "not run" in run.stdout
    assert "could not run" not in run.stderr  # printed once: in the report


def test_missing_dependency_of_an_imported_project_module_is_the_environment(
    tmp_path: Path,
) -> None:
    (tmp_path / "helpers.py").write_text("import mgdebug_absent_dependency\n")
    path = write(tmp_path, "main_mod.py", "import helpers\n")
    data = run_mgdebug(str(path), "--json").json()
    assert data["could_not_run"]["kind"] == "missing-module"
    assert_nothing_blamed(data)


def test_input_at_import_time_says_to_move_it_under_the_main_guard(tmp_path: Path) -> None:
    path = write(tmp_path, "asks.py", 'name = input("name? ")\n')
    run = run_mgdebug(str(path), "--json")
    assert run.code == 2, run.stderr
    problem = run.json()["could_not_run"]
    assert problem["kind"] == "stdin" and problem["line"] == 1
    assert "reads input() when imported" in problem["message"]
    assert 'move it under `if __name__ == "__main__":`' in problem["message"]
    assert_nothing_blamed(run.json())


def test_reading_stdin_at_import_time_is_the_environment_too(tmp_path: Path) -> None:
    path = write(tmp_path, "reads.py", "import sys\n\nDATA = sys.stdin.read()\n")
    run = run_mgdebug(str(path), "--json")
    assert run.code == 2, run.stderr
    problem = run.json()["could_not_run"]
    assert problem["kind"] == "stdin" and problem["line"] == 3
    assert "reads standard input" in problem["message"]


def test_sys_exit_at_import_time_is_not_blamed_on_the_functions(tmp_path: Path) -> None:
    path = write(tmp_path, "exits.py", "import sys\n\nsys.exit(1)\n")
    run = run_mgdebug(str(path), "--json")
    assert run.code == 2, run.stderr
    problem = run.json()["could_not_run"]
    assert problem["kind"] == "exit" and "sys.exit()" in problem["message"]
    assert_nothing_blamed(run.json())


def test_error_inside_an_imported_module_names_it_and_where_it_raised(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text('X = 1\n\nraise ValueError("bad config")\n')
    path = write(tmp_path, "uses_pkg.py", "import pkg.mod\n")
    run = run_mgdebug(str(path), "--json")
    assert run.code == 2, run.stderr
    problem = run.json()["could_not_run"]
    assert problem["kind"] == "import" and problem["environment"]
    assert (
        "importing `pkg.mod` failed: ValueError: bad config at pkg/mod.py:3" in (problem["message"])
    )
    assert 'File "pkg/mod.py", line 3' in problem["traceback"]
    assert_nothing_blamed(run.json())


def test_imported_module_with_a_syntax_error_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "broken_helper.py").write_text("def f(:\n    pass\n")
    path = write(tmp_path, "uses_broken.py", "import broken_helper\n")
    run = run_mgdebug(str(path), "--json")
    assert run.code == 2, run.stderr
    problem = run.json()["could_not_run"]
    assert problem["kind"] == "import"
    assert "importing `broken_helper` failed: SyntaxError" in problem["message"]
    assert "at broken_helper.py:1" in problem["message"]


@pytest.mark.skipif(not PYTHON_39.exists(), reason="needs pyenv's Python 3.9")
def test_syntax_too_new_for_the_interpreter_used_is_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "matcher.py"
    path.write_text(
        'def kind(x):\n    """\n    >>> kind(1)\n    \'one\'\n    """\n'
        '    match x:\n        case 1:\n            return "one"\n'
        '        case _:\n            return "other"\n'
    )
    run = run_mgdebug(str(path), "--json", "--python", str(PYTHON_39))
    assert run.code == 2, run.stderr
    problem = run.json()["could_not_run"]
    assert problem["kind"] == "syntax" and problem["line"] == 6
    assert f"{PYTHON_39} cannot parse the file" in problem["message"]
    assert "newer Python" in problem["message"]
    assert_nothing_blamed_in(problem, run.json(), "kind")


def test_error_in_the_files_own_top_level_is_a_bug_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken_top.py", "LIMIT = undefined_name + 1\n")
    run = run_mgdebug(str(path), "--json")
    assert run.code == 3, run.stderr  # a bug, in this file; not the environment
    data = run.json()
    problem = data["could_not_run"]
    assert problem["kind"] == "top-level" and not problem["environment"]
    assert problem["line"] == 1 and "NameError" in problem["message"]
    assert [(s["function"], s["line"]) for s in data["suspects"]] == [("<module>", 1)]
    assert not any(f["blamed"] for f in data["functions"])  # no function is at fault


def test_help_lists_could_not_run_under_exit_status_2() -> None:
    run = run_mgdebug("--help")
    assert run.code == 0
    exit_section = run.stdout.split("exit status:", 1)[1]
    two = exit_section.split("\n  3 ", 1)[0]
    assert "could not run" in two and "missing" in two and "input()" in two


def test_a_test_file_that_cannot_import_its_dependency_is_not_the_functions_bug(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shop.py"
    path.write_text("def double(x):\n    return x * 2\n")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_shop.py").write_text(
        "import mgdebug_absent_plotting_lib\nfrom shop import double\n\n\n"
        "def test_double():\n    assert double(2) == 4\n"
    )
    run = run_mgdebug(str(path), "--json")
    assert run.code == 2, run.stdout + run.stderr
    data = run.json()
    assert "mgdebug_absent_plotting_lib" in data["could_not_run"]["message"]
    assert data["suspects"] == [] and data["fixes"] == []
