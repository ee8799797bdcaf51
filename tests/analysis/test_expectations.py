"""find_expectations as a whole: sources together, unique ids, and the hint for none."""

from __future__ import annotations

from mgdebug.analysis.expectations import find_expectations, missing_expectation_hint

from .helpers import analyze


def test_all_sources_are_combined_with_unique_ids() -> None:
    source = '''
def add(a, b):
    """add(1, 1) == 2 and add(2, 2) == 4

    >>> add(0, 0)
    0
    """
    return a + b


if __name__ == "__main__":
    assert add(1, 2) == 3; assert add(2, 3) == 5
'''
    found = find_expectations(analyze(source), "/nowhere/m.py")
    assert [e.id for e in found] == [
        "docstring:L3",
        "docstring:L3#2",
        "doctest:L5",
        "main:L12",
        "main:L12#2",
    ]
    assert len({e.id for e in found}) == len(found)


def test_module_without_expectations_finds_none() -> None:
    assert find_expectations(analyze("def f(x):\n    return x\n"), "/nowhere/m.py") == []
    assert find_expectations(analyze(""), "/nowhere/m.py") == []


def test_hint_uses_the_real_required_parameter_names() -> None:
    module = analyze(
        """
        def scale(values, factor=2, *, clamp, limit=None):
            return values

        class Stack:
            def push(self, item):
                pass

            @staticmethod
            def empty(size):
                pass

        def outer():
            def inner():
                pass
        """
    )
    hint = missing_expectation_hint(module.functions["scale"])
    assert "`>>> scale(values, clamp=clamp)`" in hint
    assert "assert scale(values, clamp=clamp) == ..." in hint
    assert "\n" not in hint
    assert "`>>> Stack().push(item)`" in missing_expectation_hint(module.functions["Stack.push"])
    assert "`>>> Stack.empty(size)`" in missing_expectation_hint(module.functions["Stack.empty"])
    assert "outer" in missing_expectation_hint(module.functions["outer.inner"])
