"""The check-dispatch seam (sandbox/backend.py): the stages need nothing of `Sandbox` but it.

The static proof is `local_backend` in backend.py, where mypy checks that
`Sandbox` satisfies `CheckBackend` (here, outside the package, mypy sees
`mgdebug.*` as Any). The run proves the seam works with a class that is not
`Sandbox`: a backend that forwards each call (as a remote one would send it)
drives the engine's run stage and the fix search to a checked fix.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path

import pytest

from mgdebug.analysis.model import Expectation
from mgdebug.debugger.baseline import Controls
from mgdebug.debugger.engine import DebugRequest, analyse, run
from mgdebug.debugger.repair.search import search_fixes
from mgdebug.debugger.report import Report
from mgdebug.debugger.results import ExpectationResult
from mgdebug.debugger.sandbox.backend import CheckBackend, local_backend
from mgdebug.debugger.sandbox.pool import Job, Sandbox

DEBUGGER = Path(__file__).resolve().parents[3] / "debugger"
MEMBERS = {"start", "isolation", "run", "run_many", "run_candidates"}

SOURCE = '''\
def total(xs):
    """Sum of the items.

    >>> total([1, 2, 3])
    6
    """
    result = 0
    for x in xs[1:]:
        result += x
    return result
'''


class Forwarding:
    """A backend that is not `Sandbox`: it hands each call on, as a remote one would."""

    def __init__(self, behind: CheckBackend) -> None:
        self.behind = behind
        self.calls: Counter[str] = Counter()

    def start(self) -> None:
        self.calls["start"] += 1
        self.behind.start()

    def isolation(self) -> dict[str, object]:
        self.calls["isolation"] += 1
        return self.behind.isolation()

    def run(self, job: Job) -> list[ExpectationResult]:
        self.calls["run"] += 1
        return self.behind.run(job)

    def run_many(self, jobs: Sequence[Job]) -> Generator[tuple[int, list[ExpectationResult]]]:
        self.calls["run_many"] += 1
        yield from self.behind.run_many(jobs)

    def run_candidates(
        self,
        sources: Sequence[str],
        expectations: Sequence[Expectation],
        *,
        wall_seconds_each: float,
        stop_at_first_failure: bool = True,
    ) -> Generator[tuple[int, list[ExpectationResult]]]:
        self.calls["run_candidates"] += 1
        yield from self.behind.run_candidates(
            sources,
            expectations,
            wall_seconds_each=wall_seconds_each,
            stop_at_first_failure=stop_at_first_failure,
        )


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    path = tmp_path_factory.mktemp("backend") / "total.py"
    path.write_text(SOURCE)
    with Sandbox(str(path), workers=1) as sandbox:
        yield sandbox


def test_a_backend_that_is_not_sandbox_drives_the_run_and_the_fix_search(box: Sandbox) -> None:
    backend = Forwarding(local_backend(box))
    backend.start()
    assert backend.isolation()["level"] in ("kernel", "hook")
    report = Report(path=box.module_path)
    baseline = analyse(DebugRequest(SOURCE, box.module_path), report)
    assert baseline is not None
    controls = Controls(backend)
    ran = run(baseline, controls, report)
    assert ran is not None and ran.failing
    outcome = search_fixes(ran, controls, [(8, 1.0), (7, 0.5)])
    assert outcome.fixes and all(f.validated for f in outcome.fixes)
    assert outcome.fixes[0].line in (7, 8) and outcome.fixes[0].source != SOURCE
    assert backend.calls["run"] >= 1 and backend.calls["run_candidates"] >= 1


def _used_on_controls_sandbox(tree: ast.AST) -> set[str]:
    """Attributes read on `controls.sandbox` / `self.controls.sandbox` in one module."""
    used = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        inner = node.value
        if isinstance(inner, ast.Attribute) and inner.attr == "sandbox":
            owner = inner.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name == "controls":
                used.add(node.attr)
    return used


def test_the_protocol_names_exactly_what_the_stages_use() -> None:
    used: set[str] = set()
    for path in DEBUGGER.rglob("*.py"):
        used |= _used_on_controls_sandbox(ast.parse(path.read_text(encoding="utf-8")))
    module = ast.parse((DEBUGGER / "sandbox" / "backend.py").read_text(encoding="utf-8"))
    (protocol,) = [n for n in module.body if isinstance(n, ast.ClassDef)]
    declared = {n.name for n in protocol.body if isinstance(n, ast.FunctionDef)}
    assert declared == MEMBERS
    # The stages reach code only through these; the engine adds start() and isolation().
    assert {"run", "run_many", "run_candidates"} <= used <= declared
