"""Loading the module under test as what it is: `pkg.mod` when it lives in a package.

A module inside a package (folders with `__init__.py`) uses relative imports
and is imported by its package (`from .functoolz import *` in
`toolz/__init__.py`). Executed as a lone top-level file it fails with
"attempted relative import with no known parent package", a verdict neither
doctest nor pytest would give. So the module object is served to the import
system under its dotted name by a finder placed first on `sys.meta_path`:
importing `pkg.mod` imports `pkg` from the scratch copy as Python would, and
when `pkg` imports `.mod` it gets this module, executed from the source being
checked (the traced original or a candidate), not the file on disk.

Runs inside the sandbox child: standard library only, Python 3.9+.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys
import types
from collections.abc import Callable
from typing import Any


def package_name(module_file: str, stop: str = "") -> str | None:
    """`pkg.sub.mod` for a module inside packages, else None (a top-level module).

    Packages are folders with `__init__.py` (under `stop`, when given: the
    name the module has for code that runs from that folder).
    """
    init = _is_init(module_file)
    # A package's own `__init__.py` is the package: `pkg`, not `pkg.__init__`.
    parts = [] if init else [os.path.splitext(os.path.basename(module_file))[0]]
    folder = os.path.dirname(os.path.abspath(module_file))
    while folder.startswith(stop) and os.path.isfile(os.path.join(folder, "__init__.py")):
        name = os.path.basename(folder)
        if not name.isidentifier():
            break
        parts.insert(0, name)
        folder = os.path.dirname(folder)
    if len(parts) < (1 if init else 2) or _taken(parts[0], folder):
        return None
    return ".".join(parts)


def _is_init(module_file: str) -> bool:
    return os.path.basename(module_file) == "__init__.py"


def _taken(top: str, root: str) -> bool:
    """Whether `top` already names another module (the standard library's `doctest`, say).

    Then `import top.mod` could not reach the user's folder anyway: the file
    is loaded as a lone module, as before packages were considered.
    """
    if top in getattr(sys, "stdlib_module_names", ()):
        return True
    module = sys.modules.get(top)
    where = getattr(module, "__file__", None) or ""
    return module is not None and not where.startswith(root + os.sep)


def package_root(module_file: str, dotted: str) -> str:
    """The folder that holds the top package of `dotted` (what goes on sys.path)."""
    folder = os.path.dirname(os.path.abspath(module_file))
    for _ in range(dotted.count(".") + _is_init(module_file)):
        folder = os.path.dirname(folder)
    return folder


class ServeModule(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Gives `module` for the dotted `name`, running `execute(module)` the first time."""

    def __init__(
        self, name: str, module: types.ModuleType, execute: Callable[[types.ModuleType], None]
    ) -> None:
        self.name = name
        self.module = module
        self.execute = execute
        self.executed = False

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        return _spec(fullname, self, self.module)

    def create_module(self, spec: Any) -> types.ModuleType:
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        if not self.executed:
            self.executed = True
            self.execute(module)


def _spec(name: str, loader: Any, module: types.ModuleType) -> Any:
    """The module's spec; a package's says where its submodules are."""
    path = getattr(module, "__path__", None)
    spec = importlib.util.spec_from_loader(
        name, loader, origin=getattr(module, "__file__", None), is_package=path is not None
    )
    if spec is not None and path is not None:
        spec.submodule_search_locations = list(path)
    return spec


def import_as_package_member(
    module: types.ModuleType, dotted: str, execute: Callable[[types.ModuleType], None]
) -> None:
    """Import `module` as `dotted`, its packages first; `execute` runs its code once.

    Exceptions from the module's code or its packages' propagate, as from an import.
    """
    root = package_root(module.__file__ or "", dotted)
    if root not in sys.path:
        sys.path.insert(0, root)
    module.__name__ = dotted
    if _is_init(module.__file__ or ""):  # the package itself: its submodules are found beside it
        module.__path__ = [os.path.dirname(module.__file__ or "")]
        module.__package__ = dotted
    else:
        module.__package__ = dotted.rpartition(".")[0]
    # A previous candidate's module (one grandchild checks a batch of them):
    # forget it, so the import below runs this one and rebinds `pkg.mod`.
    for stale in [f for f in sys.meta_path if isinstance(f, ServeModule) and f.name == dotted]:
        sys.meta_path.remove(stale)
    sys.modules.pop(dotted, None)
    server = ServeModule(dotted, module, execute)
    module.__spec__ = _spec(dotted, server, module)
    sys.meta_path.insert(0, server)
    importlib.import_module(dotted)
    if not server.executed:  # imported before by the package itself, under another object
        server.executed = True
        execute(module)
    sys.modules[dotted] = module
    package, _, name = dotted.rpartition(".")
    parent = sys.modules.get(package)
    if parent is not None:
        setattr(parent, name, module)  # `import pkg.mod` then `pkg.mod.f` reaches this one
