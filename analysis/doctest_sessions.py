"""Doctest examples as `doctest` sees them: which docstrings, and one session per docstring.

Which docstrings: those `doctest.DocTestFinder` finds in an imported module,
read here from the syntax tree instead (nothing is imported or run): the
module's docstring; its top-level functions and classes; in a class, its
methods (static and class methods included), properties (the getter's
docstring: a property's setter and deleter docstrings are never used) and
nested classes, recursively; and the `__test__` dict's entries (strings,
functions, classes). Like DocTestFinder, it does not look inside functions:
a nested function's examples are not doctests, so mgdebug skips them too.
Definitions inside a top-level `if` or `try` are skipped as well: which of
them exists is only known by running the module.

One session per docstring: every example becomes an Expectation of kind
"doctest", including those with no expected output (doctest counts them as
tests and fails one that raises), and all of a docstring's examples share its
`session`, so the sandbox runs them as one `doctest.DocTest` (see
debugger/run/doctest_session.py). Examples doctest would skip (+SKIP) get none.
"""

from __future__ import annotations

import ast
import dataclasses
import doctest
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .assert_expectations import describe
from .call_targets import ModuleNames, calls_in_order
from .doctest_config import DoctestConfig
from .model import Expectation, ModuleInfo, Origin

_DEFINITION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Decorators after which the docstring is not one DocTestFinder reads: a
# property's setter or deleter (the property keeps its getter's docstring),
# and functools.cached_property (DocTestFinder takes it for another module's).
_HIDDEN_BY = ("setter", "deleter", "cached_property")


@dataclass(frozen=True)
class Docstring:
    """One docstring doctest would test."""

    name: str  # doctest's name for it: "mod", "mod.f", "mod.C.m", "mod.__test__.key"
    owner: str | None  # qualname of the function it documents; None for a module, class or string
    text: str  # the docstring as `__doc__` holds it (not cleaned: doctest parses it raw)
    line: int  # file line where the string literal starts: doctest's line 0 of it
    # Lines the literal's value starts below `line`: a `"""\` opening joins the
    # next line to the first, which doctest's own line numbers do not count.
    shift: int = 0


def find_docstrings(source: str, module_name: str) -> list[Docstring] | None:
    """The docstrings DocTestFinder would find in `source`; None if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found: list[Docstring] = []
    module_doc = _docstring(tree)
    if module_doc is not None:
        found.append(Docstring(module_name, None, *module_doc))
    top = _definitions(tree.body)
    for name, node in top.items():
        found += _visit(node, name, module_name)
    found += _test_dict(tree, module_name)
    lines = source.splitlines()
    return [dataclasses.replace(d, shift=_leading_joins(lines, d.line)) for d in found]


_JOINED_OPENING = re.compile(r"""^\s*[uU]?(\"\"\"|\'\'\'|\"|\')\\$""")


def _leading_joins(lines: list[str], line: int) -> int:
    """1 when the literal opening on `line` ends that line with a backslash (`\"\"\"\\`)."""
    if not 0 < line <= len(lines):
        return 0
    return 1 if _JOINED_OPENING.match(lines[line - 1]) else 0


def _docstring(node: ast.AST) -> tuple[str, int] | None:
    body = getattr(node, "body", None)
    if not body or not isinstance(body[0], ast.Expr):
        return None
    value = body[0].value
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value, value.lineno
    return None


def _definitions(body: list[ast.stmt]) -> dict[str, ast.AST]:
    """name -> the definition the name holds once `body` has run (the last one wins)."""
    found: dict[str, ast.AST] = {}
    for stmt in body:
        if isinstance(stmt, _DEFINITION):
            if stmt.name in found and _decorated_by(stmt, ("setter", "deleter")):
                continue  # the property keeps its getter's docstring
            found[stmt.name] = stmt
    return found


def _decorated_by(node: ast.stmt, names: tuple[str, ...]) -> bool:
    """Whether a decorator of `node` ends in one of `names` (`@x.setter`, `@cached_property`)."""
    for decorator in getattr(node, "decorator_list", []):
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        last = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if last in names:
            return True
    return False


def _visit(node: ast.AST, qualname: str, module_name: str) -> list[Docstring]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        doc = _docstring(node)
        if doc is None or _decorated_by(node, _HIDDEN_BY):
            return []
        return [Docstring(f"{module_name}.{qualname}", qualname, *doc)]
    if not isinstance(node, ast.ClassDef):
        return []
    found: list[Docstring] = []
    doc = _docstring(node)
    if doc is not None:
        found.append(Docstring(f"{module_name}.{qualname}", None, *doc))
    for name, member in _definitions(node.body).items():
        found += _visit(member, f"{qualname}.{name}", module_name)
    return found


def _test_dict(tree: ast.Module, module_name: str) -> list[Docstring]:
    """Strings in the module's `__test__` dict, written there or named there.

    Functions and classes in it are found already, under their own names: the
    finder visits each object once.
    """
    entries: ast.Dict | None = None
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__test__" for t in stmt.targets)
            and isinstance(stmt.value, ast.Dict)
        ):
            entries = stmt.value
    if entries is None:
        return []
    strings = _top_level_strings(tree)
    found: list[Docstring] = []
    for key, value in zip(entries.keys, entries.values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            continue
        if isinstance(value, ast.Name) and value.id in strings:
            value = strings[value.id]  # `__test__ = {"dis": _dis_test}`
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.append(
                Docstring(f"{module_name}.__test__.{key.value}", None, value.value, value.lineno)
            )
    return found


def _top_level_strings(tree: ast.Module) -> dict[str, ast.Constant]:
    """Names the module's top level binds to a string literal (the last binding wins)."""
    strings: dict[str, ast.Constant] = {}
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign):
            continue
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                    strings[target.id] = stmt.value
                else:
                    strings.pop(target.id, None)
    return strings


def doctest_expectations(
    module: ModuleInfo, path: str, names: ModuleNames, config: DoctestConfig
) -> list[Expectation]:
    """One expectation per doctest example of the file, grouped in sessions by docstring."""
    module_name = os.path.splitext(os.path.basename(path))[0]
    docstrings = find_docstrings(module.source, module_name)
    if docstrings is None:
        # The file does not parse: nothing will run, but the functions tree-sitter
        # still found keep their examples in the report.
        docstrings = [
            Docstring(f"{module_name}.{f.qualname}", f.qualname, f.docstring, f.docstring_text_line)
            for f in sorted(module.functions.values(), key=lambda f: f.line)
            if f.parent is None and f.docstring is not None and f.docstring_text_line is not None
        ]
    found: list[Expectation] = []
    for doc in docstrings:
        found += _session(doc, module, path, names, config)
    return found


def _session(
    doc: Docstring, module: ModuleInfo, path: str, names: ModuleNames, config: DoctestConfig
) -> Iterator[Expectation]:
    owner = doc.owner if doc.owner in module.functions else None

    def expectation(index: int, line: int, function: str, description: str) -> Expectation:
        return Expectation(
            id=f"doctest:L{line}",
            function=function,
            kind="doctest",
            origin=Origin(path, line, "doctest"),
            description=describe(description),
            session=doc.name,
            example=index,
            session_source=doc.text,
            session_line=doc.line,
            optionflags=config.optionflags,
        )

    try:
        examples = doctest.DocTestParser().get_examples(doc.text, doc.name)
    except ValueError as exc:
        # doctest refuses the whole docstring (inconsistent indentation): so
        # does the run, with doctest's own message.
        yield expectation(0, doc.line, owner or "", f"the examples of {doc.name}: {exc}")
        return
    attribute = _Attribution(names)
    for index, example in enumerate(examples):
        function = owner if owner is not None else attribute(example.source)
        if _skipped(example, config.optionflags):
            continue
        source, want = example.source.strip(), example.want.strip()
        found = expectation(
            index,
            doc.line + doc.shift + example.lineno,
            function,
            f"{source} → {want}" if want else source,
        )
        yield dataclasses.replace(found, call=example.source, want=example.want)


def _skipped(example: doctest.Example, flags: int) -> bool:
    for flag, on in example.options.items():
        flags = flags | flag if on else flags & ~flag
    return bool(flags & doctest.SKIP)


class _Attribution:
    """The function an example of a module, class or `__test__` docstring exercises.

    The first module function or method it calls, in reading order; a method
    called on a name an earlier example of the session bound to an instance
    (`s = Stack()` then `s.push(1)`) resolves through that class. An example
    that calls none but shows a name an earlier example bound to a call's
    result (`top = s.pop()` then `top`) is that function's. "" when nothing
    resolves: such an example still counts, for no function.
    """

    def __init__(self, names: ModuleNames) -> None:
        self.names = names
        self.instances: dict[str, str] = {}  # variable -> top-level class name
        self.results: dict[str, str] = {}  # variable -> function whose result it holds

    def __call__(self, source: str) -> str:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return ""
        found = next((c for c in map(self._callee, calls_in_order(tree)) if c), "")
        if not found:
            # `top = s.pop()` then `>>> top`: the value shown is pop's result.
            read = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
            found = next((self.results[name] for name in read if name in self.results), "")
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                self._bind(node)
        return found

    def _bind(self, node: ast.Assign) -> None:
        targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        value = node.value
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in self.names.classes
        ):
            # An object, whose state many methods make: no one function's result.
            self.instances.update(dict.fromkeys(targets, value.func.id))
            return
        callee = next((c for c in map(self._callee, calls_in_order(value)) if c), None)
        if callee is not None:
            self.results.update(dict.fromkeys(targets, callee))

    def _callee(self, call: ast.Call) -> str | None:
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in self.instances
        ):
            method = self.names.classes[self.instances[func.value.id]].get(func.attr)
            if method is not None:
                return method
        return self.names.callee(call)
