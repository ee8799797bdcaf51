"""The sandbox's messages as JSON, never pickle: what a child sends cannot run code here.

Code under test shares its process with the grandchild's end of the result
pipe, so it can write any bytes there; unpickling them would run its code in
the worker and in mgdebug itself (issue 12). JSON only rebuilds plain data,
and the few structured types are tagged objects, checked on the way in:

    tuple -> {"t": [...]}         dict with str keys -> {"m": {...}}
    set   -> {"s": [...]}         other dict         -> {"d": [[key, value], ...]}
    a dataclass of mgdebug's own -> {"c": "module:qualname", "f": {field: value}}

A dataclass is rebuilt without calling its code (like pickle, but only for
classes that are mgdebug dataclasses already imported here, and only with
their declared fields). Both ends run the same kit (child_kit.py), possibly
on different Python versions (3.9 to 3.13): JSON does not care.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

_OWN_PREFIX = "mgdebug."


class ProtocolError(Exception):
    """A message that is not one mgdebug could have sent."""


_PLAIN = (str, int, float, bool, type(None))
_NO_DEFAULT = object()
# Per dataclass, looked up once: its fields and their defaults (a factory's
# value for `field(default_factory=list)`), so that defaults are left out.
_field_names: dict[type, tuple[tuple[str, Any], ...]] = {}


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return _NO_DEFAULT


def _fields_of(kind: type) -> tuple[tuple[str, Any], ...] | None:
    names = _field_names.get(kind)
    if names is None:
        if not (dataclasses.is_dataclass(kind) and kind.__module__.startswith(_OWN_PREFIX)):
            return None
        fields = dataclasses.fields(kind)
        names = _field_names[kind] = tuple((f.name, _default(f)) for f in fields)
    return names


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list:
        return [v if type(v) in _PLAIN else _encode(v) for v in value]
    if kind is dict:
        if all(type(k) is str for k in value):
            return {"m": {k: v if type(v) in _PLAIN else _encode(v) for k, v in value.items()}}
        return {"d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    names = _fields_of(kind)
    if names is not None:
        fields = {}
        for name, default in names:
            v = getattr(value, name)
            if type(v) in _PLAIN:
                if v != default or type(v) is not type(default):
                    fields[name] = v
            elif v != default:
                fields[name] = _encode(v)
        return {"c": f"{kind.__module__}:{kind.__qualname__}", "f": fields}
    if kind is tuple:
        return {"t": [_encode(v) for v in value]}
    if kind in (set, frozenset):
        return {"s": [_encode(v) for v in value]}
    # Subclasses of the plain types (IntFlag, str enums, ...) go as their base.
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    raise TypeError(f"the sandbox protocol cannot send a {kind.__name__}")


def encode(message: Any) -> bytes:
    return json.dumps(_encode(message), separators=(",", ":")).encode("ascii")


_classes: dict[str, tuple[Any, dict[str, dataclasses.Field[Any]]]] = {}


def _class(name: Any) -> tuple[Any, dict[str, dataclasses.Field[Any]]]:
    """The dataclass named `name` and its fields, if it is one of mgdebug's already imported."""
    if not isinstance(name, str):
        raise ProtocolError(f"bad class name {name!r}")
    known = _classes.get(name)
    if known is not None:
        return known
    module_name, _, qualname = name.partition(":")
    module = sys.modules.get(module_name)  # never imports: only classes already here
    if not module_name.startswith(_OWN_PREFIX) or module is None or not qualname:
        raise ProtocolError(f"unknown class {name!r}")
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if not isinstance(found, type) or not dataclasses.is_dataclass(found):
        raise ProtocolError(f"unknown class {name!r}")
    known = _classes[name] = (found, {f.name: f for f in dataclasses.fields(found)})
    return known


def _instance(name: Any, raw: Any) -> Any:
    cls, fields = _class(name)
    if not isinstance(raw, dict):
        raise ProtocolError(f"bad fields for {name}")
    if not raw.keys() <= fields.keys():
        unknown = sorted(raw.keys() - fields.keys())[0]
        raise ProtocolError(f"{name} has no field {unknown!r}")
    obj = object.__new__(cls)
    for field_name, spec in fields.items():
        if field_name in raw:
            value = _decode(raw[field_name])
        elif spec.default is not dataclasses.MISSING:
            value = spec.default
        elif spec.default_factory is not dataclasses.MISSING:
            value = spec.default_factory()
        else:
            raise ProtocolError(f"{name} lacks field {field_name!r}")
        object.__setattr__(obj, field_name, value)  # frozen dataclasses too
    return obj


def _decode(value: Any) -> Any:
    kind = type(value)
    if kind is list:
        return [v if type(v) in _PLAIN else _decode(v) for v in value]
    if kind is not dict:
        return value
    if len(value) == 1:
        ((tag, body),) = value.items()
        if tag == "t" and isinstance(body, list):
            return tuple(_decode(v) for v in body)
        if tag == "m" and isinstance(body, dict):
            return {k: v if type(v) in _PLAIN else _decode(v) for k, v in body.items()}
        if tag == "s" and isinstance(body, list):
            return {_decode(v) for v in body}
        if (
            tag == "d"
            and isinstance(body, list)
            and all(isinstance(p, list) and len(p) == 2 for p in body)
        ):
            return {_decode(k): _decode(v) for k, v in body}
    if value.keys() == {"c", "f"}:
        return _instance(value["c"], value["f"])
    raise ProtocolError("not a sandbox message")


def decode(data: bytes) -> Any:
    """The message in `data`; ProtocolError for anything mgdebug would not have sent."""
    try:
        return _decode(json.loads(data))
    except ProtocolError:
        raise
    except (ValueError, TypeError, RecursionError) as exc:  # bad JSON, unhashable keys, nesting
        raise ProtocolError(str(exc)) from exc
