"""The conformance corpus: real modules not written here, and how to lay them out.

Two sources. Standard-library modules with doctests, copied (never run in place)
from the stdlib of the interpreter that runs the benchmark, one module per
scratch folder so that no copy shadows another's imports. And PyPI sdists that
ship doctests and pytest suites, pinned, downloaded once with `pip download` and
unpacked under the cache; each gets a `.venv` in its root (where mgdebug looks for
a project's interpreter) with pytest, the test requirements and a `.pth` file
putting the project's import root on the path, as `pip install -e .` would.

Whether a project runs its doctests through pytest (so pytest's
`doctest_optionflags`, default ELLIPSIS, apply) is stated per project, with the
evidence, because it is often decided outside the ini file (tox commands).
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

PYTEST = "pytest==9.2.0"
CACHE = Path(os.environ.get("MGDEBUG_BENCH_CACHE", Path.home() / ".cache" / "mgdebug-bench"))

STDLIB_MODULES = (
    # (module, why it is here): chosen by counting DocTestFinder examples; three fail
    # under plain doctest, which mgdebug must report as failing too.
    "fractions",  # 13 examples, all pass
    "statistics",  # 82 examples, floats and exceptions
    "difflib",  # 75 examples, printed multi-line output
    "heapq",  # 2 examples in the module docstring
    "textwrap",  # 2 examples, both fail (whitespace in the expected output)
    "tempfile",  # 2 examples, both fail (they need names that are not defined)
    "ipaddress",  # 3 examples, 2 fail
    "uuid",  # 9 examples, 2 with +SKIP
    "pickletools",  # 134 examples, `__test__` strings
    "zipfile",  # 32 examples, a class's stateful session
    "hashlib",  # 6 examples in the module docstring
    "pydoc",  # 10 examples; the first call fails, and 3 later ones fail with it (one session)
    "pdb",  # 5 examples, 3 fail (a syntax error, a missing sys.last_traceback)
)


@dataclass(frozen=True)
class Target:
    """One module of a project and the test files that exercise it."""

    module: str  # path from the project root
    import_name: str
    test_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
    """A pinned PyPI sdist with doctests and a pytest suite."""

    name: str
    version: str
    import_root: str  # "." or "src": the folder the package is imported from
    doctests_by_pytest: bool  # see the evidence beside each entry
    targets: tuple[Target, ...]
    test_requirements: tuple[str, ...] = (PYTEST,)

    @property
    def folder(self) -> Path:
        return CACHE / "projects" / f"{self.name}-{self.version}"


PROJECTS = (
    Project(
        "toolz",
        "1.0.0",
        ".",
        False,  # no pytest config; doctests by its own tests
        (
            Target("toolz/itertoolz.py", "toolz.itertoolz", ("toolz/tests/test_itertoolz.py",)),
            Target("toolz/dicttoolz.py", "toolz.dicttoolz", ("toolz/tests/test_dicttoolz.py",)),
            Target("toolz/functoolz.py", "toolz.functoolz", ("toolz/tests/test_functoolz.py",)),
        ),
    ),
    Project(
        "more-itertools",
        "10.5.0",
        ".",
        False,  # tox: unittest + DocTestSuite
        (
            Target(
                "more_itertools/recipes.py", "more_itertools.recipes", ("tests/test_recipes.py",)
            ),
        ),
    ),
    Project(
        "boltons",
        "24.1.0",
        ".",
        True,  # tox: pytest --doctest-modules; pytest.ini flags
        (
            Target("boltons/strutils.py", "boltons.strutils", ("tests/test_strutils.py",)),
            Target("boltons/dictutils.py", "boltons.dictutils", ("tests/test_dictutils.py",)),
            Target("boltons/iterutils.py", "boltons.iterutils", ("tests/test_iterutils.py",)),
            # 7 of its examples fail under plain doctest and pass with the pytest.ini flags
            Target("boltons/urlutils.py", "boltons.urlutils", ("tests/test_urlutils.py",)),
        ),
        ("pytest==8.4.2",),
    ),  # its conftest's `path` hook argument is gone in pytest 9
    Project(
        "humanize",
        "4.11.0",
        "src",
        False,  # pyproject's ini (which wins) has no doctests
        (
            Target("src/humanize/number.py", "humanize.number", ("tests/test_number.py",)),
            Target("src/humanize/filesize.py", "humanize.filesize", ("tests/test_filesize.py",)),
        ),
        (PYTEST, "freezegun==1.5.5", "pytest-cov==7.1.0"),
    ),  # its `tests` extra
    Project(
        "tabulate",
        "0.9.0",
        ".",
        True,  # tox: pytest -v --doctest-modules
        (Target("tabulate/__init__.py", "tabulate", ("test/test_internal.py",)),),
    ),
)


@dataclass
class Entry:
    """One module to compare: where it is, how to import it, its tests and flags."""

    name: str  # "stdlib:fractions", "toolz:itertoolz"
    path: Path  # the module file
    root: Path  # project root (cwd of pytest; the folder of a stdlib copy)
    import_root: Path
    import_name: str
    python: Path  # the interpreter that runs the ground truth
    test_files: list[Path] = field(default_factory=list)
    doctest_flags: list[str] = field(default_factory=list)
    doctests_by_pytest: bool = False


def stdlib_entries(names: tuple[str, ...] = STDLIB_MODULES) -> list[Entry]:
    """Fresh copies of stdlib modules, each alone in a scratch folder."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    entries = []
    for name in names:
        folder = CACHE / "stdlib" / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copy2(stdlib / f"{name}.py", folder / f"{name}.py")
        entries.append(
            Entry(
                f"stdlib:{name}", folder / f"{name}.py", folder, folder, name, Path(sys.executable)
            )
        )
    return entries


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr[-800:]}")


def prepare_project(project: Project) -> None:
    """Download, unpack and give a venv to `project`, each step once (cached)."""
    sdists = CACHE / "sdists"
    archive = sdists / f"{project.name}-{project.version}.tar.gz"
    if not archive.exists():
        sdists.mkdir(parents=True, exist_ok=True)
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"{project.name}=={project.version}",
                "-d",
                str(sdists),
            ]
        )
    if not project.folder.exists():
        project.folder.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(project.folder.parent, filter="data")
    venv = project.folder / ".venv"
    python = venv / "bin" / "python"
    stamp = venv / "conformance-requirements.txt"
    wanted = "\n".join(project.test_requirements)
    if not stamp.exists() or stamp.read_text() != wanted:
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(venv)])
        _run([str(python), "-m", "pip", "install", "-q", *project.test_requirements])
        site = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        )
        pth = Path(site.stdout.strip()) / f"conformance-{project.name}.pth"
        pth.write_text(str((project.folder / project.import_root).resolve()) + "\n")
        stamp.write_text(wanted)


def pytest_doctest_flags(root: Path) -> list[str] | None:
    """`doctest_optionflags` of the ini file pytest would pick in `root` (None: not set)."""
    candidates = [
        ("pytest.ini", "pytest"),
        (".pytest.ini", "pytest"),
        ("pyproject.toml", None),
        ("tox.ini", "pytest"),
        ("setup.cfg", "tool:pytest"),
    ]
    for name, section in candidates:
        path = root / name
        if not path.is_file():
            continue
        if section is None:
            table = tomllib.loads(path.read_text()).get("tool", {}).get("pytest", {})
            if "ini_options" not in table:
                continue
            value = table["ini_options"].get("doctest_optionflags")
            return value.split() if isinstance(value, str) else value
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path)
        if parser.has_section(section):
            value = parser.get(section, "doctest_optionflags", fallback=None)
            return value.split() if value is not None else None
        if name in ("pytest.ini", ".pytest.ini"):
            return None
    return None


def project_entries(project: Project) -> list[Entry]:
    prepare_project(project)
    root = project.folder
    flags: list[str] = []
    if project.doctests_by_pytest:
        declared = pytest_doctest_flags(root)
        flags = ["ELLIPSIS"] if declared is None else declared  # pytest's default
    return [
        Entry(
            f"{project.name}:{Path(t.module).stem}",
            root / t.module,
            root,
            root / project.import_root,
            t.import_name,
            root / ".venv" / "bin" / "python",
            [root / f for f in t.test_files],
            flags,
            project.doctests_by_pytest,
        )
        for t in project.targets
    ]
