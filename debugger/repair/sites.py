"""One pass over the parsed module: every editable node inside a function, by line.

A `Site` is a node with its text offsets, the precedence its position
requires, and the function it belongs to. Mutators look at sites and return
`Edit`s through `SiteIndex.replace` / `delete_lines` / `insert_line`, the only
places that turn nodes into text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from mgdebug.analysis.model import ModuleInfo

from .edits import (
    ATOM,
    BITOR,
    LOWEST,
    OR,
    Edit,
    TextEdit,
    fit,
    operand_precedences,
    parenthesize,
    replacement_summary,
    short,
)
from .scopes import Scope, bound_names, static_shape


@dataclass(eq=False)
class Site:
    node: cst.CSTNode
    start: int  # offsets into the source
    end: int
    line: int  # 1-based start line
    end_line: int
    column: int
    parent: cst.CSTNode | None
    min_precedence: int  # a replacement binding looser than this gets parentheses
    function: str  # qualname
    indent: str = ""  # indentation of the enclosing statement, for continuation lines
    in_fstring: bool = False
    is_load: bool = True  # False for names being bound, called, or used as attribute names


def _concrete(*bases: type) -> frozenset[type]:
    """Every concrete libcst class deriving from `bases` (for exact-type set lookups)."""
    found: set[type] = set()
    pending = list(bases)
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if not getattr(cls, "__abstractmethods__", None):
            found.add(cls)
    return frozenset(found)


_ANCHORS = _concrete(
    cst.SimpleStatementLine,
    cst.BaseCompoundStatement,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Else,
    cst.Finally,
)
_SUITES = _concrete(cst.BaseSuite)
_RECORDED = _concrete(
    cst.BaseExpression, cst.BaseSmallStatement, cst.SimpleStatementLine, cst.BaseCompoundStatement
)
# Types, decorators and imports are never the bug we can fix by a small edit.
_SKIPPED = frozenset(
    {cst.Annotation, cst.Decorator, cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal}
)
_BINDERS = frozenset(
    {
        cst.Assign,
        cst.AugAssign,
        cst.AnnAssign,
        cst.For,
        cst.WithItem,
        cst.NamedExpr,
        cst.ExceptHandler,
        cst.CompFor,
        cst.Lambda,
        cst.ClassDef,
        cst.Attribute,
        cst.Arg,
        cst.Call,
    }
)
_OPERAND_HOLDERS = frozenset(
    {
        cst.BinaryOperation,
        cst.BooleanOperation,
        cst.UnaryOperation,
        cst.Comparison,
        cst.Attribute,
        cst.Subscript,
        cst.Call,
        cst.Await,
        cst.IfExp,
        cst.CompIf,
        cst.CompFor,
    }
)


class SiteIndex:
    """The parsed module with its editable sites; built once per `generate_candidates` call."""

    def __init__(self, source: str, info: ModuleInfo, lines: Iterable[int] | None = None) -> None:
        """Index the top-level statements containing `lines` (all of them if None)."""
        self.source = source
        self.module = cst.parse_module(source)
        self.newline = self.module.default_newline
        self.line_starts = [0]
        for line in source.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))
        self.by_line: dict[int, list[Site]] = defaultdict(list)
        self.sites: dict[int, Site] = {}  # id(node) -> site
        self.scopes: dict[str, Scope] = {}
        self.docstrings: set[int] = set()  # ids of docstring statement lines
        self.function_bodies: set[int] = set()  # ids of the blocks that are function bodies
        wanted = None if lines is None else set(lines)
        # Positions cost a full code generation with bookkeeping, so they are only
        # computed for the top-level statements that hold a wanted line, each as a
        # module of its own whose line 1 is known from the code lengths before it.
        first_line = len(self.module.header) + 1
        for statement in self.module.body:
            line_count = self.module.code_for_node(statement).count("\n")
            last_line = first_line + line_count - 1
            if wanted is None or any(first_line <= line <= last_line for line in wanted):
                alone = self.module.with_changes(body=[statement], header=[], footer=[])
                positions = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
                alone.visit(_Collector(self, positions, info, first_line - 1))
            first_line = last_line + 1

    # --- lookups ---------------------------------------------------------------------

    def sites_at(self, line: int) -> list[Site]:
        return self.by_line.get(line, [])

    def site_of(self, node: cst.CSTNode) -> Site | None:
        return self.sites.get(id(node))

    def code(self, node: cst.CSTNode, indent: str = "") -> str:
        """The code of `node`; continuation lines are indented as inside a block at `indent`."""
        state = CodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            indent_tokens=[indent] if indent else [],
        )
        node._codegen(state)
        return "".join(state.tokens)

    def text(self, site: Site) -> str:
        return self.source[site.start : site.end]

    def offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def line_text(self, line: int) -> str:
        return self.source[self.line_starts[line - 1] : self.line_starts[line]]

    def indent(self, site: Site) -> str:
        return self.line_text(site.line)[: site.column]

    # --- the only places where edits become text -----------------------------------

    def replace(
        self,
        site: Site,
        new: cst.CSTNode,
        kind: str,
        summary: str | None = None,
        *,
        describe: Callable[[str, str, int], str] = replacement_summary,
    ) -> Edit:
        """Replace the node at `site` with `new` (parenthesized if its position needs it).

        `describe(old_text, new_text, line)` words the summary unless `summary` is given.
        """
        if isinstance(new, cst.BaseExpression):
            new = fit(new, site.min_precedence)
            # `1.real` reads as a float: an integer before an attribute needs parentheses.
            if (
                isinstance(new, cst.Integer)
                and not new.lpar
                and isinstance(site.parent, cst.Attribute)
                and site.parent.value is site.node
            ):
                new = parenthesize(new)
        old_text = self.text(site)
        new_text = self.code(new, site.indent)
        if (
            isinstance(new, cst.BaseExpression)
            and not new.lpar
            and getattr(site.node, "lpar", None)
            and ("\n" in new_text or "\r" in new_text)
        ):
            # The old node's parentheses held its line breaks; without them, or
            # enclosing brackets we cannot see from here, the code would not parse.
            new_text = self.code(parenthesize(new), site.indent)
        # `if(x)` → `ifnot (x)`, `return(x)` → `returnx`: where the old code's
        # parentheses separated it from a neighbouring word, a space must.
        if (
            new_text
            and _word_char(new_text[0])
            and _word_char(self.source[site.start - 1 : site.start])
        ):
            new_text = " " + new_text
        if (
            new_text
            and _word_char(new_text[-1])
            and _word_char(self.source[site.end : site.end + 1])
        ):
            new_text += " "
        return Edit(
            kind=kind,
            line=site.line,
            function=site.function,
            changes=(TextEdit(site.start, site.end, new_text),),
            summary=summary or describe(old_text, new_text, site.line),
            old=old_text,
            new=new_text,
        )

    def delete_lines(self, site: Site, kind: str) -> Edit:
        """Delete the whole physical lines of a statement, trailing comment included."""
        start = self.line_starts[site.line - 1]
        end = self.line_starts[min(site.end_line, len(self.line_starts) - 1)]
        old_text = self.text(site)
        where = (
            f"line {site.line}"
            if site.end_line == site.line
            else f"lines {site.line}–{site.end_line}"
        )
        return Edit(
            kind=kind,
            line=site.line,
            function=site.function,
            changes=(TextEdit(start, end, ""),),
            summary=f"delete {where} (`{short(old_text.splitlines()[0])}`)",
            old=old_text,
            new="",
        )

    def insert_line(
        self, after_line: int, indent: str, code: str, kind: str, function: str
    ) -> Edit:
        """Insert `code` as a new line after `after_line`, at the given indentation."""
        at = self.line_starts[min(after_line, len(self.line_starts) - 1)]
        text = indent + code + self.newline
        if at == len(self.source) and not self.source.endswith(("\n", "\r")):
            text = self.newline + indent + code
        return Edit(
            kind=kind,
            line=after_line + 1,
            function=function,
            changes=(TextEdit(at, at, text),),
            summary=f"insert `{code}` after line {after_line}",
            old="",
            new=code,
        )


def _word_char(text: str) -> bool:
    return len(text) == 1 and (text.isalnum() or text == "_")


class _Collector(cst.CSTVisitor):
    """Records sites, scopes, and what each operand position requires of a replacement."""

    def __init__(
        self,
        index: SiteIndex,
        positions: Mapping[cst.CSTNode, CodeRange],
        info: ModuleInfo,
        line_offset: int,
    ) -> None:
        super().__init__()
        self.index = index
        self.positions = positions
        self.line_offset = line_offset  # source line = line in the single-statement module + this
        self.info = info
        self.parents: list[cst.CSTNode] = []
        self.scopes: list[Scope] = []
        self.anchors: list[int | None] = []  # line of the enclosing statement or header
        self.not_loads: set[int] = set()
        self.min_precedence: dict[int, int] = {}
        self.fstrings = 0

    def position(self, node: cst.CSTNode) -> CodeRange:
        span = self.positions[node]
        if not self.line_offset:
            return span
        return CodeRange(
            (span.start.line + self.line_offset, span.start.column),
            (span.end.line + self.line_offset, span.end.column),
        )

    def on_visit(self, node: cst.CSTNode) -> bool:
        # Exact-type set lookups: isinstance on libcst's abstract bases dominates otherwise.
        kind = type(node)
        if kind is cst.FunctionDef:
            assert isinstance(node, cst.FunctionDef)
            self.enter_function(node)
        elif kind is cst.FormattedString:
            self.fstrings += 1
        scope = self.scopes[-1] if self.scopes else None
        # libcst calls on_leave even for skipped subtrees, so the stacks are pushed first.
        skip = kind in _SKIPPED or id(node) in self.index.docstrings
        if scope is not None and not skip:
            if kind in _BINDERS:
                self.note_bindings(node, scope)
            if kind in _OPERAND_HOLDERS:
                self.note_operand_needs(node)
            if kind in _RECORDED:
                self.record(node, scope)
        if kind in _ANCHORS:
            self.anchors.append(self.position(node).start.line)
        elif kind in _SUITES:
            self.anchors.append(None)
        self.parents.append(node)
        return not skip

    def on_leave(self, original_node: cst.CSTNode) -> None:
        kind = type(original_node)
        self.parents.pop()
        if kind in _ANCHORS or kind in _SUITES:
            self.anchors.pop()
        if kind is cst.FunctionDef and self.scopes:
            self.scopes.pop()
        elif kind is cst.FormattedString:
            self.fstrings -= 1

    def enter_function(self, node: cst.FunctionDef) -> None:
        def_line = self.position(node.name).start.line
        function = self.info.function_at(def_line)
        qualname = function.qualname if function is not None else ""
        scope = Scope(qualname)
        params = node.params
        for param in (
            *params.posonly_params,
            *params.params,
            *params.kwonly_params,
            *(p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)),
        ):
            scope.params.append(param.name.value)
            self.not_loads.add(id(param.name))
            shape = static_shape(param.annotation.annotation if param.annotation else None)
            shape = shape or static_shape(param.default)
            if shape:
                scope.shapes[param.name.value] = shape
        self.not_loads.add(id(node.name))
        body = node.body
        self.index.function_bodies.add(id(body))
        if isinstance(body, cst.IndentedBlock) and body.body:
            first = body.body[0]
            if (
                isinstance(first, cst.SimpleStatementLine)
                and len(first.body) == 1
                and isinstance(first.body[0], cst.Expr)
                and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
            ):
                self.index.docstrings.add(id(first))
        if qualname:
            self.index.scopes.setdefault(qualname, scope)
        self.scopes.append(scope)

    def note_bindings(self, node: cst.CSTNode, scope: Scope) -> None:
        """Mark names that are bound, called or attributes (never swapped as variables)."""
        line = self.position(node).start.line
        targets: list[tuple[cst.CSTNode, str | None]] = []
        if isinstance(node, cst.Assign):
            shape = static_shape(node.value)
            targets = [(t.target, shape) for t in node.targets]
        elif isinstance(node, cst.AugAssign):
            targets = [(node.target, None)]
        elif isinstance(node, cst.AnnAssign):
            targets = [(node.target, static_shape(node.annotation.annotation))]
        elif isinstance(node, cst.For):
            iterates_range = (
                isinstance(node.iter, cst.Call)
                and isinstance(node.iter.func, cst.Name)
                and node.iter.func.value == "range"
            )
            targets = [(node.target, "int" if iterates_range else None)]
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            targets = [(node.asname.name, None)]
        elif isinstance(node, cst.NamedExpr):
            targets = [(node.target, static_shape(node.value))]
        elif isinstance(node, cst.ExceptHandler) and node.name is not None:
            targets = [(node.name.name, None)]
        elif isinstance(node, cst.CompFor):
            self.not_loads.update(id(n) for n in bound_names(node.target))
        elif isinstance(node, cst.Lambda):
            self.not_loads.update(id(p.name) for p in node.params.params)
        elif isinstance(node, (cst.ClassDef, cst.Attribute)):
            self.not_loads.add(id(node.name if isinstance(node, cst.ClassDef) else node.attr))
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            self.not_loads.add(id(node.keyword))
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
            self.not_loads.add(id(node.func))
        for target, shape in targets:
            for name in bound_names(target):
                self.not_loads.add(id(name))
                scope.bind(name.value, line, shape)

    def note_operand_needs(self, node: cst.CSTNode) -> None:
        needs: list[tuple[cst.CSTNode, int]] = [
            (getattr(node, f), p) for f, p in operand_precedences(node).items()
        ]
        if isinstance(node, cst.Comparison):
            needs += [(node.left, BITOR)] + [(t.comparator, BITOR) for t in node.comparisons]
        elif isinstance(node, (cst.Attribute, cst.Subscript)):
            needs.append((node.value, ATOM))
        elif isinstance(node, cst.Call):
            needs.append((node.func, ATOM))
        elif isinstance(node, cst.Await):
            needs.append((node.expression, ATOM))
        elif isinstance(node, cst.IfExp):
            needs += [(node.test, OR), (node.body, OR)]
        elif isinstance(node, cst.CompIf):
            needs.append((node.test, OR))
        elif isinstance(node, cst.CompFor):
            needs.append((node.iter, OR))
        for child, needed in needs:
            self.min_precedence[id(child)] = needed

    def record(self, node: cst.CSTNode, scope: Scope) -> None:
        # A starred element's code includes the comma after it, which its position does not.
        if not scope.qualname or isinstance(node, cst.StarredElement):
            return
        span = self.position(node)
        index = self.index
        start = index.offset(span.start.line, span.start.column)
        end = index.offset(span.end.line, span.end.column)
        anchor = self.anchors[-1] if self.anchors else None
        indent_line = index.line_text(anchor if anchor is not None else span.start.line)
        indent = indent_line[: len(indent_line) - len(indent_line.lstrip(" \t"))]
        if isinstance(node, cst.BaseExpression):
            # libcst's position leaves out the node's own parentheses; its code has them.
            start -= sum(len(index.code(paren, indent)) for paren in node.lpar)
            end += sum(len(index.code(paren, indent)) for paren in node.rpar)
        site = Site(
            node=node,
            start=start,
            end=end,
            line=span.start.line,
            end_line=span.end.line,
            column=span.start.column,
            parent=self.parents[-1] if self.parents else None,
            min_precedence=self.min_precedence.pop(id(node), LOWEST),
            function=scope.qualname,
            indent=indent,
            in_fstring=self.fstrings > 0,
            is_load=id(node) not in self.not_loads,
        )
        index.sites[id(node)] = site
        index.by_line[site.line].append(site)
        if anchor is not None and anchor != site.line:
            index.by_line[anchor].append(site)
