"""The code under test runs in the user's Python, found as a user expects (issue 8, section 3).

A real second virtual environment, made with Debian's own Python (not
mgdebug's venv, and without mgdebug or pytest in it), holds a package that
mgdebug's own environment lacks. A file importing it must run there when named
with --python, when the venv is active ($VIRTUAL_ENV), or when it is the
file's .venv; and must fail to import without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from user_venv import HAVE_SYSTEM_PYTHON, USER_FILE, make_user_venv

pytestmark = pytest.mark.skipif(not HAVE_SYSTEM_PYTHON, reason="needs /usr/bin/python3")


@pytest.fixture(scope="module")
def user_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_user_venv(tmp_path_factory.mktemp("uservenv") / "env")


@pytest.fixture
def user_file(tmp_path: Path) -> Path:
    path = tmp_path / "herd" / "zoo.py"
    path.parent.mkdir()
    path.write_text(USER_FILE)
    return path


def mgdebug(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("mgdebug")
    base = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "NO_COLOR")}
    return subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**base, **(env or {})},
    )


def doctest_result(report: dict[str, Any]) -> dict[str, Any]:
    (result,) = report["results"]
    return result


def test_mgdebug_lacks_the_users_package() -> None:
    """The premise of the tests below: only the user's venv can import zebra_units."""
    assert subprocess.run([sys.executable, "-c", "import zebra_units"]).returncode != 0


def python_version(python: str) -> str:
    """What the interpreter says of itself, for the report's `interpreter.version`."""
    code = "import platform; print(platform.python_version())"
    return subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()


def test_python_option_runs_the_code_and_its_fixes_in_that_venv(
    user_venv: Path, user_file: Path
) -> None:
    python = str(user_venv / "bin" / "python")
    run = mgdebug(str(user_file), "--python", python, "--json", "--budget", "20")
    report = json.loads(run.stdout)
    assert report["interpreter"] == {
        "path": python,
        "chosen_by": "--python",
        "version": python_version(python),
    }
    result = doctest_result(report)
    assert (result["status"], result["actual"].strip()) == ("fail", "7")  # the import worked
    (function,) = report["functions"]
    assert (function["name"], function["status"]) == ("total_stripes", "fail")
    # Candidates ran in the venv too: the checked fix imports zebra_units as well.
    assert run.returncode == 1, run.stderr
    assert "return stripes(zebras)\n" in report["fixes"][0]["source"]


def test_an_active_virtual_env_is_used(user_venv: Path, user_file: Path) -> None:
    run = mgdebug(str(user_file), "--json", "--no-search", env={"VIRTUAL_ENV": str(user_venv)})
    report = json.loads(run.stdout)
    python = str(user_venv / "bin" / "python")
    assert report["interpreter"] == {
        "path": python,
        "chosen_by": "$VIRTUAL_ENV",
        "version": python_version(python),
    }
    assert doctest_result(report)["actual"].strip() == "7"


def test_a_dot_venv_beside_the_file_is_used(user_venv: Path, user_file: Path) -> None:
    (user_file.parent / ".venv").symlink_to(user_venv, target_is_directory=True)
    run = mgdebug(str(user_file), "--json", "--no-search")
    report = json.loads(run.stdout)
    assert report["interpreter"]["chosen_by"] == ".venv"
    assert report["interpreter"]["path"] == str(user_file.parent / ".venv" / "bin" / "python")
    assert doctest_result(report)["actual"].strip() == "7"


def test_without_the_venv_the_import_fails_in_mgdebugs_python(user_file: Path) -> None:
    run = mgdebug(str(user_file), "--json", "--no-search")
    report = json.loads(run.stdout)
    assert report["interpreter"]["chosen_by"] == "mgdebug's own"
    assert os.path.samefile(report["interpreter"]["path"], sys.executable)
    result = doctest_result(report)
    assert result["status"] != "pass"
    assert "zebra_units" in json.dumps(result)


def test_the_text_report_names_the_interpreter_first(user_venv: Path, user_file: Path) -> None:
    python = str(user_venv / "bin" / "python")
    run = mgdebug(str(user_file), "--python", python, "--no-search", "--no-color")
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert run.stdout.splitlines()[0] == f"using {python} ({version}, from --python)"


def test_pytest_missing_from_the_users_python_is_said_plainly(
    user_venv: Path, user_file: Path
) -> None:
    (user_file.parent / "test_zoo.py").write_text(
        "from zoo import total_stripes\n\n\ndef test_one():\n    assert total_stripes(1) == 2\n"
    )
    python = str(user_venv / "bin" / "python")
    report = json.loads(mgdebug(str(user_file), "--python", python, "--json", "--no-search").stdout)
    messages = [r["message"] for r in report["results"] if "pytest" in r["message"]]
    assert messages == [f"pytest is not installed in {python}; install it there or use --python"]
    # The doctest still ran.
    assert any((r["actual"] or "").strip() == "7" for r in report["results"])


@pytest.mark.parametrize(
    ("python", "message"),
    [
        ("/nonexistent/python", "/nonexistent/python is not a Python interpreter"),
        ("/bin/sh", "/bin/sh is not a Python interpreter"),
    ],
)
def test_a_bad_python_is_a_usage_error(user_file: Path, python: str, message: str) -> None:
    run = mgdebug(str(user_file), "--python", python)
    assert run.returncode == 2
    assert run.stderr.strip() == f"mgdebug: {message}"


def test_shutil_which_finds_a_python_by_name(user_file: Path) -> None:
    """`--python python3` means the one on PATH, as in a shell."""
    run = mgdebug(str(user_file), "--python", "python3", "--json", "--no-search")
    assert json.loads(run.stdout)["interpreter"]["path"] == shutil.which("python3")
