"""Intent simulation (MGDebugger): what the function SHOULD compute, aligned with what it did.

The model walks the function's blocks for the failing input as a correct
implementation would; the first block whose simulated values differ from the
real trace's values is where intent and behaviour part — evidence for the
ranking. When the code cannot run at all (an untrusted workspace, a missing
dependency), the simulated steps stand in for the trace, and everything built
from them is marked `simulated`: they are the model's story, not observations.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from mgdebug.analysis.model import FunctionInfo

from ..results import BlockSnapshot
from .answers import AnswerError, json_answer
from .client import ModelClient
from .prompts import SIMULATE, SYSTEM

MAX_STEPS = 12


@dataclass(frozen=True)
class SimulatedStep:
    block: int
    values: dict[str, str]


@dataclass(frozen=True)
class Simulation:
    steps: tuple[SimulatedStep, ...]
    result: str | None
    simulated: bool = True  # always: these values were never observed


@dataclass(frozen=True)
class Divergence:
    """The first block where the real run left a value the simulation disagrees with."""

    block: int
    start_line: int
    end_line: int
    variable: str
    real: str
    intended: str

    def describe(self) -> str:
        return (
            f"model (simulated): after lines {self.start_line}-{self.end_line} `{self.variable}` "
            f"should be {self.intended}, the real run has {self.real}"
        )


def parse_simulation(answer: str, func: FunctionInfo) -> Simulation:
    data = json_answer(answer)
    raw = data.get("steps")
    if not isinstance(raw, list):
        raise AnswerError('the JSON has no "steps" list')
    known = {b.index for b in func.blocks}
    steps: list[SimulatedStep] = []
    for item in raw[:MAX_STEPS]:
        if not isinstance(item, dict) or not isinstance(item.get("values"), dict):
            continue
        try:
            block = int(item["block"])
        except (KeyError, TypeError, ValueError):
            continue
        if block in known:
            values = {str(k): str(v) for k, v in item["values"].items()}
            steps.append(SimulatedStep(block, values))
    if not steps:
        raise AnswerError("no usable simulated step in the answer")
    result = data.get("result")
    return Simulation(tuple(steps), None if result is None else str(result))


def simulate(
    client: ModelClient,
    func: FunctionInfo,
    function_source: str,
    call: str,
    expected: str,
    *,
    cancel: threading.Event | None = None,
) -> Simulation | None:
    blocks = "\n".join(
        f"block {b.index}: lines {b.start_line}-{b.end_line} ({b.kind})" for b in func.blocks
    )
    prompt = SIMULATE.format(
        intent=(func.docstring or func.name).strip(),
        function=function_source.rstrip(),
        blocks=blocks,
        call=call,
        expected=expected,
        max_steps=MAX_STEPS,
    )
    answer = client.complete(
        [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
        cancel=cancel,
    )
    try:
        return parse_simulation(answer.text, func)
    except AnswerError as error:
        client.note_parse_failure(str(error))
        return None


def _same(real: str, intended: str) -> bool:
    return " ".join(real.split()) == " ".join(intended.split())


def first_divergence(
    simulation: Simulation, snapshots: Sequence[BlockSnapshot], func: FunctionInfo
) -> Divergence | None:
    """Walk both in order, matching the n-th visit of each block; the first differing value."""
    spans = {b.index: (b.start_line, b.end_line) for b in func.blocks}
    real_visits: dict[int, list[BlockSnapshot]] = {}
    for snap in snapshots:
        if snap.function == func.qualname:
            real_visits.setdefault(snap.block, []).append(snap)
    seen: dict[int, int] = {}
    for step in simulation.steps:
        visit = seen.get(step.block, 0)
        seen[step.block] = visit + 1
        visits = real_visits.get(step.block, [])
        if visit >= len(visits):
            continue  # the real run never got this far in this block (or the trace was cut)
        real = visits[visit].values
        for name, intended in step.values.items():
            if name in real and not _same(real[name], intended):
                start, end = spans[step.block]
                return Divergence(step.block, start, end, name, real[name], intended)
    return None
