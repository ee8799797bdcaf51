"""A user's own virtual environment, unlike mgdebug's, for the interpreter tests (issue 8 §3).

Made with Debian's Python (`/usr/bin/python3 -m venv --without-pip`: fast, no
network), so it holds neither mgdebug nor pytest, plus one package of its own,
`zebra_units`, that mgdebug's environment lacks.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
HAVE_SYSTEM_PYTHON = os.path.exists(SYSTEM_PYTHON)

# A file that needs the venv's package, with a doctest that fails (7, not 6).
USER_FILE = '''\
from zebra_units import stripes


def total_stripes(zebras):
    """Stripes of a herd.

    >>> total_stripes(3)
    6
    """
    return stripes(zebras) + 1
'''


def make_user_venv(folder: Path) -> Path:
    """Create the venv in `folder`; its python is folder/bin/python."""
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(folder)], check=True)
    purelib = subprocess.run(
        [
            str(folder / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "zebra_units.py").write_text("def stripes(n):\n    return 2 * n\n")
    return folder
