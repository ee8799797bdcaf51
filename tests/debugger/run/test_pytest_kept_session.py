"""Candidates judged in a reused pytest session get pytest's own verdicts.

The fix search runs most pytest candidates of a grandchild in one kept
session (debugger/run/pytest_kept.py) instead of a `pytest.main` each. Here a
package project with what such a session must get right — conftest and
module-scoped fixtures, parametrize, a test class, `import pkg.mod` and
`from pkg.mod import f`, skips, xfails — is run against a row of candidate
modules both ways: batched (kept session) and each in a fresh `pytest.main`
(a traced run), and every status must agree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mgdebug.analysis.expectations import find_expectations
from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.sandbox.pool import Job, Sandbox, TraceSpec

MODULE = """\
def scale(values, factor):
    return [v * factor for v in values]


def largest(values):
    best = values[0]
    for v in values:
        if v > best:
            best = v
    return best
"""

CONFTEST = """\
import pytest


@pytest.fixture(scope="module")
def numbers():
    return [3, 1, 4, 1, 5]
"""

TESTS = """\
import pytest

import calc.ops
from calc.ops import largest, scale


def test_scale(numbers):
    assert scale(numbers, 2) == [6, 2, 8, 2, 10]


@pytest.mark.parametrize("values, top", [([1, 2], 2), ([7], 7), ([-1, -5], -1)])
def test_largest(values, top):
    assert largest(values) == top


class TestThroughTheModule:
    def test_largest_of_fixture(self, numbers):
        assert calc.ops.largest(numbers) == 5


@pytest.mark.skip(reason="later")
def test_skipped():
    assert scale([1], 0) == [1]


@pytest.mark.xfail(reason="negative factors", strict=True)
def test_negative():
    assert scale([1], -1) == [1]
"""

# The original, then edits of both functions: some pass, some fail, one raises.
EDITS = [
    ("", ""),
    ("v * factor", "v + factor"),
    ("v * factor", "v * 2"),
    ("v > best", "v < best"),
    ("v > best", "v >= best"),
    ("best = values[0]", "best = 0"),
    ("best = values[0]", "best = values[1]"),
    ("return best", "return values[-1]"),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kept") / "project"
    (root / "calc").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "calc" / "__init__.py").write_text("")
    (root / "calc" / "ops.py").write_text(MODULE)
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    (root / "tests" / "test_ops.py").write_text(TESTS)
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    return root / "calc" / "ops.py"


@pytest.mark.parametrize("stop", [False, True], ids=["every test", "first failure"])
def test_a_kept_session_gives_the_verdicts_of_a_fresh_pytest_main(
    project: Path, stop: bool
) -> None:
    path = str(project)
    exps = [e for e in find_expectations(analyze_module(MODULE, path), path) if e.kind == "pytest"]
    assert len(exps) == 5
    sources = [MODULE.replace(old, new) for old, new in EDITS]
    with Sandbox(path) as box:
        batched = dict(
            box.run_candidates(sources, exps, wall_seconds_each=10, stop_at_first_failure=stop)
        )
        # Traced jobs always run a pytest.main of their own.
        fresh = dict(
            box.run_many(
                [Job(s, exps, TraceSpec(blocks={}), stop_at_first_failure=stop) for s in sources]
            )
        )
    kept = [[r.status for r in batched[i]] for i in range(len(sources))]
    alone = [[r.status for r in fresh[i]] for i in range(len(sources))]
    assert kept == alone
    assert kept[0] == ["pass", "pass", "pass", "skip", "skip"]
    assert "fail" in kept[1] and kept[4] == kept[0]
