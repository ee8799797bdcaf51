"""Negated and dropped conditions; constants nudged or swapped."""

from __future__ import annotations

from repair_support import candidates, code, sources

from mgdebug.debugger.repair.candidates import CandidateContext


def test_negating_a_compound_condition_adds_parentheses() -> None:
    source = code(
        """
        def f(a, b):
            if a and b:
                return 1
            while a or b:
                a = b
            return 0
        """
    )
    found = sources(candidates(source, [2, 4]))
    assert source.replace("if a and b:", "if not (a and b):") in found
    assert source.replace("while a or b:", "while not (a or b):") in found


def test_negating_ternary_and_comprehension_conditions() -> None:
    source = code(
        """
        def f(xs, k):
            big = [x for x in xs if x > k]
            return big if big else xs
        """
    )
    found = sources(candidates(source, [2, 3]))
    assert source.replace("if x > k]", "if not x > k]") in found
    assert source.replace("big if big else", "big if not big else") in found


def test_dropping_either_side_of_a_condition() -> None:
    source = code(
        """
        def f(i, xs):
            return i < len(xs) and xs[i] > 0
        """
    )
    found = sources(candidates(source, [2]))
    assert source.replace("i < len(xs) and xs[i] > 0", "i < len(xs)") in found
    assert source.replace("i < len(xs) and xs[i] > 0", "xs[i] > 0") in found


def test_integer_constants_move_by_one_and_to_common_values() -> None:
    source = code(
        """
        def f(n):
            total = 1
            return total * n
        """
    )
    found = sources(candidates(source, [2]))
    for value in ("2", "0", "-1"):
        assert source.replace("total = 1", f"total = {value}") in found


def test_none_and_booleans_swap_with_common_constants() -> None:
    source = code(
        """
        def f(xs):
            found = False
            best = None
            return found, best
        """
    )
    found = sources(candidates(source, [2, 3]))
    assert source.replace("found = False", "found = True") in found
    assert source.replace("best = None", "best = 0") in found


def test_constants_from_the_spec_of_the_same_type_are_tried() -> None:
    source = code(
        """
        def greet(name):
            return 'Hello, ' + name
        """
    )
    context = CandidateContext(constants=["Hi, ", 42])
    found = candidates(source, [2], context)
    assert source.replace("'Hello, '", "'Hi, '") in sources(found)
    assert not any("42" in c.source for c in found)  # an int never replaces a string
