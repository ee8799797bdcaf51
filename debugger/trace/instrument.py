"""Rewrite a module's AST so that its functions report their own trace.

`sys.settrace` costs a Python call per executed line; a call per block exit
instead, written into the function itself, is several times cheaper (see
benchmarks/trace_overhead.py). The rewritten module is compiled only for traced
runs; untraced runs compile the user's source untouched.

What gets inserted (names carry a prefix found nowhere in the source):
- in every function of the TraceSpec, a *point* wherever control flow joins or leaves, marking
  the lines run since the previous point (`hits[point] = 1`); lines are
  derived from the points reached, never traced one by one;
- a snapshot wherever control passes from one
  basic block to another (the block's last statement, before a jump, at the
  start of a branch or of a loop's `else`), a call record at entry, and the
  result at every `return`;
- around every function body, `except BaseException` to record exceptions
  (and the lines run up to the raising one), and at the top of every `except`
  clause the same for exceptions caught inside the function.

Every inserted node carries the line of the user statement it follows, so
tracebacks, `co_firstlineno` and the lines reported are the user's own.
"""

from __future__ import annotations

import ast
import itertools
import types
from dataclasses import dataclass
from typing import cast

from mgdebug.analysis.model import BasicBlock

from .instrument_ast import (
    EXIT,
    KEEP,
    MATCH_CAPTURES,
    MATCH_MAPPINGS,
    MATCH_TYPES,
    NONE,
    SCOPES,
    TRY_TYPES,
    FunctionPlan,
    Plan,
    Point,
    YieldWrapper,
    expr_lines,
    first_line,
    irrefutable,
    is_silent,
    locate,
    own_nodes,
)


def instrument(
    source: str, filename: str, spec: dict[str, list[BasicBlock]]
) -> tuple[types.CodeType, Plan]:
    """The module compiled with recording code, and what that code reports."""
    tree = ast.parse(source, filename)
    original = compile(tree, filename, "exec", dont_inherit=True)
    codes = _code_objects(original)
    plan = Plan(_free_prefix(source), [], [])
    for node in [
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]:
        found = codes.get((node.name, first_line(node)))
        # Functions outside the spec are left alone: on a 50,000-line file,
        # rewriting every function would cost far more than the run itself.
        if found is not None and found[1] in spec:
            _Function(plan, node, found[0], found[1], spec).rewrite()
    # Compiled like the untraced module (execution.py), future flags included.
    return compile(ast.fix_missing_locations(tree), filename, "exec", dont_inherit=True), plan


def _free_prefix(source: str) -> str:
    for n in itertools.count():
        prefix = f"_mgdebug{n or ''}_"
        if prefix not in source:
            return prefix
    raise AssertionError("unreachable")


def _code_objects(
    code: types.CodeType, prefix: str = ""
) -> dict[tuple[str, int], tuple[types.CodeType, str]]:
    """(name, first line) -> (code, qualname without `<locals>`) of the functions in `code`.

    The qualname is built here: `co_qualname` is Python 3.11+, and this runs
    in the user's interpreter, which may be 3.9 (child_kit.py).
    """
    found: dict[tuple[str, int], tuple[types.CodeType, str]] = {}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            qualname = prefix + const.co_name
            found.setdefault((const.co_name, const.co_firstlineno), (const, qualname))
            found.update(_code_objects(const, qualname + "."))
    return found


@dataclass
class _State:
    """Along one path through the function: the current block, the last line
    run in it, and the lines run since the last point."""

    cur: int
    last: int
    pending: list[int]

    def fork(self) -> _State:
        return _State(self.cur, self.last, list(self.pending))

    def run(self, line: int, lines: set[int], block: int) -> None:
        if block >= 0:
            self.cur = block
        self.last = line
        self.pending.extend(sorted(lines))


@dataclass
class _Loop:
    header: int  # block of the loop header: where `continue` goes
    follow: int  # block after the loop: where `break` goes


class _Function:
    """Rewrites one function's body (nested functions are rewritten on their own)."""

    def __init__(
        self,
        plan: Plan,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        code: types.CodeType,
        qualname: str,
        spec: dict[str, list[BasicBlock]],
    ) -> None:
        self.plan, self.node, self.p = plan, node, plan.prefix
        blocks = spec.get(qualname)
        self.traced = blocks is not None
        table: dict[int, int] = {}
        for block in blocks or ():
            for line in range(block.start_line, block.end_line + 1):
                table[line] = block.index
        count = code.co_argcount + code.co_kwonlyargcount
        count += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kwargs
        self.fid = len(plan.functions)
        self.info = FunctionPlan(qualname, self.traced, code.co_varnames[:count], table)
        plan.functions.append(self.info)
        names = dict.fromkeys(code.co_varnames + code.co_cellvars + code.co_freevars)
        self.handler_only = self._handler_only_names(names)
        self.names = tuple(names)
        self.segments: list[list[int]] = []
        self.loops: list[_Loop] = []
        self.handlers: list[str] = []  # `except ... as name` clauses we are inside
        self.counted: set[int] = set()  # blocks with a snapshot counter
        self.marks_of_block: dict[int, list[ast.stmt]] = {}
        self.async_generator = isinstance(node, ast.AsyncFunctionDef) and any(
            isinstance(n, ast.Yield) for n in own_nodes(node.body)
        )

    def _handler_only_names(self, names: dict[str, None]) -> set[str]:
        """Locals bound only by `except E as name`: unbound outside their clause."""
        bound: set[str] = set()
        caught: set[str] = set()
        for node in own_nodes(self.node.body):
            if isinstance(node, ast.ExceptHandler) and node.name:
                caught.add(node.name)
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
            elif isinstance(node, MATCH_CAPTURES) and node.name:  # type: ignore[attr-defined]
                bound.add(node.name)  # type: ignore[attr-defined]
            elif isinstance(node, MATCH_MAPPINGS) and node.rest:  # type: ignore[attr-defined]
                bound.add(node.rest)  # type: ignore[attr-defined]
            elif isinstance(node, ast.alias):
                bound.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, SCOPES) and not isinstance(node, ast.Lambda):
                bound.add(node.name)
        return (caught - bound) & set(names)

    # -- generated code ------------------------------------------------------

    def parse(self, template: str, line: int, **values: object) -> list[ast.stmt]:
        text = template.format(p=self.p, fid=self.fid, keep=KEEP, **values)
        return locate(ast.parse(text).body, line)

    def block_of(self, line: int) -> int:
        return self.info.table.get(line, NONE)

    def point(self, state: _State, block: int) -> list[ast.stmt]:
        names = tuple(n for n in self.names if n not in self.handler_only or n in self.handlers)
        index = len(self.plan.points)
        self.plan.points.append(Point(self.fid, block, state.last, names, tuple(state.pending)))
        self.segments.append(list(state.pending))
        state.pending = []
        mark = self.parse("{p}hits[{s}] = 1", state.last, s=index)
        if block < 0:
            return mark
        self.counted.add(block)
        values = "".join(f"{n}, " for n in names)
        code = mark + self.parse(
            """
try:
    if {p}i{b} < {keep}:
        {p}r{b} = {p}snap({p}rec, {s}, {p}i{b}, ({v}))
    else:
        {p}r{b}[{p}i{b} % {keep}] = ({s}, {p}i{b}, {v})
except {p}NameError:
    {p}r{b} = {p}snapd({p}rec, {s}, {p}i{b}, {p}r{b})
{p}i{b} += 1
""",
            state.last,
            b=block,
            s=index,
            v=values,
        )
        self.marks_of_block.setdefault(block, []).append(mark[0])
        return code

    def edge(self, state: _State | None, target: int, join: bool) -> list[ast.stmt]:
        """Code for control passing from `state` to a statement in block `target`.

        A block exit gets a snapshot; a join (where paths meet) gets a point so
        that each point's lines are those of one path.
        """
        if state is None:
            return []
        leaving = target != state.cur and (target != NONE or join)
        if self.traced and state.cur >= 0 and leaving:
            code = self.point(state, state.cur)
            state.cur = target if target >= 0 else NONE
            return code
        code = self.point(state, NONE) if (join or target == EXIT) and state.pending else []
        if target >= 0:
            state.cur = target
        return code

    # -- the function --------------------------------------------------------

    def rewrite(self) -> None:
        node = self.node
        body = node.body
        docstring = body[:1] if body and is_silent(body[0]) else []
        body = body[len(docstring) :]
        if self.traced:
            YieldWrapper(self.p).visit_body(body)
        state = _State(NONE, node.lineno, [])
        new_body, end = self.suite(body, state, EXIT)
        line = node.end_lineno or node.lineno
        new_body += self.edge(end, EXIT, join=True)
        if self.traced and end is not None:
            returns = (
                "{p}leave({p}rec, None)"
                if self.async_generator
                else "return {p}leave({p}rec, None)"
            )
            new_body += self.parse(returns, line)
        self.info.partial = self.partial_lines()
        first = body[0].lineno if body else node.lineno
        if self.traced:
            args = "".join(f"{n}, " for n in self.info.arg_names)
            entry = self.parse("{p}rec = {p}enter({fid}, ({a}))", first, a=args)
            for prefix, value in (("i", "0"), ("r", "None")):
                if self.counted:
                    names = " = ".join(f"{self.p}{prefix}{b}" for b in sorted(self.counted))
                    entry += self.parse(f"{names} = {value}", first)
            fail = "{p}fail({p}rec, {fid})"
        else:
            entry, fail = [], "{p}fail(None, {fid})"
        (guard,) = self.parse(
            "try:\n    pass\nexcept {p}BaseException:\n    " + fail + "\n    raise", first
        )
        assert isinstance(guard, ast.Try)
        guard.body = new_body or guard.body
        self.drop_redundant_marks(guard)
        node.body = docstring + entry + [guard]

    def drop_redundant_marks(self, root: ast.stmt) -> None:
        """A block left at one point only is first left (in any call) at
        iteration 0, which the slow path records with its lines: no mark needed."""
        drop = {id(marks[0]) for marks in self.marks_of_block.values() if len(marks) == 1}
        for node in ast.walk(root):
            for name in ("body", "orelse", "finalbody"):
                stmts = getattr(node, name, None)
                if isinstance(stmts, list) and any(id(s) in drop for s in stmts):
                    stmts[:] = [s for s in stmts if id(s) not in drop]

    def partial_lines(self) -> dict[int, frozenset[int]]:
        """For each line that may raise, the lines run up to it since the last point."""
        partial: dict[int, set[int]] = {}
        for segment in self.segments:
            for i, line in enumerate(segment):
                partial.setdefault(line, set()).update(segment[: i + 1])
        return {line: frozenset(lines) for line, lines in partial.items()}

    # -- statements ----------------------------------------------------------

    def suite(
        self, body: list[ast.stmt], state: _State | None, follow: int
    ) -> tuple[list[ast.stmt], _State | None]:
        """Rewrite `body`; returns it and the state where it ends (None: it never does)."""
        out: list[ast.stmt] = []
        for i, stmt in enumerate(body):
            if state is None or is_silent(stmt):
                out.append(stmt)
                continue
            loop = isinstance(stmt, (ast.For, ast.AsyncFor, ast.While))
            out += self.edge(state, self.block_of(first_line(stmt)), join=loop)
            after = next(
                (self.block_of(first_line(s)) for s in body[i + 1 :] if not is_silent(s)),
                follow,
            )
            code, state = self.statement(stmt, state, after)
            out += code
        return out, state

    def branch(
        self, body: list[ast.stmt], state: _State | None, follow: int
    ) -> tuple[list[ast.stmt], _State | None]:
        """A suite entered from a branch point: the edge into it, then the suite."""
        if state is None:
            return body, None
        first = next((s for s in body if not is_silent(s)), None)
        entry = self.edge(state, self.block_of(first_line(first)) if first else follow, False)
        code, end = self.suite(body, state, follow)
        return entry + code, end

    def joined(self, follow: int, ends: list[_State | None]) -> _State | None:
        if all(end is None for end in ends):
            return None
        last = max((end.last for end in ends if end is not None), default=0)
        return _State(follow if follow >= 0 else NONE, last, [])

    def statement(
        self, stmt: ast.stmt, state: _State, follow: int
    ) -> tuple[list[ast.stmt], _State | None]:
        line = first_line(stmt)
        if isinstance(stmt, ast.If):
            state.run(line, expr_lines(stmt.test) | {line}, self.block_of(line))
            body, body_end = self.branch(stmt.body, state.fork(), follow)
            orelse, else_end = self.branch(stmt.orelse, state, follow)
            body += self.edge(body_end, follow, join=True)
            orelse += self.edge(else_end, follow, join=True)
            stmt.body, stmt.orelse = body, orelse
            return [stmt], self.joined(follow, [body_end, else_end])
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            return self.loop(stmt, state, follow)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            state.run(line, expr_lines(*stmt.items) | {line}, self.block_of(line))
            stmt.body, end = self.branch(stmt.body, state, follow)
            return [stmt], end
        if isinstance(stmt, TRY_TYPES):
            # `except*` (ast.TryStar, 3.11+) has the fields of ast.Try.
            return self.try_(cast(ast.Try, stmt), state, follow)
        if isinstance(stmt, MATCH_TYPES):
            return self.match(cast(ast.Match, stmt), state, follow)
        if isinstance(stmt, ast.Return):
            return self.return_(stmt, state), None
        lines = (
            expr_lines(*stmt.decorator_list) | {stmt.lineno}
            if isinstance(stmt, SCOPES)
            else expr_lines(stmt) | {line}
        )
        state.run(line, lines, self.block_of(line))
        if isinstance(stmt, ast.Raise):
            self.segments.append(list(state.pending))  # its lines come from the traceback
            return [stmt], None
        if isinstance(stmt, ast.Break):
            return self.edge(state, self.loops[-1].follow, join=True) + [stmt], None
        if isinstance(stmt, ast.Continue):
            return self.edge(state, self.loops[-1].header, join=True) + [stmt], None
        if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own_nodes([stmt])):
            # A generator may never be resumed: count its lines before it yields.
            return self.point(state, NONE) + [stmt], state
        return [stmt], state

    def return_(self, stmt: ast.Return, state: _State) -> list[ast.stmt]:
        line = stmt.lineno
        state.run(line, expr_lines(stmt) | {line}, self.block_of(line))
        exit_code = self.edge(state, EXIT, join=True)
        value = stmt.value
        if not self.traced:
            if not exit_code or value is None:
                return exit_code + [stmt]
            stmt.value = ast.Name(self.p + "v", ast.Load())
            store = ast.Assign([ast.Name(self.p + "v", ast.Store())], value)
            return [ast.copy_location(store, stmt)] + exit_code + [stmt]
        if self.async_generator:
            return exit_code + self.parse("{p}leave({p}rec, None)", line) + [stmt]
        if exit_code and value is not None:
            store = ast.Assign([ast.Name(self.p + "v", ast.Store())], value)
            exit_code = [ast.copy_location(store, stmt)] + exit_code
            value = ast.Name(self.p + "v", ast.Load())
        (leave,) = self.parse("return {p}leave({p}rec, None)", line)
        assert isinstance(leave, ast.Return) and isinstance(leave.value, ast.Call)
        if value is not None:
            leave.value.args[1] = value
        return exit_code + [leave]

    def loop(
        self, stmt: ast.For | ast.AsyncFor | ast.While, state: _State, follow: int
    ) -> tuple[list[ast.stmt], _State | None]:
        line = stmt.lineno
        header = (
            expr_lines(stmt.test)
            if isinstance(stmt, ast.While)
            else expr_lines(stmt.target, stmt.iter)
        )
        state.run(line, header | {line}, self.block_of(line))
        head = state.cur if self.block_of(line) < 0 else self.block_of(line)
        self.loops.append(_Loop(head, follow))
        body, body_end = self.branch(stmt.body, state.fork(), head)
        self.loops.pop()
        body += self.edge(body_end, head, join=True)
        orelse, else_end = self.branch(stmt.orelse, state, follow)
        orelse += self.edge(else_end, follow, join=True)
        stmt.body, stmt.orelse = body, orelse
        return [stmt], _State(follow if follow >= 0 else NONE, line, [])

    def try_(
        self, stmt: ast.Try, state: _State, follow: int
    ) -> tuple[list[ast.stmt], _State | None]:
        line = stmt.lineno
        state.run(line, {line}, self.block_of(line))
        raising = (self.body_blocks(stmt.body) | {self.block_of(line)}) - {NONE}
        after = follow
        if stmt.finalbody:
            first = next((s for s in stmt.finalbody if not is_silent(s)), None)
            after = self.block_of(first_line(first)) if first else follow
        body, end = self.branch(stmt.body, state, after)
        if stmt.orelse:
            orelse, end = self.branch(stmt.orelse, end, after)
            stmt.orelse = orelse + self.edge(end, after, join=True)
        else:
            body += self.edge(end, after, join=True)
        stmt.body = body
        ends = [end]
        for handler in stmt.handlers:
            h_line = handler.lineno
            h_block = self.block_of(h_line)
            h_state = _State(h_block, h_line, sorted(expr_lines(handler.type) | {h_line}))
            if handler.name:
                self.handlers.append(handler.name)
            code, h_end = self.suite(handler.body, h_state, after)
            if handler.name:
                self.handlers.pop()
            handler.body = self.caught(h_line, h_block, raising, handler.name) + code
            handler.body += self.edge(h_end, after, join=True)
            ends.append(h_end)
        if not stmt.finalbody:
            return [stmt], self.joined(follow, ends)
        f_state = _State(after if after >= 0 else NONE, stmt.finalbody[0].lineno, [])
        final, f_end = self.suite(stmt.finalbody, f_state, follow)
        stmt.finalbody = final + self.edge(f_end, EXIT, join=True)
        return [stmt], self.joined(follow, [f_end])

    def body_blocks(self, body: list[ast.stmt]) -> set[int]:
        """Blocks of the statements in `body`, nested ones included."""
        return {
            self.block_of(node.lineno)
            for node in own_nodes(body)
            if isinstance(node, ast.stmt) and self.block_of(node.lineno) >= 0
        }

    def caught(self, line: int, block: int, raising: set[int], name: str | None) -> list[ast.stmt]:
        """At the top of an `except` clause: the lines and snapshot of where it raised."""
        if not self.traced:
            return self.parse("{p}caught(None, {fid}, -1, '')", line)
        code = self.parse(
            "{p}b = {p}caught({p}rec, {fid}, {h}, {n!r})", line, h=block, n=name or ""
        )
        for b in sorted(raising - {block}):
            self.counted.add(b)
            code += self.parse(
                "if {p}b == {b}:\n"
                "    {p}i{b} += 1\n"
                "    {p}r{b} = {p}ring({p}rec, {b}, {p}i{b}, {p}r{b})",
                line,
                b=b,
            )
        return code

    def match(
        self, stmt: ast.Match, state: _State, follow: int
    ) -> tuple[list[ast.stmt], _State | None]:
        line = stmt.lineno
        state.run(line, expr_lines(stmt.subject) | {line}, self.block_of(line))
        ends: list[_State | None] = []
        tested = state.fork()
        for case in stmt.cases:
            tested.pending.extend(sorted(expr_lines(case.guard) | {case.pattern.lineno}))
            body, end = self.branch(case.body, tested.fork(), follow)
            case.body = body + self.edge(end, follow, join=True)
            ends.append(end)
        last = stmt.cases[-1] if stmt.cases else None
        if last is None or last.guard is not None or not irrefutable(last.pattern):
            fallback = self.edge(tested, follow, join=True)
            if fallback:
                stmt.cases.append(
                    ast.match_case(ast.MatchAs(pattern=None, name=None), None, fallback)
                )
                ends.append(tested)
        return [stmt], self.joined(follow, ends)
