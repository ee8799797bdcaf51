"""Insert a docstring into one function, or complete the one it has, with libcst.

libcst keeps every byte of the module it does not touch (comments, blank
lines, quotes, trailing spaces), so the file after insertion differs from the
file before only inside the docstring literal: that is the promise the code
action and `mgdebug doc` make, and `tests/debugger/generate` checks it.

The layout follows PEP 257: the summary on the line of the opening quotes,
a blank line, the sections, the closing quotes on a line of their own at the
body's indentation; a docstring that is only a summary stays on one line.
An existing docstring keeps its text as written (its raw source between the
quotes); only the sections it lacks are appended after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .docstyle import DocParts, Style, missing_parts, render_sections


class DocstringError(Exception):
    """The function cannot take a docstring here (say why to the user)."""


@dataclass(frozen=True)
class Inserted:
    source: str  # the whole module after the edit
    completed: bool  # an existing docstring was completed (not a new one inserted)


def _literal_body(text: str, raw: bool) -> str:
    """`text` as it must be written between triple double quotes to evaluate to `text`."""
    if raw:
        return text
    return text.replace("\\", "\\\\").replace('"""', '\\"""')


def _can_be_raw(text: str) -> bool:
    return '"""' not in text and not text.endswith("\\") and not text.endswith('"')


def _indented(lines: list[str], indent: str) -> list[str]:
    return [indent + line if line else "" for line in lines]


def new_docstring(parts: DocParts, style: Style, indent: str) -> str:
    """The whole literal (quotes included) of a new docstring."""
    sections = render_sections(style, parts)
    text = parts.summary if not sections else "\n".join([parts.summary, "", *sections])
    raw = "\\" in text and _can_be_raw(text)
    prefix = "r" if raw else ""
    if not sections:
        body = _literal_body(text, raw)
        return f'{prefix}"""{body}"""'
    lines = [parts.summary, "", *_indented(sections, indent)]
    body = _literal_body("\n".join(lines), raw)
    return f'{prefix}"""{body}\n{indent}"""'


def completed_docstring(
    node: cst.SimpleString, parts: DocParts, style: Style, indent: str
) -> str | None:
    """The existing literal with the sections it lacks appended; None if it lacks none."""
    value = node.evaluated_value
    existing = value if isinstance(value, str) else ""
    missing = missing_parts(existing, parts)
    sections = render_sections(style, missing)
    if not sections:
        return None
    prefix, quote = node.prefix, node.quote
    if len(quote) == 3 and "b" not in prefix.lower():
        raw = "r" in prefix.lower()
        inner = node.value[len(prefix) + 3 : -3].rstrip()
        added = "\n".join(_indented(sections, indent))
        if quote == "'''":
            added = added.replace("'''", "\\'''")
        if raw and not _can_be_raw(added):
            return None  # cannot be said inside this raw literal: leave it alone
        return f"{prefix}{quote}{inner}\n\n{_literal_body(added, raw)}\n{indent}{quote}"
    # A one-quote docstring ("Mean.") becomes a triple-quoted one with the same text.
    return new_docstring(
        DocParts(
            existing.strip(),
            missing.params,
            missing.returns,
            missing.returns_description,
            missing.raises,
            missing.examples,
        ),
        style,
        indent,
    )


class _Finder(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, qualname: str) -> None:
        self.qualname = qualname
        self.stack: list[str] = []
        self.found: cst.FunctionDef | None = None
        self.body_line = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.stack.append(node.name.value)
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.stack.append(node.name.value)
        if ".".join(self.stack) == self.qualname and self.found is None:
            self.found = node
            if isinstance(node.body, cst.IndentedBlock) and node.body.body:
                self.body_line = self.get_metadata(PositionProvider, node.body.body[0]).start.line
        return True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()


class _Replace(cst.CSTTransformer):
    def __init__(self, target: cst.FunctionDef, literal: str, replace_first: bool) -> None:
        self.target = target
        self.literal = literal
        self.replace_first = replace_first

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original_node is not self.target:
            return updated_node
        body = updated_node.body
        assert isinstance(body, cst.IndentedBlock)
        string = cst.SimpleString(self.literal)
        statements = list(body.body)
        if self.replace_first:
            first = statements[0]
            assert isinstance(first, cst.SimpleStatementLine)
            expr = first.body[0]
            assert isinstance(expr, cst.Expr)
            statements[0] = first.with_changes(
                body=[expr.with_changes(value=string), *first.body[1:]]
            )
        else:
            line = cst.SimpleStatementLine(body=[cst.Expr(value=string)])
            statements.insert(0, line)
        return updated_node.with_changes(body=body.with_changes(body=statements))


def existing_docstring(func: cst.FunctionDef) -> cst.SimpleString | None:
    if not isinstance(func.body, cst.IndentedBlock) or not func.body.body:
        return None
    first = func.body.body[0]
    if isinstance(first, cst.SimpleStatementLine) and first.body:
        expr = first.body[0]
        if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.SimpleString):
            return expr.value
    return None


def write_docstring(source: str, qualname: str, parts: DocParts, style: Style) -> Inserted | None:
    """`source` with `qualname`'s docstring written or completed; None if nothing is missing.

    Raises DocstringError when the function is not there or its body shares
    the `def` line (a docstring there would move code the user wrote).
    """
    try:
        wrapper = MetadataWrapper(cst.parse_module(source))
    except cst.ParserSyntaxError as exc:
        raise DocstringError(f"the file does not parse: {exc.message}") from exc
    finder = _Finder(qualname)
    wrapper.visit(finder)
    func = finder.found
    if func is None:
        raise DocstringError(f"no function `{qualname}` in the file")
    if not isinstance(func.body, cst.IndentedBlock):
        raise DocstringError(f"`{qualname}` has its body on the `def` line: give it a block first")
    line = source.splitlines()[finder.body_line - 1] if finder.body_line else ""
    indent = line[: len(line) - len(line.lstrip())]
    current = existing_docstring(func)
    if current is not None:
        literal = completed_docstring(current, parts, style, indent)
        if literal is None:
            return None
    else:
        literal = new_docstring(parts, style, indent)
    module = wrapper.module.visit(_Replace(func, literal, current is not None))
    return Inserted(module.code, current is not None)
