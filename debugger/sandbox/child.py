"""Confinement of the sandbox grandchild, applied right after the fork.

Defence in depth, because we often run as root where the kernel's process
limit does not apply: resource limits, a process group of its own (so the
worker can kill everything it started), no stdin, no inherited descriptors,
privileges dropped to `nobody` when we have them to drop, the kernel's walls
(landlock.py: writes, reads of HOME's dot-folders, TCP, signals; seccomp.py:
other sockets, chmod/chown/xattrs, device nodes, ptrace, forks when none is
allowed; no capabilities), and an audit hook that refuses to start processes
and to write outside the scratch copy and the system temp dir. The audit hook
is not a security boundary against hostile code (ctypes, `dir_fd` and `gc`
walk around it: tests/security/); the kernel's walls and the uid drop are.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from . import seccomp
from .landlock import readable, restrict
from .protocol import Order

_MB = 1024 * 1024
_THREADS = 64  # threads count against RLIMIT_NPROC too; leave room for them

_PROCESS_EVENTS = frozenset(
    {
        "os.fork",
        "os.forkpty",
        "os.system",
        "os.exec",
        "os.spawn",
        "os.posix_spawn",
        "subprocess.Popen",
        "pty.spawn",
    }
)
# event -> positions of (path, dir_fd) pairs among its arguments
_PATH_EVENTS: dict[str, tuple[tuple[int, int | None], ...]] = {
    "os.remove": ((0, 1),),
    "os.rmdir": ((0, 1),),
    "os.mkdir": ((0, 2),),
    "os.rename": ((0, 2), (1, 3)),
    "os.link": ((0, 2), (1, 3)),
    "os.symlink": ((1, 2),),
    "os.truncate": ((0, None),),
    "os.chmod": ((0, 2),),
    "os.chown": ((0, 3),),
    "os.chflags": ((0, None),),
    "os.utime": ((0, 3),),
    "os.setxattr": ((0, None),),
    "os.removexattr": ((0, None),),
    "shutil.rmtree": ((0, 1),),
    "shutil.copyfile": ((1, None),),
    "shutil.copytree": ((1, None),),
    "shutil.move": ((0, None), (1, None)),
    "shutil.chown": ((0, None),),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in roots)


def make_guard(
    allowed: tuple[str, ...], denied: tuple[str, ...], allow_processes: bool
) -> Callable[[str, tuple[Any, ...]], None]:
    """An audit hook refusing process creation and writes outside `allowed`."""
    # Bound now: code under test could replace os.path.realpath (which the
    # check calls) with one that says every path is inside the scratch copy.
    realpath, readlink, fsdecode, fspath, isabs, join = (
        os.path.realpath,
        os.readlink,
        os.fsdecode,
        os.fspath,
        os.path.isabs,
        os.path.join,
    )
    allowed = tuple(realpath(p) for p in allowed)
    denied = tuple(realpath(p) for p in denied)
    watched = frozenset(_PATH_EVENTS) | {"open", "os.kill", "os.killpg"}
    if not allow_processes:
        watched |= _PROCESS_EVENTS

    def refuse(what: str) -> None:
        raise PermissionError(f"mgdebug sandbox: {what} is not allowed in the code under test")

    def check_path(event: str, path: Any, dir_fd: Any) -> None:
        if isinstance(path, int) or path is None:
            return  # an already open descriptor: checked when it was opened
        text = fsdecode(fspath(path))
        # dir_fd -1 is how the audit events say "no dir_fd" (relative to the cwd).
        if isinstance(dir_fd, int) and dir_fd >= 0 and not isabs(text):
            text = join(readlink(f"/proc/self/fd/{dir_fd}"), text)
        real = realpath(text)
        if real == os.devnull:
            return
        if _under(real, denied) or not _under(real, allowed):
            refuse(f"{event} on {text!r} (outside the scratch copy)")

    def guard(event: str, args: tuple[Any, ...]) -> None:
        if event not in watched:
            return
        if event == "open":
            path, _mode, flags = args
            if isinstance(flags, int) and flags & _WRITE_FLAGS:
                check_path("writing", path, None)
        elif event in _PROCESS_EVENTS:
            refuse(f"starting a process ({event})")
        elif event in ("os.kill", "os.killpg"):
            target = args[0]
            mine = (0, os.getpid()) if event == "os.kill" else (0, os.getpgrp())
            if target not in mine and not (event == "os.kill" and target == -os.getpgrp()):
                refuse(f"{event}({target})")
        else:
            for path_at, fd_at in _PATH_EVENTS[event]:
                dir_fd = args[fd_at] if fd_at is not None and fd_at < len(args) else None
                check_path(event, args[path_at] if path_at < len(args) else None, dir_fd)

    return guard


def _set_limit(kind: int, value: int) -> None:
    _soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    # Keep the inherited limit rather than fail the run.
    with contextlib.suppress(ValueError, OSError):
        # A CPU hard limit one second above the soft one: SIGXCPU first, then SIGKILL.
        resource.setrlimit(kind, (value, value if kind != resource.RLIMIT_CPU else value + 1))


def _quiet_descriptors(keep: int) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)


def confine(order: Order, result_fd: int) -> None:
    """Everything between fork and the first line of user code."""
    os.setpgid(0, 0)
    _quiet_descriptors(result_fd)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversize writes raise OSError instead
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    limits = order.limits
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_CPU, max(1, int(limits.cpu_seconds)))
    _set_limit(resource.RLIMIT_FSIZE, limits.file_mb * _MB)
    _set_limit(resource.RLIMIT_AS, limits.memory_mb * _MB)
    _set_limit(resource.RLIMIT_NPROC, limits.max_processes + _THREADS)

    if any(e.kind == "pytest" for e in order.expectations):
        write_module_file(order)
    os.chdir(order.scratch_root)
    sys.path.insert(0, order.scratch_root)
    sys.dont_write_bytecode = True
    keep = seccomp.CAP_DAC_READ_SEARCH if order.keep_read else 0
    if order.run_as is not None:
        uid, gid = order.run_as
        if keep:
            seccomp.keep_capabilities(keep)
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if keep:
            seccomp.drop_capabilities(keep)
        # pytest names its temp dir after the user and checks who owns it.
        os.environ.update(USER="nobody", LOGNAME="nobody", HOME=order.scratch_root)
    if order.scratch_base:
        needed = _needed_by_imports(order.scratch_base)
        restrict([order.scratch_base], limits.network, order.hidden, needed)
        # After Landlock, which set no_new_privs: what Landlock does not govern.
        seccomp.install(network=limits.network, keep=keep, processes=limits.max_processes > 0)
    denied = (order.user_root,) if order.user_root else ()
    sys.addaudithook(
        make_guard((order.scratch_root, tempfile.gettempdir()), denied, limits.max_processes > 0)
    )


def prepare(order: Order) -> None:
    """In the worker, before it forks: what confine() computes the same for every grandchild."""
    if order.scratch_base and order.hidden:
        readable(order.hidden, _needed_by_imports(order.scratch_base))
    if order.scratch_base and seccomp.supported():
        seccomp.program(order.limits.network, order.limits.max_processes > 0)


_needed: dict[str, list[str]] = {}


def _needed_by_imports(scratch_base: str) -> list[str]:
    """Folders imports read from, even under a hidden dot-folder (~/.pyenv, ~/.local).

    Computed once per worker (prepare), inherited by its grandchildren.
    """
    if scratch_base not in _needed:
        _needed[scratch_base] = _needed_now(scratch_base)
    return _needed[scratch_base]


def _needed_now(scratch_base: str) -> list[str]:
    places = [*sys.path, sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    real = {os.path.realpath(p) for p in places if p and os.path.exists(p)}
    # The scratch copy on sys.path (the grandchild's, not the worker's) is in the base.
    base = os.path.realpath(scratch_base)
    return sorted({p for p in real if not _under(p, (base,))} | {base})


def write_module_file(order: Order) -> None:
    """pytest and tools that read the file from disk must see job.source too."""
    try:
        with open(order.module_file, encoding="utf-8") as f:
            if f.read() == order.source:
                return
    except OSError:
        pass
    partial = f"{order.module_file}.{os.getpid()}.tmp"
    with open(partial, "w", encoding="utf-8") as f:
        f.write(order.source)
    if order.run_as is not None and os.geteuid() != order.run_as[0]:
        os.chown(partial, *order.run_as)  # before the drop; after it, the file is ours
    os.replace(partial, order.module_file)
