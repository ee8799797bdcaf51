"""Localization.rerank: weighted evidence from several sources ranks the lines again."""

from __future__ import annotations

import textwrap

import pytest

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.localize.blame import (
    MUTATION_WEIGHT,
    Evidence,
    Localization,
    mutation_evidence,
)
from mgdebug.debugger.results import ExpectationResult

SOURCE = textwrap.dedent(
    """\
    def score(xs):
        total = 0
        for x in xs:
            total += x
        return total
    """
)
# Every expectation runs every line: the spectrum ties them all.
SPECTRUM = {2: 0.5, 3: 0.5, 4: 0.5, 5: 0.5}
MUTATION = {2: 0.1, 3: 0.2, 4: 0.9, 5: 0.4}


def localization() -> Localization:
    loc = Localization(analyze_module(SOURCE, "score.py"), max_suspects=10)
    loc.ochiai = dict(SPECTRUM)
    loc.scope_lines = dict.fromkeys(SPECTRUM, "score")
    loc.failing = [ExpectationResult(expectation_id="e1", status="fail", actual="7")]
    return loc


def test_mutation_evidence_weighs_as_the_mutation_pass_always_did() -> None:
    loc = localization()
    loc.rerank([mutation_evidence(MUTATION)])
    expected = {
        line: MUTATION_WEIGHT * MUTATION[line] + (1 - MUTATION_WEIGHT) * SPECTRUM[line]
        for line in SPECTRUM
    }
    assert [s.line for s in loc.suspects] == [4, 5, 3, 2]
    assert {s.line: s.score for s in loc.suspects} == {
        line: round(score, 4) for line, score in expected.items()
    }
    top = loc.suspects[0]
    assert top.reason == (
        "judged on 1 failing run(s); edits here change the failing runs (metallaxis 0.90)"
    )


def test_evidence_from_several_sources_adds_up_by_weight() -> None:
    loc = localization()
    model = Evidence("model", 0.2, {2: 1.0}, "a model points here ({score:.1f})")
    loc.rerank([mutation_evidence(MUTATION), model])
    scores = {s.line: s.score for s in loc.suspects}
    # Line 2: 0.3 * 0.1 + 0.2 * 1.0 + 0.5 * 0.5; line 4: 0.3 * 0.9 + 0 + 0.5 * 0.5.
    assert scores[2] == pytest.approx(0.48) and scores[4] == pytest.approx(0.52)
    assert [s.line for s in loc.suspects][:2] == [4, 2]
    reason = next(s.reason for s in loc.suspects if s.line == 2)
    assert reason.endswith("metallaxis 0.10); a model points here (1.0)")


def test_no_evidence_keeps_the_spectrum_scores() -> None:
    loc = localization()
    loc.rerank([])
    assert {s.line: s.score for s in loc.suspects} == SPECTRUM
    assert all(s.reason == "judged on 1 failing run(s)" for s in loc.suspects)
