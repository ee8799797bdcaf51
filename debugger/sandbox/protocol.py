"""What the sandbox processes say to each other, and how it is framed on a pipe.

Parent -> worker: an `Order` (run this job) or a control word: "cancel" (the
running order), "warm-pytest" (import pytest now, while idle).
Worker -> parent: ("ready",) once, then per source of the order, as soon as
it is complete, ("results", job_id, source_index, [ExpectationResult]).
Grandchild -> worker: ("result", source_index, index, ExpectationResult) per
expectation, ("end", source_index) per source, then ("done",); or
("fatal", text) if the sandbox itself failed.

Frames are a 4-byte big-endian length and a JSON message (sandbox_codec.py:
never pickle, since the grandchild's end is in reach of the code under test),
written with raw `os.write` on file descriptors so `select` sees exactly what
was sent. A frame that is too long or not a message closes the channel.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mgdebug.analysis.model import BasicBlock, Expectation

from ..options import Limits
from .codec import ProtocolError, decode, encode

_HEADER = struct.Struct(">I")
# Far above any honest message (a result's trace and output are bounded to a
# few MB), far below what would hurt the reader.
MAX_FRAME_BYTES = 64 * 1024 * 1024


@dataclass
class TraceSpec:
    """What to trace: qualname -> basic blocks of the module functions to trace."""

    blocks: dict[str, list[BasicBlock]]
    max_calls: int = 2000
    max_snapshots: int = 5000
    repr_limit: int = 200


@dataclass
class Order:
    """One job as the worker needs it: everything is already resolved to scratch paths."""

    job_id: int
    source: str
    module_name: str
    module_file: str  # the module's path inside the scratch copy
    scratch_root: str  # the copy of the user's folder; cwd of the code under test
    user_root: str | None  # the user's real folder: never written to
    expectations: Sequence[Expectation]
    trace: TraceSpec | None
    stop_at_first_failure: bool
    wall_seconds: float  # per source
    limits: Limits
    test_files: dict[str, str] = field(default_factory=dict)  # user path -> scratch path
    run_as: tuple[int, int] | None = None  # (uid, gid) to drop to, when started as root
    # Keep CAP_DAC_READ_SEARCH through the drop: the interpreter lives where
    # `nobody` cannot read (pyenv under /root). Reads stay as open as root's,
    # but writes, chmod and signals become nobody's (seccomp.py drops the rest).
    keep_read: bool = False
    # The user's HOME folders: the files of their dot-entries are not readable
    # (landlock.readable), so model-written code cannot put ~/.ssh/id_rsa in a
    # result that reaches the report and the next prompt.
    hidden: tuple[str, ...] = ()
    # A batch: these module sources, one after another, each against all the
    # expectations with `wall_seconds` of its own (Sandbox.run_candidates).
    # Empty: the order is `source` alone.
    candidates: Sequence[str] = ()
    # The run's scratch folder (the copy, HOME, TMPDIR): the only place the
    # kernel lets the code under test write (landlock.py). "" : no Landlock.
    scratch_base: str = ""

    def sources(self) -> Sequence[str]:
        return self.candidates or (self.source,)


class ChannelClosed(Exception):
    """The other end of a pipe went away (EOF, or a frame cut short)."""


def send(fd: int, message: Any) -> None:
    data = encode(message)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exactly(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise ChannelClosed
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def receive(fd: int) -> Any:
    """The next message on `fd`; raises ChannelClosed at EOF."""
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    if size > MAX_FRAME_BYTES:
        raise ChannelClosed(f"a frame of {size} bytes")
    try:
        return decode(_read_exactly(fd, size))
    except ProtocolError as exc:
        raise ChannelClosed(f"not a sandbox message: {exc}") from exc
