"""A timeout the tracer caused is not the code's verdict: such expectations run again untraced."""

from __future__ import annotations

from pathlib import Path

from mgdebug.debugger.engine import debug_source
from mgdebug.debugger.options import DebugOptions, Limits

# count(1_500_000): ~0.12 s untraced, ~1.5 s traced here (a traced call per
# iteration costs ~12x): past a 1 s wall budget only under the tracer.
SOURCE = '''
def step(x):
    return x + 1


def count(n):
    """
    >>> count(3)
    4
    >>> count(1_500_000)
    1500000
    """
    total = 0
    for _ in range(n):
        total = step(total)
    return total
'''


def test_an_expectation_too_slow_only_under_the_tracer_gets_its_real_verdict(
    tmp_path: Path,
) -> None:
    path = tmp_path / "slow.py"
    path.write_text(SOURCE)
    options = DebugOptions(search_fixes=False, mutation_seconds=0, limits=Limits(wall_seconds=1.0))
    report = debug_source(SOURCE, str(path), options)
    statuses = {r.expectation_id: r.status for r in report.results}
    assert sorted(statuses.values()) == ["fail", "pass"], statuses
    assert any("ran out of time under the tracer" in m for m in report.messages)
