"""The one report every front end shows: per-function status, suspects, fixes.

`Report.to_json()` is the `mgdebug FILE --json` contract of DESIGN.md.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from mgdebug.analysis.model import Expectation, SyntaxProblem

from .results import BlockSnapshot, CallRecord, ExpectationResult


def shown_path(path: str) -> str:
    """A path relative to the current folder when it lies inside it, else as given."""
    if not os.path.isabs(path):
        return path
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


# "not_run": it has expectations, but none could run (see `Report.could_not_run`).
FunctionStatus = Literal["pass", "fail", "untested", "not_run"]


@dataclass
class FailureEvidence:
    """A failing expectation, as a person reads it."""

    expectation_id: str
    description: str
    origin_path: str
    origin_line: int
    origin_kind: str
    status: str
    expected: str | None
    actual: str | None
    message: str
    traceback: str = ""  # the user's frames only, when the code raised


@dataclass
class CouldNotRun:
    """Why no expectation ran: the module could not be imported.

    `environment`: not a bug in the file (a missing dependency, stdin or
    sys.exit() at import time, another module that raised while imported),
    so nothing is blamed and the exit status is 2. Otherwise a statement of
    the file's own top level raised (`line`): the user's bug, but in no function.
    """

    kind: str  # debugger.user_frames: missing-module, stdin, exit, import, top-level
    message: str  # "could not run `f`: numpy is not installed in /usr/bin/python3; ..."
    environment: bool
    line: int | None = None  # of the file, 1-based, where it raised (or imported)
    error: str = ""  # "ModuleNotFoundError: No module named 'numpy'"
    traceback: str = ""


@dataclass
class FunctionReport:
    name: str  # qualname
    line: int
    end_line: int
    status: FunctionStatus
    passed: int = 0
    failed: int = 0
    skipped: int = 0  # skipped or xfailed tests: counted neither as passes nor as failures
    blamed: bool = False  # the lowest function in the call tree whose own behaviour is wrong
    blame_reason: str = ""
    failures: list[FailureEvidence] = field(default_factory=list)
    # The model's two-sentence "why" for a failing function (its opinion, from
    # the trace it was shown): "" without a model.
    explanation: str = ""


@dataclass
class Suspect:
    """A suspicious line, best first in `Report.suspects`."""

    function: str
    line: int
    score: float
    reason: str
    block: int | None = None
    values: list[BlockSnapshot] = field(default_factory=list)  # from one failing run
    # The model's verdict on this line's block ("model: after lines 12-14 `i` is
    # already past the last index"): evidence, shown as the model's opinion.
    model_reason: str = ""
    # The file the line is in; empty means `Report.path` (project mode fills it).
    path: str = ""
    # The reason in plain words for an editor message ("the loop skips the first
    # element"); `reason` keeps the evidence and scores for hovers and tools.
    summary: str = ""


@dataclass(frozen=True)
class FixEdit:
    """One text edit of a fix as an editor applies it: an LSP range and its new text.

    Lines are 0-based; characters count UTF-16 code units (LSP's default
    position encoding), so a client applies `edits` to the file as it was read
    without re-deriving anything.
    """

    start_line: int
    start_character: int
    end_line: int
    end_character: int
    new_text: str


@dataclass
class Fix:
    function: str
    source: str  # the whole fixed file
    diff: str  # unified
    validated: bool  # passed every expectation
    origin: Literal["search", "model"]
    summary: str  # "`<` → `<=` on line 12"
    line: int = 0
    passed: int = 0  # expectations passed
    total: int = 0
    edit_kind: str = ""
    tokens_changed: int = 0
    # How many other edits also passed every expectation in the same search
    # (kept in `fixes` or not): > 0 means the tests do not decide between them.
    alternatives: int = 0
    edits: list[FixEdit] = field(default_factory=list)  # the fix as edits of the original file
    # Why this fix ranks where it does, beyond size: "the model's rewrite, shrunk to
    # 1 of 3 changed hunks", "passes 4/5 model-written expectations", ...
    note: str = ""
    # The file the fix edits; empty means `Report.path` (project mode fills it).
    path: str = ""


@dataclass
class SearchStats:
    candidates_tried: int = 0
    candidates_by_kind: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    budget_exhausted: bool = False
    message: str = ""
    # Why it stopped before trying every candidate: "time", "candidates",
    # "cancelled", or "" (it ran out of candidates or found enough fixes).
    stopped_by: str = ""
    passing_edits: int = 0  # edits that passed every expectation (fixes holds the best)


@dataclass
class ModelSummary:
    """What the model did in this run: `model` in `--json`, the text report's last line.

    `usage` is debugger.llm.client.Usage.to_json(): calls, cached, failed,
    parse_failures, prompt/completion tokens, seconds, redactions, errors.
    `message`: one line for the user when the model could not help (endpoint
    down, budget spent, unusable answers); the offline result stands.
    """

    name: str
    endpoint: str
    strategy: str
    usage: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    steps: list[str] = field(default_factory=list)  # what ran: "cases", "verdicts", "fix", ...


@dataclass
class SimulatedBlock:
    """One block of a simulated run: the model's values, never observed ones."""

    block: int
    start_line: int
    end_line: int
    values: dict[str, str]


@dataclass
class SimulatedRun:
    """What the model says `call` SHOULD compute, block by block, when the code could not run.

    Stands in for the trace when the environment stops the code (a missing
    dependency, an untrusted workspace): `simulated` is always True and front
    ends must show these as the model's story, not as values of a real run.
    """

    function: str
    call: str
    expected: str
    steps: list[SimulatedBlock] = field(default_factory=list)
    result: str | None = None
    simulated: bool = True


@dataclass
class Report:
    path: str
    functions: list[FunctionReport] = field(default_factory=list)
    suspects: list[Suspect] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    syntax_errors: list[SyntaxProblem] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)
    results: list[ExpectationResult] = field(default_factory=list)
    failing_calls: list[CallRecord] = field(default_factory=list)  # calls seen in one failing run
    search: SearchStats | None = None
    messages: list[str] = field(default_factory=list)  # notes for the user
    seconds: float = 0.0
    interpreter: str = ""  # the Python the code under test ran in (its path)
    interpreter_reason: str = ""  # how it was chosen: "--python", "$VIRTUAL_ENV", ...
    interpreter_version: str = ""  # "3.11.7"
    could_not_run: CouldNotRun | None = None  # the module could not be imported
    model: ModelSummary | None = None  # None: no model configured (offline run)
    # Which walls held the code under test (Sandbox.isolation): level, layers.
    isolation: dict[str, Any] = field(default_factory=dict)
    simulation: SimulatedRun | None = None  # the model's simulation when the code could not run

    @property
    def has_failure(self) -> bool:
        return any(f.status == "fail" for f in self.functions)

    @property
    def fails_the_users_expectations(self) -> bool:
        """A failure that is a verdict: of an expectation the user (or their tests) wrote.

        Model-written cases are evidence: when only they fail, the code does
        what the user asked of it, and the exit status says so.
        """
        model = {e.id for e in self.expectations if e.origin.kind == "model"}
        return any(
            not r.passed and not r.skipped and r.expectation_id not in model for r in self.results
        )

    def to_json(self) -> dict[str, Any]:
        def trimmed_result(r: ExpectationResult) -> dict[str, Any]:
            data = asdict(r)
            data.pop("trace", None)
            return data

        return {
            "path": self.path,
            "suspects": [asdict(s) for s in self.suspects],
            "fixes": [asdict(f) for f in self.fixes],
            "functions": [asdict(f) for f in self.functions],
            "syntax_errors": [_one_based(asdict(e)) for e in self.syntax_errors],
            "expectations": [asdict(e) for e in self.expectations],
            "results": [trimmed_result(r) for r in self.results],
            "failing_calls": [asdict(c) for c in self.failing_calls],
            "search": asdict(self.search) if self.search else None,
            "messages": list(self.messages),
            "seconds": round(self.seconds, 3),
            "interpreter": {
                "path": self.interpreter,
                "chosen_by": self.interpreter_reason,
                "version": self.interpreter_version,
            },
            "could_not_run": asdict(self.could_not_run) if self.could_not_run else None,
            "model": asdict(self.model) if self.model else None,
            "sandbox": {"isolation": self.isolation} if self.isolation else None,
            "simulation": asdict(self.simulation) if self.simulation else None,
        }


def _one_based(position: dict[str, Any]) -> dict[str, Any]:
    """Lines and columns in the JSON are 1-based, as in the text report and compilers;
    `SyntaxProblem` keeps 0-based columns, as the language server needs them."""
    for key in ("column", "end_column"):
        if isinstance(position.get(key), int):
            position[key] += 1
    return position
