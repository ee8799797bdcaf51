"""Cut a function body into basic blocks: line ranges the tracer snapshots on exit.

A clause header (`if c:`, `elif c:`, `else:`, `try:`, `except E:`, `with x:`,
`case p:`) opens the block of its leading statements, so one snapshot shows the
effect of taking that branch. A loop header is a block of its own, because it
runs once more than its body and its snapshot shows each iteration's target
values. `return`, `raise`, `break` and `continue` end their block, so a
snapshot never mixes values from before and after a jump. A nested `def` or
`class` is a single statement of the enclosing body: its own blocks belong to it.
"""

from __future__ import annotations

from tree_sitter import Node

from .model import BasicBlock

_LOOPS = frozenset({"for_statement", "while_statement"})
_COMPOUND = _LOOPS | {"if_statement", "try_statement", "with_statement", "match_statement"}
_JUMPS = frozenset({"return_statement", "raise_statement", "break_statement", "continue_statement"})
# What opens the block of each clause's body; clauses not listed here do not occur.
_CLAUSE_KIND = {
    "elif_clause": "branch",
    "else_clause": "else",
    "except_clause": "except",
    "except_group_clause": "except",
    "finally_clause": "finally",
    "case_clause": "match-case",
}
_HEADER_KIND = {"if_statement": "branch", "try_statement": "try", "with_statement": "with"}


def start_line(node: Node) -> int:
    return node.start_point[0] + 1


def end_line(node: Node) -> int:
    """The last line holding text of `node` (a node ending at column 0 ends on the line above)."""
    row, column = node.end_point
    if column == 0 and row > node.start_point[0]:
        row -= 1
    return row + 1


def statements(block: Node | None) -> list[Node]:
    """The statements of a `block` node, without comments."""
    if block is None:
        return []
    return [child for child in block.named_children if child.type != "comment"]


def function_blocks(body: Node) -> list[BasicBlock]:
    """The basic blocks of a function whose body is the tree-sitter `block` node `body`."""
    cutter = _Cutter()
    cutter.suite(statements(body), "entry", None)
    return [BasicBlock(i, start, end, kind) for i, (start, end, kind) in enumerate(cutter.ranges)]


def _child_block(node: Node) -> Node | None:
    return next((child for child in node.children if child.type == "block"), None)


def _header(node: Node) -> tuple[int, int]:
    """Lines from the clause keyword to its colon (conditions may span lines)."""
    colon = next((child for child in node.children if child.type == ":"), None)
    return start_line(node), start_line(colon) if colon is not None else start_line(node)


class _Cutter:
    def __init__(self) -> None:
        self.ranges: list[tuple[int, int, str]] = []

    def add(self, start: int, end: int, kind: str) -> None:
        # Statements sharing a line across a cut (`return x; y = 1`) cannot be
        # told apart by line, so such a line joins the block before it.
        if self.ranges and start <= self.ranges[-1][1]:
            prev_start, prev_end, prev_kind = self.ranges[-1]
            self.ranges[-1] = (prev_start, max(prev_end, end), prev_kind)
            return
        self.ranges.append((start, end, kind))

    def suite(self, body: list[Node], kind: str, header: tuple[int, int] | None) -> None:
        """Blocks of a statement list; the first is `kind` and starts at `header` if given."""
        start, end = header if header is not None else (None, 0)
        for stmt in body:
            if stmt.type in _COMPOUND:
                if start is not None:
                    self.add(start, end, kind)
                    start = None
                self.compound(stmt)
                kind = "after-loop" if stmt.type in _LOOPS else "after"
                continue
            if start is None:
                start = start_line(stmt)
            end = max(end, end_line(stmt))
            if stmt.type in _JUMPS:
                self.add(start, end, kind)
                start, kind = None, "after"
        if start is not None:
            self.add(start, end, kind)

    def compound(self, stmt: Node) -> None:
        if stmt.type in _LOOPS:
            self.loop(stmt)
        elif stmt.type == "match_statement":
            self.add(*_header(stmt), "branch")
            for case in statements(_child_block(stmt)):
                self.clause(case)
        else:
            self.suite(statements(_child_block(stmt)), _HEADER_KIND[stmt.type], _header(stmt))
            for child in stmt.named_children:
                if child.type in _CLAUSE_KIND:
                    self.clause(child)

    def clause(self, clause: Node) -> None:
        kind = _CLAUSE_KIND.get(clause.type)
        if kind is not None:
            self.suite(statements(_child_block(clause)), kind, _header(clause))

    def loop(self, stmt: Node) -> None:
        head_start, head_end = _header(stmt)
        body = statements(_child_block(stmt))
        if body and start_line(body[0]) == head_end:
            # `for x in xs: total += x` — header and body share their line.
            self.suite(body, "loop", (head_start, head_end))
        else:
            self.add(head_start, head_end, "loop")
            self.suite(body, "loop-body", None)
        for child in stmt.named_children:
            if child.type == "else_clause":
                self.clause(child)
