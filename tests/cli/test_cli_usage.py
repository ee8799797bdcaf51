"""The command line itself: --version, --help, --function that names nothing, and set-up.

How fast --help and --version answer is measured by benchmarks/startup.py, not
here; what is tested is the cause: they do not import the engine.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from .conftest import EXAMPLES, REPO, run_mgdebug

TWO_COUNTS = '''class Apples:
    def count(self):
        """
        >>> Apples().count()
        1
        """
        return 1


class Pears:
    def count(self):
        return 2
'''


def test_version_prints_the_installed_distribution_version() -> None:
    run = run_mgdebug("--version")
    assert run.code == 0
    assert run.stdout.strip() == f"mgdebug {version('mgdebug')}"


def test_help_lists_version_and_function_options() -> None:
    run = run_mgdebug("--help")
    assert run.code == 0
    assert "--version" in run.stdout and "--function NAME" in run.stdout


def test_help_and_version_do_not_import_the_engine() -> None:
    probe = (
        "import sys\n"
        "from mgdebug.server import cli\n"
        "for argv in (['--help'], ['--version']):\n"
        "    try:\n"
        "        cli.main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('tree_sitter', 'libcst', 'jedi', 'doctest', 'pygls',\n"
        "                     'mgdebug.debugger.engine', 'mgdebug.debugger.sandbox.pool')\n"
        "         if m in sys.modules]\n"
        "print('imported:', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().endswith("imported: []"), done.stdout


def test_function_that_matches_nothing_is_a_usage_error_naming_the_functions() -> None:
    run = run_mgdebug(str(EXAMPLES / "stats.py"), "--json", "--function", "median")
    assert run.code == 2
    assert run.stdout == ""  # no report that could be taken for a verdict
    assert "no function named `median`" in run.stderr
    assert "mean, spread, variance" in run.stderr


def test_function_name_shared_by_two_methods_asks_for_the_qualified_name(tmp_path: Path) -> None:
    path = tmp_path / "fruit.py"
    path.write_text(TWO_COUNTS)
    ambiguous = run_mgdebug(str(path), "--function", "count")
    assert ambiguous.code == 2
    assert "Apples.count, Pears.count" in ambiguous.stderr
    qualified = run_mgdebug(str(path), "--json", "--function", "Apples.count")
    assert qualified.code == 0
    assert {e["function"] for e in qualified.json()["expectations"]} == {"Apples.count"}


def test_make_venv_without_ensurepip_says_which_package_to_install(tmp_path: Path) -> None:
    """Debian's python3 without python3-venv: a precise message, and no half-made .venv."""
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "make-venv.sh", checkout / "scripts")
    shadow = tmp_path / "shadow" / "ensurepip"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('as on Debian without python3-venv')\n")
    python = tmp_path / "python3"  # a real Python whose ensurepip is missing
    python.write_text(f'#!/bin/sh\nPYTHONPATH={shadow.parent} exec {sys.executable} "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    done = subprocess.run(
        ["bash", str(checkout / "scripts" / "make-venv.sh")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHON": str(python)},
    )
    assert done.returncode == 1
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert "ensurepip module is missing" in done.stderr
    assert f"apt-get install python{minor}-venv" in done.stderr
    assert not (checkout / ".venv").exists()


def test_a_run_whose_expectations_pass_loads_neither_the_fix_search_nor_jedi(
    tmp_path: Path,
) -> None:
    """The fixed cost of a plain run: libcst (fix search) and jedi load only when needed."""
    path = tmp_path / "geometry.py"
    path.write_text(
        'import math\n\n\ndef hyp(a, b):\n    """\n    >>> hyp(3, 4)\n    5.0\n    """\n'
        "    return math.sqrt(a * a + b * b)\n"
    )
    probe = (
        "import sys\n"
        "from mgdebug.server import cli\n"
        f"status = cli.main([{str(path)!r}, '--json'])\n"
        "print('status', status, [m for m in ('libcst', 'jedi') if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "status 0 []", done.stdout + done.stderr
