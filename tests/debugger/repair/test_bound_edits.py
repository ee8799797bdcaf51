"""Off-by-one edits in `range`, indices, `len` and slices."""

from __future__ import annotations

from repair_support import candidates, code, sources


def test_range_bounds_move_by_one() -> None:
    source = code(
        """
        def total(n):
            s = 0
            for i in range(1, n):
                s += i
            return s
        """
    )
    found = candidates(source, [3])
    got = sources(found)
    assert source.replace("range(1, n)", "range(1, n + 1)") == found[0].source
    assert source.replace("range(1, n)", "range(1, n - 1)") in got
    assert source.replace("range(1, n)", "range(2, n)") in got
    assert source.replace("range(1, n)", "range(0, n)") in got
    assert source.replace("range(1, n)", "range(n)") in got


def test_single_argument_range_gets_a_start() -> None:
    source = code(
        """
        def f(xs):
            for i in range(len(xs) - 1):
                print(xs[i])
        """
    )
    got = sources(candidates(source, [2]))
    assert source.replace("range(len(xs) - 1)", "range(len(xs))") in got
    assert source.replace("range(len(xs) - 1)", "range(len(xs) - 2)") in got
    assert source.replace("range(len(xs) - 1)", "range(1, len(xs) - 1)") in got


def test_index_and_len_shift() -> None:
    source = code(
        """
        def last(xs, i):
            n = len(xs)
            return xs[i]
        """
    )
    got = sources(candidates(source, [2, 3]))
    assert source.replace("len(xs)", "len(xs) - 1") in got
    assert source.replace("xs[i]", "xs[i - 1]") in got
    assert source.replace("xs[i]", "xs[i + 1]") in got


def test_slice_bounds_and_reversal() -> None:
    source = code(
        """
        def f(s, i, n):
            head = s[:n]
            tail = s[i:]
            back = s[::-1]
            for c in s:
                print(c)
            return head + tail + back
        """
    )
    got = sources(candidates(source, [2, 3, 4, 5]))
    assert source.replace("s[:n]", "s[:n + 1]") in got
    assert source.replace("s[:n]", "s[:n - 1]") in got
    assert source.replace("s[i:]", "s[i + 1:]") in got
    assert source.replace("back = s[::-1]", "back = s") in got
    assert source.replace("for c in s:", "for c in s[::-1]:") in got
