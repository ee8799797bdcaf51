"""The sandbox, end to end: real worker processes, real forks, no mocks."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import folder_digest, given

from mgdebug.analysis.model import Expectation
from mgdebug.debugger.options import Limits
from mgdebug.debugger.sandbox.pool import Job, Sandbox

SOURCE = """\
import os


def add(a, b):
    return a + b


def positive(x):
    if x < 0:
        raise ValueError("negative")
    return x


def spin():
    while True:
        pass
"""

SECRET = "sk-test-do-not-leak"


def expectation(id: str, kind: str, **fields: str) -> Expectation:
    return given(id, "add", kind, **fields)


@pytest.fixture(scope="module")
def user_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("user")
    (folder / "mod.py").write_text(SOURCE)
    (folder / "data.txt").write_text("precious\n")
    (folder / "test_mod.py").write_text(
        "from mod import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n"
    )
    return folder


@pytest.fixture(scope="module")
def box(user_folder: Path) -> Iterator[Sandbox]:
    # Secrets must be in the environment when the workers start to prove they are dropped.
    os.environ["OPENAI_API_KEY"] = SECRET
    os.environ["MGDEBUG_TOKEN"] = SECRET
    try:
        with Sandbox(str(user_folder / "mod.py"), Limits(wall_seconds=10)) as sandbox:
            yield sandbox
    finally:
        del os.environ["OPENAI_API_KEY"], os.environ["MGDEBUG_TOKEN"]


def run(box: Sandbox, *exps: Expectation, source: str = SOURCE, **job: object) -> list:
    return box.run(Job(source, list(exps), **job))  # type: ignore[arg-type]


def test_eval_passes_fails_and_reports_errors_with_their_line(box: Sandbox) -> None:
    passing, failing, raising = run(
        box,
        expectation("ok", "eval", call="add(1, 2)", expected="3"),
        expectation("bad", "eval", call="add(1, 2)", expected="4"),
        expectation("err", "eval", call="positive(-1)", expected="1"),
    )
    assert (passing.status, passing.actual, passing.expected) == ("pass", "3", "3")
    assert (failing.status, failing.actual, failing.expected) == ("fail", "3", "4")
    assert raising.status == "error"
    assert raising.actual == "ValueError: negative"
    assert raising.error_line == 10


def test_doctest_compares_output_with_want(box: Sandbox) -> None:
    printed, echoed, wrong, raised = run(
        box,
        expectation("p", "doctest", call="print(add(1, 2))", want="3"),
        expectation(
            "e",
            "doctest",
            call="[add(i, i) for i in range(30)]  # doctest: +ELLIPSIS",
            want="[0, 2, ...]",
        ),
        expectation("w", "doctest", call="add('a', 'b')", want="'ba'"),
        expectation("r", "doctest", call="positive(-5)", want="5"),
    )
    assert printed.passed and echoed.passed
    assert (wrong.status, wrong.actual.strip(), wrong.expected) == ("fail", "'ab'", "'ba'")
    assert (raised.status, raised.actual, raised.error_line) == (
        "error",
        "ValueError: negative",
        10,
    )


def test_exec_reports_both_sides_of_a_failed_equality_assert(box: Sandbox) -> None:
    ok, failed, raised = run(
        box,
        expectation("ok", "exec", code="assert add(2, 2) == 4"),
        expectation("f", "exec", setup="x = 5", code="assert add(x, 1) == 7, 'off'"),
        expectation("r", "exec", code="positive(-2)"),
    )
    assert ok.passed
    assert (failed.status, failed.actual, failed.expected) == ("fail", "6", "7")
    assert "off" in failed.message
    assert (raised.status, raised.error_line) == ("error", 10)


def test_pytest_runs_the_job_source_not_the_file_on_disk(box: Sandbox, user_folder: Path) -> None:
    test = expectation(
        "t", "pytest", test_file=str(user_folder / "test_mod.py"), nodeid="test_mod.py::test_add"
    )
    (good,) = run(box, test)
    (broken,) = run(box, test, source=SOURCE.replace("return a + b", "return a * b + 1"))
    assert good.passed, good.message
    assert broken.status == "fail"
    assert (broken.actual, broken.expected) == ("5", "4")
    assert "assert 5 == 4" in broken.message
    assert (user_folder / "mod.py").read_text() == SOURCE


def test_pytest_test_file_outside_the_folder_is_copied_in(box: Sandbox, tmp_path: Path) -> None:
    elsewhere = tmp_path / "test_elsewhere.py"
    elsewhere.write_text("import mod\n\n\ndef test_it():\n    assert mod.add(1, 1) == 3\n")
    (result,) = run(box, expectation("x", "pytest", test_file=str(elsewhere), nodeid="test_it"))
    assert (result.status, result.actual, result.expected) == ("fail", "2", "3")


def test_infinite_loop_times_out_alone_and_the_rest_runs(box: Sandbox) -> None:
    started = time.monotonic()
    results = run(
        box,
        expectation("a", "eval", call="add(1, 1)", expected="2"),
        expectation("b", "eval", call="add(1, 1)", expected="3"),
        expectation("loop", "exec", code="spin()"),
        expectation("after", "eval", call="1", expected="1"),
        wall_seconds=1.5,
    )
    assert time.monotonic() - started < 6
    assert [r.status for r in results] == ["pass", "fail", "timeout", "pass"]
    assert "timed out" in results[2].message
    assert results[2].error_line in (15, 16)  # where the soft limit interrupted it


def test_code_a_signal_cannot_interrupt_is_killed_at_the_deadline(box: Sandbox) -> None:
    started = time.monotonic()
    stuck, after = run(
        box,
        expectation("c", "exec", code="sum(range(10**15))"),  # one C call: no signal handler runs
        expectation("after", "eval", call="1", expected="1"),
        wall_seconds=1.0,
    )
    assert time.monotonic() - started < 6
    assert (stuck.status, after.status) == ("timeout", "timeout")
    assert stuck.message == "timed out after 1 s (wall clock)"


def test_fork_bomb_is_refused_not_executed(box: Sandbox) -> None:
    code = "import os\nwhile True:\n    os.fork()\n"
    bomb, shell = run(
        box,
        expectation("bomb", "exec", code=code),
        expectation("shell", "exec", code="import subprocess; subprocess.run(['true'])"),
    )
    assert bomb.status == "error" and "PermissionError" in (bomb.actual or "")
    assert "mgdebug sandbox" in bomb.message
    assert shell.status == "error" and "PermissionError" in (shell.actual or "")


def test_allocating_ten_gigabytes_is_reported_quickly(box: Sandbox) -> None:
    started = time.monotonic()
    (result,) = run(box, expectation("big", "exec", code="x = bytearray(10 * 1024**3)"))
    assert time.monotonic() - started < 5
    assert result.status in ("error", "crash")
    assert "MemoryError" in (result.actual or "") or "memory" in result.message


def test_deleting_user_files_leaves_the_user_folder_unchanged(
    box: Sandbox, user_folder: Path
) -> None:
    before = folder_digest(user_folder)
    absolute, relative, tree = run(
        box,
        expectation("abs", "exec", code=f"import os; os.remove({str(user_folder / 'data.txt')!r})"),
        expectation("rel", "exec", code="import os; os.remove('data.txt')"),
        expectation("tree", "exec", code=f"import shutil; shutil.rmtree({str(user_folder)!r})"),
    )
    assert absolute.status == "error" and "PermissionError" in (absolute.actual or "")
    assert tree.status == "error" and "PermissionError" in (tree.actual or "")
    assert relative.status in ("pass", "error")  # the scratch copy is fair game
    assert folder_digest(user_folder) == before


def test_sys_exit_and_os_exit_are_crashes_with_a_precise_message(box: Sandbox) -> None:
    exited, hard, survivor = run(
        box,
        expectation("exit", "exec", code="import sys; sys.exit(3)"),
        expectation("_exit", "exec", code="import os; os._exit(1)"),
        expectation("next", "eval", call="add(2, 3)", expected="5"),
    )
    assert (exited.status, exited.message) == ("crash", "the code called sys.exit(3)")
    assert hard.status == "crash" and "os._exit(1)" in hard.message
    assert survivor.passed  # a fresh grandchild carries on after a crash


def test_killed_by_a_signal_says_which(box: Sandbox) -> None:
    (result,) = run(box, expectation("k", "exec", code="import os; os.kill(os.getpid(), 9)"))
    assert (result.status, result.message) == ("crash", "killed by signal SIGKILL (memory limit?)")


def test_printing_megabytes_is_truncated_without_hanging(box: Sandbox) -> None:
    started = time.monotonic()
    (result,) = run(
        box, expectation("p", "exec", code="for _ in range(50):\n print('x' * 100_000)")
    )
    assert result.passed
    assert time.monotonic() - started < 5
    assert len(result.stdout) < 1_100_000
    assert "output truncated" in result.stdout


def test_secrets_are_absent_from_the_environment_of_code_under_test(box: Sandbox) -> None:
    (result,) = run(
        box,
        expectation(
            "env",
            "exec",
            code="import os\nprint(sorted(os.environ))\n"
            "assert os.environ.get('PYTHONHASHSEED') == '0'",
        ),
    )
    assert result.passed, result.message
    assert "OPENAI_API_KEY" not in result.stdout and "MGDEBUG_TOKEN" not in result.stdout


def test_module_is_importable_by_its_stem_and_not_main(box: Sandbox, user_folder: Path) -> None:
    (result,) = run(
        box,
        expectation(
            "m",
            "exec",
            code="import mod, os\nassert mod.__name__ == 'mod'\nassert mod.add is add\n"
            "assert os.getcwd() != " + repr(str(user_folder)) + "\n"
            "assert os.path.dirname(mod.__file__) == os.getcwd()",
        ),
    )
    assert result.passed, result.message


def test_untraced_runs_install_no_trace_function(box: Sandbox) -> None:
    (result,) = run(box, expectation("t", "exec", code="import sys; assert sys.gettrace() is None"))
    assert result.passed, result.message


def test_a_syntax_error_in_the_source_is_an_error_for_every_expectation(box: Sandbox) -> None:
    results = run(
        box,
        expectation("a", "eval", call="add(1, 2)", expected="3"),
        expectation("b", "eval", call="add(1, 2)", expected="3"),
        source="def add(a, b)\n    return a + b\n",
    )
    assert [(r.status, r.error_line) for r in results] == [("error", 1), ("error", 1)]


def test_worker_death_is_recovered_transparently(box: Sandbox) -> None:
    run(box, expectation("warm", "eval", call="1", expected="1"))
    for pid in box.worker_pids():
        os.kill(pid, signal.SIGKILL)
    (result,) = run(box, expectation("after", "eval", call="add(1, 1)", expected="2"))
    assert result.passed, result.message


def test_run_many_gives_each_job_its_own_results(box: Sandbox) -> None:
    exps = [expectation("e", "eval", call="add(10, 1)", expected="11")]
    jobs = [Job(SOURCE.replace("a + b", f"a + b + {k}"), exps) for k in range(12)]
    seen = dict(box.run_many(jobs))
    assert sorted(seen) == list(range(12))
    assert [seen[k][0].actual for k in range(12)] == [str(11 + k) for k in range(12)]


def test_stopping_early_cancels_running_jobs(box: Sandbox) -> None:
    slow = [expectation("s", "exec", code="spin()")]
    stream = box.run_many([Job(SOURCE, slow, wall_seconds=30) for _ in range(4)])
    started = time.monotonic()
    stream.close()
    (result,) = run(box, expectation("ok", "eval", call="1", expected="1"))
    assert result.passed
    assert time.monotonic() - started < 10


def test_stop_at_first_failure_skips_the_rest(box: Sandbox) -> None:
    results = run(
        box,
        expectation("bad", "eval", call="1", expected="2"),
        expectation("never", "eval", call="1", expected="1"),
        stop_at_first_failure=True,
    )
    assert [r.expectation_id for r in results] == ["bad"]


def test_an_unsaved_buffer_runs_in_an_empty_scratch(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "draft.py"
    with Sandbox(str(missing), workers=1) as box:
        (result,) = box.run(
            Job("def f():\n    return 1\n", [expectation("d", "eval", call="f()", expected="1")])
        )
        assert result.passed, result.message
        assert os.listdir(box.scratch_root) == []
    assert sys.gettrace() is None  # the caller never traced anything
