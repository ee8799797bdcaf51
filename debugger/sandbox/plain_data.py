"""Plain data in a canonical form: what crosses from the grandchild for the worker to compare.

A value is plain when it is made only of exact int, float, complex, str,
bytes, bool, None, list, tuple, dict, set and frozenset (a subclass that
redefines none of `__eq__`, `__ne__`, `__hash__` — a namedtuple, an IntEnum —
counts as its base, read through the base's own methods), within bounds.
Its canonical form is nested JSON lists and strings: ints and floats in hex
(exact, big ints past int()'s digit limit, -0.0, infinities), each NaN by
number so that the same NaN object stays one object (`x = nan; [x] == [x]`).
`rebuild` makes builtin values of it again, in a process the code under test
never ran in, where `==` is Python's own. For a value that is not plain, the
encoder notes who would decide an `==` with it: a library (C code, or Python
in a file outside the code under test's folders) or the code under test.

Standard library only, Python 3.9: part of the child kit (kit.py).
"""

from __future__ import annotations

import json
import math
import os
import types
from collections.abc import Callable, Iterator
from typing import Any

MAX_NODES = 10_000  # values, containers and their items, per side
MAX_CHARS = 1_000_000  # characters of str, bytes (hex) and ints (hex), per side
_MAX_DEPTH = 60

_C_COMPARISONS = (
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    types.BuiltinFunctionType,
    types.MethodDescriptorType,
)

_PLAIN_BASES = (bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset)
_REDEFINED = ("__eq__", "__ne__", "__hash__")
_class_dict = type.__dict__["__dict__"].__get__  # not a metaclass's __dict__
_class_mro = type.__dict__["__mro__"].__get__


_EXACT = frozenset(_PLAIN_BASES) | {type(None)}


def _plain_base(kind: type) -> type | None:
    """The builtin `kind` compares as: itself, or the base of a subclass redefining nothing."""
    if kind in _EXACT:
        return kind
    for klass in _class_mro(kind):
        if klass in _PLAIN_BASES:
            return klass
        if any(name in _class_dict(klass) for name in _REDEFINED):
            return None
    return None


# The builtin's own iteration, never a subclass's __iter__.
_CONTAINERS: dict[type, tuple[str, Callable[[Any], Iterator[Any]]]] = {
    list: ("l", list.__iter__),
    tuple: ("t", tuple.__iter__),
    set: ("S", set.__iter__),
    frozenset: ("F", frozenset.__iter__),
}


class _TooBig(Exception):
    pass


class Encoder:
    """Canonical forms of plain values, with NaN objects numbered by identity.

    One encoder per expectation, for both sides: `x = float("nan"); [x] == [x]`
    is True in Python (identity before equality), and the worker rebuilds one
    NaN object per number to keep it so.
    """

    def __init__(self, outside: tuple[str, ...]) -> None:
        self.outside = outside  # folders of the code under test
        self.nans: dict[int, int] = {}
        self.keep: list[Any] = []  # the NaNs, alive while their ids are used
        self.origin = ""
        self.detail = ""
        self.deciders: dict[type, str] = {}  # a class -> who decides its ==, once per class

    def encode(self, value: Any) -> Any:
        """The canonical form of `value`; None if it is not plain (see `origin`)."""
        self.origin, self.detail = "", ""
        self.nodes, self.chars = 0, 0
        try:
            found = self._form(value, 0)
        except (_TooBig, RecursionError):
            self.origin = "big"
            return None
        return found

    def _form(self, value: Any, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > _MAX_DEPTH:
            raise _TooBig
        base = _plain_base(type(value))
        if base is None:
            self._not_plain(value)
            return None
        if value is None:
            return ["N"]
        if base is bool:
            return ["b", "1" if value else "0"]
        if base is int:
            return ["i", self._count(int.__int__(value).__format__("x"))]
        if base is float:
            number = float.__float__(value)
            if math.isnan(number):
                if id(value) not in self.nans:
                    self.nans[id(value)] = len(self.nans)
                    self.keep.append(value)
                return ["n", self.nans[id(value)]]
            return ["f", number.hex()]
        if base is complex:
            # A complex NaN part is a fresh float on each access: no identity to keep.
            if type(value) is not complex or value != value:
                self._not_plain(value)
                return None
            return ["c", self._form(value.real, depth + 1), self._form(value.imag, depth + 1)]
        if base is str:
            return ["s", self._count(str.__str__(value))]
        if base is bytes:
            return ["y", self._count(bytes(memoryview(value)).hex())]
        if base is dict:
            pairs = []
            for key, item in dict.items(value):
                pairs.append([self._form(key, depth + 1), self._form(item, depth + 1)])
            return None if self.origin else ["d", pairs]
        tag, each = _CONTAINERS[base]
        items = [self._form(item, depth + 1) for item in each(value)]
        return None if self.origin else [tag, items]

    def _count(self, text: str) -> str:
        self.chars += len(text)
        if self.chars > MAX_CHARS:
            raise _TooBig
        return text

    def _not_plain(self, value: Any) -> None:
        """Note who would decide an `==` with `value`: the code under test, or not."""
        kind = type(value)
        if self.origin == "code":
            return
        if kind not in self.deciders:
            self.deciders[kind] = self._decider(kind)
        self.origin = self.deciders[kind]
        self.detail = str(getattr(kind, "__qualname__", "?"))[:200]

    def _decider(self, kind: type) -> str:
        decides: Any = None
        for klass in _class_mro(kind):
            decides = _class_dict(klass).get("__eq__")
            if decides is not None:
                break
        if isinstance(decides, _C_COMPARISONS):
            return "library"
        code = getattr(decides, "__code__", None)
        where = getattr(code, "co_filename", "") if code is not None else ""
        real = os.path.realpath(where) if os.path.isabs(where) else ""
        if real and os.path.isfile(real) and not _inside(real, self.outside):
            return "library"
        return "code"


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def to_text(form: Any) -> str:
    """A canonical form as JSON text ("" for None): one str for the codec, not a tree."""
    return "" if form is None else json.dumps(form, separators=(",", ":"))


_SCALARS = frozenset("bifsy")


def rebuild(form: Any, nans: dict[int, float], depth: int = 0) -> Any:
    """The builtin value of a canonical form; ValueError for one no child would send.

    `nans` maps NaN numbers to the objects made for them, shared by both sides.
    """
    if type(form) is not list or not form or type(form[0]) is not str or depth > _MAX_DEPTH:
        raise ValueError("not a canonical value")
    tag, rest = form[0], form[1:]
    if tag == "N" and not rest:
        return None
    if len(rest) != 1 and tag != "c":
        raise ValueError("not a canonical value")
    if tag == "n" and type(rest[0]) is int:
        return nans.setdefault(rest[0], float("nan"))
    if tag in _SCALARS and type(rest[0]) is str:
        text = rest[0]
        if tag == "b":
            return text == "1"
        if tag == "i":
            return int(text, 16)
        if tag == "f":
            return float.fromhex(text)
        return text if tag == "s" else bytes.fromhex(text)
    if tag == "c" and len(rest) == 2:
        real, imag = (rebuild(part, nans, depth + 1) for part in rest)
        if type(real) is not float or type(imag) is not float:
            raise ValueError("not a canonical value")
        return complex(real, imag)
    items = rest[0]
    if type(items) is not list:
        raise ValueError("not a canonical value")
    if tag == "d":
        if not all(type(p) is list and len(p) == 2 for p in items):
            raise ValueError("not a canonical value")
        return {rebuild(k, nans, depth + 1): rebuild(v, nans, depth + 1) for k, v in items}
    build = {"l": list, "t": tuple, "S": set, "F": frozenset}.get(tag)
    if build is None:
        raise ValueError("not a canonical value")
    return build(rebuild(item, nans, depth + 1) for item in items)


def size(form: Any) -> int:
    """How many nodes a canonical form has (bounded before rebuilding it)."""
    count, stack = 0, [form]
    while stack:
        node = stack.pop()
        count += 1
        if count > 4 * MAX_NODES:
            break
        if type(node) is list:
            stack.extend(node)
    return count
