"""Which edit kinds turn the development sets' buggy programs into their correct ones.

For every program, every single edit the candidate generator proposes at the
buggy lines is applied, and the result is compared with the correct program
as a syntax tree (docstrings removed, so formatting, comments, quotes and
redundant parentheses do not count). Nothing is run: this measures what the
generator can reach, not what tests accept, so it is exact and takes seconds.

The table it prints is what `KIND_PRIORS` in `debugger/repair/candidates.py`
is set from: per kind, the programs it fixes and the edits it proposes at the
buggy lines, whose ratio orders the kinds. It ends with the mean rank of the
fix in the candidate stream under the priors in the code and the measured
ones, the latter also with each program held out of its own priors.

    python benchmarks/edit_priors.py            # QuixBugs and MBPP seeds
    python benchmarks/edit_priors.py --no-mbpp  # QuixBugs only
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_data import BENCH_DIR, Program, mbpp, quixbugs  # noqa: E402

from mgdebug.analysis.functions import analyze_module  # noqa: E402
from mgdebug.debugger.repair.candidates import KIND_PRIORS, edits_at  # noqa: E402
from mgdebug.debugger.repair.context import CandidateContext  # noqa: E402
from mgdebug.debugger.repair.edits import Edit, apply_changes  # noqa: E402
from mgdebug.debugger.repair.sites import SiteIndex  # noqa: E402

# Smoothing: every kind starts with up to this many pseudo-fixes, shared out in
# the hand-set order, so a kind never seen keeps its place among the
# other unseen ones and below every kind seen once.
PSEUDO_FIXES = 0.5
# The order the priors had before any measurement, which the smoothing keeps for
# kinds never seen (fixed here, so rerunning the script does not feed on itself).
HAND_SET_ORDER = (
    "comparison",
    "off-by-one",
    "slice",
    "arithmetic",
    "augassign",
    "constant",
    "call-swap",
    "boolean",
    "unary",
    "negate-condition",
    "drop-condition",
    "variable",
    "swap-args",
    "swap-operands",
    "delete-term",
    "delete-statement",
    "insert-return",
    # Added after the first measurement, at the end so the kinds above keep
    # their places; among themselves, the likelier fix per edit first.
    "index-shift",
    "swap-elements",
    "unwrap-call",
    "collection",
    "attribute",
    "add-slice",
    "prepend",
)
# ... and this many pseudo-edits, so a kind seen rarely is not judged on a handful.
PSEUDO_EDITS = 10


def _without_docstrings(source: str) -> ast.Module:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


_MIRRORED: dict[type[ast.cmpop], type[ast.cmpop]] = {ast.Gt: ast.Lt, ast.GtE: ast.LtE}


def normalized(source: str) -> str | None:
    """The module's syntax tree without docstrings, as a comparable string.

    `a > b` is written `b < a`, so the comparison flip that mirrors `perm[j] < perm[i]`
    into `perm[j] > perm[i]` counts as the fix `perm[i] < perm[j]` that it is.
    """
    try:
        tree = _without_docstrings(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            mirrored = _MIRRORED.get(type(node.ops[0]))
            if mirrored is not None:
                node.left, node.comparators = node.comparators[0], [node.left]
                node.ops = [mirrored()]
    return ast.dump(tree, include_attributes=False)


def _one_region(buggy: str, correct: str) -> bool:
    """Whether the programs differ in one contiguous run of lines (a single edit's reach)."""
    a, b = (ast.unparse(_without_docstrings(s)).splitlines() for s in (buggy, correct))
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(tag != "equal" for tag, *_ in opcodes) <= 1


@dataclass
class Outcome:
    source: str
    fixing_kinds: set[str] = field(default_factory=set)
    per_line: list[list[Edit]] = field(default_factory=list)  # edits in generator order
    fixed_sources: set[str] = field(default_factory=set)


def examine(program: Program, correct: str) -> Outcome:
    source = program.source
    outcome = Outcome(source)
    target = normalized(correct)
    lines = sorted(program.buggy_lines)
    try:
        index = SiteIndex(source, analyze_module(source), lines)
    except Exception:  # a seed libcst cannot parse is simply out of reach
        return outcome
    context = CandidateContext()
    results: dict[str, bool] = {}
    for line in lines:
        edits = edits_at(index, line, context)
        outcome.per_line.append(edits)
        for edit in edits:
            new = apply_changes(source, edit.changes)
            if new not in results:
                results[new] = normalized(new) == target
            if results[new]:
                outcome.fixing_kinds.add(edit.kind)
                outcome.fixed_sources.add(new)
    return outcome


def stream_rank(outcome: Outcome, priors: Mapping[str, float]) -> int | None:
    """0-based position of the fix in the candidate stream ordered by `priors` (deduplicated)."""
    seen: set[str] = set()
    for edits in outcome.per_line:
        for edit in sorted(edits, key=lambda e: -priors.get(e.kind, 0.0)):
            new = apply_changes(outcome.source, edit.changes)
            if new in outcome.fixed_sources:
                return len(seen)
            seen.add(new)
    return None


def measure(pairs: Iterable[tuple[Program, str]]) -> tuple[list[Outcome], int]:
    """Outcomes of the programs a single edit could fix, and how many could not be."""
    outcomes = []
    apart = 0
    for program, correct in pairs:
        try:
            reachable = _one_region(program.source, correct)
        except SyntaxError:
            reachable = False
        if reachable:
            outcomes.append(examine(program, correct))
        else:
            apart += 1
    return outcomes, apart


def _records(name: str) -> dict[str, dict[str, str]]:
    key = "name" if name == "quixbugs" else "id"
    rows = (json.loads(raw) for raw in (BENCH_DIR / f"{name}.jsonl").read_text().splitlines())
    return {row[key]: row for row in rows}


def kind_table(outcomes: list[Outcome]) -> tuple[Counter[str], Counter[str]]:
    """Per kind: programs it fixes, and edits it proposes at the programs some edit fixes.

    Proposals are counted only where a fix was within reach: that is the
    competition a fixing edit has in the stream, and it keeps the many MBPP
    seeds no single edit fixes from swamping the exact QuixBugs numbers.
    """
    hits: Counter[str] = Counter()
    proposed: Counter[str] = Counter()
    for outcome in outcomes:
        if outcome.fixing_kinds:
            hits.update(outcome.fixing_kinds)
            for edits in outcome.per_line:
                proposed.update(edit.kind for edit in edits)
    return hits, proposed


def smoothed_priors(hits: Counter[str], proposed: Counter[str]) -> dict[str, float]:
    """Fixes per proposed edit, smoothed in the hand-set order, scaled so the best is 1.

    Per proposed edit rather than per program: the stream tries every edit of
    a kind before the next kind, so a kind that fixes as often but proposes ten
    times as many edits (variables) is worth a tenth as much per place in line.
    """
    order = list(HAND_SET_ORDER)
    raw = {
        kind: (hits[kind] + PSEUDO_FIXES * (len(order) - i) / len(order))
        / (proposed[kind] + PSEUDO_EDITS)
        for i, kind in enumerate(order)
    }
    top = max(raw.values())
    priors = {kind: round(value / top, 3) for kind, value in raw.items()}
    priors["pair"] = 0.0  # pairs come after all single edits whatever their kinds
    return priors


def report(title: str, outcomes: list[Outcome], apart: int, total: int) -> None:
    hits, proposed = kind_table(outcomes)
    fixed = sum(1 for o in outcomes if o.fixing_kinds)
    print(f"\n{title}: {total} programs, {apart} differing from the correct one in several places;")
    print(f"  {fixed} of {total} ({fixed / total:.1%}) become the correct program by one edit")
    print(f"  {'kind':18} {'fixes':>5} {'share':>6} {'proposed':>8} {'fixes/100 edits':>15}")
    unknown = (set(hits) | set(proposed)) - set(HAND_SET_ORDER)
    assert not unknown, f"add {sorted(unknown)} to HAND_SET_ORDER"
    for kind in sorted(set(hits) | set(proposed), key=lambda k: (-hits[k], -proposed[k])):
        share = hits[kind] / fixed if fixed else 0.0
        rate = 100 * hits[kind] / proposed[kind] if proposed[kind] else 0.0
        print(f"  {kind:18} {hits[kind]:5} {share:6.0%} {proposed[kind]:8} {rate:15.1f}")


def mean_rank(outcomes: list[Outcome], priors: Mapping[str, float]) -> float:
    ranks = [stream_rank(o, priors) for o in outcomes if o.fixing_kinds]
    known = [r for r in ranks if r is not None]
    return sum(known) / len(known) if known else float("nan")


def held_out_rank(outcomes: list[Outcome]) -> float:
    """Mean rank of each fix under priors measured on all the other programs."""
    ranks = []
    for outcome in outcomes:
        if outcome.fixing_kinds:
            rest = [o for o in outcomes if o is not outcome]
            rank = stream_rank(outcome, smoothed_priors(*kind_table(rest)))
            if rank is not None:
                ranks.append(rank)
    return sum(ranks) / len(ranks) if ranks else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-mbpp", action="store_true", help="QuixBugs only")
    args = parser.parse_args()

    solutions = _records("quixbugs")
    programs = quixbugs()
    every, apart = measure((p, solutions[p.id]["solution"]) for p in programs)
    report("QuixBugs", every, apart, len(programs))
    if not args.no_mbpp:
        seeds = _records("mbpp_seeds")
        programs = mbpp()
        seeded, apart = measure((p, seeds[p.id]["canonical_solution"]) for p in programs)
        report("MBPP seeds", seeded, apart, len(programs))
        every += seeded
    hits, proposed = kind_table(every)
    priors = smoothed_priors(hits, proposed)
    print("\nKIND_PRIORS:")
    for kind, value in sorted(priors.items(), key=lambda kv: -kv[1]):
        print(f'    "{kind}": {value},')
    print(
        "\nmean 0-based rank of the fix among the candidates at the buggy lines:\n"
        f"  priors in the code now {mean_rank(every, KIND_PRIORS):.1f}; "
        f"measured here {mean_rank(every, priors):.1f} "
        f"(each program held out of its own priors: {held_out_rank(every):.1f})"
    )


if __name__ == "__main__":
    main()
