"""What rewritten code reports (the plan the tracer reads), and AST helpers for instrument.py."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

KEEP = 10  # snapshots per (call, block) recorded one by one before the ring takes over
NONE = -1  # a line in no block of the TraceSpec
EXIT = -2  # control leaves the function (or goes somewhere decided at run time)

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
TRY_TYPES: tuple[type[ast.stmt], ...] = (ast.Try,) + (
    (ast.TryStar,) if hasattr(ast, "TryStar") else ()
)
# `match` (3.10+): empty on 3.9, where the tracer also runs (child_kit.py); an
# isinstance check against an empty tuple is always false.
MATCH_TYPES: tuple[type[ast.stmt], ...] = (ast.Match,) if hasattr(ast, "Match") else ()
MATCH_CAPTURES: tuple[type[ast.AST], ...] = tuple(
    getattr(ast, name) for name in ("MatchAs", "MatchStar") if hasattr(ast, name)
)
MATCH_MAPPINGS: tuple[type[ast.AST], ...] = (
    (ast.MatchMapping,) if hasattr(ast, "MatchMapping") else ()
)


@dataclass(frozen=True)
class Point:
    """A place where rewritten code reports: the lines run since the last point,
    and for a block exit (`block` >= 0) a snapshot of `names`."""

    function: int
    block: int
    line: int  # last line run in the block
    names: tuple[str, ...]
    lines: tuple[int, ...]


@dataclass
class FunctionPlan:
    qualname: str
    traced: bool  # in the TraceSpec: calls and snapshots, not only lines
    arg_names: tuple[str, ...]
    table: dict[int, int]  # line -> block index
    partial: dict[int, frozenset[int]] = field(default_factory=dict)  # raising line -> lines run


@dataclass
class Plan:
    prefix: str  # of every name the rewritten code adds
    functions: list[FunctionPlan]
    points: list[Point]


def first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno] + [d.lineno for d in decorators])


def expr_lines(*nodes: ast.AST | None) -> set[int]:
    """Lines of expressions that run with `nodes` (lambda bodies run later)."""
    lines: set[int] = set()
    stack = [n for n in nodes if n is not None]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.expr):
            lines.add(node.lineno)
        for child in ast.iter_child_nodes(node):
            if not (isinstance(node, ast.Lambda) and child is node.body):
                stack.append(child)
    return lines


def is_silent(stmt: ast.stmt) -> bool:
    """Statements that compile to no code, so never run as far as a tracer sees."""
    if isinstance(stmt, (ast.Global, ast.Nonlocal)):
        return True
    if isinstance(stmt, ast.AnnAssign) and stmt.value is None and isinstance(stmt.target, ast.Name):
        return True
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def irrefutable(pattern: ast.pattern) -> bool:
    if isinstance(pattern, ast.MatchAs):
        return pattern.pattern is None or irrefutable(pattern.pattern)
    if isinstance(pattern, ast.MatchOr):
        return any(irrefutable(p) for p in pattern.patterns)
    return False


def own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Nodes of a function body, not of the functions and classes nested in it."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def locate(nodes: list[ast.stmt], line: int) -> list[ast.stmt]:
    for stmt in nodes:
        for node in ast.walk(stmt):
            if "lineno" in node._attributes:
                node.lineno = node.end_lineno = line  # type: ignore[attr-defined]
                node.col_offset = node.end_col_offset = 0  # type: ignore[attr-defined]
    return nodes


class YieldWrapper(ast.NodeTransformer):
    """`yield v` -> `resume(rec, (yield suspend(rec, v)))`: a suspended generator
    is not on the stack, so calls made meanwhile are not nested in it."""

    def __init__(self, prefix: str) -> None:
        self.p = prefix

    def visit_body(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.visit(stmt)

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, SCOPES):
            return node
        return super().generic_visit(node)

    def rec(self) -> ast.Name:
        return ast.Name(self.p + "rec", ast.Load())

    def visit_Yield(self, node: ast.Yield) -> ast.AST:
        self.generic_visit(node)
        value = node.value or ast.Constant(None)
        suspend = ast.Call(ast.Name(self.p + "suspend", ast.Load()), [self.rec(), value], [])
        inner = ast.Yield(suspend)
        resume = ast.Call(ast.Name(self.p + "resume", ast.Load()), [self.rec(), inner], [])
        for new in ast.walk(resume):
            if not hasattr(new, "lineno"):
                ast.copy_location(new, node)
        return resume
