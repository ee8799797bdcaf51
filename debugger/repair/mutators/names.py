"""Variable edits: a local or parameter used where another of the same type was meant."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from ..context import CandidateContext
from ..edits import Edit
from ..scopes import Scope
from ..sites import Site, SiteIndex

# Every variable at a site multiplies the candidates; a wrong variable is
# almost always one of the few of the same type, so more would only dilute.
MAX_REPLACEMENTS = 8


def replacement_names(name: str, line: int, scope: Scope, observed: dict[str, str]) -> list[str]:
    """Names that could stand for `name` at `line`, the most plausible first.

    With trace types, only names of the same observed type. Without, names of
    the same statically evident type, then names whose type is unknown on one
    side (a parameter without annotation may well be the int we want).
    """

    def type_of(n: str) -> str | None:
        return observed.get(n) or scope.shapes.get(n)

    wanted = type_of(name)
    exact: list[str] = []
    unknown: list[str] = []
    for other in scope.names():
        if other == name:
            continue
        if name in observed:
            if observed.get(other) == observed[name]:
                exact.append(other)
            continue
        theirs = type_of(other)
        if wanted is not None and theirs is not None:
            if wanted == theirs:
                exact.append(other)
        else:
            unknown.append(other)

    # Among equals, names bound before the site come first: they hold a value there.
    def defined_later(n: str) -> bool:
        return n not in scope.params and scope.locals.get(n, 0) > line

    exact.sort(key=defined_later)
    unknown.sort(key=defined_later)
    return (exact + unknown)[:MAX_REPLACEMENTS]


def variable(site: Site, index: SiteIndex, context: CandidateContext) -> Iterator[Edit]:
    node = site.node
    if not isinstance(node, cst.Name) or not site.is_load:
        return
    scope = index.scopes.get(site.function)
    if scope is None or (node.value not in scope.locals and node.value not in scope.params):
        return
    observed = context.observed_types.get(site.function, {})
    for other in replacement_names(node.value, site.line, scope, observed):
        yield index.replace(site, node.with_changes(value=other), "variable")


MUTATORS = (variable,)
