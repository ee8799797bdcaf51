"""How many pytest-tested candidate fixes the sandbox checks per second.

    .venv/bin/python benchmarks/pytest_candidates.py [--candidates 60]

Builds two small projects in a temp folder (a flat one with 3 tests; a
package with a tests/ tree, conftest fixtures, a pytest.ini and 10 tests),
then runs N candidate versions of the module through `Sandbox.run_candidates`,
as the fix search does: once running every test of every candidate, once
stopping at the first failure, and, for reference, the same module judged by
doctest-free "eval" expectations. Prints a table of candidates per second.
The candidates are real variants (a constant moved), so most of them fail.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from mgdebug.analysis.expectations import find_expectations
from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import Expectation, Origin
from mgdebug.debugger.sandbox.pool import Job, Sandbox

FLAT = {
    "stats.py": (
        "def running_max(values):\n"
        "    best = []\n"
        "    current = None\n"
        "    for v in values:\n"
        "        if current is None or v > current + 0:\n"
        "            current = v\n"
        "        best.append(current)\n"
        "    return best\n"
    ),
    "test_stats.py": (
        "from stats import running_max\n\n\n"
        "def test_running_max():\n    assert running_max([1, 3, 2, 5]) == [1, 3, 3, 5]\n\n\n"
        "def test_single():\n    assert running_max([4]) == [4]\n\n\n"
        "def test_empty():\n    assert running_max([]) == []\n"
    ),
}

PACKAGE = {
    "pytest.ini": (
        "[pytest]\naddopts = --strict-markers\nmarkers =\n    edge: edges\npythonpath = .\n"
    ),
    "shop/__init__.py": "",
    "shop/prices.py": (
        "def total(prices, discount):\n"
        "    value = sum(prices) * (100 - discount + 0) // 100\n"
        "    return max(value, 0)\n"
    ),
    "tests/conftest.py": (
        "import pytest\n\n\n@pytest.fixture\ndef basket():\n    return [10, 20, 30]\n"
    ),
    "tests/test_prices.py": "from shop.prices import total\nimport pytest\n\n\n"
    + "".join(
        f"@pytest.mark.edge\ndef test_total_{d}(basket):\n"
        f"    assert total(basket, {d}) == 60 * (100 - {d}) // 100\n\n\n"
        for d in range(0, 100, 10)
    ),
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _eval_twins(expectations: list[Expectation], module: str) -> list[Expectation]:
    """The flat project's tests as eval expectations: the same work without pytest."""
    calls = {
        "test_running_max": ("running_max([1, 3, 2, 5])", "[1, 3, 3, 5]"),
        "test_single": ("running_max([4])", "[4]"),
        "test_empty": ("running_max([])", "[]"),
    }
    return [
        Expectation(
            id=f"eval:{name}",
            function="running_max",
            kind="eval",
            origin=Origin(module, 1, "given"),
            description=call,
            call=call,
            expected=expected,
        )
        for name, (call, expected) in calls.items()
    ]


def _rate(box: Sandbox, sources: list[str], exps: list[Expectation], stop: bool) -> float:
    began = time.monotonic()
    done = sum(
        1
        for _ in box.run_candidates(sources, exps, wall_seconds_each=10, stop_at_first_failure=stop)
    )
    return done / (time.monotonic() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=60)
    args = parser.parse_args()
    rows: list[tuple[str, int, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="mgdebug-bench-") as folder:
        for name, files, module, marker in (
            ("flat, 3 tests", FLAT, "stats.py", "current + 0"),
            ("package, 10 tests", PACKAGE, "shop/prices.py", "discount + 0"),
        ):
            root = Path(folder) / name.split(",")[0]
            _write(root, files)
            path = str(root / module)
            source = (root / module).read_text()
            exps = [
                e
                for e in find_expectations(analyze_module(source, path), path)
                if e.kind == "pytest"
            ]
            sources = [
                source.replace(marker, marker.replace("0", str(i))) for i in range(args.candidates)
            ]
            with Sandbox(path) as box:
                box.run(Job(source, exps))  # start-up and pytest warm-up, as before a search
                for stop in (False, True):
                    label = "first failure" if stop else "every test"
                    rows.append((name, len(exps), label, _rate(box, sources, exps, stop)))
                if module == "stats.py":
                    twins = _eval_twins(exps, path)
                    box.run(Job(source, twins))
                    rows.append(
                        ("flat, eval twins", 3, "every test", _rate(box, sources, twins, False))
                    )
    print(f"{'project':<20} {'tests':>5}  {'runs to':<14} {'candidates/s':>12}")
    for name, count, label, rate in rows:
        print(f"{name:<20} {count:>5}  {label:<14} {rate:>12.1f}")


if __name__ == "__main__":
    main()
