"""Reports that do not overclaim: what the text and JSON reports say is what happened.

Each test runs the real `mgdebug` console script on a small file a user
could have written, and checks one promise of the report.
"""

from __future__ import annotations

import re
from pathlib import Path

from support import UNTESTED_HELPER

from .conftest import run_mgdebug

RAISES_IN_LOOP = '''\
def check(x):
    if x == 0:
        raise ValueError("zero")
    return x


def total(xs):
    """
    >>> total([1, 2])
    3
    >>> total([1, 0, 2])
    3
    """
    t = 0
    for x in xs:
        t += check(x)
    return t
'''

COUNTER = '''\
class Counter:
    def __init__(self):
        self.count = 0
        self.items = []

    def add(self, x):
        """
        >>> c = Counter()
        >>> c.add(1)
        1
        >>> c.add(2)
        3
        """
        self.items.append(x)
        self.count += x
        return self.count if self.count < 3 else 0
'''


def test_untested_helper_holding_the_top_suspect_is_blamed_not_its_caller(
    tmp_path: Path,
) -> None:
    path = tmp_path / "helper.py"
    path.write_text(UNTESTED_HELPER)
    run = run_mgdebug(str(path), "--json")
    assert run.code == 1, run.stderr
    data = run.json()
    assert (data["suspects"][0]["function"], data["suspects"][0]["line"]) == ("_scale", 2)
    blamed = [f["name"] for f in data["functions"] if f["blamed"]]
    assert blamed == ["_scale"]
    assert data["fixes"][0]["function"] == "_scale"
    text = run_mgdebug(str(path), "--no-color").stdout
    helper_line = next(line for line in text.splitlines() if "_scale (line 1)" in line)
    assert "← blamed" in helper_line and "no expectations of its own" in helper_line


def test_values_of_self_show_its_attributes(tmp_path: Path) -> None:
    path = tmp_path / "counter.py"
    path.write_text(COUNTER)
    data = run_mgdebug(str(path), "--json", "--no-search").json()
    shown = [snap["values"].get("self") for s in data["suspects"] for snap in s["values"]]
    assert "Counter(count=3, items=[1, 2])" in shown, shown
    assert not any("object at 0x" in str(value) for value in shown)


def test_traceback_of_a_raise_inside_a_traced_loop_has_only_the_users_frames(
    tmp_path: Path,
) -> None:
    path = tmp_path / "loop.py"
    path.write_text(RAISES_IN_LOOP)
    data = run_mgdebug(str(path), "--json", "--no-search").json()
    raised = [r for r in data["results"] if r["status"] == "error"]
    assert raised, data["results"]
    for result in raised:
        tb = result["traceback"]
        assert 'File "loop.py", line 16, in total' in tb
        assert 'File "loop.py", line 3, in check' in tb
        assert tb.rstrip().endswith("ValueError: zero")
        for noise in ("mgdebug", "tracer.py", "doctest.py", "execution.py", "During handling"):
            assert noise not in tb and noise not in result["message"], (noise, tb)


def test_recursion_error_under_pytest_shows_no_tracer_frames(tmp_path: Path) -> None:
    (tmp_path / "fact.py").write_text(
        "def fact(n):\n    if n == 0:\n        return 1\n    return n * fact(n - 1)\n"
    )
    (tmp_path / "test_fact.py").write_text(
        "from fact import fact\n\n\ndef test_small():\n    assert fact(3) == 6\n\n\n"
        "def test_negative():\n    assert fact(-1) == 1\n"
    )
    data = run_mgdebug(str(tmp_path / "fact.py"), "--json", "--no-search").json()
    failed = [r for r in data["results"] if r["status"] != "pass"]
    assert failed and "RecursionError" in failed[0]["message"]
    for result in failed:
        for text in (result["message"], result["traceback"]):
            assert "tracer.py" not in text and "During handling" not in text, text[-2000:]


def test_tracebacks_in_the_text_report_are_indented_under_their_expectation(
    tmp_path: Path,
) -> None:
    path = tmp_path / "loop.py"
    path.write_text(RAISES_IN_LOOP)
    lines = run_mgdebug(str(path), "--no-search", "--no-color").stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "Traceback (most recent call last)" in line)
    expectation = next(line for line in reversed(lines[:start]) if "doctest " in line)
    assert expectation.startswith("      doctest ") and "total([1, 0, 2])" in expectation
    assert lines[start - 1].startswith("          got ")
    block = []
    for line in lines[start:]:
        if not line.startswith("          "):
            break
        block.append(line)
    assert block[-1].strip() == "ValueError: zero", block
    assert any('File "loop.py", line 3, in check' in line for line in block)


def test_syntax_error_is_printed_once(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("def f(x):\n    return x +\n")
    run = run_mgdebug(str(path), "--no-color")
    assert run.code == 2
    assert (run.stdout + run.stderr).count("invalid syntax") == 1, run.stdout + run.stderr


def test_text_and_json_give_the_same_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("def f(x):\n    return x +\n")
    text = run_mgdebug(str(path), "--no-color").stdout
    line, column = map(int, re.search(r"line (\d+), column (\d+)", text).groups())  # type: ignore[union-attr]
    error = run_mgdebug(str(path), "--json").json()["syntax_errors"][0]
    assert (error["line"], error["column"]) == (line, column) == (2, 15)


def test_progress_on_stderr_reaches_100_percent(tmp_path: Path) -> None:
    path = tmp_path / "slow.py"
    # over a second of running, so that progress is shown at all
    path.write_text(
        'import time\n\n\ndef slow(x):\n    """\n    >>> slow(1)\n    2\n    """\n'
        "    time.sleep(1.2)\n    return x\n"
    )
    run = run_mgdebug(str(path), "--no-search")
    percents = [int(p) for p in re.findall(r"^mgdebug: +(\d+)%", run.stderr, re.MULTILINE)]
    assert percents and percents[-1] == 100, run.stderr
