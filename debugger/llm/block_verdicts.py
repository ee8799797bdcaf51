"""Block verdicts (LDB): the model judges each basic block of a real failing run.

The trace is the real one — values the tracer recorded when each block was
left — cut down the way LDB does so a small model can read it: at most
`MAX_BLOCKS` block visits, the first and last iterations of a loop, every
value truncated. The answer is a verdict per block; "wrong" blocks become line
evidence for the ranking (weighed by the caller) and their reasons are shown
to the user as the model's opinion, never as an observed fact.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from mgdebug.analysis.model import FunctionInfo

from ..results import BlockSnapshot, TraceData
from .answers import AnswerError, json_answer
from .client import ModelClient
from .prompts import BLOCK_VERDICTS, SYSTEM

MAX_BLOCKS = 10  # LDB's bound: more blocks than this and small models lose the thread
VALUE_CHARS = 80


@dataclass(frozen=True)
class BlockVerdict:
    block: int  # BasicBlock.index
    wrong: bool
    reason: str
    start_line: int
    end_line: int


def _cut(text: str) -> str:
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def chosen_snapshots(snapshots: Sequence[BlockSnapshot], function: str) -> list[BlockSnapshot]:
    """At most MAX_BLOCKS visits of `function`'s blocks: the first and the last ones."""
    mine = [s for s in snapshots if s.function == function]
    if len(mine) <= MAX_BLOCKS:
        return mine
    head = MAX_BLOCKS // 2
    return mine[:head] + mine[-(MAX_BLOCKS - head) :]


def render_trace(func: FunctionInfo, trace: TraceData) -> str:
    """The trace as the prompt shows it: `[block 2, lines 5-7, iteration 0] i=1 total=3`."""
    spans = {b.index: (b.start_line, b.end_line) for b in func.blocks}
    visits = sum(1 for s in trace.snapshots if s.function == func.qualname)
    chosen = chosen_snapshots(trace.snapshots, func.qualname)
    lines: list[str] = []
    for position, snap in enumerate(chosen):
        if visits > len(chosen) and position == MAX_BLOCKS // 2:
            lines.append(f"[... {visits - len(chosen)} block visits left out ...]")
        start, end = spans.get(snap.block, (snap.line, snap.line))
        values = " ".join(f"{k}={_cut(v)}" for k, v in snap.values.items())
        lines.append(
            f"[block {snap.block}, lines {start}-{end}, iteration {snap.iteration}] {values}"
        )
    return "\n".join(lines) or "(the function left no block: it raised at once)"


def parse_verdicts(answer: str, func: FunctionInfo) -> list[BlockVerdict]:
    data = json_answer(answer)
    items = data.get("blocks")
    if not isinstance(items, list):
        raise AnswerError('the JSON has no "blocks" list')
    spans = {b.index: (b.start_line, b.end_line) for b in func.blocks}
    verdicts: list[BlockVerdict] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            index = int(item.get("block"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        verdict = str(item.get("verdict", "")).strip().lower()
        if index not in spans or verdict not in ("correct", "wrong"):
            continue
        start, end = spans[index]
        reason = " ".join(str(item.get("reason", "")).split())[:200]
        verdicts.append(BlockVerdict(index, verdict == "wrong", reason, start, end))
    if not verdicts:
        raise AnswerError("no usable block verdict in the answer")
    return verdicts


def ask_block_verdicts(
    client: ModelClient,
    func: FunctionInfo,
    function_source: str,
    trace: TraceData,
    failure: tuple[str, str, str],  # (call, expected, actual)
    *,
    cancel: threading.Event | None = None,
) -> list[BlockVerdict]:
    """The model's verdict per block; [] when its answer is unusable (counted)."""
    call, expected, actual = failure
    prompt = BLOCK_VERDICTS.format(
        function=function_source.rstrip(),
        intent=(func.docstring or "").strip().splitlines()[0] if func.docstring else func.name,
        call=call,
        expected=expected,
        actual=actual,
        trace=render_trace(func, trace),
    )
    answer = client.complete(
        [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
        cancel=cancel,
    )
    try:
        return parse_verdicts(answer.text, func)
    except AnswerError as error:
        client.note_parse_failure(str(error))
        return []


def line_evidence(verdicts: Sequence[BlockVerdict], lines: set[int]) -> dict[int, float]:
    """1.0 for each executed line in a block judged wrong, 0.0 for the others."""
    wrong = {line for v in verdicts if v.wrong for line in range(v.start_line, v.end_line + 1)}
    return {line: 1.0 if line in wrong else 0.0 for line in lines}
