"""Per-expectation tracer: calls, block-boundary snapshots and lines of one module.

Runs inside the sandbox grandchild. The module is compiled rewritten by
instrument.py, and the rewritten code calls the helpers here; a fresh `_Run`
(the helpers and what they record) is installed in the module's globals for
each expectation. Untraced runs never see any of this.

Memory stays bounded on long loops and deep recursion: per function and per
(function, block) the first `KEEP` records are kept, then a ring of the last
`KEEP`; the rest are counted as dropped. The rewritten code handles the first
`KEEP` snapshots of each block in each call through `_Run.snap`, then writes
raw value tuples into a per-call ring without calling anything. Immutable
values are kept raw and rendered at the end; lists, sets and dicts of
scalars are copied, anything else is rendered when captured, because it may
change later. A per-call ring is chosen by the values its block held at its
`KEEP`th exit: if a variable turns mutable only after that, and is changed in
place, its last snapshots show it as it was when the call ended.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..results import BlockSnapshot, CallRecord, TraceData
from ..run.user_frames import cut_helper_frames
from ..sandbox.protocol import TraceSpec
from .instrument import instrument
from .instrument_ast import KEEP, NONE, Plan
from .saferepr import RAW_TYPES, describe_exception, safe_repr

_SKIPPED_VALUES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)
_SKIPPED_TYPES = frozenset(
    {types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType}
)
_IMMUTABLE: frozenset[type] = RAW_TYPES | _SKIPPED_TYPES | {str, bytes, range, type}
_SCALARS: frozenset[type] = RAW_TYPES | {str, bytes}
_CONTAINERS = frozenset({list, tuple, set, frozenset, dict})
_COPIED = 256  # containers of scalars up to this size are copied rather than rendered

# A call record is a list, the cheapest record to make once per call.
_SEQ, _FID, _DEPTH, _ARGS, _RESULT, _EXC, _ACTIVE, _RUN, _RINGS, _FRAME, _ANCHORS = range(11)
_NOTHING = object()  # no result (yet, or the call raised)
# Never in a user's traceback; as code objects name it (not always `__file__`).
_TRACER_FILE = (lambda: None).__code__.co_filename

# A stored snapshot: (seq, function, block, line, iteration, names, values); with
# names None, values is a dict (read from the frame) rather than a tuple.
if TYPE_CHECKING:  # only for annotations: `X | None` is evaluated at run time from 3.10 only
    Snapshot = tuple[float, int, int, int, int, Sequence[str] | None, Any]


class _Repr(str):
    """A value rendered when it was captured."""


def _key(function: int, block: int) -> int:
    return function << 20 | block


def _skipped(value: Any) -> bool:
    return type(value) in _SKIPPED_TYPES or isinstance(value, _SKIPPED_VALUES)


class _FreezingRing(list[Any]):
    """A per-call ring for blocks holding mutable values: freezes what is written."""

    def __init__(self, freeze: Callable[[Any], Any]) -> None:
        super().__init__([None] * KEEP)
        self._freeze = freeze

    def __setitem__(self, index: Any, item: Any) -> None:
        freeze = self._freeze
        frozen = tuple([v if type(v) in _IMMUTABLE else freeze(v) for v in item])
        super().__setitem__(index, frozen)


class _Run:
    """What one expectation's run recorded, and the helpers the rewritten code calls."""

    def __init__(
        self,
        plan: Plan,
        spec: TraceSpec,
        namespace: dict[str, Any] | None = None,
        mute: dict[str, Any] | None = None,
        discard: bool = False,
    ) -> None:
        self.plan = plan
        self.discard = discard  # nobody reads it: never call a user __repr__ for it
        self.spec = spec
        self.limit = spec.repr_limit
        self.hits = [0] * len(plan.points)
        self.raised_lines: set[int] = set()
        self.seq = itertools.count()
        self.last_seq = 0
        self.call_counts = [0] * len(plan.functions)
        self.first_calls: list[list[Any]] = []
        self.call_rings = [deque[list[Any]](maxlen=KEEP) for _ in plan.functions]
        self.snap_counts: dict[int, int] = {}  # by _key(function, block)
        self.first_snaps: list[Snapshot] = []
        self.snap_rings: dict[int, deque[Snapshot]] = {}
        self.open: dict[int, list[Any]] = {}  # calls with per-call rings not yet harvested
        self.pruned: tuple[BaseException, types.TracebackType | None] | None = None  # last cut
        self.names = self.helpers()
        self.namespace, self.mute = namespace, mute
        if namespace is not None:
            namespace.update(self.names)

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        """The module's own `__repr__`s, called to render values, are not part of the run."""
        if self.namespace is None or self.mute is None:
            yield
            return
        self.namespace.update(self.mute)
        try:
            yield
        finally:
            self.namespace.update(self.names)

    # -- what the rewritten code calls ---------------------------------------

    def helpers(self) -> dict[str, Any]:
        """The names the rewritten code uses, bound to this run."""
        run, seq, hits, points = self, self.seq, self.hits, self.plan.points
        call_counts, first_calls, call_rings = self.call_counts, self.first_calls, self.call_rings
        max_calls, freeze, limit = self.spec.max_calls, self.freeze, self.limit
        counts, first_snaps, snap_rings = self.snap_counts, self.first_snaps, self.snap_rings
        max_snaps = self.spec.max_snapshots
        info = [(p.function, p.block, p.line, p.names, _key(p.function, p.block)) for p in points]
        immutable = _IMMUTABLE.issuperset
        depth = 0

        def enter(fid: int, args: tuple[Any, ...]) -> list[Any]:
            nonlocal depth
            if not immutable(map(type, args)):
                args = tuple(map(freeze, args))
            rec = [next(seq), fid, depth, args, _NOTHING, None, True, run, None, None, None]
            depth += 1
            count = call_counts[fid]
            call_counts[fid] = count + 1
            if count < KEEP and len(first_calls) < max_calls:
                first_calls.append(rec)
            else:
                call_rings[fid].append(rec)
            return rec

        def leave(rec: list[Any], value: Any) -> Any:
            nonlocal depth
            if rec[_RUN] is run:
                if rec[_ACTIVE]:
                    depth -= 1
                    rec[_ACTIVE] = False
                rec[_RESULT] = value if type(value) in _IMMUTABLE else freeze(value)
                rec[_EXC] = None
                if rec[_RINGS] is not None:
                    run.harvest(rec, sys._getframe(1))
            return value

        def fail(rec: list[Any] | None, fid: int) -> None:
            """The function is left by an exception, which the rewritten code re-raises.
            A failure here (a RecursionError out of a deep recursion) is dropped: the
            user's exception goes on alone, with no "during handling" chain."""
            nonlocal depth
            exc = sys.exc_info()[1]
            try:
                frame = sys._getframe(1)
                run.hide_tracer_frames(exc, frame)
                line = run.raised_at(exc, frame, fid)
                if rec is None or rec[_RUN] is not run:
                    return
                if rec[_ACTIVE]:
                    depth -= 1
                    rec[_ACTIVE] = False
                rec[_RESULT] = _NOTHING
                rec[_EXC] = describe_exception(exc, limit) if exc is not None else None
                run.exception_snapshot(rec, line, NONE, frame, "", bumped=False)
                if rec[_RINGS] is not None:
                    run.harvest(rec, frame)
            except BaseException:  # noqa: BLE001, S110 - see the docstring
                pass

        def suspend(rec: list[Any], value: Any) -> Any:
            nonlocal depth
            if rec[_ACTIVE] and rec[_RUN] is run:
                depth -= 1
                rec[_ACTIVE] = False
            return value

        def resume(rec: list[Any], sent: Any) -> Any:
            nonlocal depth
            if not rec[_ACTIVE] and rec[_RUN] is run:
                depth += 1
                rec[_ACTIVE] = True
            return sent

        def snap(rec: list[Any], index: int, it: int, values: tuple[Any, ...]) -> Any:
            """A block exit in its call's first KEEP: recorded now, one by one.

            Once per call and block at least, so `record` is inlined here."""
            hits[index] = 1
            fid, block, line, names, key = info[index]
            count = counts.get(key, 0)
            counts[key] = count + 1
            kept = values if immutable(map(type, values)) else tuple(map(freeze, values))
            snapshot = (next(seq), fid, block, line, it, names, kept)
            if count < KEEP and len(first_snaps) < max_snaps:
                first_snaps.append(snapshot)
            else:
                ring = snap_rings.get(key)
                if ring is None:
                    ring = snap_rings[key] = deque(maxlen=KEEP)
                ring.append(snapshot)
            if it < KEEP - 1:
                rings = rec[_RINGS]
                return None if rings is None else rings.get(block)
            run.last_seq = snapshot[0]
            return run.ring_for(rec, block, values, sys._getframe(1))

        def snapd(rec: list[Any], index: int, it: int, ring: Any) -> Any:
            """A block exit where some local was unbound: values from the frame."""
            hits[index] = 1
            point = points[index]
            frame = sys._getframe(1)
            values = run.frame_values(frame.f_locals)
            if it < KEEP:
                run.record(rec[_FID], point.block, point.line, it, None, values)
                if it < KEEP - 1:
                    return ring
            if ring is None:
                ring = run.ring_for(rec, point.block, None, frame)
            if it >= KEEP:
                item = (-index - 1, it, {k: freeze(v) for k, v in values.items()})
                list.__setitem__(ring, it % KEEP, item)  # already frozen
            return ring

        def caught(rec: list[Any] | None, fid: int, handler_block: int, name: str) -> int:
            """At the top of an `except` clause: the block it was raised in. Never raises."""
            try:
                frame = sys._getframe(1)
                exc = sys.exc_info()[1]
                run.hide_tracer_frames(exc, frame)
                line = run.raised_at(exc, frame, fid)
                if rec is None or rec[_RUN] is not run:
                    return NONE
                return run.exception_snapshot(rec, line, handler_block, frame, name, bumped=True)
            except BaseException:  # noqa: BLE001 - see the docstring
                return NONE

        def ring(rec: list[Any], block: int, it: int, current: Any) -> Any:
            if current is not None or it < KEEP - 1:
                return current
            return run.ring_for(rec, block, None, sys._getframe(1))

        names = {
            "enter": enter,
            "leave": leave,
            "fail": fail,
            "suspend": suspend,
            "resume": resume,
            "snap": snap,
            "snapd": snapd,
            "caught": caught,
            "ring": ring,
            "hits": hits,
            "NameError": NameError,
            "BaseException": BaseException,
        }
        return {self.plan.prefix + name: value for name, value in names.items()}

    # -- recording ------------------------------------------------------------

    def record(
        self,
        fid: int,
        block: int,
        line: int,
        it: int,
        names: Sequence[str] | None,
        values: Any,
        counted: bool = True,
    ) -> None:
        """Keep one snapshot (`counted`: unless the call's counter will count it)."""
        key = _key(fid, block)
        count = self.snap_counts.get(key, 0)
        self.snap_counts[key] = count + counted
        self.last_seq = next(self.seq)
        snapshot = (self.last_seq, fid, block, line, it, names, self.freeze_values(values))
        if count < KEEP and len(self.first_snaps) < self.spec.max_snapshots:
            self.first_snaps.append(snapshot)
        else:
            ring = self.snap_rings.get(key)
            if ring is None:
                ring = self.snap_rings[key] = deque(maxlen=KEEP)
            ring.append(snapshot)

    def ring_for(
        self, rec: list[Any], block: int, sample: tuple[Any, ...] | None, frame: types.FrameType
    ) -> Any:
        """The call's ring for `block`: a plain list while its values are immutable."""
        rings = rec[_RINGS]
        if rings is None:
            rings = rec[_RINGS] = {}
            rec[_ANCHORS] = {}
            rec[_FRAME] = frame  # to harvest a generator that never finishes
            self.open[id(rec)] = rec
        found = rings.get(block)
        if found is None:
            rec[_ANCHORS][block] = self.last_seq
            plain = sample is not None and _IMMUTABLE.issuperset(map(type, sample))
            found = rings[block] = [None] * KEEP if plain else _FreezingRing(self.freeze)
        return found

    def harvest(self, rec: list[Any], frame: types.FrameType) -> None:
        """Move a call's rings into the per-(function, block) rings."""
        rings, anchors, fid = rec[_RINGS], rec[_ANCHORS], rec[_FID]
        rec[_RINGS] = rec[_FRAME] = rec[_ANCHORS] = None
        self.open.pop(id(rec), None)
        local = frame.f_locals
        for block, ring in rings.items():
            key = _key(fid, block)
            counter = local.get(f"{self.plan.prefix}i{block}", 0)
            self.snap_counts[key] = self.snap_counts.get(key, 0) + max(0, counter - KEEP)
            target = self.snap_rings.get(key)
            if target is None:
                target = self.snap_rings[key] = deque(maxlen=KEEP)
            items = sorted((i for i in ring if i is not None), key=lambda i: i[1])
            for n, item in enumerate(items, 1):
                index, it = item[0], item[1]
                point = self.plan.points[index if index >= 0 else -index - 1]
                names, values = (point.names, item[2:]) if index >= 0 else (None, item[2])
                # The ring does not say when each item was written, only that it
                # was after the block's last snapshot recorded one by one.
                seq = anchors[block] + n / (KEEP + 1)
                target.append((seq, fid, block, point.line, it, names, values))

    def hide_tracer_frames(self, exc: BaseException | None, frame: types.FrameType) -> None:
        """No frame of this file in the user's traceback (user_frames.cut_helper_frames)."""
        if exc is not None:
            pruned = self.pruned
            stop = pruned[1] if pruned is not None and pruned[0] is exc else None
            self.pruned = (exc, cut_helper_frames(exc, frame, stop, _TRACER_FILE))

    def raised_at(self, exc: BaseException | None, frame: types.FrameType, fid: int) -> int:
        """The line of `frame` an exception came from; records the lines run up to it."""
        tb = exc.__traceback__ if exc is not None else None
        while tb is not None and tb.tb_frame is not frame:
            tb = tb.tb_next
        line = tb.tb_lineno if tb is not None else frame.f_lineno
        self.raised_lines.update(self.plan.functions[fid].partial.get(line, (line,)))
        return line

    def exception_snapshot(
        self,
        rec: list[Any],
        line: int,
        handler_block: int,
        frame: types.FrameType,
        name: str,
        bumped: bool,
    ) -> int:
        """Snapshot the block an exception left (unless it is caught in that block).

        `name` is bound by the `except` clause (not by the block). `bumped`: the
        code goes on and bumps the block's counter, which counts the snapshot
        from iteration KEEP on.
        """
        fid = rec[_FID]
        block = self.plan.functions[fid].table.get(line, NONE)
        if block in (NONE, handler_block):
            return NONE
        local = frame.f_locals
        it = local.get(f"{self.plan.prefix}i{block}", 0)
        values = self.frame_values(local)
        values.pop(name, None)
        self.record(fid, block, line, it, None, values, counted=not bumped or it < KEEP)
        return block

    def frame_values(self, local: dict[str, Any]) -> dict[str, Any]:
        prefix = self.plan.prefix
        return {k: v for k, v in local.items() if not k.startswith(prefix)}

    # -- values -------------------------------------------------------------

    def freeze(self, value: Any) -> Any:
        """`value` as it is now: itself if immutable, a copy if cheap, else its repr."""
        kind = type(value)
        if kind in _IMMUTABLE or isinstance(value, _SKIPPED_VALUES) or self.discard:
            return value
        if kind in _CONTAINERS and len(value) <= _COPIED:
            scalars = _SCALARS.issuperset
            if scalars(map(type, value)) and (
                kind is not dict or scalars(map(type, value.values()))
            ):
                # Cheaper than a repr now, and renders the same at the end.
                return value if kind in (tuple, frozenset) else value.copy()
        with self.muted():
            return _Repr(safe_repr(value, self.limit))

    def freeze_values(self, values: Any) -> Any:
        if isinstance(values, dict):
            return {k: self.freeze(v) for k, v in values.items()}
        if _IMMUTABLE.issuperset(map(type, values)):
            return values
        return tuple(map(self.freeze, values))

    def render(self, value: Any) -> str:
        return str(value) if type(value) is _Repr else safe_repr(value, self.limit)

    def render_values(self, pairs: Iterable[tuple[str, Any]]) -> dict[str, str]:
        return {name: self.render(v) for name, v in pairs if not _skipped(v)}

    # -- the end --------------------------------------------------------------

    def finish(self) -> TraceData:
        with self.muted():
            return self.collect()

    def collect(self) -> TraceData:
        self.pruned = None  # the exception and its frames' locals may go now
        for rec in list(self.open.values()):
            self.harvest(rec, rec[_FRAME])
        points = self.plan.points
        lines = {line for i, hit in enumerate(self.hits) if hit for line in points[i].lines}
        data = TraceData(lines=sorted(lines | self.raised_lines))
        calls = sorted(self.first_calls + [r for ring in self.call_rings for r in ring])
        data.calls = [self.render_call(rec) for rec in calls]
        data.dropped_calls = sum(self.call_counts) - len(calls)
        snaps = sorted(self.first_snaps + [s for ring in self.snap_rings.values() for s in ring])
        data.snapshots = [self.render_snapshot(s) for s in snaps]
        data.dropped_snapshots = sum(self.snap_counts.values()) - len(snaps)
        return data

    def render_call(self, rec: list[Any]) -> CallRecord:
        function = self.plan.functions[rec[_FID]]
        result = rec[_RESULT]
        return CallRecord(
            function=function.qualname,
            depth=rec[_DEPTH],
            # no zip(strict=): the child may be Python 3.9
            args={n: self.render(v) for n, v in zip(function.arg_names, rec[_ARGS])},  # noqa: B905
            result=None if result is _NOTHING else self.render(result),
            exception=rec[_EXC],
        )

    def render_snapshot(self, snapshot: Snapshot) -> BlockSnapshot:
        _, fid, block, line, it, names, values = snapshot
        pairs = values.items() if names is None else zip(names, values)  # noqa: B905 - Python 3.9
        return BlockSnapshot(
            self.plan.functions[fid].qualname, block, line, self.render_values(pairs), it
        )


class Tracer:
    """Trace one expectation at a time: `start()`, run it, `stop()` -> TraceData.

    Build it before loading the module: load `code` (the rewritten module)
    instead of the source, with `install(globals)` done first.
    """

    def __init__(self, source: str, module_file: str, spec: TraceSpec) -> None:
        self.code, self._plan = instrument(source, module_file, spec.blocks)
        self._spec = spec
        # What runs outside of an expectation, or renders a value, records here.
        self._mute = _Run(self._plan, spec, discard=True).names
        self._namespace: dict[str, Any] | None = None
        self._run = _Run(self._plan, spec)

    def install(self, namespace: dict[str, Any]) -> None:
        self._namespace = namespace
        namespace.update(self._mute)

    def start(self) -> None:
        # A fresh run: whatever ran before (the module's top level) is forgotten.
        self._run = _Run(self._plan, self._spec, self._namespace, self._mute)

    def stop(self) -> TraceData:
        data = self._run.finish()
        if self._namespace is not None:
            self._namespace.update(self._mute)
        return data


def make_tracer(source: str, module_file: str, spec: TraceSpec | None) -> Tracer | None:
    """A tracer for `source`, or None if it is not to be traced or cannot be rewritten."""
    if spec is None:
        return None
    try:
        return Tracer(source, module_file, spec)
    except SyntaxError:
        return None  # loading the source reports it as the user's error
    except Exception:  # noqa: BLE001 - a source the rewriter cannot handle runs untraced
        return None
