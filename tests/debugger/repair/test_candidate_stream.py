"""The candidate stream: validity, dedupe, order, laziness, scope, pairs, known fixes."""

from __future__ import annotations

import ast

import pytest
from repair_support import candidates, code, line_of, position_of

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.repair.candidates import KIND_PRIORS, generate_candidates
from mgdebug.debugger.repair.sites import SiteIndex

SAMPLE = code(
    """
    import math

    LIMIT = 10  # module level: never edited


    class Stats:
        def mean(self, xs):
            if not xs:
                return None
            total = sum(xs)  # running
            return total / len(xs)


    def clamp(x, lo=0, hi=LIMIT):
        result = (min(max(x, lo), hi)
                  + 0)
        return result if lo <= result else lo
    """
)


def test_every_candidate_parses_is_distinct_and_differs_from_the_source() -> None:
    lines = range(1, SAMPLE.count("\n") + 1)
    found = candidates(SAMPLE, list(lines), pairs=True)
    assert len(found) > 50
    assert len({c.source for c in found}) == len(found)
    assert SAMPLE not in {c.source for c in found}
    for candidate in found:
        ast.parse(candidate.source)
        assert candidate.tokens_changed >= 1
        assert candidate.kind in KIND_PRIORS


def test_only_lines_inside_functions_are_edited() -> None:
    module_lines = [line_of(SAMPLE, "import math"), line_of(SAMPLE, "LIMIT = 10")]
    assert candidates(SAMPLE, module_lines) == []
    for candidate in candidates(SAMPLE, list(range(1, 20))):
        assert candidate.function in ("Stats.mean", "clamp")
        assert "LIMIT = 10  # module level" in candidate.source


def test_text_outside_the_edit_is_byte_for_byte_unchanged() -> None:
    for candidate in candidates(SAMPLE, list(range(1, 20))):
        old, new = SAMPLE, candidate.source
        prefix = len(_common_prefix(old, new))
        suffix = _common_prefix(old[::-1], new[::-1])
        changed_old = old[prefix : len(old) - len(suffix)]
        # The edit never reaches beyond one statement (no reformatting elsewhere).
        assert changed_old.count("\n") <= 3, candidate.summary


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def test_site_text_is_exactly_the_node_code() -> None:
    source = SAMPLE + code(
        """
        def tabs(a, b):
        \tif (a and
        \t        (b or a)):
        \t\treturn (a,
        \t\t        b)
        \treturn -(a)
        """
    )
    index = SiteIndex(source, analyze_module(source))
    assert index.sites
    for site in index.sites.values():
        if hasattr(site.node, "lpar"):
            assert index.text(site) == index.code(site.node, site.indent)


def test_order_follows_suspicion_then_kind_priors() -> None:
    lines = [line_of(SAMPLE, "return total"), line_of(SAMPLE, "if not xs")]
    found = candidates(SAMPLE, lines)
    seen_lines = [c.line for c in found]
    first_other = seen_lines.index(lines[1])
    assert set(seen_lines[:first_other]) == {lines[0]}
    assert set(seen_lines[first_other:]) == {lines[1]}
    priors = [KIND_PRIORS[c.kind] for c in found[:first_other]]
    assert priors == sorted(priors, reverse=True)


def test_candidates_are_generated_lazily() -> None:
    source = "def f(x):\n" + "".join(f"    x = x + {i}\n" for i in range(200)) + "    return x\n"
    stream = generate_candidates(source, analyze_module(source), [(2, 1.0)])
    first = next(stream)
    assert first.line == 2


def test_source_with_syntax_error_gives_no_candidates() -> None:
    info = analyze_module("def f():\n    return 1\n")  # what analysis knew before the typo
    broken = "def f(:\n    return 1\n"
    assert list(generate_candidates(broken, info, [(2, 1.0)])) == []


def test_pairs_come_after_all_single_edits_and_combine_two_lines() -> None:
    source = code(
        """
        def f(n):
            total = 0
            for i in range(n):
                total += i * 2
            return total
        """
    )
    found = candidates(source, [3, 4], pairs=True)
    kinds = [c.kind for c in found]
    first_pair = kinds.index("pair")
    assert all(k == "pair" for k in kinds[first_pair:])
    fixed = source.replace("range(n)", "range(n + 1)").replace("+= i * 2", "-= i * 2")
    assert fixed in {c.source for c in found[first_pair:]}
    assert "pair" not in {c.kind for c in candidates(source, [3, 4])}


def test_crlf_and_no_trailing_newline_are_preserved() -> None:
    source = "def f(a, b):\r\n    x = a < b\r\n    return x"
    found = candidates(source, [2, 3])
    assert source.replace("a < b", "a <= b") in {c.source for c in found}
    for candidate in found:
        ast.parse(candidate.source)
        assert "\n" not in candidate.source.replace("\r\n", "")


# QuixBugs-style bugs: (buggy source, suspicious line, fixed source, the rank it must beat).
KNOWN_FIXES = {
    "bitcount": (
        code(
            """
            def bitcount(n):
                count = 0
                while n:
                    n ^= n - 1
                    count += 1
                return count
            """
        ),
        "n ^= n - 1",
        ("n ^= n - 1", "n &= n - 1"),
    ),
    "find_first_in_sorted": (
        code(
            """
            def find_first_in_sorted(arr, x):
                lo = 0
                hi = len(arr)
                while lo <= hi:
                    mid = (lo + hi) // 2
                    if x == arr[mid] and (mid == 0 or x != arr[mid - 1]):
                        return mid
                    elif x <= arr[mid]:
                        hi = mid
                    else:
                        lo = mid + 1
                return -1
            """
        ),
        "while lo <= hi",
        ("while lo <= hi", "while lo < hi"),
    ),
    "gcd": (
        code(
            """
            def gcd(a, b):
                if b == 0:
                    return a
                else:
                    return gcd(a % b, b)
            """
        ),
        "return gcd",
        ("gcd(a % b, b)", "gcd(b, a % b)"),
    ),
    "pascal": (
        code(
            """
            def pascal(n):
                rows = [[1]]
                for r in range(1, n):
                    row = []
                    for c in range(0, r):
                        upleft = rows[r - 1][c - 1] if c > 0 else 0
                        upright = rows[r - 1][c] if c < r else 0
                        row.append(upleft + upright)
                    rows.append(row)
                return rows
            """
        ),
        "for c in range(0, r)",
        ("range(0, r)", "range(0, r + 1)"),
    ),
    "knapsack": (
        code(
            """
            def knapsack(capacity, items):
                from collections import defaultdict
                memo = defaultdict(int)
                for i in range(1, len(items) + 1):
                    weight, value = items[i - 1]
                    for j in range(1, capacity + 1):
                        memo[i, j] = memo[i - 1, j]
                        if weight < j:
                            memo[i, j] = max(memo[i, j], value + memo[i - 1, j - weight])
                return memo[len(items), capacity]
            """
        ),
        "if weight < j",
        ("weight < j", "weight <= j"),
    ),
    "levenshtein": (
        code(
            """
            def levenshtein(source, target):
                if source == '' or target == '':
                    return len(source) or len(target)
                elif source[0] == target[0]:
                    return 1 + levenshtein(source[1:], target[1:])
                else:
                    return 1 + min(
                        levenshtein(source, target[1:]),
                        levenshtein(source[1:], target[1:]),
                        levenshtein(source[1:], target),
                    )
            """
        ),
        "return 1 + levenshtein",
        (
            "return 1 + levenshtein(source[1:], target[1:])",
            "return levenshtein(source[1:], target[1:])",
        ),
    ),
    "sieve": (
        code(
            """
            def sieve(max):
                primes = []
                for n in range(2, max + 1):
                    if any(n % p > 0 for p in primes):
                        primes.append(n)
                return primes
            """
        ),
        "if any(",
        ("if any(", "if all("),
    ),
    "quicksort": (
        code(
            """
            def quicksort(arr):
                if not arr:
                    return []
                pivot = arr[0]
                lesser = quicksort([x for x in arr[1:] if x < pivot])
                greater = quicksort([x for x in arr[1:] if x > pivot])
                return lesser + [pivot] + greater
            """
        ),
        "greater = ",
        ("x > pivot", "x >= pivot"),
    ),
    "hanoi": (
        code(
            """
            def hanoi(height, start=1, end=3):
                steps = []
                if height > 0:
                    helper = ({1, 2, 3} - {start} - {end}).pop()
                    steps.extend(hanoi(height - 1, start, helper))
                    steps.append((start, helper))
                    steps.extend(hanoi(height - 1, helper, end))
                return steps
            """
        ),
        "steps.append",
        ("steps.append((start, helper))", "steps.append((start, end))"),
    ),
}


@pytest.mark.parametrize("name", sorted(KNOWN_FIXES))
def test_known_fix_comes_early_when_its_line_is_the_top_suspect(name: str) -> None:
    source, fragment, (old, new) = KNOWN_FIXES[name]
    fixed = source.replace(old, new)
    assert fixed != source
    suspects = [fragment] + [n for n in range(1, source.count("\n") + 1)]
    found = candidates(source, suspects)
    assert position_of(found, fixed) < 50
