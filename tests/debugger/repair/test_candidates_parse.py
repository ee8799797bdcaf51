"""Every candidate is valid Python, on real programs rather than hand-written samples.

The generator guarantees this by construction (precedence-aware parentheses,
node-shaped splices); this checks the guarantee where nobody chose the code.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.repair.candidates import generate_candidates

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
import bench_data  # noqa: E402

if not (bench_data.BENCH_DIR / "quixbugs.jsonl").is_file():
    pytest.skip(f"no benchmark data in {bench_data.BENCH_DIR}", allow_module_level=True)

# A spread of MBPP seeds: eight models' styles, comprehensions, classes, f-strings.
MBPP_SAMPLE = 60


def _programs() -> list[bench_data.Program]:
    seeds = bench_data.mbpp()
    return bench_data.quixbugs() + seeds[:: max(1, len(seeds) // MBPP_SAMPLE)]


@pytest.mark.parametrize("program", _programs(), ids=lambda p: p.id)
def test_every_candidate_at_every_line_parses(program: bench_data.Program) -> None:
    source = program.source
    try:
        ast.parse(source)
    except SyntaxError:
        pytest.skip("the program itself does not parse")
    lines = [(line, 1.0) for line in range(1, source.count("\n") + 2)]
    found = 0
    for candidate in generate_candidates(source, analyze_module(source), lines, pairs=True):
        found += 1
        try:
            ast.parse(candidate.source)
        except SyntaxError as error:
            pytest.fail(f"{candidate.summary} ({candidate.kind}) does not parse: {error}")
    assert found > 0
