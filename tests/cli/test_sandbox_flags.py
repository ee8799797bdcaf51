"""What the code under test may see and reach, from the command line: `--pass-env`,
`--allow-network`, and the isolation level the JSON report names."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from mgdebug.debugger.sandbox.landlock import abi_version

from .conftest import run_mgdebug

READS_ENV = '''import os


def flag():
    """
    >>> flag()
    'on'
    """
    return os.environ.get("MGDEBUG_TEST_FLAG")
'''

CONNECTS = '''import socket


def reach(port):
    """
    >>> reach({port})
    'connected'
    """
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        return "connected"
'''


def test_a_variable_reaches_the_code_only_when_passed(tmp_path: Path) -> None:
    (tmp_path / "flag.py").write_text(READS_ENV)
    os.environ["MGDEBUG_TEST_FLAG"] = "on"
    try:
        hidden = run_mgdebug("flag.py", "--json", "--no-search", cwd=tmp_path).json()
        passed = run_mgdebug("flag.py", "--json", "--pass-env", "MGDEBUG_TEST_FLAG", cwd=tmp_path)
    finally:
        del os.environ["MGDEBUG_TEST_FLAG"]
    assert hidden["functions"][0]["status"] == "fail"
    assert passed.json()["functions"][0]["status"] == "pass"
    isolation = passed.json()["sandbox"]["isolation"]
    assert isolation["level"] in ("kernel", "hook") and isolation["layers"]


@pytest.mark.skipif(abi_version() < 4, reason="needs Landlock's network rules (Linux 6.7+)")
def test_tcp_is_closed_unless_the_user_allows_the_network(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        (tmp_path / "net.py").write_text(CONNECTS.replace("{port}", str(port)))
        closed = run_mgdebug("net.py", "--json", "--no-search", cwd=tmp_path).json()
        opened = run_mgdebug("net.py", "--json", "--no-search", "--allow-network", cwd=tmp_path)
    assert closed["functions"][0]["status"] == "fail"
    assert opened.json()["functions"][0]["status"] == "pass", opened.stdout
    assert "landlock: no TCP connections" in closed["sandbox"]["isolation"]["layers"]
    assert "landlock: no TCP connections" not in opened.json()["sandbox"]["isolation"]["layers"]
