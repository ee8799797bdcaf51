"""Index edits the bounds mutators miss: ±1 on tuple-subscript elements and call
arguments, swapped elements of a subscript or a short tuple/list, and a slice
added to a sequence passed on or returned.

The bounds mutators cover `x[i]`, `range(...)` and `n ± k`; these reach the
places where an index travels as one of several: `dp[i - 1, j]` for
`dp[i - 1, j - 1]`, `binsearch(mid, end)` for `binsearch(mid + 1, end)`,
`d[j, k]` for `d[k, j]`, `lcs(a[1:], b)` for `lcs(a[1:], b[1:])`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from weakref import WeakKeyDictionary

import libcst as cst

from ..context import CandidateContext
from ..edits import ATOM, Edit, NotALiteral, fit, literal, literal_value
from ..scopes import known_type
from ..sites import Site, SiteIndex
from .bounds import REVERSIBLE_TYPES, shift_at

# Calls whose arguments are not the integers an index shift is about: sequences,
# objects and text (`print(n + 1)` is never the fix), plus `range`, whose
# bounds the off-by-one mutator already shifts.
_NOT_INDEX_ARGUMENTS = frozenset(
    {
        "range",
        "len",
        "print",
        "str",
        "repr",
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "sorted",
        "reversed",
        "enumerate",
        "zip",
        "map",
        "filter",
        "isinstance",
        "sum",
        "any",
        "all",
        "iter",
        "next",
        "type",
        "float",
        "bool",
    }
)
# Calls that take numbers: a slice of their argument would not even run.
_NUMBER_FUNCTIONS = frozenset(
    {"range", "int", "float", "abs", "chr", "round", "divmod", "pow", "bool", "isinstance"}
)
_INDEX_ARITHMETIC = (cst.Add, cst.Subtract, cst.Multiply, cst.FloorDivide, cst.Modulo)
# Elements beyond three make transpositions many and the swapped-pair bug rare.
_MAX_SWAPPED = 3


def _function_name(call: cst.Call) -> str | None:
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    return None


def _usage(index: SiteIndex) -> dict[tuple[str, str], str]:
    """(function, name) -> "int" or "sequence", from how the indexed code uses the name.

    Without a trace most variables have no visible type; being subscripted,
    measured or iterated makes a name a sequence, and indexing something makes
    it an int, which is enough to keep `xs + 1` and `i[1:]` out of the stream.
    """
    known = _USAGE.get(index)
    if known is not None:
        return known
    seen: dict[tuple[str, str], set[str]] = {}

    def note(function: str, node: cst.CSTNode, use: str) -> None:
        if isinstance(node, cst.Name):
            seen.setdefault((function, node.value), set()).add(use)

    for site in index.sites.values():
        node = site.node
        if isinstance(node, cst.Subscript):
            note(site.function, node.value, "sequence")
            for value in _elements(node) or ():
                note(site.function, value, "int")
        elif isinstance(node, cst.Call) and _function_name(node) == "len" and node.args:
            note(site.function, node.args[0].value, "sequence")
        elif isinstance(node, cst.For):
            note(site.function, node.iter, "sequence")
    # A name used both ways is left unknown rather than guessed.
    usage = {key: uses.pop() for key, uses in seen.items() if len(uses) == 1}
    _USAGE[index] = usage
    return usage


_USAGE: WeakKeyDictionary[SiteIndex, dict[tuple[str, str], str]] = WeakKeyDictionary()


def _local_type(
    name: str, site: Site, index: SiteIndex, context: CandidateContext
) -> tuple[bool, str | None]:
    """Whether `name` is the function's own variable, and its type if known or evident
    from its use."""
    scope = index.scopes.get(site.function)
    if scope is None or (name not in scope.locals and name not in scope.params):
        return False, None
    observed = context.observed_types.get(site.function, {})
    known = known_type(scope, observed, name)
    return True, known or _usage(index).get((site.function, name))


def _intish(
    expr: cst.BaseExpression, site: Site, index: SiteIndex, context: CandidateContext
) -> bool:
    """Whether `expr` may be an integer index: a variable of int or unknown type, or
    arithmetic on such variables and integer literals."""
    if isinstance(expr, cst.Name):
        local, known = _local_type(expr.value, site, index, context)
        return local and known in (None, "int")
    if isinstance(expr, cst.Integer):
        return True
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, _INDEX_ARITHMETIC):
        return _intish(expr.left, site, index, context) and _intish(
            expr.right, site, index, context
        )
    return False


def _shift_candidate(
    expr: cst.BaseExpression, site: Site, index: SiteIndex, context: CandidateContext
) -> bool:
    # Literals are the constant mutator's, and `n ± k` already gets `n ± (k ± 1)`
    # from the offset shift, which is the same edit written better.
    if literal_value(expr) is not NotALiteral:
        return False
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.right, cst.Integer):
        return False
    return _intish(expr, site, index, context)


def _elements(node: cst.Subscript) -> list[cst.BaseExpression] | None:
    """The index expressions of `d[a, b]`, or None if any element is a slice or starred."""
    values = []
    for element in node.slice:
        piece = element.slice
        if not isinstance(piece, cst.Index) or piece.star is not None:
            return None
        values.append(piece.value)
    return values


def index_shift(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`d[i, j]` → `d[i, j - 1]`, `f(mid, end)` → `f(mid + 1, end)`."""
    node = site.node
    if isinstance(node, cst.Subscript) and len(node.slice) > 1:
        # One-element subscripts are the off-by-one mutator's index shift.
        for value in _elements(node) or ():
            if _shift_candidate(value, site, index, context):
                yield from shift_at(index, value, (-1, 1), "index-shift")
    elif isinstance(node, cst.Call) and _function_name(node) not in _NOT_INDEX_ARGUMENTS:
        for arg in node.args:
            if not arg.star and _shift_candidate(arg.value, site, index, context):
                yield from shift_at(index, arg.value, (1, -1), "index-shift")


def _transpositions(count: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(count) for j in range(i + 1, count)]


def swap_elements(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`d[j, k]` → `d[k, j]`, `(a, b)` → `(b, a)`, `[x, y, z]` → `[z, y, x]`, ..."""
    node = site.node
    if isinstance(node, cst.Subscript) and 2 <= len(node.slice) <= _MAX_SWAPPED:
        values = _elements(node)
        if values is None:
            return
        elements = list(node.slice)
        for i, j in _transpositions(len(elements)):
            if index.code(values[i]) == index.code(values[j]):
                continue
            swapped = list(elements)
            swapped[i] = elements[i].with_changes(slice=elements[j].slice)
            swapped[j] = elements[j].with_changes(slice=elements[i].slice)
            yield index.replace(site, node.with_changes(slice=swapped), "swap-elements")
    elif isinstance(node, (cst.Tuple, cst.List)) and 2 <= len(node.elements) <= _MAX_SWAPPED:
        if isinstance(site.parent, cst.ExceptHandler):
            return  # the order of caught exceptions means nothing
        items = list(node.elements)
        if not all(isinstance(item, cst.Element) for item in items):
            return  # `*rest` cannot move without changing what it unpacks
        for i, j in _transpositions(len(items)):
            if index.code(items[i].value) == index.code(items[j].value):
                continue
            reordered = list(items)
            reordered[i] = items[i].with_changes(value=items[j].value)
            reordered[j] = items[j].with_changes(value=items[i].value)
            yield index.replace(site, node.with_changes(elements=reordered), "swap-elements")


_SLICEABLE = (REVERSIBLE_TYPES - {"deque"}) | {"sequence"}
# The tail or the front of a sequence: the two slices a recursion on a shorter
# sequence, or a result one element too long, is missing.
_Bounds = tuple[cst.BaseExpression | None, cst.BaseExpression | None]
_ADDED_SLICES: tuple[_Bounds, ...] = ((literal(1), None), (None, literal(-1)))


def _sliceable(
    expr: cst.BaseExpression, site: Site, index: SiteIndex, context: CandidateContext
) -> bool:
    if not isinstance(expr, cst.Name):
        return False
    local, known = _local_type(expr.value, site, index, context)
    return local and (known is None or known in _SLICEABLE)


def _sliced(
    index: SiteIndex, node: cst.BaseExpression, bounds: Sequence[_Bounds]
) -> Iterator[Edit]:
    site = index.site_of(node)
    if site is None:
        return
    for lower, upper in bounds:
        piece = cst.SubscriptElement(cst.Slice(lower=lower, upper=upper))
        yield index.replace(site, cst.Subscript(value=fit(node, ATOM), slice=[piece]), "add-slice")


def add_slice(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`f(a[1:], b)` → `f(a[1:], b[1:])`, `return b` → `return b[:-1]`."""
    node = site.node
    if isinstance(node, cst.Call) and _function_name(node) not in _NUMBER_FUNCTIONS:
        for arg in node.args:
            if not arg.star and _sliceable(arg.value, site, index, context):
                yield from _sliced(index, arg.value, _ADDED_SLICES)
    elif (
        isinstance(node, cst.Name)
        and isinstance(site.parent, cst.Return)
        and _sliceable(node, site, index, context)
    ):
        yield from _sliced(index, node, _ADDED_SLICES)


MUTATORS = (index_shift, swap_elements, add_slice)
