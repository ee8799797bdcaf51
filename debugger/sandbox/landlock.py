"""Landlock: the kernel, not an audit hook, keeps code under test inside its scratch folder.

The audit hook (child.py) sees only what Python reports, and Python code can
walk around it (ctypes into libc, `os.open` with a `dir_fd`, emptying the
hook's closure). A Landlock domain is enforced by the kernel on the process
and everything it starts, and cannot be lifted from inside. Applied in the
grandchild just before the first line of user code:

- reads: no file under a dot-entry of the user's HOME (~/.ssh, ~/.aws,
  ~/.netrc, ...) but for what imports need there (`readable`);
- files: creating, writing, truncating, renaming and removing only under the
  run's scratch folder (the copy of the project, its HOME and TMPDIR), never
  a device node, and writing to /dev/null;
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

from .libc import libc as c_library

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on every architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_WRITE_FILE = 1 << 1
# MAKE_CHAR, MAKE_BLOCK: handled but granted nowhere. Root could otherwise make
# a node for the disk in its scratch folder and write the disk through it.
_MAKE_DEVICE = (1 << 6) | (1 << 11)
_WRITES = (
    _WRITE_FILE
    | (1 << 4)  # REMOVE_DIR
    | (1 << 5)  # REMOVE_FILE
    | _MAKE_DEVICE
    | (1 << 7)  # MAKE_DIR
    | (1 << 8)  # MAKE_REG
    | (1 << 9)  # MAKE_SOCK
    | (1 << 10)  # MAKE_FIFO
    | (1 << 12)  # MAKE_SYM
)
_READ_FILE = 1 << 2
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


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is missing or disabled."""
    libc = c_library()
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


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


_readable: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}


def readable(hidden: Sequence[str], needed: Sequence[str]) -> list[str]:
    """`_readable_now`, computed once per worker (worker.py asks before forking)."""
    key = (tuple(hidden), tuple(needed))
    if key not in _readable:
        _readable[key] = _readable_now(hidden, needed)
    return _readable[key]


def _readable_now(hidden: Sequence[str], needed: Sequence[str]) -> list[str]:
    """Paths whose files may be read: everything but the dot-entries of the `hidden` folders.

    Landlock rules only allow, so "all but ~/.ssh" is the siblings of every
    folder on the way down to each dot-entry, and, inside a dot-entry, the
    `needed` paths there (the interpreter under ~/.pyenv, a venv under
    ~/.cache, the user site under ~/.local). Folders stay listable
    everywhere: only file contents are refused.
    """
    protected: list[str] = []
    for home in hidden:
        try:
            names = os.listdir(home)
        except OSError:
            continue  # unreadable to this user anyway
        dots = [os.path.join(home, n) for n in names if n.startswith(".")]
        # A dot-entry that links elsewhere (~/.aws -> /secure/aws): that place too.
        protected += dots + [os.path.realpath(d) for d in dots if os.path.islink(d)]
    if not protected:
        return [os.sep]
    found: list[str] = []

    def cover(folder: str) -> None:
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                # A rule is on what the link points to, maybe an ancestor of
                # ~/.ssh (pytest's `…current` links): the target's own place is
                # covered on its own way down.
                continue
            if path in protected:
                found.extend(k for k in needed if _inside(k, path))
            elif any(_inside(p, path) for p in protected):
                cover(path)
            else:
                found.append(path)

    cover(os.sep)
    return found


def restrict(
    writable: Sequence[str],
    network: bool = False,
    hidden: Sequence[str] = (),
    needed: Sequence[str] = (),
) -> tuple[int, str]:
    """Confine this process (and what it starts) for good; (ABI used, "" or why not).

    `writable`: folders where files may be made, written, removed and read.
    `network`: leave TCP open (the user asked for it).
    `hidden`: folders (the user's HOME) whose dot-entries' files may not be
    read, but for the `needed` paths there (`readable`).
    """
    abi = abi_version()
    if abi <= 0:
        return 0, "Landlock is not available in this kernel"
    libc = c_library()
    assert libc is not None
    fs = _WRITES | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    reads = readable(hidden, needed) if hidden else []  # cached: the worker asked first
    if reads:
        fs |= _READ_FILE
    ruleset = _Ruleset(fs, 0 if network or abi < 4 else _NET_TCP, _SCOPES if abi >= 6 else 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    fd = libc.syscall(_CREATE_RULESET, ctypes.byref(ruleset), ctypes.c_size_t(size), 0)
    if fd < 0:
        return 0, "Landlock refused the ruleset: " + os.strerror(ctypes.get_errno())
    try:
        for folder in writable:
            _allow(libc, fd, folder, fs & ~_MAKE_DEVICE)
        _allow(libc, fd, os.devnull, _WRITE_FILE | (_TRUNCATE if abi >= 3 else 0))
        for path in reads:
            _allow(libc, fd, path, _READ_FILE)
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
            rule.allowed_access = access & (_WRITE_FILE | _TRUNCATE | _READ_FILE)  # file rights
        libc.syscall(_ADD_RULE, ruleset_fd, _RULE_PATH_BENEATH, ctypes.byref(rule), 0)
    finally:
        os.close(target)
