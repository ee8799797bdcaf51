"""Bad input through the CLI: a precise message, a distinct exit code, nothing changed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support import folder_digest

from mgdebug.server.source_file import InputError, read_source, write_fix

from .conftest import run_mgdebug


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    run = run_mgdebug(str(tmp_path / "nope.py"))
    assert run.code == 2
    assert "no such file" in run.stderr and "nope.py" in run.stderr


def test_unknown_option_is_a_usage_error() -> None:
    run = run_mgdebug("--frobnicate")
    assert run.code == 2
    assert "usage: mgdebug" in run.stderr


def test_help_documents_every_exit_status() -> None:
    run = run_mgdebug("--help")
    assert run.code == 0
    for code in "01234":
        assert f"  {code}  " in run.stdout


def test_binary_file_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "blob.py"
    path.write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    run = run_mgdebug(str(path))
    assert run.code == 2
    assert "binary file" in run.stderr


def test_non_utf8_file_names_the_byte_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes(b"x = 1\ny = '\xe9t\xe9'\n")
    run = run_mgdebug(str(path))
    assert run.code == 2
    assert "not UTF-8" in run.stderr and "0xe9 on line 2" in run.stderr


def test_syntax_error_reports_its_location(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("def ok(x):\n    return x\n\ndef bad(x:\n    return x +\n")
    run = run_mgdebug(str(path), "--json")
    assert run.code == 2
    errors = run.json()["syntax_errors"]
    assert errors and errors[0]["line"] >= 4
    assert f"{path}:{errors[0]['line']}:" in run.stderr
    assert "ok" in {f["name"] for f in run.json()["functions"]}


def test_empty_file_has_nothing_to_debug(tmp_path: Path) -> None:
    path = tmp_path / "empty.py"
    path.write_text("")
    run = run_mgdebug(str(path), "--json")
    assert run.code == 0
    assert run.json()["functions"] == []
    assert "no functions" in " ".join(run.json()["messages"])


def test_function_without_expectations_says_how_to_add_one(tmp_path: Path) -> None:
    path = tmp_path / "plain.py"
    path.write_text("def area(width, height):\n    return width * height\n")
    run = run_mgdebug(str(path))
    assert run.code == 0
    assert "untested" in run.stdout
    assert ">>> area(" in run.stdout


def test_fifty_thousand_line_file_is_analysed_within_budget(tmp_path: Path) -> None:
    path = tmp_path / "huge.py"
    chunks = []
    for i in range(5000):
        chunks.append(
            f"def f{i}(x):\n    y = x + {i}\n    if y > 3:\n        y -= 1\n"
            f"    return y\n\n\n\n\n\n"
        )
    chunks.append('def last(x):\n    """\n    >>> last(2)\n    4\n    """\n    return x + 1\n')
    path.write_text("".join(chunks))
    assert path.read_text().count("\n") >= 50_000
    started = time.monotonic()
    run = run_mgdebug(str(path), "--json", "--budget", "10", timeout=180)
    elapsed = time.monotonic() - started
    assert run.code in (1, 3), run.stderr  # a failure found; a fix if the budget allowed
    assert run.json()["suspects"][0]["function"] == "last"
    assert elapsed < 60


HOSTILE = {
    "infinite_loop": ("while True:\n        pass", "timeout"),
    "fork_bomb": ("import os\n    while True:\n        os.fork()", "error"),
    "memory_hog": ("data = bytearray(10 * 1024 ** 3)\n    return len(data)", None),
    "deleter": (
        "import os, shutil\n"
        "    for name in os.listdir('.'):\n"
        "        if os.path.isfile(name): os.remove(name)\n"
        "    os.remove(__victim__)\n"
        "    return 0",
        None,
    ),
    "exits": ("import sys\n    sys.exit(3)", "crash"),
    "hard_exit": ("import os\n    os._exit(1)", "crash"),
    "chatterbox": ("while True:\n        print('x' * 10000)", None),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_code_is_contained_and_reported(tmp_path: Path, name: str) -> None:
    body, status = HOSTILE[name]
    folder = tmp_path / "project"
    folder.mkdir()
    victim = folder / "precious.txt"
    victim.write_text("keep me")
    body = body.replace("__victim__", repr(str(victim)))
    path = folder / "hostile.py"
    path.write_text(f'def run():\n    """\n    >>> run()\n    42\n    """\n    {body}\n')
    before = folder_digest(folder)
    started = time.monotonic()
    run = run_mgdebug(str(path), "--json", "--budget", "3", timeout=120)
    elapsed = time.monotonic() - started
    assert folder_digest(folder) == before
    assert run.code in (1, 3), run.stderr
    result = run.json()["results"][0]
    assert result["status"] != "pass"
    if status is not None:
        assert result["status"] == status, result
    assert result["message"] or result["actual"]
    assert elapsed < 60


def test_write_fix_refuses_when_the_file_changed_since_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "f.py"
    path.write_text("x = 1\n")
    source = read_source(str(path))
    path.write_text("x = 2\n")
    with pytest.raises(InputError, match="changed since"):
        write_fix(source, "x = 3\n")
    assert path.read_text() == "x = 2\n"


def test_write_fix_keeps_crlf_line_endings_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "f.py"
    path.write_bytes(b"x = 1\r\ny = 2\r\n")
    path.chmod(0o640)
    source = read_source(str(path))
    assert source.text == "x = 1\ny = 2\n"
    write_fix(source, "x = 1\ny = 3\n")
    assert path.read_bytes() == b"x = 1\r\ny = 3\r\n"
    assert path.stat().st_mode & 0o777 == 0o640
