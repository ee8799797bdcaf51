"""Constant edits: integers ±1 and swaps among the usual suspects and the spec's constants."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from ..context import CandidateContext
from ..edits import Edit, NotALiteral, literal, literal_value, makes_identity
from ..sites import Site, SiteIndex

# The constants a default, initial value or sentinel most often should have been.
_COMMON: tuple[object, ...] = (0, 1, -1, None, True, False, "")
_MAX_FROM_CONTEXT = 6


def _same_type(a: object, b: object) -> bool:
    return type(a) is type(b)


def _alternatives(value: object, context: CandidateContext) -> list[object]:
    if isinstance(value, bool):
        options: list[object] = [not value, None]
    elif isinstance(value, int):
        options = [value + 1, value - 1, 0, 1, -1]
    elif value is None:
        options = [0, False, True, ""]
    elif isinstance(value, float):
        options = [value + 1, value - 1, 0.0]
    elif isinstance(value, str):
        options = [""]
    else:
        return []
    spec = [c for c in context.constants if _same_type(c, value) and c != value]
    options += spec[:_MAX_FROM_CONTEXT]
    seen: list[object] = []
    for option in options:
        if not any(_same_type(option, s) and option == s for s in seen) and not (
            _same_type(option, value) and option == value
        ):
            seen.append(option)
    return seen


def _redundant(
    option: object, value: object, node: cst.CSTNode, parent: cst.CSTNode | None
) -> bool:
    """Whether `option` in place of `value` only repeats another mutator's edit, worse."""
    if not isinstance(parent, cst.BinaryOperation) or isinstance(option, bool):
        return False
    if not isinstance(option, (int, float)) or not isinstance(value, (int, float)):
        return False
    side = "left" if parent.left is node else "right"
    if makes_identity(parent.operator, side, option):
        return True
    # `x + -1` is the arithmetic swap's `x - 1`, and `x - -1` its `x + 1`.
    return (
        side == "right"
        and isinstance(parent.operator, (cst.Add, cst.Subtract))
        and option == -value
        and option < 0
    )


def constant(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    parent = site.parent
    # `-1` is one site; its inner `1` would only repeat the same edits.
    if (
        isinstance(parent, cst.UnaryOperation)
        and isinstance(parent.operator, cst.Minus)
        and isinstance(node, (cst.Integer, cst.Float))
    ):
        return
    value = literal_value(node)
    if value is NotALiteral:
        return
    if isinstance(value, str) and (site.in_fstring or isinstance(parent, cst.ConcatenatedString)):
        return  # a new quote inside an f-string may end it early
    quote = node.quote if isinstance(node, cst.SimpleString) else '"'
    for option in _alternatives(value, context):
        if isinstance(option, str) and site.in_fstring:
            continue
        if _redundant(option, value, node, parent):
            continue
        new = literal(option, quote[0])
        if getattr(node, "lpar", None):
            new = new.with_changes(lpar=node.lpar, rpar=node.rpar)  # type: ignore[attr-defined]
        yield index.replace(site, new, "constant")


MUTATORS = (constant,)
