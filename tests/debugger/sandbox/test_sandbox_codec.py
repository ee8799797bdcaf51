"""The sandbox's channel carries JSON, not pickle: a child cannot make the reader run code.

Code under test can write to the grandchild's result pipe; what it writes
must at worst close the channel (issue 12), while every real message
crosses intact.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys

import pytest

from mgdebug.analysis.model import BasicBlock, Expectation, Origin
from mgdebug.debugger.options import Limits
from mgdebug.debugger.results import BlockSnapshot, CallRecord, ExpectationResult, TraceData
from mgdebug.debugger.sandbox.codec import ProtocolError, decode, encode
from mgdebug.debugger.sandbox.protocol import ChannelClosed, Order, TraceSpec, receive, send


def order() -> Order:
    origin = Origin("/p/m.py", 3, "doctest")
    exp = Expectation("m.py:3", "f", "doctest", origin, "f(1)", call="f(1)", expected="2")
    return Order(
        job_id=7,
        source="def f(x):\n    return x\n",
        module_name="m",
        module_file="/s/m.py",
        scratch_root="/s",
        user_root="/p",
        expectations=[exp],
        trace=TraceSpec({"f": [BasicBlock(0, 1, 2, "body")]}),
        stop_at_first_failure=True,
        wall_seconds=2.5,
        limits=Limits(memory_mb=512),
        test_files={"/p/test_m.py": "/s/test_m.py"},
        run_as=(65534, 65534),
        candidates=("a", "b"),
    )


def result() -> ExpectationResult:
    trace = TraceData(
        lines=[1, 2],
        calls=[CallRecord("f", 0, {"x": "1"}, result="1")],
        snapshots=[BlockSnapshot("f", 0, 2, {"x": "1", "\udcff": "surrogate"})],
    )
    return ExpectationResult("m.py:3", "fail", actual="1", expected="2", trace=trace)


@pytest.mark.parametrize(
    "message",
    [
        order(),
        ("result", 0, 1, result()),
        ("results", 7, 0, [result(), ExpectationResult("x", "timeout", duration=float("inf"))]),
        ("ready",),
        "cancel",
        {1: {"a", "b"}, (2, 3): None},
    ],
)
def test_every_message_crosses_intact(message: object) -> None:
    assert decode(encode(message)) == message


def test_a_pickle_written_to_the_pipe_closes_the_channel_without_running() -> None:
    class Boom:
        def __reduce__(self):  # what an attacker's pickle does when loaded
            return (os.system, ("touch /tmp/mgdebug-pwned",))

    read_fd, write_fd = os.pipe()
    payload = pickle.dumps(Boom())
    os.write(write_fd, struct.pack(">I", len(payload)) + payload)
    with pytest.raises(ChannelClosed):
        receive(read_fd)
    os.close(read_fd)
    os.close(write_fd)


@pytest.mark.parametrize(
    "forged",
    [
        b'{"c": "os:system", "f": {}}',  # not mgdebug's
        b'{"c": "mgdebug.debugger.sandbox.codec:ProtocolError", "f": {}}',  # not a dataclass
        b'{"c": "mgdebug.not_imported_yet:X", "f": {}}',  # never imported on demand
        b'{"c": "mgdebug.debugger.results:ExpectationResult", "f": {"__class__": 1}}',
        b'{"c": "mgdebug.debugger.results:ExpectationResult", "f": {"status": "pass"}}',
        b'{"s": [[1]]}',  # unhashable
        b'{"x": 1}',
        b"[" * 100000,  # nesting
    ],
)
def test_forged_messages_are_refused(forged: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode(forged)
    assert "mgdebug.not_imported_yet" not in sys.modules


def test_an_oversized_frame_is_refused_before_it_is_read() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, struct.pack(">I", 2**31))
    with pytest.raises(ChannelClosed, match="a frame of"):
        receive(read_fd)
    os.close(read_fd)
    os.close(write_fd)


def test_send_and_receive_frame_json() -> None:
    read_fd, write_fd = os.pipe()
    send(write_fd, ("end", 3))
    assert os.read(read_fd, 4 + 100)[4:] == b'{"t":["end",3]}'
    os.close(read_fd)
    os.close(write_fd)
