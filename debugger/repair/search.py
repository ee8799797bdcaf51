"""The fix search: small edits at the suspicious lines, checked against every expectation.

The edit generator is a proposer (proposers.py) like any other: single edits
first, then pairs of the best ones if no single edit passes; check.py decides
which pass, ranks them and says how the search ended.
"""

from __future__ import annotations

from ..baseline import Baseline, Controls
from .check import SearchOutcome, check_candidates
from .proposers import EditProposer, PairProposer, SuspiciousLines

__all__ = ["SearchOutcome", "search_fixes"]


def search_fixes(baseline: Baseline, controls: Controls, lines: SuspiciousLines) -> SearchOutcome:
    """Search single edits, then pairs if no single edit passes; rank what passes."""
    proposers = (EditProposer(lines), PairProposer(lines))
    return check_candidates(baseline, controls, lines, proposers)
