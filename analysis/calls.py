"""Call edges: which in-file functions (and which imported names) each function calls.

One tree-sitter query finds every call in the file in C; each is then placed in
the innermost function whose body holds it (a bisect over body offsets) and its
name is resolved the way Python would: enclosing function scopes, then the
module; `self.m()`/`cls.m()`/`super().m()` through the class and its in-file bases.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from tree_sitter import Node, Query, QueryCursor

from .definitions import ClassSite, Definitions, DefSite
from .imports import CallSite, ImportBinding
from .parsing import ParsedSource, python_language

_CALLS = """
(call function: (identifier) @plain)
(call function: (attribute object: (identifier) @object attribute: (identifier) @method))
(call function: (attribute
    object: (call function: (identifier) @super arguments: (argument_list))
    attribute: (identifier) @super_method))
"""
# Deep or cyclic (`class A(B)`, `class B(A)`) hierarchies must not hang lookup.
_MAX_BASE_DEPTH = 20


@cache
def _call_query() -> Query:
    return Query(python_language(), _CALLS)


@dataclass
class CallEdges:
    """Per function qualname: in-file callees, and imported dotted names it calls."""

    local: dict[str, list[str]] = field(default_factory=dict)
    imported: dict[str, list[str]] = field(default_factory=dict)
    sites: dict[str, CallSite] = field(default_factory=dict)  # first call of each dotted name


def find_calls(
    parsed: ParsedSource, definitions: Definitions, bindings: dict[str, ImportBinding]
) -> CallEdges:
    resolver = _Resolver(definitions, bindings)
    edges = CallEdges()
    for _, captures in QueryCursor(_call_query()).matches(parsed.tree.root_node):
        name_node = _first(captures, "plain", "method", "super_method")
        site = resolver.innermost(name_node.start_byte)
        if site is None:
            continue  # module-level code is not a function's behaviour
        qualname = site.info.qualname
        if "plain" in captures:
            local, dotted = resolver.plain(site, parsed.text(name_node))
        elif "super" in captures:
            if parsed.text(captures["super"][0]) != "super":
                continue
            local, dotted = resolver.super_method(site, parsed.text(name_node)), None
        else:
            obj = parsed.text(captures["object"][0])
            local, dotted = resolver.attribute(site, obj, parsed.text(name_node))
        if local is not None:
            _append_once(edges.local.setdefault(qualname, []), local)
        elif dotted is not None:
            _append_once(edges.imported.setdefault(qualname, []), dotted)
            if dotted not in edges.sites:
                row, column = name_node.start_point
                edges.sites[dotted] = CallSite(row + 1, parsed.column(row, column))
    return edges


def _first(captures: dict[str, list[Node]], *names: str) -> Node:
    return next(captures[name][0] for name in names if name in captures)


def _append_once(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


class _Resolver:
    def __init__(self, definitions: Definitions, bindings: dict[str, ImportBinding]) -> None:
        self.definitions = definitions
        self.bindings = bindings
        self.by_start = sorted(definitions.sites, key=lambda s: s.body_start)
        self.starts = [site.body_start for site in self.by_start]
        self.sites = {site.info.qualname: site for site in definitions.sites}
        self.classes = {c.qualname: c for c in definitions.classes.values()}

    def innermost(self, offset: int) -> DefSite | None:
        # Bodies nest or are disjoint, so the function containing `offset` is
        # the last one starting before it or one of that one's ancestors.
        index = bisect_right(self.starts, offset) - 1
        site = self.by_start[index] if index >= 0 else None
        while site is not None and not site.body_start <= offset < site.body_end:
            site = site.enclosing
        return site

    def _scopes(self, site: DefSite | None) -> Iterator[str]:
        while site is not None:
            yield site.info.qualname
            site = site.enclosing
        yield ""

    def plain(self, site: DefSite, name: str) -> tuple[str | None, str | None]:
        for scope in self._scopes(site):
            function = self.definitions.functions.get((scope, name))
            if function is not None:
                return function, None
            class_site = self.definitions.classes.get((scope, name))
            if class_site is not None:
                return self.method(class_site, "__init__"), None
        binding = self.bindings.get(name)
        if binding is not None and not binding.is_module:
            return None, binding.target
        return None, None

    def attribute(self, site: DefSite, obj: str, name: str) -> tuple[str | None, str | None]:
        if obj in ("self", "cls") and site.self_class in self.classes:
            return self.method(self.classes[site.self_class], name), None
        class_site = self.visible_class(site, obj)
        if class_site is not None:
            return self.method(class_site, name), None
        binding = self.bindings.get(obj)
        if binding is not None and binding.is_module:
            return None, f"{binding.target}.{name}"
        return None, None

    def super_method(self, site: DefSite, name: str) -> str | None:
        class_site = self.classes.get(site.self_class or "")
        if class_site is None:
            return None
        for base in self.bases(class_site):
            found = self.method(base, name)
            if found is not None:
                return found
        return None

    def visible_class(self, site: DefSite | None, name: str) -> ClassSite | None:
        for scope in self._scopes(site):
            class_site = self.definitions.classes.get((scope, name))
            if class_site is not None:
                return class_site
        return None

    def bases(self, class_site: ClassSite) -> list[ClassSite]:
        scope_site = self.sites.get(class_site.scope)
        found = (self.visible_class(scope_site, base) for base in class_site.bases)
        return [base for base in found if base is not None]

    def method(self, class_site: ClassSite, name: str, depth: int = 0) -> str | None:
        """`name` as found on `class_site` or, depth first like simple MRO, its bases."""
        if name in class_site.methods:
            return class_site.methods[name]
        if depth >= _MAX_BASE_DEPTH:
            return None
        for base in self.bases(class_site):
            found = self.method(base, name, depth + 1)
            if found is not None:
                return found
        return None
