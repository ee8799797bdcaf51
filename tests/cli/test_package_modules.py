"""A module inside a package is debugged as the package member it is, relative imports included.

Run as a lone file, `from .units import FACTOR` fails with "attempted relative
import with no known parent package" — a verdict neither doctest nor pytest
gives. These projects are written as a user would and judged by the real CLI.
"""

from __future__ import annotations

from pathlib import Path

from .conftest import run_mgdebug

UTIL = '''from .units import FACTOR


def scale(x):
    """
    >>> scale(2)
    20
    """
    return x * FACTOR + 1
'''


def make_project(root: Path) -> Path:
    package = root / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("from .util import *  # noqa\n")
    (package / "units.py").write_text("FACTOR = 10\n")
    (package / "util.py").write_text(UTIL)
    (root / "tests").mkdir()
    (root / "tests" / "test_util.py").write_text(
        "from shop.util import scale\n\n\ndef test_scale():\n    assert scale(1) == 10\n"
    )
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\npythonpath = ['.']\n")
    return package / "util.py"


def test_relative_imports_work_and_the_bug_is_found_and_fixed(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    run = run_mgdebug(str(path), "--json", "--budget", "20")
    data = run.json()
    assert "relative import" not in run.stdout
    statuses = sorted(r["status"] for r in data["results"])
    assert statuses == ["fail", "fail"], data["results"]
    assert run.code == 1, run.stderr
    fixed = data["fixes"][0]["source"]
    assert "return x * FACTOR\n" in fixed
    # `shop/__init__.py` imported the module under test, not the file on disk:
    # the fix passes the pytest test, which imports `shop.util` through `shop`.
    assert data["fixes"][0]["total"] == 2 and data["fixes"][0]["passed"] == 2
    assert path.read_text() == UTIL  # nothing written without --fix
