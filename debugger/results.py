"""What a run in the sandbox observed: per expectation, its outcome and its trace.

Built inside the sandbox child, pickled back to the parent. Every value is a
bounded repr string: user objects never cross the process boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

RunStatus = Literal["pass", "fail", "error", "timeout", "crash"]


@dataclass
class CallRecord:
    """One call of a traced function: its arguments, and its return value or exception."""

    function: str  # qualname
    depth: int  # nesting depth among traced calls (0 = called from the expectation)
    args: dict[str, str]
    result: str | None = None
    exception: str | None = None  # "ValueError: bad"


@dataclass
class BlockSnapshot:
    """Variable values when execution left a basic block."""

    function: str
    block: int  # BasicBlock.index
    line: int  # last line executed in the block
    values: dict[str, str]
    iteration: int = 0  # how many times this block was left before, in this call


@dataclass
class TraceData:
    """Everything the tracer kept for one expectation, bounded in size."""

    lines: list[int] = field(default_factory=list)  # distinct module lines executed, sorted
    calls: list[CallRecord] = field(default_factory=list)
    snapshots: list[BlockSnapshot] = field(default_factory=list)
    dropped_calls: int = 0
    dropped_snapshots: int = 0


@dataclass
class ExpectationResult:
    """The outcome of one expectation."""

    expectation_id: str
    status: RunStatus  # "error": the code raised where a value was expected
    actual: str | None = None  # repr of what the code produced, or the exception
    expected: str | None = None  # repr of what was expected
    message: str = ""  # exception text, assertion message or sandbox reason
    error_line: int | None = None  # module line where an exception was raised
    stdout: str = ""  # captured output, truncated
    duration: float = 0.0
    trace: TraceData | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"
