"""check_candidates: any proposer's candidates become checked fixes there, in the real sandbox.

A hand-written proposer of origin "model" stands in for the language model
(debugger/llm/), which will hand its splices in the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import failing_baseline

from mgdebug.debugger.baseline import Baseline, Controls
from mgdebug.debugger.repair.candidates import Candidate
from mgdebug.debugger.repair.check import check_candidates
from mgdebug.debugger.repair.edits import TextEdit, apply_changes
from mgdebug.debugger.repair.proposers import EditProposer
from mgdebug.debugger.report import FixEdit

SOURCE = '''\
def largest(xs):
    """The largest item (café ☕ inventory).

    >>> largest([3, 9, 4])
    9
    >>> largest([5])
    5
    """
    best = xs[0]
    for x in xs:
        if x < best:
            best = x
    return best
'''
WRONG = "if x < best:"


class OneEdit:
    """A proposer that hands in one fixed edit, as a model would."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.asked = 0

    def propose(self, baseline: Baseline) -> Iterator[Candidate]:
        self.asked += 1
        start = baseline.source.index(self.old)
        changes = (TextEdit(start, start + len(self.old), self.new),)
        yield Candidate(
            source=apply_changes(baseline.source, changes),
            kind="model",
            line=baseline.source[:start].count("\n") + 1,
            summary=f"`{self.old}` → `{self.new}`",
            tokens_changed=1,
            function="largest",
            changes=changes,
            origin="model",
        )


@pytest.fixture(scope="module")
def checking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Baseline, Controls]]:
    with failing_baseline(tmp_path_factory.mktemp("check") / "largest.py", SOURCE) as checked:
        yield checked


def test_a_model_candidate_that_passes_comes_out_as_a_checked_model_fix(
    checking: tuple[Baseline, Controls],
) -> None:
    baseline, controls = checking
    line = SOURCE[: SOURCE.index(WRONG)].count("\n") + 1
    outcome = check_candidates(baseline, controls, [(line, 1.0)], [OneEdit("<", ">")])
    (fix,) = outcome.fixes
    assert fix.origin == "model" and fix.validated
    assert fix.passed == fix.total == 2
    assert fix.source == SOURCE.replace(WRONG, "if x > best:")
    column = len("        if x ")
    assert fix.edits == [FixEdit(line - 1, column, line - 1, column + 1, ">")]
    assert "+        if x > best:" in fix.diff
    assert outcome.stats.candidates_tried == 1 and outcome.stats.passing_edits == 1


def test_a_model_candidate_that_fails_an_expectation_is_no_fix(
    checking: tuple[Baseline, Controls],
) -> None:
    baseline, controls = checking
    outcome = check_candidates(baseline, controls, [(1, 1.0)], [OneEdit("xs[0]", "xs[-1]")])
    assert outcome.fixes == []
    assert outcome.stats.candidates_tried == 1
    assert "no small edit passes every expectation" in outcome.stats.message


def test_later_proposers_are_asked_only_while_nothing_passes(
    checking: tuple[Baseline, Controls],
) -> None:
    baseline, controls = checking
    wrong, right, never = OneEdit("xs[0]", "xs[-1]"), OneEdit("<", ">"), OneEdit("<", ">=")
    outcome = check_candidates(baseline, controls, [], [wrong, right, never])
    assert [f.summary for f in outcome.fixes] == ["`<` → `>`"]
    assert (wrong.asked, right.asked, never.asked) == (1, 1, 0)


def test_the_edit_generator_is_a_proposer_whose_fixes_carry_their_edits(
    checking: tuple[Baseline, Controls],
) -> None:
    baseline, controls = checking
    line = SOURCE[: SOURCE.index(WRONG)].count("\n") + 1
    lines = [(line, 1.0)]
    outcome = check_candidates(baseline, controls, lines, [EditProposer(lines)])
    assert outcome.fixes, outcome.stats.message
    for fix in outcome.fixes:
        assert fix.origin == "search" and fix.edits
        assert all(edit.start_line == line - 1 for edit in fix.edits)
    assert "`<` → `>`" in outcome.fixes[0].summary
