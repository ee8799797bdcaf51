"""The project benchmark's instrument: its bugs are drawn repeatably and its answers scored right.

project_bench.py's figures rest on pure parts: the seeded draw of mutants
(the same seed, the same bugs), where a bug is (the statement a suspect may
point at), ranks with ties, pytest's short summary, the "reverted" verdict,
and the table. Each is checked on tiny inputs; nothing is downloaded or run.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from project_bugs import (  # noqa: E402
    Bug,
    draw_order,
    mutants,
    parse_summary,
    statement_at,
)
from project_score import summarize, table  # noqa: E402
from project_tools import failing_list, is_reverted, rank_of  # noqa: E402

SOURCE = """\
def total(items, start=0):
    result = start
    for item in items:
        if (item >
                0):
            result += item
    return result
"""


def _bug(**changes: object) -> Bug:
    fields: dict[str, object] = {
        "id": "p-1",
        "project": "p",
        "path": "pkg/m.py",
        "line": 5,
        "end_line": 5,
        "function": "total",
        "kind": "comparison",
        "summary": "",
        "start": 0,
        "end": 0,
        "text": "",
        "statement": (4, 5),
        "failing": ("tests/test_m.py::test_total[1-2]", "tests/test_m.py::T::test_x"),
        "module_sha256": "",
    }
    fields.update(changes)
    return Bug(**fields)  # type: ignore[arg-type]


def test_the_same_seed_draws_the_same_mutants_in_the_same_order() -> None:
    pool = mutants(SOURCE)
    first = [c.source for c in draw_order(pool, "0:p")]
    again = [c.source for c in draw_order(mutants(SOURCE), "0:p")]
    other = [c.source for c in draw_order(pool, "1:p")]
    assert first == again
    assert sorted(first) == sorted(other) and first != other


def test_the_draw_takes_a_kind_first_so_no_kind_crowds_out_the_rest() -> None:
    pool = mutants(SOURCE)
    kinds = {c.kind for c in pool}
    head = draw_order(pool, "0:p")[: len(kinds)]
    # Far more kinds appear among the first draws than the commonest kind's share would give.
    assert len({c.kind for c in head}) >= len(kinds) // 2


def test_a_suspect_on_any_line_of_the_buggy_statement_finds_the_bug() -> None:
    assert statement_at(SOURCE, 5) == (4, 5)  # the `if` header spans two lines
    assert statement_at(SOURCE, 6) == (6, 6)  # not the whole `if` block
    bug = _bug()
    assert bug.hit("pkg/m.py", 4) and bug.hit("pkg/m.py", 5)
    assert not bug.hit("pkg/m.py", 6)
    assert not bug.hit("pkg/other.py", 5)


def test_ranks_follow_the_listed_order_and_report_ties_both_ways() -> None:
    bug = _bug()
    entries = [("pkg/m.py", 7, 0.9), ("pkg/m.py", 5, 0.9), ("pkg/m.py", 2, 0.9), ("x.py", 1, 1)]
    rank = rank_of(bug, sorted(entries, key=lambda e: -e[2]))
    assert (rank.listed, rank.best, rank.worst) == (3, 2, 4)
    assert rank.top(5) and not rank.top(1)
    assert rank_of(bug, [("pkg/m.py", 6, 1.0)]).listed is None
    # A list not sorted by score (mgdebug's) keeps its order: only adjacent equal scores tie.
    mixed = rank_of(bug, [("pkg/m.py", 5, 0.5), ("pkg/m.py", 9, 0.9), ("pkg/m.py", 8, 0.5)])
    assert (mixed.listed, mixed.best, mixed.worst) == (1, 1, 1)


def test_pytest_short_summary_gives_failed_and_errored_node_ids() -> None:
    output = (
        "..F.E\n=== short test summary info ===\n"
        "FAILED tests/test_a.py::test_one[1-2] - AssertionError: x - y\n"
        "FAILED tests/test_a.py::TestB::test_two\n"
        "ERROR tests/test_c.py - ImportError\n1 failed in 0.1s\n"
    )
    failed, errors = parse_summary(output)
    assert failed == ["tests/test_a.py::test_one[1-2]", "tests/test_a.py::TestB::test_two"]
    assert errors == ["tests/test_c.py"]


def test_fauxpy_targets_test_functions_without_their_parameters() -> None:
    bug = _bug(failing=("t.py::test_a[1]", "t.py::test_a[2]", "t.py::C::test_b"))
    assert failing_list(bug) == "[t.py::test_a,t.py::C::test_b]"


def test_a_fix_reverts_the_bug_only_when_the_tokens_are_the_pristine_ones() -> None:
    assert is_reverted("x = a  +  1  # fixed\n", "x = a + 1\n")
    assert not is_reverted("x = a - 1\n", "x = a + 1\n")


def test_the_summary_compares_mgdebug_with_each_familys_best_formula_on_shared_bugs() -> None:
    bugs = [_bug(id="p-1"), _bug(id="p-2")]

    def run(bug: str, tool: str, listed: int | None, seconds: float, **extra: object) -> dict:
        rank = {"listed": listed, "best": listed, "worst": listed}
        return {"bug": bug, "tool": tool, "seconds": seconds, "rank": rank, **extra}

    fix = {"judged": True, "suite_passes": True, "reverted": True}
    records = [
        run("p-1", "mgdebug", 1, 2.0, fix=fix),
        run("p-2", "mgdebug", 7, 4.0, fix={"judged": False}),
        run("p-1", "fauxpy-sbfl:Ochiai", 2, 30.0),
        run("p-2", "fauxpy-sbfl:Ochiai", 1, 30.0),
        run("p-1", "fauxpy-sbfl:Dstar", None, 30.0),
        run("p-2", "fauxpy-sbfl:Dstar", 3, 30.0),
        run("p-1", "fauxpy-mbfl:Muse", None, 420.0, timed_out=True),
    ]
    summary = summarize(records, bugs)
    mg = summary["tools"]["mgdebug"]
    assert (mg["top1"], mg["top5"], mg["fix_reverts"], mg["fix_offered"]) == (1, 1, 1, 1)
    sbfl = summary["comparisons"]["sbfl"]
    assert sbfl["formula"] == "fauxpy-sbfl:Ochiai"
    assert (sbfl["mgdebug_top1"], sbfl["fauxpy_top1"], sbfl["top1_target_met"]) == (1, 1, True)
    assert sbfl["time_ratio"] == 0.1 and sbfl["time_target_met"]
    mbfl = summary["comparisons"]["mbfl"]
    assert mbfl["bugs"] == 1 and mbfl["fauxpy_top1"] == 0
    text = table(summary)
    assert "FauxPy SBFL (Ochiai) **best**" in text and "| 1 of 2 (1 capped) |" in text
