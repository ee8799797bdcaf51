"""A minimal `ModuleInfo` for repair tests (the real one comes from `analysis`)."""

from __future__ import annotations

import ast
from collections.abc import Callable

import pytest
from mgdebug.analysis.model import FunctionInfo, ModuleInfo


def build_module_info(source: str) -> ModuleInfo:
    functions: dict[str, FunctionInfo] = {}

    def visit(node: ast.AST, prefix: str, parent: str | None, class_name: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = prefix + child.name
                functions[qualname] = FunctionInfo(
                    qualname=qualname,
                    name=child.name,
                    line=child.lineno,
                    end_line=child.end_lineno or child.lineno,
                    body_line=child.body[0].lineno,
                    params=[a.arg for a in child.args.args],
                    docstring=ast.get_docstring(child),
                    docstring_line=None,
                    class_name=class_name,
                    parent=parent,
                )
                visit(child, qualname + ".", qualname, None)
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".", parent, child.name)
            else:
                visit(child, prefix, parent, class_name)

    visit(ast.parse(source), "", None, None)
    return ModuleInfo(source=source, functions=functions, syntax_errors=[])


@pytest.fixture
def module_info() -> Callable[[str], ModuleInfo]:
    return build_module_info
