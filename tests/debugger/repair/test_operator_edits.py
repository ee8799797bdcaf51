"""Operator swaps keep the user's formatting and produce the intended trees."""

from __future__ import annotations

import ast

from repair_support import candidates, code, sources

from mgdebug.debugger.repair.candidates import CandidateContext

SEARCH = code(
    """
    def search(items, target):
        lo, hi = 0, len(items) - 1
        while lo <= hi:   # closed interval  (comment kept)
            mid = (lo + hi) // 2
            if items[mid]  <  target:
                lo = mid + 1
            else:
                hi = mid
        return lo
    """
)


def test_comparison_edit_keeps_comments_and_formatting() -> None:
    found = candidates(SEARCH, ["if items[mid]"])
    expected = SEARCH.replace("items[mid]  <  target", "items[mid]  <=  target")
    assert expected in sources(found)
    summary = next(c.summary for c in found if c.source == expected)
    assert summary == "`<` → `<=` on line 5"


def test_while_comparison_fix_is_first_candidate() -> None:
    found = candidates(SEARCH, ["while lo <= hi"])
    assert found[0].source == SEARCH.replace("while lo <= hi:", "while lo < hi:")
    assert found[0].kind == "comparison"
    assert found[0].tokens_changed == 1
    assert found[0].function == "search"


def test_every_comparison_operator_is_offered() -> None:
    found = candidates(SEARCH, ["while lo <= hi"])
    for op in ("<", ">", ">=", "==", "!="):
        assert SEARCH.replace("lo <= hi", f"lo {op} hi") in sources(found)


def test_identity_and_membership_flip() -> None:
    source = code(
        """
        def f(x, seen):
            if x is None or x in seen:
                return 0
            return 1
        """
    )
    found = sources(candidates(source, [2]))
    assert source.replace("x is None", "x is not None") in found
    assert source.replace("x in seen", "x not in seen") in found


def test_arithmetic_swap_parenthesizes_when_precedence_changes() -> None:
    source = code(
        """
        def area(w, h, pad):
            return w * h + pad
        """
    )
    found = sources(candidates(source, [2]))
    # `+` → `*` must not regroup: the tree is (w * h) * pad, written without change of meaning.
    assert source.replace("w * h + pad", "w * h * pad") in found
    # `*` → `-` inside `+`: (w - h) + pad reads the same without parentheses.
    assert source.replace("w * h + pad", "w - h + pad") in found
    # `*` → `+` would read as w + h + pad, which is the same tree; `+` → `**` needs parentheses.
    assert source.replace("w * h + pad", "(w * h) ** pad") in found
    for candidate in found:
        ast.parse(candidate)


def test_subtraction_on_the_right_gets_parentheses() -> None:
    source = code(
        """
        def f(a, b, c):
            return a - b * c
        """
    )
    found = sources(candidates(source, [2]))
    assert source.replace("a - b * c", "a - (b - c)") in found
    assert source.replace("a - b * c", "a - b - c") not in found


def test_boolean_operator_swaps() -> None:
    source = code(
        """
        def ok(a, b):
            return a > 0 and b > 0
        """
    )
    assert source.replace(" and ", " or ") in sources(candidates(source, [2]))


def test_augmented_assignment_swaps_and_becomes_plain_assignment() -> None:
    source = code(
        """
        def bitcount(n):
            count = 0
            while n:
                n ^= n - 1
                count += 1
            return count
        """
    )
    found = sources(candidates(source, ["n ^= n - 1", "count += 1"]))
    assert source.replace("n ^= n - 1", "n &= n - 1") in found
    assert source.replace("count += 1", "count -= 1") in found
    assert source.replace("count += 1", "count = 1") in found


def test_unary_operator_is_dropped() -> None:
    source = code(
        """
        def f(x, flag):
            if not flag:
                return -x
            return x
        """
    )
    found = sources(candidates(source, [2, 3]))
    assert source.replace("if not flag:", "if flag:") in found
    assert source.replace("return -x", "return x") in found


def test_operands_of_non_commutative_operators_are_swapped() -> None:
    source = code(
        """
        def f(a, b):
            return a - b, a / b, a // b, a % b, a ** b
        """
    )
    found = candidates(source, [2])
    swaps = {c.source for c in found if c.kind == "swap-operands"}
    for op in ("-", "/", "//", "%", "**"):
        assert source.replace(f"a {op} b", f"b {op} a") in swaps
    assert not any("b < a" in s or "b == a" in s for s in swaps)


def test_swapped_operands_keep_the_tree() -> None:
    source = code(
        """
        def f(a, b, c):
            return a - b * c, -a ** b
        """
    )
    got = sources(candidates(source, [2]))
    assert source.replace("a - b * c", "b * c - a") in got
    assert source.replace("-a ** b", "-b ** a") in got
    for candidate in got:
        ast.parse(candidate)


def test_concatenation_is_swapped_to_prepend() -> None:
    # QuixBugs to_base: the digits come out least significant first.
    source = code(
        """
        def to_base(num, b):
            result = ''
            alphabet = '0123456789ABCDEF'
            while num > 0:
                i = num % b
                num = num // b
                result = result + alphabet[i]
            return result
        """
    )
    found = candidates(source, ["result = result + alphabet[i]"])
    fixed = source.replace("result + alphabet[i]", "alphabet[i] + result")
    match = next(c for c in found if c.source == fixed)
    assert match.kind == "swap-operands"
    assert match.summary == "`result + alphabet[i]` → `alphabet[i] + result` on line 7"


def test_a_chain_of_concatenations_is_swapped_without_parentheses() -> None:
    source = code(
        """
        def f(lesser, pivot, greater):
            return lesser + [pivot] + greater
        """
    )
    got = sources(candidates(source, [2]))
    assert source.replace("lesser + [pivot] + greater", "greater + lesser + [pivot]") in got
    assert source.replace("lesser + [pivot] + greater", "[pivot] + lesser + greater") in got


def test_addition_of_numbers_is_not_swapped() -> None:
    source = code(
        """
        def f(xs, k):
            n = len(xs)
            return n + k, len(xs) + 1, k + 2.5
        """
    )
    observed = CandidateContext(observed_types={"f": {"k": "int"}})
    found = candidates(source, [3], observed)
    assert not [c for c in found if c.kind == "swap-operands"]
    # Without the trace, `k` could be anything, but `n` is visibly an int.
    assert not any("k + n" in c.source for c in candidates(source, [3]))
