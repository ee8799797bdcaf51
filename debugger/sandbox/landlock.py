"""Landlock: the kernel, not an audit hook, keeps code under test inside its scratch folder.

The audit hook (child.py) sees only what Python reports, and Python code can
walk around it (ctypes into libc, `os.open` with a `dir_fd`, emptying the
hook's closure). A Landlock domain is enforced by the kernel on the process
and everything it starts, and cannot be lifted from inside. Applied in the
grandchild just before the first line of user code:

- files: creating, writing, truncating, renaming and removing only under the
  run's scratch folder (the copy of the project, its HOME and TMPDIR) and
  writing to /dev/null; reading stays open (imports need the interpreter and
  site-packages wherever they live);
- network (ABI 4+): no TCP connect or bind, so nothing read can be sent away;
- scopes (ABI 6+): no signal to a process outside the domain (the worker,
  mgdebug, the user's processes) and no abstract Unix socket outside it.

Linux 5.13+ with Landlock enabled; elsewhere `restrict` says so and the
other layers (privilege drop, rlimits, the audit hook) remain. Stdlib only,
Python 3.9: part of the child kit.
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Sequence

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on every architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_WRITE_FILE = 1 << 1
_WRITES = (
    _WRITE_FILE
    | (1 << 4)  # REMOVE_DIR
    | (1 << 5)  # REMOVE_FILE
    | (1 << 6)  # MAKE_CHAR
    | (1 << 7)  # MAKE_DIR
    | (1 << 8)  # MAKE_REG
    | (1 << 9)  # MAKE_SOCK
    | (1 << 10)  # MAKE_FIFO
    | (1 << 11)  # MAKE_BLOCK
    | (1 << 12)  # MAKE_SYM
)
_REFER = 1 << 13  # ABI 2: linking or renaming across folders
_TRUNCATE = 1 << 14  # ABI 3
_NET_TCP = (1 << 0) | (1 << 1)  # ABI 4: BIND_TCP, CONNECT_TCP
_SCOPES = (1 << 0) | (1 << 1)  # ABI 6: ABSTRACT_UNIX_SOCKET, SIGNAL


class _Ruleset(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1  # the kernel's struct is packed: 12 bytes
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_cache: dict[str, object | None] = {}


def _libc() -> ctypes.CDLL | None:
    if "libc" not in _cache:
        try:
            _cache["libc"] = ctypes.CDLL(None, use_errno=True)
        except OSError:
            _cache["libc"] = None
    return _cache["libc"]  # type: ignore[return-value]


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is missing or disabled."""
    libc = _libc()
    if libc is None or platform.system() != "Linux":
        return 0
    version = libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(0, int(version))


def layers(abi: int) -> list[str]:
    """What a domain built for `abi` blocks, as the report names it."""
    if abi <= 0:
        return []
    found = ["landlock: writes only in the scratch folder"]
    if abi >= 4:
        found.append("landlock: no TCP connections")
    if abi >= 6:
        found.append("landlock: no signals or abstract sockets outside the run")
    return found


def restrict(writable: Sequence[str], network: bool = False) -> tuple[int, str]:
    """Confine this process (and what it starts) for good; (ABI used, "" or why not).

    `writable`: folders where files may be made, written and removed.
    `network`: leave TCP open (the user asked for it).
    """
    abi = abi_version()
    if abi <= 0:
        return 0, "Landlock is not available in this kernel"
    libc = _libc()
    assert libc is not None
    fs = _WRITES | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    ruleset = _Ruleset(fs, 0 if network or abi < 4 else _NET_TCP, _SCOPES if abi >= 6 else 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    fd = libc.syscall(_CREATE_RULESET, ctypes.byref(ruleset), ctypes.c_size_t(size), 0)
    if fd < 0:
        return 0, "Landlock refused the ruleset: " + os.strerror(ctypes.get_errno())
    try:
        for folder in writable:
            _allow(libc, fd, folder, fs)
        _allow(libc, fd, os.devnull, _WRITE_FILE | (_TRUNCATE if abi >= 3 else 0))
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return 0, "no_new_privs refused: " + os.strerror(ctypes.get_errno())
        if libc.syscall(_RESTRICT_SELF, fd, 0) != 0:
            return 0, "Landlock refused to restrict: " + os.strerror(ctypes.get_errno())
    finally:
        os.close(fd)
    return abi, ""


def _allow(libc: ctypes.CDLL, ruleset_fd: int, path: str, access: int) -> None:
    try:
        target = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a folder that does not exist needs no rule
    try:
        rule = _PathBeneath(access, target)
        if not os.path.isdir(path):
            rule.allowed_access = access & (_WRITE_FILE | _TRUNCATE)  # file rights only
        libc.syscall(_ADD_RULE, ruleset_fd, _RULE_PATH_BENEATH, ctypes.byref(rule), 0)
    finally:
        os.close(target)
