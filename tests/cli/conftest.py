"""Running the installed `mgdebug` as a user would, and the runs several tests share."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)


def run_mgdebug(
    *args: str, cwd: Path | None = None, timeout: float = 120, env: Mapping[str, str] | None = None
) -> CliRun:
    """Run the installed `mgdebug` console script, as a user would.

    `env`, when given, is its whole environment; else ours without NO_COLOR.
    """
    beside = Path(sys.executable).with_name("mgdebug")  # the one installed with this Python
    exe = str(beside) if beside.exists() else shutil.which("mgdebug") or "mgdebug"
    if env is None:
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.run(
        [exe, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        env=dict(env),
    )
    return CliRun(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def stats_localized() -> CliRun:
    """`mgdebug examples/stats.py --json --no-search`, run once for the tests that only read it.

    Per test process: under pytest-xdist each worker runs it at most once.
    """
    return run_mgdebug(str(EXAMPLES / "stats.py"), "--json", "--no-search")


@pytest.fixture
def example_copy(tmp_path: Path):
    """A scratch copy of examples/, so tests can let mgdebug write to it."""

    def copy(name: str) -> Path:
        src = EXAMPLES / name
        dst = tmp_path / name
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy(src, dst)
        return dst

    return copy
