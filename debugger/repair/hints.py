"""Hints for the fix search from a run: constants the user wrote, types the trace saw."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from mgdebug.analysis.model import Expectation

from ..results import ExpectationResult
from .context import CandidateContext

_MAX_CONSTANTS = 40


def _literals(code: str) -> list[object]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, int | float | str)
        and not (isinstance(node.value, str) and len(node.value) > 20)
    ]


def expectation_constants(expectations: Sequence[Expectation]) -> list[object]:
    """Literals from the docstring examples and tests, most frequent first."""
    counts: dict[tuple[type, object], int] = {}
    for exp in expectations:
        for text in (exp.setup, exp.call, exp.expected, exp.code):
            for value in _literals(text or ""):
                key = (type(value), value)
                counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts, key=lambda k: -counts[k])
    return [value for _, value in ranked[:_MAX_CONSTANTS]]


_TYPE_PATTERNS = [
    ("bool", re.compile(r"^(True|False)$")),
    ("int", re.compile(r"^-?\d+$")),
    ("float", re.compile(r"^-?(\d+\.\d*|\.\d+|inf|nan)(e-?\d+)?$")),
    ("str", re.compile(r"^'.*'$|^\".*\"$")),
    ("list", re.compile(r"^\[.*\]$")),
    ("tuple", re.compile(r"^\(.*\)$")),
    ("dict", re.compile(r"^\{.*:.*\}$|^\{\}$")),
    ("set", re.compile(r"^\{.*\}$|^set\(\)$")),
    ("None", re.compile(r"^None$")),
]


def type_of_repr(text: str) -> str:
    """A type name guessed from a bounded repr (the trace keeps reprs, not objects)."""
    for name, pattern in _TYPE_PATTERNS:
        if pattern.match(text):
            return name
    return "object"


def observed_types(results: Sequence[ExpectationResult]) -> dict[str, dict[str, str]]:
    types: dict[str, dict[str, str]] = {}
    for result in results:
        if result.trace is None:
            continue
        for snap in result.trace.snapshots:
            seen = types.setdefault(snap.function, {})
            for name, value in snap.values.items():
                seen.setdefault(name, type_of_repr(value))
    return types


def candidate_context(
    expectations: Sequence[Expectation], results: Sequence[ExpectationResult]
) -> CandidateContext:
    return CandidateContext(
        constants=expectation_constants(expectations), observed_types=observed_types(results)
    )
