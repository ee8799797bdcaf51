"""What the user named, as pytest would take it: the project root and a test selection.

    mgdebug                                  the current folder's project, all its tests
    mgdebug tests/                           the tests under a folder
    mgdebug tests/test_service.py[::test_x]  a test file, or node ids (several allowed)
    mgdebug pkg/util.py                      a module: today's run, plus the project's tests
                                             that cover it (run.project_tests)

The root is pytest's rootdir for those paths (analysis/pytest_discovery.py:
the nearest configuration file, else setup.py, else the common folder), and
the selection is pytest's arguments relative to it, since the tests run from
the root's copy in the sandbox. A `.py` file is a test file when pytest would
collect it: its name matches the project's `python_files` (default
`test_*.py` and `*_test.py`). Everything here is static: nothing is imported or run.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mgdebug.analysis.doctest_config import _find_pytest_config, _words
from mgdebug.analysis.pytest_discovery import pytest_config_file

__all__ = [
    "DEFAULT_TEST_PATTERNS",
    "Target",
    "TargetError",
    "is_test_file",
    "project_of",
    "project_test_files",
    "resolve_target",
    "tests_that_may_reach",
]

DEFAULT_TEST_PATTERNS = ("test_*.py", "*_test.py")
# pytest's default norecursedirs, and tool folders no project keeps tests in.
_NOT_RECURSED = frozenset(
    {"build", "dist", "node_modules", "venv", "CVS", "_darcs", "{arch}", "__pycache__"}
)
MAX_PROJECT_TEST_FILES = 2000
_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


class TargetError(Exception):
    """What the user named cannot be debugged as a project; the message says why."""


@dataclass(frozen=True)
class Target:
    """A project and the tests to run in it.

    `args` are pytest's positional arguments relative to `root` (empty: the
    project's default selection, its `testpaths` or the whole root); `module`
    is the module the user named (`mgdebug pkg/util.py`), else None.
    """

    root: Path
    args: tuple[str, ...] = ()
    module: Path | None = None
    test_patterns: tuple[str, ...] = DEFAULT_TEST_PATTERNS
    testpaths: tuple[str, ...] = ()

    def describe(self) -> str:
        """The selection in words: "all tests", "tests/test_service.py::test_total"."""
        if self.module is not None:
            return f"the tests that cover {self.module.name}"
        return " ".join(self.args) if self.args else "all tests"


def _config(root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The project's (python_files, testpaths) from its pytest configuration."""
    found = _find_pytest_config(str(root))
    if found is None:
        return DEFAULT_TEST_PATTERNS, ()
    _path, options = found
    patterns = tuple(_words(options.get("python_files"))) or DEFAULT_TEST_PATTERNS
    return patterns, tuple(_words(options.get("testpaths")))


def is_test_file(path: Path, patterns: Sequence[str] = DEFAULT_TEST_PATTERNS) -> bool:
    """Whether pytest would collect `path` as a test module (its name matches `python_files`)."""
    return path.suffix == ".py" and any(fnmatch.fnmatch(path.name, p) for p in patterns)


def project_of(path: Path) -> Path | None:
    """The project a file or folder belongs to: pytest's rootdir, if it is a real project.

    None when no folder up from it has a pytest configuration, pyproject.toml,
    setup.py, setup.cfg or .git (a loose script is not a project), or when that
    folder is the home folder or the file system root.
    """
    start = path if path.is_dir() else path.parent
    lineage = (start, *start.parents)
    root = next((f for f in lineage if pytest_config_file(f) is not None), None)
    if root is None:
        root = next((f for f in lineage if any((f / m).exists() for m in _PROJECT_MARKERS)), None)
    if root is None or root == Path.home() or root == Path(root.anchor):
        return None
    return root


def _walk_tests(folder: Path, patterns: Sequence[str]) -> Iterator[Path]:
    return (path for path in _python_files(folder) if is_test_file(path, patterns))


def _python_files(folder: Path) -> Iterator[Path]:
    """`.py` files under `folder`, in order, skipping hidden folders, venvs and caches."""
    for here, dirs, files in os.walk(folder):
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _NOT_RECURSED
            and not (Path(here) / d / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(here) / name


def project_test_files(target: Target) -> list[Path]:
    """The test files of the selection, found as pytest's collection would (statically).

    Node ids count as their file; a folder as the test files under it; no
    argument as `testpaths` (or the whole root).
    """
    if target.args:
        places = [target.root / a.split("::", 1)[0] for a in target.args]
    elif target.testpaths:
        places = [target.root / p for p in target.testpaths]
    else:
        places = [target.root]
    found: dict[Path, None] = {}
    for place in places:
        if place.is_file():
            found[place] = None
        elif place.is_dir():
            for path in _walk_tests(place, target.test_patterns):
                found[path] = None
                if len(found) >= MAX_PROJECT_TEST_FILES:
                    return list(found)
    return list(found)


def _split(arg: str) -> tuple[str, str]:
    file_part, sep, rest = arg.partition("::")
    return file_part, sep + rest


def resolve_target(paths: Sequence[str], cwd: Path | None = None) -> Target:
    """The project and selection `mgdebug PATHS...` means (see the module docstring).

    Raises TargetError for a path that does not exist, a module mixed with
    tests, or a folder that belongs to no project.
    """
    here = Path(cwd or Path.cwd()).resolve()
    given = [(Path(os.path.join(here, f)).resolve(), rest) for f, rest in map(_split, paths)]
    for path, _rest in given:
        if not path.exists():
            raise TargetError(f"no such file or folder: {path}")
    if not given:
        root = project_of(here)
        if root is None:
            raise TargetError(
                f"{here} is not in a project (no pytest configuration, pyproject.toml, "
                "setup.py, setup.cfg or .git up from it): name a file or a tests folder"
            )
        patterns, testpaths = _config(root)
        below = () if here == root else (os.path.relpath(here, root),)
        return Target(root, below, None, patterns, testpaths)
    first = given[0][0]
    root = project_of(first) or (first if first.is_dir() else first.parent)
    patterns, testpaths = _config(root)
    modules = [p for p, rest in given if p.is_file() and not rest and not is_test_file(p, patterns)]
    if modules:
        if len(given) > 1:
            raise TargetError("name one module, or tests (files, folders, node ids): not both")
        return Target(root, (), modules[0], patterns, testpaths)
    args: list[str] = []
    for path, rest in given:
        if root != path and root not in path.parents:
            raise TargetError(f"{path} is outside the project at {root}")
        relative = os.path.relpath(path, root).replace(os.sep, "/")
        args.append(relative + rest if relative != "." else "." + rest)
    return Target(root, tuple(dict.fromkeys(args)), None, patterns, testpaths)


def _importable(module: Path, root: Path) -> bool:
    """Whether tests run from `root` can import `module`: its package chain starts at the
    root (or the root's src/), as `pkg.util` in `root/pkg/util.py`."""
    top = module.parent
    while (top / "__init__.py").is_file() and top != root:
        top = top.parent
    return top in (root, root / "src")


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_PROJECT_SOURCES = 3000


def tests_that_may_reach(module: Path, target: Target) -> list[Path] | None:
    """The test files that may execute `module`, found from the names files mention.

    A test reaches a module only through imports; a file can import it only if
    it mentions the module's name, or that of a module which does (to a fixed
    point). Reading text, never parsing, over-approximates cheaply: a name
    used for something else only adds a test file to the run. None when the
    module cannot be imported by the tests at all (a script beside the
    project's packages) or the project is too large to read.
    """
    if not _importable(module, target.root):
        return None
    sources = []
    for count, path in enumerate(_python_files(target.root)):
        if count >= MAX_PROJECT_SOURCES:
            return None
        sources.append(path)
    words: dict[Path, set[str]] = {}
    for path in sources:
        try:
            words[path] = set(_WORD.findall(path.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            words[path] = set()
    tests = set(project_test_files(target))
    names = {module.stem}
    changed = True
    while changed:
        changed = False
        for path in sources:
            name = path.stem if path.name != "__init__.py" else path.parent.name
            if path in tests or name in names or path.name == "conftest.py":
                continue
            if words[path] & names:
                names.add(name)
                changed = True
    return [t for t in sorted(tests) if t != module and words.get(t, set()) & names]
