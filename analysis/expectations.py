"""Every expectation a user has written for a module's functions, found statically.

Sources, in the order they are reported: docstrings (doctest examples of
every docstring doctest would test, one session per docstring, and examples in
prose in function docstrings, in the order written), the
`if __name__ == "__main__":` block, and pytest tests near the file. Each
expectation gets an id that stays the same while its source line does, so
results can be matched across runs.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Sequence

from .assert_expectations import expectations_from_asserts, main_block_expectations
from .call_targets import ModuleNames
from .docstring_examples import docstring_expectations
from .doctest_config import doctest_config
from .doctest_sessions import doctest_expectations
from .model import Expectation, FunctionInfo, ModuleInfo
from .pytest_discovery import pytest_expectations

__all__ = ["expectations_from_asserts", "find_expectations", "missing_expectation_hint"]


def find_expectations(
    module: ModuleInfo, path: str, *, extra_test_files: Sequence[str] = ()
) -> list[Expectation]:
    """All expectations for `module` (the file at `path`), each with a unique id.

    Docstrings of nested functions are skipped, as doctest skips them: their
    examples usually call a name that does not exist at module level.
    """
    names = ModuleNames(module)
    found = doctest_expectations(module, path, names, doctest_config(path))
    for func in sorted(module.functions.values(), key=lambda f: f.line):
        if func.parent is None:
            found += docstring_expectations(func, path, names)
    found.sort(key=lambda e: e.origin.line)  # as written: a docstring's prose among its examples
    found += main_block_expectations(module, path, names)
    found += pytest_expectations(names, path, extra_test_files)
    return unique_ids(found)


def unique_ids(expectations: list[Expectation]) -> list[Expectation]:
    """Suffix repeated ids ("main:L4", "main:L4#2") so that each names one expectation."""
    seen: dict[str, int] = {}
    result: list[Expectation] = []
    for expectation in expectations:
        count = seen.get(expectation.id, 0) + 1
        seen[expectation.id] = count
        if count > 1:
            expectation = dataclasses.replace(expectation, id=f"{expectation.id}#{count}")
        result.append(expectation)
    return result


def missing_expectation_hint(func: FunctionInfo) -> str:
    """One line telling the user how to give `func` an expectation, with its real params.

    Phrased to follow "`f` has no expectations: ", which callers put in front.
    """
    if func.parent is not None:
        return (
            f"it is nested in `{func.parent}`, so add examples to `{func.parent}`'s "
            "docstring or tests; they exercise it too."
        )
    call = example_call(func)
    return (
        f"add an example to its docstring, like `>>> {call}` with the expected result "
        f'on the next line, or `assert {call} == ...` under `if __name__ == "__main__":`.'
    )


def example_call(func: FunctionInfo) -> str:
    """A call of `func` naming its required parameters, e.g. `Stack().push(item)`."""
    required = _required_params(func)
    if func.class_name is not None:
        is_static = "staticmethod" in func.decorators
        is_class = "classmethod" in func.decorators
        if not is_static and required:
            required = required[1:]  # self or cls
        if func.name == "__init__":
            return f"{func.class_name}({', '.join(required)})"
        owner = func.class_name if is_static or is_class else f"{func.class_name}()"
        return f"{owner}.{func.name}({', '.join(required)})"
    return f"{func.name}({', '.join(required)})"


def _required_params(func: FunctionInfo) -> list[str]:
    """Parameters without defaults, read from the signature as written."""
    try:
        tree = ast.parse(f"def _{func.signature}: pass")
    except SyntaxError:
        return list(func.params)
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    spec = definition.args
    positional = [*spec.posonlyargs, *spec.args]
    without_default = positional[: len(positional) - len(spec.defaults)]
    keyword_only = [
        arg
        for arg, default in zip(spec.kwonlyargs, spec.kw_defaults, strict=True)
        if default is None
    ]
    return [arg.arg for arg in without_default] + [f"{arg.arg}={arg.arg}" for arg in keyword_only]
