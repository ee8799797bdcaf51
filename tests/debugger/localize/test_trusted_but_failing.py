"""A failing test that calls only functions whose own examples pass still blames one of them.

Project mode hands the engine the project's failing tests unattributed (they may
call anything); when the only function they call has passing doctests, those
doctests missed the input the test found — it is not "no line executed".
"""

from __future__ import annotations

from pathlib import Path

from mgdebug.analysis.model import Expectation, Origin
from mgdebug.debugger.engine import DebugRequest, debug
from mgdebug.debugger.options import DebugOptions

PLURAL = '''\
def plural(word):
    """
    >>> plural("cat")
    'cats'
    """
    if word in ("sheep",):
        return word
    return word + "s"
'''
TEST = 'from plural import plural\n\n\ndef test_empty():\n    assert "" == plural("")\n'


def test_the_only_function_a_failing_test_calls_is_blamed_despite_its_passing_doctest(
    tmp_path: Path,
) -> None:
    # Named so that static discovery does not attribute it to `plural` (pytest runs a
    # file it is given whatever its name).
    module, tests = tmp_path / "plural.py", tmp_path / "checks" / "check_plural.py"
    module.write_text(PLURAL)
    tests.parent.mkdir()
    tests.write_text(TEST)
    failing = Expectation(
        id="pytest:checks/check_plural.py::test_empty",
        function="",
        kind="pytest",
        origin=Origin(str(tests), 4, "pytest"),
        description="test_empty",
        test_file=str(tests),
        nodeid="check_plural.py::test_empty",
    )
    options = DebugOptions(search_fixes=False, mutation_seconds=0)
    report = debug(DebugRequest(PLURAL, str(module), options, expectations=[failing]))
    statuses = {r.expectation_id: r.status for r in report.results}
    assert statuses["pytest:checks/check_plural.py::test_empty"] == "fail"
    assert [e.function for e in report.expectations if e.kind == "pytest"] == [""]
    assert report.suspects, report.messages
    assert {s.function for s in report.suspects} == {"plural"}
    assert any(f.name == "plural" and f.blamed for f in report.functions)
