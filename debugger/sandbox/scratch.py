"""The scratch copy of the user's folder that code under test runs in, and its environment."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping, Sequence

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
# What code under test may see of the caller's environment: an allow-list, so a
# secret under a name nobody thought of (DATABASE_URL, SENTRY_DSN, PRIVATE_KEY)
# stays out. Python, locale and virtualenv settings are what imports need.
_KEPT = frozenset(
    {
        "PATH",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TERM",
        "COLUMNS",
        "NO_COLOR",
        "CI",
        "PYTHONPATH",
        "PYTHONIOENCODING",
        "PYTHONUTF8",
        "PYTHONWARNINGS",
        "PYTHONSAFEPATH",
        "PYTHONUSERBASE",
        "PYTEST_ADDOPTS",
        "PYTEST_PLUGINS",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "CONDA_DEFAULT_ENV",
        "LD_LIBRARY_PATH",
        "SYSTEMROOT",
    }
)
_KEPT_PREFIXES = ("LC_",)


def child_environment(
    environ: Mapping[str, str], scratch_base: str | None = None, pass_env: Sequence[str] = ()
) -> dict[str, str]:
    """The environment for code under test: an allow-list of the caller's, plus `pass_env`.

    HOME and TMPDIR point into the run's scratch folder (`scratch_base`), so
    code under test finds neither the user's dot-files nor other runs' files;
    packages installed with `pip install --user` stay importable through
    PYTHONUSERBASE.
    """
    allowed = set(_KEPT) | set(pass_env)
    env = {
        name: value
        for name, value in environ.items()
        if name in allowed or name.startswith(_KEPT_PREFIXES)
    }
    home = environ.get("HOME")
    if home and "PYTHONUSERBASE" not in env and os.path.isdir(os.path.join(home, ".local")):
        env["PYTHONUSERBASE"] = os.path.join(home, ".local")
    if scratch_base is not None:
        env["HOME"] = os.path.join(scratch_base, PRIVATE, "home")
        env["TMPDIR"] = os.path.join(scratch_base, PRIVATE, "tmp")
    env.update(PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    return env


def _is_virtualenv(path: str) -> bool:
    return os.path.exists(os.path.join(path, "pyvenv.cfg"))


SCRATCH_PREFIX = "mgdebug-sandbox-"


def copy_folder(source: str, target: str) -> None:
    """Copy `source` into the existing `target`, skipping tool folders, within the caps.

    Only regular files are copied: a symlink only when it points inside
    `source` (one to /proc/self/environ or ~/.ssh/id_rsa would hand the code
    under test what it must not read), and never a fifo, socket or device
    (a read could block or never end). Symlinked folders are skipped (they may
    loop). The byte cap counts bytes actually read: /proc files report size 0.
    """
    files = 0
    left = MAX_COPY_BYTES
    source_real = os.path.realpath(source)
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
            if files >= MAX_COPY_FILES or left <= 0:
                return
            path = os.path.join(root, name)
            copied = _copy_regular(path, os.path.join(destination, name), left, source_real)
            if copied >= 0:
                files += 1
                left -= copied


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _copy_regular(path: str, destination: str, left: int, source_real: str) -> int:
    """Copy one regular file of at most `left` bytes; its size, or -1 if skipped."""
    real = path
    if os.path.islink(path):
        real = os.path.realpath(path)
        if not _inside(real, source_real):
            return -1
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return -1
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return -1
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(1 << 20, left - size + 1))
            if not chunk:
                break
            size += len(chunk)
            if size > left:
                return -1  # over the cap: leave it out rather than copy part of it
            chunks.append(chunk)
    except OSError:
        return -1
    finally:
        os.close(fd)
    try:
        with open(destination, "wb") as out:
            out.write(b"".join(chunks))
    except OSError:
        return -1
    return size


def external_copy(scratch_root: str, path: str) -> str:
    """Where a file from outside the user's folder goes in the scratch copy."""
    digest = hashlib.sha1(os.path.dirname(path).encode()).hexdigest()[:12]
    return os.path.join(scratch_root, ".mgdebug-external", digest, os.path.basename(path))


# Beside the copy of the user's folder (named like it): the code's HOME and TMPDIR.
# A user folder named like this is copied as "workspace" instead.
PRIVATE = ".mgdebug-private"
_OWNER = ".mgdebug-owner"  # "<pid> <start time>" of the process that made a scratch folder


def _process_identity(pid: int) -> str:
    """pid and start time: a pid the kernel reused for another process does not match."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[-1].split()
        return f"{pid} {fields[19]}"
    except (OSError, IndexError):
        return str(pid)


def sweep_stale_scratch(temp: str | None = None) -> int:
    """Remove scratch folders of runs whose process is gone (killed before cleaning up)."""
    removed = 0
    folder = temp or tempfile.gettempdir()
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(SCRATCH_PREFIX)]
    except OSError:
        return 0
    for entry in entries:
        try:
            with open(os.path.join(entry.path, _OWNER), encoding="ascii") as f:
                owner = f.read().strip()
            pid = int(owner.split()[0])
        except (OSError, ValueError, IndexError):
            continue  # not stamped (an older mgdebug, or being made right now)
        if _process_identity(pid) == owner and _alive(pid):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def make_scratch(user_root: str | None, folder_name: str) -> tuple[str, str]:
    """(base temp dir, scratch root): the root is a copy of `user_root`, or empty.

    The base also holds the HOME and TMPDIR of the code under test, and a
    stamp naming this process, so a later run removes it if this one is
    killed before it can (`sweep_stale_scratch`).
    """
    sweep_stale_scratch()
    base = tempfile.mkdtemp(prefix=SCRATCH_PREFIX)
    with open(os.path.join(base, _OWNER), "w", encoding="ascii") as f:
        f.write(_process_identity(os.getpid()))
    for private in ("home", "tmp"):
        os.makedirs(os.path.join(base, PRIVATE, private))
    if not folder_name or folder_name in (PRIVATE, _OWNER):
        folder_name = "workspace"
    root = os.path.join(base, folder_name)
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
