"""Which module function a piece of test code exercises, judged from its `ast`.

Shared by every expectation source: a docstring example, a main-block assert
and a pytest test all need "the function under test" named by its qualname.
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
from collections.abc import Iterable

from .model import FunctionInfo, ModuleInfo

_ASSERT_LINE = re.compile(r"^\s*assert\b", re.MULTILINE)
# Column-0 bindings: enough to tell a module name from a prose word cheaply,
# without parsing the module (which may not parse at all).
_TOP_LEVEL_BINDING = re.compile(
    r"^(?:(?:async\s+)?def|class)\s+(\w+)|^(\w+)\s*(?::[^=\n]*)?=(?!=)|^import\s+([\w., ]+)"
    r"|^from\s+[\w.]+\s+import\s+\(?([\w, ]+)",
    re.MULTILINE,
)


class ModuleNames:
    """The names a test can call in a module, and what each resolves to."""

    def __init__(self, module: ModuleInfo) -> None:
        self.module = module
        self.functions: dict[str, str] = {}  # top-level name -> qualname
        self.classes: dict[str, dict[str, str]] = {}  # top-level class -> method -> qualname
        methods: dict[str, list[str]] = {}
        for func in module.functions.values():
            if func.parent is not None:
                continue  # nested functions cannot be called from outside
            if func.class_name is None:
                self.functions[func.name] = func.qualname
            elif "." not in func.class_name:
                self.classes.setdefault(func.class_name, {})[func.name] = func.qualname
                methods.setdefault(func.name, []).append(func.qualname)
        # `obj.area()` names a method only when one class defines it.
        self.unique_methods = {name: found[0] for name, found in methods.items() if len(found) == 1}
        lines = module.source.splitlines()
        self.test_functions = {
            qualname
            for qualname in self.functions.values()
            if _ASSERT_LINE.search(_lines_of(lines, module.functions[qualname]))
        }
        self.global_names = _top_level_names(module.source) | set(self.functions)

    def callee(self, call: ast.Call) -> str | None:
        """The qualname `call` calls, if it is a function or method of the module."""
        func = call.func
        if isinstance(func, ast.Name):
            if func.id in self.functions:
                return self.functions[func.id]
            return self.classes.get(func.id, {}).get("__init__")
        if isinstance(func, ast.Attribute):
            owner = func.value
            if isinstance(owner, ast.Call):
                owner = owner.func  # `Stack().push(1)`
            if isinstance(owner, ast.Name) and owner.id in self.classes:
                return self.classes[owner.id].get(func.attr)
            return self.unique_methods.get(func.attr)
        return None

    def function_under_test(self, node: ast.AST) -> str:
        """Best guess at the function `node` exercises: the first module call in it.

        A call of a test helper (`check(add)`, `test_add()`) stands for the
        function passed to it or, failing that, the first one the helper calls.
        """
        for call in calls_in_order(node):
            callee = self.callee(call)
            if callee is None:
                continue
            if callee not in self.test_functions:
                return callee
            for arg in call.args:
                if isinstance(arg, ast.Name) and arg.id in self.functions:
                    return self.functions[arg.id]
            inner = self.module.functions[callee].calls
            return next((c for c in inner if c not in self.test_functions), "")
        return ""

    def free_names(self, node: ast.AST) -> set[str]:
        """Names `node` reads that neither the module nor builtins define."""
        bound = {
            target.id
            for sub in ast.walk(node)
            if isinstance(sub, ast.comprehension)
            for target in ast.walk(sub.target)
            if isinstance(target, ast.Name)
        }
        bound |= {
            arg.arg for sub in ast.walk(node) if isinstance(sub, ast.Lambda) for arg in _args(sub)
        }
        used = {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name)}
        return used - bound - self.global_names - set(dir(builtins))


def calls_in_order(node: ast.AST) -> list[ast.Call]:
    """Calls in `node` in reading order (an outer call before those in its arguments)."""
    calls = [sub for sub in ast.walk(node) if isinstance(sub, ast.Call)]
    return sorted(calls, key=lambda call: (call.lineno, call.col_offset))


def segment(text: str, node: ast.AST) -> str:
    """The source of `node`, dedented so it runs on its own."""
    found = ast.get_source_segment(text, node, padded=True)
    return textwrap.dedent(found) if found is not None else ast.unparse(node)


def parse_expression(text: str) -> ast.expr | None:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _args(node: ast.Lambda) -> Iterable[ast.arg]:
    spec = node.args
    extra = [a for a in (spec.vararg, spec.kwarg) if a is not None]
    return [*spec.posonlyargs, *spec.args, *spec.kwonlyargs, *extra]


def _lines_of(lines: list[str], func: FunctionInfo) -> str:
    return "\n".join(lines[func.body_line - 1 : func.end_line])


def _top_level_names(source: str) -> set[str]:
    names: set[str] = set()
    for match in _TOP_LEVEL_BINDING.finditer(source):
        for group in match.groups():
            if group:
                names |= {
                    part.split(" as ")[-1].split(".")[0].strip()
                    for part in group.split(",")
                    if part.strip()
                }
    return names
