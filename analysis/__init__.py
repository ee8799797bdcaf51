"""Static analysis: reads code, never runs it, never calls a model.

The names below load on first use (PEP 562): the sandbox and the CLI import
`mgdebug.analysis.model` and `pytest_discovery` alone, and must not pay for
tree-sitter and the expectation finders on the way (`mgdebug file.py` starts
its sandbox worker before the analysis is imported, see server/cli.py).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "analyze_module",
    "expectations_from_asserts",
    "find_expectations",
    "missing_expectation_hint",
]

_HOMES = {
    "analyze_module": ".functions",
    "expectations_from_asserts": ".expectations",
    "find_expectations": ".expectations",
    "missing_expectation_hint": ".expectations",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home, __name__), name)
