"""Injected bugs for the project benchmark: mgdebug's own mutants, kept when the suite kills them.

Every single edit that mgdebug's edit generator (debugger/repair/candidates.py,
the mutators the fix search and the mutation pass use) can make anywhere in a
project's bug modules is a possible bug. They are drawn in a seeded order: a
kind of edit uniformly among the kinds left, then a mutant of that kind
uniformly, so that the sample is not half variable swaps (the most numerous
kind) and the same seed always gives the same bugs. A mutant becomes a bug
only when the project's own restricted suite kills it: some test fails and
none errors (a collection error is a broken import, not a bug), within a time
limit; at most one bug per function. Test modules are never mutated.

The chosen bugs are stored with the pristine module's hash in
results/project_bugs.json, so the set is fixed: later runs reuse it as long as
the sdists are the pinned ones.

Known bias, stated in the README: the fix search proposes edits from the same
mutators, so an injected bug is always within reach of some single edit.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import re
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from project_corpus import BenchProject, fresh_copy, pristine

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.repair.candidates import Candidate, generate_candidates

SUITE_SECONDS = 60.0
_SUMMARY = re.compile(r"^(FAILED|ERROR) (\S+)")


@dataclass(frozen=True)
class Bug:
    """One injected single-edit bug: where it is, what it did, which tests it fails."""

    id: str  # "toolz-1"
    project: str
    path: str  # the bug module, from the project root
    line: int  # 1-based line of the edit
    end_line: int  # last original line the edit touches
    function: str
    kind: str
    summary: str
    start: int  # character offsets of the edit in the pristine module
    end: int
    text: str  # what replaces pristine[start:end]
    statement: tuple[int, int]  # lines of the statement (a compound one's header) holding it
    failing: tuple[str, ...]  # node ids that fail with the bug
    module_sha256: str  # of the pristine module

    def apply(self, source: str) -> str:
        return source[: self.start] + self.text + source[self.end :]

    def hit(self, path: str, line: int) -> bool:
        """Whether a suspect at `path:line` points at this bug.

        Both tools rank statements, and a statement spanning lines may be
        reported at its first line: a line of the edit, or of the statement
        holding it, counts.
        """
        if path != self.path:
            return False
        first, last = self.statement
        return self.line <= line <= self.end_line or first <= line <= last


@dataclass
class SuiteResult:
    returncode: int
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timed_out: bool = False

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def kills(self) -> bool:
        """Some test fails, none errors, the run ends in time."""
        return self.returncode == 1 and bool(self.failed) and not self.errors


def parse_summary(output: str) -> tuple[list[str], list[str]]:
    """Failed and errored node ids from pytest's `-rfE` short summary."""
    failed: list[str] = []
    errors: list[str] = []
    for line in output.splitlines():
        match = _SUMMARY.match(line)
        if match:
            (failed if match.group(1) == "FAILED" else errors).append(match.group(2))
    return failed, errors


def run_suite(bench: BenchProject, tests: Sequence[str] | None = None) -> SuiteResult:
    """The restricted suite (or `tests`) in the working copy, with the project's interpreter."""
    cmd = [str(bench.python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--color=no"]
    cmd += ["--tb=no", "-rfE", *(tests if tests is not None else bench.tests)]
    started = time.monotonic()
    try:
        done = subprocess.run(
            cmd, cwd=bench.root, capture_output=True, text=True, timeout=SUITE_SECONDS
        )
    except subprocess.TimeoutExpired:
        return SuiteResult(-1, seconds=time.monotonic() - started, timed_out=True)
    failed, errors = parse_summary(done.stdout)
    return SuiteResult(done.returncode, failed, errors, time.monotonic() - started)


def mutants(source: str) -> list[Candidate]:
    """Every single edit the fix search's generator can make anywhere in `source`."""
    module = analyze_module(source, resolve_imports=False)
    lines = [(line, 1.0) for line in range(1, source.count("\n") + 2)]
    return list(generate_candidates(source, module, lines))


def draw_order(candidates: Sequence[Candidate], seed: str) -> list[Candidate]:
    """A seeded order: a kind uniformly among those left, then a mutant of it uniformly."""
    rng = random.Random(seed)
    by_kind: dict[str, list[Candidate]] = {}
    for cand in candidates:
        by_kind.setdefault(cand.kind, []).append(cand)
    order: list[Candidate] = []
    while by_kind:
        kind = rng.choice(sorted(by_kind))
        group = by_kind[kind]
        order.append(group.pop(rng.randrange(len(group))))
        if not group:
            del by_kind[kind]
    return order


def statement_at(source: str, line: int) -> tuple[int, int]:
    """First and last line of the innermost statement at `line` (a compound one's header)."""
    spans = [(line, line)]
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.stmt) or node.end_lineno is None:
            continue
        last = node.end_lineno
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            last = body[0].lineno - 1  # the header only: its body's statements are their own
        if node.lineno <= line <= last:
            spans.append((node.lineno, last))
    # The shortest span holding the line; (line, line) only when no statement holds it.
    inner = spans[1:] or spans
    return min(inner, key=lambda span: (span[1] - span[0], -span[0]))


def bug_from(
    bench: BenchProject, path: str, cand: Candidate, index: int, failing: Sequence[str]
) -> Bug:
    source = pristine(bench, path)
    (change,) = cand.changes  # a single edit is one text change
    return Bug(
        id=f"{bench.name}-{index}",
        project=bench.name,
        path=path,
        line=source.count("\n", 0, change.start) + 1,
        end_line=source.count("\n", 0, max(change.start, change.end - 1)) + 1,
        function=cand.function,
        kind=cand.kind,
        summary=cand.summary,
        start=change.start,
        end=change.end,
        text=change.text,
        statement=statement_at(source, source.count("\n", 0, change.start) + 1),
        failing=tuple(failing),
        module_sha256=hashlib.sha256(source.encode()).hexdigest(),
    )


def select_bugs(bench: BenchProject, count: int, seed: int, log: bool = True) -> list[Bug]:
    """The first `count` mutants in seeded order that the suite kills (one per function)."""
    fresh_copy(bench)
    pool: list[tuple[str, Candidate]] = [
        (path, cand) for path in bench.modules for cand in mutants(pristine(bench, path))
    ]
    # Draw over (path, candidate) pairs with one rng: the order depends on the seed only.
    keyed = {id(cand): path for path, cand in pool}
    order = draw_order([cand for _, cand in pool], f"{seed}:{bench.name}")
    bugs: list[Bug] = []
    used: set[tuple[str, str]] = set()
    tried = 0
    for cand in order:
        if len(bugs) == count:
            break
        path = keyed[id(cand)]
        if (path, cand.function) in used or len(cand.changes) != 1:
            continue
        tried += 1
        target = bench.root / path
        target.write_text(cand.source)
        try:
            result = run_suite(bench)
        finally:
            target.write_text(pristine(bench, path))
        if result.kills:
            used.add((path, cand.function))
            bugs.append(bug_from(bench, path, cand, len(bugs) + 1, result.failed))
            if log:
                print(f"  {bench.name}: bug {len(bugs)} after {tried} tried: {cand.summary}")
    return bugs


def save_bugs(
    path: Path, bugs: Sequence[Bug], seed: int, per_project: int, pins: Sequence[str]
) -> None:
    payload = {
        "seed": seed,
        "per_project": per_project,
        "pins": list(pins),
        "bugs": [asdict(b) for b in bugs],
    }
    path.write_text(json.dumps(payload, indent=1) + "\n")


def load_bugs(path: Path, seed: int, per_project: int, pins: Sequence[str]) -> list[Bug] | None:
    """The stored bugs when they were drawn with these settings from this corpus, else None."""
    if not path.exists():
        return None
    payload = json.loads(path.read_text())
    settings = (payload.get("seed"), payload.get("per_project"), payload.get("pins"))
    if settings != (seed, per_project, list(pins)):
        return None
    return [
        Bug(**{**b, "failing": tuple(b["failing"]), "statement": tuple(b["statement"])})
        for b in payload["bugs"]
    ]
