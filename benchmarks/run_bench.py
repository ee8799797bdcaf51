"""Localization and repair on ../shared/bench, no model: prints a table.

    python benchmarks/run_bench.py quixbugs            # all 40
    python benchmarks/run_bench.py mbpp --limit 200    # a sample of the 1306 seeds
    python benchmarks/run_bench.py quixbugs --localize-only

Visible tests drive the tool (as expectations of origin "given"); hidden tests
judge only the top-ranked fix (see bench_data.py for the protocol).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_data import Program, mbpp, passes, quixbugs  # noqa: E402

from mgdebug.analysis.expectations import expectations_from_asserts  # noqa: E402
from mgdebug.analysis.functions import analyze_module  # noqa: E402
from mgdebug.debugger.engine import DebugRequest, debug  # noqa: E402
from mgdebug.debugger.options import DebugOptions  # noqa: E402


@dataclass
class Outcome:
    id: str
    seconds: float
    top1: bool
    top3: bool
    verdict: str  # correct / plausible / none / already-passes / error
    candidates: int = 0
    search_seconds: float = 0.0
    fix: str = ""
    notes: list[str] = field(default_factory=list)
    origin: str = ""  # the top fix's: "search" or "model"
    model: dict[str, Any] = field(default_factory=dict)  # Report.model as JSON ({} offline)


def run_one(program: Program, options: DebugOptions) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / f"{program.entry}.py")
        Path(path).write_text(program.source)
        module = analyze_module(program.source, path)
        visible = expectations_from_asserts(program.visible, module, path + "::visible")
        started = time.monotonic()
        try:
            report = debug(DebugRequest(program.source, path, options, expectations=visible))
        except Exception as exc:  # noqa: BLE001 - a benchmark records failures and goes on
            return Outcome(
                program.id, time.monotonic() - started, False, False, "error", notes=[repr(exc)]
            )
        seconds = time.monotonic() - started
    lines = [s.line for s in report.suspects]
    top1 = bool(lines) and lines[0] in program.buggy_lines
    top3 = any(ln in program.buggy_lines for ln in lines[:3])
    search = report.search
    outcome = Outcome(
        program.id,
        seconds,
        top1,
        top3,
        "none",
        candidates=search.candidates_tried if search else 0,
        search_seconds=search.seconds if search else 0.0,
    )
    if report.model is not None:
        outcome.model = asdict(report.model)
    if report.results and all(r.passed for r in report.results):
        outcome.verdict = "already-passes"
    elif report.fixes:
        best = report.fixes[0]
        outcome.fix = best.summary
        outcome.origin = best.origin
        outcome.verdict = "correct" if passes(best.source, program.hidden) else "plausible"
    return outcome


def table(name: str, outcomes: list[Outcome], localize_only: bool) -> str:
    n = len(outcomes)
    secs = sorted(o.seconds for o in outcomes)
    count = {
        v: sum(o.verdict == v for o in outcomes)
        for v in ("correct", "plausible", "none", "already-passes", "error")
    }
    cand = sum(o.candidates for o in outcomes)
    search_s = sum(o.search_seconds for o in outcomes)
    rows = [
        f"## {name}: {n} programs",
        "| measure | value |",
        "|---|---|",
        f"| top-1 line localization | {sum(o.top1 for o in outcomes)}/{n} "
        f"({100 * sum(o.top1 for o in outcomes) / n:.0f}%) |",
        f"| top-3 line localization | {sum(o.top3 for o in outcomes)}/{n} "
        f"({100 * sum(o.top3 for o in outcomes) / n:.0f}%) |",
        f"| median seconds per program | {statistics.median(secs):.2f} |",
        f"| p90 seconds per program | {secs[int(0.9 * (n - 1))]:.2f} |",
    ]
    if not localize_only:
        rows += [
            f"| correct fix (top-1, hidden tests pass) | {count['correct']}/{n} |",
            f"| plausible but wrong (visible pass, hidden fail) | {count['plausible']}/{n} |",
            f"| no fix | {count['none']}/{n} |",
            f"| already pass the visible tests | {count['already-passes']}/{n} |",
            f"| errors | {count['error']}/{n} |",
            f"| candidates checked | {cand} in {search_s:.1f} s of search "
            f"({cand / search_s if search_s else 0:.0f}/s) |",
        ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("suite", choices=["quixbugs", "mbpp"])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--only", nargs="*", help="program ids")
    parser.add_argument("--budget", type=float, default=30.0, help="fix search seconds")
    parser.add_argument("--localize-only", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--json-out", help="write per-program outcomes here")
    args = parser.parse_args()
    programs = quixbugs() if args.suite == "quixbugs" else mbpp()
    if args.only:
        programs = [p for p in programs if p.id in args.only]
    if args.limit:
        programs = programs[: args.limit]
    options = DebugOptions(search_fixes=not args.localize_only, search_seconds=args.budget)
    outcomes = []
    for program in programs:
        outcome = run_one(program, options)
        outcomes.append(outcome)
        if args.verbose:
            print(
                f"{outcome.id:32} {outcome.verdict:15} top1={outcome.top1!s:5} "
                f"{outcome.seconds:6.2f}s {outcome.candidates:5} cands  {outcome.fix} "
                f"{' '.join(outcome.notes)}",
                file=sys.stderr,
                flush=True,
            )
    print(table(args.suite, outcomes, args.localize_only))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps([o.__dict__ for o in outcomes], indent=1))


if __name__ == "__main__":
    main()
