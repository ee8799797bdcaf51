"""What every stage of a debugging run works over: the file, its expectations, the first run.

The engine (engine.py) is a sequence of stages — analyse, run, localize,
(propose → check)…, report — and each takes the `Baseline` instead of a
dozen loose arguments; `Controls` carries what a stage needs to act (the
sandbox) and to answer to its caller (cancellation, progress). A new source
of evidence or of candidate fixes reads the same two objects, so plugging one
in changes no signature.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from mgdebug.analysis.model import Expectation, ModuleInfo

from .options import DebugOptions
from .repair.context import CandidateContext
from .results import ExpectationResult
from .sandbox.backend import CheckBackend

ProgressCallback = Callable[[str, int], None]  # (message, percent 0-100)


@dataclass(frozen=True)
class Baseline:
    """The file as read and how it behaved before any edit.

    `expectations` are the chosen ones (those that judge the functions asked
    about), in the order they ran; `results` their traced results, empty
    before the run stage; `context` the hints the run gave candidate edits.
    """

    source: str
    path: str
    module: ModuleInfo
    options: DebugOptions
    expectations: tuple[Expectation, ...] = ()
    results: tuple[ExpectationResult, ...] = ()
    context: CandidateContext = field(default_factory=CandidateContext)

    @property
    def failing(self) -> bool:
        return any(not r.passed for r in self.results)


@dataclass(frozen=True)
class Controls:
    """The sandbox the stages run code in, and the caller's cancel flag and progress bar.

    `sandbox` is any `CheckBackend` (sandbox/backend.py): the local `Sandbox`
    pool, or a backend that runs the checks elsewhere.
    """

    sandbox: CheckBackend
    cancel: threading.Event | None = None
    progress: ProgressCallback | None = None

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def report(self, message: str, percent: int) -> None:
        if self.progress is not None:
            self.progress(message, percent)

    def within(self, start: int, span: int) -> Controls:
        """The same controls, with a stage's 0-100 progress mapped to start..start+span."""
        outer = self.progress
        if outer is None:
            return self

        def scaled(message: str, percent: int) -> None:
            outer(message, start + percent * span // 100)

        return Controls(self.sandbox, self.cancel, scaled)
