"""Checks per second of the fix search's hot loop, with 1 and with 2 sandbox workers.

    .venv/bin/python benchmarks/check_throughput.py [--runs 3] [--candidates 96] [--program NAME]

One QuixBugs program (default quicksort) from ../shared/bench, with its visible
tests by the bench's protocol, is judged two ways, in two temp folders:

- doctest: the visible asserts become the function's doctest examples;
- pytest: the same asserts become test functions in test_<name>.py beside it.

For each, the engine's own stages make the candidates: `analyse` and the traced
`run` (engine.py), `locate` for the suspect lines, and the edit proposer at
those lines (repair/search.py) — the first `--candidates` of them, the same
list for both worker counts. Only the checking is timed: the candidates go to
`Sandbox.run_candidates` in batches of repair/check.py's BATCH (`--batch`), the failing
expectations first, each candidate stopping at its first failure, with the
check's own time limit per candidate (`candidate_wall_seconds`), as
`check_candidates` hands them over. Workers are started and warmed (pytest
imported, its session kept) before the clock starts. Not timed: check.py's second
look at passing pytest candidates, each in a fresh session (`_confirmed`).

Rounds alternate 1 worker, 2 workers, so that the shared machine's load falls
on both alike; the table shows the median checks/second of `--runs` rounds,
the best, and 2 workers over 1.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mgdebug.analysis.model import Expectation
from mgdebug.debugger.baseline import Baseline, Controls
from mgdebug.debugger.engine import DebugRequest, analyse, locate, run
from mgdebug.debugger.options import DebugOptions
from mgdebug.debugger.repair.check import BATCH, PYTEST_BATCH, candidate_wall_seconds
from mgdebug.debugger.repair.proposers import EditProposer
from mgdebug.debugger.report import Report
from mgdebug.debugger.sandbox.pool import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_data import BENCH_DIR, _quixbugs_visible, _with_docstring  # noqa: E402
from sandbox_throughput import _cpu_seconds, _own_cpu  # noqa: E402

WORKERS = (1, 2)


@dataclass
class Workload:
    """One judged file and what the engine would check for it."""

    judge: str  # "doctest" or "pytest"
    path: str
    expectations: list[Expectation]  # failing first, as check.py orders them
    sources: list[str]  # candidate versions of the module
    wall_each: float  # check.py's time limit per candidate


def _record(name: str) -> dict[str, str]:
    for raw in (BENCH_DIR / "quixbugs.jsonl").read_text().splitlines():
        record: dict[str, str] = json.loads(raw)
        if record["name"] == name:
            return record
    raise SystemExit(f"no QuixBugs program named {name!r} in {BENCH_DIR}")


def _asserts(record: dict[str, str]) -> list[tuple[str, str]]:
    """The visible `assert CALL == VALUE` lines as (call, value source)."""
    pairs = []
    for line in _quixbugs_visible(record["tests"]).splitlines():
        node = ast.parse(line).body[0] if line.startswith("assert ") else None
        if not isinstance(node, ast.Assert) or not isinstance(node.test, ast.Compare):
            continue
        if len(node.test.ops) == 1 and isinstance(node.test.ops[0], ast.Eq):
            pairs.append((ast.unparse(node.test.left), ast.unparse(node.test.comparators[0])))
    if not pairs:
        raise SystemExit(f"{record['name']}: no visible `assert f(...) == value` to judge by")
    return pairs


def _doctest_file(record: dict[str, str], pairs: list[tuple[str, str]]) -> dict[str, str]:
    examples = "".join(f">>> {call}\n{ast.literal_eval(value)!r}\n" for call, value in pairs)
    docstring = f'"""Examples from the visible tests.\n\n{examples}"""'
    source, _, _ = _with_docstring(record["buggy_program"], record["name"], docstring)
    return {f"{record['name']}.py": source}


def _pytest_files(record: dict[str, str], pairs: list[tuple[str, str]]) -> dict[str, str]:
    name = record["name"]
    tests = "".join(
        f"\n\ndef test_visible_{i}():\n    assert {call} == {value}\n"
        for i, (call, value) in enumerate(pairs)
    )
    return {
        f"{name}.py": record["buggy_program"],
        f"test_{name}.py": f"from {name} import *{tests}",
    }


def _workload(judge: str, folder: Path, files: dict[str, str], count: int) -> Workload:
    """The engine's stages up to the fix search: its candidates, its order, its time limit."""
    for file, text in files.items():
        (folder / file).write_text(text)
    path = str(folder / next(iter(files)))
    source = (folder / next(iter(files))).read_text()
    report = Report(path=path)
    baseline = analyse(DebugRequest(source, path, DebugOptions()), report)
    if baseline is None:
        raise SystemExit(f"{judge}: no expectations found in {path}")
    with Sandbox(path, workers=1) as box:
        controls = Controls(box)
        ran = run(baseline, controls, report)
        if ran is None or not ran.failing:
            raise SystemExit(f"{judge}: the buggy program does not fail its visible tests")
        loc = locate(ran, controls, report)
    kinds = {e.kind for e in ran.expectations}
    if kinds != {judge}:
        raise SystemExit(f"{judge}: judged by {sorted(kinds)} instead")
    lines = [(s.line, s.score) for s in loc.suspects]
    stream = EditProposer(lines).propose(ran)
    sources = [c.source for _, c in zip(range(count), stream, strict=False)]
    return Workload(
        judge,
        path,
        _ordered(ran),
        sources,
        candidate_wall_seconds(ran.results),
    )


def _ordered(baseline: Baseline) -> list[Expectation]:
    """check.py's order: the expectations that failed before first."""
    failing = {r.expectation_id for r in baseline.results if not r.passed}
    return sorted(baseline.expectations, key=lambda e: e.id not in failing)


def _check_all(box: Sandbox, work: Workload, batch_size: int) -> tuple[float, float]:
    """(checks per second, CPU seconds per check) over every candidate, in the check's batches.

    Only this is timed. The CPU is this process's, the workers' and their reaped
    grandchildren's: what a check costs wherever it runs, so `cores / CPU per
    check` bounds what more cores could do, whatever the machine's load now.
    """
    cpu_before = sum(_cpu_seconds(pid) for pid in box.worker_pids()) + _own_cpu()
    started = time.perf_counter()
    for at in range(0, len(work.sources), batch_size):
        batch = work.sources[at : at + batch_size]
        for _ in box.run_candidates(batch, work.expectations, wall_seconds_each=work.wall_each):
            pass
    elapsed = time.perf_counter() - started
    cpu = sum(_cpu_seconds(pid) for pid in box.worker_pids()) + _own_cpu() - cpu_before
    return len(work.sources) / elapsed, cpu / len(work.sources)


def _table(works: list[Workload], rates: dict[tuple[str, int], list[tuple[float, float]]]) -> None:
    head = f"{'judged by':<10} {'candidates':>10}"
    for n in WORKERS:
        head += f"  {f'{n} worker' + ('s' if n > 1 else '') + ': checks/s (best)':>27}"
    print(head + f"  {'2 / 1':>6}  {'CPU ms per check (1 / 2)':>24}")
    for work in works:
        speed = {n: [r for r, _ in rates[(work.judge, n)]] for n in WORKERS}
        cpu = {n: statistics.median(c for _, c in rates[(work.judge, n)]) for n in WORKERS}
        row = f"{work.judge:<10} {len(work.sources):>10}"
        for n in WORKERS:
            row += f"  {statistics.median(speed[n]):>19.1f} ({max(speed[n]):>5.1f})"
        ratio = statistics.median(speed[2]) / statistics.median(speed[1])
        row += f"  {ratio:>5.2f}x  {1000 * cpu[1]:>11.1f} / {1000 * cpu[2]:<10.1f}"
        print(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds per worker count")
    parser.add_argument("--candidates", type=int, default=96, help="candidates per workload")
    parser.add_argument("--program", default="quicksort", help="a QuixBugs program's name")
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        help=f"candidates per hand-over (default as check.py: {BATCH}, pytest {PYTEST_BATCH})",
    )
    args = parser.parse_args()
    record = _record(args.program)
    pairs = _asserts(record)
    rates: dict[tuple[str, int], list[tuple[float, float]]] = {}
    loads = []
    with tempfile.TemporaryDirectory(prefix="mgdebug-checks-") as tmp:
        works = []
        for judge, files in (
            ("doctest", _doctest_file(record, pairs)),
            ("pytest", _pytest_files(record, pairs)),
        ):
            folder = Path(tmp) / judge
            folder.mkdir()
            works.append(_workload(judge, folder, files, args.candidates))
        for work in works:
            boxes = {n: Sandbox(work.path, workers=n) for n in WORKERS}
            try:
                for n, box in boxes.items():  # start and warm every worker: not timed
                    warm = work.sources[: 4 * n]
                    list(box.run_candidates(warm, work.expectations, wall_seconds_each=30))
                for _ in range(args.runs):
                    for n, box in boxes.items():
                        engine = PYTEST_BATCH if work.judge == "pytest" else BATCH
                        rate = _check_all(box, work, args.batch or engine)
                        rates.setdefault((work.judge, n), []).append(rate)
                    loads.append(os.getloadavg()[0])
            finally:
                for box in boxes.values():
                    box.close()
    print(
        f"QuixBugs `{args.program}`: {len(pairs)} visible tests; batches of "
        f"{args.batch or f'{BATCH} (doctest) / {PYTEST_BATCH} (pytest)'}; "
        f"{args.runs} rounds, 1 and 2 workers alternating; load average "
        f"{min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} CPUs"
    )
    _table(works, rates)


if __name__ == "__main__":
    main()
