"""Docstrings with examples from running the function, in the real sandbox."""

from __future__ import annotations

from pathlib import Path

from mgdebug.debugger.generate.docstrings import write_checked_docstring
from mgdebug.debugger.sandbox.pool import Sandbox

from .conftest import asked, python


def test_every_inserted_example_passes_python_doctest(project: Path, sandbox: Sandbox) -> None:
    result = write_checked_docstring(asked(project / "stats.py", sandbox), "clamp")
    assert result.source is not None and result.examples >= 2
    # the calls observed while the main-block asserts ran come first
    assert ">>> clamp(15)\n        10\n" in result.source
    assert ">>> clamp(-3, -1)\n        -1\n" in result.source
    copy = project / "clamp_doc.py"
    copy.write_text(result.source, encoding="utf-8")
    ran = python("-m", "doctest", "-v", copy.name, cwd=project)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"{result.examples} passed and 0 failed" in ran.stdout


def test_exceptions_from_boundary_inputs_are_examples_and_raises(
    project: Path, sandbox: Sandbox
) -> None:
    result = write_checked_docstring(asked(project / "stats.py", sandbox), "mean")
    assert result.source is not None
    assert "    Raises:\n        ZeroDivisionError: For example on ``mean([])``." in result.source
    assert ">>> mean([])\n        Traceback (most recent call last):" in result.source


def test_a_function_failing_its_expectations_gets_no_examples_and_says_why(
    project: Path, sandbox: Sandbox
) -> None:
    result = write_checked_docstring(asked(project / "stats.py", sandbox), "median")
    assert any("`median` fails 1 of its 1 expectation(s)" in m for m in result.messages)
    assert result.source is not None and ">>>" not in result.source  # a docstring, no examples
    assert 'def median(values: list[int]) -> float:\n    """Return the median.' in result.source
