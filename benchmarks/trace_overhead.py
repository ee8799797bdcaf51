"""Tracing overhead on loop-heavy code: the same expectations, traced and untraced.

The target is at most 5x on loops of scalar code; calls of small functions and
values changed in place cost more per block exit (see debugger/trace/tracer.py).

    python benchmarks/trace_overhead.py [--repeat 5]

Both runs happen in the real sandbox, alternating, in one process, so machine
noise hits both alike; the figure is the ratio of in-sandbox expectation time
(median over repeats), which excludes process start-up.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from mgdebug.analysis.expectations import expectations_from_asserts
from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.options import Limits
from mgdebug.debugger.sandbox.pool import Job, Sandbox, TraceSpec

PROGRAMS = {
    "nested loops (sum of products)": (
        "def work(n):\n"
        "    total = 0\n"
        "    for i in range(n):\n"
        "        for j in range(n):\n"
        "            if (i + j) % 3 == 0:\n"
        "                total += i * j\n"
        "            else:\n"
        "                total -= 1\n"
        "    return total\n",
        "assert work(300) == work(300)\n",
    ),
    "while loop with calls (collatz)": (
        "def step(n):\n"
        "    if n % 2 == 0:\n"
        "        return n // 2\n"
        "    return 3 * n + 1\n"
        "\n"
        "def work(limit):\n"
        "    longest = 0\n"
        "    for start in range(1, limit):\n"
        "        n, length = start, 1\n"
        "        while n != 1:\n"
        "            n = step(n)\n"
        "            length += 1\n"
        "        longest = max(longest, length)\n"
        "    return longest\n",
        "assert work(3000) > 0\n",
    ),
    # Lists change in place at every block exit: each snapshot copies them.
    "list building (mutable values)": (
        "def work(n):\n"
        "    rows = []\n"
        "    for i in range(n):\n"
        "        row = []\n"
        "        for j in range(n):\n"
        "            row.append(i * j % 7)\n"
        "        rows.append(sum(row))\n"
        "    return rows\n",
        "assert len(work(120)) == 120\n",
    ),
}


def measure(repeat: int) -> list[tuple[str, float, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "loops.py")
        for name, (source, test) in PROGRAMS.items():
            Path(path).write_text(source)
            module = analyze_module(source, path)
            expectations = expectations_from_asserts(test, module, path)
            spec = TraceSpec(blocks={q: f.blocks for q, f in module.functions.items()})
            plain: list[float] = []
            traced: list[float] = []
            with Sandbox(path, Limits(wall_seconds=120, cpu_seconds=120), workers=1) as box:
                for _ in range(repeat):
                    for trace, bucket in ((None, plain), (spec, traced)):
                        results = box.run(
                            Job(
                                source=source,
                                expectations=expectations,
                                trace=trace,
                                wall_seconds=120,
                            )
                        )
                        assert all(r.passed for r in results), results
                        bucket.append(sum(r.duration for r in results))
            rows.append((name, statistics.median(plain), statistics.median(traced)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("| program | untraced s | traced s | overhead |")
    print("|---|---|---|---|")
    for name, plain, traced in measure(args.repeat):
        print(f"| {name} | {plain:.3f} | {traced:.3f} | {traced / plain:.1f}× |")


if __name__ == "__main__":
    main()
