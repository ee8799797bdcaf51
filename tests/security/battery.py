"""The battery's world: what hostile programs attack, and how tests look at it afterwards.

A `World` is a project folder (what mgdebug copies and must never change), an
outside folder (the user's other files), a fake HOME with dot-files, and
listeners (TCP, UDP, a Unix socket file) that record whatever reaches them.
Tests judge on these, never on what the code under test reports about itself.

The setups this machine allows (`SETUPS`): root dropping to `nobody` (the
default), and root without the drop, which is what an ordinary user's machine
looks like to the sandbox (the same user as mgdebug and the user's files).
The unprivileged setup runs through `setpriv` (test_unprivileged.py).
"""

from __future__ import annotations

import os
import select
import socket
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support import folder_digest, given

from mgdebug.debugger.options import Limits
from mgdebug.debugger.results import ExpectationResult
from mgdebug.debugger.sandbox.pool import Job, Sandbox

SETUPS = {
    "dropped": Limits(wall_seconds=10, drop_privileges=True),
    "same-user": Limits(wall_seconds=10, drop_privileges=False),
}

SECRET = "hunter2-ssh-key-material"


@dataclass
class Listeners:
    """Sockets outside the sandbox that code under test would send secrets to."""

    tcp: socket.socket
    udp: socket.socket
    unix: socket.socket
    unix_path: str
    abstract: socket.socket
    abstract_name: str
    heard: list[bytes] = field(default_factory=list)

    @property
    def tcp_port(self) -> int:
        return int(self.tcp.getsockname()[1])

    @property
    def udp_port(self) -> int:
        return int(self.udp.getsockname()[1])

    def listen(self, seconds: float = 0.0) -> list[bytes]:
        """Whatever arrived since the last call (what a run sent is queued by its end)."""
        got: list[bytes] = []
        ready, _, _ = select.select([self.tcp, self.udp, self.unix, self.abstract], [], [], seconds)
        for sock in ready:
            if sock is self.udp:
                got.append(sock.recv(4096))
            else:
                conn, _ = sock.accept()
                conn.settimeout(1)
                try:
                    got.append(conn.recv(4096) or b"<connected>")
                except OSError:
                    got.append(b"<connected>")
                conn.close()
        self.heard += got
        return got

    def close(self) -> None:
        for sock in (self.tcp, self.udp, self.unix, self.abstract):
            sock.close()


@dataclass
class World:
    root: Path
    project: Path
    outside: Path
    home: Path
    source: str
    ears: Listeners

    @property
    def module(self) -> Path:
        return self.project / "mod.py"

    def argument(self, spec: str) -> str:
        """A call's argument: "outside/victim.txt" -> repr of that path; "tcp" -> its port."""
        ears = self.ears
        ports = {"tcp": ears.tcp_port, "udp": ears.udp_port}
        if spec in ports:
            return str(ports[spec])
        if spec in ("unix", "abstract"):
            return repr(ears.unix_path if spec == "unix" else ears.abstract_name)
        head, _, rest = spec.partition("/")
        folder = {"project": self.project, "outside": self.outside, "home": self.home}[head]
        return repr(str(folder / rest) if rest else str(folder))

    def call(self, function: str, *specs: str) -> str:
        return f"{function}({', '.join(self.argument(s) for s in specs)})"

    def state(self) -> dict[str, str]:
        """Contents, modes, owners, xattrs and times of everything the code must not touch."""
        found = {
            name: folder_digest(folder)
            for name, folder in (
                ("project", self.project),
                ("outside", self.outside),
                ("home", self.home),
            )
        }
        for folder in (self.project, self.outside, self.home):
            for path in sorted(folder.rglob("*")):
                if path.is_socket():
                    continue
                info = path.lstat()
                xattrs = os.listxattr(path, follow_symlinks=False) if not path.is_symlink() else []
                found[str(path)] = (
                    f"{info.st_uid}:{info.st_gid} {stat.filemode(info.st_mode)}"
                    f" {info.st_mtime_ns} {sorted(xattrs)}"
                )
        return found


def make_world(root: Path, source: str) -> World:
    project, outside, home = root / "project", root / "outside", root / "home"
    for folder in (project, outside, home / ".ssh"):
        folder.mkdir(parents=True)
    (project / "mod.py").write_text(source)
    (project / "keep.txt").write_text("precious\n")
    (outside / "victim.txt").write_text("precious\n")
    (outside / "victim.txt").chmod(0o644)
    (home / ".ssh" / "id_rsa").write_text(SECRET + "\n")
    (home / ".ssh" / "id_rsa").chmod(0o600)
    (home / ".netrc").write_text(f"machine example.com password {SECRET}\n")
    (home / ".netrc").chmod(0o600)
    (outside / "aws").mkdir()
    (outside / "aws" / "credentials").write_text(SECRET + "\n")
    (home / ".aws").symlink_to(outside / "aws")  # a dot-folder that lives elsewhere
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    unix_path = str(outside / "agent.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(unix_path)
    os.chmod(unix_path, 0o777)  # as an ssh-agent's socket: anyone who reaches it may talk
    unix.listen(8)
    abstract_name = f"mgdebug-security-{os.getpid()}-{root.name}"
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind("\0" + abstract_name)
    abstract.listen(8)
    ears = Listeners(tcp, udp, unix, unix_path, abstract, abstract_name)
    return World(root, project, outside, home, source, ears)


@pytest.fixture(scope="module")
def world_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[World]]:
    made: list[World] = []
    yield made
    for world in made:
        world.ears.close()


def new_world(factory: list[World], tmp: pytest.TempPathFactory, source: str) -> World:
    world = make_world(tmp.mktemp("world"), source)
    factory.append(world)
    return world


@contextmanager
def sandboxed(world: World, limits: Limits, workers: int = 2) -> Iterator[tuple[Sandbox, World]]:
    """A sandbox of `world`'s module under `limits`, with the world: a battery's `box`."""
    with Sandbox(str(world.module), limits, workers) as sandbox:
        yield sandbox, world


def attempt(
    box: Sandbox, source: str, call: str, *, expected: str = "'never'", setup: str = ""
) -> ExpectationResult:
    """Run `call` against `source` in `box`; the one result."""
    exp = given("attack", "attack", "eval", call=call, expected=expected, setup=setup)
    (result,) = box.run(Job(source, [exp]))
    return result


def describe(result: ExpectationResult) -> str:
    return f"{result.status}: {result.actual} {result.message}"[:500]


def _killed(pid: int) -> bool:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("SigPnd:", "ShdPnd:")) and int(line.split()[1], 16) & (1 << 8):
                return True
    return False


def scan_processes(token: str) -> list[int]:
    """Pids of live processes whose command line holds `token`, and no SIGKILL on its way."""
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if token.encode() not in f.read():
                    continue
            with open(f"/proc/{entry}/stat") as f:
                if f.read().rsplit(")", 1)[-1].split()[0] == "Z":
                    continue
            if _killed(int(entry)):
                continue  # SIGKILL pending: dying (slowly, on a loaded machine)
        except OSError:
            continue
        found.append(int(entry))
    return found
