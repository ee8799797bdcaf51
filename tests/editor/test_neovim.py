"""A real editor end to end: headless Neovim 0.7 drives `mgdebug lsp` through its quick fix
and its "write docstring with checked examples" action.

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
HERE = Path(__file__).parent
REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.editor,
    pytest.mark.skipif(NVIM is None, reason="nvim is not on PATH (apt-get install -y neovim)"),
]

UNDOCUMENTED = """\
def clamp(value: int, low: int, high: int) -> int:
    if value < low:
        return low
    if value > high:
        return high
    return value


if __name__ == "__main__":
    assert clamp(5, 0, 10) == 5
    assert clamp(-3, 0, 10) == 0
    assert clamp(42, 0, 10) == 10
"""


def _run_nvim(
    tmp_path: Path, path: Path, script: str, timeout: float, **extra: object
) -> subprocess.CompletedProcess[str]:
    """Neovim with mgdebug's server on `path`, running `script`; globals MGDEBUG_* from extra."""
    command = [sys.executable, "-m", "mgdebug.server", "lsp"]
    lua_command = "{" + ", ".join(json.dumps(part) for part in command) + "}"
    given = "".join(f"; _G.MGDEBUG_{k.upper()}={json.dumps(v)}" for k, v in extra.items())
    setup = f"lua _G.MGDEBUG_FILE={json.dumps(str(path))}; _G.MGDEBUG_CMD={lua_command}{given}"
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    flags = ["--headless", "--clean", "-n", "-u", "NONE", "-i", "NONE"]
    return subprocess.run(
        [NVIM or "nvim", *flags, "-c", setup, "-c", f"luafile {HERE / 'neovim_attach.lua'}"]
        + ["-c", f"luafile {HERE / script}"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=tmp_path,
    )


def test_neovim_applies_the_quick_fix(tmp_path: Path) -> None:
    path = tmp_path / "sorting.py"
    path.write_text(BUGGY)
    done = _run_nvim(tmp_path, path, "neovim_fix.lua", timeout=300)
    assert done.returncode == 0, f"nvim exited {done.returncode}: {done.stderr[-2000:]}"
    assert "applied: mgdebug:" in done.stdout + done.stderr
    fixed = path.read_text()
    assert fixed == FIXED
    module = pytypes.ModuleType("sorting")
    exec(compile(fixed, str(path), "exec"), module.__dict__)  # our own fixture text
    assert doctest.testmod(module, report=False).failed == 0


@pytest.mark.parametrize("via", ["resolve", "command"])
def test_neovim_writes_a_docstring_whose_examples_pass_doctest(tmp_path: Path, via: str) -> None:
    """Through the code action (resolved by Neovim) and through `mgdebug.writeDocstring
    [uri, line]`, the command VS Code's "Write Docstring" sends (the server applies the edit)."""
    path = tmp_path / "clamping.py"
    path.write_text(UNDOCUMENTED)
    done = _run_nvim(tmp_path, path, "neovim_docstring.lua", timeout=120, line=2, via=via)
    assert done.returncode == 0, f"nvim exited {done.returncode}: {done.stderr[-2000:]}"
    applied = f"applied: mgdebug: write docstring with checked examples (via {via})"
    assert applied in done.stdout, done.stdout
    written = path.read_text()
    assert written.startswith('def clamp(value: int, low: int, high: int) -> int:\n    """')
    assert written.count(">>> clamp(") >= 2, written
    # Nothing but the docstring changed.
    assert written.split('"""')[-1] == "\n" + UNDOCUMENTED.split(":\n", 1)[1], written
    checked = subprocess.run(
        [sys.executable, "-m", "doctest", "-v", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert " 0 failed" in checked.stdout and "passed" in checked.stdout, checked.stdout
