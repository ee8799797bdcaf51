"""A user's view of doctests: a file in, `mgdebug FILE --json` out, the same verdict as doctest's.

Each test runs the real CLI and, on the same file, `python -m doctest -v` (or
`pytest --doctest-modules` when the project asks for it), and compares them
example by example: the file lines of the failing examples, and how many
examples ran.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from .conftest import run_mgdebug

EXIT_PASS = 0


@dataclass
class Verdict:
    failing: set[int]  # file lines of the examples that failed
    tried: int  # examples run
    failures: int = -1  # how many failed: doctest cannot place those of `__test__` strings

    def __post_init__(self) -> None:
        if self.failures < 0:
            self.failures = len(self.failing)

    def agrees_with(self, doctest_verdict: Verdict) -> bool:
        """Same examples run, same number failing, and every one doctest places is ours."""
        return (
            self.tried == doctest_verdict.tried
            and self.failures == doctest_verdict.failures
            and doctest_verdict.failing <= self.failing
        )


def _mgdebug(path: Path) -> tuple[int, Verdict, dict]:
    run = run_mgdebug(str(path), "--json", "--no-search")
    assert run.code in (0, 1, 3), run.stderr
    data = run.json()
    status = {r["expectation_id"]: r["status"] for r in data["results"]}
    doctests = [e for e in data["expectations"] if e["kind"] == "doctest"]
    failing = {e["origin"]["line"] for e in doctests if status[e["id"]] != "pass"}
    return run.code, Verdict(failing, len(doctests)), data


def _doctest(path: Path) -> Verdict:
    """`python -m doctest -v FILE`: failing lines from its report, the count from its summary."""
    proc = subprocess.run(
        [sys.executable, "-m", "doctest", "-v", str(path)],
        capture_output=True,
        text=True,
        cwd=path.parent,
        timeout=60,
    )
    lines = re.findall(r'^File ".*", line (\d+|\?), in ', proc.stdout, re.M)
    summary = re.search(r"^(\d+) passed and (\d+) failed\.$", proc.stdout, re.M)
    assert summary is not None, proc.stdout + proc.stderr
    tried = int(summary.group(1)) + int(summary.group(2))
    return Verdict({int(n) for n in lines if n != "?"}, tried, len(lines))


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest itself on the same project: the verdict mgdebug must agree with."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=120,
    )


def _write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


STACK = '''
    class Stack:
        """A stack whose examples share one object.

        >>> s = Stack()
        >>> s.push(1)
        >>> s.push(2)
        >>> print("size", s.size())
        size 2
        >>> top = s.pop()
        >>> top
        2
        >>> s.size()
        1
        """

        def __init__(self):
            self.items = []

        def push(self, item):
            self.items.append(item)

        def pop(self):
            return self.items.pop()

        def size(self):
            return len(self.items)
    '''


def test_examples_of_one_docstring_share_their_objects(tmp_path: Path) -> None:
    path = _write(tmp_path, "stack.py", STACK)
    code, ours, _ = _mgdebug(path)
    assert code == EXIT_PASS
    assert ours.agrees_with(_doctest(path))
    assert ours == Verdict(set(), 7)


def test_a_wrong_method_fails_the_examples_doctest_fails(tmp_path: Path) -> None:
    path = _write(tmp_path, "stack.py", STACK.replace("self.items.pop()", "self.items.pop(0)"))
    code, ours, data = _mgdebug(path)
    assert code != EXIT_PASS
    assert ours.agrees_with(_doctest(path))
    assert len(ours.failing) == 1
    # `top = s.pop()` bound what pop returned: showing `top` fails pop.
    failed = {f["name"] for f in data["functions"] if f["status"] == "fail"}
    assert failed == {"Stack.pop"}


def test_failing_module_class_and_test_dict_examples_fail_the_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "shapes.py",
        '''
        """Shapes.

        >>> area(2, 3)
        6
        >>> 2 + 2
        5
        """

        __test__ = {"square": """
        >>> area(3, 3)
        9
        """}


        class Box:
            """
            >>> Box(3).volume()
            27
            """

            def __init__(self, side):
                self.side = side

            def volume(self):
                return area(self.side, self.side) * self.side


        def area(w, h):
            return w + h
        ''',
    )
    code, ours, data = _mgdebug(path)
    assert code != EXIT_PASS
    assert ours.agrees_with(_doctest(path))
    assert ours.failing == {4, 6, 11, 18}
    # Each counts for the function it calls; one that calls none for no function ("").
    failed = {f["name"] for f in data["functions"] if f["status"] == "fail"}
    assert failed == {"area", "Box.volume", ""}


FORMATTED = '''
    def digits():
        """
        >>> digits()
        [0, 1, 2, ...]
        >>> digits()  # doctest: +ELLIPSIS
        [0, 1, 2, ...]
        >>> print(" ".join(map(str, digits())))
        0 1 2 3 4
        5 6 7 8 9
        >>> print(" ".join(map(str, digits())))  # doctest: +NORMALIZE_WHITESPACE
        0 1 2 3 4
        5 6 7 8 9
        """
        return list(range(10))
    '''


def test_no_option_flag_is_on_unless_an_example_asks(tmp_path: Path) -> None:
    path = _write(tmp_path, "digits.py", FORMATTED)
    code, ours, _ = _mgdebug(path)
    assert code != EXIT_PASS
    assert ours.agrees_with(_doctest(path))
    assert ours.failing == {4, 8}  # the two without their directive


def test_a_project_running_doctests_through_pytest_gets_its_option_flags(
    tmp_path: Path,
) -> None:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\naddopts = --doctest-modules\n"
        "doctest_optionflags = ELLIPSIS NORMALIZE_WHITESPACE\n"
    )
    path = _write(tmp_path, "digits.py", FORMATTED)
    code, ours, _ = _mgdebug(path)
    pytest_run = _pytest(tmp_path, path.name)
    assert pytest_run.returncode == 0, pytest_run.stdout
    assert (code, ours.failing) == (EXIT_PASS, set())


EXCEPTIONS = '''
    def parse(text):
        """
        >>> parse("12")
        12
        >>> parse("x")
        Traceback (most recent call last):
          ...
        ValueError: not a number: 'x'
        >>> parse("y")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        ValueError: some other words
        >>> parse("z")
        Traceback (most recent call last):
        TypeError: not a number: 'z'
        >>> parse("w")
        Traceback (most recent call last):
        ValueError: some other words
        """
        if not text.isdigit():
            raise ValueError(f"not a number: {text!r}")
        return int(text)
    '''


def test_expected_exceptions_are_matched_as_doctest_matches_them(tmp_path: Path) -> None:
    path = _write(tmp_path, "parse.py", EXCEPTIONS)
    code, ours, data = _mgdebug(path)
    assert code != EXIT_PASS
    assert ours.agrees_with(_doctest(path))
    assert ours.failing == {13, 16}  # the wrong type, and the other words without the directive
    (parse,) = data["functions"]
    wrong_type = next(f for f in parse["failures"] if f["origin_line"] == 13)
    assert wrong_type["actual"] == "ValueError: not a number: 'z'"
    assert wrong_type["expected"].endswith("TypeError: not a number: 'z'")


def _stdlib_copy(folder: Path, module: str, edit: tuple[str, str] | None = None) -> Path:
    source = Path(__import__(module).__file__).read_text()
    if edit is not None:
        assert edit[0] in source
        source = source.replace(edit[0], edit[1])
    path = folder / f"{module}_copy.py"
    path.write_text(source)
    return path


def test_a_standard_library_module_gets_doctests_verdict(tmp_path: Path) -> None:
    path = _stdlib_copy(tmp_path, "fractions")
    code, ours, _ = _mgdebug(path)
    theirs = _doctest(path)
    assert theirs.failing == set() and theirs.tried > 5
    assert code == EXIT_PASS
    assert ours.agrees_with(theirs)


def test_a_broken_standard_library_module_fails_where_doctest_fails(tmp_path: Path) -> None:
    broken = ("abs(bound2 - self) <= abs(bound1-self)", "abs(bound2 - self) > abs(bound1-self)")
    path = _stdlib_copy(tmp_path, "fractions", broken)
    code, ours, _ = _mgdebug(path)
    theirs = _doctest(path)
    assert theirs.failing
    assert code != EXIT_PASS
    assert ours.agrees_with(theirs)


def test_pytest_default_option_flags_are_ellipsis_only(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --doctest-modules\n")
    path = _write(tmp_path, "digits.py", FORMATTED)
    code, ours, _ = _mgdebug(path)
    pytest_run = _pytest(tmp_path, path.name)
    assert pytest_run.returncode == 1, pytest_run.stdout
    assert "digits.py:8: DocTestFailure" in pytest_run.stdout  # the one pytest reports
    assert code != EXIT_PASS
    assert ours.failing == {8}  # NORMALIZE_WHITESPACE is not on: ELLIPSIS is


UNICODE_REPRS = '''
    def words(text):
        """
        >>> words("a b")
        [u'a', u'b']
        >>> words("c")
        [b'c']
        """
        return text.split()
    '''


def test_pytests_allow_unicode_flag_applies_when_the_project_sets_doctest_flags(
    tmp_path: Path,
) -> None:
    # Flags set without --doctest-modules in addopts: such projects pass it on
    # the command line (tox, CI), as this test does with pytest.
    (tmp_path / "pytest.ini").write_text("[pytest]\ndoctest_optionflags = ALLOW_UNICODE\n")
    path = _write(tmp_path, "words.py", UNICODE_REPRS)
    code, ours, _ = _mgdebug(path)
    pytest_run = _pytest(tmp_path, "--doctest-modules", path.name)
    assert "words.py:6: DocTestFailure" in pytest_run.stdout  # b'c' is not allowed
    assert code != EXIT_PASS
    assert ours.failing == {6}  # u'a' passes, as with pytest
