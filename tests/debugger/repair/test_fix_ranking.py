"""Checked fixes rank so that the one a person would write comes first.

Fixes rank by size and suspicion as before, except that the plain form of
an identity-slice or identity-arithmetic variant (`prices` for `prices[0:]`)
and the deletion of a short wrong term (`n` for `n + 1`) take the place of
the edit they stand for; the variants rank after every other fix, still
counted. One real sandbox check (the issue's
`total_of`); the rest rank the generator's own candidates (or a model-like
edit) as if they had passed, which needs no run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from repair_support import candidates, code, line_of
from support import failing_baseline

from mgdebug.debugger.repair.candidates import Candidate
from mgdebug.debugger.repair.check import SearchOutcome, check_candidates
from mgdebug.debugger.repair.edits import TextEdit, apply_changes
from mgdebug.debugger.repair.proposers import EditProposer
from mgdebug.debugger.repair.simplicity import Ranked, plain_form, rank_passing

TOTAL_OF = code(
    '''
    def total_of(prices):
        """
        >>> total_of([1, 2, 3])
        6
        """
        s = 0
        for p in prices[1:]:
            s += p
        return s
    '''
)
LOOP = "for p in prices[1:]:"


@pytest.fixture(scope="module")
def total_of_outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchOutcome]:
    path = tmp_path_factory.mktemp("ranking") / "total.py"
    with failing_baseline(path, TOTAL_OF) as (baseline, controls):
        lines = [(line_of(TOTAL_OF, LOOP), 1.0), (line_of(TOTAL_OF, "s = 0"), 0.9)]
        yield check_candidates(baseline, controls, lines, [EditProposer(lines)])


def test_the_plain_sequence_is_the_top_fix_of_a_loop_that_skips_the_first_price(
    total_of_outcome: SearchOutcome,
) -> None:
    top = total_of_outcome.fixes[0]
    assert top.source == TOTAL_OF.replace(LOOP, "for p in prices:")
    assert top.summary == f"delete `[1:]` on line {line_of(TOTAL_OF, LOOP)}"


def test_identity_slices_that_pass_rank_after_every_other_fix_and_name_their_plain_form(
    total_of_outcome: SearchOutcome,
) -> None:
    fixes = total_of_outcome.fixes
    loops = [f.source.splitlines()[line_of(TOTAL_OF, LOOP) - 1].strip() for f in fixes]
    # `s = 1` passes the one doctest too: a different change, so it ranks before the variants.
    assert loops[:2] == ["for p in prices:", LOOP]
    assert "s = 1" in fixes[1].source
    assert sorted(loops[2:]) == ["for p in prices[0:]:", "for p in prices[:]:"]
    for variant in fixes[2:]:
        assert variant.note.startswith("fix 1, written with the identity slice `prices[")
    assert fixes[0].note == fixes[1].note == ""


def test_every_passing_edit_is_still_counted_as_an_alternative(
    total_of_outcome: SearchOutcome,
) -> None:
    stats = total_of_outcome.stats
    assert stats.passing_edits == len(total_of_outcome.fixes) == 4
    assert all(f.alternatives == 3 for f in total_of_outcome.fixes)
    assert stats.message.startswith("4 different edits pass every expectation")


# --- ranking the generator's candidates as if they had passed (no run needed) ----------


def _ranked(source: str, chosen: list[Candidate], line: str) -> list[Ranked]:
    return rank_passing(source, chosen, {line_of(source, line): 1.0})


def _passing(source: str, line: str, *fixed_lines: str) -> list[Candidate]:
    """The generator's candidates at `line` that turn it into each of `fixed_lines`."""
    number = line_of(source, line)
    size = len(source.splitlines())
    found = {
        c.source.splitlines()[number - 1].strip(): c
        for c in candidates(source, [line])
        if len(c.source.splitlines()) == size  # not a deleted or inserted line
    }
    return [found[fixed] for fixed in fixed_lines]


def test_deleting_a_wrong_term_ranks_before_rewriting_it() -> None:
    source = code(
        """
        def last_index(n):
            return n - 1
        """
    )
    chosen = _passing(source, "return n - 1", "return n + 1", "return n")
    ranked = _ranked(source, chosen, "return n - 1")
    assert [chosen[r.index].source.splitlines()[1].strip() for r in ranked] == [
        "return n",
        "return n + 1",
    ]
    assert all(r.plain_form is None for r in ranked)  # different programs: no variants


def test_the_smaller_edit_on_the_more_suspicious_line_still_ranks_first() -> None:
    source = code(
        """
        def f(xs, k):
            ys = xs[1:]
            return len(ys) < k
        """
    )
    plain = _passing(source, "ys = xs[1:]", "ys = xs")
    smaller = _passing(source, "return len(ys) < k", "return len(ys) <= k")
    chosen = plain + smaller
    suspicion = {line_of(source, "ys ="): 0.5, line_of(source, "return"): 1.0}
    ranked = rank_passing(source, chosen, suspicion)
    assert [r.index for r in ranked] == [1, 0]


def test_an_identity_slice_alone_is_a_fix_like_any_other() -> None:
    chosen = _passing(TOTAL_OF, LOOP, "for p in prices[:]:")
    assert rank_passing(TOTAL_OF, chosen, {}) == [Ranked(0)]


def _model_edit(source: str, old: str, new: str) -> Candidate:
    start = source.index(old)
    changes = (TextEdit(start, start + len(old), new),)
    return Candidate(
        source=apply_changes(source, changes),
        kind="model",
        line=source[:start].count("\n") + 1,
        summary=f"`{old}` → `{new}`",
        tokens_changed=1,
        function="scale",
        changes=changes,
        origin="model",
    )


@pytest.mark.parametrize("identity", ["x * 1", "1 * x", "x + 0", "x - 0", "x // 1", "x ** 1"])
def test_identity_arithmetic_ranks_after_the_plain_term(identity: str) -> None:
    source = "def scale(x):\n    return x * 2\n"
    # Written first and smaller by the search's count, the identity still goes last.
    chosen = [_model_edit(source, "x * 2", identity), _model_edit(source, "x * 2", "x")]
    ranked = rank_passing(source, chosen, {})
    assert ranked == [Ranked(1), Ranked(0, plain_form=1, written=identity)]


@pytest.mark.parametrize(
    ("expression", "identities"),
    [
        ("xs[0:len(xs)]", ["xs[0:len(xs)]"]),
        ("xs[::1]", ["xs[::1]"]),
        ("xs[0:len(ys)]", []),
        ("xs[1:]", []),
        ("x / 1", []),  # an int becomes a float
        ("x + False", []),
        ("(x + 0) * 1", ["x + 0", "x * 1"]),
    ],
)
def test_plain_form_rewrites_only_true_identities(expression: str, identities: list[str]) -> None:
    form = plain_form(f"y = {expression}\n")
    assert form is not None and form[1] == identities


def test_a_slice_written_to_is_not_deleted() -> None:
    source = code(
        """
        def clear_tail(xs):
            xs[1:] = []
            return xs
        """
    )
    assert all("    xs = []" not in c.source for c in candidates(source, ["xs[1:] = []"]))


def test_a_wrong_optional_argument_can_be_dropped() -> None:
    source = code(
        """
        def f(x, d, k, xs):
            return round(x, 2), d.get(k, 0), sorted(xs, key=len), max(x, 2)
        """
    )
    returned = {
        c.source.splitlines()[1].strip() for c in candidates(source, [2]) if c.kind == "delete-term"
    }
    assert "return round(x), d.get(k, 0), sorted(xs, key=len), max(x, 2)" in returned
    assert "return round(x, 2), d.get(k), sorted(xs, key=len), max(x, 2)" in returned
    assert "return round(x, 2), d.get(k, 0), sorted(xs), max(x, 2)" in returned
    # `max(x)` is no call to the same thing with one argument less.
    assert not any("max(x)" in line for line in returned)


def test_a_whole_clause_deleted_does_not_take_the_place_of_one_name_fixed_in_it() -> None:
    source = code(
        """
        def ready(a, c, k, b):
            return len(a) > k and b
        """
    )
    chosen = _passing(source, "return len", "return b", "return len(c) > k and b")
    ranked = _ranked(source, chosen, "return len")
    assert [r.index for r in ranked] == [1, 0]


def test_a_deleted_statement_does_not_take_the_place_of_a_rewrite_of_it() -> None:
    source = code(
        """
        def total(xs):
            s = 0
            for x in xs:
                s += x
            return s
        """
    )
    line = line_of(source, "s += x")
    found = candidates(source, ["s += x"])
    deleted = next(c for c in found if c.kind == "delete-statement" and c.line == line)
    rewritten = next(c for c in found if "s -= x" in c.source)
    ranked = _ranked(source, [deleted, rewritten], "s += x")
    assert [r.index for r in ranked] == [1, 0]
