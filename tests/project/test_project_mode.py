"""Project mode end to end: the real CLI, sandbox and pytest on a multi-module project.

The bug is in pkg/util.py and only tests/test_service.py, through pkg/service.py,
exposes it (see conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mgdebug.debugger.project.cache import CACHE_FOLDER, collect_tests
from mgdebug.debugger.project.run import ModuleRun, ProjectReport
from mgdebug.debugger.project.target import resolve_target
from mgdebug.debugger.report import Fix, Report
from mgdebug.debugger.sandbox.interpreter import resolve_interpreter
from mgdebug.server.project_cli import apply_best_fix
from mgdebug.server.source_file import InputError

from .conftest import BUGGY_LINE, FILES, CliRun, build_project, run_mgdebug


def test_no_file_runs_every_test_and_points_at_the_module_the_bug_is_in(
    whole_project_run: CliRun,
) -> None:
    data = whole_project_run.json()
    outcomes = {t["nodeid"]: t["outcome"] for t in data["tests"]}
    assert outcomes == {
        "tests/test_service.py::test_bill": "failed",
        "tests/test_service.py::test_bill_empty": "passed",
        "tests/test_util.py::test_add_tax": "passed",
    }
    failing = next(t for t in data["tests"] if t["outcome"] == "failed")
    assert (failing["file"], failing["line"]) == ("tests/test_service.py", 4)
    assert "33.0" in failing["message"]
    top = data["suspects"][:2]
    assert {s["path"] for s in top} == {"pkg/util.py"}
    assert BUGGY_LINE in {s["line"] for s in top}
    assert data["messages"][0].startswith("1 of 3 tests fail; they reach pkg/util.py")
    ranked = [m["path"] for m in data["project"]["modules"]]
    assert ranked[0] == "pkg/util.py" and set(ranked) == {
        "pkg/util.py",
        "pkg/service.py",
        "pkg/fmt.py",
    }


def test_a_helper_with_its_own_passing_tests_and_an_untested_one_are_not_blamed(
    whole_project_run: CliRun,
) -> None:
    data = whole_project_run.json()
    blamed = [f["name"] for f in data["functions"] if f["blamed"]]
    assert blamed == ["pkg/util.py::total_of"]
    assert all(s["function"] == "total_of" for s in data["suspects"])
    assert not any(s["path"] == "pkg/fmt.py" for s in data["suspects"])


def test_the_cache_folder_says_it_can_be_deleted(project: Path, whole_project_run: CliRun) -> None:
    readme = (project / CACHE_FOLDER / "README.txt").read_text()
    assert "Delete this folder" in readme
    assert not (project / ".gitignore").exists()  # the user's files are not touched


def test_a_node_id_selects_that_test_only_and_the_text_report_names_files(
    project: Path, whole_project_run: CliRun
) -> None:
    run = run_mgdebug("tests/test_service.py::test_bill", "--no-search", "--no-color", cwd=project)
    assert run.code == 3, run.stderr
    assert "tests (tests/test_service.py::test_bill): 1 failed; 1 from the cache" in run.stdout
    assert f"pkg/util.py:{BUGGY_LINE} in total_of" in run.stdout
    assert "test_bill_empty" not in run.stdout


def test_a_module_named_alone_is_also_judged_by_the_project_tests_that_reach_it(
    project: Path, whole_project_run: CliRun
) -> None:
    run = run_mgdebug("pkg/util.py", "--json", "--no-search", cwd=project)
    assert run.code == 3, run.stderr
    data = run.json()
    ids = [e["id"] for e in data["expectations"]]
    assert "pytest:tests/test_service.py::test_bill" in ids
    assert BUGGY_LINE in {s["line"] for s in data["suspects"][:2]}
    assert any("execute this module (1 failing)" in m for m in data["messages"])


def test_a_folder_with_fix_writes_the_checked_fix_into_the_module_it_is_in(
    project_copy: Path,
) -> None:
    run = run_mgdebug("tests/", "--json", "--fix", cwd=project_copy)
    assert run.code == 1, run.stderr
    data = run.json()
    best = data["fixes"][0]
    assert best["path"] == "pkg/util.py" and best["validated"]
    assert data["suspects"][0] == {**data["suspects"][0], "path": "pkg/util.py", "line": BUGGY_LINE}
    fixed = (project_copy / "pkg" / "util.py").read_text()
    assert fixed == best["source"] and "prices[1:]" not in fixed
    assert (project_copy / "pkg" / "service.py").read_text() == FILES["pkg/service.py"]
    assert data["project"]["tests_ran"] == 0  # every result came from the cache


def test_fix_is_refused_when_its_file_changed_since_it_was_read(tmp_path: Path) -> None:
    root = build_project(tmp_path)
    util = root / "pkg" / "util.py"
    text = FILES["pkg/util.py"]
    read = ModuleRun(util, "pkg/util.py", text, util.read_bytes(), None, Report(path=str(util)))
    fixed = text.replace("prices[1:]", "prices")
    fix = Fix("total_of", fixed, "", True, "search", "delete `[1:]`", path="pkg/util.py")
    report = Report(path=str(root), fixes=[fix])
    result = ProjectReport(resolve_target([], cwd=root), report, [], [], [read])
    util.write_text(text + "# edited meanwhile\n")
    with pytest.raises(InputError, match="changed since it was analysed"):
        apply_best_fix(result)
    assert util.read_text() == text + "# edited meanwhile\n"
    util.write_text(text)
    assert apply_best_fix(result) == "--fix: applied to pkg/util.py: delete `[1:]`"
    assert util.read_text() == fixed


def test_after_an_edit_only_the_tests_it_can_affect_run_again(project_copy: Path) -> None:
    (project_copy / "pkg" / "fmt.py").write_text("def money(x):\n    return round(x, 3)\n")
    (project_copy / "tests" / "test_new.py").write_text("def test_new():\n    assert True\n")
    target = resolve_target([], cwd=project_copy)
    python = resolve_interpreter(str(project_copy / "conftest.py"), None)
    suite = collect_tests(target, python)
    assert sorted(suite.ran_ids) == [
        "tests/test_new.py::test_new",
        "tests/test_service.py::test_bill",
        "tests/test_service.py::test_bill_empty",
    ]
    assert suite.reused == 1  # test_add_tax: nothing it ran changed
    again = collect_tests(target, python)
    assert again.ran == 0 and len(again.tests) == 4
