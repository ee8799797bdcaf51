"""One pytest configuration and collection per sandbox grandchild, reused by its candidates.

A `pytest.main` per candidate costs 40-100 ms (configuration, plugin
registration, fixture parsing, collection) for tests that run in a few
milliseconds: it made pytest-tested fix searches slow, and under load, at the
mercy of the wall clock. Here the first untraced run in a grandchild configures
pytest and collects the tests once; each candidate after it rebinds what the
test modules and conftest files imported from the module under test to the
candidate's freshly loaded module and runs the same items again, through
pytest's own per-item protocol (fixtures, skips, xfail, reports).

What a rebinding cannot reach stays bound to the first module: objects made
from it when the test modules were imported (a module-level instance, a
parametrize argument computed from it). So this path is for the fix search
only, whose passing candidates are checked again by a fresh session
(repair/check.py); a traced or single run always uses `pytest.main`.

Uses pytest internals (`_prepareconfig`, `Config._do_configure`,
`Session.from_config`, `SetupState.teardown_exact`), present from pytest 7
on; anything unexpected makes the grandchild fall back to `pytest.main`.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from typing import Any


class Kept:
    """A configured pytest session and its collected items, in this process only."""

    def __init__(self, args: list[str], plugin: object, root: str) -> None:
        from _pytest.config import _prepareconfig
        from _pytest.main import Session

        self.pid = os.getpid()
        self.config = _prepareconfig(args, plugins=[plugin])
        self.config._do_configure()
        self.session = Session.from_config(self.config)
        self.session.exitstatus = 0
        self.config.hook.pytest_sessionstart(session=self.session)
        self.session.perform_collect()
        self.collection_errors = self.session.testsfailed  # later, failed tests add to it
        self.items = list(self.session.items)
        self.root = root + os.sep
        self.modules: list[types.ModuleType] = []  # test modules, conftest files, their helpers
        self.bound: types.ModuleType | None = None  # the module under test they refer to

    @property
    def usable(self) -> bool:
        return os.getpid() == self.pid and not self.collection_errors and bool(self.items)

    def adopt(self, modules: list[types.ModuleType], bound: types.ModuleType) -> None:
        """The modules the first run imported from the project, bound to `bound`."""
        self.modules = [m for m in modules if m is not bound]
        self.bound = bound

    def rebind(self, module: types.ModuleType) -> None:
        """Point the test modules' names at `module` instead of the previous candidate's."""
        old = self.bound
        if old is None or old is module:
            return
        names = {id(value): name for name, value in vars(old).items()}
        holders = list(self.modules)
        # The packages above a module loaded as `pkg.mod` (package_import.py),
        # as the test modules hold them: `pkg.mod.f` and names `pkg` re-exports.
        prefix = old.__name__.rpartition(".")[0]
        for holder in self.modules:
            for value in list(vars(holder).values()):
                above = (
                    isinstance(value, types.ModuleType)
                    and bool(prefix)
                    and (prefix + ".").startswith(value.__name__ + ".")
                )
                if above and value not in holders:
                    holders.append(value)
        for holder in holders:
            space = vars(holder)
            for name, value in list(space.items()):
                if value is old:
                    space[name] = module
                    continue
                attr = names.get(id(value))
                if attr is not None and getattr(old, attr, None) is value:
                    space[name] = getattr(module, attr, value)
        self.bound = module

    def run(self, stopped: Callable[[], bool]) -> None:
        """Run every item once more, as pytest's own test loop does."""
        session = self.session
        _unstop(session)
        session.testsfailed = 0
        items = self.items
        for i, item in enumerate(items):
            nextitem = items[i + 1] if i + 1 < len(items) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if (session.shouldfail or session.shouldstop or stopped()) and nextitem is not None:
                # Stopped early: tear down what the next item would have, so
                # that the next candidate starts from no fixture at all.
                _teardown_all(session)
                return


def _unstop(session: Any) -> None:
    """Clear the previous candidate's -x stop, which pytest 8+ refuses to unset."""
    for name in ("shouldstop", "shouldfail"):
        if isinstance(getattr(type(session), name, None), property):
            setattr(session, "_" + name, False)
        else:  # pragma: no cover - pytest < 8: plain attributes
            setattr(session, name, False)


def _teardown_all(session: Any) -> None:
    state = session._setupstate
    if hasattr(state, "teardown_exact"):
        state.teardown_exact(None)
    else:  # pragma: no cover - pytest < 7
        state.teardown_all()
