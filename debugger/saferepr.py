"""Bounded, exception-proof reprs of user values.

Everything the sandbox reports about a user object goes through `safe_repr`: a
`__repr__` that raises, recurses forever or takes too long must not take the
sandbox down with it, and a list of a million items must not cost a million
item reprs at every block boundary.
"""

from __future__ import annotations

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
            return cap(_with_deadline(lambda: repr(value)), limit)
        r = _REPRS.get(limit)
        if r is None:
            r = _REPRS[limit] = _bounded(limit)
        return cap(r.repr(value), limit)
    except BaseException as exc:  # noqa: BLE001 - a user __repr__ may raise anything
        if isinstance(exc, KeyboardInterrupt):
            raise
        return f"<unrepresentable {_type_name(value)}>"


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
