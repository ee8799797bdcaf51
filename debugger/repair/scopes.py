"""What a function binds: its parameters and locals, and the types visible without running."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst


@dataclass
class Scope:
    """The names a function binds: parameters, then locals in order of first binding."""

    qualname: str
    params: list[str] = field(default_factory=list)
    locals: dict[str, int] = field(default_factory=dict)  # name -> line of first binding
    shapes: dict[str, str] = field(default_factory=dict)  # name -> statically evident type

    def names(self) -> list[str]:
        return self.params + [n for n in self.locals if n not in self.params]

    def bind(self, name: str, line: int, shape: str | None) -> None:
        self.locals.setdefault(name, line)
        if shape and name not in self.shapes:
            self.shapes[name] = shape


_CONSTRUCTOR_SHAPES = {
    "len": "int",
    "int": "int",
    "ord": "int",
    "sum": "int",
    "float": "float",
    "str": "str",
    "repr": "str",
    "chr": "str",
    "list": "list",
    "sorted": "list",
    "dict": "dict",
    "set": "set",
    "tuple": "tuple",
    "bool": "bool",
}
_LITERAL_SHAPES: dict[type[cst.CSTNode], str] = {
    cst.Integer: "int",
    cst.Float: "float",
    cst.SimpleString: "str",
    cst.ConcatenatedString: "str",
    cst.FormattedString: "str",
    cst.List: "list",
    cst.ListComp: "list",
    cst.Dict: "dict",
    cst.DictComp: "dict",
    cst.Set: "set",
    cst.SetComp: "set",
    cst.Tuple: "tuple",
    cst.Comparison: "bool",
}


def static_shape(value: cst.CSTNode | None) -> str | None:
    """The type a value visibly has without running anything ("int" for `len(x)`), or None."""
    if value is None:
        return None
    shape = _LITERAL_SHAPES.get(type(value))
    if shape:
        return shape
    if isinstance(value, cst.Name):
        if value.value in ("True", "False"):
            return "bool"
        return value.value if value.value in _CONSTRUCTOR_SHAPES.values() else None
    if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Name):
        return static_shape(value.value)  # list[int] as an annotation
    if isinstance(value, cst.UnaryOperation):
        return "bool" if isinstance(value.operator, cst.Not) else static_shape(value.expression)
    if isinstance(value, cst.BinaryOperation):
        left, right = static_shape(value.left), static_shape(value.right)
        return left if left == right else None
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        return _CONSTRUCTOR_SHAPES.get(value.func.value)
    return None


def bound_names(target: cst.CSTNode) -> list[cst.Name]:
    """The names an assignment target binds (`a, (b, *c)` -> a, b, c; `x[i]` binds none)."""
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in bound_names(element.value)]
    if isinstance(target, cst.StarredElement):
        return bound_names(target.value)
    return []


def known_type(scope: Scope | None, observed: dict[str, str], name: str) -> str | None:
    """The type of a variable from the trace, else from its visible assignments, else None."""
    if name in observed:
        return observed[name]
    return scope.shapes.get(name) if scope is not None else None
