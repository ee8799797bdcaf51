"""The project benchmark's corpus: five pinned PyPI libraries, each cut to a quick suite.

Four sdists are the conformance corpus's, and inflection is fetched the same
way: all are downloaded and unpacked by conformance_corpus.`prepare_project`
(no second downloader here), pinned by version and by the sha256 of the
archive, checked on every run. Each project is restricted to a few test
files and the modules they test, so one run of its suite takes well under a
second and a bug can be judged by the suite quickly.

Bugs are injected into a *working copy* of each project, never into the cached
sdist, which the conformance benchmark reads. The working copy has two venvs:
`.venv` in its root (the project's interpreter, where mgdebug looks for it) and
a FauxPy venv beside the copy, so FauxPy and its dependencies (cosmic-ray,
coverage, ...) never enter mgdebug's or the project's environment. Both put the
copy's import root on the path with a `.pth` file, as `pip install -e .` would.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conformance_corpus import CACHE, PROJECTS, Project, prepare_project  # noqa: E402

FAUXPY = "fauxpy==0.7.0"
WORK = CACHE / "project-bench"
# Left out of a fresh copy: the venv is kept in place; caches would carry one
# bug's runs (pytest's, mgdebug's own) into the next.
_NOT_COPIED = (".venv", "__pycache__", ".pytest_cache", ".mgdebug", ".mgdebug-cache", "*.pyc")


@dataclass(frozen=True)
class BenchProject:
    """A conformance project, pinned by hash, with the modules bugs go in and their tests."""

    project: Project
    sha256: str  # of the sdist archive
    modules: tuple[str, ...]  # paths from the root: where bugs are injected
    tests: tuple[str, ...]  # the restricted suite: test files, from the root
    source_dir: str  # FauxPy's --src: the package folder
    exclude: tuple[str, ...] = ()  # FauxPy's --exclude: test folders inside the package

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def pin(self) -> str:
        return f"{self.project.name}=={self.project.version}"

    @property
    def root(self) -> Path:
        """The working copy's root (bugs go here)."""
        return WORK / self.name / "proj"

    @property
    def python(self) -> Path:
        return self.root / ".venv" / "bin" / "python"

    @property
    def fauxpy_python(self) -> Path:
        return WORK / self.name / "fauxpy-venv" / "bin" / "python"

    @property
    def reports(self) -> Path:
        """Where FauxPy writes its reports: the parent of the folder it runs in."""
        return self.root.parent


def _project(name: str) -> Project:
    return next(p for p in PROJECTS if p.name == name)


# Not a conformance project (no doctests to compare): one module, 455 plain pytest cases.
INFLECTION = Project("inflection", "0.5.1", ".", False, ())

# more-itertools was tried and left out: FauxPy 0.7 stops with an INTERNALERROR
# on its unittest-class suite (sqlite "UNIQUE constraint failed:
# EmptyTest.TestName": it names tests without their class, and the classes share
# method names such as test_basic), so the two tools could not run on the same bugs.
CORPUS = (
    BenchProject(
        _project("toolz"),
        "2c86e3d9a04798ac556793bced838816296a2f085017664e4995cb40a1047a02",
        ("toolz/itertoolz.py", "toolz/dicttoolz.py"),
        ("toolz/tests/test_itertoolz.py", "toolz/tests/test_dicttoolz.py"),
        "toolz",
        ("toolz/tests",),
    ),
    BenchProject(
        _project("boltons"),
        "4a49b7d57ee055b83a458c8682a2a6f199d263a8aa517098bda9bab813554b87",
        ("boltons/strutils.py", "boltons/dictutils.py"),
        ("tests/test_strutils.py", "tests/test_dictutils.py"),
        "boltons",
    ),
    BenchProject(
        _project("humanize"),
        "e66f36020a2d5a974c504bd2555cf770621dbdbb6d82f94a6857c0b1ea2608be",
        ("src/humanize/number.py", "src/humanize/filesize.py"),
        ("tests/test_number.py", "tests/test_filesize.py"),
        "src/humanize",
    ),
    BenchProject(
        _project("tabulate"),
        "0095b12bf5966de529c0feb1fa08671671b3368eec77d7ef7ab114be2c068b3c",
        ("tabulate/__init__.py",),
        ("test/test_internal.py", "test/test_output.py"),
        "tabulate",
    ),
    BenchProject(
        INFLECTION,
        "1a29730d366e996aaacffb2f1f1cb9593dc38e2ddd30c91250c6dde09ea9b417",
        ("inflection/__init__.py",),
        ("test_inflection.py",),
        "inflection",
    ),
)


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr[-800:]}")


def _archive(bench: BenchProject) -> Path:
    return CACHE / "sdists" / f"{bench.project.name}-{bench.project.version}.tar.gz"


def _venv(folder: Path, requirements: tuple[str, ...], import_root: Path) -> None:
    """A venv at `folder` with `requirements` and `import_root` on its path (once)."""
    stamp = folder / "project-bench-requirements.txt"
    wanted = "\n".join((*requirements, str(import_root)))
    if stamp.exists() and stamp.read_text() == wanted:
        return
    shutil.rmtree(folder, ignore_errors=True)
    _run([sys.executable, "-m", "venv", str(folder)])
    python = folder / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", *requirements])
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    (Path(site.stdout.strip()) / "project-bench.pth").write_text(f"{import_root}\n")
    stamp.write_text(wanted)


def prepare(bench: BenchProject) -> None:
    """The pinned sdist (hash checked), a pristine working copy and both venvs."""
    prepare_project(bench.project)
    digest = hashlib.sha256(_archive(bench).read_bytes()).hexdigest()
    if digest != bench.sha256:
        raise RuntimeError(f"{bench.pin}: sdist sha256 {digest} is not the pinned {bench.sha256}")
    fresh_copy(bench)
    import_root = (bench.root / bench.project.import_root).resolve()
    _venv(bench.root / ".venv", bench.project.test_requirements, import_root)
    # boltons pins an older pytest; FauxPy's own pin (any pytest) then keeps it.
    _venv(
        bench.fauxpy_python.parent.parent, (*bench.project.test_requirements, FAUXPY), import_root
    )


def fresh_copy(bench: BenchProject) -> None:
    """Make the working copy the pristine sdist again (its venv stays)."""
    bench.root.mkdir(parents=True, exist_ok=True)
    for child in bench.root.iterdir():
        if child.name == ".venv":
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for child in bench.project.folder.iterdir():
        if child.name == ".venv":
            continue
        target = bench.root / child.name
        if child.is_dir():
            shutil.copytree(child, target, ignore=shutil.ignore_patterns(*_NOT_COPIED))
        else:
            shutil.copy2(child, target)


def pristine(bench: BenchProject, module: str) -> str:
    """A bug module's text as the sdist ships it."""
    return (bench.project.folder / module).read_text()
