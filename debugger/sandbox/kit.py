"""The "child kit": the part of mgdebug that runs inside the user's interpreter.

The sandbox worker and its grandchildren run in the project's Python
(interpreter.py), which has neither mgdebug nor its dependencies installed and
may be any Python from 3.9 to 3.13. So the modules they import — found here by
following the imports of sandbox_worker.py, so that a module someone adds to
the child comes along by itself — are copied into a folder of their own, laid
out as the `mgdebug` package (messages name classes by their module, and
both sides must agree), with empty `__init__.py` files: the real
`mgdebug.analysis` package imports tree-sitter, which the child does not have.
Only the standard library may be imported by these modules (tests check it,
and that they are Python 3.9 code).

The folder is named after a hash of its content, shared by every run of the
same mgdebug, under the system temp folder in a parent that only our user can
write to: the worker runs as root on machines like CI's and imports from it.
It must be readable by `nobody`, whom the grandchild may become.

The worker starts as `python KIT/entry.py`: see `worker_command`.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
import threading
import time

__all__ = ["kit_modules", "kit_folder", "worker_command"]

_ROOT_MODULE = "mgdebug.debugger.sandbox.worker"
_OLD_KIT_SECONDS = 24 * 3600
_PREFIX = "mgdebug-sandbox-kit-"  # "mgdebug-sandbox-": skipped by the scratch copy

# The worker's first lines, run by the user's interpreter.
_ENTRY = '''\
"""Start mgdebug's sandbox worker from this kit (written by mgdebug.debugger.sandbox.kit)."""
import sys

# Run as a script, so sys.path[0] is this folder and nothing else is added:
# not the current folder (a project folder named `doctest` would shadow the
# standard library here), not PYTHONPATH tricks. Not `-I`, which would also
# hide PYTHONPATH and the user's site-packages from the code under test.
# The kit's own bytecode is cached here even though the environment says not
# to write any: that is for the user's folders, and the kit is compiled once.
sys.dont_write_bytecode = False
{imports}
sys.dont_write_bytecode = True

from mgdebug.debugger.sandbox.worker import main

main()
'''

_lock = threading.Lock()
_cache: dict[str, str] = {}


_DEBUGGER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where the kit's packages live, in a checkout (editable install) and in site-packages alike.
_PACKAGES = {
    "mgdebug.debugger": _DEBUGGER,
    "mgdebug.analysis": os.path.join(os.path.dirname(_DEBUGGER), "analysis"),
}


def _module_file(name: str) -> str | None:
    """The source file of module `name`, None if it is not a module of the kit's packages.

    Plain path arithmetic rather than importlib.util.find_spec, which imports
    the parents and costs a tenth of a second on every run. Subpackages
    (`mgdebug.debugger.sandbox.worker`) are folders under their package's.
    """
    for package, folder in _PACKAGES.items():
        if name.startswith(package + "."):
            path = os.path.join(folder, *name[len(package) + 1 :].split(".")) + ".py"
            return path if os.path.isfile(path) else None
    return None


def _imports_of(name: str, path: str) -> set[str]:
    """The mgdebug modules `name` imports anywhere in its code (lazy imports included)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    package = name.rpartition(".")[0]
    found: set[str] = set()
    # `if TYPE_CHECKING:` imports are for the type checker only: never run.
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("mgdebug."))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if not module.startswith("mgdebug."):
                continue
            # `from . import execution` names modules; `from .x import y` names things.
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                found.add(candidate if _module_file(candidate) else module)
    for module in found:
        if _module_file(module) is None:
            raise ImportError(f"child kit: {name} imports {module}, which the kit cannot hold")
    return found


def kit_modules() -> dict[str, str]:
    """Module name -> source file of every module the worker and grandchild may import.

    Raises ImportError when one imports a part of mgdebug outside the kit's
    packages (a subpackage, the analysis package's __init__).
    """
    todo = [_ROOT_MODULE]
    found: dict[str, str] = {}
    while todo:
        name = todo.pop()
        if name in found:
            continue
        path = _module_file(name)
        assert path is not None, name
        found[name] = path
        todo.extend(_imports_of(name, found[name]) - found.keys())
    return dict(sorted(found.items()))


def _contents() -> dict[str, bytes]:
    """Relative path in the kit -> bytes, packages' `__init__.py` included (empty)."""
    files: dict[str, bytes] = {}
    names = kit_modules()
    for name, path in names.items():
        parts = name.split(".")
        for depth in range(1, len(parts)):
            files.setdefault(os.path.join(*parts[:depth], "__init__.py"), b"")
        with open(path, "rb") as f:
            files[os.path.join(*parts) + ".py"] = f.read()
    imports = "\n".join(f"import {name}  # noqa: F401" for name in names)
    files["entry.py"] = _ENTRY.format(imports=imports).encode()
    return files


def _private_parent() -> str:
    """A folder under the temp dir that only this user can write to (made if needed)."""
    parent = os.path.join(tempfile.gettempdir(), f"{_PREFIX}{os.geteuid()}")
    with contextlib.suppress(FileExistsError):
        os.mkdir(parent, 0o755)
    info = os.lstat(parent)
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.geteuid()
        or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        # Someone else made it, or it is a link: not ours to trust. A fresh
        # private one costs a copy per process (kit_folder keeps it), nothing else.
        parent = tempfile.mkdtemp(prefix=_PREFIX)
    os.chmod(parent, 0o755)
    return parent


def _write(folder: str, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        target = os.path.join(folder, relative)
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
        os.chmod(target, 0o644)
    for root, dirs, _ in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
    os.chmod(folder, 0o755)


def _source_digest() -> str:
    """A hash of every module of the kit's packages and of this file (which writes entry.py).

    Of all of them, not only the kit's: finding which modules the kit needs
    parses them (tens of milliseconds), and a run should not pay that when
    the kit already exists. A change anywhere there makes a new kit.
    """
    digest = hashlib.sha256()
    for package, folder in sorted(_PACKAGES.items()):
        # Subpackages too: the worker itself lives in debugger/sandbox/.
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                if name.endswith(".py"):
                    relative = os.path.relpath(os.path.join(root, name), folder)
                    with open(os.path.join(root, name), "rb") as f:
                        digest.update(f"{package}/{relative}\0".encode() + f.read() + b"\0")
    return digest.hexdigest()[:20]


def kit_folder() -> str:
    """The kit's folder, made when missing (once per mgdebug version, or if it was removed)."""
    with _lock:
        if "digest" not in _cache:
            _cache["digest"] = _source_digest()
        if "parent" not in _cache or not os.path.isdir(_cache["parent"]):
            _cache["parent"] = _private_parent()
        parent = _cache["parent"]
        folder = os.path.join(parent, _cache["digest"])
        if os.path.isfile(os.path.join(folder, "entry.py")):
            with contextlib.suppress(OSError):  # in use: not old (_forget_old_kits)
                os.utime(folder)
        else:
            _forget_old_kits(parent)
            # Written aside and renamed: a concurrent run sees all of it or none.
            partial = tempfile.mkdtemp(prefix="partial-", dir=parent)
            _write(partial, _contents())
            try:
                os.rename(partial, folder)
            except OSError:  # another run was first: its copy is the same
                _remove(partial)
        return folder


def _forget_old_kits(parent: str) -> None:
    """Kits of other mgdebug versions untouched for a day: no run of theirs is still going."""
    cutoff = time.time() - _OLD_KIT_SECONDS
    for name in os.listdir(parent):
        path = os.path.join(parent, name)
        with contextlib.suppress(OSError):
            if os.lstat(path).st_mtime < cutoff:
                _remove(path)


def _remove(folder: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def worker_command(python: str) -> list[str]:
    """The command that starts a sandbox worker in `python`."""
    return [python, os.path.join(kit_folder(), "entry.py")]
