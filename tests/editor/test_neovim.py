"""A real editor end to end: headless Neovim 0.7 fixes a bug through mgdebug's quick fix.

Needs the Debian package `neovim` (0.7.2); skipped, with the reason, without it.
"""

from __future__ import annotations

import doctest
import json
import os
import shutil
import subprocess
import sys
import types as pytypes
from pathlib import Path

import pytest

from tests.lsp.samples import BUGGY, FIXED

NVIM = shutil.which("nvim")
SCRIPT = Path(__file__).with_name("neovim_fix.lua")
REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.editor,
    pytest.mark.skipif(NVIM is None, reason="nvim is not on PATH (apt-get install -y neovim)"),
]


def test_neovim_applies_the_quick_fix(tmp_path: Path) -> None:
    path = tmp_path / "sorting.py"
    path.write_text(BUGGY)
    command = [sys.executable, "-m", "mgdebug.server", "lsp"]
    lua_command = "{" + ", ".join(json.dumps(part) for part in command) + "}"
    setup = f"lua _G.MGDEBUG_FILE={json.dumps(str(path))}; _G.MGDEBUG_CMD={lua_command}"
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [
            NVIM or "nvim",
            "--headless",
            "--clean",
            "-n",
            "-u",
            "NONE",
            "-i",
            "NONE",
            "-c",
            setup,
            "-c",
            f"luafile {SCRIPT}",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, f"nvim exited {done.returncode}: {done.stderr[-2000:]}"
    assert "applied: mgdebug:" in done.stdout + done.stderr
    fixed = path.read_text()
    assert fixed == FIXED
    module = pytypes.ModuleType("sorting")
    exec(compile(fixed, str(path), "exec"), module.__dict__)  # our own fixture text
    assert doctest.testmod(module, report=False).failed == 0
