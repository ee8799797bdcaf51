"""A sandbox worker that goes away while starting: started again once, quietly; twice is
one clear error, never a BrokenPipeError or a "crash" verdict on the user's code.

The workers run in a stand-in interpreter: a shell script that exits the first
`failures` times it is started (at once, or after a pause so that the order
is already in its pipe) and then runs the real Python.
"""

from __future__ import annotations

import stat
import sys
import time
from pathlib import Path

import pytest
from support import given

from mgdebug.debugger.options import Limits
from mgdebug.debugger.sandbox.interpreter import own_interpreter
from mgdebug.debugger.sandbox.pool import Job, Sandbox, WorkerStartError

SOURCE = "def add(a, b):\n    return a + b\n"
JOB = Job(SOURCE, [given("one", "add", "eval", call="add(1, 2)", expected="3")])


def flaky_sandbox(folder: Path, failures: int, pause: float) -> Sandbox:
    """A one-worker sandbox whose first `failures` worker starts exit with status 3."""
    (folder / "mod.py").write_text(SOURCE)
    count = folder / "starts"
    wait = f"/bin/sleep {pause}" if pause else ":"
    script = folder / "python"
    script.write_text(
        "#!/bin/sh\n"
        "n=0\n"
        f'[ -f "{count}" ] && read n < "{count}"\n'
        f'echo $((n + 1)) > "{count}"\n'
        f'if [ "$n" -lt {failures} ]; then {wait}; exit 3; fi\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    own = own_interpreter()
    stand_in = type(own)(str(script), "test", own.version, own.sys_path)
    return Sandbox(str(folder / "mod.py"), Limits(wall_seconds=10), 1, interpreter=stand_in)


def starts(folder: Path) -> int:
    return int((folder / "starts").read_text())


def wait_until_gone(box: Sandbox) -> None:
    """The started worker has exited (a zombie until reaped), so writing to it breaks."""
    (pid,) = box.worker_pids()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat") as proc:
            if proc.read().rsplit(")", 1)[1].split()[0] == "Z":
                return
        time.sleep(0.01)
    raise AssertionError("the worker did not exit")


def test_a_worker_that_exits_before_it_is_ready_is_started_again(tmp_path: Path) -> None:
    with flaky_sandbox(tmp_path, failures=1, pause=0.3) as box:  # the order is in its pipe
        (result,) = box.run(JOB)
    assert result.passed, result.message
    assert starts(tmp_path) == 2


def test_a_broken_pipe_to_a_starting_worker_is_retried_quietly(tmp_path: Path) -> None:
    with flaky_sandbox(tmp_path, failures=1, pause=0) as box:
        box.start()
        wait_until_gone(box)  # the order meets a closed pipe: BrokenPipeError inside
        (result,) = box.run(JOB)
    assert result.passed, result.message
    assert starts(tmp_path) == 2


@pytest.mark.parametrize("pause", [0, 0.3], ids=["broken-pipe", "end-of-pipe"])
def test_workers_that_keep_failing_to_start_are_one_clear_error(
    tmp_path: Path, pause: float
) -> None:
    with flaky_sandbox(tmp_path, failures=9, pause=pause) as box:
        box.start()
        if not pause:
            wait_until_gone(box)
        with pytest.raises(WorkerStartError, match="went away while starting, 2 times"):
            box.run(JOB)
    assert starts(tmp_path) == 2, "started again once, not in a loop"
