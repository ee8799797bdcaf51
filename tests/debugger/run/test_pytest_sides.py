"""`assert 3 == f(x)` names the expected value first: the report must not swap got and expected."""

from __future__ import annotations

import linecache
from types import SimpleNamespace

import pytest

from mgdebug.debugger.run.pytest_session import _expected_on_the_left


def _raised(line: str, name: str) -> AssertionError:
    """The AssertionError `line` raises, from a file linecache can read (as a test file)."""
    filename = f"<test {name}>"
    source = f"def f(w):\n    return w + 's'\n\n{line}\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        exec(compile(source, filename, "exec"), {})
    except AssertionError as exc:
        return exc
    raise AssertionError("the line did not fail")


@pytest.mark.parametrize(
    ("line", "left", "right", "swapped"),
    [
        ('assert "" == f("")', "''", "'s'", True),
        ('assert f("") == ""', "'s'", "''", False),
        ('assert f("a") == f("b")', "'as'", "'bs'", False),
    ],
)
def test_the_literal_side_is_the_expected_one(line, left, right, swapped) -> None:
    exc = _raised(line, str(hash(line)))
    crash = SimpleNamespace(message=f"AssertionError: assert {left} == {right}")
    assert _expected_on_the_left(exc, crash, left, right) is swapped


def test_pytest_s_where_line_decides_when_it_is_there() -> None:
    exc = _raised("assert 33.0 == f('x') and False", "where")
    crash = SimpleNamespace(message="assert 33.0 == 22.0\n +  where 22.0 = bill([10, 20])")
    assert _expected_on_the_left(exc, crash, "33.0", "22.0") is True
