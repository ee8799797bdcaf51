"""The conformance benchmark's instrument: its ground truth and its matching are right.

The benchmark is only worth its figure if doctest's and pytest's verdicts are
recorded faithfully and matched to mgdebug's by the right key. These tests run
the real ground-truth script and the real pytest plugin on tiny files with
deliberate failures, and feed the matcher reports shaped like `mgdebug --json`.
No network, no corpus download.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from conformance_compare import (  # noqa: E402
    compare,
    doctest_truth,
    mgdebug_items,
    pytest_truth,
    unstable,
)
from conformance_corpus import pytest_doctest_flags  # noqa: E402

MODULE = '''\
"""A module docstring example counts too.

>>> 1 + 1
2
"""


class Counter:
    """State carries from one example to the next.

    >>> c = Counter()
    >>> c.add()
    >>> c.n
    1
    """

    def __init__(self):
        self.n = 0

    def add(self):
        self.n += 1


def double(x):
    """
    >>> double(2)
    4
    >>> double(3)
    7
    >>> double(None)
    Traceback (most recent call last):
    TypeError: nope
    >>> double([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18])
    [1, 2, ...]
    >>> double(99)  # doctest: +SKIP
    0
    """
    return x * 2


class Box:
    @property
    def size(self):
        """doctest (before 3.13) knows no line for a property's examples.

        >>> Box().size
        3
        """
        return 3
'''

TESTS = """\
import pytest
from tinymod import double

def test_ok():
    assert double(1) == 2

def test_wrong():
    assert double(1) == 3

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

@pytest.mark.xfail(reason="known")
def test_known_bug():
    assert double(1) == 5

@pytest.mark.parametrize("x", [1, 2])
def test_param(x):
    assert double(x) == 2
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tinyproject")
    (root / "tinymod.py").write_text(MODULE)
    (root / "test_tinymod.py").write_text(TESTS)
    return root


def _doctest_verdicts(root: Path, flags: str = "") -> dict[int, str]:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "conformance_truth.py"),
            "--root",
            str(root),
            "--module",
            "tinymod",
            "--path",
            str(root / "tinymod.py"),
            "--flags",
            flags,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {v["line"]: v["verdict"] for v in json.loads(done.stdout)["verdicts"]}


def test_doctest_truth_has_a_verdict_per_example_keyed_by_its_file_line(project: Path) -> None:
    verdicts = _doctest_verdicts(project)
    # Module (3), class session (11-13), function (26-35; the +SKIP example is not
    # run), and a property's example, whose line doctest itself does not know (46).
    assert verdicts == {
        3: "pass",
        11: "pass",
        12: "pass",
        13: "pass",
        26: "pass",
        28: "fail",
        30: "fail",
        33: "fail",
        46: "pass",
    }
    lines = MODULE.splitlines()
    assert all(lines[line - 1].lstrip().startswith(">>>") for line in verdicts)


def test_doctest_truth_applies_only_the_flags_it_is_given(project: Path) -> None:
    assert _doctest_verdicts(project, "ELLIPSIS")[33] == "pass"
    assert _doctest_verdicts(project)[33] == "fail"


def test_pytest_plugin_records_each_node_outcome(project: Path) -> None:
    out = project / "pytest.json"
    env = {**os.environ, "PYTHONPATH": str(BENCHMARKS), "CONFORMANCE_PYTEST_OUT": str(out)}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "conformance_pytest_plugin",
            "-p",
            "no:cacheprovider",
            "test_tinymod.py",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    truth = pytest_truth(json.loads(out.read_text())["items"])
    test_file = os.path.realpath(project / "test_tinymod.py")
    assert {k[2]: v.verdict for k, v in truth.items() if k[1] == test_file} == {
        "test_ok": "pass",
        "test_wrong": "fail",
        "test_skipped": "skip",
        "test_known_bug": "xfail",
        "test_param[1]": "pass",
        "test_param[2]": "fail",
    }


def _report(root: Path, statuses: dict[str, tuple[str, str]]) -> dict[str, object]:
    """A report shaped like `mgdebug --json`: expectations and their results."""
    expectations: list[dict[str, object]] = []
    results = []
    for exp_id, (status, message) in statuses.items():
        kind, _, rest = exp_id.partition(":")
        if kind == "doctest":
            origin = {"path": str(root / "tinymod.py"), "line": int(rest), "kind": "doctest"}
            expectations.append({"id": exp_id, "kind": "doctest", "origin": origin})
        elif kind == "pytest":
            origin = {"path": str(root / "test_tinymod.py"), "line": 1, "kind": "pytest"}
            expectations.append(
                {
                    "id": exp_id,
                    "kind": "pytest",
                    "origin": origin,
                    "test_file": str(root / "test_tinymod.py"),
                    "nodeid": rest,
                }
            )
        else:
            origin = {"path": str(root / "tinymod.py"), "line": int(rest), "kind": "docstring"}
            expectations.append({"id": exp_id, "kind": "eval", "origin": origin})
        results.append({"expectation_id": exp_id, "status": status, "message": message})
    return {"expectations": expectations, "results": results}


def test_compare_counts_agreement_and_names_each_disagreement(project: Path) -> None:
    doctests = doctest_truth(
        [
            {"file": str(project / "tinymod.py"), "line": 26, "verdict": "pass"},
            {"file": str(project / "tinymod.py"), "line": 28, "verdict": "fail"},
            {"file": str(project / "tinymod.py"), "line": 30, "verdict": "fail"},
        ]
    )
    test_file = str(project / "test_tinymod.py")
    phases = {
        "passed": {"call": {"outcome": "passed"}},
        "failed": {"call": {"outcome": "failed", "message": "assert 4 == 2"}},
        "skipped": {"setup": {"outcome": "skipped", "message": "not today"}},
    }
    tests = pytest_truth(
        [
            {"nodeid": f"test_tinymod.py::{name}", "path": test_file, "phases": phases[outcome]}
            for name, outcome in [
                ("test_ok", "passed"),
                ("test_skipped", "skipped"),
                ("test_param[1]", "passed"),
                ("test_param[2]", "failed"),
                ("test_unselected", "passed"),
            ]
        ]
    )
    report = _report(
        project,
        {
            "doctest:26": ("pass", ""),
            "doctest:28": ("pass", ""),  # wrong: doctest fails it
            "pytest:test_tinymod.py::test_ok": ("pass", ""),
            "pytest:test_tinymod.py::test_skipped": ("pass", "skipped: not today"),
            "pytest:test_tinymod.py::test_param": ("pass", ""),  # wrong: test_param[2] fails
            "docstring:40": ("pass", ""),
        },
    )
    result = compare(doctests, tests, mgdebug_items(report), [test_file])
    assert result.agree == 3  # doctest 26, test_ok, test_skipped (skip == skip)
    assert [(d["where"], d["truth"], d["mgdebug"]) for d in result.disagree] == [
        (f"{os.path.realpath(project / 'tinymod.py')}:28", "fail", "pass"),
        (f"{os.path.realpath(test_file)}::test_param", "fail", "pass"),
    ]
    assert [m["where"].rsplit(":", 1)[1] for m in result.missing] == ["30"]
    assert [e["origin"] for e in result.extra] == ["docstring"]
    assert (result.pytest_selected, result.pytest_tests) == (3, 4)
    assert (result.doctest_examples, result.doctest_failing) == (3, 2)


def test_unstable_lists_only_items_whose_verdict_changed_between_runs(project: Path) -> None:
    first = mgdebug_items(
        _report(project, {"doctest:26": ("pass", ""), "doctest:28": ("fail", "")})
    )
    second = mgdebug_items(
        _report(project, {"doctest:26": ("timeout", "timed out"), "doctest:28": ("error", "boom")})
    )
    changed = unstable([first, second])
    assert [(c["where"].rsplit(":", 1)[1], c["mgdebug"]) for c in changed] == [
        ("26", "pass (pass) / timeout (timeout)")
    ]  # fail and error are one verdict


def test_pytest_doctest_flags_come_from_the_ini_file_pytest_picks(tmp_path: Path) -> None:
    (tmp_path / "tox.ini").write_text("[pytest]\ndoctest_optionflags = NUMBER\n")
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [tool.pytest.ini_options]
        doctest_optionflags = "ELLIPSIS NORMALIZE_WHITESPACE"
    """)
    )
    assert pytest_doctest_flags(tmp_path) == ["ELLIPSIS", "NORMALIZE_WHITESPACE"]
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -q\n")
    assert pytest_doctest_flags(tmp_path) is None  # pytest.ini wins, and sets no flags


def test_an_example_mgdebug_reports_a_line_off_is_named_misplaced(project: Path) -> None:
    doctests = doctest_truth(
        [
            {
                "file": str(project / "tinymod.py"),
                "line": 28,
                "verdict": "fail",
                "source": "double(3)\n",
            }
        ]
    )
    report = _report(project, {"doctest:27": ("fail", "")})
    report["expectations"][0]["call"] = "double(3)\n"  # type: ignore[index]
    result = compare(doctests, {}, mgdebug_items(report), [])
    assert (len(result.missing), len(result.extra)) == (1, 1)  # no key matches: both count
    assert [(m["where"].rsplit(":", 1)[1], m["mgdebug_line"]) for m in result.misplaced] == [
        ("28", "27")
    ]


def test_a_failure_for_another_exception_agrees_but_is_listed(project: Path) -> None:
    doctests = doctest_truth(
        [
            {
                "file": str(project / "tinymod.py"),
                "line": 28,
                "verdict": "fail",
                "message": "raised TypeError: unsupported operand",
            },
            {
                "file": str(project / "tinymod.py"),
                "line": 30,
                "verdict": "fail",
                "message": "raised TypeError: nope",
            },
        ]
    )
    report = _report(
        project,
        {
            "doctest:28": ("error", "NameError: name 'x' is not defined"),
            "doctest:30": ("error", "TypeError: nope"),
        },
    )
    result = compare(doctests, {}, mgdebug_items(report), [])
    assert result.agree == 2
    assert [r["where"].rsplit(":", 1)[1] for r in result.other_reason] == ["28"]


def test_another_example_on_the_same_line_is_not_a_match(project: Path) -> None:
    # mgdebug one line off: it puts `double(3)` (file line 28) on line 26, `double(2)`'s.
    doctests = doctest_truth(
        [
            {
                "file": str(project / "tinymod.py"),
                "line": 26,
                "verdict": "pass",
                "source": "double(2)\n",
            }
        ]
    )
    report = _report(project, {"doctest:26": ("fail", "")})
    report["expectations"][0]["call"] = "double(3)  # doctest: +ELLIPSIS\n"  # type: ignore[index]
    result = compare(doctests, {}, mgdebug_items(report), [])
    assert (result.agree, len(result.disagree), len(result.missing), len(result.extra)) == (
        0,
        0,
        1,
        1,
    )
