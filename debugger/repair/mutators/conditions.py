"""Condition edits: negate a test, or drop one side of an `and`/`or`."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from ..context import CandidateContext
from ..edits import NOT, Edit, fit
from ..sites import Site, SiteIndex


def _is_condition(site: Site) -> bool:
    """Whether the node is the test of an `if`/`elif`/`while`, a ternary, or a comprehension."""
    parent = site.parent
    return isinstance(parent, (cst.If, cst.While, cst.IfExp, cst.CompIf)) and (
        getattr(parent, "test", None) is site.node
    )


def negate_condition(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    if not _is_condition(site):
        return
    node = site.node
    assert isinstance(node, cst.BaseExpression)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        # `not c` → `c` is the same text the unary mutator makes; dedupe drops one.
        new: cst.BaseExpression = node.expression
    else:
        new = cst.UnaryOperation(operator=cst.Not(), expression=fit(node, NOT))
    yield index.replace(site, new, "negate-condition")


def drop_condition(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`a and b` → `a` / `b`: a guard that should not be there, or the wrong one."""
    node = site.node
    if not isinstance(node, cst.BooleanOperation):
        return
    for kept in (node.left, node.right):
        if node.lpar and not kept.lpar:
            kept = kept.with_changes(lpar=node.lpar, rpar=node.rpar)
        yield index.replace(site, kept, "drop-condition")


MUTATORS = (negate_condition, drop_condition)
