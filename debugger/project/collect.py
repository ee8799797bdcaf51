"""Run a pytest selection once, in the sandbox, and learn per test what it ran and how it ended.

One order to a sandbox worker in the user's interpreter, over the same
scratch copy and confinement as every run (debugger/sandbox/): its single
expectation (`collect_child.COLLECT_ID`) tells the grandchild to run pytest
with the recording plugin of collect_child.py instead of running a test. The
answer arrives as JSON text, checked here field by field before anything uses
it (`parse_payload`): the code under test can write to that pipe.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from mgdebug.analysis.model import Expectation, Origin

from ..options import Limits
from ..sandbox.interpreter import Interpreter
from ..sandbox.pool import Job, Sandbox
from .collect_child import COLLECT_ID, PAYLOAD_VERSION

__all__ = ["CollectRun", "TestOutcome", "TestRun", "parse_payload", "run_selection"]

TestOutcome = Literal["passed", "failed", "error", "skipped", "timeout", "not_run"]
_OUTCOMES = frozenset({"passed", "failed", "error", "skipped", "timeout", "not_run"})
# A file name the project cannot have: the sandbox writes the (empty) module
# source there in its copy, and pytest never collects it.
_PLACEHOLDER = "__mgdebug_project_run__.py"
DEFAULT_SECONDS = 120.0


@dataclass(frozen=True)
class TestRun:
    """One test as pytest ran it.

    `nodeid` is pytest's; `file` and `line` place the test (root-relative,
    1-based); `covered` maps each project module it executed (root-relative
    path) to the lines it executed there. `deps` are the hashes of the files
    its result depends on, filled by the cache (cache.py).
    """

    nodeid: str
    outcome: TestOutcome
    message: str = ""
    file: str = ""
    line: int = 0
    seconds: float = 0.0
    covered: Mapping[str, frozenset[int]] = field(default_factory=dict)
    deps: Mapping[str, str] = field(default_factory=dict)

    @property
    def failing(self) -> bool:
        """It failed, errored or ran out of time: a verdict against the code."""
        return self.outcome in ("failed", "error", "timeout")

    @property
    def name(self) -> str:
        """The node id after the file part ("TestX::test_y[1]"); "" for a whole file."""
        return self.nodeid.split("::", 1)[1] if "::" in self.nodeid else ""

    def reaches(self, module: str) -> bool:
        return bool(self.covered.get(module))

    def to_json(self) -> dict[str, Any]:
        """As in `--json`'s `tests`: node id, outcome, message, file and line."""
        return {
            "nodeid": self.nodeid,
            "outcome": self.outcome,
            "message": self.message,
            "file": self.file,
            "line": self.line,
        }

    def expectation(self, root: Path) -> Expectation:
        """This test as a "pytest" expectation of the engine (run by pytest in the sandbox)."""
        test_file = str(root / self.file) if self.file else str(root / self.nodeid.split("::")[0])
        return Expectation(
            id=f"pytest:{self.nodeid}",
            function="",
            kind="pytest",
            origin=Origin(test_file, self.line or 1, "pytest"),
            description=f"pytest {self.nodeid}",
            test_file=test_file,
            nodeid=self.nodeid,
        )


@dataclass
class CollectRun:
    """What one sandboxed pytest run gave: its tests, and why it stopped short if it did."""

    tests: list[TestRun]
    problem: str = ""  # why pytest could not run, in plain words ("" when it ran)
    stopped: str = ""  # "time" when the time limit cut the run short
    said: str = ""  # pytest's own last words, to explain a run that found no test


def _lines(value: Any) -> frozenset[int] | None:
    if type(value) is not list or len(value) > 1_000_000:
        return None
    if not all(type(n) is int and n > 0 for n in value):
        return None
    return frozenset(value)


def _relative(path: Any) -> bool:
    """A root-relative posix path: never absolute, never climbing out."""
    return (
        type(path) is str
        and bool(path)
        and not path.startswith("/")
        and ".." not in path.split("/")
        and "\0" not in path
    )


def _test(value: Any) -> TestRun | None:
    if type(value) is not dict:
        return None
    nodeid, outcome = value.get("nodeid"), value.get("outcome")
    message, file, line = value.get("message", ""), value.get("file", ""), value.get("line", 0)
    seconds, covered = value.get("seconds", 0.0), value.get("covered", {})
    if type(nodeid) is not str or not nodeid or outcome not in _OUTCOMES:
        return None
    if type(message) is not str or type(file) is not str or type(line) is not int:
        return None
    if file and not _relative(file):
        return None
    if type(seconds) not in (int, float) or type(covered) is not dict:
        return None
    lines: dict[str, frozenset[int]] = {}
    for path, numbers in covered.items():
        got = _lines(numbers)
        if not _relative(path) or got is None:
            return None
        lines[path] = got
    return TestRun(nodeid, outcome, message[:500], file, max(line, 0), float(seconds), lines)


def parse_payload(text: str) -> CollectRun:
    """The grandchild's JSON, checked; a test entry that is not well formed is dropped."""
    try:
        data = json.loads(text)
    except ValueError:
        return CollectRun([], problem="the test run sent no readable results")
    if type(data) is not dict or data.get("version") != PAYLOAD_VERSION:
        return CollectRun([], problem="the test run sent no readable results")
    raw = data.get("tests")
    tests = [t for t in (_test(v) for v in raw) if t is not None] if type(raw) is list else []
    stopped = data.get("stopped") if type(data.get("stopped")) is str else ""
    said = data.get("said") if type(data.get("said")) is str else ""
    return CollectRun(tests, stopped=str(stopped), said=str(said))


def run_selection(
    root: Path,
    args: Sequence[str],
    interpreter: Interpreter,
    limits: Limits | None = None,
    *,
    seconds: float = DEFAULT_SECONDS,
    test_patterns: Sequence[str] = ("test_*.py", "*_test.py"),
) -> CollectRun:
    """Run `pytest ARGS` (relative to `root`) once in the sandbox, recording every test.

    `seconds` bounds the whole run (wall clock, and CPU time in the grandchild):
    tests still waiting when it is up are reported "not_run".
    """
    base = limits or Limits()
    budget = max(seconds, 1.0)
    limits = replace(
        base, wall_seconds=budget, cpu_seconds=max(base.cpu_seconds, math.ceil(budget))
    )
    # `origin`: an editable install (a .pth naming the project's src/) makes the tests
    # import the user's own files, not the copy's: those lines are the project's too.
    spec = {
        "args": list(args),
        "seconds": budget,
        "test_patterns": list(test_patterns),
        "origin": str(root),
    }
    exp = Expectation(
        id=COLLECT_ID,
        function="",
        kind="pytest",
        origin=Origin(str(root), 1, "pytest"),
        description="the project's tests, recorded",
        code=json.dumps(spec),
    )
    placeholder = os.path.join(root, _PLACEHOLDER)
    with Sandbox(placeholder, limits, workers=1, interpreter=interpreter, root=str(root)) as box:
        # A second beyond the soft limit: the recorder stops pytest first and still answers.
        results = box.run(Job(source="", expectations=[exp], wall_seconds=budget + 5.0))
    if not results:
        return CollectRun([], problem="the test run gave no answer")
    result = results[0]
    if "No module named 'pytest'" in result.message:
        return CollectRun(
            [],
            problem=f"pytest is not installed in {interpreter.path}; install it there or use "
            "--python",
        )
    if result.status in ("timeout", "crash"):
        return CollectRun([], problem=f"the test run did not finish: {result.message}")
    if result.status == "error" and not result.stdout:
        return CollectRun([], problem=result.message or "pytest could not run")
    run = parse_payload(result.stdout)
    if result.status == "error" and not run.problem:
        run.problem = result.message
    return run
