"""Find every function and class definition in a tree, with the scopes names resolve in.

One tree-sitter query finds the definitions in C; their nesting then follows
from byte ranges with a stack, so no Python code walks the tree itself.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache

from tree_sitter import Node, Query, QueryCursor

from .blocks import end_line, start_line, statements
from .model import FunctionInfo
from .parsing import ParsedSource, python_language

_DEFINITIONS = """
(function_definition) @definition
(class_definition) @definition
(decorated_definition) @decorated
(import_statement) @import
(import_from_statement) @import
"""


@cache
def _definition_query() -> Query:
    return Query(python_language(), _DEFINITIONS)


@dataclass
class DefSite:
    """A function's FunctionInfo with the tree facts that call resolution needs."""

    info: FunctionInfo
    node: Node
    body_start: int  # byte offsets of the body: calls inside belong to this function
    body_end: int
    enclosing: DefSite | None  # innermost function containing this one
    self_class: str | None  # class whose methods `self.x()` / `cls.x()` name here


@dataclass
class ClassSite:
    qualname: str
    scope: str  # qualname of the function it is defined in, "" at module level
    bases: list[str]
    methods: dict[str, str] = field(default_factory=dict)  # name -> method qualname


@dataclass
class Definitions:
    """Everything defined in a file, keyed for name lookup by (scope, name)."""

    sites: list[DefSite] = field(default_factory=list)
    functions: dict[tuple[str, str], str] = field(default_factory=dict)
    classes: dict[tuple[str, str], ClassSite] = field(default_factory=dict)
    imports: list[Node] = field(default_factory=list)


@dataclass
class _Context:
    """What a definition inside another one inherits from it."""

    end_byte: int  # where the outer definition ends
    prefix: str  # qualname prefix of definitions found inside
    enclosing: DefSite | None
    class_site: ClassSite | None  # set while directly inside a class body
    broken: bool = False  # inside a function with a syntax error


def collect_definitions(parsed: ParsedSource) -> Definitions:
    found = Definitions()
    captures = QueryCursor(_definition_query()).captures(parsed.tree.root_node)
    found.imports = sorted(captures.get("import", []), key=lambda n: n.start_byte)
    decorators: dict[int, list[Node]] = {}
    for decorated in captures.get("decorated", []):
        target = decorated.child_by_field_name("definition")
        if target is not None:
            decorators[target.start_byte] = [
                d for d in decorated.named_children if d.type == "decorator"
            ]
    module = _Context(len(parsed.data) + 1, "", None, None)
    stack = [module]
    for node in sorted(captures.get("definition", []), key=lambda n: n.start_byte):
        while stack[-1].end_byte <= node.start_byte:
            stack.pop()
        context = stack[-1]
        broken = context.broken or (node.type == "function_definition" and node.has_error)
        if broken:
            # Only definitions that parse cleanly are analysed, and nothing
            # inside a broken function (its parent would be missing).
            stack.append(_Context(node.end_byte, "", None, None, broken=True))
        elif node.type == "function_definition":
            site = _function(parsed, node, decorators.get(node.start_byte, []), context)
            found.sites.append(site)
            if context.class_site is not None:
                context.class_site.methods[site.info.name] = site.info.qualname
            else:
                scope = context.enclosing.info.qualname if context.enclosing else ""
                found.functions[(scope, site.info.name)] = site.info.qualname
            stack.append(_Context(node.end_byte, site.info.qualname, site, None))
        else:
            class_site = _class(parsed, node, context)
            found.classes[(class_site.scope, _name(parsed, node))] = class_site
            stack.append(
                _Context(node.end_byte, class_site.qualname, context.enclosing, class_site)
            )
    return found


def _name(parsed: ParsedSource, node: Node) -> str:
    name = node.child_by_field_name("name")
    return parsed.text(name) if name is not None else "<anonymous>"


def _qualify(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _class(parsed: ParsedSource, node: Node, context: _Context) -> ClassSite:
    arguments = node.child_by_field_name("superclasses")
    bases = [
        parsed.text(arg)
        for arg in (arguments.named_children if arguments is not None else [])
        if arg.type in ("identifier", "attribute")
    ]
    scope = context.enclosing.info.qualname if context.enclosing else ""
    return ClassSite(_qualify(context.prefix, _name(parsed, node)), scope, bases)


def _function(
    parsed: ParsedSource, node: Node, decorators: list[Node], context: _Context
) -> DefSite:
    name = _name(parsed, node)
    body = node.child_by_field_name("body")
    body_statements = statements(body)
    parameters = node.child_by_field_name("parameters")
    docstring = _docstring(parsed, body_statements[0]) if body_statements else None
    class_site = context.class_site
    enclosing = context.enclosing
    info = FunctionInfo(
        qualname=_qualify(context.prefix, name),
        name=name,
        line=start_line(node),
        end_line=end_line(node),
        body_line=start_line(body_statements[0]) if body_statements else start_line(node),
        params=_param_names(parsed, parameters),
        docstring=docstring.text if docstring else None,
        docstring_line=docstring.line if docstring else None,
        class_name=class_site.qualname if class_site else None,
        parent=enclosing.info.qualname if enclosing else None,
        is_async=any(child.type == "async" for child in node.children),
        decorators=[parsed.text(d).lstrip("@").strip() for d in decorators],
        signature=parsed.text(parameters) if parameters is not None else "()",
        docstring_end_line=docstring.end_line if docstring else None,
        docstring_text_line=docstring.text_line if docstring else None,
    )
    body_range = body if body is not None else node
    return DefSite(
        info=info,
        node=node,
        body_start=body_range.start_byte,
        body_end=body_range.end_byte,
        enclosing=enclosing,
        self_class=class_site.qualname
        if class_site
        else enclosing.self_class
        if enclosing
        else None,
    )


def _param_names(parsed: ParsedSource, parameters: Node | None) -> list[str]:
    """Parameter names without annotations, defaults or `*`/`**` (see `signature`)."""
    names: list[str] = []
    for param in parameters.named_children if parameters is not None else []:
        target = param.child_by_field_name("name") or param
        # `*args: int` nests the splat inside a typed parameter.
        while target.type != "identifier" and target.named_children:
            target = target.named_children[0]
        if target.type == "identifier":
            names.append(parsed.text(target))
    return names


@dataclass
class _Docstring:
    text: str
    line: int
    end_line: int
    text_line: int


def _docstring(parsed: ParsedSource, first: Node) -> _Docstring | None:
    if first.type != "expression_statement" or first.named_child_count != 1:
        return None
    literal = first.named_children[0]
    if literal.type not in ("string", "concatenated_string"):
        return None
    try:
        value = ast.literal_eval(parsed.text(literal))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None  # f-strings are not docstrings
    if not isinstance(value, str):
        return None  # nor are bytes
    text, skipped = clean_docstring(value)
    # The literal's opening quotes share the first text line; a backslash that
    # ends a line right after them (`"""\`) joins the next line to it, so the
    # value's first line is that many lines further down.
    joined = _LEADING_CONTINUATIONS.match(parsed.text(literal))
    extra = joined.group(2).count("\n") if joined and "r" not in joined.group(1).lower() else 0
    first_text = start_line(literal) + skipped + extra
    return _Docstring(text, start_line(literal), end_line(literal), first_text)


_LEADING_CONTINUATIONS = re.compile(r"([rRuU]*)(?:\"\"\"|\'\'\'|\"|\')((?:[ \t]*\\\n)*)")


def clean_docstring(raw: str) -> tuple[str, int]:
    """`inspect.cleandoc`'s result, and how many leading lines it dropped.

    Written out because the count maps a line of the cleaned text (a doctest
    example, say) back to its line in the file, and cleandoc does not report it.
    """
    lines = raw.expandtabs().split("\n")
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents, default=0)
    lines = [lines[0].lstrip()] + [line[margin:] for line in lines[1:]]
    skipped = 0
    while skipped < len(lines) and not lines[skipped]:
        skipped += 1
    kept = lines[skipped:]
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept), skipped
