"""Operator swaps: arithmetic, comparison, boolean, augmented assignment, unary removal,
and swapped operands of a non-commutative operator.

Each table lists, for an operator, its replacements in the order a human
would try them (the nearest mistake first: `<` was meant as `<=` more often
than as `>`).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from ..context import CandidateContext
from ..edits import (
    ADDITIVE,
    Edit,
    literal_value,
    makes_identity,
    operand_chain,
    refit_operands,
    same_spacing,
)
from ..scopes import known_type, static_shape
from ..sites import Site, SiteIndex

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
    left, right = literal_value(node.left), literal_value(node.right)
    for new_type in _ARITHMETIC.get(type(node.operator), ()):
        if makes_identity(new_type(), "left", left) or makes_identity(new_type(), "right", right):
            continue  # `x + 1` → `x * 1` is the deleted term `x`, written worse
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
    value = literal_value(node.value)
    for new_binary in _ARITHMETIC.get(binary, ()) if binary else ():
        if makes_identity(new_binary(), "right", value):
            continue  # `x *= 1` does nothing: the deleted statement, written worse
        op = same_spacing(_AUGMENTED_OF[new_binary](), node.operator)
        yield index.replace(
            site,
            node.with_changes(operator=op),
            "augassign",
            _operator_summary(index, node.operator, op, site.line),
        )

    # `x += 1` where `x = 1` was meant.
    yield index.replace(
        site,
        plain_assignment(node, node.value),
        "augassign",
        _operator_summary(index, node.operator, cst.AssignEqual(), site.line),
    )


def plain_assignment(node: cst.AugAssign, value: cst.BaseExpression) -> cst.Assign:
    """`target = value` in place of `node`, spaced around `=` as `node` is around its operator."""

    def simple(ws: object) -> cst.SimpleWhitespace:
        return ws if isinstance(ws, cst.SimpleWhitespace) else cst.SimpleWhitespace(" ")

    return cst.Assign(
        targets=[
            cst.AssignTarget(
                node.target,
                whitespace_before_equal=simple(getattr(node.operator, "whitespace_before", None)),
                whitespace_after_equal=simple(getattr(node.operator, "whitespace_after", None)),
            )
        ],
        value=value,
        semicolon=node.semicolon,
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


# Operators whose operands mean something else the other way round. Comparisons
# are left out: `b < a` is `a > b`, which the comparison table already offers.
_ORDERED = (cst.Subtract, cst.Divide, cst.FloorDivide, cst.Modulo, cst.Power)
# `+` is order-sensitive only as concatenation, so it is swapped only when
# neither side is known to be something else (a number makes the swap a no-op).
CONCATENATED = frozenset({"str", "list", "tuple"})


def operand_type(
    expr: cst.BaseExpression, site: Site, index: SiteIndex, context: CandidateContext
) -> str | None:
    if isinstance(expr, cst.Name):
        observed = context.observed_types.get(site.function, {})
        return known_type(index.scopes.get(site.function), observed, expr.value)
    return static_shape(expr)


def swap_operands(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`a - b` → `b - a`, `result + digit` → `digit + result` (prepend, not append)."""
    node = site.node
    if not isinstance(node, cst.BinaryOperation):
        return
    if isinstance(node.operator, cst.Add):
        for operand in (node.left, node.right):
            shape = operand_type(operand, site, index, context)
            if shape is not None and shape not in CONCATENATED:
                return
    elif not isinstance(node.operator, _ORDERED):
        return
    if isinstance(node.operator, cst.Add):
        # Concatenation is associative, so `a + b + c` → `c + a + b` rather than
        # `c + (a + b)`: the same value, written the way a person would.
        chain = operand_chain(node.left, ADDITIVE)
        new: cst.BaseExpression = cst.BinaryOperation(
            left=node.right, operator=node.operator, right=chain[0][1]
        )
        for op, term in chain[1:]:
            assert op is not None
            new = cst.BinaryOperation(left=new, operator=op, right=term)
        new = new.with_changes(lpar=node.lpar, rpar=node.rpar)
    else:
        new = refit_operands(node.with_changes(left=node.right, right=node.left))
    yield index.replace(site, new, "swap-operands")


MUTATORS = (arithmetic, augmented_assignment, comparison, boolean, unary, swap_operands)
