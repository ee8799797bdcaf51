"""A small multi-module project in a temp folder, and the real `mgdebug` run on it.

    pkg/util.py     total_of has the bug (skips the first price); add_tax is a helper
                    with its own passing test (tests/test_util.py), which must be trusted
    pkg/fmt.py      money: a correct helper no test calls directly (judged by its callers)
    pkg/service.py  bill = money(add_tax(total_of(prices))): the bug is reached only here
    tests/          test_service.py (test_bill fails, test_bill_empty passes), test_util.py

Built once per module and copied for the tests that write to it, cache folder
included, so that only the first run pays for the project's pytest run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cli.conftest import CliRun
from cli.conftest import run_mgdebug as run_cli

FILES = {
    "pyproject.toml": '[project]\nname = "shop"\nversion = "0"\n',
    "pkg/__init__.py": "",
    "pkg/util.py": (
        "def add_tax(amount, rate):\n"
        "    return amount + amount * rate\n"
        "\n"
        "\n"
        "def total_of(prices):\n"
        "    s = 0\n"
        "    for p in prices[1:]:\n"
        "        s += p\n"
        "    return s\n"
    ),
    "pkg/fmt.py": "def money(x):\n    return round(x, 2)\n",
    "pkg/service.py": (
        "from pkg.fmt import money\n"
        "from pkg.util import add_tax, total_of\n"
        "\n"
        "\n"
        "def bill(prices, rate=0.1):\n"
        "    return money(add_tax(total_of(prices), rate))\n"
    ),
    "tests/test_service.py": (
        "from pkg.service import bill\n"
        "\n"
        "\n"
        "def test_bill():\n"
        "    assert bill([10, 20]) == 33.0\n"
        "\n"
        "\n"
        "def test_bill_empty():\n"
        "    assert bill([]) == 0\n"
    ),
    "tests/test_util.py": (
        "from pkg.util import add_tax\n"
        "\n"
        "\n"
        "def test_add_tax():\n"
        "    assert add_tax(100, 0.5) == 150\n"
    ),
}
BUGGY_LINE = 7  # `for p in prices[1:]:` in pkg/util.py


def build_project(root: Path) -> Path:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run_mgdebug(*args: str, cwd: Path) -> CliRun:
    """The installed `mgdebug`, as a user runs it in the project folder (no venv active)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "VIRTUAL_ENV")}
    return run_cli(*args, cwd=cwd, timeout=180, env=env)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_project(tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="module")
def whole_project_run(project: Path) -> CliRun:
    """`mgdebug --json --no-search` in the project folder: every test, localized only."""
    return run_mgdebug("--json", "--no-search", cwd=project)


@pytest.fixture
def project_copy(project: Path, whole_project_run: CliRun, tmp_path: Path) -> Path:
    """A copy to write to, with the cache of the first run (so its tests need not run again)."""
    assert whole_project_run.code == 3, whole_project_run.stderr
    return Path(shutil.copytree(project, tmp_path / "shop"))
