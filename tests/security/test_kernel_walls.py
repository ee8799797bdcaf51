"""Code that walks around the audit hook, stopped by the kernel (Landlock), judged on ground truth.

Run as the same user as mgdebug (no privilege drop), so file permissions do
not stop anything: what the user's files, a TCP listener and mgdebug's own
process look like afterwards shows what the code under test could do.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import folder_digest, given

from mgdebug.debugger.options import Limits
from mgdebug.debugger.sandbox.landlock import abi_version
from mgdebug.debugger.sandbox.pool import Job, Sandbox

pytestmark = pytest.mark.skipif(abi_version() < 6, reason="needs Landlock ABI 6 (Linux 6.12+)")

HOSTILE = """\
import ctypes
import gc
import os
import socket
import sys

libc = ctypes.CDLL(None)


def unlink_with_libc(path):
    return libc.unlink(path.encode())


def write_with_dir_fd(folder):
    fd = os.open(folder, os.O_RDONLY)
    out = os.open("planted.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(out, b"planted")
    return "wrote"


def empty_the_hook_then_write(path):
    for thing in gc.get_objects():
        if callable(thing) and getattr(thing, "__name__", "") == "guard":
            for cell in thing.__closure__ or ():
                try:
                    cell.cell_contents = frozenset()
                except Exception:
                    pass
    with open(path, "w") as f:
        f.write("escaped")
    return "wrote"


def call_home(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"secret")
    return "sent"


def kill_with_libc(pid):
    return libc.kill(pid, 9)
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    (root / "project").mkdir()
    (root / "project" / "mod.py").write_text(HOSTILE)
    (root / "project" / "keep.txt").write_text("precious\n")
    (root / "outside").mkdir()
    (root / "outside" / "victim.txt").write_text("precious\n")
    return root


@pytest.fixture(scope="module")
def box(world: Path) -> Iterator[Sandbox]:
    limits = Limits(wall_seconds=10, drop_privileges=False)
    with Sandbox(str(world / "project" / "mod.py"), limits) as sandbox:
        yield sandbox


def attempt(box: Sandbox, call: str) -> str:
    (result,) = box.run(Job(HOSTILE, [given("h", "f", "eval", call=call, expected="'never'")]))
    return f"{result.status}: {result.actual} {result.message}"


def test_libc_unlink_outside_the_scratch_copy_fails(box: Sandbox, world: Path) -> None:
    victim = world / "outside" / "victim.txt"
    attempt(box, f"unlink_with_libc({str(victim)!r})")
    assert victim.read_text() == "precious\n"


def test_a_write_through_dir_fd_into_the_project_fails(box: Sandbox, world: Path) -> None:
    before = folder_digest(world / "project")
    attempt(box, f"write_with_dir_fd({str(world / 'project')!r})")
    assert not (world / "project" / "planted.txt").exists()
    assert folder_digest(world / "project") == before


def test_emptying_the_audit_hook_does_not_open_the_filesystem(box: Sandbox, world: Path) -> None:
    target = world / "outside" / "escaped.txt"
    attempt(box, f"empty_the_hook_then_write({str(target)!r})")
    assert not target.exists()


def test_no_tcp_connection_leaves_the_sandbox() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(3)
    received: list[bytes] = []

    def accept() -> None:
        try:
            conn, _ = listener.accept()
            received.append(conn.recv(100))
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    port = listener.getsockname()[1]
    with Sandbox(__file__, Limits(wall_seconds=10, drop_privileges=False)) as sandbox:
        outcome = attempt(sandbox, f"call_home({port})")
    thread.join()
    listener.close()
    assert received == [], outcome
    assert "sent" not in outcome


def test_the_code_cannot_kill_mgdebug(box: Sandbox) -> None:
    # SIGKILL to mgdebug's own pid: with the signal scope it never arrives
    # (the test would die here otherwise).
    previous = signal.getsignal(signal.SIGTERM)
    outcome = attempt(box, f"kill_with_libc({os.getpid()})")
    assert signal.getsignal(signal.SIGTERM) == previous
    assert "-1" in outcome  # libc.kill returned -1 (EPERM)
