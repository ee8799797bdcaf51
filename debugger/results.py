"""What a run in the sandbox observed: per expectation, its outcome and its trace.

Built inside the sandbox grandchild and sent back to the parent as JSON
(sandbox_codec.py). Every value is a bounded repr string: user objects never
cross the process boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# "skip": the test itself chose not to count (pytest skip/skipif, or an xfail that
# failed as expected): neither a pass nor a failure.
RunStatus = Literal["pass", "fail", "error", "timeout", "crash", "skip"]


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
    # The user's frames only (no mgdebug, doctest or pytest internals), paths
    # relative to the project folder; "" when the code did not raise.
    traceback: str = ""
    # Set when the module could not be imported, so the expectation never ran
    # (the kinds are in user_frames.py): the kind, the module it names and where it failed.
    load_error: str = ""
    load_module: str = ""  # "numpy" (missing) or "pkg.mod" (raised while imported)
    load_where: str = ""  # "pkg/mod.py:3": where an imported module raised
    # Where the pass/fail was decided (sandbox/verdicts.py): "mgdebug", outside the
    # process the code ran in (doctest output, plain-data ==); "sandbox", by that
    # process (pytest, asserts, == on user objects); "" when there is no verdict.
    verdict_by: str = ""

    @property
    def passed(self) -> bool:
        """Nothing went wrong: it passed, or was skipped as the test asked.

        A skip is no failure (search, exit status and the spectrum treat it as
        such), but it is not counted as a pass either: see `skipped`.
        """
        return self.status in ("pass", "skip")

    @property
    def skipped(self) -> bool:
        return self.status == "skip"
