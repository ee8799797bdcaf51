"""Helpers shared by test folders (on the path through `pythonpath` in pyproject.toml)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mgdebug.analysis.model import Expectation, Origin
from mgdebug.debugger.baseline import Baseline, Controls
from mgdebug.debugger.engine import DebugRequest, analyse, run
from mgdebug.debugger.options import DebugOptions
from mgdebug.debugger.report import Report
from mgdebug.debugger.sandbox.pool import Sandbox


def folder_digest(folder: Path) -> str:
    """A hash of every file's path, bytes and mode under `folder`."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
            digest.update(str(path.stat().st_mode).encode())
    return digest.hexdigest()


@contextmanager
def failing_baseline(path: Path, source: str) -> Iterator[tuple[Baseline, Controls]]:
    """`source` written at `path`, run in a real sandbox: its (failing) baseline and controls."""
    path.write_text(source)
    request = DebugRequest(source, str(path), DebugOptions(mutation_seconds=0))
    report = Report(path=str(path))
    analysed = analyse(request, report)
    assert analysed is not None
    with Sandbox(str(path), request.options.limits) as sandbox:
        controls = Controls(sandbox)
        baseline = run(analysed, controls, report)
        assert baseline is not None and baseline.failing
        yield baseline, controls


def given(id: str, function: str, kind: str = "eval", **fields: str) -> Expectation:
    """An expectation as a benchmark's visible test would give it."""
    return Expectation(
        id=id,
        function=function,
        kind=kind,  # type: ignore[arg-type]
        origin=Origin("mod.py", 1, "given"),
        description=id,
        **fields,
    )


# A bug in a helper with no expectations of its own, found through its caller's
# asserts: the CLI and the language server must both blame the helper.
UNTESTED_HELPER = """\
def _scale(x):
    return x * 3


def double(x):
    return _scale(x)


if __name__ == "__main__":
    assert double(0) == 0
    assert double(2) == 4
"""
