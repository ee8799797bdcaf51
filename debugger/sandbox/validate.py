"""Checks on what arrives from a process that ran user code, before anything uses it.

The codec (codec.py) rebuilds only plain data and mgdebug's own dataclasses,
but a grandchild's result pipe is in reach of the code under test, which can
write any frame there: a result for an expectation that does not exist, under
another expectation's id, for a source that is not running, an
`ExpectationResult` whose fields hold lists or dicts, or another mgdebug
dataclass in its place. Unchecked, such a frame crashed the worker (a list as
a dict key) and could crash mgdebug (an index past the batch). The worker
(worker.py) checks every message of its grandchild with `grandchild_message`
and treats one that fails as the grandchild's death; the parent (pool.py)
checks the worker's with `worker_results`.

What no check here can tell: a well-formed result with status "pass" that the
code under test forged for the expectation being run, with a made-up
observation to match (README, "Security"); the verdict itself is made by the
worker from the observation (verdicts.py), never taken from the grandchild.

Stdlib only, Python 3.9: part of the child kit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..results import BlockSnapshot, CallRecord, ExpectationResult, TraceData
from .verdicts import Observation

STATUSES = frozenset({"pass", "fail", "error", "timeout", "crash", "skip"})
VERDICT_BY = frozenset({"", "mgdebug", "sandbox"})
_MAX_LIST = 1_000_000  # no honest trace has more entries

_TEXT = ("actual", "expected")
_STRINGS = (
    "message",
    "stdout",
    "traceback",
    "load_error",
    "load_module",
    "load_where",
)


def _is_int(value: Any) -> bool:
    return type(value) is int


def _str_dict(value: Any) -> bool:
    return type(value) is dict and all(type(k) is str and type(v) is str for k, v in value.items())


def _call(value: Any) -> bool:
    return (
        type(value) is CallRecord
        and type(value.function) is str
        and _is_int(value.depth)
        and _str_dict(value.args)
        and all(getattr(value, f) is None or type(getattr(value, f)) is str
                for f in ("result", "exception"))
    )  # fmt: skip


def _snapshot(value: Any) -> bool:
    return (
        type(value) is BlockSnapshot
        and type(value.function) is str
        and all(_is_int(getattr(value, f)) for f in ("block", "line", "iteration"))
        and _str_dict(value.values)
    )


def _trace(value: Any) -> bool:
    if value is None:
        return True
    return (
        type(value) is TraceData
        and type(value.lines) is list
        and len(value.lines) < _MAX_LIST
        and all(_is_int(n) for n in value.lines)
        and type(value.calls) is list
        and all(_call(c) for c in value.calls)
        and type(value.snapshots) is list
        and all(_snapshot(s) for s in value.snapshots)
        and _is_int(value.dropped_calls)
        and _is_int(value.dropped_snapshots)
    )


def result(value: Any, expectation_id: str | None = None) -> bool:
    """Whether `value` is an ExpectationResult mgdebug could have made (for that id)."""
    if type(value) is not ExpectationResult:
        return False
    if type(value.expectation_id) is not str or value.status not in STATUSES:
        return False
    if expectation_id is not None and value.expectation_id != expectation_id:
        return False
    if not all(getattr(value, f) is None or type(getattr(value, f)) is str for f in _TEXT):
        return False
    if not all(type(getattr(value, f)) is str for f in _STRINGS):
        return False
    if not (value.error_line is None or _is_int(value.error_line)):
        return False
    if type(value.verdict_by) is not str or value.verdict_by not in VERDICT_BY:
        return False
    return type(value.duration) in (int, float) and _trace(value.trace)


def _observation(value: Any) -> bool:
    """An Observation with fields of its types (the canonical values are checked when judged)."""
    return (
        type(value) is Observation
        and all(
            type(getattr(value, f)) is str
            for f in ("kind", "printed", "actual", "expected", "origin", "detail")
        )
        and (value.exception is None or type(value.exception) is str)
        and type(value.equal) is bool
        and type(value.cut) is bool
    )


def grandchild_message(message: Any, source: int, expectation_ids: Sequence[str]) -> bool:
    """Whether a grandchild's message fits the protocol while it runs source `source`."""
    if type(message) is not tuple or not message or type(message[0]) is not str:
        return False
    kind = message[0]
    if kind == "result":
        # (.., result, observation): the observation may be left out (None).
        if len(message) not in (4, 5) or message[1] != source or not _is_int(message[1]):
            return False
        index = message[2]
        if not _is_int(index) or not 0 <= index < len(expectation_ids):
            return False
        seen = message[4] if len(message) == 5 else None
        return result(message[3], expectation_ids[index]) and (seen is None or _observation(seen))
    if kind == "end":
        return len(message) == 2 and _is_int(message[1]) and message[1] == source
    if kind == "done":
        return len(message) == 1
    if kind == "fatal":
        return len(message) == 2 and type(message[1]) is str
    return False


def worker_results(message: Any, sources: int, expectation_ids: Sequence[str]) -> bool:
    """Whether a worker's answer is ("results", job, source < `sources`, [results])."""
    if type(message) is not tuple or len(message) != 4 or message[0] != "results":
        return False
    _, _job, source, results = message
    if not _is_int(source) or not 0 <= source < sources or type(results) is not list:
        return False
    ids = set(expectation_ids)
    return all(result(r) and r.expectation_id in ids for r in results)
