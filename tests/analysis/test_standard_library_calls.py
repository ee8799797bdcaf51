"""Calls into the standard library are never the user's subfunctions, and cost no jedi start-up.

jedi follows imported names to the workspace; starting it takes a few tenths
of a second per mgdebug run, so a file that only calls `math.sqrt` and the
like must be analysed without it, and a workspace file that shadows a
standard-library module must still be followed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

STDLIB_ONLY = '''import math
from os.path import join


def hyp(a, b):
    """
    >>> hyp(3, 4)
    5.0
    """
    return math.sqrt(a * a + b * b) + len(join("", ""))
'''

SHADOWED = """import statistics


def avg(xs):
    return statistics.mean(xs)
"""

PROBE = """
import sys
from mgdebug.analysis.functions import analyze_module
path = sys.argv[1]
module = analyze_module(open(path).read(), path)
print(sorted(c for f in module.functions.values() for c in f.imported_calls))
print("jedi" in sys.modules)
"""


def analyse_in_a_fresh_process(path: Path) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    calls, jedi_loaded = done.stdout.splitlines()
    return calls, jedi_loaded


def test_standard_library_calls_are_not_followed_and_jedi_is_not_started(tmp_path: Path) -> None:
    path = tmp_path / "geometry.py"
    path.write_text(STDLIB_ONLY)
    assert analyse_in_a_fresh_process(path) == ("[]", "False")


def test_a_workspace_module_named_like_the_standard_library_is_still_followed(
    tmp_path: Path,
) -> None:
    (tmp_path / "statistics.py").write_text("def mean(xs):\n    return sum(xs) / len(xs)\n")
    path = tmp_path / "report.py"
    path.write_text(SHADOWED)
    assert analyse_in_a_fresh_process(path) == ("['statistics.mean']", "True")
