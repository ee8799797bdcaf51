"""Expectations from assert statements: a module's `__main__` block, or given test code.

Each assert (or statement holding asserts, or call of a test helper) becomes
one expectation; the plain statements before it become its setup, so
`x = build(); assert f(x) == 3` runs with `x` defined.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator

from .call_targets import ModuleNames, calls_in_order, segment
from .model import Expectation, ModuleInfo, Origin, OriginKind

_MAIN_GUARD = re.compile(
    r"""^if\s+\(?\s*(?:__name__\s*==\s*(['"])__main__\1|(['"])__main__\2\s*==\s*__name__)"""
    r"""\s*\)?\s*:(?P<inline>.*)$"""
)
_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (*_FUNCTION_DEFS, ast.ClassDef)
_DESCRIPTION_LIMIT = 120
# Test code with more broken lines than this is not worth reading further.
_MAX_BAD_LINES = 100


def main_block_expectations(module: ModuleInfo, path: str, names: ModuleNames) -> list[Expectation]:
    """Expectations from every top-level `if __name__ == "__main__":` block."""
    found: list[Expectation] = []
    for body, line_offset in _main_blocks(module.source):
        try:
            tree = ast.parse(body)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # the module cannot run this block either
        found += statement_expectations(tree.body, body, line_offset, names, path, "main")
    return found


def expectations_from_asserts(
    text: str, module: ModuleInfo, origin_path: str, origin_kind: OriginKind = "given"
) -> list[Expectation]:
    """Expectations from test code (a benchmark's visible tests, a user's asserts).

    `text` is read like a `__main__` block. A line that does not parse is
    blanked out and the rest read again, so one bad line does not lose the
    others (and line numbers stay those of `text`).
    """
    lines = textwrap.dedent(text).splitlines()
    for _ in range(min(len(lines), _MAX_BAD_LINES) + 1):
        body = "\n".join(lines)
        try:
            tree = ast.parse(body)
        except SyntaxError as error:
            if not error.lineno or error.lineno > len(lines) or not lines[error.lineno - 1]:
                return []
            lines[error.lineno - 1] = ""
            continue
        except (ValueError, RecursionError, MemoryError):
            return []
        return statement_expectations(
            tree.body, body, 0, ModuleNames(module), origin_path, origin_kind
        )
    return []


def _main_blocks(source: str) -> Iterator[tuple[str, int]]:
    """Each main block's dedented body, and how many file lines precede its first line.

    Found by text, not by parsing the module, so a syntax error elsewhere in
    the file does not hide the block, and a large file costs one line scan.
    """
    lines = source.splitlines()
    for index, line in enumerate(lines):
        match = _MAIN_GUARD.match(line)
        if match is None:
            continue
        inline = match.group("inline").strip()
        if inline and not inline.startswith("#"):
            yield inline, index
            continue
        end = index + 1
        while end < len(lines) and (
            not lines[end].strip() or lines[end][0] in " \t" or lines[end].startswith("#")
        ):
            end += 1
        # Comment-only lines at column 0 would defeat dedent; blank keeps numbering.
        body = ["" if text.lstrip().startswith("#") else text for text in lines[index + 1 : end]]
        yield textwrap.dedent("\n".join(body)), index + 1


def statement_expectations(
    statements: list[ast.stmt],
    text: str,
    line_offset: int,
    names: ModuleNames,
    origin_path: str,
    origin_kind: OriginKind,
) -> list[Expectation]:
    """One expectation per checking statement of `statements` (parsed from `text`)."""
    reader = _Reader(statements, text, names)
    found: list[Expectation] = []
    for stmt in statements:
        origin = Origin(origin_path, stmt.lineno + line_offset, origin_kind)
        expectation = reader.read(stmt, origin, f"{origin_kind}:L{origin.line}")
        if expectation is not None:
            found.append(expectation)
    return found


class _Reader:
    """Reads statements in order, keeping the setup that later checks depend on."""

    def __init__(self, statements: list[ast.stmt], text: str, names: ModuleNames) -> None:
        self.text = text
        self.names = names
        # Helpers defined in the test code itself (`def check(candidate): assert ...`).
        self.helpers = {
            stmt.name: stmt
            for stmt in statements
            if isinstance(stmt, _FUNCTION_DEFS) and _holds_assert(stmt)
        }
        self.test_names = set(self.helpers) | {
            name for name, qualname in names.functions.items() if qualname in names.test_functions
        }
        self.setup: list[str] = []
        # Variables set up from a module call: `y = square(2); assert y == 4` tests square.
        self.assigned: dict[str, str] = {}

    def read(self, stmt: ast.stmt, origin: Origin, expectation_id: str) -> Expectation | None:
        code = segment(self.text, stmt)
        setup = "\n".join(self.setup)
        if isinstance(stmt, ast.Assert):
            return self.assertion(stmt, setup, origin, expectation_id)
        if not isinstance(stmt, _DEFINITIONS) and (
            _holds_assert(stmt) or _calls_any(stmt, self.test_names)
        ):
            return self.statement(code, self.tested(stmt), setup, origin, expectation_id)
        self.setup.append(code)
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            function = self.tested(stmt.value)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and function:
                        self.assigned[name.id] = function
        return None

    @staticmethod
    def statement(
        code: str, function: str, setup: str, origin: Origin, expectation_id: str
    ) -> Expectation:
        """A statement that passes when it raises nothing."""
        return Expectation(
            id=expectation_id,
            function=function,
            kind="exec",
            origin=origin,
            description=describe(code),
            setup=setup,
            code=code,
        )

    def assertion(
        self, stmt: ast.Assert, setup: str, origin: Origin, expectation_id: str
    ) -> Expectation:
        test = stmt.test
        if not (
            isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
        ):
            code = segment(self.text, stmt)
            return self.statement(code, self.tested(test), setup, origin, expectation_id)
        call, expected = test.left, test.comparators[0]
        # `assert 3 == add(1, 2)`: the side calling the module is the one under test.
        if not self.tested(call) and self.tested(expected):
            call, expected = expected, call
        call_text = ast.get_source_segment(self.text, call) or ast.unparse(call)
        expected_text = ast.get_source_segment(self.text, expected) or ast.unparse(expected)
        return Expectation(
            id=expectation_id,
            function=self.tested(test),
            kind="eval",
            origin=origin,
            description=describe(f"{call_text} == {expected_text}"),
            setup=setup,
            call=call_text,
            expected=expected_text,
        )

    def tested(self, node: ast.AST) -> str:
        """The module function `node` exercises, directly, through a helper or a variable."""
        for call in calls_in_order(node):
            if isinstance(call.func, ast.Name) and call.func.id in self.helpers:
                # A helper of the test code is not a module function: look at
                # what it is handed (`check(add)`) or what it calls.
                for arg in call.args:
                    if isinstance(arg, ast.Name) and arg.id in self.names.functions:
                        return self.names.functions[arg.id]
                return self.names.function_under_test(self.helpers[call.func.id])
        direct = self.names.function_under_test(node)
        if direct:
            return direct
        used = sorted(
            (n for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in self.assigned),
            key=lambda n: (n.lineno, n.col_offset),
        )
        return self.assigned[used[0].id] if used else ""


def _holds_assert(node: ast.AST) -> bool:
    return any(isinstance(sub, ast.Assert) for sub in ast.walk(node))


def _calls_any(stmt: ast.stmt, functions: set[str]) -> bool:
    return any(
        isinstance(call.func, ast.Name) and call.func.id in functions
        for call in calls_in_order(stmt)
    )


def describe(code: str) -> str:
    """One line for people: the code with its whitespace collapsed, shortened."""
    line = " ".join(code.split())
    return line if len(line) <= _DESCRIPTION_LIMIT else line[: _DESCRIPTION_LIMIT - 1] + "…"
