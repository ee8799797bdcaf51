"""Static analysis: reads code, never runs it, never calls a model."""

from .expectations import expectations_from_asserts, find_expectations, missing_expectation_hint
from .functions import analyze_module

__all__ = [
    "analyze_module",
    "expectations_from_asserts",
    "find_expectations",
    "missing_expectation_hint",
]
