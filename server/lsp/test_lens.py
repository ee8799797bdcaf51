"""Code lenses on pytest tests: "▶ debug this test" above each test function of an open
test file, and "Apply best fix" above a failing one once a project run found a checked fix.

A file gets lenses when pytest would collect it (its name matches the
project's `python_files`, debugger/project/target.py); the tests in it are
found statically, as pytest's default collection names them: module-level
`test_*` functions and `test_*` methods of `Test*` classes without an
`__init__`. Each lens names the test by its node id relative to the project
root (`tests/test_service.py::TestBill::test_total`), the id pytest and
`mgdebug` take on the command line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

DEBUG_TEST_COMMAND = "mgdebug.debugTest"  # [uri, nodeid]
DEBUG_PROJECT_COMMAND = "mgdebug.debugProject"  # [folderUri?]
APPLY_PROJECT_FIX_COMMAND = "mgdebug.applyProjectFix"  # [uri?]: a file or folder of the project
DEBUG_TEST_TITLE = "▶ debug this test"
APPLY_FIX_TITLE = "Apply best fix"


@dataclass(frozen=True)
class TestFunction:
    """A test pytest would collect: its name after the file part and its `def` line."""

    name: str  # "test_total" or "TestBill::test_total"
    line: int  # 1-based line of the `def`


def _is_test(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")


def _def_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    return node.lineno  # decorators sit above; the lens goes on the `def`


def test_functions(source: str) -> list[TestFunction]:
    """The tests in `source` as pytest's default collection finds them; [] if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found: list[TestFunction] = []
    for node in tree.body:
        if _is_test(node):
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            found.append(TestFunction(node.name, _def_line(node)))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            members = node.body
            if any(isinstance(m, ast.FunctionDef) and m.name == "__init__" for m in members):
                continue  # pytest skips such classes, with a warning
            for member in members:
                if _is_test(member):
                    assert isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
                    found.append(TestFunction(f"{node.name}::{member.name}", _def_line(member)))
    return found


def test_file_root(path: str) -> tuple[Path, str] | None:
    """(project root, the file's path relative to it) when pytest would collect `path`."""
    from mgdebug.debugger.project.target import TargetError, resolve_target

    try:
        target = resolve_target([path])
    except (TargetError, OSError):
        return None
    if target.module is not None or not target.args:
        return None  # a module, not a test file
    return target.root, target.args[0]


def lenses(
    uri: str, path: str, source: str, failing_with_fix: set[str] | None = None
) -> list[types.CodeLens]:
    """ "▶ debug this test" on each test of an open test file; "Apply best fix" on the
    failing ones (node ids in `failing_with_fix`) a project run has a checked fix for."""
    found = test_file_root(path)
    if found is None:
        return []
    _root, relative = found
    result: list[types.CodeLens] = []
    for test in test_functions(source):
        nodeid = f"{relative}::{test.name}"
        position = types.Position(test.line - 1, 0)
        where = types.Range(position, position)
        result.append(
            types.CodeLens(
                where, types.Command(DEBUG_TEST_TITLE, DEBUG_TEST_COMMAND, arguments=[uri, nodeid])
            )
        )
        if failing_with_fix and nodeid in failing_with_fix:
            result.append(
                types.CodeLens(
                    where,
                    types.Command(APPLY_FIX_TITLE, APPLY_PROJECT_FIX_COMMAND, arguments=[uri]),
                )
            )
    return result
