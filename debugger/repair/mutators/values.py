"""Value edits: a sibling attribute, a call unwrapped to its argument, a different
starting collection, and `+=` that should have prepended.

Each reaches a wrong value that no operator, constant or variable swap can:
`node.outgoing_nodes` for `node.incoming_nodes`, `yield flatten(x)` for
`yield x`, `return []` for `return [n]` or `[[]]`, `acc += d` for `acc = d + acc`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from difflib import SequenceMatcher
from functools import lru_cache

import libcst as cst

from ..context import CandidateContext
from ..edits import ADDITIVE, Edit, fit, parenthesize
from ..sites import Site, SiteIndex
from .operators import CONCATENATED, operand_type, plain_assignment

# A wrong attribute is almost always a near namesake (`successors` for
# `predecessors`); the rest of a file's attributes would only dilute.
MAX_ATTRIBUTES = 6
# Parameters and locals a one-element collection may have been meant to hold.
MAX_COLLECTED_NAMES = 4
# More arguments than this and the call is not a wrapper put in by mistake.
_MAX_UNWRAPPED_ARGS = 3
# Builtins whose result is a different kind of thing from their arguments
# (`for i in range(n)` → `for i in n`, `len(xs)` → `xs`): never the fix.
_NOT_UNWRAPPED = frozenset(
    {
        "abs",  # the call swap already unwraps these two
        "reversed",
        "range",
        "len",
        "isinstance",
        "enumerate",
        "zip",
        "map",
        "filter",
        "type",
        "id",
        "hash",
        "iter",
        "next",
        "print",
        "input",
        "open",
    }
)


@lru_cache(maxsize=16)
def data_attributes(source: str) -> tuple[str, ...]:
    """Attribute names the module reads or writes without calling them, in order of
    first use. Methods are left to the call mutators' groups, attributes of imported
    modules (`math.pi`) and dunders to nobody: none is a field mixed up with another.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    modules: set[str] = set()
    called: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Call):
            called.add(id(node.func))
    first_use: dict[str, tuple[int, int]] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and id(node) not in called
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id in modules)
        ):
            where = (node.lineno, node.col_offset)
            first_use[node.attr] = min(first_use.get(node.attr, where), where)
    return tuple(sorted(first_use, key=first_use.__getitem__))


def attribute(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`node.outgoing_nodes` → `node.incoming_nodes`: another field used in the file."""
    node = site.node
    if not isinstance(node, cst.Attribute):
        return
    parent = site.parent
    if isinstance(parent, cst.Call) and parent.func is node:
        return
    owner = node.value
    if isinstance(owner, cst.Name):
        # A module, class or global is not one of the objects whose fields mix up.
        scope = index.scopes.get(site.function)
        if scope is None or (owner.value not in scope.locals and owner.value not in scope.params):
            return
    name = node.attr.value
    others = [other for other in data_attributes(index.source) if other != name]
    # Most similar first; `sorted` is stable, so ties keep the order of first use.
    others.sort(key=lambda other: -SequenceMatcher(None, name, other).ratio())
    for other in others[:MAX_ATTRIBUTES]:
        yield index.replace(site, node.with_changes(attr=cst.Name(other)), "attribute")


def unwrap_call(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`yield flatten(x)` → `yield x`: a call that should not be there."""
    node = site.node
    if not isinstance(node, cst.Call) or isinstance(site.parent, cst.Expr):
        return  # a call made for its effect: dropping it is deleting the statement
    func = node.func
    if isinstance(func, cst.Name) and func.value in _NOT_UNWRAPPED:
        return
    if not 1 <= len(node.args) <= _MAX_UNWRAPPED_ARGS:
        return
    for arg in node.args:
        if arg.keyword is not None or arg.star:
            continue
        value = arg.value
        # A bare generator borrows the call's parentheses, and a multi-line
        # argument its line breaks' brackets; `:=` needs its own almost anywhere.
        if not value.lpar and (
            isinstance(value, (cst.GeneratorExp, cst.NamedExpr))
            or (site.end_line > site.line and "\n" in index.code(value))
        ):
            value = parenthesize(value)
        yield index.replace(site, value, "unwrap-call")


def _collected_names(index: SiteIndex, site: Site) -> list[str]:
    """Parameters, then locals bound before `site` (latest first), for `[]` → `[n]`."""
    scope = index.scopes.get(site.function)
    if scope is None:
        return []
    before = sorted(
        (n for n, line in scope.locals.items() if line < site.line and n not in scope.params),
        key=lambda n: -scope.locals[n],
    )
    return (scope.params + before)[:MAX_COLLECTED_NAMES]


def collection(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`return []` → `return [[]]` / `return [n]`; likewise `acc = []`."""
    node = site.node
    parent = site.parent
    if not isinstance(node, cst.List) or node.elements:
        return
    if not isinstance(parent, (cst.Return, cst.Assign)) or parent.value is not node:
        return
    # The base case of a recursion over subsets or sequences: one empty result.
    yield index.replace(site, node.with_changes(elements=[cst.Element(cst.List([]))]), "collection")
    for name in _collected_names(index, site):
        yield index.replace(
            site, node.with_changes(elements=[cst.Element(cst.Name(name))]), "collection"
        )


def prepend(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`acc += x` → `acc = x + acc`: built back to front, as digits or reversed words are."""
    node = site.node
    if not isinstance(node, cst.AugAssign) or not isinstance(node.operator, cst.AddAssign):
        return
    for operand in (node.target, node.value):
        shape = operand_type(operand, site, index, context)
        if shape is not None and shape not in CONCATENATED:
            return  # numbers add the same either way round
    value = cst.BinaryOperation(
        left=fit(node.value, ADDITIVE), operator=cst.Add(), right=fit(node.target, ADDITIVE + 1)
    )
    yield index.replace(site, plain_assignment(node, value), "prepend")


MUTATORS = (attribute, unwrap_call, collection, prepend)
