"""Example inputs for one function, without a model: observed, typed, then boundary values.

In order of how much they say about real use:
1. calls observed while the file's own expectations ran traced (CallRecord
   arguments whose repr reads back as a Python literal);
2. values built from the parameters' type hints (or, without hints, from the
   types of the observed arguments and of the defaults);
3. boundary values of those types — empty, zero, negative, one element,
   large — varied one parameter at a time around a typical call.
Every input is Python source text; the outputs come from running it
(examples.py), never from here. A model's proposals enter as more `Case`s
with origin "model" (see `cases_from_model` in api.py).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mgdebug.analysis.model import FunctionInfo

from ..results import CallRecord

Origin = Literal["observed", "type hints", "boundary", "model"]
MAX_CASES = 14


@dataclass(frozen=True)
class Case:
    """One call of the function: an argument's source text per parameter, in order."""

    args: tuple[str, ...]
    origin: Origin

    def call(self, name: str, defaults: Sequence[str | None] = ()) -> str:
        """The call as written; trailing arguments equal to their defaults left out."""
        args = list(self.args)
        while args and len(args) <= len(defaults) and defaults[len(args) - 1] == args[-1]:
            args.pop()
        return f"{name}({', '.join(args)})"


@dataclass(frozen=True)
class Shape:
    """A type as far as building values goes: `list[int]` is Shape("list", (Shape("int"),))."""

    name: str
    args: tuple[Shape, ...] = ()


_TYPICAL: dict[str, str] = {
    "int": "3",
    "float": "2.5",
    "str": "'abc'",
    "bool": "True",
    "bytes": "b'abc'",
    "None": "None",
}
_BOUNDARY: dict[str, list[str]] = {
    "int": ["0", "-1", "1", "1000000"],
    "float": ["0.0", "-1.5", "1e6"],
    "str": ["''", "'a'", "'Hello, World'"],
    "bool": ["False"],
    "bytes": ["b''"],
}
_ALIASES = {
    "List": "list",
    "Sequence": "list",
    "Iterable": "list",
    "MutableSequence": "list",
    "Collection": "list",
    "Tuple": "tuple",
    "Dict": "dict",
    "Mapping": "dict",
    "MutableMapping": "dict",
    "Set": "set",
    "FrozenSet": "set",
    "frozenset": "set",
    "AbstractSet": "set",
    "Optional": "optional",
    "Union": "union",
}


def importable(func: FunctionInfo, source: str) -> bool:
    """Whether `func` is a module attribute once imported: a top-level `def`.

    A function defined under `if __name__ == "__main__":` (or any other block)
    is neither imported by a test nor seen by doctest.
    """
    if func.class_name is not None or func.parent is not None:
        return False
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.lineno <= func.line
        and node.name == func.name
        and node.end_lineno is not None
        and node.end_lineno >= func.line
        for node in tree.body
    )


def parameters(func: FunctionInfo) -> list[ast.arg] | None:
    """The plain parameters (no *args, **kwargs, keyword-only), or None if it has others."""
    try:
        tree = ast.parse(f"def _{func.signature}: pass")
    except SyntaxError:
        return None
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    spec = definition.args
    if spec.vararg or spec.kwarg or spec.kwonlyargs:
        return None
    return [*spec.posonlyargs, *spec.args]


def defaults(func: FunctionInfo) -> dict[str, str]:
    """Parameter name -> its default's source text."""
    tree = ast.parse(f"def _{func.signature}: pass")
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    spec = definition.args
    positional = [*spec.posonlyargs, *spec.args]
    tail = positional[len(positional) - len(spec.defaults) :]
    return {a.arg: ast.unparse(d) for a, d in zip(tail, spec.defaults, strict=True)}


def default_texts(func: FunctionInfo) -> list[str | None]:
    """Per plain parameter, its default's source text (None: it has none)."""
    given = defaults(func)
    return [given.get(p.arg) for p in parameters(func) or []]


def shape_of_annotation(node: ast.expr | None) -> Shape | None:
    """The shape of a type hint, or None when no value can be built for it."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return shape_of_annotation(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return None
    if isinstance(node, ast.Constant) and node.value is None:
        return Shape("None")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [shape_of_annotation(node.left), shape_of_annotation(node.right)]
        return _union([p for p in parts if p is not None])
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = node.id if isinstance(node, ast.Name) else node.attr
        name = _ALIASES.get(name, name)
        if name in _TYPICAL or name in ("list", "tuple", "dict", "set"):
            return Shape(name, (Shape("int"),) if name in ("list", "set", "tuple") else ())
        return None
    if isinstance(node, ast.Subscript):
        base = shape_of_annotation(node.value)
        outer = (
            node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "")
        )
        outer = _ALIASES.get(outer, outer)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        inner = [shape_of_annotation(i) for i in items if not _is_ellipsis(i)]
        if outer in ("optional", "union"):
            return _union([i for i in inner if i is not None])
        if base is None or any(i is None for i in inner):
            return None
        return Shape(base.name, tuple(i for i in inner if i is not None))
    return None


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _union(options: list[Shape]) -> Shape | None:
    real = [o for o in options if o.name != "None"]
    if not real:
        return options[0] if options else None
    if len(real) < len(options):
        return Shape("optional", (real[0],))
    return real[0]


def shape_of_value(value: Any) -> Shape | None:
    """The shape of an observed literal: [1, 2] -> list[int]."""
    if value is None:
        return Shape("None")
    for name in ("bool", "int", "float", "str", "bytes"):
        if type(value).__name__ == name:
            return Shape(name)
    if isinstance(value, (list, tuple, set, frozenset)):
        inner = [s for s in map(shape_of_value, value) if s is not None]
        name = "set" if isinstance(value, (set, frozenset)) else type(value).__name__
        return Shape(name, (inner[0],) if inner else (Shape("int"),))
    if isinstance(value, dict):
        keys = [s for s in map(shape_of_value, value) if s is not None]
        values = [s for s in map(shape_of_value, value.values()) if s is not None]
        return Shape(
            "dict", (keys[0] if keys else Shape("str"), values[0] if values else Shape("int"))
        )
    return None


def typical(shape: Shape) -> str:
    if shape.name in _TYPICAL:
        return _TYPICAL[shape.name]
    inner = shape.args[0] if shape.args else Shape("int")
    if shape.name == "optional":
        return typical(inner)
    if shape.name == "list":
        return "[" + ", ".join(_spread(inner, 3)) + "]"
    if shape.name == "set":
        return "{" + ", ".join(_spread(inner, 2)) + "}"
    if shape.name == "tuple":
        items = [typical(a) for a in shape.args] if len(shape.args) > 1 else _spread(inner, 2)
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if shape.name == "dict":
        key, value = (shape.args + (Shape("str"), Shape("int")))[:2]
        keys = _spread(key, 2)
        return "{" + ", ".join(f"{k}: {typical(value)}" for k in dict.fromkeys(keys)) + "}"
    return "None"


def _spread(shape: Shape, count: int) -> list[str]:
    """`count` different typical values of `shape`, where it has such."""
    choices = {
        "int": ["3", "1", "2"],
        "float": ["1.5", "0.5", "2.0"],
        "str": ["'b'", "'a'", "'c'"],
        "bool": ["True", "False", "True"],
    }.get(shape.name)
    return choices[:count] if choices else [typical(shape)] * min(count, 1)


# Values for the n-th parameter of one scalar type: `clamp(x, low, high)` is
# tried as clamp(2.5, 1.0, 4.0), not clamp(2.5, 2.5, 2.5), whose example says
# nothing about what the function does.
_VARIED: dict[str, list[str]] = {
    "int": ["3", "1", "5", "2"],
    "float": ["2.5", "1.0", "4.0", "0.5"],
    "str": ["'abc'", "'b'", "'xyz'"],
    "bytes": ["b'abc'", "b'b'"],
}


def _varied_typicals(kinds: Sequence[Shape]) -> tuple[str, ...]:
    """A typical value per parameter, different for parameters of the same scalar type."""
    seen: dict[str, int] = {}
    values: list[str] = []
    for shape in kinds:
        options = _VARIED.get(shape.name)
        nth = seen.get(shape.name, 0)
        seen[shape.name] = nth + 1
        values.append(options[nth % len(options)] if options else typical(shape))
    return tuple(values)


def boundaries(shape: Shape) -> list[str]:
    """Empty, zero, negative, one element, large: the values where code usually breaks."""
    if shape.name in _BOUNDARY:
        return list(_BOUNDARY[shape.name])
    inner = shape.args[0] if shape.args else Shape("int")
    if shape.name == "optional":
        return ["None", *boundaries(inner)[:2]]
    if shape.name == "list":
        one = typical(inner)
        negative = [b for b in boundaries(inner) if b.startswith("-")][:1]
        extra = [f"[{negative[0]}, {one}]"] if negative else []
        large = ["list(range(1000))"] if inner.name == "int" else []
        return ["[]", f"[{one}]", *extra, *large]
    if shape.name == "set":
        return ["set()", "{" + typical(inner) + "}"]
    if shape.name == "tuple" and len(shape.args) <= 1:
        return ["()", "(" + typical(inner) + ",)"]
    if shape.name == "dict":
        return ["{}"]
    return []


def literal(text: str) -> Any:
    """The value of a repr that is a Python literal; raises ValueError otherwise."""
    try:
        return ast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError) as exc:
        raise ValueError(text) from exc


def observed_cases(func: FunctionInfo, calls: Iterable[CallRecord]) -> list[Case]:
    """The traced calls of `func` whose every argument reads back as a literal."""
    params = parameters(func)
    if params is None:
        return []
    names = [p.arg for p in params]
    found: dict[tuple[str, ...], None] = {}
    for call in calls:
        if call.function != func.qualname or list(call.args) != names:
            continue
        try:
            for text in call.args.values():
                literal(text)
        except ValueError:
            continue  # an object, or a repr cut short: not something to write down
        found.setdefault(tuple(call.args.values()), None)
    return [Case(args, "observed") for args in found]


def shapes(func: FunctionInfo, observed: Sequence[Case]) -> list[Shape] | None:
    """Per parameter, its shape: from its hint, else an observed argument, else its default."""
    params = parameters(func)
    if params is None:
        return None
    given = defaults(func)
    result: list[Shape] = []
    for index, param in enumerate(params):
        shape = shape_of_annotation(param.annotation)
        for case in observed:
            if shape is None:
                shape = shape_of_value(literal(case.args[index]))
        if shape is None and param.arg in given:
            try:
                shape = shape_of_value(literal(given[param.arg]))
            except ValueError:
                shape = None
        if shape is None:
            return None
        result.append(shape)
    return result


def candidate_cases(func: FunctionInfo, calls: Iterable[CallRecord]) -> list[Case]:
    """Observed calls first, then one typed call, then boundaries one parameter at a time."""
    cases = observed_cases(func, calls)
    kinds = shapes(func, cases)
    if kinds is None or func.class_name is not None:
        return cases[:MAX_CASES]
    base = cases[0].args if cases else _varied_typicals(kinds)
    more = [] if cases else [Case(base, "type hints")]
    for index, shape in enumerate(kinds):
        for value in boundaries(shape):
            args = base[:index] + (value,) + base[index + 1 :]
            more.append(Case(args, "boundary"))
    seen = {c.args for c in cases}
    for case in more:
        if case.args not in seen:
            seen.add(case.args)
            cases.append(case)
    return cases[:MAX_CASES]
