"""Settings for the whole suite: how pytest-xdist shares the tests out (scripts/test.sh).

scripts/test.sh runs `pytest -n auto --dist loadscope`. Plain loadscope sends
each test module whole to one worker, which keeps a module's module-scoped
fixtures (a project of real mgdebug runs with fix searches, a virtual
environment) from being built again in the other worker, but also leaves a
worker alone with a long module at the end. So, refined here: a module that
defines a module-scoped fixture is one unit of work, and every other test is a
unit of its own. (`--dist loadgroup` with `xdist_group` marks would say the
same, but pytest-xdist 3.8 cannot group under pytest 9: it names the group in
`item._nodeid`, which pytest 9 no longer reads.)
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest


@functools.cache
def _shares_module_fixture(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    return 'scope="module"' in text or "scope='module'" in text


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadscope":
        return None  # xdist's own scheduler for the mode asked for
    from xdist.scheduler import LoadScopeScheduling

    root = config.rootpath

    class ModuleFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if _shares_module_fixture(root / module) else nodeid

    return ModuleFixtureScheduling(config, log)
