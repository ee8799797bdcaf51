"""Style detection, layout and insertion: pure functions, no code runs."""

from __future__ import annotations

import ast
import difflib

from mgdebug.debugger.generate.docstring_writer import write_docstring
from mgdebug.debugger.generate.docstyle import DocParts, Param, detect_style, render_sections
from mgdebug.debugger.generate.inputs import Shape, boundaries, shape_of_annotation

NUMPY = '''"""Doc.

Parameters
----------
x : int
    The x.
"""'''
REST = '''"""Doc.

:param x: the x.
:returns: the y.
"""'''


def parts() -> DocParts:
    return DocParts(
        summary="Return the mean.",
        params=[Param("values", "list[float]", "The values.")],
        returns="float",
        raises=[("ZeroDivisionError", "If `values` is empty.")],
        examples=[">>> mean([1.0, 2.0])\n1.5"],
    )


def test_the_style_is_the_one_the_files_docstrings_use() -> None:
    assert detect_style([NUMPY, "plain"]) == "numpy"
    assert detect_style([REST]) == "rest"
    assert detect_style(["Args:\n    x: y"]) == "google"
    assert detect_style(["no sections"]) == "google"


def test_each_style_lays_out_its_own_sections() -> None:
    assert render_sections("numpy", parts())[:3] == [
        "Parameters",
        "----------",
        "values : list[float]",
    ]
    assert ":param values: The values." in render_sections("rest", parts())
    google = render_sections("google", parts())
    assert google[:2] == ["Args:", "    values (list[float]): The values."]
    assert "    >>> mean([1.0, 2.0])" in google


SOURCE = """import math  # keep   this  spacing


def mean(values):   # odd comment
    # first comment
    return sum(values)/len(values)


class A:
    def f(self):
        \'\'\'Existing summary.\'\'\'
        return 1
"""


def test_insertion_changes_nothing_outside_the_docstring() -> None:
    inserted = write_docstring(SOURCE, "mean", parts(), "google")
    assert inserted is not None and not inserted.completed
    removed = [
        line
        for line in difflib.ndiff(SOURCE.splitlines(), inserted.source.splitlines())
        if line.startswith("- ")
    ]
    assert removed == []  # only lines added
    added = inserted.source.replace(SOURCE.split("    # first")[0], "", 1)
    assert added.startswith('    """Return the mean.\n\n    Args:\n')
    assert inserted.source.endswith(SOURCE.split("    return sum")[1])
    compile(inserted.source, "x.py", "exec")


def test_an_existing_docstring_keeps_its_text_and_gains_what_it_lacks() -> None:
    inserted = write_docstring(SOURCE, "A.f", parts(), "google")
    assert inserted is not None and inserted.completed
    namespace: dict[str, object] = {}
    exec(compile(inserted.source.replace("import math", ""), "x.py", "exec"), namespace)
    doc = namespace["A"].f.__doc__  # type: ignore[attr-defined]
    assert doc.startswith("Existing summary.\n\n        Args:")
    assert "def mean(values):   # odd comment" in inserted.source


def test_type_hints_give_boundary_values() -> None:
    shape = shape_of_annotation(ast.parse("list[int] | None", mode="eval").body)
    assert shape == Shape("optional", (Shape("list", (Shape("int"),)),))
    assert boundaries(Shape("list", (Shape("int"),)))[:2] == ["[]", "[3]"]
    assert "0" in boundaries(Shape("int")) and "-1" in boundaries(Shape("int"))
