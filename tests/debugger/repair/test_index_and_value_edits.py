"""Shifted indices and arguments, swapped elements, added slices, sibling attributes,
unwrapped calls, different starting collections and prepending `+=`."""

from __future__ import annotations

import ast

from repair_support import candidates, code

from mgdebug.debugger.repair.candidates import CandidateContext
from mgdebug.debugger.repair.mutators.values import MAX_ATTRIBUTES, MAX_COLLECTED_NAMES


def _of_kind(
    source: str, lines: list[int | str], kind: str, context: CandidateContext | None = None
) -> set[str]:
    return {c.source for c in candidates(source, lines, context) if c.kind == kind}


def test_index_shift_reaches_an_element_of_a_tuple_subscript() -> None:
    source = code(
        """
        def common(a, b):
            table = {}
            for i in range(len(a)):
                for j in range(len(b)):
                    table[i, j] = table[i - 1, j] + 1
            return table
        """
    )
    got = _of_kind(source, ["table[i, j] ="], "index-shift")
    assert source.replace("table[i - 1, j] + 1", "table[i - 1, j - 1] + 1") in got
    # `i - 1` already gets `i` and `i - 2` from the off-by-one offset shift.
    assert not any("i - 1 - 1" in s or "i - 1 + 1" in s for s in got)


def test_index_shift_moves_an_integer_argument_of_a_call() -> None:
    source = code(
        """
        def find(arr, x):
            def search(start, end):
                mid = start + (end - start) // 2
                if x > arr[mid]:
                    return search(mid, end)
                return mid
            return search(0, len(arr))
        """
    )
    got = _of_kind(source, ["return search(mid, end)"], "index-shift")
    assert source.replace("search(mid, end)", "search(mid + 1, end)") in got
    assert source.replace("search(mid, end)", "search(mid, end - 1)") in got


def test_index_shift_leaves_sequences_text_and_printed_values_alone() -> None:
    source = code(
        """
        def f(xs, name, k):
            total = xs[0] + len(name)
            print(k)
            return helper(xs, name, k)
        """
    )
    context = CandidateContext(observed_types={"f": {"name": "str"}})
    got = _of_kind(source, ["print(k)", "return helper"], "index-shift", context=context)
    assert got == {
        source.replace("helper(xs, name, k)", "helper(xs, name, k + 1)"),
        source.replace("helper(xs, name, k)", "helper(xs, name, k - 1)"),
    }


def test_elements_of_a_subscript_and_of_short_literals_are_swapped() -> None:
    source = code(
        """
        def paths(d, n, a, b, c):
            d[a, b] = min(d[a, b], d[a, c] + d[b, c])
            return (a, b), [a, b, c]
        """
    )
    got = _of_kind(source, ["d[a, b] =", "return"], "swap-elements")
    assert source.replace("d[b, c])", "d[c, b])") in got
    assert source.replace("(a, b), [", "(b, a), [") in got
    for swapped in ("[b, a, c]", "[c, b, a]", "[a, c, b]"):
        assert source.replace("[a, b, c]", swapped) in got


def test_starred_and_four_element_literals_are_not_swapped() -> None:
    source = code(
        """
        def f(a, b, c, d, rest):
            head = [a, *rest]
            quad = (a, b, c, d)
        """
    )
    assert _of_kind(source, ["head =", "quad ="], "swap-elements") == set()


def test_slice_added_to_a_sequence_passed_on_or_returned() -> None:
    source = code(
        """
        def lcs(a, b):
            if not a or not b:
                return ""
            if a[0] == b[0]:
                return a[0] + lcs(a[1:], b)
            return b
        """
    )
    got = _of_kind(source, ["lcs(a[1:], b)", "return b"], "add-slice")
    assert source.replace("lcs(a[1:], b)", "lcs(a[1:], b[1:])") in got
    assert source.replace("return b\n", "return b[:-1]\n") in got


def test_no_slice_of_an_index_or_a_number_function_argument() -> None:
    source = code(
        """
        def f(xs, i, n):
            y = xs[i]
            return g(i, int(n))
        """
    )
    context = CandidateContext(observed_types={"f": {"n": "int"}})
    got = _of_kind(source, ["return g"], "add-slice", context=context)
    assert got == set()


def test_attribute_replaced_by_a_similar_field_used_in_the_file() -> None:
    source = code(
        """
        import math

        def order(nodes):
            first = [n for n in nodes if not n.incoming_nodes and n.weight < math.pi]
            for node in first:
                for nxt in node.outgoing_nodes:
                    if set(first).issuperset(nxt.outgoing_nodes):
                        first.append(nxt)
            return first
        """
    )
    found = [c for c in candidates(source, ["issuperset"]) if c.kind == "attribute"]
    got = {c.source for c in found}
    fixed = source.replace("issuperset(nxt.outgoing_nodes)", "issuperset(nxt.incoming_nodes)")
    assert found[0].source == fixed  # the near namesake before the unrelated `weight`
    assert source.replace("(nxt.outgoing_nodes)", "(nxt.weight)") in got
    # Methods and a module's attributes are not fields of these objects.
    assert not any("nxt.append" in s or "nxt.pi" in s or "nxt.issuperset" in s for s in got)


def test_attributes_per_site_are_bounded_and_modules_are_not_edited() -> None:
    fields = [f"field_{i}" for i in range(12)]
    body = "".join(f"    total += obj.{name}\n" for name in fields)
    source = f"import math\n\ndef f(obj):\n    total = math.tau\n{body}    return total\n"
    found = _of_kind(source, ["obj.field_0"], "attribute")
    assert 0 < len(found) <= MAX_ATTRIBUTES
    assert _of_kind(source, ["math.tau"], "attribute") == set()


def test_call_replaced_by_one_of_its_arguments() -> None:
    source = code(
        """
        def flatten(arr):
            for x in arr:
                if isinstance(x, list):
                    yield from flatten(x)
                else:
                    yield flatten(x)
        """
    )
    got = _of_kind(source, ["yield flatten(x)", "isinstance"], "unwrap-call")
    assert got == {source.replace("yield flatten(x)", "yield x")}


def test_unwrapped_calls_keep_the_code_valid() -> None:
    source = code(
        """
        def f(m, xs):
            word = m.group(1).upper()
            total = sum(x for x in xs)
            steps = helper(m,
                           xs
                           + 1)
            run(xs)
            return word, total, steps
        """
    )
    got = _of_kind(source, [2, 3, 4, 7], "unwrap-call")
    assert source.replace("m.group(1).upper()", "(1).upper()") in got
    assert source.replace("sum(x for x in xs)", "(x for x in xs)") in got
    for candidate in got:
        ast.parse(candidate)
    # A call made for its effect is not unwrapped: that would be deleting it.
    assert source.replace("run(xs)", "xs") not in got


def test_empty_list_becomes_a_nested_one_or_holds_a_variable() -> None:
    source = code(
        """
        def factors(n):
            if n == 1:
                return []
            for i in range(2, n):
                if n % i == 0:
                    return [i] + factors(n // i)
            return []
        """
    )
    first, last = source.index("return []"), source.rindex("return []")

    def returning(at: int, value: str) -> str:
        return source[:at] + f"return {value}" + source[at + len("return []") :]

    got_first = _of_kind(source, ["    return []"], "collection")
    assert returning(first, "[[]]") in got_first
    assert returning(first, "[n]") in got_first
    # `i` is bound only after the first `return []`, so only the last may return it.
    assert returning(first, "[i]") not in got_first
    assert returning(last, "[i]") in _of_kind(source, [source.count("\n")], "collection")


def test_collection_names_are_bounded() -> None:
    params = ", ".join(f"p{i}" for i in range(10))
    source = f"def f({params}):\n    acc = []\n    return acc\n"
    got = _of_kind(source, ["acc = []"], "collection")
    assert len(got) == 1 + MAX_COLLECTED_NAMES


def test_augmented_concatenation_becomes_a_prepend() -> None:
    source = code(
        """
        def to_base(num, b):
            result = ""
            while num > 0:
                result += str(num % b)
                num //= b
            return result
        """
    )
    got = _of_kind(source, ["result +=", "num //="], "prepend")
    assert got == {source.replace("result += str(num % b)", "result = str(num % b) + result")}


def test_numbers_are_not_prepended() -> None:
    source = code(
        """
        def f(xs):
            total = 0
            for x in xs:
                total += x
            count = 0
            count += 1
            return total + count
        """
    )
    assert _of_kind(source, ["total += x", "count += 1"], "prepend") == set()
