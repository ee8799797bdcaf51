"""One real sandbox per module file, shared by the generation tests (starting one costs ~0.3 s)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mgdebug.debugger.generate.observe import GenerateRequest
from mgdebug.debugger.sandbox.pool import Sandbox

STATS = '''\
"""Small statistics."""


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def clamp(x, low=0, high=10):
    # keep it in range
    if x < low:
        return low
    return min(x, high)


def median(values: list[int]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2 + 1]


if __name__ == "__main__":
    assert clamp(15) == 10
    assert clamp(-3, -1) == -1
    assert median([3, 1, 2]) == 2
'''


def module_folder(tmp: pytest.TempPathFactory, folder_name: str, name: str, source: str) -> Path:
    """A new folder (named after `folder_name`) holding the module `name` with `source`."""
    folder = tmp.mktemp(folder_name)
    (folder / name).write_text(source, encoding="utf-8")
    return folder


def asked(path: Path, sandbox: Sandbox) -> GenerateRequest:
    """A request to generate from the file at `path` as it is on disk."""
    return GenerateRequest(path.read_text(encoding="utf-8"), str(path), sandbox)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return module_folder(tmp_path_factory, "project", "stats.py", STATS)


@pytest.fixture(scope="module")
def sandbox(project: Path) -> Iterator[Sandbox]:
    with Sandbox(str(project / "stats.py")) as box:
        yield box


def python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )
