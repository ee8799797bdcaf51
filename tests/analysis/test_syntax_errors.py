"""Syntax errors: each reported with a precise message and where it is."""

from __future__ import annotations

from mgdebug.analysis import parsing
from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.parsing import parse, syntax_problems


def test_unclosed_bracket_is_reported_at_the_bracket() -> None:
    module = analyze_module("def f(x):\n    return (x +\n\ndef g(y):\n    return y\n")
    [problem] = module.syntax_errors
    assert problem.message == "'(' was never closed"
    assert (problem.line, problem.column) == (2, 11)
    assert list(module.functions) == ["g"]


def test_missing_colon_uses_cpythons_words() -> None:
    [problem] = analyze_module("def f(x)\n    return x\n").syntax_errors
    assert problem.message == "expected ':'"
    assert problem.line == 1


def test_bare_invalid_syntax_names_the_token() -> None:
    [problem] = analyze_module("x = 1 +* 2\n").syntax_errors
    assert problem.message == "invalid syntax near '*'"
    assert (problem.line, problem.column) == (1, 7)


def test_python2_print_that_tree_sitter_accepts_is_still_an_error() -> None:
    [problem] = analyze_module("def f():\n    print 'hi'\n").syntax_errors
    assert "print" in problem.message
    assert problem.line == 2


def test_later_errors_are_reported_too() -> None:
    source = "def f(x):\n    return x ++ (1 2)\n\ndef g(:\n    pass\n"
    problems = analyze_module(source).syntax_errors
    assert [p.line for p in problems] == [2, 4]
    assert problems[1].message == "missing ')'"


def test_tree_sitter_messages_on_large_files_without_cpython(monkeypatch) -> None:
    monkeypatch.setattr(parsing, "CPYTHON_CHECK_MAX_LINES", 0)
    problems = syntax_problems(parse("ok = 1\nfoo(1 2)\nx = [1, 2\n"))
    assert [(p.line, p.message) for p in problems] == [
        (2, "invalid syntax near '2'"),
        (3, "'[' was never closed"),
    ]


def test_error_columns_count_characters_not_bytes() -> None:
    source = "s = 'héllo wörld' + (1 2)\n"
    [problem] = analyze_module(source).syntax_errors
    # 'é' and 'ö' are two bytes each in UTF-8; the column is in characters.
    assert problem.column == source.index("1 2")


def test_binary_garbage_gives_problems_not_an_exception() -> None:
    module = analyze_module("\x00\x01def \x7f(((\n" * 200)
    assert module.syntax_errors
    assert len(module.syntax_errors) <= parsing.MAX_PROBLEMS + 1
