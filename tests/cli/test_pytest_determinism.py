"""Same project, same verdict, same fixes: mgdebug on a pytest-tested module, three times.

The three runs go at once, so each one runs on a loaded machine: the fix
search must be decided by the candidates it checks, not by how fast pytest
starts. The project's tests do not decide between `>` and `>=` at 18, and the
report must say so, with an input that tells the two fixes apart, instead of
presenting one of them as the fix. A search cut short by its candidate budget
must say that it stopped, never that no edit passes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cli.conftest import CliRun, run_mgdebug

# Five mgdebug runs at once (about 4 s each alone): the load is the point.
pytestmark = pytest.mark.slow

AGES = """\
def is_adult(age):
    return age < 18


def category(age):
    return "adult" if is_adult(age) else "minor"
"""

TESTS = """\
from ages import category, is_adult


def test_grown_up():
    assert is_adult(30) is True


def test_child():
    assert is_adult(10) is False


def test_category(teen):
    assert category(teen) == "minor"
"""

CONFTEST = """\
import pytest


@pytest.fixture
def teen():
    return 13
"""


def _project(root: Path) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "ages.py").write_text(AGES)
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    (root / "tests" / "test_ages.py").write_text(TESTS)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    return root / "ages.py"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _project(tmp_path_factory.mktemp("ages") / "project")


@pytest.fixture(scope="module")
def runs(project: Path) -> dict[str, list[CliRun]]:
    """Three identical JSON runs, a text run and a run with a tiny budget, all at once."""
    asks = [("json", "--json")] * 3 + [("text",), ("budget", "--json", "--max-candidates", "2")]
    with ThreadPoolExecutor(len(asks)) as pool:
        done = list(
            pool.map(lambda ask: run_mgdebug(str(project), *ask[1:], cwd=project.parent), asks)
        )
    out: dict[str, list[CliRun]] = {}
    for ask, run in zip(asks, done, strict=True):
        out.setdefault(ask[0], []).append(run)
    return out


@pytest.fixture(scope="module")
def three_runs(runs: dict[str, list[CliRun]]) -> list[CliRun]:
    return runs["json"]


def _verdict(run: CliRun) -> tuple[object, ...]:
    report = run.json()
    failures = sorted((r["expectation_id"], r["status"]) for r in report["results"])
    fixes = [(f["summary"], f["diff"], f["alternatives"]) for f in report["fixes"]]
    return failures, fixes, report["messages"]


def test_three_runs_give_the_same_failures_and_the_same_fixes(three_runs) -> None:
    verdicts = [_verdict(run) for run in three_runs]
    assert verdicts[0] == verdicts[1] == verdicts[2]
    assert all(run.json()["search"]["stopped_by"] == "" for run in three_runs)


def test_fixes_the_tests_do_not_decide_between_are_reported_as_such(three_runs) -> None:
    report = three_runs[0].json()
    summaries = [f["summary"] for f in report["fixes"]]
    assert summaries[:2] == ["`<` → `>` on line 2", "`<` → `>=` on line 2"]
    assert all(f["alternatives"] == len(report["fixes"]) - 1 for f in report["fixes"])
    assert report["search"]["passing_edits"] == len(report["fixes"])
    note = next(m for m in report["messages"] if "different edits pass" in m)
    assert "your tests do not decide between them" in note
    assert "`is_adult(age=18)`, which gives False with fix 1 and True with fix 2" in note


def test_text_report_does_not_present_one_edit_as_the_fix(runs) -> None:
    run = runs["text"][0]
    assert "2 different edits pass every expectation, best-ranked first:" in run.stdout
    assert "add an example such as `is_adult(age=18)`" in run.stdout


def test_a_search_cut_short_by_its_budget_says_so(runs) -> None:
    report = runs["budget"][0].json()
    assert report["search"]["stopped_by"] == "candidates"
    assert report["search"]["candidates_tried"] == 2
    note = " ".join(report["messages"])
    assert "stopped after 2 candidates" in note and "raise --max-candidates" in note
    assert "no small edit" not in note and "model" not in note
