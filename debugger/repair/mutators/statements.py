"""Statement-level edits: delete a statement, delete a term or factor, insert a `return`."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from ..context import CandidateContext
from ..edits import UNARY, Edit, binary_level, deletion_summary, fit, operand_chain, short
from ..sites import Site, SiteIndex

_MAX_RETURNED_NAMES = 4
_ENDS_FLOW = (cst.Return, cst.Raise, cst.Continue, cst.Break)


def _only_pass(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Pass) for s in node.body
    )


def delete_statement(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    parent = site.parent
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)) or _only_pass(node):
        return
    if isinstance(parent, cst.IndentedBlock) and isinstance(
        node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)
    ):
        if len(parent.body) > 1:
            yield index.delete_lines(site, "delete-statement")
            return
    elif not (
        isinstance(parent, cst.SimpleStatementSuite)
        and isinstance(node, cst.BaseSmallStatement)
        and len(parent.body) == 1
        and not isinstance(node, cst.Pass)
    ):
        return  # one of several `a; b` statements on a line: too rare to be worth it
    # The only statement of its block: Python needs something there.
    summary = f"replace line {site.line} (`{short(index.text(site).splitlines()[0])}`) with `pass`"
    yield index.replace(site, cst.Pass(), "delete-statement", summary)


# After these, the first term can go: `a * b` → `b`, `a - b` → `-b`. After `/`,
# `%`, `**` or a shift, the rest would need a made-up left operand.
_FIRST_DROPPABLE = (cst.Add, cst.Subtract, cst.Multiply, cst.BitOr, cst.BitXor, cst.BitAnd)


def delete_term(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """Drop one operand of a chain of same-precedence operators (`x + 1` → `x`, `x * 2` → `x`)."""
    node = site.node
    parent = site.parent
    level = binary_level(node)
    if level is None or not isinstance(node, cst.BinaryOperation):
        return
    if (  # only the top of a chain; inner links are covered by it
        isinstance(parent, cst.BinaryOperation)
        and binary_level(parent) == level
        and parent.left is node
        and not node.lpar
    ):
        return
    terms = operand_chain(node, level)
    for dropped in range(len(terms)):
        rest = terms[:dropped] + terms[dropped + 1 :]
        first_op, first = rest[0]
        if first_op is not None and not isinstance(first_op, _FIRST_DROPPABLE):
            continue
        # The node's own parentheses go with it: `(n + 1)` → `n`; the splice puts
        # them back where precedence or a line break needs them.
        result: cst.BaseExpression = first
        if isinstance(first_op, cst.Subtract):
            result = cst.UnaryOperation(operator=cst.Minus(), expression=fit(first, UNARY + 1))
        for op, term in rest[1:]:
            assert op is not None
            result = cst.BinaryOperation(left=result, operator=op, right=term)
        yield index.replace(site, result, "delete-term", describe=deletion_summary)


def _returnable_names(index: SiteIndex, site: Site) -> list[str]:
    """Locals bound before `site` (latest first: the accumulator sits right before the loop)."""
    scope = index.scopes.get(site.function)
    if scope is None:
        return []
    before = sorted(
        (n for n, line in scope.locals.items() if line < site.line),
        key=lambda n: -scope.locals[n],
    )
    return (before + scope.params)[:_MAX_RETURNED_NAMES]


def _insert_returns(
    index: SiteIndex, site: Site, after_line: int, indent: str, names: list[str]
) -> Iterator[Edit]:
    for name in names:
        yield index.insert_line(
            after_line, indent, f"return {name}", "insert-return", site.function
        )


def insert_return(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    parent = site.parent
    if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
        # A recursive or helper call whose result is dropped.
        yield index.replace(site, cst.Return(value=node.value), "insert-return")
        return
    if not isinstance(parent, cst.IndentedBlock) or not isinstance(
        node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)
    ):
        return
    siblings = parent.body
    position = next(i for i, s in enumerate(siblings) if s is node)
    following = siblings[position + 1] if position + 1 < len(siblings) else None
    is_loop = isinstance(node, (cst.For, cst.While))
    is_last_in_function = following is None and id(parent) in index.function_bodies
    if (is_loop and not (following is not None and _ends_flow(following))) or (
        is_last_in_function and not _ends_flow(node)
    ):
        yield from _insert_returns(
            index, site, site.end_line, index.indent(site), _returnable_names(index, site)
        )
    if isinstance(node, cst.If) and isinstance(node.body, cst.IndentedBlock):
        last = node.body.body[-1]
        last_site = index.site_of(last)
        if last_site is not None and not _ends_flow(last):
            names = _returnable_names(index, last_site)
            yield from _insert_returns(
                index, site, last_site.end_line, index.indent(last_site), names
            )


def _ends_flow(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.SimpleStatementLine) and isinstance(node.body[-1], _ENDS_FLOW)


MUTATORS = (delete_statement, delete_term, insert_return)
