"""Example inputs from type hints alone: each says something about the function."""

from __future__ import annotations

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.generate.inputs import candidate_cases

CLAMP = """\
def clamp(x: float, low: float, high: float) -> float:
    return max(low, min(x, high))


def repeat(text: str, times: int) -> str:
    return text * times
"""


def test_parameters_of_one_type_get_different_values() -> None:
    module = analyze_module(CLAMP, "clamp.py")
    first = candidate_cases(module.functions["clamp"], [])[0]
    assert first.origin == "type hints"
    assert len(set(first.args)) == 3, first.args  # not clamp(2.5, 2.5, 2.5)


def test_each_boundary_changes_one_parameter_of_the_typed_call() -> None:
    module = analyze_module(CLAMP, "clamp.py")
    typed, *boundary = candidate_cases(module.functions["repeat"], [])
    assert boundary and all(
        sum(a != b for a, b in zip(case.args, typed.args, strict=True)) == 1 for case in boundary
    )
