"""The C library, loaded once per process, for the calls Python's `os` lacks (prctl, syscall).

The sandbox's walls (landlock.py, seccomp.py), the worker's subreaper and the
parent's non-dumpable flag all need it; stdlib only, Python 3.9: part of the
child kit.
"""

from __future__ import annotations

import ctypes
import functools


@functools.cache
def libc() -> ctypes.CDLL | None:
    """The process's C library; None where there is none to load (not a libc system)."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def prctl(option: int, value: int = 0) -> bool:
    """`prctl(option, value, 0, 0, 0)`; whether it succeeded (False without a libc or prctl)."""
    lib = libc()
    if lib is None:
        return False
    try:
        return bool(lib.prctl(option, value, 0, 0, 0) == 0)
    except AttributeError:  # a libc without prctl: not Linux
        return False
