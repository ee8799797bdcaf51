"""The check-dispatch seam: what the stages need from whatever runs code under test.

The stages (engine.py's run, localize/mutation.py, repair/check.py and
distinguish.py, the llm modules) run code only through `Controls.sandbox`:
`run`, `run_many` and `run_candidates`; the engine also calls `start` and
`isolation` on the one it opens. Those five methods are this Protocol, and
nothing else of `Sandbox` is used by them. `Sandbox` (pool.py) is the
local implementation: forked workers on this machine. A backend that runs
the checks elsewhere — on a cluster when a project's tests take minutes —
implements this one class and is handed to the engine in its place; no stage
changes. README, "Scaling", says which engine such a backend would use.

How a remote backend would implement it:

- `start()`: open the connection and ship the project copy once (the scratch
  copy `Sandbox` makes locally: the user's folder, symlinks out of it
  dropped), so that every later check refers to it instead of sending it again.
- `run(job)` / `run_many(jobs)`: send each `Job` (a module source, its
  expectations, an optional `TraceSpec`, a wall time) as plain data — the
  dataclasses of analysis/model.py and protocol.py, never pickle of live
  objects — and yield `(index, results)` as each finishes, in completion
  order, exactly as `Sandbox` does; the stages collect before deciding.
- `run_candidates(sources, expectations, ...)`: the hot loop. Split
  `sources` into chunks, one per remote worker slot, each chunk run in one
  process with a kept pytest session (as sandbox_worker.py does locally);
  yield per source. A candidate that does not answer within
  `wall_seconds_each` (plus the transfer) is a "timeout"; one whose worker
  died is a "crash", never an exception out of the generator. Closing the
  generator (the check's budget ran out) must cancel what is still queued.
- `isolation()`: say which walls held the code there (`--json` →
  `sandbox.isolation`): the remote machine's, not this one's.

Each remote worker must itself confine code as pool.py does (a scratch copy,
an allow-listed environment, rlimits, Landlock where the kernel has it): the
seam moves where checks run, not what "checked" means.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Protocol

from mgdebug.analysis.model import Expectation

from ..results import ExpectationResult
from .pool import Job, Sandbox

__all__ = ["CheckBackend"]


class CheckBackend(Protocol):
    """Runs jobs and candidate checks in confinement; yields results as they finish.

    Not thread-safe, like `Sandbox`: one caller at a time.
    """

    def start(self) -> None:
        """Begin starting workers now, so their start-up overlaps the caller's own work."""
        ...

    def isolation(self) -> dict[str, object]:
        """Which walls hold code under test: `level` ("kernel" or "hook") and `layers`."""
        ...

    def run(self, job: Job) -> list[ExpectationResult]:
        """One job; its results in the order of its expectations."""
        ...

    def run_many(self, jobs: Sequence[Job]) -> Generator[tuple[int, list[ExpectationResult]]]:
        """Jobs in parallel; (job index, results) as each finishes."""
        ...

    def run_candidates(
        self,
        sources: Sequence[str],
        expectations: Sequence[Expectation],
        *,
        wall_seconds_each: float,
        stop_at_first_failure: bool = True,
    ) -> Generator[tuple[int, list[ExpectationResult]]]:
        """Versions of the module against the same expectations, untraced; (index, results)
        as each finishes. A source that loops is a "timeout", one that crashes a "crash"."""
        ...


def local_backend(box: Sandbox) -> CheckBackend:
    """The local pool as a backend: mypy proves here that `Sandbox` satisfies the Protocol."""
    return box
