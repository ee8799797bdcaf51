"""The fixed start-up cost of `mgdebug`: wall time of whole commands, as a user waits for them.

    python benchmarks/startup.py [--runs 11] [--mgdebug PATH] [--against OTHER_MGDEBUG]

Each row runs one command `--runs` times in a fresh process and prints the
median wall time, the fastest run, and the median CPU time of the process and
its children (the sandbox workers): CPU time says more than wall time on a
loaded machine. With `--against`, another installation (e.g. a clone of an
older commit with its own venv) runs the same rows, alternating run by run, so
that the load of the machine hits both alike.

The first row (`python -c pass`) is the floor no change to mgdebug can go
under; `--help` and `--version` must stay under 0.3 s (they import nothing
heavy); "tiny passing file" is the fixed cost of a real run: interpreter start,
imports, analysis, sandbox worker start and the scratch copy, with one doctest
that passes; "calling math.sqrt" adds an imported call for the analysis to
follow. The machine is shared and noisy: compare rows of one run, not figures
across days.

With `--imports`, also prints the parent's own import time of the modules a
run needs (`python -X importtime`), largest first, to say where the time goes.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

TINY = '''def add(a, b):
    """
    >>> add(1, 2)
    3
    """
    return a + b
'''

# An imported call: the analysis asks whether `math.sqrt` is the user's (jedi).
TINY_IMPORT = '''import math


def hyp(a, b):
    """
    >>> hyp(3, 4)
    5.0
    """
    return math.sqrt(a * a + b * b)
'''


def default_mgdebug() -> str:
    beside = Path(sys.executable).with_name("mgdebug")  # the one installed with this Python
    return str(beside) if beside.exists() else shutil.which("mgdebug") or "mgdebug"


def timed(command: list[str], cwd: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and every child it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def import_table(python: str, module: str, top: int) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the largest imports under `module`."""
    proc = subprocess.run(
        [python, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if cumulative.strip().isdigit():
            rows.append((int(cumulative), name.rstrip()))
    rows.sort(reverse=True)
    return rows[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per command (default 11)")
    parser.add_argument("--mgdebug", default=default_mgdebug(), help="the mgdebug to time")
    parser.add_argument("--against", help="another mgdebug to time beside it, run by run")
    parser.add_argument("--imports", action="store_true", help="also show the import times")
    args = parser.parse_args()

    installs = {"": args.mgdebug}
    if args.against:
        installs = {"this ": args.mgdebug, "other ": args.against}
    with tempfile.TemporaryDirectory(prefix="mgdebug-startup-") as folder:
        tiny = os.path.join(folder, "tiny.py")
        Path(tiny).write_text(TINY)
        tiny_import = os.path.join(folder, "tiny_import.py")
        Path(tiny_import).write_text(TINY_IMPORT)
        rows: list[tuple[str, dict[str, list[str]]]] = [
            ("python -c pass (floor)", {"": [sys.executable, "-c", "pass"]}),
        ]
        for label, tail in [
            ("--help", ["--help"]),
            ("--version", ["--version"]),
            ("tiny passing file", [tiny]),
            ("tiny file calling math.sqrt", [tiny_import]),
            ("examples/stats.py --no-search", ["examples/stats.py", "--no-search"]),
        ]:
            rows.append((label, {tag: [exe, *tail] for tag, exe in installs.items()}))
        print(f"{'command':40} {'median s':>9} {'min s':>7} {'CPU s':>7}   ({args.runs} runs)")
        for label, commands in rows:
            walls: dict[str, list[float]] = {tag: [] for tag in commands}
            cpus: dict[str, list[float]] = {tag: [] for tag in commands}
            for _ in range(args.runs):
                for tag, command in commands.items():
                    wall, cpu = timed(command, str(REPO))
                    walls[tag].append(wall)
                    cpus[tag].append(cpu)
            for tag in commands:
                print(
                    f"{tag + label:40} {statistics.median(walls[tag]):9.3f} "
                    f"{min(walls[tag]):7.3f} {statistics.median(cpus[tag]):7.3f}"
                )
    if args.imports:
        print("\nlargest imports of a run (python -X importtime, cumulative ms):")
        for micros, name in import_table(sys.executable, "mgdebug.debugger.engine", 15):
            print(f"{micros / 1000:9.1f}  {name}")


if __name__ == "__main__":
    main()
