"""Bounded, exception-proof reprs of user values.

Everything the sandbox reports about a user object goes through `safe_repr`: a
`__repr__` that raises, recurses forever or takes too long must not take the
sandbox down with it, and a list of a million items must not cost a million
item reprs at every block boundary.
"""

from __future__ import annotations

import contextlib
import itertools
import reprlib
import signal
import types
from collections.abc import Callable
from typing import Any

ELLIPSIS = "..."

# Immutable values whose repr is cheap and can be computed later (the tracer
# keeps them raw and renders them once, at the end of the run).
RAW_TYPES: frozenset[type] = frozenset({int, float, bool, type(None), complex})

_SMALL_CONTAINER = 20
_SCALARS = RAW_TYPES | {str, bytes}
_SLOW_REPR_SECONDS = 0.2


class _Slow(Exception):
    pass


def _on_alarm(signum: int, frame: types.FrameType | None) -> None:
    raise _Slow


def _bounded(limit: int) -> reprlib.Repr:
    r = reprlib.Repr()
    r.maxlevel = 3
    r.maxstring = r.maxother = r.maxlong = max(limit, 20)
    r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdeque = r.maxarray = 12
    r.maxdict = 8
    return r


_REPRS: dict[int, reprlib.Repr] = {}


def cap(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with an ellipsis when longer."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)] + ELLIPSIS


def _user_defined_repr(value: Any) -> bool:
    return isinstance(getattr(type(value), "__repr__", None), types.FunctionType)


def _with_deadline(func: Callable[[], str]) -> str:
    """Run a user `__repr__` with a wall-clock alarm, when we own the alarm.

    Only in the main thread (signals), and only when no one else set an alarm.
    """
    try:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
    except ValueError:  # not the main thread
        return func()
    if previous not in (signal.SIG_DFL, signal.SIG_IGN, None, _on_alarm) or signal.getitimer(
        signal.ITIMER_REAL
    ) != (0.0, 0.0):
        signal.signal(signal.SIGALRM, previous)
        return func()
    signal.setitimer(signal.ITIMER_REAL, _SLOW_REPR_SECONDS)
    try:
        return func()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def safe_repr(value: Any, limit: int = 200) -> str:
    """A repr of `value` of at most `limit` characters that never raises."""
    try:
        t = type(value)
        if t in RAW_TYPES:
            return cap(repr(value), limit)
        if t is str or t is bytes:
            return cap(repr(value[: limit + 1]), limit)
        if (
            t in (list, tuple, set, frozenset)
            and len(value) <= _SMALL_CONTAINER
            and all(type(item) in _SCALARS for item in value)
        ):
            return cap(repr(value), limit)
        if _user_defined_repr(value):
            try:
                return cap(_with_deadline(lambda: repr(value)), limit)
            except Exception as exc:  # noqa: BLE001 - its own repr failed: show what it holds
                why = "took too long" if isinstance(exc, _Slow) else f"raised {_type_name(exc)}"
                shown = attributes_repr(value, limit, suffix=f" (its __repr__ {why})")
                if shown is not None:
                    return shown
                raise
        if t.__repr__ is object.__repr__:
            shown = attributes_repr(value, limit)
            if shown is not None:
                return shown
        r = _REPRS.get(limit)
        if r is None:
            r = _REPRS[limit] = _bounded(limit)
        return cap(r.repr(value), limit)
    except BaseException as exc:  # noqa: BLE001 - a user __repr__ may raise anything
        if isinstance(exc, KeyboardInterrupt):
            raise
        return f"<unrepresentable {_type_name(value)}>"


MAX_ATTRIBUTES = 8
_CHEAP = frozenset({int, float, bool, type(None)})  # short reprs: no need to bound them
_ATTRIBUTE_DEPTH = 2  # Node(next=Node(next=<Node>)): deeper objects are only named


_SLOTS: dict[type, tuple[str, ...]] = {}  # by class: the slots an instance may fill


def _slot_names(kind: type) -> tuple[str, ...]:
    names = _SLOTS.get(kind)
    if names is None:
        found: list[str] = []
        for klass in kind.__mro__:
            slots = klass.__dict__.get("__slots__", ())
            found += [slots] if isinstance(slots, str) else list(slots)
        names = _SLOTS[kind] = tuple(n for n in found if n not in ("__dict__", "__weakref__"))
    return names


def _instance_state(value: Any) -> list[tuple[str, Any]] | None:
    """Up to MAX_ATTRIBUTES + 1 attributes an instance holds, read without running any
    of its code; None if it has no place for any (no `__dict__`, no `__slots__`).

    `object.__getattribute__` bypasses a user `__getattr__`/`__getattribute__`
    (which may raise, loop or have side effects); properties are not run.
    """
    try:
        found = object.__getattribute__(value, "__dict__")
    except AttributeError:
        found = None
    slots = _slot_names(type(value))
    if not isinstance(found, dict) and not slots:
        return None
    state: list[tuple[str, Any]] = []
    if isinstance(found, dict):
        named = ((k, v) for k, v in found.items() if type(k) is str)
        state = list(itertools.islice(named, MAX_ATTRIBUTES + 1))
    for name in slots[: MAX_ATTRIBUTES + 1 - len(state)]:
        with contextlib.suppress(AttributeError):  # an unset slot
            state.append((name, object.__getattribute__(value, name)))
    return state


_depth = 0


def attributes_repr(value: Any, limit: int, suffix: str = "") -> str | None:
    """`Counter(count=3, items=[1, 2])` for an object without a repr of its own.

    At most MAX_ATTRIBUTES attributes, each shown within a share of `limit`,
    nested objects to _ATTRIBUTE_DEPTH; None if the object has no attributes
    to show (a builtin with no __dict__), so the caller falls back to its repr.
    """
    global _depth
    state = _instance_state(value)
    if state is None:
        return None
    name = _type_name(value)
    if _depth >= _ATTRIBUTE_DEPTH:
        return f"<{name}>"
    _depth += 1
    try:
        each = max(limit // max(min(len(state), MAX_ATTRIBUTES), 1), 20)
        parts = [
            f"{k}={repr(v) if type(v) in _CHEAP else safe_repr(v, each)}"
            for k, v in state[:MAX_ATTRIBUTES]
        ]
    finally:
        _depth -= 1
    if len(state) > MAX_ATTRIBUTES:
        parts.append(ELLIPSIS)
    return cap(f"{name}({', '.join(parts)}){suffix}", limit)


def _type_name(value: Any) -> str:
    try:
        return type(value).__qualname__
    except BaseException:  # noqa: BLE001
        return "object"


def describe_exception(exc: BaseException, limit: int = 200) -> str:
    """ "ValueError: bad input", bounded, even when `str(exc)` raises."""
    name = _type_name(exc)
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001
        text = "<unprintable message>"
    return cap(f"{name}: {text}" if text else name, limit)
