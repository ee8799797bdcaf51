"""The worker runs unconfined, as mgdebug's user: nothing the code under test leaves may run in it.

The grandchild may write anywhere in its scratch folder, which is also the
worker's working folder; a `PYTHONPATH` with a relative entry (`.`, common in
development setups, and kept by the environment allow-list) would make the
worker import from there the next time it imports lazily (pytest, on the
first pytest job). The child kit, which every later worker runs, lives
outside the scratch folder. Judged on a marker the planted code would write
from outside the sandbox, and on the kit's hash.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from battery import World, attempt, describe, new_world
from support import folder_digest, given

from mgdebug.debugger.options import Limits
from mgdebug.debugger.sandbox.kit import kit_folder
from mgdebug.debugger.sandbox.pool import Job, Sandbox

HOSTILE = r"""
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)


def plant(folder, marker):
    code = f"open({marker!r}, 'w').write('ran in the worker')\n".encode()
    planted = []
    for name in ("pytest.py", "_pytest.py", "importlib_metadata.py", "pluggy.py"):
        path = os.path.join(folder, name).encode()
        fd = libc.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        if fd >= 0:
            libc.write(fd, code, len(code))
            libc.close(fd)
            planted.append(name)
    return planted


def base():
    return os.path.dirname(os.getcwd())


def test_x():
    assert True
"""


@pytest.fixture
def world(world_factory: list[World], tmp_path_factory: pytest.TempPathFactory) -> World:
    return new_world(world_factory, tmp_path_factory, HOSTILE)


@pytest.fixture
def relative_pythonpath() -> Iterator[None]:
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = "."
    yield
    if saved is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved


@pytest.mark.usefixtures("relative_pythonpath")
def test_code_planted_in_the_scratch_folder_never_runs_in_the_worker(world: World) -> None:
    marker = world.outside / "worker-ran-it"
    test_file = world.project / "test_mod.py"
    test_file.write_text("from mod import test_x\n")
    with Sandbox(str(world.module), Limits(wall_seconds=10), workers=1) as sandbox:
        where = attempt(sandbox, world.source, "base()", expected="''")
        folder = eval(where.actual or "''")  # noqa: S307 - a repr of a path
        for place in (folder, os.path.join(folder, "tmp"), os.path.join(folder, "home")):
            attempt(sandbox, world.source, f"plant({place!r}, {str(marker)!r})")
        pytest_job = given(
            "p", "test_x", "pytest", test_file=str(test_file), nodeid="test_mod.py::test_x"
        )
        (result,) = sandbox.run(Job(world.source, [pytest_job]))
    assert not marker.exists(), describe(result)


def test_the_child_kit_cannot_be_rewritten(world: World) -> None:
    kit = Path(kit_folder())
    before = folder_digest(kit)
    with Sandbox(str(world.module), Limits(wall_seconds=10), workers=1) as sandbox:
        for name in ("entry.py", "mgdebug/debugger/sandbox/worker.py"):
            attempt(sandbox, world.source, f"plant({str(kit)!r}, '/tmp/x')")
            attempt(sandbox, world.source, f"open({str(kit / name)!r}, 'a').write('#')")
    assert folder_digest(kit) == before


RACER = r"""
import os
import time


def race(marker, seconds):
    tmp = os.environ.get("TMPDIR") or "/tmp"
    end = time.monotonic() + seconds
    planted = 0
    while time.monotonic() < end:
        for name in os.listdir(tmp):
            if name.startswith("mgdebug-warm-"):
                try:
                    with open(os.path.join(tmp, name, "conftest.py"), "w") as f:
                        f.write(f"open({marker!r}, 'w').write('ran in the worker')\n")
                    planted += 1
                except OSError:
                    pass
    return planted


def test_y():
    assert True
"""


def test_pytests_warm_up_runs_nothing_another_grandchild_planted(
    world_factory: list[World], tmp_path_factory: pytest.TempPathFactory
) -> None:
    world = new_world(world_factory, tmp_path_factory, RACER)
    marker = world.outside / "warm-up-ran-it"
    test_file = world.project / "test_mod.py"
    test_file.write_text("from mod import test_y\n")
    racer = given("r", "race", "eval", call=f"race({str(marker)!r}, 3)", expected="0")
    pytest_job = given(
        "p", "test_y", "pytest", test_file=str(test_file), nodeid="test_mod.py::test_y"
    )
    limits = Limits(wall_seconds=10, drop_privileges=False)  # as `nobody` the folder is not its own
    with Sandbox(str(world.module), limits, workers=2) as sandbox:
        sandbox.start()
        done = dict(sandbox.run_many([Job(RACER, [racer]), Job(RACER, [pytest_job])]))
    assert not marker.exists()
    assert done[0][0].status == "pass", describe(done[0][0])  # planted nowhere: never saw it
