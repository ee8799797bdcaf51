"""Candidate fixes for the test-checked fix search: small edits at the suspicious lines.

Pure code: it proposes edits and never runs user code (the sandbox checks
them). Candidates come lazily, most suspicious line first and, within a line,
the edit kinds most likely to be the real fix first, so the search can stop
whenever its budget runs out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import libcst as cst

from mgdebug.analysis.model import ModuleInfo

from .context import CandidateContext
from .edits import Edit, TextEdit, apply_changes, overlaps, tokens_changed
from .mutators import (
    bounds as mutators_bounds,
)
from .mutators import (
    calls as mutators_calls,
)
from .mutators import (
    conditions as mutators_conditions,
)
from .mutators import (
    constants as mutators_constants,
)
from .mutators import (
    indices as mutators_indices,
)
from .mutators import (
    names as mutators_names,
)
from .mutators import (
    operators as mutators_operators,
)
from .mutators import (
    statements as mutators_statements,
)
from .mutators import (
    values as mutators_values,
)
from .sites import Site, SiteIndex

__all__ = ["KIND_PRIORS", "Candidate", "CandidateContext", "generate_candidates"]

# How likely an edit of each kind is to be the real fix; only the order matters.
# Measured by `python benchmarks/edit_priors.py` (no code is run): at the buggy
# lines of the development sets, which kinds turn the buggy program into the
# correct one, per edit proposed (a kind is tried whole before the next one, so
# a kind proposing many edits costs its place in line). 22 of 40 QuixBugs and
# 4 of 1306 MBPP seeds are one edit away; fixes / proposed edits there:
# comparison 5/31, collection 2/7, swap-args 2/9, swap-elements 2/8, augassign
# 1/3, attribute 1/1, off-by-one 2/19, call-swap 1/12, swap-operands 1/11,
# index-shift 2/30, delete-term 2/34 (whole slices deleted too), unwrap-call
# 1/16, add-slice 1/20, constant 1/39, variable 2/180, arithmetic 0/91, slice
# 0/23, delete-statement 0/24, insert-return 0/16, negate-condition 0/7;
# prepend is never proposed there. Kinds never seen keep the hand-set order
# among themselves (smoothing). The mean rank of the fix among the candidates
# at its lines is 2.3 in-sample and 6.2 with each program held out of its own
# priors: most kinds rest on one or two fixes, so a held-out program often
# takes its kind's only evidence with it. Twenty-six fixes are a thin base:
# rerun the script when the generator changes.
KIND_PRIORS: dict[str, float] = {
    "comparison": 1.0,
    "collection": 0.914,
    "swap-args": 0.883,
    "swap-elements": 0.88,
    "augassign": 0.812,
    "attribute": 0.72,
    "off-by-one": 0.637,
    "call-swap": 0.466,
    "swap-operands": 0.436,
    "index-shift": 0.4,
    "delete-term": 0.374,
    "unwrap-call": 0.317,
    "add-slice": 0.259,
    "unary": 0.248,
    "boolean": 0.24,
    "constant": 0.212,
    "drop-condition": 0.181,
    "negate-condition": 0.137,
    "slice": 0.104,
    "variable": 0.089,
    "insert-return": 0.048,
    "delete-statement": 0.041,
    "arithmetic": 0.032,
    "prepend": 0.016,
    "pair": 0.0,
}

# Pairs grow quadratically; these keep them to the few edits that matter most.
PAIR_LINES = 3
PAIR_EDITS_PER_LINE = 8
MAX_PAIRS = 300
_BLOCK_EDITS = frozenset({"delete-statement", "insert-return"})

Mutator = Callable[[Site, SiteIndex, CandidateContext], Iterable[Edit]]

MUTATORS: tuple[Mutator, ...] = (
    *mutators_operators.MUTATORS,
    *mutators_conditions.MUTATORS,
    *mutators_constants.MUTATORS,
    *mutators_bounds.MUTATORS,
    *mutators_indices.MUTATORS,
    *mutators_names.MUTATORS,
    *mutators_calls.MUTATORS,
    *mutators_statements.MUTATORS,
    *mutators_values.MUTATORS,
)


@dataclass(frozen=True)
class Candidate:
    """A proposed fix: the whole new file and the text edits that make it from the original.

    `changes` are offsets into the original source (what `Fix.edits` is made
    from); `origin` names the proposer ("search" for the edit generator,
    "model" for a language model).
    """

    source: str  # the whole modified module source
    kind: str  # edit kind, e.g. "comparison"; "pair" for two edits
    line: int  # 1-based line of the edit (the first edit's, for pairs)
    summary: str  # "`<` → `<=` on line 12"
    tokens_changed: int  # for ranking: fewer is better
    function: str  # qualname of the edited function
    changes: tuple[TextEdit, ...] = ()
    origin: Literal["search", "model"] = "search"


def edits_at(index: SiteIndex, line: int, context: CandidateContext) -> list[Edit]:
    """Every single edit at `line`, the likeliest kinds first (stable within a kind)."""
    edits = [
        edit
        for site in index.sites_at(line)
        for mutator in MUTATORS
        for edit in mutator(site, index, context)
    ]
    edits.sort(key=lambda edit: -KIND_PRIORS.get(edit.kind, 0.0))
    return edits


def generate_candidates(
    source: str,
    module: ModuleInfo,
    suspicious_lines: Sequence[tuple[int, float]],
    context: CandidateContext | None = None,
    *,
    pairs: bool = False,
) -> Iterator[Candidate]:
    """Distinct, syntactically valid edits of `source` at the suspicious lines, best first.

    `suspicious_lines` is (line, score), most suspicious first. With `pairs`,
    combinations of two of the best single edits at the top lines follow all
    single edits.
    """
    context = context or CandidateContext()
    try:
        index = SiteIndex(source, module, (line for line, _ in suspicious_lines))
    except cst.ParserSyntaxError:
        return
    seen = {source}
    pool: list[Edit] = []  # the best single edits of the top lines, for pairs
    pool_lines = 0
    done: set[int] = set()
    for line, _score in suspicious_lines:
        if line in done:
            continue
        done.add(line)
        emitted: list[Edit] = []
        for edit in edits_at(index, line, context):
            candidate = _candidate(source, seen, (edit,))
            if candidate is not None:
                emitted.append(edit)
                yield candidate
        if emitted and pool_lines < PAIR_LINES:
            pool += emitted[:PAIR_EDITS_PER_LINE]
            pool_lines += 1
    if pairs:
        yield from _pairs(source, seen, pool)


def _pairs(source: str, seen: set[str], pool: list[Edit]) -> Iterator[Candidate]:
    # Best-first by the sum of the two single edits' ranks.
    order = sorted(
        ((i, j) for i in range(len(pool)) for j in range(i + 1, len(pool))),
        key=lambda ij: (ij[0] + ij[1], ij[0]),
    )
    made = 0
    for i, j in order:
        if made >= MAX_PAIRS:
            return
        first, second = pool[i], pool[j]
        if overlaps(first.changes, second.changes):
            continue
        # Statement-level edits interact through blocks rather than text: two
        # deletions may empty a block, and a `return` inserted into a block that
        # was deleted (or replaced by `pass`) lands at a stale indentation.
        if first.kind in _BLOCK_EDITS and second.kind in _BLOCK_EDITS:
            continue
        candidate = _candidate(source, seen, (first, second))
        if candidate is not None:
            made += 1
            yield candidate


def _candidate(source: str, seen: set[str], edits: Sequence[Edit]) -> Candidate | None:
    changes = [change for edit in edits for change in edit.changes]
    new_source = apply_changes(source, changes)
    if new_source in seen:
        return None
    seen.add(new_source)
    first = edits[0]
    return Candidate(
        source=new_source,
        kind=first.kind if len(edits) == 1 else "pair",
        line=first.line,
        summary="; ".join(edit.summary for edit in edits),
        tokens_changed=sum(tokens_changed(edit.old, edit.new) for edit in edits),
        function=first.function,
        changes=tuple(changes),
    )
