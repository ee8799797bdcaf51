"""What the model said is labelled as its opinion wherever the editor shows it, and
what execution checked is not (server/lsp/diagnostics.py, hover.py, documents.py;
no server: the functions that build the messages, on a real analysis).
"""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import TextDocument

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.report import (
    FailureEvidence,
    Fix,
    FixEdit,
    FunctionReport,
    ModelSummary,
    Report,
    Suspect,
)
from mgdebug.server.lsp import diagnostics, hover
from mgdebug.server.lsp.documents import ingest

from .model_support import COUNT_VOWELS

PATH = "/project/vowels.py"
URI = "file:///project/vowels.py"


def failure(kind: str) -> FailureEvidence:
    return FailureEvidence("e1", 'count_vowels("sky")', PATH, 6, kind, "fail", "0", "3", "", "")


def report(model_message: str = "") -> Report:
    function = FunctionReport(
        "count_vowels",
        1,
        10,
        "fail",
        failed=2,
        failures=[failure("doctest"), failure("model")],
        explanation="It counts every letter.",
    )
    suspect = Suspect("count_vowels", 9, 0.8, "judged on 2 runs", model_reason="model: all wrong")
    fix = Fix(
        "count_vowels",
        COUNT_VOWELS,
        "",
        True,
        "model",
        "rewrite of line 9",
        passed=2,
        total=2,
        edits=[FixEdit(8, 4, 8, 21, "count = 0")],
    )
    return Report(
        path=PATH,
        functions=[function],
        suspects=[suspect],
        fixes=[fix],
        model=ModelSummary("m", "http://x", "mgdebug", message=model_message),
    )


def test_explanations_verdicts_and_model_written_expectations_are_labelled() -> None:
    snapshot = ingest(report(), analyze_module(COUNT_VOWELS))
    doc = TextDocument(URI, COUNT_VOWELS)
    found = diagnostics.build(doc, snapshot, None)
    failing = next(d for d in found if d.code == "failing-function")
    assert failing.message.endswith(
        "\nmodel's explanation (its opinion, not checked): It counts every letter."
    )
    related = [r.message for r in failing.related_information or []]
    assert related[0] == 'count_vowels("sky"): expected 0, got 3', "the user's: no label"
    assert related[1] == 'count_vowels("sky") (model-written): expected 0, got 3'
    assert "model (its opinion, not checked): all wrong" in related, "no doubled 'model:'"
    suspect = next(d for d in found if d.code == "likely-location")
    assert "all wrong" not in suspect.message, "the line's own message is what execution showed"
    assert any("its opinion" in r.message for r in suspect.related_information or [])


def test_the_hover_shows_the_verdict_on_its_line_and_the_explanation_on_the_def() -> None:
    snapshot = ingest(report(), analyze_module(COUNT_VOWELS))
    doc = TextDocument(URI, COUNT_VOWELS)
    on_line = hover.hover(doc, snapshot, types.Position(8, 4))
    assert on_line is not None and isinstance(on_line.contents, types.MarkupContent)
    assert "_model (its opinion, not checked): all wrong_" in on_line.contents.value
    on_def = hover.hover(doc, snapshot, types.Position(0, 2))
    assert on_def is not None and isinstance(on_def.contents, types.MarkupContent)
    assert "model's explanation (its opinion, not checked)" in on_def.contents.value
    assert hover.hover(doc, snapshot, types.Position(3, 4)) is None, "nothing said about line 4"


def test_a_model_fix_says_it_came_from_the_model_and_was_checked() -> None:
    snapshot = ingest(report(), analyze_module(COUNT_VOWELS))
    fix = snapshot.functions["count_vowels"].fixes[0]
    assert fix.title == (
        "mgdebug: rewrite of line 9 (the model's fix, checked: passes 2/2 expectations)"
    )


def test_only_a_run_whose_model_answered_counts_as_seen_by_the_model() -> None:
    module = analyze_module(COUNT_VOWELS)
    assert ingest(report(), module).functions["count_vowels"].with_model
    down = ingest(report("cannot reach http://x"), module)
    assert not down.functions["count_vowels"].with_model, "the next save asks again"
