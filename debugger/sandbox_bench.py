"""Sandbox throughput on small untraced eval jobs, as the fix search issues them.

    python -m mgdebug.debugger.sandbox_bench [--jobs 2000] [--workers 2]

Prints wall-clock jobs/second and the CPU seconds each job cost (parent,
workers and their grandchildren), which says what the machine could do
unloaded: `workers / cpu-per-job`, when the load average is high.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

from mgdebug.analysis.model import Expectation, Origin

from .sandbox import Job, Sandbox

SOURCE = "def add(a, b):\n    return a + b\n"


def _cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of a live process (its reaped children included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mod.py")
        with open(path, "w") as f:
            f.write(SOURCE)
        origin = Origin(path, 1, "given")
        exps = [
            Expectation(
                f"e{i}", "add", "eval", origin, "", call=f"add({i}, 1)", expected=f"{i + 1}"
            )
            for i in range(3)
        ]
        # Candidate fixes differ in source; half of them fail their first expectation.
        jobs = [
            Job(SOURCE.replace("b\n", f"b + {k % 2}\n"), exps, stop_at_first_failure=True)
            for k in range(args.jobs)
        ]
        with Sandbox(path, workers=args.workers) as box:
            list(box.run_many(jobs[: 4 * args.workers]))  # start-up, not measured
            pids = box.worker_pids()
            cpu_before = sum(_cpu_seconds(pid) for pid in pids) + _own_cpu()
            started = time.perf_counter()
            finished = sum(1 for _ in box.run_many(jobs))
            elapsed = time.perf_counter() - started
            cpu = sum(_cpu_seconds(pid) for pid in pids) + _own_cpu() - cpu_before
    print(f"{finished} jobs in {elapsed:.2f} s: {finished / elapsed:.0f} jobs/s")
    print(
        f"CPU per job {1000 * cpu / finished:.2f} ms; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
