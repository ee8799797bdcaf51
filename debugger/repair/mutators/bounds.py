"""Off-by-one edits: `range` bounds, indices, `len(x)`, `e ± k`, and slices."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from ..context import CandidateContext
from ..edits import (
    ATOM,
    Edit,
    NotALiteral,
    deletion_summary,
    fit,
    literal,
    literal_value,
    shifted,
)
from ..scopes import known_type
from ..sites import Site, SiteIndex


def _called(node: cst.CSTNode, name: str) -> bool:
    return (
        isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == name
    )


def _positional(args: Sequence[cst.Arg]) -> bool:
    return all(arg.keyword is None and not arg.star for arg in args)


def shift_at(
    index: SiteIndex, node: cst.BaseExpression, deltas: Sequence[int], kind: str = "off-by-one"
) -> Iterator[Edit]:
    """`node` ± 1 at its own site (so the edit is as small as the expression)."""
    site = index.site_of(node)
    if site is None:
        return
    for delta in deltas:
        yield index.replace(site, shifted(node, delta), kind)


def range_bounds(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    if not _called(node, "range") or not _positional(node.args):  # type: ignore[attr-defined]
        return
    assert isinstance(node, cst.Call)
    args = list(node.args)
    if len(args) == 1:
        yield from shift_at(index, args[0].value, (1, -1))
        one = cst.Arg(literal(1), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        yield index.replace(site, node.with_changes(args=[one, args[0]]), "off-by-one")
    elif len(args) in (2, 3):
        yield from shift_at(index, args[1].value, (1, -1))
        yield from shift_at(index, args[0].value, (1, -1))
        if len(args) == 2 and literal_value(args[0].value) in (0, 1):
            yield index.replace(site, node.with_changes(args=[args[1]]), "off-by-one")


def index_shift(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`x[i]` → `x[i - 1]` / `x[i + 1]` (literal indices are the constant mutator's)."""
    node = site.node
    if not isinstance(node, cst.Subscript) or len(node.slice) != 1:
        return
    element = node.slice[0].slice
    if not isinstance(element, cst.Index) or element.star is not None:
        return
    value = element.value
    if literal_value(value) is not NotALiteral or isinstance(
        value, (cst.ConcatenatedString, cst.FormattedString)
    ):
        return
    yield from shift_at(index, value, (-1, 1))


def length_shift(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`len(x)` → `len(x) - 1` / `len(x) + 1`, unless it already carries an offset."""
    node = site.node
    parent = site.parent
    if not _called(node, "len"):
        return
    if isinstance(parent, cst.BinaryOperation) and isinstance(
        parent.operator, (cst.Add, cst.Subtract)
    ):
        return
    yield from shift_at(index, node, (-1, 1))  # type: ignore[arg-type]


def offset_shift(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`n - 1` → `n` / `n - 2`: an existing offset that is one off."""
    node = site.node
    if (
        isinstance(node, cst.BinaryOperation)
        and isinstance(node.operator, (cst.Add, cst.Subtract))
        and isinstance(node.right, cst.Integer)
        and not node.lpar
    ):
        yield from shift_at(
            index, node, (1, -1) if isinstance(node.operator, cst.Subtract) else (-1, 1)
        )


def _with_slice(node: cst.Subscript, new_slice: cst.BaseSlice) -> cst.Subscript:
    return node.with_changes(slice=[node.slice[0].with_changes(slice=new_slice)])


def _reverses(piece: cst.Slice) -> bool:
    return piece.lower is None and piece.upper is None and literal_value(piece.step) == -1


def _assigned(site: Site) -> bool:
    """Whether the subscript is written to (`xs[1:] = ...`), where `xs` would rebind a name."""
    parent = site.parent
    if isinstance(parent, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del)):
        return parent.target is site.node
    return False


def slice_bounds(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`[i:]` ↔ `[i + 1:]`, `[:n]` ↔ `[:n ± 1]`, bounds dropped or added, `[::-1]` removed,
    and the whole slice deleted (`xs[1:]` → `xs`)."""
    node = site.node
    if not isinstance(node, cst.Subscript) or len(node.slice) != 1:
        return
    piece = node.slice[0].slice
    if not isinstance(piece, cst.Slice):
        return
    if _reverses(piece):
        yield index.replace(site, node.value, "slice")
        return
    if not _assigned(site):
        # A slice that should not be there: the plain sequence, which `xs[:]` and
        # `xs[0:]` only spell worse. A deleted term, as `x + 1` → `x` is.
        yield index.replace(site, node.value, "delete-term", describe=deletion_summary)
    variants: list[cst.Slice] = []
    for field, deltas, added in (("lower", (1, -1), 1), ("upper", (1, -1), -1)):
        bound = getattr(piece, field)
        if bound is None:
            variants.append(piece.with_changes(**{field: literal(added)}))
            continue
        variants += [piece.with_changes(**{field: shifted(bound, d)}) for d in deltas]
        variants.append(piece.with_changes(**{field: None}))
    if piece.step is not None and literal_value(piece.step) == -1:
        variants.append(piece.with_changes(step=None, second_colon=cst.MaybeSentinel.DEFAULT))
    for variant in variants:
        yield index.replace(site, _with_slice(node, variant), "slice")


REVERSIBLE_TYPES = frozenset({"list", "str", "tuple", "bytes", "range", "deque"})


def _reversible(site: Site) -> bool:
    """Iterables and results that may have been meant in the other order."""
    parent = site.parent
    if isinstance(parent, (cst.For, cst.CompFor)):
        return parent.iter is site.node
    return isinstance(parent, cst.Return) and parent.value is site.node


def add_reverse_slice(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    if not _reversible(site) or not isinstance(
        node, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)
    ):
        return
    assert isinstance(node, cst.BaseExpression)
    if isinstance(node, cst.Name):
        observed = context.observed_types.get(site.function, {})
        known = known_type(index.scopes.get(site.function), observed, node.value)
        if known is not None and known not in REVERSIBLE_TYPES:
            return
    reverse = cst.SubscriptElement(cst.Slice(lower=None, upper=None, step=literal(-1)))
    yield index.replace(site, cst.Subscript(value=fit(node, ATOM), slice=[reverse]), "slice")


MUTATORS = (range_bounds, index_shift, length_shift, offset_shift, slice_bounds, add_reverse_slice)
