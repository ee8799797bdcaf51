"""Project mode against FauxPy: injected bugs in five real libraries, localized and fixed.

For each project of project_corpus.py (pinned PyPI sdists, each cut to a few
test files and the modules they test) the bugs of project_bugs.py (mgdebug's
own mutants that the project's suite kills; fixed once in
results/project_bugs.json). For each bug, on a fresh copy of the project with
the bug applied, every tool of project_tools.py: mgdebug's CLI in project mode
(file+line rank, the top checked fix judged by the full restricted suite and by
whether it reverts the injected edit), FauxPy's SBFL and MBFL families
(file+line rank per formula). Then one table: per tool or family, bugs, top-1,
top-5, correct fixes, median and total seconds, and mgdebug's time over
FauxPy's on the same bugs.

FauxPy's MBFL runs a mutant suite per covered statement: each run is capped
(`--mbfl-cap`, a capped run is a miss with its time), and by default it runs on
the first bug of each project only (`--mbfl-bugs first`), so the whole bench
stays near 40 minutes on 2 cores; the table says so.

Results merge into results/project_bench.json by (bug, tool), so tools can be
run separately (`--tools sbfl,mbfl` now, `--tools mgdebug` later) and the
table always covers everything measured.

    python benchmarks/project_bench.py [--per-project 3] [--seed 0] [--limit N]
        [--tools mgdebug,sbfl,mbfl] [--budget 30] [--mbfl-bugs first|all] [--mbfl-cap 300]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from project_bugs import Bug, load_bugs, run_suite, save_bugs, select_bugs  # noqa: E402
from project_corpus import CORPUS, BenchProject, fresh_copy, prepare, pristine  # noqa: E402
from project_score import per_bug_table, summarize, table  # noqa: E402
from project_tools import FAMILIES, Rank, ToolRun, run_fauxpy, run_mgdebug  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BUGS_FILE = RESULTS / "project_bugs.json"
RUNS_FILE = RESULTS / "project_bench.json"


def corpus_bugs(per_project: int, seed: int) -> list[Bug]:
    """The stored bugs for these settings, or a fresh seeded draw (then stored)."""
    pins = [bench.pin for bench in CORPUS]
    bugs = load_bugs(BUGS_FILE, seed, per_project, pins)
    if bugs is not None:
        for bench in CORPUS:
            prepare(bench)
        return bugs
    bugs = []
    for bench in CORPUS:
        prepare(bench)
        bugs += select_bugs(bench, per_project, seed)
    save_bugs(BUGS_FILE, bugs, seed, per_project, pins)
    return bugs


def buggy_copy(bench: BenchProject, bug: Bug) -> None:
    """A fresh copy of the project with `bug` applied (its module must be the pinned one)."""
    fresh_copy(bench)
    source = pristine(bench, bug.path)
    (bench.root / bug.path).write_text(bug.apply(source))


def load_runs() -> dict[tuple[str, str], dict[str, object]]:
    if not RUNS_FILE.exists():
        return {}
    payload = json.loads(RUNS_FILE.read_text())
    return {(r["bug"], r["tool"]): r for r in payload.get("runs", [])}


def save_runs(
    runs: dict[tuple[str, str], dict[str, object]], bugs: list[Bug], meta: dict[str, object]
) -> None:
    known = {bug.id for bug in bugs}  # runs of bugs no longer drawn are dropped
    ordered = sorted(
        (r for r in runs.values() if r["bug"] in known),
        key=lambda r: (str(r["bug"]), str(r["tool"])),
    )
    summary = summarize(ordered, bugs)
    payload = {"meta": meta, "summary": summary, "runs": ordered}
    RUNS_FILE.write_text(json.dumps(payload, indent=1) + "\n")


def _as_record(run: ToolRun) -> dict[str, object]:
    record = asdict(run)
    record["at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return record


def _stored(runs: dict[tuple[str, str], dict[str, object]], bug: str, tool: str) -> bool:
    name = "mgdebug" if tool == "mgdebug" else f"fauxpy-{tool}:{FAMILIES[tool][0]}"
    record = runs.get((bug, name))
    return record is not None and not record.get("error")


def mbfl_subset(bugs: list[Bug], which: str) -> set[str]:
    """The bugs MBFL runs on: all, or the first of each project (deterministic)."""
    if which == "all":
        return {b.id for b in bugs}
    return {b.id for b in bugs if b.id.endswith("-1")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-project", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="only the first N bugs")
    parser.add_argument("--tools", default="mgdebug,sbfl,mbfl")
    parser.add_argument("--budget", type=float, default=30.0, help="mgdebug's fix budget")
    parser.add_argument("--mgdebug-cap", type=float, default=300.0)
    parser.add_argument("--sbfl-cap", type=float, default=300.0)
    parser.add_argument("--mbfl-cap", type=float, default=300.0)
    parser.add_argument("--mbfl-bugs", choices=("first", "all"), default="first")
    parser.add_argument("--table-only", action="store_true", help="print the stored results")
    parser.add_argument(
        "--resume", action="store_true", help="skip (bug, tool) runs already stored without error"
    )
    args = parser.parse_args(argv)

    RESULTS.mkdir(exist_ok=True)
    bugs = corpus_bugs(args.per_project, args.seed)
    runs = load_runs()
    tools = [t for t in args.tools.split(",") if t]
    chosen = bugs[: args.limit] if args.limit else bugs
    by_name = {b.name: b for b in CORPUS}
    mbfl_bugs = mbfl_subset(bugs, args.mbfl_bugs)
    meta: dict[str, object] = {}
    if RUNS_FILE.exists():
        meta = json.loads(RUNS_FILE.read_text()).get("meta", {})
    for tool in [] if args.table_only else tools:
        meta[tool] = {
            "command": "python benchmarks/project_bench.py " + " ".join(argv or sys.argv[1:]),
            "budget": args.budget,
            "caps": {"mgdebug": args.mgdebug_cap, "sbfl": args.sbfl_cap, "mbfl": args.mbfl_cap},
            "mbfl_bugs": args.mbfl_bugs,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    for bug in [] if args.table_only else chosen:
        bench = by_name[bug.project]
        for tool in tools:
            if tool == "mbfl" and bug.id not in mbfl_bugs:
                continue
            if args.resume and _stored(runs, bug.id, tool):
                continue
            buggy_copy(bench, bug)
            if tool == "mgdebug":
                if not run_suite(bench).kills:
                    results = [ToolRun(bug.id, "mgdebug", 0.0, Rank(), error="bug not killed")]
                else:
                    results = [run_mgdebug(bench, bug, args.budget, args.mgdebug_cap)]
            else:
                cap = args.sbfl_cap if tool == "sbfl" else args.mbfl_cap
                results = run_fauxpy(bench, bug, tool, cap)
            for run in results:
                runs[(run.bug, run.tool)] = _as_record(run)
                print(
                    f"{bug.id:18} {run.tool:24} rank {run.rank.listed} {run.seconds:6.1f}s "
                    f"{run.error[:80] if run.error else ''}{run.fix or ''}",
                    flush=True,
                )
            save_runs(runs, bugs, meta)
        fresh_copy(bench)
    if not args.table_only:
        save_runs(runs, bugs, meta)
    summary = summarize(list(runs.values()), bugs)
    print(table(summary))
    print()
    print(per_bug_table(list(runs.values()), bugs, summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
