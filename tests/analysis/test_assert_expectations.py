"""Expectations from asserts under `if __name__ == "__main__":` and from given test code."""

from __future__ import annotations

import textwrap

from mgdebug.analysis.expectations import expectations_from_asserts, find_expectations

from .helpers import analyze

MODULE = """\
def add(a, b):
    return a + b


def square(n):
    return n * n


class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def size(self):
        return len(self.items)


def test_add():
    assert add(1, 1) == 2
"""


def _main(body: str) -> list:
    source = (
        MODULE + '\n\nif __name__ == "__main__":\n' + textwrap.indent(textwrap.dedent(body), "    ")
    )
    return find_expectations(analyze(source), "/nowhere/calc.py")


def _main_line(found_line: int) -> int:
    """File line of the `found_line`-th line of the main block body."""
    return MODULE.count("\n") + 3 + found_line


def test_equality_assert_becomes_eval_with_call_and_expected() -> None:
    [found] = _main("assert add(1, 2) == 3\n")
    assert (found.kind, found.function, found.call, found.expected) == (
        "eval",
        "add",
        "add(1, 2)",
        "3",
    )
    assert found.id == f"main:L{_main_line(1)}"
    assert found.origin.kind == "main" and found.origin.line == _main_line(1)
    assert found.description == "add(1, 2) == 3"


def test_reversed_equality_puts_the_module_call_on_the_call_side() -> None:
    [found] = _main("assert 9 == square(3), 'nine'\n")
    assert (found.call, found.expected, found.function) == ("square(3)", "9", "square")


def test_other_asserts_become_exec_with_preceding_statements_as_setup() -> None:
    found = _main(
        """
        s = Stack()
        s.push(1)
        assert s.size() == 1
        assert square(2) > 3
        y = square(5)
        assert y == 25
        """
    )
    assert [(e.kind, e.function) for e in found] == [
        ("eval", "Stack.size"),
        ("exec", "square"),
        ("eval", "square"),
    ]
    assert found[0].setup == "s = Stack()\ns.push(1)"
    assert found[1].code == "assert square(2) > 3"
    assert found[2].setup.endswith("y = square(5)")
    assert (found[2].call, found[2].expected) == ("y", "25")


def test_loops_of_asserts_and_test_function_calls_become_exec() -> None:
    found = _main(
        """
        for i in range(3):
            assert square(i) == i * i
        test_add()
        def check(candidate):
            assert candidate(2, 2) == 4
        check(add)
        print("done")
        """
    )
    assert [(e.kind, e.function, e.code) for e in found] == [
        ("exec", "square", "for i in range(3):\n    assert square(i) == i * i"),
        ("exec", "add", "test_add()"),
        ("exec", "add", "check(add)"),
    ]
    # The helper's definition is setup; calls of test functions are not.
    assert "def check(candidate)" in found[2].setup
    assert "test_add()" not in found[2].setup


def test_reversed_main_guard_and_inline_body_are_found() -> None:
    source = MODULE + "\nif '__main__' == __name__: assert add(2, 2) == 4\n"
    [found] = find_expectations(analyze(source), "/nowhere/calc.py")
    assert found.call == "add(2, 2)"
    assert found.origin.line == MODULE.count("\n") + 2


def test_main_block_is_found_even_when_the_module_has_a_syntax_error() -> None:
    source = 'def f(:\n    pass\n\nif __name__ == "__main__":\n    # note\n    assert f(1) == 2\n'
    [found] = find_expectations(analyze(source), "/nowhere/m.py")
    assert (found.call, found.origin.line, found.function) == ("f(1)", 6, "")


def test_given_asserts_are_read_like_a_main_block() -> None:
    module = analyze(MODULE)
    text = """
        assert add(1, 2) == 3
        x = square(2)
        assert x == 4
    """
    found = expectations_from_asserts(text, module, "visible-tests")
    assert [(e.id, e.kind, e.function, e.origin.path, e.origin.kind) for e in found] == [
        ("given:L2", "eval", "add", "visible-tests", "given"),
        ("given:L4", "eval", "square", "visible-tests", "given"),
    ]
    assert found[1].setup == "x = square(2)"


def test_given_code_with_a_bad_line_keeps_the_good_lines() -> None:
    module = analyze(MODULE)
    found = expectations_from_asserts(
        "assert add(1, 2) == 3\nassert add(1 2) == 3\nassert square(3) == 9\n", module, "t"
    )
    assert [(e.call, e.origin.line) for e in found] == [("add(1, 2)", 1), ("square(3)", 3)]


def test_humaneval_style_check_function_names_the_candidate() -> None:
    module = analyze(MODULE)
    text = """
    def check(candidate):
        assert candidate(1, 2) == 3
        assert candidate(0, 0) == 0

    check(add)
    """
    [found] = expectations_from_asserts(text, module, "t", "given")
    assert (found.kind, found.function, found.code) == ("exec", "add", "check(add)")
    assert found.setup.startswith("def check(candidate):")


def test_setup_survives_a_bad_line_in_given_code() -> None:
    module = analyze(MODULE)
    text = "x = square(3)\nthis line is not python\nassert x == 9\n"
    [found] = expectations_from_asserts(text, module, "t")
    assert (found.setup, found.call, found.origin.line) == ("x = square(3)", "x", 3)
