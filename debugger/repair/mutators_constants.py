"""Constant edits: integers ±1 and swaps among the usual suspects and the spec's constants."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from .context import CandidateContext
from .edits import Edit, NotALiteral, literal, literal_value
from .sites import Site, SiteIndex

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
        new = literal(option, quote[0])
        if getattr(node, "lpar", None):
            new = new.with_changes(lpar=node.lpar, rpar=node.rpar)  # type: ignore[attr-defined]
        yield index.replace(site, new, "constant")


MUTATORS = (constant,)
