"""The scratch copy of the user's folder that code under test runs in, and its environment."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping

MAX_COPY_BYTES = 50 * 1024 * 1024
MAX_COPY_FILES = 5000

_SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        ".mgdebug-cache",
    }
)
_SECRET = re.compile(
    r"(_API_KEY|_TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|_AUTH)|^(OPENAI_|MGDEBUG_|AWS_|AZURE_"
    r"|ANTHROPIC_|GOOGLE_APPLICATION|GITHUB_|HF_|HUGGING_FACE|SSH_AUTH)",
    re.IGNORECASE,
)


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for code under test: the caller's, minus anything secret."""
    env = {name: value for name, value in environ.items() if not _SECRET.search(name)}
    env.update(PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    return env


def _is_virtualenv(path: str) -> bool:
    return os.path.exists(os.path.join(path, "pyvenv.cfg"))


SCRATCH_PREFIX = "mgdebug-sandbox-"


def copy_folder(source: str, target: str) -> None:
    """Copy `source` into the existing `target`, skipping tool folders, within the caps.

    Symlinked files are copied as files (a link could lead a write back into
    the user's folder); symlinked folders are skipped (they may loop).
    """
    files = 0
    size = 0
    target_real = os.path.realpath(target)
    for root, dirs, names in os.walk(source):
        # A file in the temp folder itself would otherwise copy the scratch
        # copies (ours and other runs') into themselves.
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIPPED_DIRS
            and not d.startswith(SCRATCH_PREFIX)
            and not target_real.startswith(os.path.realpath(os.path.join(root, d)) + os.sep)
            and not os.path.islink(os.path.join(root, d))
            and not _is_virtualenv(os.path.join(root, d))
        )
        relative = os.path.relpath(root, source)
        destination = os.path.normpath(os.path.join(target, relative))
        os.makedirs(destination, exist_ok=True)
        for name in sorted(names):
            path = os.path.join(root, name)
            try:
                length = os.stat(path).st_size
            except OSError:
                continue
            if files >= MAX_COPY_FILES or size + length > MAX_COPY_BYTES:
                continue
            try:
                shutil.copyfile(path, os.path.join(destination, name))
            except OSError:
                continue
            files += 1
            size += length


def external_copy(scratch_root: str, path: str) -> str:
    """Where a file from outside the user's folder goes in the scratch copy."""
    digest = hashlib.sha1(os.path.dirname(path).encode()).hexdigest()[:12]
    return os.path.join(scratch_root, ".mgdebug-external", digest, os.path.basename(path))


def make_scratch(user_root: str | None, folder_name: str) -> tuple[str, str]:
    """(base temp dir, scratch root): the root is a copy of `user_root`, or empty."""
    base = tempfile.mkdtemp(prefix=SCRATCH_PREFIX)
    root = os.path.join(base, folder_name or "workspace")
    os.makedirs(root)
    if user_root is not None:
        copy_folder(user_root, root)
    return base, root


def give_to(base: str, uid: int, gid: int) -> None:
    """Make the scratch tree belong to the unprivileged user the code runs as."""
    os.chown(base, uid, gid)
    for root, dirs, names in os.walk(base):
        for name in dirs + names:
            try:
                os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)
            except OSError:
                continue
