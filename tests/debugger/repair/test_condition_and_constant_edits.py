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


def test_no_constant_edit_makes_an_identity_operation() -> None:
    source = code(
        """
        def f(x, y):
            a = x + 1
            b = x * 2
            c = x - 1
            d = 2 * y / 3
            return a, b, c, d
        """
    )
    found = candidates(source, [2, 3, 4, 5])
    got = sources(found)
    for identity in ("x + 0", "x * 1", "x - 0", "= 1 * y", "x ** 1"):
        assert not any(identity in s for s in got), identity
    # The simpler form of each identity is there, as a deleted term or factor.
    for old, new in (("x + 1", "x"), ("x * 2", "x"), ("x - 1", "x"), ("2 * y / 3", "2 * y")):
        assert source.replace(f"= {old}\n", f"= {new}\n") in got
    # `x + -1` is the arithmetic swap's `x - 1` written worse.
    assert not any("+ -1" in s or "- -1" in s for s in got)
    assert source.replace("x + 1", "x - 1") in got


def test_an_edit_next_to_a_keyword_keeps_a_space_between_them() -> None:
    source = code(
        """
        def f(x):
            if(x > 0):
                return(x + 1)
            return x
        """
    )
    got = sources(candidates(source, [2, 3]))
    assert source.replace("if(x > 0)", "if not (x > 0)") in got
    assert source.replace("return(x + 1)", "return x") in got
