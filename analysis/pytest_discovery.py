"""Find the user's pytest tests of a module, statically, as "pytest" expectations.

Test files are read, never imported: a test counts when it imports the module
(by its file stem) and its body, or a helper or fixture of its file it uses,
names one of the module's functions or classes.

`pytest_rootdir` and `project_root` find, also statically, the folder pytest
itself would root a run of those tests at (its configuration file's folder),
so that the sandbox copies it and runs pytest there, with the project's
conftest.py files, markers and ini options.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .assert_expectations import describe
from .call_targets import ModuleNames, calls_in_order
from .model import Expectation, Origin

# A tests/ tree can be huge; past these, reading more costs more than it finds.
MAX_TEST_FILES = 300
MAX_TEST_FILE_BYTES = 2_000_000
_SKIPPED_FOLDERS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "build"}
_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
# pytest's configuration files in its order of precedence, each with the section
# that makes it count (None: the file counts even when empty), as in
# _pytest/config/findpaths.py (pytest 8-9).
_CONFIG_FILES: tuple[tuple[str, re.Pattern[str] | None], ...] = (
    ("pytest.toml", None),
    (".pytest.toml", None),
    ("pytest.ini", None),
    (".pytest.ini", None),
    ("pyproject.toml", re.compile(r"^\s*\[tool\.pytest(\.ini_options)?\]\s*$", re.M)),
    ("tox.ini", re.compile(r"^\s*\[pytest\]\s*$", re.M)),
    ("setup.cfg", re.compile(r"^\s*\[tool:pytest\]\s*$", re.M)),
)
# How far above the module's folder the copied project root may be: further
# up is more likely a home folder with a stray setup.cfg than a project.
MAX_ROOT_LEVELS = 3


def pytest_files_for(path: str, extra_test_files: Sequence[str] = ()) -> list[Path]:
    """`test_*.py`/`*_test.py` beside `path` and in `tests/` beside it or its parent."""
    module = Path(path).resolve()
    folder = module.parent
    found: list[Path] = [*_pytest_files_in(folder, recursive=False)]
    for tests in (folder / "tests", folder.parent / "tests"):
        if tests.is_dir():
            found += _pytest_files_in(tests, recursive=True)
    found += [Path(extra).resolve() for extra in extra_test_files]
    unique = dict.fromkeys(p for p in found if p != module and p.is_file())
    return list(unique)[:MAX_TEST_FILES]


def _pytest_files_in(folder: Path, *, recursive: bool) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_FOLDERS and recursive)
        for name in sorted(files):
            if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                yield Path(root) / name


def pytest_expectations(
    names: ModuleNames, path: str, extra_test_files: Sequence[str] = ()
) -> list[Expectation]:
    """A "pytest" expectation per test function that uses the module at `path`."""
    stem = Path(path).stem
    found: list[Expectation] = []
    for test_file in pytest_files_for(path, extra_test_files):
        found += _tests_in_file(test_file, stem, names, Path(path).resolve().parent)
    return found


@dataclass
class _Imported:
    """What a test file's imports bind to the module under test."""

    functions: dict[str, str] = field(default_factory=dict)  # local name -> module name
    modules: set[str] = field(default_factory=set)  # dotted local names of the module itself

    def module_name(self, node: ast.expr) -> str | None:
        """The module-level name `node` refers to: `f`, `mod.f` or `pkg.mod.f`."""
        if isinstance(node, ast.Name):
            return self.functions.get(node.id)
        if isinstance(node, ast.Attribute) and _dotted(node.value) in self.modules:
            return node.attr
        return None


def _tests_in_file(
    test_file: Path, stem: str, names: ModuleNames, module_folder: Path
) -> list[Expectation]:
    try:
        if test_file.stat().st_size > MAX_TEST_FILE_BYTES:
            return []
        text = test_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    if stem not in text:
        return []  # cheap: it cannot import the module
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    imported = _imports_of(tree, stem, names)
    if not imported.functions and not imported.modules:
        return []
    helpers = {
        node.name: node
        for node in tree.body
        if isinstance(node, _FUNCTION_DEFS) and not node.name.startswith("test")
    }
    try:
        shown = test_file.relative_to(module_folder).as_posix()
    except ValueError:
        shown = test_file.as_posix()
    # Ids name the file as seen from the module, since two folders may hold test_x.py.
    folder_prefix = shown[: -len(test_file.name)]
    found: list[Expectation] = []
    for nodeid, test in _test_functions(tree, test_file.name):
        referenced = _referenced(test, imported, helpers)
        if not referenced:
            continue
        found.append(
            Expectation(
                id=f"pytest:{folder_prefix}{nodeid}",
                function=_function_of(referenced, test, names),
                kind="pytest",
                origin=Origin(str(test_file), test.lineno, "pytest"),
                description=describe(f"pytest {nodeid}"),
                test_file=str(test_file),
                nodeid=nodeid,
            )
        )
    return found


def _imports_of(tree: ast.Module, stem: str, names: ModuleNames) -> _Imported:
    """Bindings to the module anywhere in the file (imports inside tests count too)."""
    imported = _Imported()
    public = {**{n: n for n in names.functions}, **{n: n for n in names.classes}}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[-1] == stem:
                    imported.modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[-1] == stem:
                for alias in node.names:
                    if alias.name == "*":
                        imported.functions.update(
                            {k: v for k, v in public.items() if not k.startswith("_")}
                        )
                    elif alias.name in public:
                        imported.functions[alias.asname or alias.name] = alias.name
            else:  # `from pkg import mod` / `from . import mod`
                imported.modules |= {
                    alias.asname or alias.name for alias in node.names if alias.name == stem
                }
    return imported


def _test_functions(
    tree: ast.Module, file_name: str
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """pytest's default collection: `test*` functions and `test*` methods of `Test*` classes."""
    for node in tree.body:
        if isinstance(node, _FUNCTION_DEFS) and node.name.startswith("test"):
            yield f"{file_name}::{node.name}", node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            methods = [n for n in node.body if isinstance(n, _FUNCTION_DEFS)]
            if any(m.name == "__init__" for m in methods):
                continue  # pytest does not collect classes with a constructor
            for method in methods:
                if method.name.startswith("test"):
                    yield f"{file_name}::{node.name}::{method.name}", method


def _referenced(
    test: ast.AST, imported: _Imported, helpers: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
) -> list[str]:
    """Module names the test uses, itself or through helpers and fixtures of its file."""
    found = list(_names_in(test, imported))
    used = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
    if isinstance(test, _FUNCTION_DEFS):
        used |= {arg.arg for arg in test.args.args}  # fixtures arrive as parameters
    for name in sorted(used & set(helpers)):
        found += _names_in(helpers[name], imported)
    return list(dict.fromkeys(found))


def _names_in(node: ast.AST, imported: _Imported) -> Iterable[str]:
    nodes = [n for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute))]
    nodes.sort(key=lambda n: (n.lineno, n.col_offset))
    for sub in nodes:
        name = imported.module_name(sub)
        if name is not None:
            yield name


def _function_of(referenced: list[str], test: ast.AST, names: ModuleNames) -> str:
    """The module function the test calls first; for a class, the method it calls."""
    for name in referenced:
        if name in names.functions:
            return names.functions[name]
    for call in calls_in_order(test):
        if isinstance(call.func, ast.Attribute):
            for name in referenced:
                method = names.classes.get(name, {}).get(call.func.attr)
                if method is not None:
                    return method
    classes = [names.classes[n] for n in referenced if n in names.classes]
    return classes[0].get("__init__", "") if classes else ""


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


# -- pytest's rootdir -----------------------------------------------------------


def pytest_config_file(folder: Path) -> Path | None:
    """The file of `folder` pytest would take its configuration from, if any."""
    for name, section in _CONFIG_FILES:
        path = folder / name
        if not path.is_file():
            continue
        if section is None:
            return path
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if section.search(text):
            return path
    return None


def _common_ancestor(paths: Iterable[Path]) -> Path | None:
    folders = [p if p.is_dir() else p.parent for p in paths if p.exists()]
    return Path(os.path.commonpath(folders)) if folders else None


def _located(start: Path) -> Path | None:
    """pytest's `locate_config`: a config file up from `start`, else any pyproject.toml."""
    lineage = (start, *start.parents)
    for folder in lineage:
        if pytest_config_file(folder) is not None:
            return folder
    for folder in lineage:
        if (folder / "pyproject.toml").is_file():
            return folder
    return None


def pytest_rootdir(test_files: Sequence[Path], invocation_dir: Path | None = None) -> Path:
    """The rootdir pytest picks when run as `pytest FILES...` from `invocation_dir`.

    pytest's rules: the nearest configuration file up from the files' common
    ancestor; else the nearest setup.py; else a configuration file up from
    each file; else the common ancestor of the files and the invocation dir.
    """
    ancestor = _common_ancestor(test_files) or invocation_dir or Path.cwd()
    found = _located(ancestor)
    if found is not None:
        return found
    for folder in (ancestor, *ancestor.parents):
        if (folder / "setup.py").is_file():
            return folder
    for path in test_files:
        found = _located(path.parent)
        if found is not None:
            return found
    if invocation_dir is None:
        return ancestor
    return _common_ancestor([invocation_dir, ancestor]) or ancestor


def project_root(module_path: str, test_files: Sequence[Path] | None = None) -> Path:
    """The folder to copy and run pytest in: pytest's rootdir and the module's folder.

    Without tests found for the module, or when that folder is far above the
    module (MAX_ROOT_LEVELS) or is the file system root or the home folder,
    the module's own folder.
    """
    # As given (not resolved): the caller's paths hold the module's folder as given.
    module = Path(os.path.abspath(module_path))
    folder = module.parent
    files = list(test_files) if test_files is not None else pytest_files_for(str(module))
    if not files:
        return folder
    root = pytest_rootdir(files)
    common = _common_ancestor([root, folder]) or folder
    levels = len(folder.parts) - len(common.parts)
    if levels > MAX_ROOT_LEVELS or common == Path(common.anchor) or common == Path.home():
        return folder
    return common
