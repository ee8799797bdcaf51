"""Helpers shared by the repair tests: a `ModuleInfo` from `ast`, and candidate lists."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Sequence

from mgdebug.analysis.model import FunctionInfo, ModuleInfo
from mgdebug.debugger.repair.candidates import Candidate, CandidateContext, generate_candidates


def build_module_info(source: str) -> ModuleInfo:
    """What `analysis` would say about the functions (only the fields the generator reads)."""
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


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def line_of(source: str, fragment: str) -> int:
    """The 1-based line holding `fragment` (tests name lines by their code, not numbers)."""
    for number, line in enumerate(source.splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not in source")


def candidates(
    source: str,
    lines: Sequence[int | str],
    context: CandidateContext | None = None,
    *,
    pairs: bool = False,
) -> list[Candidate]:
    numbers = [line if isinstance(line, int) else line_of(source, line) for line in lines]
    suspicious = [(n, 1.0 - i / 100) for i, n in enumerate(numbers)]
    return list(
        generate_candidates(source, build_module_info(source), suspicious, context, pairs=pairs)
    )


def position_of(found: list[Candidate], fixed_source: str) -> int:
    """0-based rank of the candidate equal to `fixed_source` (fails if absent)."""
    for rank, candidate in enumerate(found):
        if candidate.source == fixed_source:
            return rank
    raise AssertionError("the fix is not among the candidates")


def sources(found: list[Candidate]) -> set[str]:
    return {c.source for c in found}
