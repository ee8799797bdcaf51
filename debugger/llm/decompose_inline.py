"""Inlining a decomposition's helpers back into one function, where that is mechanical.

When a fix found on the decomposed tree cannot be mapped line for line onto
the user's function (decompose_map.py), one function that does the same is a
smaller surprise than a set of new helpers. A helper call is inlined only in
the three shapes a decomposition produces and only when nothing can change
meaning: `return helper(...)` (the helper's returns become the function's),
`target = helper(...)` (the helper has one `return`, its last statement) and
`helper(...)` alone (it returns nothing); each helper called once, never
recursive, without `global`, `nonlocal` or `yield`, whose arguments are the
caller's variables of the same name or bind to names the function does not
use, and whose own variables the function does not use either. Anything else
gives None and the caller offers the helpers as they are. The text is cut
and pasted, not regenerated, so comments and formatting survive.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from .decompose import Decomposition, _first_line, _top_level_def

MAX_INLINED = 20  # helper calls per function: a decomposition has a handful

Def = ast.FunctionDef | ast.AsyncFunctionDef


def _names(nodes: Sequence[ast.AST]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def _assigned(node: ast.AST) -> set[str]:
    found = {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del)
    }
    for n in ast.walk(node):
        if isinstance(n, ast.arg):
            found.add(n.arg)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            found.add(n.name)
    return found


def _body(helper: Def) -> list[ast.stmt]:
    body = list(helper.body)
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        body = body[1:]  # the helper's docstring goes with the helper
    return body


def _returns(helper: Def) -> list[ast.Return]:
    found: list[ast.Return] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.Return):
                found.append(child)
            visit(child)

    visit(helper)
    return found


def _plain(helper: Def) -> bool:
    """No construct whose meaning would change once the body runs in another function."""
    args = helper.args
    if (
        helper.decorator_list
        or args.vararg
        or args.kwarg
        or isinstance(helper, ast.AsyncFunctionDef)
    ):
        return False
    for node in ast.walk(helper):
        if isinstance(node, ast.Global | ast.Nonlocal | ast.Yield | ast.YieldFrom):
            return False
        if isinstance(node, ast.Name) and node.id == helper.name:
            return False  # recursive
    return bool(_body(helper))


def _bindings(helper: Def, call: ast.Call, text: str) -> list[tuple[str, str]] | None:
    """(parameter, argument source) for each parameter, or None for calls we do not bind."""
    args = helper.args
    params = [a.arg for a in [*args.posonlyargs, *args.args]]
    if any(isinstance(a, ast.Starred) for a in call.args) or len(call.args) > len(params):
        return None
    given: dict[str, ast.expr] = dict(zip(params, call.args, strict=False))
    for keyword in call.keywords:
        if keyword.arg is None or keyword.arg in given:
            return None
        given[keyword.arg] = keyword.value
    defaults = dict(zip(reversed(params), reversed(args.defaults), strict=False))
    defaults.update(
        {a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None}
    )
    bound: list[tuple[str, str]] = []
    for name in [*params, *(a.arg for a in args.kwonlyargs)]:
        value = given.get(name)
        if value is None:
            default = defaults.get(name)
            if default is None:
                return None
            try:
                ast.literal_eval(default)
            except ValueError:
                return None  # evaluated once at definition: not the same when inlined
            bound.append((name, ast.unparse(default)))
        else:
            segment = ast.get_source_segment(text, value)
            if segment is None:
                return None
            bound.append((name, segment))
    if set(given) - {n for n, _ in bound}:
        return None
    return bound


def _sole_statement(lines: Sequence[str], stmt: ast.stmt) -> bool:
    """Nothing else shares the statement's lines (`a = h(x); b = 1`)."""
    first, last = lines[stmt.lineno - 1], lines[(stmt.end_lineno or stmt.lineno) - 1]
    # ast's columns count UTF-8 bytes.
    rest = last.encode()[stmt.end_col_offset or 0 :].decode(errors="replace").strip()
    return not first.encode()[: stmt.col_offset].strip() and (not rest or rest.startswith("#"))


def _block(text: str, lines: Sequence[str], stmts: Sequence[ast.stmt], indent: str) -> list[str]:
    """The source lines of `stmts`, moved to `indent`."""
    if not stmts:
        return []
    start, end = stmts[0].lineno, stmts[-1].end_lineno or stmts[-1].lineno
    cut = stmts[0].col_offset
    moved = []
    for line in lines[start - 1 : end]:
        if not line.strip():
            moved.append(line)
            continue
        lead = len(line) - len(line.lstrip())
        moved.append(indent + line[min(cut, lead) :])
    return moved


def _names_outside(root: ast.AST, skip: ast.AST) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if child is skip:
                continue
            if isinstance(child, ast.Name):
                found.add(child.id)
            elif isinstance(child, ast.arg):
                found.add(child.arg)
            visit(child)

    visit(root)
    return found


def _loop_only(root: ast.AST, name: str, skip: ast.AST | None = None) -> bool:
    """Whether `name` occurs in `root` only as a loop's (or comprehension's) variable.

    That is: bound by a `for` or a comprehension and read only inside it.
    """

    def visit(node: ast.AST, bound: bool) -> bool:
        if node is skip:
            return True
        if isinstance(node, ast.For | ast.AsyncFor):
            binds = name in _names([node.target])
            if binds and not isinstance(node.target, ast.Name | ast.Tuple):
                return False  # `for x[i] in ...` stores into something else
            return (
                visit(node.iter, bound)
                and all(visit(s, bound or binds) for s in node.body)
                and all(visit(s, bound) for s in node.orelse)  # after the loop: its last value
            )
        comprehension = ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
        if isinstance(node, comprehension) and any(
            name in _names([g.target]) for g in node.generators
        ):
            return visit(node.generators[0].iter, bound)  # the rest is the comprehension's
        if isinstance(node, ast.Name) and node.id == name:
            return bound and isinstance(node.ctx, ast.Load)
        if isinstance(node, ast.arg) and node.arg == name:
            return False
        return all(visit(child, bound) for child in ast.iter_child_nodes(node))

    return visit(root, False)


def _clash(
    func: ast.stmt,
    stmt: ast.Return | ast.Expr | ast.Assign,
    call: ast.Call,
    helper: Def,
    bound: Sequence[tuple[str, str]],
) -> bool:
    """Whether the helper's variables and the function's would mix once the body is pasted in."""
    params = {p for p, _ in bound}
    shared = {p for p, arg in bound if arg == p}  # the caller's variable of the same name
    body = ast.Module(body=_body(helper), type_ignores=[])
    assigned = _assigned(body)
    if shared & assigned:
        return True  # the helper rebinds its copy; inlined, it would rebind the caller's
    targets = _names(stmt.targets) if isinstance(stmt, ast.Assign) else set()
    new_locals = (assigned | params) - shared
    for name in new_locals & (_names_outside(func, stmt) - targets):
        # A loop variable on both sides (`for score in ...`) is rebound before each use.
        if not (_loop_only(body, name) and _loop_only(func, name, stmt)):
            return True
    if (params - shared) & _names(call.args + [k.value for k in call.keywords]):
        return True  # `p = ...` lines would feed each other
    free = _names([body]) - assigned - params
    return bool(free & _assigned(func))  # a global of the helper, a local of the function


def _inline_one(function_text: str, helpers: dict[str, tuple[Def, str]]) -> str | None:
    """`function_text` with one helper call inlined; None when no call can be."""
    tree = ast.parse(function_text)
    func = tree.body[0]
    called = [
        n.func.id
        for n in ast.walk(func)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in helpers
    ]
    for stmt in ast.walk(func):
        call: ast.expr | None = None
        if isinstance(stmt, ast.Return | ast.Expr | ast.Assign):
            call = stmt.value
        if isinstance(stmt, ast.Assign) and len(stmt.targets) != 1:
            continue
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            continue
        name = call.func.id
        if name not in helpers or called.count(name) != 1:
            continue
        assert isinstance(stmt, ast.Return | ast.Expr | ast.Assign)
        replaced = _replacement(function_text, func, stmt, call, helpers[name])
        if replaced is not None:
            return replaced
    return None


def _replacement(
    text: str,
    func: ast.stmt,
    stmt: ast.Return | ast.Expr | ast.Assign,
    call: ast.Call,
    helper_and_text: tuple[Def, str],
) -> str | None:
    """`text` (the function `func`) with `stmt`'s `call` replaced by the helper's body, or None."""
    helper, helper_text = helper_and_text
    lines = text.splitlines(keepends=True)
    if not _plain(helper) or not _sole_statement(lines, stmt):
        return None
    bound = _bindings(helper, call, text)
    if bound is None:
        return None
    body, returns = _body(helper), _returns(helper)
    if _clash(func, stmt, call, helper, bound):
        return None
    helper_lines = helper_text.splitlines(keepends=True)
    indent = lines[stmt.lineno - 1][: stmt.col_offset]
    new: list[str] = [f"{indent}{p} = {arg}\n" for p, arg in bound if arg != p]
    if isinstance(stmt, ast.Return):
        last = body[-1]
        if not isinstance(last, ast.Return | ast.Raise):
            return None  # falling off its end would run on into the function
        new += _block(helper_text, helper_lines, body, indent)
    elif isinstance(stmt, ast.Assign):
        last = body[-1]
        if len(returns) != 1 or returns[0] is not last or last.value is None:
            return None
        new += _block(helper_text, helper_lines, body[:-1], indent)
        value = ast.get_source_segment(helper_text, last.value)
        target = ast.get_source_segment(text, stmt.targets[0])
        if value is None or target is None:
            return None
        if value != target:
            new.append(f"{indent}{target} = {value}\n")
    else:
        if any(r.value is not None for r in returns):
            return None
        if returns and (len(returns) != 1 or returns[0] is not body[-1]):
            return None
        kept = body[:-1] if returns else body
        new += _block(helper_text, helper_lines, kept, indent) or [f"{indent}pass\n"]
    end = stmt.end_lineno or stmt.lineno
    return "".join(lines[: stmt.lineno - 1] + new + lines[end:])


def inline_helpers(decomposition: Decomposition, fixed_source: str) -> str | None:
    """`fixed_source` with the decomposed region replaced by one function, or None.

    The helpers must be gone from the function once inlined, and nothing
    outside the function may call them.
    """
    tree = ast.parse(fixed_source)
    name = decomposition.function.rsplit(".", 1)[-1]
    func = _top_level_def(tree, name)
    if func is None:
        return None
    lines = fixed_source.splitlines(keepends=True)
    helpers: dict[str, tuple[Def, str]] = {}
    nodes: list[Def] = [func]
    for helper_name in decomposition.helpers:
        node = _top_level_def(tree, helper_name)
        if node is not None:
            text = "".join(lines[_first_line(node) - 1 : node.end_lineno])
            helpers[helper_name] = (ast.parse(text).body[0], text)  # type: ignore[assignment]
            nodes.append(node)
    start = min(_first_line(n) for n in nodes)
    end = max(n.end_lineno or n.lineno for n in nodes)
    if any(start <= n.lineno <= end for n in tree.body if n not in nodes):
        return None  # other code between the helpers: not the region we spliced in
    outside = lines[: start - 1] + lines[end:]
    if _names(ast.parse("".join(outside)).body if outside else []) & set(helpers):
        return None
    text = "".join(lines[_first_line(func) - 1 : func.end_lineno])
    for _ in range(MAX_INLINED):
        if not _names([ast.parse(text)]) & set(helpers):
            break
        inlined = _inline_one(text, helpers)
        if inlined is None:
            return None
        text = inlined
    else:
        return None
    try:
        ast.parse(text)
    except SyntaxError:
        return None
    return "".join(lines[: start - 1]) + text + "".join(lines[end:])
