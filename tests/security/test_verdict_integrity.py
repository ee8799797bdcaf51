"""Code that attacks the checker from inside its own process, to make a wrong function pass.

Every function here is wrong (it returns 1 where 2 is expected, or prints the
wrong doctest output); each attack tries to get it reported as passing, or to
falsify what the user is shown. The worker makes doctest and plain-data
verdicts from what the grandchild saw (sandbox/verdicts.py), so attacks on the
comparison fail; the grandchild is still the observer, so attacks on what it
reports (a made-up observation, the repr shown) succeed and are strict xfails
naming the hole (README, "Security", on what "checked" guarantees).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from battery import World, describe, sandboxed
from support import given

from mgdebug.debugger.options import Limits
from mgdebug.debugger.sandbox.pool import Job, Sandbox

HONEST = "def f():\n    return 1\n"

OBSERVER = (
    "the grandchild observes what the code did: module-level code can replace the parts"
    " that report it before any expectation runs"
)


def _candidate(body: str) -> str:
    return f"import sys\n\n{body}\n\n{HONEST}"


PATCH_RUNNERS = _candidate(
    """\
ex = sys.modules["mgdebug.debugger.run.execution"]
results = sys.modules["mgdebug.debugger.results"]
ex._RUNNERS["eval"] = lambda module, e, ns: results.ExpectationResult(e.id, "pass")"""
)
FORGE_OBSERVATION = _candidate(
    """\
ex = sys.modules["mgdebug.debugger.run.execution"]
results = sys.modules["mgdebug.debugger.results"]
verdicts = sys.modules["mgdebug.debugger.sandbox.verdicts"]


def forged(module, e, ns):
    two = '["i","2"]'
    verdicts.note(e.id, verdicts.Observation("eval", actual=two, expected=two, equal=True))
    return results.ExpectationResult(e.id, "pass")


ex._RUNNERS["eval"] = forged"""
)
PATCH_CHECKER = '''\
import doctest

doctest.OutputChecker.check_output = lambda self, want, got, flags: True


def g():
    """
    >>> g()
    2
    """
    return 1
'''
PATCH_REPR = _candidate(
    """\
ex = sys.modules["mgdebug.debugger.run.execution"]
ex.safe_repr = lambda value, *args, **kwargs: "2\""""
)
ALWAYS_EQUAL = """\
class Two:
    def __eq__(self, other):
        return True

    def __repr__(self):
        return "2"


def f():
    return Two()
"""
EXIT_ZERO = "import os\n\ndef f():\n    os._exit(0)\n"
SYSTEM_EXIT = "def f():\n    raise SystemExit(0)\n"


@pytest.fixture(scope="module")
def box(worlds: Callable[[str], World]) -> Iterator[tuple[Sandbox, World]]:
    with sandboxed(worlds(HONEST), Limits(wall_seconds=5), 1) as opened:
        yield opened


def _verdict(box: tuple[Sandbox, World], source: str, function: str = "f") -> str:
    sandbox, _ = box
    if function == "g":
        exp = given("g", "g", "doctest", call="g()\n", want="2\n")
    else:
        exp = given("f", "f", "eval", call="f()", expected="2")
    (result,) = sandbox.run(Job(source, [exp]))
    return result.status


def test_the_honest_wrong_function_fails(box: tuple[Sandbox, World]) -> None:
    assert _verdict(box, HONEST) == "fail"


@pytest.mark.parametrize("source", [EXIT_ZERO, SYSTEM_EXIT], ids=["os-exit-0", "system-exit-0"])
def test_leaving_early_with_status_zero_is_no_pass(box: tuple[Sandbox, World], source: str) -> None:
    assert _verdict(box, source) != "pass"


def test_replacing_the_runner_table_does_not_pass(box: tuple[Sandbox, World]) -> None:
    # A "pass" without what was seen is no verdict: the worker makes those.
    assert _verdict(box, PATCH_RUNNERS) == "crash"


@pytest.mark.xfail(
    strict=True, reason=OBSERVER + " (a runner making up the value it saw is believed)"
)
def test_a_runner_making_up_what_it_saw_does_not_pass(box: tuple[Sandbox, World]) -> None:
    assert _verdict(box, FORGE_OBSERVATION) != "pass"


def test_replacing_doctests_checker_does_not_pass(box: tuple[Sandbox, World]) -> None:
    assert _verdict(box, PATCH_CHECKER, "g") == "fail"


@pytest.mark.xfail(strict=True, reason=OBSERVER + " (the values shown are reprs made there)")
def test_the_value_shown_is_the_value_returned(box: tuple[Sandbox, World]) -> None:
    sandbox, _ = box
    (result,) = sandbox.run(Job(PATCH_REPR, [given("f", "f", "eval", call="f()", expected="2")]))
    assert result.actual == "1", describe(result)


def test_a_value_equal_to_everything_does_not_pass(box: tuple[Sandbox, World]) -> None:
    sandbox, _ = box
    (result,) = sandbox.run(Job(ALWAYS_EQUAL, [given("f", "f", "eval", call="f()", expected="2")]))
    assert (result.status, result.verdict_by) == ("fail", "mgdebug"), describe(result)
    assert "code under test's own" in result.message


@pytest.mark.parametrize(
    "call",
    ["[Two()]", "{'k': Two()}", "Sneaky(1)", "(1, [Two()])"],
    ids=["in-a-list", "in-a-dict", "int-subclass", "nested"],
)
def test_no_always_equal_value_passes_against_plain_data(
    box: tuple[Sandbox, World], call: str
) -> None:
    sandbox, _ = box
    source = ALWAYS_EQUAL + "\n\nclass Sneaky(int):\n    __eq__ = Two.__eq__\n"
    expected = {"[Two()]": "[2]", "{'k': Two()}": "{'k': 2}"}.get(call, "(1, [2])")
    expected = "2" if call == "Sneaky(1)" else expected
    (result,) = sandbox.run(Job(source, [given("f", "f", "eval", call=call, expected=expected)]))
    assert result.status == "fail", describe(result)


LIBRARY_EQUAL = """\
import collections
import decimal
import enum
import fractions

Pair = collections.namedtuple("Pair", "a b")


class Color(enum.IntEnum):
    RED = 2


class Point:
    def __init__(self, x):
        self.x = x

    def __eq__(self, other):
        return isinstance(other, Point) and other.x == self.x
"""


@pytest.mark.parametrize(
    ("call", "expected", "by"),
    [
        ("Pair(1, 2)", "(1, 2)", "mgdebug"),
        ("Color.RED", "2", "mgdebug"),
        ("[1, 2.0, True]", "[1.0, 2, 1]", "mgdebug"),
        ("fractions.Fraction(4, 2)", "2", "sandbox"),
        ("decimal.Decimal('2.0')", "2", "sandbox"),
        ("Point(1)", "Point(1)", "sandbox"),
    ],
)
def test_honest_equality_still_passes_and_says_where_it_was_decided(
    box: tuple[Sandbox, World], call: str, expected: str, by: str
) -> None:
    sandbox, _ = box
    exp = given("f", "f", "eval", call=call, expected=expected)
    (result,) = sandbox.run(Job(LIBRARY_EQUAL, [exp]))
    assert (result.status, result.verdict_by) == ("pass", by), describe(result)


def _candidates(box: tuple[Sandbox, World], sources: list[str]) -> list[str]:
    sandbox, _ = box
    exp = given("f", "f", "eval", call="f()", expected="2")
    found = dict(sandbox.run_candidates(sources, [exp], wall_seconds_each=3))
    return [found[i][0].status for i in range(len(sources))]


LEAKS = {
    "builtins": (
        "import builtins\nbuiltins.sorted = lambda values: [2]\n" + HONEST,
        "def f():\n    return sorted([1])[0]\n",
    ),
    "environment": (
        "import os\nos.environ['ANSWER'] = '2'\n" + HONEST,
        "import os\n\ndef f():\n    return int(os.environ.get('ANSWER', '1'))\n",
    ),
    "cwd": (
        "import os\nos.makedirs('two', exist_ok=True)\nos.chdir('two')\n" + HONEST,
        "import os\n\ndef f():\n    return 2 if os.path.basename(os.getcwd()) == 'two' else 1\n",
    ),
}


@pytest.mark.parametrize("leak", list(LEAKS))
def test_a_candidate_leaves_nothing_that_makes_the_next_pass(
    box: tuple[Sandbox, World], leak: str
) -> None:
    planter, wrong = LEAKS[leak]
    assert _candidates(box, [planter, wrong]) == ["fail", "fail"]


def test_a_patched_stdlib_module_does_not_reach_the_next_candidate(
    box: tuple[Sandbox, World],
) -> None:
    planter = "import math\nmath.floor = lambda x: 2\n" + HONEST
    wrong = "import math\n\ndef f():\n    return math.floor(1.5)\n"
    assert _candidates(box, [planter, wrong]) == ["fail", "fail"]


def test_a_candidate_patching_the_runner_is_not_validated(box: tuple[Sandbox, World]) -> None:
    assert _candidates(box, [HONEST, PATCH_RUNNERS]) == ["fail", "crash"]


INTRUDER = """\
import os
import tempfile


def f():
    mine = os.path.dirname(tempfile.gettempdir())
    parent = os.path.dirname(mine)
    hits = 0
    for name in os.listdir(parent):
        other = os.path.join(parent, name)
        if name.startswith("mgdebug-sandbox-") and other != mine:
            for root, dirs, files in os.walk(other):
                for file in files:
                    try:
                        with open(os.path.join(root, file), "w") as out:
                            out.write("def f():\\n    return 2\\n")
                            hits += 1
                    except OSError:
                        pass
    return hits
"""


def test_two_runs_on_one_project_share_no_temp_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "mod.py").write_text(HONEST)
    exp = given("f", "f", "eval", call="f()", expected="2")
    with (
        Sandbox(str(project / "mod.py"), Limits(wall_seconds=5)) as victim,
        Sandbox(str(project / "mod.py"), Limits(wall_seconds=5)) as intruder,
    ):
        (before,) = victim.run(Job(HONEST, [exp]))
        copy = Path(victim.scratch_root) / "mod.py"
        kept = copy.read_text()
        (attack,) = intruder.run(Job(INTRUDER, [exp]))
        assert copy.read_text() == kept, describe(attack)
        assert os.path.commonpath([victim.scratch_root, intruder.scratch_root]) != str(
            Path(victim.scratch_root).parent
        )
        (after,) = victim.run(Job(HONEST, [exp]))
        assert before.status == after.status == "fail"
