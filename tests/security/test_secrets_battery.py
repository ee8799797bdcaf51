"""Secrets hunted the way hostile code would: other processes' environments, memory and
descriptors, the user's dot-files, and links planted in the project.

mgdebug's own environment holds a secret (as an API key would be); the fake
HOME holds an ssh key and a .netrc (Landlock keeps the files of HOME's
dot-entries unread). Judged on what the code could return: a secret in a
result reaches the report, and the model's prompt.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from battery import SECRET, World, attempt, describe, sandboxed

from mgdebug.debugger.options import Limits
from mgdebug.debugger.sandbox.landlock import abi_version
from mgdebug.debugger.sandbox.pool import Sandbox

pytestmark = pytest.mark.skipif(abi_version() < 6, reason="needs Landlock ABI 6 (Linux 6.12+)")

HOSTILE = r"""
import ctypes
import os
import stat


def environ_of(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        return f.read().decode(errors="replace")


def every_environ():
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found.append(environ_of(entry))
            except OSError:
                pass
    return "\n".join(found)


def memory_of(pid):
    loot = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
        for line in maps:
            if "[heap]" in line or "[stack]" in line:
                start, end = (int(x, 16) for x in line.split()[0].split("-"))
                mem.seek(start)
                loot.append(mem.read(min(end - start, 1 << 22)))
    return b"".join(loot).decode(errors="replace")


def vm_read(pid):
    class IoVec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(4096)
    local = IoVec(ctypes.cast(buf, ctypes.c_void_p), 4096)
    remote = IoVec(0x400000, 4096)
    got = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    return f"{got} errno={ctypes.get_errno()}"


def descriptors_of(pid):
    loot = []
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            fd = os.open(f"/proc/{pid}/fd/{name}", os.O_RDONLY | os.O_NONBLOCK)
            if stat.S_ISREG(os.fstat(fd).st_mode):
                loot.append(os.read(fd, 4096).decode(errors="replace"))
            os.close(fd)
        except OSError:
            pass
    return "\n".join(loot)


def my_home():
    home = os.path.expanduser("~")
    found = []
    for root, dirs, names in os.walk(home):
        for name in names:
            with open(os.path.join(root, name), errors="replace") as f:
                found.append(f.read())
    return "\n".join(found)


def read(path):
    with open(path) as f:
        return f.read()


def whole_scratch_copy():
    found = []
    for root, dirs, names in os.walk("."):
        for name in names:
            try:
                with open(os.path.join(root, name), errors="replace") as f:
                    found.append(f.read())
            except OSError:
                pass
    return "\n".join(found)
"""


@pytest.fixture(scope="module")
def box(setup_limits: Limits, worlds: Callable[[str], World]) -> Iterator[tuple[Sandbox, World]]:
    world = worlds(HOSTILE)
    # Links a prompt injection could plant, or a careless project holds.
    (world.project / "ssh").symlink_to(world.home / ".ssh")
    (world.project / "key.txt").symlink_to(world.home / ".ssh" / "id_rsa")
    (world.project / "sub").mkdir()
    (world.project / "sub" / "netrc").symlink_to(Path("../../home/.netrc"))
    secret_file = world.outside / "open-secret.txt"
    secret_file.write_text(SECRET)
    saved = dict(os.environ)
    os.environ["MGDEBUG_TEST_API_KEY"] = SECRET
    os.environ["HOME"] = str(world.home)  # the user's HOME, as mgdebug finds it
    held = open(secret_file)  # noqa: SIM115 - a descriptor of mgdebug's, open during the run
    try:
        with sandboxed(world, setup_limits) as (sandbox, _):
            sandbox.start()
            yield sandbox, world
    finally:
        held.close()
        os.environ.clear()
        os.environ.update(saved)


def _leaks() -> list[str]:
    """The secret, and entries of mgdebug's own start-up environment no allow-list keeps.

    (Setting os.environ does not change /proc/<pid>/environ: the entries that
    were there at start-up are what a reader of that file would get.)
    """
    with open("/proc/self/environ", "rb") as f:
        entries = f.read().decode(errors="replace").split("\0")
    kept = ("PATH=", "LANG=", "TERM=", "LC_", "HOME=", "PYTHON", "VIRTUAL_ENV=", "COLUMNS=")
    mine = [e for e in entries if len(e) > 8 and not e.startswith(kept)]
    return [SECRET, *mine[:8]]


def _loot(box: tuple[Sandbox, World], call: str) -> str:
    sandbox, world = box
    result = attempt(sandbox, world.source, call)
    return describe(result) + (result.stdout or "")


CALLS = {
    "mgdebug-environ": lambda w: f"environ_of({os.getpid()})",
    "worker-environ": lambda w: "environ_of(os.getppid())",
    "every-environ-on-the-machine": lambda w: "every_environ()",
    "mgdebug-memory": lambda w: f"memory_of({os.getpid()})",
    "mgdebug-process-vm-readv": lambda w: f"vm_read({os.getpid()})",
    "mgdebug-open-descriptors": lambda w: f"descriptors_of({os.getpid()})",
    "worker-open-descriptors": lambda w: "descriptors_of(os.getppid())",
    "home-by-expanduser": lambda w: "my_home()",
    "symlinks-planted-in-the-project": lambda w: "whole_scratch_copy()",
    "ssh-key-by-absolute-path": lambda w: f"read({str(w.home / '.ssh' / 'id_rsa')!r})",
    "netrc-by-absolute-path": lambda w: f"read({str(w.home / '.netrc')!r})",
    "ssh-key-through-proc-root": lambda w: (
        f"read('/proc/self/root' + {str(w.home)!r} + '/.ssh/id_rsa')"
    ),
    "dot-folder-linked-elsewhere": lambda w: f"read({str(w.outside / 'aws' / 'credentials')!r})",
}


@pytest.mark.parametrize("hunt", list(CALLS))
def test_no_secret_reaches_the_code(box: tuple[Sandbox, World], hunt: str) -> None:
    loot = _loot(box, CALLS[hunt](box[1]))
    leaked = [secret for secret in _leaks() if secret in loot]
    assert not leaked, loot[:300]


def test_the_report_names_every_wall_that_held(box: tuple[Sandbox, World]) -> None:
    said = box[0].isolation()
    layers = " ".join(str(layer) for layer in said["layers"])  # type: ignore[attr-defined]
    assert said["level"] == "kernel"
    for wall in ("writes only in the scratch folder", "dot-folders", "no TCP", "seccomp"):
        assert wall in layers, layers
