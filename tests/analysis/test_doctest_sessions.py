"""Doctest examples found statically exactly where `doctest.DocTestFinder` finds them.

The discovery never imports the module; these tests do (it is their own
file), to hold it against doctest's finder.
"""

from __future__ import annotations

import doctest
import importlib.util
import textwrap
from pathlib import Path

import pytest

from mgdebug.analysis.doctest_config import doctest_config
from mgdebug.analysis.expectations import find_expectations
from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import Expectation

EVERY_KIND_OF_DOCSTRING = '''
"""The module.

>>> double(2)
4
"""
import functools


def double(n):
    """
    >>> double(3)
    6
    """
    def inner():
        """Nested functions are not doctest's business.

        >>> inner()
        'never'
        """
        return "never"
    return n * 2


@functools.lru_cache(maxsize=None)
def cached(n):
    """
    >>> cached(1)
    1
    """
    return n


class Shape:
    """A shape.

    >>> Shape().area()
    0
    """

    def area(self):
        """
        >>> Shape().area()
        0
        """
        return 0

    @staticmethod
    def unit():
        """
        >>> Shape.unit()
        1
        """
        return 1

    @classmethod
    def make(cls):
        """
        >>> Shape.make().area()
        0
        """
        return cls()

    @property
    def sides(self):
        """
        >>> Shape().sides
        0
        """
        return 0

    @sides.setter
    def sides(self, value):
        """A setter's docstring is never read.

        >>> 1 / 0
        """

    class Inner:
        """
        >>> Shape.Inner().name()
        'inner'
        """

        def name(self):
            """
            >>> Shape.Inner().name()
            'inner'
            """
            return "inner"


_named = """
>>> double(1)
2
"""

__test__ = {
    "extra": """
    >>> double(10)
    20
    """,
    "named": _named,
}
'''


ONE_DOCTEST = "def f():\n    '''\n    >>> f()\n    1\n    '''\n    return 1\n"


def _write(tmp_path: Path, source: str, name: str = "shapes.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def _found(path: Path) -> list[Expectation]:
    source = path.read_text()
    return find_expectations(analyze_module(source, str(path)), str(path))


def _doctest_sessions(path: Path) -> dict[str, int]:
    """doctest's own answer: test name -> number of examples, from the imported module."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = doctest.DocTestFinder().find(module)
    return {test.name: len(test.examples) for test in tests if test.examples}


def _sessions(found: list[Expectation]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for exp in found:
        if exp.kind == "doctest" and exp.session is not None:
            counts[exp.session] = counts.get(exp.session, 0) + 1
    return counts


def test_docstrings_are_the_ones_doctest_finder_finds(tmp_path: Path) -> None:
    path = _write(tmp_path, EVERY_KIND_OF_DOCSTRING)
    ours = _sessions(_found(path))
    assert ours == _doctest_sessions(path)
    # Spelled out, so that a change in both cannot pass unnoticed.
    assert set(ours) == {
        "shapes",
        "shapes.double",
        "shapes.cached",
        "shapes.Shape",
        "shapes.Shape.area",
        "shapes.Shape.unit",
        "shapes.Shape.make",
        "shapes.Shape.sides",
        "shapes.Shape.Inner",
        "shapes.Shape.Inner.name",
        "shapes.__test__.extra",
        "shapes.__test__.named",
    }


def test_example_lines_point_at_the_prompt_in_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, EVERY_KIND_OF_DOCSTRING)
    lines = path.read_text().splitlines()
    for exp in _found(path):
        if exp.kind == "doctest":
            assert lines[exp.origin.line - 1].strip().startswith(">>> "), exp


def test_examples_without_output_are_expectations_of_the_same_session(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '''
        class Counter:
            """
            >>> c = Counter()
            >>> c.add(2)
            >>> print(c.total)
            2
            >>> c.total
            2
            """

            def __init__(self):
                self.total = 0

            def add(self, n):
                self.total += n
        ''',
    )
    found = [e for e in _found(path) if e.kind == "doctest"]
    assert [(e.example, e.want, e.function) for e in found] == [
        (0, "", "Counter.__init__"),
        (1, "", "Counter.add"),  # `c` was bound to a Counter by an earlier example
        (2, "2\n", ""),  # print(c.total) calls no function of the module
        (3, "2\n", ""),
    ]
    assert {e.session for e in found} == {"shapes.Counter"}
    assert {e.session_source for e in found} == {Counter_doc(path)}


def Counter_doc(path: Path) -> str:  # noqa: N802 - named after what it returns
    spec = importlib.util.spec_from_file_location("counter_mod", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.Counter.__doc__)


def test_skipped_examples_are_no_expectations(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '''
        def f():
            """
            >>> f()  # doctest: +SKIP
            'whatever'
            >>> f()
            1
            """
            return 1
        ''',
    )
    assert [e.example for e in _found(path)] == [1]


def test_docstring_doctest_cannot_parse_is_one_failing_expectation(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '''
        def f():
            """
                >>> f()
              1
            """
            return 1
        ''',
    )
    (found,) = _found(path)
    assert (found.kind, found.function, found.session) == ("doctest", "f", "shapes.f")
    assert "inconsistent leading whitespace" in found.description


@pytest.mark.parametrize(
    ("name", "text", "flags"),
    [
        ("pytest.ini", "[pytest]\naddopts = --doctest-modules\n", doctest.ELLIPSIS),
        (
            "pytest.ini",
            "[pytest]\naddopts = -q --doctest-modules\n"
            "doctest_optionflags = NORMALIZE_WHITESPACE IGNORE_EXCEPTION_DETAIL\n",
            doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL,
        ),
        ("pytest.ini", "[pytest]\naddopts = -q\n", 0),  # doctests not run by pytest
        (
            "pyproject.toml",
            '[tool.pytest.ini_options]\naddopts = ["--doctest-modules"]\n'
            'doctest_optionflags = ["NORMALIZE_WHITESPACE"]\n',
            doctest.NORMALIZE_WHITESPACE,
        ),
        ("setup.cfg", "[tool:pytest]\naddopts = --doctest-modules\n", doctest.ELLIPSIS),
        ("tox.ini", "[pytest]\naddopts = --doctest-modules\n", doctest.ELLIPSIS),
        ("tox.ini", "[tox]\nenvlist = py311\n", 0),
    ],
)
def test_option_flags_come_from_the_pytest_config_that_runs_doctests(
    tmp_path: Path, name: str, text: str, flags: int
) -> None:
    (tmp_path / name).write_text(text)
    (tmp_path / "pkg").mkdir()
    path = _write(tmp_path / "pkg", ONE_DOCTEST)
    assert doctest_config(str(path)).optionflags == flags
    (found,) = _found(path)
    assert found.optionflags == flags


def test_without_any_config_no_flags_are_on(tmp_path: Path) -> None:
    path = _write(tmp_path, ONE_DOCTEST)
    assert _found(path)[0].optionflags == 0


def test_the_nearest_pytest_config_wins(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --doctest-modules\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "tox.ini").write_text("[pytest]\naddopts = -q\n")
    path = _write(tmp_path / "sub", "x = 1\n")
    assert doctest_config(str(path)).optionflags == 0
    assert doctest_config(str(tmp_path / "other.py")).optionflags == doctest.ELLIPSIS


def test_a_docstring_opening_with_a_line_continuation_points_at_the_examples_real_line(
    tmp_path: Path,
) -> None:
    source = (
        'def parse_host(h):\n    """\\\n    Parse it.\n\n'
        '    >>> parse_host("a")\n    \'a\'\n    """\n    return h\n'
    )
    path = tmp_path / "hosts.py"
    path.write_text(source)
    found = find_expectations(analyze_module(source, str(path)), str(path))
    assert [e.origin.line for e in found] == [5]
    assert source.splitlines()[4].strip() == '>>> parse_host("a")'
    # doctest's own numbering does not count the joined line (it would say 4).
    spec = importlib.util.spec_from_file_location("hosts", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (test,) = [t for t in doctest.DocTestFinder().find(module) if t.examples]
    assert test.lineno + test.examples[0].lineno + 1 == 4
