"""A model's answer becomes an edit of only the functions it changed."""

from __future__ import annotations

import ast

import pytest

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.llm.answers import AnswerError
from mgdebug.debugger.llm.splice import hunks, splice_functions, subsets_smallest_first
from mgdebug.debugger.repair.edits import apply_changes

ORIGINAL = '''"""Shop maths."""
import functools

TAX = 0.2  # keep this comment


@functools.cache
def total(xs):
    """Sum of `xs`.

    >>> total([1, 2, 3])
    6
    """
    result = 0
    for x in xs[1:]:   # odd spacing the user likes
        result += x
    return result


class Basket:
    def price(self, xs):
        return total(xs) * (1 + TAX)
'''


def splice(answer: str) -> tuple[str, tuple[str, ...]]:
    result = splice_functions(ORIGINAL, analyze_module(ORIGINAL, "shop.py"), answer)
    assert apply_changes(ORIGINAL, result.changes) == result.source
    return result.source, result.functions


def test_only_the_changed_function_is_replaced_and_the_docstring_kept() -> None:
    answer = (
        "import functools\n\nTAX = 0.3\n\n"
        "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n"
        "    return result\n\n"
        "class Basket:\n    def price(self, xs):\n        return total(xs) * (1 + TAX)\n"
    )
    source, functions = splice(answer)
    assert functions == ("total",)
    assert "for x in xs:\n" in source and "xs[1:]" not in source
    assert ">>> total([1, 2, 3])" in source  # the user's docstring survived the model's
    assert "TAX = 0.2  # keep this comment" in source  # not a function: never touched
    assert "@functools.cache\ndef total(xs):" in source
    assert source.endswith("        return total(xs) * (1 + TAX)\n")


def test_a_method_answered_alone_keeps_its_class_indentation() -> None:
    answer = "def price(self, xs):\n    return total(xs) * TAX\n"
    with pytest.raises(AnswerError, match="changes no function"):
        splice(answer)  # a bare `price` is not `Basket.price`
    source, functions = splice(
        "class Basket:\n    def price(self, xs):\n        return total(xs) * TAX\n"
    )
    assert functions == ("Basket.price",)
    assert "    def price(self, xs):\n        return total(xs) * TAX\n" in source
    ast.parse(source)


def test_a_new_import_the_fix_needs_is_added_after_the_imports() -> None:
    answer = "import math\n\ndef total(xs):\n    return math.fsum(xs)\n"
    source, _ = splice(answer)
    assert source.startswith('"""Shop maths."""\nimport functools\nimport math\n')
    assert "    return math.fsum(xs)\n" in source


def test_an_answer_that_only_rewords_the_docstring_changes_nothing() -> None:
    answer = (
        'def total(xs):\n    """Adds things."""\n    result = 0\n'
        "    for x in xs[1:]:\n        result += x\n    return result\n"
    )
    with pytest.raises(AnswerError, match="changes no function"):
        splice(answer)


def test_hunks_and_their_subsets_rebuild_the_change() -> None:
    old = "a = 1\nb = 2\nc = 3\nd = 4\n"
    new = "a = 1\nb = 20\nc = 3\nd = 40\n"
    found = hunks(old, new)
    assert len(found) == 2
    assert apply_changes(old, found) == new
    assert apply_changes(old, [found[0]]) == "a = 1\nb = 20\nc = 3\nd = 4\n"
    assert list(subsets_smallest_first(2)) == [(0,), (1,), (0, 1)]
    assert list(subsets_smallest_first(5, limit=3))[-1] == (0, 1, 2, 3, 4)


MAIN_BLOCK = """def count_runs(xs):
    return len(list(groupby(xs)))


def clamp(x):
    return min(x, LIMIT)


if __name__ == "__main__":
    assert count_runs([1, 1, 2]) == 2
"""


def test_an_import_alone_is_a_fix_and_lands_with_the_imports() -> None:
    module = analyze_module(MAIN_BLOCK, "runs.py")
    result = splice_functions(MAIN_BLOCK, module, "from itertools import groupby\n")
    assert result.source.startswith("from itertools import groupby\n")
    ast.parse(result.source)


def test_a_new_helper_and_constant_come_before_the_main_block() -> None:
    answer = """LIMIT = 3000


def _cap():
    return LIMIT


def clamp(x):
    return min(x, _cap())
"""
    module = analyze_module(MAIN_BLOCK, "runs.py")
    result = splice_functions(MAIN_BLOCK, module, answer)
    tree = ast.parse(result.source)
    names = [getattr(n, "name", None) or getattr(n, "targets", [None])[0] for n in tree.body]
    main_at = next(i for i, n in enumerate(tree.body) if isinstance(n, ast.If))
    assert main_at == len(tree.body) - 1  # the main block stays last
    assert "_cap" in names and "clamp" in names
    assert "LIMIT = 3000" in result.source and "return min(x, _cap())" in result.source
    namespace: dict[str, object] = {"groupby": __import__("itertools").groupby}
    exec(compile(result.source.split("if __name__")[0], "runs.py", "exec"), namespace)  # noqa: S102
    assert namespace["clamp"](5000) == 3000  # type: ignore[operator]


def test_a_constant_the_file_already_has_is_not_overwritten() -> None:
    answer = "TAX = 0.5\n\n\ndef helper():\n    return 1\n"
    with_tax = splice(answer)[0]
    assert with_tax.count("TAX =") == 1 and "TAX = 0.2" in with_tax
