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


FunctionStatus = Literal["pass", "fail", "untested"]


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


@dataclass
class FunctionReport:
    name: str  # qualname
    line: int
    end_line: int
    status: FunctionStatus
    passed: int = 0
    failed: int = 0
    blamed: bool = False  # the lowest function in the call tree whose own behaviour is wrong
    blame_reason: str = ""
    failures: list[FailureEvidence] = field(default_factory=list)


@dataclass
class Suspect:
    """A suspicious line, best first in `Report.suspects`."""

    function: str
    line: int
    score: float
    reason: str
    block: int | None = None
    values: list[BlockSnapshot] = field(default_factory=list)  # from one failing run


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


@dataclass
class SearchStats:
    candidates_tried: int = 0
    candidates_by_kind: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    budget_exhausted: bool = False
    message: str = ""


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

    @property
    def has_failure(self) -> bool:
        return any(f.status == "fail" for f in self.functions)

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
            "syntax_errors": [asdict(e) for e in self.syntax_errors],
            "expectations": [asdict(e) for e in self.expectations],
            "results": [trimmed_result(r) for r in self.results],
            "failing_calls": [asdict(c) for c in self.failing_calls],
            "search": asdict(self.search) if self.search else None,
            "messages": list(self.messages),
            "seconds": round(self.seconds, 3),
            "interpreter": {"path": self.interpreter, "chosen_by": self.interpreter_reason},
        }
