"""What static analysis knows about a file: functions, blocks, syntax errors, expectations.

These types are the contract between `analysis` (which builds them without
running anything) and `debugger` (which runs and traces them). They are plain
dataclasses so they cross the sandbox boundary as JSON (debugger/sandbox/codec.py)
and serialize into the report's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class SyntaxProblem:
    """One syntax error: 1-based line, 0-based column, and a message for the user."""

    line: int
    column: int
    end_line: int
    end_column: int
    message: str


@dataclass(frozen=True)
class BasicBlock:
    """A straight-line run of statements inside one function (1-based, inclusive lines).

    `kind` says what opens the block: "entry", "branch", "else", "loop",
    "loop-body", "after-loop", "try", "except", "finally", "with", "after",
    "match-case".
    """

    index: int
    start_line: int
    end_line: int
    kind: str


@dataclass
class FunctionInfo:
    """A function, method or nested function defined in the file."""

    qualname: str  # "f", "Outer.method", "outer.inner" (no "<locals>")
    name: str
    line: int  # the `def` line, 1-based (after decorators)
    end_line: int
    body_line: int  # first line of the body (the docstring, if any)
    params: list[str]
    docstring: str | None
    docstring_line: int | None  # line where the docstring literal starts
    class_name: str | None  # qualname of the class a method is defined in ("Outer.Inner")
    parent: str | None  # enclosing function's qualname, for nested functions
    calls: list[str] = field(default_factory=list)  # qualnames of in-file callees
    imported_calls: list[str] = field(default_factory=list)  # "pkg.mod.func" resolved by jedi
    blocks: list[BasicBlock] = field(default_factory=list)
    is_async: bool = False
    decorators: list[str] = field(default_factory=list)  # source after "@": "functools.cache"
    signature: str = "()"  # the parameter list as written, annotations and defaults included
    docstring_end_line: int | None = None  # line where the docstring literal ends
    docstring_text_line: int | None = None  # file line of `docstring`'s first (cleaned) line


@dataclass
class ModuleInfo:
    """The parsed file: its functions (with call edges) and any syntax errors."""

    source: str
    functions: dict[str, FunctionInfo]
    syntax_errors: list[SyntaxProblem]
    path: str | None = None

    def leaves_first(self) -> list[str]:
        """Qualnames ordered so that callees come before callers.

        Recursion and mutual recursion are cycles in the call graph: the call
        back into the cycle is ignored, so its members still come before the
        functions outside it that call them, and the member entered first (the
        first defined, unless a caller led to another) comes last among them.
        """
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done

        def visit(name: str) -> None:
            if state.get(name):
                return
            state[name] = 1
            for callee in self.functions[name].calls:
                if callee in self.functions and callee != name:
                    visit(callee)
            state[name] = 2
            order.append(name)

        for name in sorted(self.functions, key=lambda n: self.functions[n].line):
            visit(name)
        return order

    def reachable(
        self, starts: list[str], skip: set[str] | frozenset[str] = frozenset()
    ) -> list[str]:
        """`starts` and every function they call, transitively, not going through `skip`."""
        seen = [name for name in dict.fromkeys(starts) if name in self.functions]
        stack = list(seen)
        while stack:
            for callee in self.functions[stack.pop()].calls:
                if callee not in seen and callee not in skip and callee in self.functions:
                    seen.append(callee)
                    stack.append(callee)
        return seen

    def callers_of(self, qualname: str) -> list[str]:
        return [f.qualname for f in self.functions.values() if qualname in f.calls]

    def callers_closure(self, names: set[str] | frozenset[str]) -> set[str]:
        """`names` and every function that calls into one of them, directly or not."""
        result = set(names)
        frontier = list(names)
        while frontier:
            for caller in self.callers_of(frontier.pop()):
                if caller not in result:
                    result.add(caller)
                    frontier.append(caller)
        return result

    def function_at(self, line: int) -> FunctionInfo | None:
        """The innermost function whose lines contain `line`."""
        best: FunctionInfo | None = None
        for func in self.functions.values():
            if func.line <= line <= func.end_line and (best is None or func.line >= best.line):
                best = func
        return best


# pytest's own doctest flags, in bits doctest never assigns (it uses the low
# ~13): mgdebug's checker in the sandbox child honours them as pytest does.
PYTEST_ALLOW_UNICODE = 1 << 28
PYTEST_ALLOW_BYTES = 1 << 29

ExpectationKind = Literal["eval", "doctest", "exec", "pytest"]
# "model": written by a model (debugger/llm), never outweighing a user-written one.
OriginKind = Literal["doctest", "docstring", "pytest", "main", "given", "model"]


@dataclass(frozen=True)
class Origin:
    """Where an expectation was written: a file, a 1-based line, and what kind of source."""

    path: str
    line: int
    kind: OriginKind


@dataclass(frozen=True)
class Expectation:
    """One thing the code should do, runnable in the sandbox.

    How each kind runs, in the module's namespace after `setup` is executed:
    - "eval": evaluate `call` and `expected`; passes when they compare equal.
    - "doctest": example number `example` of the docstring `session_source`
      (found as doctest.DocTestFinder finds it, its first line on file line
      `session_line`), judged as `doctest` judges it: the docstring's examples
      run as one real doctest.DocTest, in one namespace, in order, up to the
      last one asked for, with `optionflags` (0 unless the project runs its
      doctests through pytest) and the examples' own directives; the earlier
      examples are its set-up (`setup` is not used). `call` and `want` are
      that example's source and expected output; without a `session` (made
      by hand) that one example is the whole docstring.
    - "exec": execute `code`; passes when it raises nothing.
    - "pytest": pytest itself runs the test `nodeid` in `test_file`.
    `function` is the function under test (qualname), or "" if unknown.
    """

    id: str
    function: str
    kind: ExpectationKind
    origin: Origin
    description: str  # for people: "add(1, 2) == 3"
    setup: str = ""
    call: str | None = None
    expected: str | None = None
    want: str | None = None
    code: str | None = None
    test_file: str | None = None
    nodeid: str | None = None
    # doctest sessions: every example of one docstring shares `session` (a name
    # like doctest's own, "module.Class.method"), and the docstring text.
    session: str | None = None
    example: int | None = None  # index among the docstring's doctest examples
    session_source: str | None = None
    session_line: int = 0  # file line of the docstring's first line, for doctest's lineno
    optionflags: int = 0  # doctest option flags for the whole docstring
