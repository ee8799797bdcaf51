"""Hierarchical decomposition: splits proved equal in the real sandbox, fixes mapped back.

The model is the scripted HTTP endpoint; every "is it the same program"
question is answered by running both versions in the real sandbox.
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterator

import pytest
from support import failing_baseline

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.baseline import Baseline, Controls
from mgdebug.debugger.llm.client import ModelClient, ModelError, Usage
from mgdebug.debugger.llm.config import ModelConfig
from mgdebug.debugger.llm.decompose import (
    Decomposition,
    SpliceRefused,
    decompose,
    map_back,
    needs_decomposition,
    splice_decomposition,
)
from mgdebug.debugger.llm.decompose_inline import inline_helpers
from mgdebug.debugger.repair.candidates import Candidate
from mgdebug.debugger.sandbox.pool import Job

from .scripted_openai import Reply, ScriptedOpenAI

SOURCE = '''\
"""Grades."""


def summarize(scores, pass_mark=50):
    """Count, mean, best, worst and passing scores (at least `pass_mark`), as a dict.

    >>> summarize([40, 60, 80])
    {'count': 3, 'mean': 60.0, 'best': 80, 'worst': 40, 'passing': 2}
    >>> summarize([50, 90])
    {'count': 2, 'mean': 70.0, 'best': 90, 'worst': 50, 'passing': 2}
    """
    if not scores:
        raise ValueError("no scores")
    count = 0
    total = 0
    for score in scores:
        # every score counts once
        count += 1
        total += score
    mean = total / count
    best = scores[0]
    worst = scores[0]
    for score in scores:
        if score > best:
            best = score
        if score < worst:
            worst = score
    passing = 0
    if pass_mark is not None:
        for score in scores:
            if score > pass_mark:
                passing += 1
    summary = {}
    summary["count"] = count
    summary["mean"] = mean
    summary["best"] = best
    summary["worst"] = worst
    summary["passing"] = passing
    return summary
'''

HELPERS = '''\
def count_and_total(scores):
    """How many scores there are, and their sum."""
    count = 0
    total = 0
    for score in scores:
        # every score counts once
        count += 1
        total += score
    return count, total


def extremes(scores):
    """The best and the worst score."""
    best = scores[0]
    worst = scores[0]
    for score in scores:
        if score > best:
            best = score
        if score < worst:
            worst = score
    return best, worst


def count_passing(scores, pass_mark):
    """How many scores pass."""
    passing = 0
    for score in scores:
        if score > pass_mark:
            passing += 1
    return passing


def summarize(scores, pass_mark=50):
    """Summarize the scores."""
    if not scores:
        raise ValueError("no scores")
    count, total = count_and_total(scores)
    mean = total / count
    best, worst = extremes(scores)
    passing = 0
    if pass_mark is not None:
        passing = count_passing(scores, pass_mark)
    summary = {}
    summary["count"] = count
    summary["mean"] = mean
    summary["best"] = best
    summary["worst"] = worst
    summary["passing"] = passing
    return summary
'''


def answer(code: str) -> Reply:
    return Reply(f"Sure! Here is the function split into helpers:\n\n```python\n{code}```\n")


@pytest.fixture(scope="module")
def checking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Baseline, Controls]]:
    with failing_baseline(tmp_path_factory.mktemp("decompose") / "grades.py", SOURCE) as checked:
        yield checked


@pytest.fixture(scope="module")
def accepted(checking: tuple[Baseline, Controls]) -> Decomposition:
    """The equivalent split, accepted once and shared by the map-back tests."""
    server = ScriptedOpenAI().start()
    try:
        server.replies.append(answer(HELPERS))
        with client(server) as c:
            found = decompose(c, *checking, "summarize")
    finally:
        server.stop()
    assert found is not None
    return found


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def client(server: ScriptedOpenAI) -> ModelClient:
    return ModelClient(ModelConfig(name="m", url=server.url, timeout=5, retries=0))


def passes(checking: tuple[Baseline, Controls], source: str) -> bool:
    baseline, controls = checking
    results = controls.sandbox.run(Job(source, baseline.expectations))
    return all(r.status == "pass" for r in results)


def decomposed(
    endpoint: ScriptedOpenAI, checking: tuple[Baseline, Controls], *replies: Reply
) -> tuple[Decomposition | None, Usage]:
    """`summarize` decomposed with the model answering `replies`, one round each."""
    endpoint.replies += replies
    with client(endpoint) as c:
        found = decompose(c, *checking, "summarize", rounds=len(replies))
    return found, c.usage


def mapped(checking: tuple[Baseline, Controls], accepted: Decomposition, fixed: str) -> Candidate:
    """The candidate fix of the original that `fixed` (a fix of the split) maps back to."""
    candidate = map_back(checking[0], accepted, fixed)
    assert candidate is not None
    return candidate


def test_only_a_long_function_without_helpers_needs_decomposition() -> None:
    module = analyze_module(SOURCE, "grades.py")
    assert needs_decomposition(module, "summarize")
    split = analyze_module(HELPERS, "grades.py")
    assert not needs_decomposition(split, "summarize")  # it calls helpers of the file
    assert not needs_decomposition(split, "count_passing")  # short
    assert not needs_decomposition(module, "no_such_function")


def test_an_equivalent_decomposition_is_accepted_with_the_users_docstring(
    accepted: Decomposition,
) -> None:
    assert accepted.function == "summarize"
    assert accepted.helpers == ("count_and_total", "extremes", "count_passing")
    assert set(accepted.helpers) <= set(accepted.module.functions["summarize"].calls)
    assert accepted.source.startswith('"""Grades."""\n\n\ndef count_and_total(scores):')
    # The user's docstring (and its doctests) stays; the model's one-liner does not.
    assert ">>> summarize([50, 90])" in accepted.source
    assert "Summarize the scores." not in accepted.source
    assert accepted.module.functions["summarize"].docstring_line is not None


def test_a_decomposition_that_fixes_the_bug_on_the_way_is_rejected(
    checking: tuple[Baseline, Controls], endpoint: ScriptedOpenAI
) -> None:
    fixed = HELPERS.replace("if score > pass_mark:", "if score >= pass_mark:")
    found, usage = decomposed(endpoint, checking, answer(fixed))
    assert found is None
    assert usage.parse_failures == 0  # a readable answer, only not the same program


def test_a_difference_only_extra_inputs_show_is_rejected(
    checking: tuple[Baseline, Controls], endpoint: ScriptedOpenAI
) -> None:
    # Same on every doctest, but `summarize([])` would no longer raise ValueError:
    # only the perturbed inputs (the observed calls with an argument emptied) show it.
    subtle = HELPERS.replace('raise ValueError("no scores")', 'raise LookupError("no scores")')
    assert decomposed(endpoint, checking, answer(subtle))[0] is None


def test_a_second_round_tells_the_model_the_first_difference(
    checking: tuple[Baseline, Controls], endpoint: ScriptedOpenAI
) -> None:
    fixed = HELPERS.replace("if score > pass_mark:", "if score >= pass_mark:")
    found, _ = decomposed(endpoint, checking, answer(fixed), answer(HELPERS))
    assert found is not None and found.helpers[-1] == "count_passing"
    follow_up = endpoint.chat_requests()[1].body["messages"][-1]["content"]
    assert "for `summarize([50, 90])`" in follow_up
    assert "'passing': 1}, yours gives" in follow_up


def test_a_decomposition_that_changes_the_signature_is_rejected(
    checking: tuple[Baseline, Controls], endpoint: ScriptedOpenAI
) -> None:
    renamed = HELPERS.replace("def summarize(scores, pass_mark=50):", "def summarize(xs, m=50):")
    assert decomposed(endpoint, checking, answer(renamed.replace("(scores", "(xs")))[0] is None


def test_garbage_gives_none_and_a_counted_parse_failure(
    checking: tuple[Baseline, Controls], endpoint: ScriptedOpenAI
) -> None:
    garbage = Reply("I would split it into three helpers: one for the totals...")
    found, usage = decomposed(endpoint, checking, garbage)
    assert found is None
    assert usage.parse_failures == 1


def test_cancelling_the_run_cancels_the_request(
    checking: tuple[Baseline, Controls], endpoint: ScriptedOpenAI
) -> None:
    baseline, controls = checking
    stop = threading.Event()
    stop.set()
    endpoint.replies.append(Reply(HELPERS, delay=5.0))
    with client(endpoint) as c, pytest.raises(ModelError) as raised:
        decompose(c, baseline, Controls(controls.sandbox, stop), "summarize")
    assert raised.value.kind == "cancelled"


def test_a_one_line_fix_in_a_helper_is_a_one_line_edit_of_the_original(
    checking: tuple[Baseline, Controls], accepted: Decomposition
) -> None:
    wrong, right = "        if score > pass_mark:", "        if score >= pass_mark:"
    candidate = mapped(checking, accepted, accepted.source.replace(wrong, right))
    # Re-indented to the original's depth (inside `if pass_mark is not None:`).
    assert candidate.source == SOURCE.replace(
        "            if score > pass_mark:", "            if score >= pass_mark:"
    )
    assert len(candidate.changes) == 1
    assert candidate.line == SOURCE.splitlines().index("            if score > pass_mark:") + 1
    assert candidate.kind == "model" and candidate.origin == "model"
    assert candidate.summary.startswith("`if score > pass_mark:` → `if score >= pass_mark:`")
    assert passes(checking, candidate.source)


def test_an_unmappable_fix_is_a_labelled_whole_function_replacement(
    checking: tuple[Baseline, Controls], accepted: Decomposition
) -> None:
    # `return passing` is a line the split introduced: the original has no such line.
    fixed = accepted.source.replace(
        "    return passing\n",
        "    return passing + sum(1 for score in scores if score == pass_mark)\n",
    )
    candidate = mapped(checking, accepted, fixed)
    assert candidate.kind == "model-rewrite" and candidate.origin == "model"
    assert "whole-function replacement of `summarize`" in candidate.summary
    # Inlined back into one function: no helper is left, the user's docstring is.
    module = analyze_module(candidate.source, "grades.py")
    assert set(module.functions) == {"summarize"}
    assert candidate.source.count(">>> summarize(") == 2
    assert passes(checking, candidate.source)


def test_a_fix_that_cannot_be_inlined_keeps_the_helpers_labelled_as_such(
    checking: tuple[Baseline, Controls], accepted: Decomposition
) -> None:
    # An early return in a helper whose result is assigned: not mechanical to inline.
    fixed = accepted.source.replace(
        '    """How many scores pass."""\n',
        '    """How many scores pass."""\n    if not scores:\n        return 0\n',
    ).replace("        if score > pass_mark:", "        if score >= pass_mark:")
    candidate = mapped(checking, accepted, fixed)
    assert candidate.kind == "model-decomposed"
    assert "whole-function replacement of `summarize`" in candidate.summary
    assert "`count_passing`" in candidate.summary
    assert candidate.source == fixed
    assert passes(checking, candidate.source)


def test_an_unchanged_file_maps_to_no_candidate(
    checking: tuple[Baseline, Controls], accepted: Decomposition
) -> None:
    assert map_back(checking[0], accepted, accepted.source) is None


def test_a_fix_spanning_more_lines_keeps_the_original_indentation(
    checking: tuple[Baseline, Controls], accepted: Decomposition
) -> None:
    fixed = accepted.source.replace(
        "        if score > pass_mark:\n",
        "        # the mark itself passes\n        if score >= pass_mark:\n",
    )
    candidate = mapped(checking, accepted, fixed)
    assert candidate.kind == "model"
    assert candidate.source == SOURCE.replace(
        "            if score > pass_mark:\n",
        "            # the mark itself passes\n            if score >= pass_mark:\n",
    )


def split(source: str, helpers: tuple[str, ...]) -> Decomposition:
    return Decomposition(source, analyze_module(source), "main", helpers)


def test_a_returned_helper_call_is_inlined_with_its_own_returns() -> None:
    source = code('''
        def pick(xs, limit):
            """The first item over the limit."""
            for x in xs:
                if x > limit:
                    return x
            return None


        def main(xs, limit=3):
            """Doc."""
            xs = sorted(xs)
            return pick(xs, limit)
        ''')
    inlined = inline_helpers(split(source, ("pick",)), source)
    assert inlined == code('''
        def main(xs, limit=3):
            """Doc."""
            xs = sorted(xs)
            for x in xs:
                if x > limit:
                    return x
            return None
        ''')


def test_a_helper_whose_names_would_mix_with_the_functions_is_not_inlined() -> None:
    # `total` is a global in the helper and a local of the function.
    source = code("""
        total = 10


        def scaled(x):
            return x * total


        def main(x):
            total = 0
            y = scaled(x)
            return y + total
        """)
    assert inline_helpers(split(source, ("scaled",)), source) is None


SMALL = code('''
    """Tools."""

    LIMIT = 3


    def other():
        return LIMIT


    @staticmethod
    def main(xs):
        """Doc."""
        kept = [x for x in xs if x < LIMIT]
        return sum(kept)
    ''')


def test_an_answer_with_the_whole_file_splices_only_the_new_helpers() -> None:
    answer_code = code('''
        """Tools."""
        import math

        LIMIT = 3


        def other():
            return LIMIT


        def small_ones(xs):
            """The items under the limit."""
            return [x for x in xs if x < LIMIT]


        def main(xs):
            """A new docstring."""
            return math.fsum(small_ones(xs))


        if __name__ == "__main__":
            print(main([1, 5]))
        ''')
    source, helpers = splice_decomposition(SMALL, analyze_module(SMALL), "main", answer_code)
    assert helpers == ("small_ones",)
    assert source == code('''
        """Tools."""
        import math

        LIMIT = 3


        def other():
            return LIMIT


        def small_ones(xs):
            """The items under the limit."""
            return [x for x in xs if x < LIMIT]


        @staticmethod
        def main(xs):
            """Doc."""
            return math.fsum(small_ones(xs))
        ''')


def test_a_helper_that_would_replace_a_name_of_the_file_is_refused() -> None:
    answer_code = code("""
        def other(xs):
            return [x for x in xs if x < LIMIT]


        def main(xs):
            return sum(other(xs))
        """)
    with pytest.raises(SpliceRefused):
        splice_decomposition(SMALL, analyze_module(SMALL), "main", answer_code)
