"""Sandbox throughput on the fix search's workload: candidate fixes checked per second.

    python benchmarks/sandbox_throughput.py [--candidates 150] [--rounds 3] [--workers 2]
    python benchmarks/sandbox_throughput.py --isolation   # the cost of the kernel walls
    python benchmarks/sandbox_throughput.py --layers      # per fork, per layer (as root)

Candidate edits of a small QuixBugs-like program (recursive selection, one
wrong constant) come from the real candidate generator and run untraced
against 4 eval expectations with stop-at-first-failure, handed over in
batches as repair/check.py does. Two ways, side by side and alternating
round by round, since the machine is shared and noisy:

- `run_many`: one job, hence one forked grandchild, per candidate;
- `run_candidates`: a chunk of candidates per grandchild.

With `--isolation` the two ways are both batched, with and without the
Landlock layer (sandbox/landlock.py), each in a sandbox of its own.

Prints candidates/second per way, the ratio, and the CPU seconds per
candidate (parent, workers and their grandchildren), which says what the
machine could do unloaded: `workers / cpu-per-candidate`.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import Expectation, Origin
from mgdebug.debugger.options import Limits
from mgdebug.debugger.repair.candidates import generate_candidates
from mgdebug.debugger.repair.check import BATCH
from mgdebug.debugger.results import ExpectationResult
from mgdebug.debugger.sandbox.pool import Job, Sandbox

SOURCE = '''\
def select(values, k):
    """The k-th smallest of `values` (0-based), by recursive partitioning."""
    pivot = values[len(values) // 2]
    smaller = [v for v in values if v < pivot]
    equal = [v for v in values if v == pivot]
    larger = [v for v in values if v > pivot]
    if k < len(smaller):
        return select(smaller, k)
    if k < len(smaller) + len(equal):
        return pivot
    return select(larger, k - len(smaller))
'''
CHECKS = [
    ("select([5, 1, 4], 2)", "5"),
    ("select([3, 3, 1, 2], 3)", "3"),
    ("select([9, 7, 8, 6], 1)", "7"),
    ("select([2], 0)", "2"),
]
WALL_EACH = 0.5  # the fix search's least time per candidate

Results = Iterable[tuple[int, list[ExpectationResult]]]


def _cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of a live process (its reaped children included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _one_fork_each(box: Sandbox, sources: Sequence[str], exps: list[Expectation]) -> Results:
    jobs = [Job(s, exps, stop_at_first_failure=True, wall_seconds=WALL_EACH) for s in sources]
    return box.run_many(jobs)


def _batched(box: Sandbox, sources: Sequence[str], exps: list[Expectation]) -> Results:
    return box.run_candidates(sources, exps, wall_seconds_each=WALL_EACH)


Way = Callable[[Sandbox, Sequence[str], list[Expectation]], Results]
WAYS: dict[str, Way] = {
    "run_many (a fork per candidate)": _one_fork_each,
    "run_candidates (batched)": _batched,
}
ISOLATION: dict[str, Way] = {
    "batched, Landlock on": _batched,
    "batched, Landlock off": _batched,
}
# --layers: what each layer costs where it is paid, once per fork (run_many).
# Root only: "nobody" is the drop (uid, gid, capabilities), "kernel" Landlock and seccomp.
LAYERS: dict[str, tuple[Way, Limits]] = {
    "fork each, kernel walls, nobody": (_one_fork_each, Limits()),
    "fork each, no kernel walls, nobody": (_one_fork_each, Limits(landlock=False)),
    "fork each, kernel walls, same user": (_one_fork_each, Limits(drop_privileges=False)),
    "fork each, no walls, same user": (
        _one_fork_each,
        Limits(landlock=False, drop_privileges=False),
    ),
}


def _measure(
    box: Sandbox,
    way: Callable[[Sandbox, Sequence[str], list[Expectation]], Results],
    sources: Sequence[str],
    exps: list[Expectation],
) -> tuple[float, float, Counter[str]]:
    """(candidates/second, CPU seconds per candidate, last statuses) over all sources."""
    pids = box.worker_pids()
    cpu_before = sum(_cpu_seconds(pid) for pid in pids) + _own_cpu()
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    for at in range(0, len(sources), BATCH):
        for _, results in way(box, sources[at : at + BATCH], exps):
            statuses[results[-1].status if results else "none"] += 1
    elapsed = time.perf_counter() - started
    cpu = sum(_cpu_seconds(pid) for pid in box.worker_pids()) + _own_cpu() - cpu_before
    return len(sources) / elapsed, cpu / len(sources), statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--isolation", action="store_true", help="batched, Landlock on vs off")
    parser.add_argument("--layers", action="store_true", help="a fork each, per layer (root)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "select.py")
        with open(path, "w") as f:
            f.write(SOURCE)
        origin = Origin(path, 1, "given")
        exps = [
            Expectation(f"e{i}", "select", "eval", origin, call, call=call, expected=expected)
            for i, (call, expected) in enumerate(CHECKS)
        ]
        module = analyze_module(SOURCE, path)
        lines = [(line, 1.0) for line in range(11, 2, -1)]
        sources = [c.source for c in generate_candidates(SOURCE, module, lines)]
        sources = (sources * (1 + args.candidates // max(1, len(sources))))[: args.candidates]
        seen: dict[str, Counter[str]] = {}
        ways: dict[str, Way] = ISOLATION if args.isolation else WAYS
        limits = {name: Limits(landlock=not name.endswith("off")) for name in ways}
        if args.layers:
            ways = {name: way for name, (way, _) in LAYERS.items()}
            limits = {name: limit for name, (_, limit) in LAYERS.items()}
        speeds: dict[str, list[float]] = {name: [] for name in ways}
        cpus: dict[str, list[float]] = {name: [] for name in ways}
        boxes = {name: Sandbox(path, limits[name], workers=args.workers) for name in ways}
        try:
            for name, way in ways.items():  # start-up, not measured
                list(way(boxes[name], sources[: 4 * args.workers], exps))
            for _ in range(args.rounds):
                for name, way in ways.items():
                    speed, cpu, seen[name] = _measure(boxes[name], way, sources, exps)
                    speeds[name].append(speed)
                    cpus[name].append(cpu)
        finally:
            for box in boxes.values():
                box.close()
    print(
        f"{len(sources)} candidates x {len(exps)} expectations, batches of {BATCH}, "
        f"{args.workers} workers, {args.rounds} rounds"
    )
    for name in ways:
        outcomes = ", ".join(f"{n} {s}" for s, n in seen[name].most_common())
        print(
            f"  {name:34} {statistics.median(speeds[name]):7.0f} candidates/s "
            f"(best {max(speeds[name]):.0f}); CPU {1000 * statistics.median(cpus[name]):.2f} ms "
            f"each; {outcomes}"
        )
    first, second = (statistics.median(speeds[name]) for name in list(ways)[:2])
    label = "batched / one fork each"
    if args.isolation or args.layers:
        label = "Landlock off / on" if args.isolation else "no kernel walls / kernel walls"
    print(
        f"  {label}: {second / first:.2f}x; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
