"""Fixtures of the security battery (battery.py holds the world they make)."""

from collections.abc import Callable
from functools import partial

import pytest
from battery import SETUPS, World, new_world, world_factory

from mgdebug.debugger.options import Limits

__all__ = ["setup_limits", "world_factory", "worlds"]


@pytest.fixture(scope="module", params=list(SETUPS))
def setup_limits(request: pytest.FixtureRequest) -> Limits:
    """Each setup of battery.SETUPS in turn (the test id names it)."""
    return SETUPS[request.param]


@pytest.fixture(scope="module")
def worlds(
    world_factory: list[World], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], World]:
    """A new world for a source, its listeners closed at the module's end."""
    return partial(new_world, world_factory, tmp_path_factory)
