"""Call edits: a sibling function or method, `abs`/`reversed` added or removed, swapped args,
and an optional argument dropped."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import permutations

import libcst as cst

from ..context import CandidateContext
from ..edits import Edit, deletion_summary, literal, literal_value
from ..scopes import known_type
from ..sites import Site, SiteIndex

# Functions and methods that are easily confused with each other.
_FUNCTION_GROUPS: tuple[tuple[str, ...], ...] = (
    ("min", "max"),
    ("any", "all"),
    ("floor", "ceil", "round", "int"),
)
_METHOD_GROUPS: tuple[tuple[str, ...], ...] = (
    ("append", "extend"),
    ("lower", "upper", "swapcase", "title", "capitalize"),
    ("strip", "lstrip", "rstrip"),
    ("keys", "values", "items"),
    ("find", "rfind", "index"),
    ("split", "rsplit"),
    ("isupper", "islower"),
    ("startswith", "endswith"),
    ("remove", "discard"),
    ("floor", "ceil"),  # math.floor / math.ceil
)
_ROUNDING_BUILTINS = ("round", "int")


def _siblings(name: str, groups: Sequence[tuple[str, ...]]) -> list[str]:
    return [other for group in groups if name in group for other in group if other != name]


def _call_of(function: str, *args: cst.BaseExpression | cst.Arg) -> cst.Call:
    return cst.Call(
        func=cst.Name(function),
        args=_with_comma([a if isinstance(a, cst.Arg) else cst.Arg(a) for a in args]),
    )


def _with_comma(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """The arguments separated by `, ` (libcst leaves the separators to us)."""
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [a.with_changes(comma=comma) for a in args[:-1]] + [
        args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    ]


def _reverse_toggled(node: cst.Call) -> cst.Call:
    kept = [a for a in node.args if not (a.keyword and a.keyword.value == "reverse")]
    if len(kept) == len(node.args):
        kept.append(
            cst.Arg(
                literal(True),
                keyword=cst.Name("reverse"),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
            )
        )
    return node.with_changes(args=_with_comma(kept) if kept else [])


def _sibling_calls(node: cst.Call, site: Site) -> Iterator[cst.BaseExpression]:
    func = node.func
    args = node.args
    if isinstance(func, cst.Name):
        for other in _siblings(func.value, _FUNCTION_GROUPS):
            yield node.with_changes(func=func.with_changes(value=other))
        if func.value == "sorted":
            yield _reverse_toggled(node)
        if func.value in ("reversed", "abs") and len(args) == 1 and not args[0].keyword:
            yield args[0].value
        return
    if not isinstance(func, cst.Attribute):
        return
    method = func.attr.value
    for other in _siblings(method, _METHOD_GROUPS):
        yield node.with_changes(func=func.with_changes(attr=cst.Name(other)))
    if method in ("floor", "ceil") and isinstance(func.value, cst.Name):
        for builtin in _ROUNDING_BUILTINS:
            yield node.with_changes(func=cst.Name(builtin))
    if method == "sort":
        if not isinstance(site.parent, cst.Expr):  # the result is used: sorted() was meant
            yield _call_of("sorted", func.value, *node.args)
        yield _reverse_toggled(node)
    elif method == "pop":
        if not args:
            yield node.with_changes(args=[cst.Arg(literal(0))])
        elif len(args) == 1 and literal_value(args[0].value) == 0:
            yield node.with_changes(args=[])
    elif method == "insert" and len(args) == 2 and literal_value(args[0].value) == 0:
        yield node.with_changes(func=func.with_changes(attr=cst.Name("append")), args=[args[1]])
    elif method == "append" and len(args) == 1:
        yield node.with_changes(
            func=func.with_changes(attr=cst.Name("insert")),
            args=_with_comma([cst.Arg(literal(0)), args[0]]),
        )


def _wrap_target(site: Site) -> str | None:
    """The function worth wrapping around this expression, if any."""
    parent = site.parent
    node = site.node
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
        return "reversed"
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract):
        return "abs"  # a distance computed as a difference
    if isinstance(parent, cst.Return) and isinstance(node, cst.Name):
        return "abs"
    return None


def call_swap(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    if isinstance(node, cst.Call):
        for new in _sibling_calls(node, site):
            yield index.replace(site, new, "call-swap")
    wrapper = _wrap_target(site)
    if wrapper == "abs" and isinstance(node, cst.Name):
        observed = context.observed_types.get(site.function, {})
        known = known_type(index.scopes.get(site.function), observed, node.value)
        if known is not None and known not in ("int", "float", "complex"):
            wrapper = None
    if wrapper is not None:
        # An argument may already be inside the wrapper; `abs(abs(x))` is never the fix.
        already = isinstance(site.parent, cst.Arg) or (
            isinstance(node, cst.Call) and _is_call_to(node, wrapper)
        )
        if not already:
            assert isinstance(node, cst.BaseExpression)
            inner = node.with_changes(lpar=(), rpar=()) if node.lpar else node
            yield index.replace(site, _call_of(wrapper, inner), "call-swap")


def _is_call_to(node: cst.Call, name: str) -> bool:
    return isinstance(node.func, cst.Name) and node.func.value == name


def swap_args(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    if not isinstance(node, cst.Call) or not 2 <= len(node.args) <= 3:
        return
    args = node.args
    if any(a.keyword is not None or a.star for a in args):
        return
    if _is_call_to(node, "range") and len(args) == 2:
        return  # `range(n, 1)` is empty; reversing a range needs a step too
    texts = [index.code(a.value) for a in args]
    # Single transpositions first: two arguments in the wrong order is the usual slip.
    orders = sorted(
        (p for p in permutations(range(len(args))) if list(p) != sorted(p)),
        key=lambda p: sum(i != j for i, j in enumerate(p)),
    )
    for order in orders:
        if [texts[j] for j in order] == texts:
            continue
        new_args = [args[i].with_changes(value=args[j].value) for i, j in enumerate(order)]
        yield index.replace(site, node.with_changes(args=new_args), "swap-args")


# Calls whose last positional argument has a default, so that dropping a wrong
# one still calls the same thing: `round(x, 2)`, `int(s, 2)`, `enumerate(xs, 1)`,
# `d.get(k, 0)`, `s.split(",")`. The number is how many positional arguments
# must stay. `range` is the off-by-one mutator's, `pop` the sibling calls'.
_OPTIONAL_LAST: dict[str, int] = {
    "round": 1,
    "int": 1,
    "enumerate": 1,
    "sum": 1,
    "pow": 2,
    "get": 1,
    "find": 1,
    "rfind": 1,
    "index": 1,
    "count": 1,
    "startswith": 1,
    "endswith": 1,
    "replace": 2,
    "split": 0,
    "rsplit": 0,
    "strip": 0,
    "lstrip": 0,
    "rstrip": 0,
}


def _without(args: Sequence[cst.Arg], dropped: int) -> list[cst.Arg]:
    kept = [arg for i, arg in enumerate(args) if i != dropped]
    if dropped == len(args) - 1 and kept:
        kept[-1] = kept[-1].with_changes(comma=args[dropped].comma)
    return kept


def drop_argument(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    """`round(x, 2)` → `round(x)`, `sorted(xs, key=f)` → `sorted(xs)`: a wrong argument."""
    node = site.node
    if not isinstance(node, cst.Call) or not node.args:
        return
    func = node.func
    name = func.value if isinstance(func, cst.Name) else None
    if isinstance(func, cst.Attribute):
        name = func.attr.value
    args = node.args
    positional = [i for i, arg in enumerate(args) if arg.keyword is None and not arg.star]
    dropped: list[int] = []
    if (
        name in _OPTIONAL_LAST
        and positional
        and positional[-1] == len(positional) - 1  # positional arguments come first
        and len(positional) > _OPTIONAL_LAST[name]
    ):
        dropped.append(positional[-1])
    # A keyword argument is optional wherever the callee has a default for it.
    dropped += [i for i, arg in enumerate(args) if arg.keyword is not None]
    for i in dropped:
        new = node.with_changes(args=_without(args, i))
        yield index.replace(site, new, "delete-term", describe=deletion_summary)


MUTATORS = (call_swap, swap_args, drop_argument)
