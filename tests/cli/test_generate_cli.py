"""`mgdebug doc` and `mgdebug tests` through the installed console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import run_mgdebug

SOURCE = '''"""Tiny."""


def mean(values: list[float]) -> float:
    """Return the mean.

    :param values: the numbers.
    """
    return sum(values) / len(values)


def double(n: int) -> int:
    return n * 2
'''


def test_doc_prints_a_diff_and_write_applies_only_the_docstring(tmp_path: Path) -> None:
    path = tmp_path / "tiny.py"
    path.write_text(SOURCE, encoding="utf-8")
    shown = run_mgdebug("doc", str(path), "--function", "double")
    assert shown.code == 0, shown.stderr
    assert shown.stdout.startswith(f"--- {path}")
    assert '+    """Return the double.' in shown.stdout
    assert ":rtype: int" in shown.stdout  # the file's reST style, not Google's
    assert path.read_text(encoding="utf-8") == SOURCE  # a diff only, without --write
    written = run_mgdebug("doc", str(path), "--function", "double", "--write")
    assert written.code == 0, written.stderr
    after = path.read_text(encoding="utf-8")
    assert after.startswith(SOURCE.split("    return n * 2")[0])  # everything before untouched
    assert after.endswith('    """\n    return n * 2\n')
    ran = subprocess.run(
        [sys.executable, "-m", "doctest", "-v", path.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0 and "0 failed" in ran.stdout, ran.stdout


def test_tests_writes_a_passing_pytest_file_beside_the_module(tmp_path: Path) -> None:
    path = tmp_path / "tiny.py"
    path.write_text(SOURCE, encoding="utf-8")
    made = run_mgdebug(
        "tests", str(path), "--function", "mean", "--out", str(tmp_path / "test_t.py")
    )
    assert made.code == 0, made.stderr
    assert "regression test case(s), all passing under pytest, written to" in made.stdout
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_t.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_doc_naming_no_function_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "tiny.py"
    path.write_text(SOURCE, encoding="utf-8")
    run = run_mgdebug("doc", str(path), "--function", "nope")
    assert run.code == 2
    assert "no function named `nope`" in run.stderr
