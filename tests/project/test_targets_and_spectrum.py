"""What the user names becomes a project and a pytest selection; Ochiai ranks the modules.

Static and in-process: no sandbox, no pytest run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mgdebug.debugger.project.collect import TestRun as Run
from mgdebug.debugger.project.collect import parse_payload
from mgdebug.debugger.project.spectrum import rank_modules
from mgdebug.debugger.project.target import TargetError, resolve_target
from mgdebug.debugger.project.target import tests_that_may_reach as may_reach

from .conftest import build_project


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return build_project(tmp_path / "shop")


def test_each_form_of_target_is_a_selection_relative_to_the_project_root(shop: Path) -> None:
    assert resolve_target([], cwd=shop).args == ()
    assert resolve_target([], cwd=shop / "tests").args == ("tests",)
    assert resolve_target(["tests"], cwd=shop).args == ("tests",)
    named = resolve_target(["tests/test_service.py::test_bill", "../shop/tests/test_util.py"], shop)
    assert named.root == shop.resolve() and named.module is None
    assert named.args == ("tests/test_service.py::test_bill", "tests/test_util.py")
    module = resolve_target(["pkg/util.py"], cwd=shop)
    assert module.module == (shop / "pkg" / "util.py").resolve() and module.args == ()


def test_a_module_and_tests_together_or_a_missing_path_are_refused(shop: Path) -> None:
    with pytest.raises(TargetError, match="not both"):
        resolve_target(["pkg/util.py", "tests/test_util.py"], cwd=shop)
    with pytest.raises(TargetError, match="no such file"):
        resolve_target(["tests/test_nope.py"], cwd=shop)


def test_python_files_from_the_project_config_decides_what_is_a_test_file(shop: Path) -> None:
    (shop / "pytest.ini").write_text("[pytest]\npython_files = check_*.py\n")
    (shop / "tests" / "check_util.py").write_text("def test_x():\n    pass\n")
    assert resolve_target(["tests/check_util.py"], cwd=shop).module is None
    assert resolve_target(["tests/test_util.py"], cwd=shop).module is not None


def test_the_tests_that_may_reach_a_module_include_those_through_its_importers(
    shop: Path,
) -> None:
    target = resolve_target(["pkg/util.py"], cwd=shop)
    assert target.module is not None
    found = may_reach(target.module, target)
    assert [p.name for p in found or []] == ["test_service.py", "test_util.py"]
    fmt = resolve_target(["pkg/fmt.py"], cwd=shop)
    assert [p.name for p in may_reach(fmt.module, fmt) or []] == ["test_service.py"]


def _test(nodeid: str, outcome: str, covered: dict[str, set[int]]) -> Run:
    lines = {path: frozenset(numbers) for path, numbers in covered.items()}
    return Run(nodeid, outcome, covered=lines)  # type: ignore[arg-type]


def test_modules_rank_by_their_most_suspicious_line_and_only_failing_reach_counts() -> None:
    tests = [
        _test("t::bill", "failed", {"pkg/util.py": {2, 6, 7, 8}, "pkg/fmt.py": {2}}),
        _test("t::empty", "passed", {"pkg/util.py": {2, 6, 7}, "pkg/fmt.py": {2}}),
        _test("t::tax", "passed", {"pkg/util.py": {2}, "pkg/other.py": {1}}),
    ]
    ranked = rank_modules(tests)
    assert [(m.path, m.line, m.score) for m in ranked] == [
        ("pkg/util.py", 8, 1.0),
        ("pkg/fmt.py", 2, 0.7071),
    ]  # pkg/other.py: no failing test runs it


def test_a_payload_with_paths_out_of_the_project_is_not_believed() -> None:
    good = {"nodeid": "t.py::a", "outcome": "passed", "covered": {"pkg/a.py": [1]}}
    bad = {"nodeid": "t.py::b", "outcome": "passed", "covered": {"../../etc/passwd": [1]}}
    odd = {"nodeid": "t.py::c", "outcome": "exploded"}
    run = parse_payload(json.dumps({"version": 1, "tests": [good, bad, odd]}))
    assert [t.nodeid for t in run.tests] == ["t.py::a"]


def test_files_an_editable_install_imports_from_the_user_s_own_project_count_as_its_modules(
    tmp_path: Path,
) -> None:
    """A `.pth` naming the project's src/ makes tests import the user's files, not the copy's."""
    from mgdebug.debugger.project.collect_child import _OwnFiles

    copy, origin = tmp_path / "copy" / "proj", tmp_path / "home" / "proj"
    own = _OwnFiles(str(copy), ["test_*.py"], str(origin))
    assert own.relative(str(origin / "src" / "pkg" / "util.py")) == "src/pkg/util.py"
    assert own.relative(str(copy / "src" / "pkg" / "util.py")) == "src/pkg/util.py"
    assert own.relative(str(origin / "tests" / "test_util.py")) == "", "tests are not modules"
    assert _OwnFiles(str(copy), ["test_*.py"]).relative(str(origin / "src" / "x.py")) == ""
