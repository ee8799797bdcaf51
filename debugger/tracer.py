"""Per-expectation tracer: calls, block-boundary snapshots and lines of one module.

Runs inside the sandbox grandchild, around one expectation. It is built on
`sys.settrace` (Python 3.11; on 3.12+ `sys.monitoring` would let us disable
events per location and cut the cost of line events, not done yet).

Cost model: every line of module code fires a line event, so the line handler
of a traced function does the least it can in the common case (the line is in
the same block as the previous one): one list lookup and one comparison. Code
outside the module's file gets no local trace function at all, and module
functions that are not in the TraceSpec only record their lines, and stop
being traced once all their lines have been seen.

Memory stays bounded on long loops and deep recursion: per function and per
(function, block) the first `KEEP` records are kept, then a ring of the last
`KEEP`; the rest are counted as dropped. Immutable scalars are kept raw and
rendered once at the end; anything else is rendered when captured, because it
may change later.
"""

from __future__ import annotations

import dis
import itertools
import sys
import types
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .results import BlockSnapshot, CallRecord, TraceData
from .saferepr import RAW_TYPES, describe_exception, safe_repr
from .sandbox_protocol import TraceSpec

KEEP = 10  # first and last records kept per function and per (function, block)

_SKIPPED_VALUES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)
_SKIPPED_TYPES = frozenset(
    {types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType}
)
_GENERATOR_FLAGS = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
_NO_BLOCK = -1
_YIELD_VALUE = dis.opmap["YIELD_VALUE"]

TraceFunction = Callable[[types.FrameType, str, Any], Any]


def plain_qualname(code: types.CodeType) -> str:
    return code.co_qualname.replace(".<locals>", "")


@dataclass
class _Bucket:
    """First KEEP items, then a ring of the last KEEP, of one kind of record."""

    first: list[tuple[int, Any]] = field(default_factory=list)
    last: deque[tuple[int, Any]] = field(default_factory=lambda: deque(maxlen=KEEP))
    count: int = 0  # items ever added

    @property
    def dropped(self) -> int:
        return self.count - len(self.first) - len(self.last)

    def add(self, seq: int, item: Any, room: bool) -> None:
        self.count += 1
        if room and len(self.first) < KEEP:
            self.first.append((seq, item))
        else:
            self.last.append((seq, item))

    def items(self) -> list[tuple[int, Any]]:
        return self.first + list(self.last)


@dataclass
class _CodeInfo:
    qualname: str
    traced: bool  # in the TraceSpec: calls and snapshots, not only lines
    first_line: int
    table: list[int]  # line - first_line -> block index, or _NO_BLOCK
    lines: frozenset[int]
    arg_names: tuple[str, ...]
    is_generator: bool
    blocks: int  # 1 + the largest block index


def _arg_names(code: types.CodeType) -> tuple[str, ...]:
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kwargs
    return code.co_varnames[:count]


class Tracer:
    """Trace one expectation at a time: `start()`, run it, `stop()` -> TraceData."""

    def __init__(self, module_file: str, spec: TraceSpec) -> None:
        self._file = module_file
        self._spec = spec
        self._limit = spec.repr_limit
        self._infos: dict[types.CodeType, _CodeInfo | None] = {}
        self._reset()

    def _reset(self) -> None:
        self._hit: set[int] = set()
        self._seq = itertools.count()
        self._depth = 0
        self._calls: dict[str, _Bucket] = {}
        self._snaps: dict[str, list[_Bucket]] = {}  # qualname -> bucket per block
        self._kept_calls = 0
        self._kept_snaps = 0
        self._suspended: dict[int, TraceFunction] = {}  # id(generator frame) -> its tracer
        self._results: dict[int, Any] = {}  # id(CallRecord) -> captured return value

    # -- public -------------------------------------------------------------

    def start(self) -> None:
        self._reset()
        sys.settrace(self._on_call)

    def stop(self) -> TraceData:
        sys.settrace(None)
        data = TraceData(lines=sorted(self._hit))
        calls = sorted(
            (item for b in self._calls.values() for item in b.items()), key=lambda i: i[0]
        )
        data.calls = [self._render_call(record) for _, record in calls]
        data.dropped_calls = sum(b.dropped for b in self._calls.values())
        snaps = sorted(
            (
                (seq, qualname, snap)
                for qualname, buckets in self._snaps.items()
                for bucket in buckets
                for seq, snap in bucket.items()
            ),
            key=lambda item: item[0],
        )
        data.snapshots = [self._render_snapshot(qualname, snap) for _, qualname, snap in snaps]
        data.dropped_snapshots = sum(b.dropped for bs in self._snaps.values() for b in bs)
        self._reset()
        return data

    # -- code objects -------------------------------------------------------

    def _info(self, code: types.CodeType) -> _CodeInfo | None:
        if code in self._infos:
            return self._infos[code]
        info = None
        if code.co_filename == self._file:
            info = self._build_info(code)
        self._infos[code] = info
        return info

    def _build_info(self, code: types.CodeType) -> _CodeInfo:
        qualname = plain_qualname(code)
        lines = frozenset(line for _, _, line in code.co_lines() if line is not None)
        first = min(lines, default=code.co_firstlineno)
        table = [_NO_BLOCK] * (max(lines, default=first) - first + 1)
        blocks = self._spec.blocks.get(qualname)
        for block in blocks or ():
            for line in range(
                max(block.start_line, first), min(block.end_line, first + len(table) - 1) + 1
            ):
                table[line - first] = block.index
        return _CodeInfo(
            qualname=qualname,
            traced=blocks is not None,
            first_line=first,
            table=table,
            lines=lines,
            arg_names=_arg_names(code),
            is_generator=bool(code.co_flags & _GENERATOR_FLAGS),
            blocks=1 + max((block.index for block in blocks or ()), default=0),
        )

    # -- events -------------------------------------------------------------

    def _on_call(self, frame: types.FrameType, event: str, arg: Any) -> TraceFunction | None:
        info = self._info(frame.f_code)
        if info is None:
            return None
        if not info.traced:
            if info.lines <= self._hit:
                return None
            return self._on_line_only
        if info.is_generator:
            resumed = self._suspended.pop(id(frame), None)
            if resumed is not None:
                self._depth += 1
                return resumed
        return self._start_call(frame, info)

    def _on_line_only(self, frame: types.FrameType, event: str, arg: Any) -> TraceFunction:
        if event == "line":
            self._hit.add(frame.f_lineno)
        return self._on_line_only

    def _start_call(self, frame: types.FrameType, info: _CodeInfo) -> TraceFunction:
        f_locals = frame.f_locals
        record = CallRecord(
            function=info.qualname,
            depth=self._depth,
            args={n: self._capture(f_locals[n]) for n in info.arg_names if n in f_locals},
        )
        bucket = self._calls.get(info.qualname)
        if bucket is None:
            bucket = self._calls[info.qualname] = _Bucket()
        room = self._kept_calls < self._spec.max_calls
        self._kept_calls += room
        bucket.add(next(self._seq), record, room)
        self._depth += 1

        hit_add = self._hit.add
        table, base = info.table, info.first_line
        buckets = self._snaps.get(info.qualname)
        if buckets is None:
            buckets = self._snaps[info.qualname] = [_Bucket() for _ in range(info.blocks)]
        iterations = [0] * info.blocks
        seq = self._seq
        first_snapshot = self._first_snapshot
        freeze = self._freeze
        all_raw = RAW_TYPES.issuperset
        cur = _NO_BLOCK
        last = 0
        pending: BaseException | None = None

        def snapshot(frame: types.FrameType) -> None:
            # Inlined into one closure because long loops cross a block
            # boundary on nearly every line.
            bucket = buckets[cur]
            iteration = iterations[cur]
            iterations[cur] = iteration + 1
            bucket.count += 1
            values = frame.f_locals.copy()
            if len(bucket.first) < KEEP:
                first_snapshot(bucket, cur, last, values, iteration)
                return
            if not all_raw(map(type, values.values())):
                values = freeze(values)
            bucket.last.append((next(seq), (cur, last, values, iteration)))

        def local(frame: types.FrameType, event: str, arg: Any) -> TraceFunction:
            nonlocal cur, last, pending
            if event == "line":
                line = frame.f_lineno
                hit_add(line)
                block = table[line - base]
                if block == cur:
                    last = line
                elif block != _NO_BLOCK:
                    if cur != _NO_BLOCK:
                        snapshot(frame)
                    cur, last = block, line
                pending = None
            elif event == "exception":
                pending = arg[1]
            elif event == "return":
                self._depth -= 1
                if info.is_generator and _is_suspending(frame):
                    self._suspended[id(frame)] = local
                    return local
                if cur != _NO_BLOCK:
                    snapshot(frame)
                if pending is not None:
                    record.exception = describe_exception(pending, self._limit)
                else:
                    self._results[id(record)] = self._capture(arg)
            return local

        return local

    def _first_snapshot(
        self, bucket: _Bucket, block: int, line: int, values: dict[str, Any], iteration: int
    ) -> None:
        item = (block, line, self._freeze(values), iteration)
        if self._kept_snaps < self._spec.max_snapshots:
            self._kept_snaps += 1
            bucket.first.append((next(self._seq), item))
        else:
            bucket.last.append((next(self._seq), item))

    def _freeze(self, values: dict[str, Any]) -> dict[str, Any]:
        capture = self._capture
        return {
            name: capture(value)
            for name, value in values.items()
            if type(value) not in _SKIPPED_TYPES and not isinstance(value, _SKIPPED_VALUES)
        }

    # -- values -------------------------------------------------------------

    def _capture(self, value: Any) -> Any:
        """Raw for immutable scalars (rendered later), else a repr now."""
        if type(value) in RAW_TYPES:
            return value
        return safe_repr(value, self._limit)

    def _render(self, captured: Any) -> str:
        return captured if type(captured) is str else safe_repr(captured, self._limit)

    def _render_call(self, record: CallRecord) -> CallRecord:
        record.args = {name: self._render(v) for name, v in record.args.items()}
        if id(record) in self._results:
            record.result = self._render(self._results[id(record)])
        return record

    def _render_snapshot(
        self, qualname: str, snap: tuple[int, int, dict[str, Any], int]
    ) -> BlockSnapshot:
        block, line, values, iteration = snap
        rendered = {name: self._render(v) for name, v in values.items()}
        return BlockSnapshot(qualname, block, line, rendered, iteration)


def _is_suspending(frame: types.FrameType) -> bool:
    """Whether a generator frame's "return" event is a yield rather than the end."""
    code = frame.f_code.co_code
    offset = frame.f_lasti
    return 0 <= offset < len(code) and code[offset] == _YIELD_VALUE
