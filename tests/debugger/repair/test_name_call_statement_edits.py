"""Variables, calls, arguments, deleted statements and terms, inserted returns."""

from __future__ import annotations

import ast

from repair_support import candidates, code, sources

from mgdebug.debugger.repair.candidates import CandidateContext
from mgdebug.debugger.repair.mutators.names import MAX_REPLACEMENTS


def test_variable_replaced_only_by_same_observed_type() -> None:
    source = code(
        """
        def f(xs, k):
            n = len(xs)
            name = "x"
            return n + k
        """
    )
    context = CandidateContext(
        observed_types={"f": {"xs": "list", "k": "int", "n": "int", "name": "str"}}
    )
    found = [c for c in candidates(source, [4], context) if c.kind == "variable"]
    got = {c.source for c in found}
    assert source.replace("return n + k", "return k + k") in got
    assert source.replace("return n + k", "return n + n") in got
    assert not any("return name" in s or "return xs" in s for s in got)


def test_variable_replacements_are_bounded_per_site() -> None:
    names = [f"v{i}" for i in range(20)]
    body = "".join(f"    {n} = {i}\n" for i, n in enumerate(names))
    source = "def f():\n" + body + "    return v0\n"
    found = [c for c in candidates(source, ["return v0"]) if c.kind == "variable"]
    assert 0 < len(found) <= MAX_REPLACEMENTS


def test_sibling_calls_are_swapped() -> None:
    source = code(
        """
        def f(xs, s):
            s = s.lower().strip()
            xs.append(max(xs))
            return any(x > 0 for x in xs), xs.pop(0)
        """
    )
    got = sources(candidates(source, [2, 3, 4]))
    assert source.replace("s.lower()", "s.upper()") in got
    assert source.replace(".strip()", ".rstrip()") in got
    assert source.replace("max(xs)", "min(xs)") in got
    assert source.replace("xs.append(max(xs))", "xs.extend(max(xs))") in got
    assert source.replace("xs.append(max(xs))", "xs.insert(0, max(xs))") in got
    assert source.replace("any(", "all(") in got
    assert source.replace("xs.pop(0)", "xs.pop()") in got


def test_sort_result_used_becomes_sorted_and_abs_reversed_come_and_go() -> None:
    source = code(
        """
        def f(xs, a, b):
            ys = xs.sort()
            for x in reversed(ys):
                print(x)
            return a - b
        """
    )
    got = sources(candidates(source, [2, 3, 5]))
    assert source.replace("xs.sort()", "sorted(xs)") in got
    assert source.replace("reversed(ys)", "ys") in got
    assert source.replace("return a - b", "return abs(a - b)") in got


def test_swapped_arguments_gcd() -> None:
    source = code(
        """
        def gcd(a, b):
            if b == 0:
                return a
            else:
                return gcd(a % b, b)
        """
    )
    found = candidates(source, ["return gcd"])
    fixed = source.replace("gcd(a % b, b)", "gcd(b, a % b)")
    match = next(c for c in found if c.source == fixed)
    assert match.kind == "swap-args"
    assert match.summary == "`gcd(a % b, b)` → `gcd(b, a % b)` on line 5"


def test_deleting_a_statement_removes_its_whole_line_or_leaves_pass() -> None:
    source = code(
        """
        def f(xs):
            total = 0
            for x in xs:
                total += x  # accumulate
            return total
        """
    )
    found = candidates(source, [4])
    deleted = next(c for c in found if c.kind == "delete-statement")
    # The only statement of the loop: `pass` takes its place, the comment stays.
    assert deleted.source == source.replace("total += x  # accumulate", "pass  # accumulate")
    assert deleted.summary.startswith("replace line 4")
    found = candidates(source, [2])
    deleted = next(c for c in found if c.kind == "delete-statement")
    assert deleted.source == source.replace("    total = 0\n", "")
    assert deleted.summary == "delete line 2 (`total = 0`)"


def test_deleting_a_term_of_a_sum() -> None:
    source = code(
        """
        def f(a, b, c):
            return a + b - c
        """
    )
    got = sources(candidates(source, [2]))
    assert source.replace("a + b - c", "a - c") in got
    assert source.replace("a + b - c", "b - c") in got
    assert source.replace("a + b - c", "a + b") in got


def test_inserting_a_missing_return_after_a_loop_and_before_a_dropped_call() -> None:
    source = code(
        """
        def collect(xs):
            out = []
            for x in xs:
                out.append(x)

        def walk(n):
            if n:
                walk(n - 1)
        """
    )
    found = candidates(source, ["for x in xs", "walk(n - 1)"])
    got = sources(found)
    assert source.replace("out.append(x)\n", "out.append(x)\n    return out\n") in got
    assert source.replace("        walk(n - 1)", "        return walk(n - 1)") in got
    for candidate in found:
        ast.parse(candidate.source)


def test_deleted_term_is_summarized_as_a_deletion() -> None:
    source = code(
        """
        def f(a, b, c):
            return a + b - c
        """
    )
    summaries = {c.source: c.summary for c in candidates(source, [2])}
    assert summaries[source.replace("a + b - c", "a - c")] == "delete `+ b` on line 2"
    assert summaries[source.replace("a + b - c", "a + b")] == "delete `- c` on line 2"
    assert summaries[source.replace("a + b - c", "b - c")] == "delete `a +` on line 2"


def test_deleting_a_term_drops_parentheses_it_no_longer_needs() -> None:
    source = code(
        """
        def mean(values, total, k):
            avg = total / (len(values) + 1)
            low = (total - 1) * k
            return avg, low
        """
    )
    found = candidates(source, [2, 3])
    summaries = {c.source: c.summary for c in found}
    fixed = source.replace("(len(values) + 1)", "len(values)")
    assert summaries[fixed] == "`(len(values) + 1)` → `len(values)` on line 2"
    assert source.replace("(len(values) + 1)", "(len(values))") not in summaries
    # Precedence still needs them: `(total - 1) * k` minus `1` is `total * k`, but
    # minus `total` it is `-1 * k`, and the product minus `k` keeps its parentheses.
    assert source.replace("(total - 1) * k", "total * k") in summaries
    assert source.replace("(total - 1) * k", "(total - 1)") in summaries


def test_deleting_a_term_keeps_parentheses_that_hold_a_line_break() -> None:
    source = code(
        """
        def f(a, b, c):
            x = (a
                 + b
                 + c)
            return x
        """
    )
    found = [c for c in candidates(source, [2]) if c.kind == "delete-term"]
    assert len(found) == 3
    for candidate in found:
        ast.parse(candidate.source)
    assert source.replace("\n         + b", "") in {c.source for c in found}
    assert "delete `+ b` on line 2" in {c.summary for c in found}


def test_dropped_parentheses_do_not_count_as_changed_tokens() -> None:
    source = code(
        """
        def mean(values, total):
            return total / (len(values) + 1)
        """
    )
    found = candidates(source, [2])
    fixed = next(c for c in found if c.source == source.replace("(len(values) + 1)", "len(values)"))
    assert fixed.tokens_changed == 2
    # `len(values) // 1` is the same deletion written worse.
    assert not any("// 1" in c.source or "/ 1)" in c.source for c in found)
