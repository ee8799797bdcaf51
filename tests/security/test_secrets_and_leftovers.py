"""Hostile code against the sandbox's walls, judged on ground truth, not on what it reports.

Each program runs in the real sandbox (real worker, real fork, the real
privilege drop where this machine allows it) and the test then looks at the
world: which secrets the code saw, which files the scratch copy holds, which
processes are still alive, what is left in the temp folder.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import given

from mgdebug.debugger.options import Limits
from mgdebug.debugger.sandbox.pool import Job, Sandbox
from mgdebug.debugger.sandbox.scratch import SCRATCH_PREFIX, sweep_stale_scratch

SECRETS = {
    "DATABASE_URL": "postgres://admin:hunter2@db/prod",
    "SENTRY_DSN": "https://abc123@sentry.example/1",
    "PRIVATE_KEY": "-----BEGIN KEY----- zzz",
    "MY_SERVICE_CREDS": "creds-8d7f6a5s4",
}

SOURCE = """\
import os


def environment():
    return sorted(os.environ)


def value(name):
    return os.environ.get(name)


def home_and_temp():
    import tempfile
    return os.path.expanduser("~"), tempfile.gettempdir()


def listing():
    return sorted(os.listdir("."))


def escape():
    import subprocess
    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    return process.pid
"""


def run_one(box: Sandbox, call: str) -> str:
    (result,) = box.run(Job(SOURCE, [given("e", "environment", "eval", call=call, expected="0")]))
    assert result.status in ("pass", "fail"), result.message
    return result.actual or ""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "id_rsa").write_text("PRIVATE KEY MATERIAL\n")
    folder = tmp_path_factory.mktemp("project")
    (folder / "mod.py").write_text(SOURCE)
    (folder / "data.txt").write_text("inside\n")
    (folder / "link_inside.txt").symlink_to(folder / "data.txt")
    (folder / "link_outside.txt").symlink_to(outside / "id_rsa")
    (folder / "environ").symlink_to("/proc/self/environ")
    os.mkfifo(folder / "pipe")  # reading it would block the copy forever
    return folder


@pytest.fixture(scope="module")
def box(project: Path) -> Iterator[Sandbox]:
    saved = dict(os.environ)
    os.environ.update(SECRETS)
    os.environ["PASSED_ON"] = "yes"
    try:
        limits = Limits(wall_seconds=10, max_processes=4, pass_env=("PASSED_ON",))
        with Sandbox(str(project / "mod.py"), limits) as sandbox:
            sandbox.start()  # the worker's environment is fixed when it starts
            yield sandbox
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_secrets_under_names_no_deny_list_knows_stay_out(box: Sandbox) -> None:
    seen = run_one(box, "environment()")
    for name in SECRETS:
        assert name not in seen
    for name, secret in SECRETS.items():
        assert run_one(box, f"value({name!r})") == "None", name
        assert secret not in seen


def test_a_name_the_user_passes_reaches_the_code(box: Sandbox) -> None:
    assert run_one(box, "value('PASSED_ON')") == "'yes'"


def test_home_and_temp_are_the_runs_own(box: Sandbox) -> None:
    home, temp = eval(run_one(box, "home_and_temp()"))  # noqa: S307 - a repr of two strings
    assert home.startswith(tempfile.gettempdir()) and SCRATCH_PREFIX in home
    assert SCRATCH_PREFIX in temp
    assert home != os.path.expanduser("~")


def test_the_scratch_copy_holds_no_file_from_outside_the_project(box: Sandbox) -> None:
    names = eval(run_one(box, "listing()"))  # noqa: S307 - a repr of a list of strings
    assert "data.txt" in names and "link_inside.txt" in names
    assert "link_outside.txt" not in names
    assert "environ" not in names
    assert "pipe" not in names
    copied = Path(box.scratch_root)
    assert (copied / "link_inside.txt").read_text() == "inside\n"
    assert not any("PRIVATE KEY" in p.read_text() for p in copied.iterdir() if p.is_file())


@pytest.mark.parametrize("drop", [True, False], ids=["dropped", "same-user"])
def test_a_process_that_escapes_its_group_does_not_outlive_the_run(
    project: Path, drop: bool
) -> None:
    # Without the drop (an ordinary user's machine, or root with drop_privileges
    # off) nothing but the worker's subreaper sweep ends a `setsid` child.
    limits = Limits(wall_seconds=10, max_processes=4, drop_privileges=drop)
    with Sandbox(str(project / "mod.py"), limits) as sandbox:
        pid = int(run_one(sandbox, "escape()"))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        assert not _alive(pid), f"process {pid} outlived the run"


def test_mgdebug_itself_is_not_dumpable(box: Sandbox) -> None:
    # PR_GET_DUMPABLE: a non-dumpable process's /proc/<pid>/environ is closed to
    # other processes of the same user, the code under test included.
    libc = ctypes.CDLL(None)
    assert libc.prctl(3, 0, 0, 0, 0) == 0


def test_scratch_folders_of_killed_runs_are_removed_by_the_next(tmp_path: Path) -> None:
    dead = tmp_path / f"{SCRATCH_PREFIX}dead"
    dead.mkdir()
    (dead / ".mgdebug-owner").write_text("999999999 1")
    live = tmp_path / f"{SCRATCH_PREFIX}live"
    live.mkdir()
    with open(f"/proc/{os.getpid()}/stat") as f:
        start = f.read().rsplit(")", 1)[-1].split()[19]
    (live / ".mgdebug-owner").write_text(f"{os.getpid()} {start}")
    unstamped = tmp_path / f"{SCRATCH_PREFIX}new"
    unstamped.mkdir()
    assert sweep_stale_scratch(str(tmp_path)) == 1
    assert not dead.exists() and live.exists() and unstamped.exists()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


RELATIVE = """\
import os


def scratch_work():
    os.makedirs("cache/deep", exist_ok=True)
    with open("cache/deep/x.txt", "w") as f:
        f.write("x")
    os.remove("cache/deep/x.txt")
    os.rmdir("cache/deep")
    return "ok"


def fool_the_guard():
    os.path.realpath = lambda path, **kw: os.getcwd()
    with open("/tmp/mgdebug-escaped-marker", "w") as f:
        f.write("escaped")
    return "written"
"""


def test_relative_paths_work_inside_the_scratch_copy(box: Sandbox) -> None:
    (result,) = box.run(
        Job(RELATIVE, [given("r", "scratch_work", "eval", call="scratch_work()", expected="'ok'")])
    )
    assert result.status == "pass", result.actual


def test_replacing_realpath_does_not_open_the_guard(box: Sandbox) -> None:
    marker = Path("/tmp/mgdebug-escaped-marker")
    marker.unlink(missing_ok=True)
    (result,) = box.run(
        Job(RELATIVE, [given("f", "fool_the_guard", "eval", call="fool_the_guard()", expected="0")])
    )
    assert not marker.exists()
    assert result.status == "error" and "not allowed" in (result.actual or "") + result.message


@pytest.mark.parametrize("folder", ["tmp", "home", ".mgdebug-private"])
def test_a_project_folder_named_like_the_private_ones_runs(tmp_path: Path, folder: str) -> None:
    project = tmp_path / folder
    project.mkdir()
    (project / "mod.py").write_text(SOURCE)
    with Sandbox(str(project / "mod.py"), Limits(wall_seconds=10)) as sandbox:
        assert eval(run_one(sandbox, "listing()")) == ["mod.py"]  # noqa: S307
