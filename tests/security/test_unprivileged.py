"""The battery as an ordinary user: mgdebug itself runs as `nobody`, with no capability.

unprivileged_driver.py runs the attacks of the other battery files under
`setpriv`, in a world that belongs to `nobody` too, and reports what the
world showed after each; this file judges that report. Needs root (to switch
user), setpriv, and a system Python of the venv's version that `nobody` can
run (the venv's own interpreter may live under /root).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import test_audit_hook_walkarounds as walls
import test_processes_and_resources as processes
import test_result_channel as channel
import test_secrets_battery as secrets
from battery import SECRET

from mgdebug.debugger.sandbox.landlock import abi_version

PYTHON = shutil.which(f"python{sys.version_info.major}.{sys.version_info.minor}", path="/usr/bin")
pytestmark = [
    pytest.mark.skipif(abi_version() < 6, reason="needs Landlock ABI 6 (Linux 6.12+)"),
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("setpriv") or PYTHON is None,
        reason="needs root, setpriv and a system Python of this version",
    ),
]


@pytest.fixture(scope="module")
def report() -> Iterator[dict[str, dict[str, object]]]:
    nobody = pwd.getpwnam("nobody")
    folder = tempfile.mkdtemp(prefix="mgdebug-security-unprivileged-")
    os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    driver = Path(__file__).with_name("unprivileged_driver.py")
    command = [
        "setpriv",
        f"--reuid={nobody.pw_uid}",
        f"--regid={nobody.pw_gid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        str(PYTHON),
        str(driver),
        sysconfig.get_paths()["purelib"],
        folder,
    ]
    env = {"PATH": "/usr/bin:/bin", "HOME": folder, "MGDEBUG_TEST_API_KEY": SECRET}
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr[-3000:]
        yield json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_mgdebug_runs_as_an_ordinary_user(report: dict[str, dict[str, object]]) -> None:
    said = str(report["isolation"]["said"])
    assert "same user as mgdebug" in said and "landlock" in said and "seccomp" in said


@pytest.mark.parametrize("attack", list(walls.ATTACKS))
def test_the_world_is_unchanged_after(report: dict[str, dict[str, object]], attack: str) -> None:
    seen = report[attack]
    assert seen["changed"] == [] and seen["heard"] == [], seen


@pytest.mark.parametrize(
    "attack",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=hole))
        for name, (_, hole) in walls.SAME_USER_HOLES.items()
    ],
)
def test_metadata_outside_is_unchanged_after(
    report: dict[str, dict[str, object]], attack: str
) -> None:
    seen = report[attack]
    assert seen["changed"] == [], seen


@pytest.mark.parametrize("hunt", list(secrets.CALLS))
def test_no_secret_reaches_the_code(report: dict[str, dict[str, object]], hunt: str) -> None:
    seen = report[f"secret:{hunt}"]
    assert seen["leaked"] is False, seen


@pytest.mark.parametrize("starter", processes.STARTERS)
def test_no_process_is_started(report: dict[str, dict[str, object]], starter: str) -> None:
    seen = report[f"process:{starter}"]
    assert seen["strays"] == [] and "errno=0" not in str(seen["said"]), seen


def test_the_code_cannot_kill_mgdebug_or_its_worker(report: dict[str, dict[str, object]]) -> None:
    assert report["process:pidfd-kill"]["worker_alive"] is True


@pytest.mark.parametrize("forgery", channel.FORGERIES)
def test_a_forged_frame_does_not_pass(report: dict[str, dict[str, object]], forgery: str) -> None:
    seen = report[f"channel:{forgery}"]
    assert seen["status"] in ("crash", "fail"), seen
