"""The `mgdebug FILE` command end to end: real runs of the installed console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import folder_digest

from .conftest import EXAMPLES, CliRun, run_mgdebug


def test_doctest_failure_blames_lowest_function_and_points_at_its_line(
    stats_localized: CliRun,
) -> None:
    run = stats_localized
    assert run.code == 3, run.stderr
    data = run.json()
    status = {f["name"]: f for f in data["functions"]}
    assert status["mean"]["status"] == "fail" and status["mean"]["blamed"]
    assert status["variance"]["status"] == "fail" and not status["variance"]["blamed"]
    assert status["spread"]["status"] == "pass"
    top = data["suspects"][0]
    assert top["function"] == "mean"
    assert top["line"] == 15  # return total / (len(values) + 1)
    assert data["fixes"] == []


def test_failing_expectation_shows_origin_expected_and_actual(stats_localized: CliRun) -> None:
    data = stats_localized.json()
    mean = next(f for f in data["functions"] if f["name"] == "mean")
    failure = next(f for f in mean["failures"] if "[1, 2, 3, 4]" in f["description"])
    assert failure["origin_kind"] == "doctest"
    assert failure["origin_line"] == 7
    assert failure["expected"].strip() == "2.5"
    assert failure["actual"].strip() == "2.0"


def test_suspects_carry_block_values_from_the_failing_run(stats_localized: CliRun) -> None:
    data = stats_localized.json()
    values = [snap["values"] for s in data["suspects"] for snap in s["values"]]
    assert any(v.get("total") == "10" for v in values), values


def test_text_report_names_blamed_function_suspect_line_and_expectation() -> None:
    run = run_mgdebug(str(EXAMPLES / "stats.py"), "--no-search")
    assert run.code == 3
    out = run.stdout
    assert "\x1b[" not in out  # not a TTY: no colour codes
    assert "✗ mean (line 4)" in out and "blamed" in out
    assert "line 15 in mean" in out
    assert "expected 2.5" in out
    assert "✓ spread" in out


def test_fix_search_offers_a_checked_fix_that_passes_the_doctests(tmp_path: Path) -> None:
    run = run_mgdebug(str(EXAMPLES / "stats.py"), "--json")
    assert run.code == 1, run.stderr
    fix = run.json()["fixes"][0]
    assert fix["validated"] and fix["origin"] == "search"
    assert fix["function"] == "mean"
    assert "+    return total / len(values)" in fix["diff"]
    fixed = tmp_path / "stats.py"
    fixed.write_text(fix["source"])
    doctest = subprocess.run([sys.executable, "-m", "doctest", str(fixed)], capture_output=True)
    assert doctest.returncode == 0, doctest.stdout


def test_pytest_tests_in_a_tests_folder_are_expectations() -> None:
    run = run_mgdebug(str(EXAMPLES / "shop" / "pricing.py"), "--json")
    data = run.json()
    status = {f["name"]: f["status"] for f in data["functions"]}
    assert status["discount_rate"] == "fail"
    kinds = {e["origin"]["kind"] for e in data["expectations"]}
    assert kinds == {"pytest"}
    assert data["suspects"][0]["line"] == 6  # if quantity > 100:
    assert run.code == 1
    assert "`>` → `>=`" in data["fixes"][0]["summary"]


def test_function_option_narrows_to_that_function_and_its_callers() -> None:
    data = run_mgdebug(
        str(EXAMPLES / "stats.py"), "--json", "--no-search", "--function", "spread"
    ).json()
    assert {e["function"] for e in data["expectations"]} == {"spread"}
    assert data["suspects"] == []


def test_debugging_leaves_the_users_folder_unchanged(example_copy) -> None:
    folder = example_copy("shop")
    before = folder_digest(folder)
    run_mgdebug(str(folder / "pricing.py"), "--json")
    assert folder_digest(folder) == before


def test_fix_flag_applies_the_best_fix_so_the_file_passes(example_copy) -> None:
    path = example_copy("stats.py")
    run = run_mgdebug(str(path), "--fix")
    assert run.code == 1, run.stderr
    assert "return total / len(values)" in path.read_text()
    assert "+    return total / len(values)" in run.stderr  # the diff that was applied
    again = run_mgdebug(str(path), "--json", "--no-search")
    assert again.code == 0
    assert {f["status"] for f in again.json()["functions"]} == {"pass"}


def test_fix_flag_never_writes_when_no_fix_is_found(tmp_path: Path) -> None:
    path = tmp_path / "hard.py"
    source = (
        "def greet(name):\n"
        '    """\n'
        "    >>> greet('Ada')\n"
        "    'Hello, Ada! Welcome back.'\n"
        '    """\n'
        '    return "Hi " + name\n'
    )
    path.write_text(source)
    run = run_mgdebug(str(path), "--fix", "--budget", "5")
    assert run.code == 3
    assert path.read_text() == source
    assert "no small edit passes" in run.stdout


def test_code_under_test_keeps_its_own_future_flags(tmp_path: Path) -> None:
    # mgdebug's modules use postponed annotations; the user's code must not inherit them.
    path = tmp_path / "typed.py"
    path.write_text(
        "def double(x: int) -> int:\n"
        '    """\n'
        "    >>> double.__annotations__['x'] is int\n"
        "    True\n"
        "    >>> double(4)\n"
        "    8\n"
        '    """\n'
        "    return 2 * x\n"
    )
    run = run_mgdebug(str(path), "--json", "--no-search")
    assert run.code == 0, run.stdout
    assert [r["status"] for r in run.json()["results"]] == ["pass", "pass"]
