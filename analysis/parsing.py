"""Parse Python source with tree-sitter and report its syntax errors.

tree-sitter keeps going past errors, so a file being edited still yields a tree
whose intact functions can be analysed; `ast` would give up at the first error.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

import tree_sitter_python
from tree_sitter import Language, Node, Parser, Tree

from .model import SyntaxProblem

# Past this many problems the rest are noise from the same few mistakes, and a
# hostile or binary file could otherwise produce one per byte.
MAX_PROBLEMS = 50
# CPython's own parser catches what tree-sitter's grammar tolerates (Python 2
# `print x`, assignment to a call), but costs ~0.6 s per 50,000 lines; beyond
# this size we rely on tree-sitter alone.
CPYTHON_CHECK_MAX_LINES = 20_000

_CLOSERS = {"(": ")", "[": "]", "{": "}"}


@cache
def python_language() -> Language:
    return Language(tree_sitter_python.language())


@dataclass
class ParsedSource:
    """A tree plus the encoded text it indexes, with conversions to user positions."""

    source: str
    data: bytes
    tree: Tree
    _line_starts: list[int] | None = field(default=None, init=False, repr=False)

    def text(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def column(self, row: int, byte_column: int) -> int:
        """A 0-based character column from tree-sitter's byte column.

        Non-ASCII text before the position would otherwise shift every column.
        """
        if self._line_starts is None:
            starts = [0]
            index = self.data.find(b"\n")
            while index != -1:
                starts.append(index + 1)
                index = self.data.find(b"\n", index + 1)
            self._line_starts = starts
        start = self._line_starts[min(row, len(self._line_starts) - 1)]
        return len(self.data[start : start + byte_column].decode("utf-8", "replace"))


def parse(source: str) -> ParsedSource:
    """Parse `source`; never raises on bad syntax.

    A fresh `Parser` per call because parsers are not safe to share between the
    server's threads, and creating one is cheap next to parsing.
    """
    data = source.encode("utf-8", "surrogatepass")
    tree = Parser(python_language()).parse(data)
    return ParsedSource(source, data, tree)


def syntax_problems(parsed: ParsedSource) -> list[SyntaxProblem]:
    """Every ERROR and MISSING node as a problem, with CPython's verdict on small files.

    CPython names the first error best ("expected ':'" where tree-sitter can
    only say where it got lost), so its problem replaces tree-sitter's on that line.
    """
    problems = [_problem(parsed, node) for node in _error_nodes(parsed.tree.root_node)]
    if parsed.source.count("\n") > CPYTHON_CHECK_MAX_LINES:
        return problems
    first = _cpython_problem(parsed.source)
    if first is None:
        return problems
    others = [p for p in problems if not p.line <= first.line <= p.end_line]
    return sorted([first, *others], key=lambda p: (p.line, p.column))


def _error_nodes(root: Node) -> Iterator[Node]:
    """Outermost ERROR nodes and MISSING nodes, in source order.

    Only subtrees flagged `has_error` are entered, so a clean file costs nothing.
    """
    if not root.has_error:
        return
    stack = [root]
    found = 0
    while stack and found < MAX_PROBLEMS:
        node = stack.pop()
        if node.is_missing or node.type == "ERROR":
            found += 1
            yield node
            continue
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))


def _problem(parsed: ParsedSource, node: Node) -> SyntaxProblem:
    if node.is_missing:
        message = f"missing {node.type!r}" if not node.is_named else f"missing {node.type}"
        anchor, end = node, node
    else:
        unclosed = _unclosed_bracket(node)
        if unclosed is not None:
            message = f"{parsed.text(unclosed)!r} was never closed"
            anchor, end = unclosed, unclosed
        else:
            message = f"invalid syntax near {_snippet(parsed.text(node))!r}"
            anchor, end = node, node
    row, col = anchor.start_point
    end_row, end_col = end.end_point
    return SyntaxProblem(
        line=row + 1,
        column=parsed.column(row, col),
        end_line=end_row + 1,
        end_column=parsed.column(end_row, end_col),
        message=message,
    )


def _unclosed_bracket(error: Node) -> Node | None:
    """The first opening bracket among the ERROR node's tokens that nothing closes."""
    opened: list[Node] = []
    for child in error.children:
        if child.type in _CLOSERS:
            opened.append(child)
        elif opened and child.type == _CLOSERS[opened[-1].type]:
            opened.pop()
    return opened[0] if opened else None


def _snippet(text: str, limit: int = 30) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _cpython_problem(source: str) -> SyntaxProblem | None:
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences warn at parse time; they are not our concern.
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as error:
        line = error.lineno or 1
        # CPython's offsets are 1-based; its end is exclusive like ours.
        column = max((error.offset or 1) - 1, 0)
        end_line = error.end_lineno or line
        end_column = max((error.end_offset or (column + 2)) - 1, column)
        message = error.msg
        if message == "invalid syntax" and error.text:
            # CPython's bare verdict; the offending token tells the user where to look.
            token = error.text[column:].split(maxsplit=1)
            if token:
                message = f"invalid syntax near {_snippet(token[0])!r}"
        return SyntaxProblem(line, column, end_line, end_column, message)
    except (ValueError, RecursionError, MemoryError) as error:
        # Null bytes or absurd nesting: still a reason the file cannot run.
        return SyntaxProblem(1, 0, 1, 0, f"cannot parse: {error}")
    return None
