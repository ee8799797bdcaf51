"""pytest tests near a file, found statically as expectations."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mgdebug.analysis.expectations import find_expectations

from .helpers import analyze

MODULE = """\
def add(a, b):
    return a + b


def square(n):
    return n * n


class Stack:
    def push(self, item):
        pass
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def _pytest_found(module_path: Path, extra: list[str] | None = None) -> list:
    module = analyze(MODULE, str(module_path))
    found = find_expectations(module, str(module_path), extra_test_files=extra or [])
    return [e for e in found if e.kind == "pytest"]


def test_tests_beside_the_file_and_in_tests_folders_are_found(tmp_path: Path) -> None:
    module_path = _write(tmp_path / "proj" / "calc.py", MODULE)
    _write(
        tmp_path / "proj" / "test_calc.py",
        """
        import pytest
        from calc import add

        @pytest.mark.parametrize("a", [1, 2])
        def test_add(a):
            assert add(a, 0) == a

        def test_nothing_from_calc():
            assert 1 == 1
        """,
    )
    _write(
        tmp_path / "proj" / "tests" / "test_more.py",
        """
        import calc

        def test_square():
            assert calc.square(2) == 4
        """,
    )
    _write(
        tmp_path / "tests" / "unit" / "calc_test.py",
        """
        from proj.calc import *

        class TestStack:
            def test_push(self):
                Stack().push(1)
        """,
    )
    found = _pytest_found(module_path)
    assert [(e.id, e.nodeid, e.function) for e in found] == [
        ("pytest:test_calc.py::test_add", "test_calc.py::test_add", "add"),
        ("pytest:tests/test_more.py::test_square", "test_more.py::test_square", "square"),
        (
            f"pytest:{tmp_path / 'tests' / 'unit'}/calc_test.py::TestStack::test_push",
            "calc_test.py::TestStack::test_push",
            "Stack.push",
        ),
    ]
    first = found[0]
    assert first.test_file == str(tmp_path / "proj" / "test_calc.py")
    assert first.origin.line == 6 and first.origin.kind == "pytest"


def test_tests_of_another_module_with_the_same_function_names_do_not_count(
    tmp_path: Path,
) -> None:
    module_path = _write(tmp_path / "calc.py", MODULE)
    _write(
        tmp_path / "test_other.py",
        """
        from other import add

        def test_add():
            assert add(1, 2) == 3
        """,
    )
    assert _pytest_found(module_path) == []


def test_helpers_and_fixtures_of_the_test_file_link_tests_to_functions(tmp_path: Path) -> None:
    module_path = _write(tmp_path / "calc.py", MODULE)
    _write(
        tmp_path / "test_calc.py",
        """
        import pytest
        from calc import square as sq

        @pytest.fixture
        def squared():
            return sq(3)

        def check(n):
            return sq(n)

        def test_with_fixture(squared):
            assert squared == 9

        def test_with_helper():
            assert check(2) == 4
        """,
    )
    found = _pytest_found(module_path)
    assert [(e.nodeid, e.function) for e in found] == [
        ("test_calc.py::test_with_fixture", "square"),
        ("test_calc.py::test_with_helper", "square"),
    ]


def test_extra_test_files_are_searched_too(tmp_path: Path) -> None:
    module_path = _write(tmp_path / "src" / "calc.py", MODULE)
    extra = _write(
        tmp_path / "elsewhere" / "checks.py",
        """
        from calc import add

        def test_add():
            assert add(2, 2) == 4
        """,
    )
    [found] = _pytest_found(module_path, [str(extra)])
    assert (found.nodeid, found.test_file) == ("checks.py::test_add", str(extra))


def test_unparsable_test_files_are_skipped(tmp_path: Path) -> None:
    module_path = _write(tmp_path / "calc.py", MODULE)
    _write(tmp_path / "test_calc.py", "from calc import add\ndef test_add(:\n    add(1, 2)\n")
    assert _pytest_found(module_path) == []
