"""Operator swaps: arithmetic, comparison, boolean, augmented assignment, unary removal.

Each table lists, for an operator, its replacements in the order a human
would try them (the nearest mistake first: `<` was meant as `<=` more often
than as `>`).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from .context import CandidateContext
from .edits import Edit, refit_operands, same_spacing
from .sites import Site, SiteIndex

_ARITHMETIC: dict[type[cst.BaseBinaryOp], tuple[type[cst.BaseBinaryOp], ...]] = {
    cst.Add: (cst.Subtract, cst.Multiply, cst.FloorDivide, cst.Divide, cst.Modulo, cst.Power),
    cst.Subtract: (cst.Add, cst.FloorDivide, cst.Multiply, cst.Divide, cst.Modulo, cst.Power),
    cst.Multiply: (cst.Power, cst.FloorDivide, cst.Divide, cst.Add, cst.Subtract, cst.Modulo),
    cst.Divide: (cst.FloorDivide, cst.Multiply, cst.Modulo, cst.Subtract, cst.Add, cst.Power),
    cst.FloorDivide: (cst.Divide, cst.Modulo, cst.Multiply, cst.Subtract, cst.Add, cst.Power),
    cst.Modulo: (cst.FloorDivide, cst.Divide, cst.Multiply, cst.Subtract, cst.Add, cst.Power),
    cst.Power: (cst.Multiply, cst.FloorDivide, cst.Add, cst.Subtract, cst.Divide, cst.Modulo),
    cst.BitAnd: (cst.BitOr, cst.BitXor),
    cst.BitOr: (cst.BitAnd, cst.BitXor),
    cst.BitXor: (cst.BitAnd, cst.BitOr),
    cst.LeftShift: (cst.RightShift,),
    cst.RightShift: (cst.LeftShift,),
}

_AUGMENTED: dict[type[cst.BaseAugOp], type[cst.BaseBinaryOp]] = {
    cst.AddAssign: cst.Add,
    cst.SubtractAssign: cst.Subtract,
    cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide,
    cst.FloorDivideAssign: cst.FloorDivide,
    cst.ModuloAssign: cst.Modulo,
    cst.PowerAssign: cst.Power,
    cst.BitAndAssign: cst.BitAnd,
    cst.BitOrAssign: cst.BitOr,
    cst.BitXorAssign: cst.BitXor,
    cst.LeftShiftAssign: cst.LeftShift,
    cst.RightShiftAssign: cst.RightShift,
}
_AUGMENTED_OF = {binary: augmented for augmented, binary in _AUGMENTED.items()}

_COMPARISON: dict[type[cst.BaseCompOp], tuple[type[cst.BaseCompOp], ...]] = {
    cst.LessThan: (
        cst.LessThanEqual,
        cst.GreaterThan,
        cst.GreaterThanEqual,
        cst.NotEqual,
        cst.Equal,
    ),
    cst.LessThanEqual: (
        cst.LessThan,
        cst.GreaterThanEqual,
        cst.GreaterThan,
        cst.Equal,
        cst.NotEqual,
    ),
    cst.GreaterThan: (
        cst.GreaterThanEqual,
        cst.LessThan,
        cst.LessThanEqual,
        cst.NotEqual,
        cst.Equal,
    ),
    cst.GreaterThanEqual: (
        cst.GreaterThan,
        cst.LessThanEqual,
        cst.LessThan,
        cst.Equal,
        cst.NotEqual,
    ),
    cst.Equal: (
        cst.NotEqual,
        cst.LessThanEqual,
        cst.GreaterThanEqual,
        cst.LessThan,
        cst.GreaterThan,
    ),
    cst.NotEqual: (
        cst.Equal,
        cst.LessThan,
        cst.GreaterThan,
        cst.LessThanEqual,
        cst.GreaterThanEqual,
    ),
    cst.Is: (cst.IsNot, cst.Equal),
    cst.IsNot: (cst.Is, cst.NotEqual),
    cst.In: (cst.NotIn,),
    cst.NotIn: (cst.In,),
}


def _operator_summary(index: SiteIndex, old: cst.CSTNode, new: cst.CSTNode, line: int) -> str:
    return f"`{index.code(old).strip()}` → `{index.code(new).strip()}` on line {line}"


def arithmetic(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    if not isinstance(node, cst.BinaryOperation):
        return
    for new_type in _ARITHMETIC.get(type(node.operator), ()):
        op = same_spacing(new_type(), node.operator)
        new = refit_operands(node.with_changes(operator=op))
        yield index.replace(
            site, new, "arithmetic", _operator_summary(index, node.operator, op, site.line)
        )


def augmented_assignment(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    if not isinstance(node, cst.AugAssign):
        return
    binary = _AUGMENTED.get(type(node.operator))
    for new_binary in _ARITHMETIC.get(binary, ()) if binary else ():
        op = same_spacing(_AUGMENTED_OF[new_binary](), node.operator)
        yield index.replace(
            site,
            node.with_changes(operator=op),
            "augassign",
            _operator_summary(index, node.operator, op, site.line),
        )

    # `x += 1` where `x = 1` was meant.
    def simple(ws: object) -> cst.SimpleWhitespace:
        return ws if isinstance(ws, cst.SimpleWhitespace) else cst.SimpleWhitespace(" ")

    assign = cst.Assign(
        targets=[
            cst.AssignTarget(
                node.target,
                whitespace_before_equal=simple(getattr(node.operator, "whitespace_before", None)),
                whitespace_after_equal=simple(getattr(node.operator, "whitespace_after", None)),
            )
        ],
        value=node.value,
        semicolon=node.semicolon,
    )
    yield index.replace(
        site,
        assign,
        "augassign",
        _operator_summary(index, node.operator, cst.AssignEqual(), site.line),
    )


def comparison(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    if not isinstance(node, cst.Comparison):
        return
    for i, target in enumerate(node.comparisons):
        for new_type in _COMPARISON.get(type(target.operator), ()):
            op = same_spacing(new_type(), target.operator)
            targets = list(node.comparisons)
            targets[i] = target.with_changes(operator=op)
            yield index.replace(
                site,
                node.with_changes(comparisons=targets),
                "comparison",
                _operator_summary(index, target.operator, op, site.line),
            )


def boolean(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    if not isinstance(node, cst.BooleanOperation):
        return
    new_type = cst.Or if isinstance(node.operator, cst.And) else cst.And
    op = same_spacing(new_type(), node.operator)
    new = refit_operands(node.with_changes(operator=op))
    yield index.replace(
        site, new, "boolean", _operator_summary(index, node.operator, op, site.line)
    )


def unary(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`-x` → `x`, `not x` → `x`, `~x` → `x` (a stray sign or negation)."""
    node = site.node
    if not isinstance(node, cst.UnaryOperation) or isinstance(node.operator, cst.Plus):
        return
    inner = node.expression
    if node.lpar and not inner.lpar:
        inner = inner.with_changes(lpar=node.lpar, rpar=node.rpar)
    yield index.replace(site, inner, "unary")


MUTATORS = (arithmetic, augmented_assignment, comparison, boolean, unary)
