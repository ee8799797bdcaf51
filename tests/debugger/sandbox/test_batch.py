"""Batched candidates (Sandbox.run_candidates), soft time limits and one pytest session per job.

End to end, with real workers and forks, like test_sandbox.py.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import given

from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import Expectation
from mgdebug.debugger.options import Limits
from mgdebug.debugger.sandbox.pool import Job, Sandbox, TraceSpec

SOURCE = """\
VALUE = 1
CALLS = [0]


def value():
    CALLS[0] += 1
    return VALUE


def bitcount(n):
    count = 0
    while n:
        n ^= n - 1
        count += 1
    return count
"""


def expectation(id: str, kind: str = "eval", **fields: str) -> Expectation:
    return given(id, "value", kind, **fields)


def variant(value: str, body: str = "") -> str:
    return SOURCE.replace("VALUE = 1", f"VALUE = {value}") + body


@pytest.fixture(scope="module")
def user_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("batch")
    (folder / "mod.py").write_text(SOURCE)
    (folder / "helper.py").write_text("from mod import VALUE\n\n\ndef seen():\n    return VALUE\n")
    (folder / "test_mod.py").write_text(
        "import os\n\nfrom mod import value\n\n\n"
        "def test_one():\n    assert value() == 1\n\n\n"
        "def test_exit():\n    os._exit(3)\n\n\n"
        "def test_loops():\n    while True:\n        pass\n\n\n"
        "def test_again():\n    assert value() == 1\n"
    )
    return folder


@pytest.fixture(scope="module")
def box(user_folder: Path) -> Iterator[Sandbox]:
    with Sandbox(str(user_folder / "mod.py"), Limits(wall_seconds=10)) as sandbox:
        yield sandbox


def pid_of(result: object) -> str:
    return getattr(result, "stdout", "").strip()


GETPID = expectation("pid", "exec", code="import os; print(os.getpid())")


def pytest_test(folder: Path, name: str) -> Expectation:
    nodeid = f"test_mod.py::{name}"
    return expectation(name, "pytest", test_file=str(folder / "test_mod.py"), nodeid=nodeid)


def test_each_candidate_gets_its_own_results_like_run_many(box: Sandbox) -> None:
    sources = [variant(str(k)) for k in range(40)]
    exps = [
        expectation("v", call="value()", expected="1"),
        expectation("c", call="2", expected="2"),
    ]
    batched = dict(box.run_candidates(sources, exps, wall_seconds_each=2.0))
    one_each = dict(box.run_many([Job(s, exps, stop_at_first_failure=True) for s in sources]))
    assert sorted(batched) == list(range(40))
    shown = {k: [(r.status, r.actual) for r in rs] for k, rs in batched.items()}
    assert shown == {k: [(r.status, r.actual) for r in rs] for k, rs in one_each.items()}
    assert shown[1] == [("pass", "1"), ("pass", "2")]
    assert shown[2] == [("fail", "2")]  # stopped at the first failure


def test_candidates_share_a_grandchild_but_not_their_modules(box: Sandbox) -> None:
    exps = [
        expectation("fresh", call="(value(), CALLS[0])", expected="(1, 1)"),
        expectation("helper", "exec", code="import helper; assert helper.seen() == VALUE"),
        GETPID,
    ]
    # Not stopping at the first failure: in the fix search's orders, a source
    # passing everything after another in its grandchild runs again in a fresh one.
    sources = [SOURCE, variant("1 + 0"), SOURCE]
    results = dict(
        box.run_candidates(sources, exps, wall_seconds_each=2, stop_at_first_failure=False)
    )
    assert all(r.passed for rs in results.values() for r in rs), results
    assert pid_of(results[0][2]) == pid_of(results[1][2])  # one chunk: 2 workers, 3 sources


def test_a_candidate_passing_after_another_is_confirmed_in_a_fresh_grandchild(
    box: Sandbox,
) -> None:
    # Chunks of two (2 workers, 4 sources): without the second run, 0 and 1 share a pid.
    results = dict(box.run_candidates([SOURCE] * 4, [GETPID], wall_seconds_each=2))
    assert all(r.passed for rs in results.values() for r in rs), results
    assert pid_of(results[0][0]) != pid_of(results[1][0])


def test_a_looping_candidate_times_out_and_the_chunk_goes_on(box: Sandbox) -> None:
    exps = [expectation("bits", call="bitcount(3)", expected="2"), GETPID]
    fixed = SOURCE.replace("n ^= n - 1", "n &= n - 1")
    started = time.monotonic()
    results = dict(
        box.run_candidates(
            [SOURCE, fixed, fixed], exps, wall_seconds_each=2.0, stop_at_first_failure=False
        )
    )
    assert time.monotonic() - started < 5  # the loop had half of its 2 s, then the rest ran
    assert [r.status for r in results[0]] == ["timeout", "pass"]
    assert "timed out" in results[0][0].message
    assert all(r.passed for r in results[1] + results[2])
    assert pid_of(results[0][1]) == pid_of(results[1][1])  # the same grandchild lived on


def test_a_candidate_that_kills_its_grandchild_is_a_crash_and_the_rest_run(box: Sandbox) -> None:
    exps = [expectation("exit", call="value()", expected="1"), GETPID]
    dying = SOURCE.replace("    return VALUE", "    import os\n    os._exit(4)")
    results = dict(box.run_candidates([dying, SOURCE, SOURCE], exps, wall_seconds_each=2))
    assert [r.status for r in results[0]] == ["crash"]
    assert "os._exit(4)" in results[0][0].message
    assert all(r.passed for r in results[1] + results[2])


def test_a_chunk_gets_a_fresh_grandchild_before_the_cpu_limit(user_folder: Path) -> None:
    burn = (
        "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end:\n    pass\n"
    )
    with Sandbox(str(user_folder / "mod.py"), Limits(cpu_seconds=1), workers=1) as box:
        results = dict(
            box.run_candidates(
                [SOURCE] * 6, [expectation("burn", "exec", code=burn)], wall_seconds_each=5
            )
        )
    assert [rs[0].status for _, rs in sorted(results.items())] == ["pass"] * 6


def test_closing_the_stream_cancels_the_rest(box: Sandbox) -> None:
    stream = box.run_candidates(
        [SOURCE] * 8, [expectation("b", call="bitcount(1)", expected="1")], wall_seconds_each=30
    )
    started = time.monotonic()
    stream.close()
    (result,) = box.run(Job(SOURCE, [expectation("ok", call="1", expected="1")]))
    assert result.passed
    assert time.monotonic() - started < 10


def test_a_traced_expectation_that_loops_keeps_its_trace(box: Sandbox, user_folder: Path) -> None:
    module = analyze_module(SOURCE, str(user_folder / "mod.py"))
    spec = TraceSpec(blocks={q: f.blocks for q, f in module.functions.items()})
    started = time.monotonic()
    looping, after = box.run(
        Job(
            SOURCE,
            [
                expectation("loop", call="bitcount(3)", expected="2"),
                expectation("after", call="value()", expected="1"),
            ],
            trace=spec,
            wall_seconds=2.0,
        )
    )
    assert time.monotonic() - started < 5
    assert looping.status == "timeout"
    assert looping.error_line in (12, 13, 14)
    assert looping.trace is not None
    assert {12, 13, 14} <= set(looping.trace.lines)
    assert looping.trace.snapshots and looping.trace.calls[0].function == "bitcount"
    assert after.passed and after.trace is not None and 6 in after.trace.lines


def test_pytest_tests_of_a_job_share_one_session(box: Sandbox, user_folder: Path) -> None:
    started = time.monotonic()
    results = box.run(
        Job(
            variant("1", "\n\ndef unused():\n    pass\n"),
            [
                expectation("eval", call="value()", expected="1"),
                pytest_test(user_folder, "test_one"),
                pytest_test(user_folder, "test_loops"),
                pytest_test(user_folder, "test_exit"),
                pytest_test(user_folder, "test_again"),
                pytest_test(user_folder, "test_one"),
            ],
            wall_seconds=4.0,
        )
    )
    assert time.monotonic() - started < 15
    assert [r.status for r in results] == ["pass", "pass", "timeout", "crash", "pass", "pass"]
    assert "os._exit(3)" in results[3].message
    assert results[1].duration < 1 and results[2].duration >= 0.5


def test_pytest_expectations_run_against_each_candidate(box: Sandbox, user_folder: Path) -> None:
    test = pytest_test(user_folder, "test_one")
    results = dict(box.run_candidates([SOURCE, variant("2"), SOURCE], [test], wall_seconds_each=5))
    assert [results[k][0].status for k in range(3)] == ["pass", "fail", "pass"]
    assert results[1][0].actual == "2"
    assert (user_folder / "mod.py").read_text() == SOURCE


def test_stop_at_first_failure_in_a_pytest_session(box: Sandbox, user_folder: Path) -> None:
    results = box.run(
        Job(
            variant("5"),
            [pytest_test(user_folder, "test_one"), pytest_test(user_folder, "test_again")],
            stop_at_first_failure=True,
        )
    )
    assert [r.status for r in results] == ["fail"]


def test_worker_pids_survive_a_batch(box: Sandbox) -> None:
    # Workers start as work needs them; once started, a batch reuses them.
    list(box.run_candidates([SOURCE] * 5, [GETPID], wall_seconds_each=2))
    before = box.worker_pids()
    list(box.run_candidates([SOURCE] * 5, [GETPID], wall_seconds_each=2))
    assert box.worker_pids() == before
    assert all(os.path.exists(f"/proc/{pid}") for pid in before)


def test_a_single_job_starts_a_single_worker(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(SOURCE)
    with Sandbox(str(tmp_path / "mod.py")) as fresh:
        fresh.run(Job(SOURCE, [GETPID]))
        assert len(fresh.worker_pids()) == 1
        list(fresh.run_candidates([SOURCE] * 4, [GETPID], wall_seconds_each=2))
        assert len(fresh.worker_pids()) == 2
