"""Expectations from docstrings: doctest examples and examples written in prose."""

from __future__ import annotations

from mgdebug.analysis.expectations import find_expectations

from .helpers import analyze


def _found(source: str, path: str = "/nowhere/mod.py") -> list:
    return find_expectations(analyze(source), path)


def test_every_doctest_example_is_an_expectation_of_one_session() -> None:
    found = _found(
        '''
        def add(a, b):
            """Add.

            >>> x = 5
            >>> add(x, 2)
            7
            >>> add(1,
            ...     2)
            3
            """
            return a + b
        '''
    )
    # The assignment is a test of doctest's too (it fails if it raises), and
    # all three run in one namespace, in order: the docstring is their session.
    assert [(e.id, e.kind, e.function, e.example) for e in found] == [
        ("doctest:L5", "doctest", "add", 0),
        ("doctest:L6", "doctest", "add", 1),
        ("doctest:L8", "doctest", "add", 2),
    ]
    setup, first, second = found
    assert (setup.call, setup.want) == ("x = 5\n", "")
    assert (first.call, first.want) == ("add(x, 2)\n", "7\n")
    assert second.call == "add(1,\n    2)\n"
    assert {e.session for e in found} == {"mod.add"}
    assert first.origin.line == 6 and first.origin.kind == "doctest"
    assert first.description == "add(x, 2) → 7"
    assert setup.description == "x = 5"


def test_doctest_lines_are_right_when_the_docstring_starts_on_its_own_line() -> None:
    found = _found(
        '''
        def f(n):
            """

            >>> f(2)
            4
            """
            return n * 2
        '''
    )
    assert [e.origin.line for e in found] == [5]


def test_prose_examples_in_all_arrow_forms() -> None:
    found = _found(
        '''
        def add(a, b):
            """Add two numbers.

            add(2, 2) == 4
            add(3, 4) ➞ 7
            add(1, 1) -> 2
            add(0, 1) => 1.
            add([1], [2]) returns [1, 2]
            add("a", "b") should return 'ab'
            Example: add(5, 5) = 10
            """
            return a + b
        '''
    )
    assert [(e.call, e.expected) for e in found] == [
        ("add(2, 2)", "4"),
        ("add(3, 4)", "7"),
        ("add(1, 1)", "2"),
        ("add(0, 1)", "1"),
        ("add([1], [2])", "[1, 2]"),
        ('add("a", "b")', "'ab'"),
        ("add(5, 5)", "10"),
    ]
    assert all(e.kind == "eval" and e.origin.kind == "docstring" for e in found)
    assert found[0].id == "docstring:L5"
    assert found[0].description == "add(2, 2) == 4"


def test_prose_with_free_names_or_unknown_functions_is_ignored() -> None:
    found = _found(
        '''
        def add(a, b):
            """add(a, b) -> the sum of a and b.

            max(1, 2) == 2 is not about this module.
            add(1, 2) returns the sum
            """
            return a + b
        '''
    )
    assert found == []


def test_prose_value_stops_where_the_sentence_goes_on() -> None:
    found = _found(
        '''
        def sq(n):
            """square: sq(5) returns 25 because 5 * 5 = 25, and sq(2) -> 4, sq(3) -> 9"""
            return n * n
        '''
    )
    assert [(e.call, e.expected) for e in found] == [
        ("sq(5)", "25"),
        ("sq(2)", "4"),
        ("sq(3)", "9"),
    ]


def test_output_should_be_sentences_map_the_named_param() -> None:
    found = _found(
        '''
        def tri(n):
            """Triangle numbers.

            For n = 3 the output should be 6.
            if n = 4, the output should be 10
            Input: n = 5
            Output: 15
            """
            return n * (n + 1) // 2

        def pair(a, b):
            """Input: b = 2, a = 1  Output: 3"""
            return a + b
        '''
    )
    assert [(e.function, e.call, e.expected) for e in found] == [
        ("tri", "tri(3)", "6"),
        ("tri", "tri(4)", "10"),
        ("tri", "tri(5)", "15"),
        ("pair", "pair(b=2, a=1)", "3"),
    ]


def test_method_docstrings_count_but_nested_function_docstrings_do_not() -> None:
    found = _found(
        '''
        class Stack:
            def size(self):
                """Stack().size() == 0"""
                return 0

        def outer():
            def inner():
                """
                >>> inner()
                1
                """
                return 1
            return inner()
        '''
    )
    assert [(e.function, e.call) for e in found] == [("Stack.size", "Stack().size()")]
