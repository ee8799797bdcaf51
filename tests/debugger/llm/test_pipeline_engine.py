"""The model wired into the engine: real runs, the real sandbox, a scripted OpenAI endpoint.

Each test drives `debug(DebugRequest(...))` with a model configured and a
`responder` that answers by prompt kind, the way a real model would be asked.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mgdebug.debugger.engine import Cancelled, DebugRequest, debug
from mgdebug.debugger.llm.config import ModelConfig
from mgdebug.debugger.options import DebugOptions, ModelOptions
from mgdebug.debugger.report import Report

from .scripted_openai import Reply, ScriptedOpenAI

Responder = Callable[[str, list[dict[str, str]]], str]


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedOpenAI]:
    started = ScriptedOpenAI().start()
    yield started
    started.stop()


def kind_of(prompt: str) -> str:
    for marker, kind in (
        ("test cases that pin down", "cases"),
        ("say whether it behaved correctly", "verdicts"),
        ("Simulate, block by block", "simulate"),
        ("Write the corrected function", "fix"),
        ("Your fix was run against the tests", "retry"),
        ("explain why it fails", "explain"),
        ("Which fix matches the intent", "judge"),
        ("Split it into a few smaller helper functions", "decompose"),
    ):
        if marker in prompt:
            return kind
    return "other"


def answering(answers: dict[str, Any]) -> Callable[[dict[str, Any]], Reply]:
    """A responder: `answers[kind]` is a string, or a function of the messages."""

    def respond(body: dict[str, Any]) -> Reply:
        messages = body["messages"]
        kind = kind_of(messages[-1]["content"])
        answer = answers.get(kind, "I am not sure.")
        if callable(answer):
            answer = answer(messages)
        if isinstance(answer, Reply):
            return answer
        return Reply(answer)

    return respond


def run(
    server: ScriptedOpenAI,
    source: str,
    answers: dict[str, Any] | None,
    *,
    strategy: str = "mgdebug",
    max_calls: int = 20,
    url: str | None = None,
    cancel: threading.Event | None = None,
    search: bool = True,
) -> Report:
    server.requests.clear()
    server.replies.clear()
    server.responder = answering(answers or {})
    config = ModelConfig(name="scripted-model", url=url or server.url, timeout=5, retries=0)
    model = ModelOptions(
        config=config,
        strategy=strategy,  # type: ignore[arg-type]
        max_calls=max_calls,
        use_cache=False,
    )
    options = DebugOptions(model=model, mutation_seconds=0, search_seconds=5, search_fixes=search)
    return debug(DebugRequest(source, "calc.py", options, cancel=cancel))


def fenced(code: str) -> str:
    return f"Here is the corrected function:\n```python\n{code}```\n"


def kinds(server: ScriptedOpenAI) -> list[str]:
    return [kind_of(r.body["messages"][-1]["content"]) for r in server.chat_requests()]


# A bug no single small edit fixes: the fix inserts a statement.
SKIP_NONE = '''def total(xs):
    """Sum of the numbers in `xs`, skipping None.

    >>> total([1, None, 2])
    3
    >>> total([4])
    4
    """
    result = 0
    for x in xs:
        result += x
    return result
'''
SKIP_NONE_FIX = """def total(xs):
    result = 0
    for x in xs:
        if x is None:
            continue
        result += x
    return result
"""


def test_a_model_fix_the_search_cannot_find_comes_out_checked(server: ScriptedOpenAI) -> None:
    report = run(server, SKIP_NONE, {"fix": fenced(SKIP_NONE_FIX)}, strategy="ldb")
    model_fixes = [f for f in report.fixes if f.origin == "model"]
    assert model_fixes and model_fixes[0].validated
    assert "if x is None:" in model_fixes[0].source
    assert '"""Sum of the numbers in `xs`, skipping None.' in model_fixes[0].source
    assert report.fixes[0] is model_fixes[0]
    assert report.model is not None and "fix" in report.model.steps
    assert report.model.usage["calls"] == len(server.chat_requests())


def test_a_wrong_model_fix_is_retried_with_its_failures_and_never_shown(
    server: ScriptedOpenAI,
) -> None:
    wrong = SKIP_NONE_FIX.replace("continue", "x = 1")
    report = run(
        server,
        SKIP_NONE,
        {"fix": fenced(wrong), "retry": fenced(SKIP_NONE_FIX)},
        strategy="ldb",
    )
    retry = next(r for r in server.chat_requests() if "Your fix was run" in str(r.body))
    assert "expected 3, got 4" in retry.body["messages"][-1]["content"]
    assert all("x = 1" not in f.source for f in report.fixes)
    assert any(f.origin == "model" and "continue" in f.source for f in report.fixes)
    assert "after 2 answers" in next(f.note for f in report.fixes if f.origin == "model")


OFF_BY_ONE = '''def total(xs):
    """Sum of the numbers in `xs`.

    >>> total([1, 2, 3])
    6
    """
    result = 0
    # add them up
    for x in xs[1:]:
        result += x
    return result
'''


def test_a_rewrite_with_a_cosmetic_change_is_shrunk_to_the_fix(server: ScriptedOpenAI) -> None:
    # A fix the edit search does not make (it finds `xs[1:]` → `xs`, which would
    # agree with the model's and stand in for it).
    rewrite = (
        "def total(xs):\n    result = 0  # the running sum\n    # add them up\n"
        "    for x in xs[1:]:\n        result += x\n    return result + xs[0]\n"
    )
    report = run(server, OFF_BY_ONE, {"fix": fenced(rewrite)}, strategy="ldb")
    model_fix = next(f for f in report.fixes if f.origin == "model")
    assert "return result + xs[0]" in model_fix.source
    assert "running sum" not in model_fix.source
    assert "shrunk to 1 of 2 changed hunk(s)" in model_fix.note
    assert model_fix.diff.count("\n-") == 1  # one line changed


HELPER = '''def clamp(x, low, high):
    return max(low, min(x, low))


def scale(xs):
    """Each number clamped to 0..10.

    >>> scale([5, 20, -3])
    [5, 10, 0]
    """
    return [clamp(x, 0, 10) for x in xs]
'''


def cases(*pairs: tuple[str, str]) -> str:
    return json.dumps({"cases": [{"call": c, "expected": e} for c, e in pairs]})


def test_generated_cases_judge_an_untested_helper_and_blame_it(server: ScriptedOpenAI) -> None:
    answers = {"cases": cases(("clamp(5, 0, 10)", "5"), ("clamp(20, 0, 10)", "10"))}
    report = run(server, HELPER, answers)
    clamp = next(f for f in report.functions if f.name == "clamp")
    assert clamp.status == "fail" and clamp.blamed
    assert "model-written" in clamp.blame_reason
    assert all(f.origin_kind == "model" for f in clamp.failures)
    assert report.suspects[0].function == "clamp"
    assert any(e.origin.kind == "model" for e in report.expectations)
    assert "return max(low, min(x, high))" in report.fixes[0].source
    assert "passes 2/2 model-written expectations" in report.fixes[0].note


USER_SAYS = '''def double(x):
    return x + x


def quad(x):
    """
    >>> quad(2)
    7
    """
    return double(double(x))
'''


def test_a_case_contradicting_the_users_expectation_is_dropped(server: ScriptedOpenAI) -> None:
    answers = {"cases": cases(("quad(2)", "8"), ("double(3)", "6"))}
    report = run(server, USER_SAYS, answers, search=False)
    model_calls = [e.call for e in report.expectations if e.origin.kind == "model"]
    assert "quad(2)" not in model_calls
    assert "double(3)" in model_calls


TWO_PLACES = '''def pick(xs):
    """The largest number in `xs`.

    >>> pick([3, 1, 2])
    3
    """
    best = xs[0]
    for x in xs:
        if x < best:
            best = x
    return best
'''


def verdicts_against(line: int) -> Callable[[list[dict[str, str]]], str]:
    """Judge wrong the block holding `line` (as the prompt's trace lists it)."""

    def answer(messages: list[dict[str, str]]) -> str:
        blocks = []
        for text in messages[-1]["content"].splitlines():
            if text.startswith("[block "):
                index, span = text[7:].split(", lines ")[0], text.split("lines ")[1].split(",")[0]
                start, end = (int(n) for n in span.split("-"))
                wrong = start <= line <= end
                blocks.append(
                    {
                        "block": int(index),
                        "verdict": "wrong" if wrong else "correct",
                        "reason": "keeps the smaller number" if wrong else "fine",
                    }
                )
        return json.dumps({"blocks": blocks})

    return answer


def test_block_verdicts_move_a_line_up_and_give_their_reason(server: ScriptedOpenAI) -> None:
    offline = debug(
        DebugRequest(TWO_PLACES, "calc.py", DebugOptions(mutation_seconds=0, search_fixes=False))
    )
    target = 10  # `best = x`, in the block the model judges wrong
    assert offline.suspects[0].line != target  # the spectrum alone ties the loop's lines
    report = run(server, TWO_PLACES, {"verdicts": verdicts_against(target)}, search=False)
    top = report.suspects[0]
    assert top.line == target and top.score > report.suspects[2].score
    assert top.model_reason == "model: lines 9-10 wrong — keeps the smaller number"
    assert all(not s.model_reason for s in report.suspects if s.line not in (9, 10))


def test_an_endpoint_that_is_down_leaves_the_offline_result(server: ScriptedOpenAI) -> None:
    offline = debug(DebugRequest(OFF_BY_ONE, "calc.py", DebugOptions(mutation_seconds=0)))
    report = run(server, OFF_BY_ONE, {}, url="http://127.0.0.1:9/v1")
    assert [f.source for f in report.fixes] == [f.source for f in offline.fixes]
    assert [s.line for s in report.suspects] == [s.line for s in offline.suspects]
    assert report.model is not None
    assert "cannot reach" in report.model.message and "\n" not in report.model.message
    assert report.model.usage["failed"] == 1


def test_garbage_answers_change_nothing_and_are_counted(server: ScriptedOpenAI) -> None:
    offline = debug(DebugRequest(OFF_BY_ONE, "calc.py", DebugOptions(mutation_seconds=0)))
    report = run(server, OFF_BY_ONE, {})  # every answer is prose
    assert [f.source for f in report.fixes] == [f.source for f in offline.fixes]
    assert report.model is not None and report.model.usage["parse_failures"] >= 1
    follow_ups = [r.body["messages"][-1]["content"] for r in server.chat_requests()]
    assert any(
        text.startswith("Your answer could not be used: no fenced code block")
        for text in follow_ups
    )
    assert not any(text.startswith("Your fix was run") for text in follow_ups)
    assert all(f.explanation == "I am not sure." or not f.explanation for f in report.functions)


def test_the_call_budget_is_respected(server: ScriptedOpenAI) -> None:
    wrong = SKIP_NONE_FIX.replace("continue", "x = 1")
    report = run(server, SKIP_NONE, {"fix": fenced(wrong), "retry": fenced(wrong)}, max_calls=2)
    assert len(server.chat_requests()) == 2
    assert report.model is not None and "budget of 2 calls" in report.model.message


def test_cancelling_mid_request_stops_the_run(server: ScriptedOpenAI) -> None:
    cancel = threading.Event()

    def slow(messages: list[dict[str, str]]) -> Reply:
        threading.Timer(0.3, cancel.set).start()  # the user cancels while the model thinks
        return Reply("```python\npass\n```", delay=5.0)

    started = time.monotonic()
    with pytest.raises(Cancelled):
        run(server, SKIP_NONE, {"fix": slow, "verdicts": slow}, strategy="ldb", cancel=cancel)
    assert time.monotonic() - started < 4.0
    assert len(server.chat_requests()) == 1
    deadline = time.monotonic() + 2
    while not server.chat_requests()[0].aborted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.chat_requests()[0].aborted


def test_failing_functions_get_the_models_explanation(server: ScriptedOpenAI) -> None:
    why = "The loop starts at xs[1:], so 1 is never added. The result is 5, not 6. Extra."
    report = run(server, OFF_BY_ONE, {"explain": why}, search=False)
    total = next(f for f in report.functions if f.name == "total")
    assert (
        total.explanation
        == "The loop starts at xs[1:], so 1 is never added. The result is 5, not 6."
    )
    explain = next(r for r in server.chat_requests() if "explain why" in str(r.body))
    assert "[block" in explain.body["messages"][-1]["content"]  # the real trace's values


@pytest.mark.parametrize(
    ("strategy", "asked", "not_asked"),
    [
        ("mgdebug", {"verdicts", "simulate", "fix", "explain"}, set()),
        ("mgdebugger", {"simulate", "fix", "explain"}, {"verdicts"}),
        ("ldb", {"verdicts", "fix", "explain"}, {"simulate", "cases"}),
    ],
)
def test_each_strategy_runs_its_own_steps(
    server: ScriptedOpenAI, strategy: str, asked: set[str], not_asked: set[str]
) -> None:
    report = run(server, SKIP_NONE, {"fix": fenced(SKIP_NONE_FIX)}, strategy=strategy)
    sent = set(kinds(server))
    assert asked <= sent and not (not_asked & sent)
    assert any(f.origin == "model" for f in report.fixes)
    assert report.model is not None and report.model.strategy == strategy
    if strategy == "mgdebugger":
        fix_prompt = next(r for r in server.chat_requests() if "corrected function" in str(r.body))
        assert "[block" not in fix_prompt.body["messages"][-1]["content"]


def test_without_a_model_the_report_has_none() -> None:
    report = debug(DebugRequest(OFF_BY_ONE, "calc.py", DebugOptions(mutation_seconds=0)))
    assert report.model is None
    assert all(f.origin == "search" for f in report.fixes)


def decomposition_answers() -> dict[str, Any]:
    from .test_decompose import HELPERS, SOURCE

    fixed_helper = HELPERS.split("\n\n\n")[2].replace("score > pass_mark", "score >= pass_mark")

    def helper_cases(messages: list[dict[str, str]]) -> str:
        if "count_passing(...)" in messages[-1]["content"]:
            return cases(("count_passing([50, 90], 50)", "2"), ("count_passing([10], 50)", "0"))
        return cases()

    return {
        "source": SOURCE,
        "decompose": "Here it is:\n```python\n" + HELPERS + "```\n",
        "cases": helper_cases,
        "fix": fenced(fixed_helper + "\n"),
    }


def test_a_long_function_is_split_debugged_as_a_tree_and_fixed_in_place(
    server: ScriptedOpenAI,
) -> None:
    answers = decomposition_answers()
    report = run(server, answers.pop("source"), answers, strategy="mgdebugger")
    sent = kinds(server)
    assert "decompose" in sent and sent.index("decompose") < sent.index("fix")
    fix_prompt = next(r for r in server.chat_requests() if "corrected function" in str(r.body))
    assert "def count_passing" in fix_prompt.body["messages"][-1]["content"]
    top = report.fixes[0]
    assert "score >= pass_mark" in top.source and "def count_passing" not in top.source
    assert top.diff.count("\n-") == 1
    assert "split of `summarize`" in top.note or "does what the model" in top.note


NEEDS_A_MISSING_MODULE = '''import no_such_module_mgdebug_test


def total(xs):
    """Sum of `xs`.

    >>> total([1, 2])
    3
    """
    result = 0
    for x in xs:
        result += x
    return result
'''


def test_code_that_cannot_run_gets_a_simulation_marked_simulated(server: ScriptedOpenAI) -> None:
    steps = {"steps": [{"block": 0, "values": {"result": "0"}}], "result": "3"}
    report = run(server, NEEDS_A_MISSING_MODULE, {"simulate": json.dumps(steps)})
    assert report.could_not_run is not None and report.could_not_run.environment
    assert report.simulation is not None and report.simulation.simulated
    assert report.simulation.call == "total([1, 2])" and report.simulation.result == "3"
    assert report.simulation.steps[0].values == {"result": "0"}
    assert any("simulated by the model" in m for m in report.messages)
    assert not report.suspects and not report.fixes  # nothing observed, nothing claimed


SUM_REWRITE = "def total(xs):\n    return sum(xs)\n"


def test_when_checked_fixes_disagree_the_model_is_asked_which_matches_the_intent(
    server: ScriptedOpenAI,
) -> None:
    judge = json.dumps({"choice": 2, "reason": "keeps the loop the docstring describes"})
    report = run(server, OFF_BY_ONE, {"fix": fenced(SUM_REWRITE), "judge": judge}, strategy="ldb")
    assert "judge" in kinds(server)
    first, model_fix = report.fixes[0], next(f for f in report.fixes if f.origin == "model")
    assert first.origin == "search"
    assert first.note == "the model judged this fix to match the intent: " + (
        "keeps the loop the docstring describes"
    )
    assert "return sum(xs)" in model_fix.source


def test_without_a_usable_judgement_the_models_checked_fix_ranks_first(
    server: ScriptedOpenAI,
) -> None:
    report = run(server, OFF_BY_ONE, {"fix": fenced(SUM_REWRITE)}, strategy="ldb")
    assert report.fixes[0].origin == "model" and "return sum(xs)" in report.fixes[0].source
    assert "weak tests let wrong small edits pass" in report.fixes[0].note
    assert any(f.origin == "search" for f in report.fixes[1:])


NO_EXPECTATIONS = '''def add(a, b):
    """The sum of `a` and `b`."""
    return a - b
'''


def test_a_file_without_expectations_is_judged_by_model_cases(server: ScriptedOpenAI) -> None:
    answers = {"cases": cases(("add(1, 2)", "3"), ("add(0, 0)", "0"))}
    report = run(server, NO_EXPECTATIONS, answers)
    assert [e.origin.kind for e in report.expectations] == ["model", "model"]
    add = next(f for f in report.functions if f.name == "add")
    assert add.status == "fail" and add.failures[0].origin_kind == "model"
    assert any("model-written case(s) judge it" in m for m in report.messages)
    assert "return a + b" in report.fixes[0].source


def test_offline_a_file_without_expectations_still_only_gets_hints() -> None:
    report = debug(DebugRequest(NO_EXPECTATIONS, "calc.py", DebugOptions(mutation_seconds=0)))
    assert not report.expectations and not report.results and report.model is None
    assert any("has no expectations" in m for m in report.messages)
