"""What imported names refer to, and which of them live in the user's workspace.

Import statements are read statically; jedi then follows each *called*
imported name to its definition (through re-exports), and only definitions
inside the workspace count. jedi is optional help: any failure of it falls back
to the static dotted name when that module's file exists in the workspace.
"""

from __future__ import annotations

import ast
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from .parsing import ParsedSource

log = logging.getLogger(__name__)

# jedi re-parses the whole file; past this size (or time) the static names must do.
JEDI_MAX_LINES = 20_000
JEDI_TIME_BUDGET = 3.0
_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
_NOT_WORKSPACE = ("site-packages", "dist-packages", ".venv", "venv", ".tox", "node_modules")


@dataclass(frozen=True)
class ImportBinding:
    """A name an import statement binds: `target` is its absolute dotted name."""

    local: str
    target: str
    is_module: bool  # `import pkg.mod as m`: `m.f()` calls `pkg.mod.f`


@dataclass(frozen=True)
class CallSite:
    """Where a call of an imported name is written (1-based line, character column)."""

    line: int
    column: int


def package_of(path: str) -> str:
    """The dotted package holding `path`, from its chain of `__init__.py` folders."""
    parts: list[str] = []
    folder = Path(path).resolve().parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def workspace_root(path: str) -> Path:
    """The nearest folder above `path` that looks like a project, else its import root."""
    start = Path(path).resolve().parent
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in _PROJECT_MARKERS):
            return folder
    package = package_of(path)
    return start.parents[package.count(".")] if package else start


def import_bindings(
    parsed: ParsedSource, statements: list[Node], package: str
) -> dict[str, ImportBinding]:
    """Names bound by the import statements, later bindings winning as at run time."""
    bindings: dict[str, ImportBinding] = {}
    for statement in statements:
        try:
            tree = ast.parse(parsed.text(statement))
        except SyntaxError:
            continue
        for node in tree.body:
            for binding in _bindings(node, package):
                bindings[binding.local] = binding
    return bindings


def _bindings(node: ast.stmt, package: str) -> list[ImportBinding]:
    if isinstance(node, ast.Import):
        # `import a.b` binds only `a`; `import a.b as m` binds the whole path.
        return [
            ImportBinding(alias.asname, alias.name, True)
            if alias.asname
            else ImportBinding(alias.name.split(".")[0], alias.name.split(".")[0], True)
            for alias in node.names
        ]
    if isinstance(node, ast.ImportFrom):
        module = _absolute_module(node.module or "", node.level, package)
        if module is None:
            return []
        return [
            ImportBinding(alias.asname or alias.name, f"{module}.{alias.name}", False)
            for alias in node.names
            if alias.name != "*"
        ]
    return []


def _absolute_module(module: str, level: int, package: str) -> str | None:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None  # a relative import reaching above the top package
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, module] if module else base) or None


def resolve_in_workspace(
    source: str, path: str, calls: dict[str, CallSite], root: Path
) -> dict[str, str]:
    """Map each static dotted name in `calls` to where it is defined, if in `root`.

    Names defined outside the workspace (the standard library, installed
    packages) are left out: they are not the user's subfunctions.
    """
    resolved: dict[str, str] = {}
    by_jedi: dict[str, str | None] = {}
    folder = Path(path).resolve().parent
    # Starting jedi costs a few tenths of a second per run: not for `math.sqrt`.
    asked = {d: site for d, site in calls.items() if not _standard_library(d, root, folder)}
    if asked and source.count("\n") <= JEDI_MAX_LINES:
        by_jedi = _jedi_definitions(source, path, asked, root)
    for dotted in calls:
        if dotted in by_jedi:
            found = by_jedi[dotted]
            if found is not None:
                resolved[dotted] = found
        elif _module_file_exists(dotted, root, folder):
            resolved[dotted] = dotted
    return resolved


def _standard_library(dotted: str, root: Path, folder: Path) -> bool:
    """Whether `dotted` is in a standard-library module that no workspace file shadows.

    jedi could only find its definition outside the workspace, where it does
    not count; a `math.py` or `math/` of the user's beside the file or at the
    root still goes to jedi.
    """
    top = dotted.split(".", 1)[0]
    if top not in sys.stdlib_module_names:
        return False
    return not any(
        os.path.exists(os.path.join(base, top + ".py")) or os.path.isdir(os.path.join(base, top))
        for base in {root, folder}
    )


def _jedi_definitions(
    source: str, path: str, calls: dict[str, CallSite], root: Path
) -> dict[str, str | None]:
    """jedi's verdict per name: a dotted name in the workspace, None outside it.

    Names jedi could not follow are absent, so the caller can fall back.
    """
    verdicts: dict[str, str | None] = {}
    try:
        import jedi

        script = jedi.Script(source, path=path, project=jedi.Project(str(root)))
        deadline = time.monotonic() + JEDI_TIME_BUDGET
        for dotted, site in calls.items():
            if time.monotonic() > deadline:
                break
            names = script.goto(site.line, site.column, follow_imports=True)
            for name in names:
                if name.module_path is None or not name.full_name:
                    continue
                inside = _inside(Path(name.module_path), root)
                verdicts[dotted] = name.full_name if inside else None
                break
    except Exception:  # noqa: BLE001 - jedi must never break analysis
        log.debug("jedi could not resolve imports in %s", path, exc_info=True)
    return verdicts


def _inside(file: Path, root: Path) -> bool:
    try:
        relative = file.resolve().relative_to(root)
    except ValueError:
        return False
    return not any(part in _NOT_WORKSPACE for part in relative.parts)


def _module_file_exists(dotted: str, root: Path, folder: Path) -> bool:
    """Whether some prefix of `dotted` names a module file under `root` or `folder`."""
    parts = dotted.split(".")
    for base in {root, folder}:
        for end in range(len(parts) - 1, 0, -1):
            stem = os.path.join(base, *parts[:end])
            if os.path.isfile(stem + ".py") or os.path.isfile(os.path.join(stem, "__init__.py")):
                return _inside(Path(stem), root) or base == folder
    return False
