"""A user's pytest project, as `pytest` itself judges it: mgdebug must say the same.

The project has what real projects have: a package, a tests/ tree with
conftest.py fixtures in the tests folder and in a parent of it, a pytest.ini
with declared markers, `--strict-markers` and `pythonpath`, and tests that
skip, skipif, xfail (strict and not) and xpass. Each test's verdict from
`mgdebug FILE --json` is compared with real pytest's (its JUnit XML) on the
same project, and the user's files must be left as they were.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cli.conftest import run_mgdebug

PYTEST_INI = """\
[pytest]
addopts = --strict-markers -ra
markers =
    edge: cases at the edges of a range
pythonpath = .
"""

RANGES = '''\
def clamp(value, low, high):
    """Bound value to [low, high]."""
    if value < low:
        return low
    if value > high:
        return value
    return value


def span(low, high):
    return high - low


def midpoint(low, high):
    return (low + high) // 2
'''

ROOT_CONFTEST = """\
import pytest


@pytest.fixture
def limits():
    return (0, 10)
"""

UNIT_CONFTEST = """\
import pytest


@pytest.fixture
def high(limits):
    return limits[1]
"""

TESTS = """\
import sys

import pytest

from geometry.ranges import clamp, midpoint, span


@pytest.mark.edge
def test_inside(limits):
    assert clamp(5, *limits) == 5


def test_above(limits, high):
    assert clamp(high + 5, *limits) == high


def test_below(limits):
    assert clamp(-3, *limits) == 0


@pytest.mark.skip(reason="not today")
def test_span_skipped():
    assert span(1, 2) == 99


@pytest.mark.skipif(sys.version_info > (3,), reason="only on Python 2")
def test_span_skipif():
    assert span(1, 2) == 99


def test_span_skips_itself():
    pytest.skip("decided at run time")
    assert span(1, 2) == 1


@pytest.mark.xfail(reason="known bug", strict=True)
def test_span_xfail():
    assert span(1, 4) == 4


@pytest.mark.xfail(reason="was broken", strict=True)
def test_midpoint_strict_xpass():
    assert midpoint(2, 4) == 3


@pytest.mark.xfail(reason="may pass")
def test_midpoint_xpass():
    assert midpoint(0, 10) == 5


def test_midpoint():
    assert midpoint(0, 4) == 2
"""


def _project(root: Path) -> Path:
    (root / "geometry").mkdir(parents=True)
    (root / "geometry" / "__init__.py").write_text("")
    (root / "geometry" / "ranges.py").write_text(RANGES)
    (root / "tests" / "unit").mkdir(parents=True)
    (root / "tests" / "conftest.py").write_text(ROOT_CONFTEST)
    (root / "tests" / "unit" / "conftest.py").write_text(UNIT_CONFTEST)
    (root / "tests" / "unit" / "test_ranges.py").write_text(TESTS)
    (root / "pytest.ini").write_text(PYTEST_INI)
    return root / "geometry" / "ranges.py"


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _pytest_verdicts(root: Path) -> dict[str, str]:
    """Test name -> "pass" / "fail" / "skip", as real pytest reports them."""
    report = root.parent / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=root,
        capture_output=True,
        timeout=120,
    )
    verdicts = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        verdict = "fail" if tags & {"failure", "error"} else "skip" if "skipped" in tags else "pass"
        verdicts[case.attrib["name"]] = verdict
    return verdicts


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict[str, str], bool]:
    root = tmp_path_factory.mktemp("user") / "project"
    module = _project(root)
    before = _tree_digest(root)
    # The strict xpass fails in a way no edit fixes: the search is the
    # determinism test's business (test_pytest_determinism.py).
    run = run_mgdebug(str(module), "--json", "--no-search", cwd=root)
    unchanged = _tree_digest(root) == before
    return run.json(), _pytest_verdicts(root), unchanged


def _mgdebug_verdicts(report: dict) -> dict[str, str]:
    verdicts = {}
    for result in report["results"]:
        name = result["expectation_id"].rsplit("::", 1)[-1]
        status = result["status"]
        verdicts[name] = "fail" if status in ("fail", "error") else status
    return verdicts


def test_every_test_gets_the_verdict_pytest_gives_it(judged) -> None:
    report, by_pytest, _ = judged
    assert len(by_pytest) == 10
    assert _mgdebug_verdicts(report) == by_pytest


def test_fixtures_from_conftest_in_parent_folders_and_declared_markers_work(judged) -> None:
    report, _, _ = judged
    results = {r["expectation_id"].rsplit("::", 1)[-1]: r for r in report["results"]}
    # `high` comes from tests/unit/conftest.py and needs `limits` from tests/conftest.py;
    # `edge` is declared in pytest.ini, which --strict-markers requires.
    assert results["test_inside"]["status"] == "pass"
    assert results["test_above"]["status"] == "fail"
    assert "fixture" not in results["test_above"]["message"]


def test_skips_and_xfails_count_neither_as_passes_nor_failures(judged) -> None:
    report, _, _ = judged
    functions = {f["name"]: f for f in report["functions"]}
    # span: skip, skipif, pytest.skip() and an xfail that fails as expected.
    assert functions["span"]["skipped"] == 4
    assert functions["span"]["passed"] == functions["span"]["failed"] == 0
    assert functions["span"]["status"] == "untested"
    # midpoint: a strict xpass fails, as pytest says; a non-strict xpass passes.
    assert (functions["midpoint"]["passed"], functions["midpoint"]["failed"]) == (2, 1)
    results = {r["expectation_id"].rsplit("::", 1)[-1]: r for r in report["results"]}
    assert results["test_span_xfail"]["message"] == "xfail: known bug"
    assert results["test_span_skipped"]["message"] == "skipped: not today"


def test_the_bug_is_traced_through_the_package_import(judged) -> None:
    report, _, _ = judged
    # The tests import `geometry.ranges`: its calls reach the tracer all the same.
    assert report["failing_calls"][0]["function"] == "clamp"
    assert report["suspects"][0]["line"] == 6


def test_user_files_are_left_unchanged(judged) -> None:
    _, _, unchanged = judged
    assert unchanged
