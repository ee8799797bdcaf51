"""The model's steps — generated cases, block verdicts, fixes — against a scripted endpoint."""

from __future__ import annotations

import json

from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import Expectation, Origin
from mgdebug.debugger.llm.block_verdicts import (
    MAX_BLOCKS,
    ask_block_verdicts,
    line_evidence,
    render_trace,
)
from mgdebug.debugger.llm.client import ModelClient
from mgdebug.debugger.llm.config import ModelConfig
from mgdebug.debugger.llm.generated_tests import CaseRequest, model_expectations, propose_cases
from mgdebug.debugger.llm.model_fixes import Failure, FixConversation
from mgdebug.debugger.results import BlockSnapshot, TraceData

from .scripted_openai import Reply, ScriptedOpenAI

SOURCE = '''def total(xs):
    """Sum of the numbers in `xs`."""
    result = 0
    for x in xs[1:]:
        result += x
    return result


def mean(xs):
    return total(xs) / len(xs)
'''
MODULE = analyze_module(SOURCE, "calc.py")


def client(server: ScriptedOpenAI) -> ModelClient:
    return ModelClient(ModelConfig(name="m", url=server.url, timeout=5, retries=0))


def cases_answer(*pairs: tuple[str, str]) -> Reply:
    cases = [{"call": c, "expected": e} for c, e in pairs]
    return Reply("Here you go:\n```json\n" + json.dumps({"cases": cases}) + "\n```")


def test_only_cases_a_majority_of_samples_agree_on_are_kept(endpoint: ScriptedOpenAI) -> None:
    endpoint.replies += [
        cases_answer(("total([1, 2, 3])", "6"), ("total([])", "0"), ("total([5])", "5")),
        cases_answer(("total([1,2,3])", "6"), ("total([])", "1"), ("os.system('x')", "0")),
        cases_answer(("total( [1, 2, 3] )", "6"), ("total([])", "0"), ("total([5])", "7")),
    ]
    with client(endpoint) as c:
        cases = propose_cases(c, CaseRequest(MODULE.functions["total"], SOURCE), samples=3)
    assert [(k.call, k.expected, k.votes) for k in cases] == [
        ("total([1, 2, 3])", "6", 3),
        ("total([])", "0", 2),
    ]
    seeds = [r.body.get("seed") for r in endpoint.chat_requests()]
    assert seeds == [0, 1, 2]


def test_garbage_samples_are_counted_and_leave_no_cases(endpoint: ScriptedOpenAI) -> None:
    endpoint.replies += [Reply("I think it sums things."), Reply('{"cases": "many"}')]
    with client(endpoint) as c:
        assert propose_cases(c, CaseRequest(MODULE.functions["total"], SOURCE), samples=2) == []
        assert c.usage.parse_failures == 2


def test_a_model_case_never_contradicts_the_users_expectation(endpoint: ScriptedOpenAI) -> None:
    endpoint.replies.append(cases_answer(("total([1, 2, 3])", "5"), ("total([4])", "4")))
    user = Expectation(
        "doc:1",
        "total",
        "eval",
        Origin("calc.py", 2, "docstring"),
        "total([1, 2, 3]) == 6",
        call="total([1, 2, 3])",
        expected="6",
    )
    with client(endpoint) as c:
        cases = propose_cases(c, CaseRequest(MODULE.functions["total"], SOURCE), samples=1)
    kept = model_expectations(cases, MODULE.functions["total"], "calc.py", [user])
    assert [(e.call, e.expected, e.origin.kind) for e in kept] == [("total([4])", "4", "model")]


def trace_with_loop(iterations: int) -> TraceData:
    snaps = [BlockSnapshot("total", 0, 3, {"xs": "[1, 2, 3]", "result": "0"})]
    snaps += [
        BlockSnapshot("total", 2, 5, {"x": str(i), "result": str(i)}, iteration=i)
        for i in range(iterations)
    ]
    snaps.append(BlockSnapshot("total", 3, 6, {"result": "5"}))
    return TraceData(lines=[3, 4, 5, 6], snapshots=snaps)


def test_a_long_trace_is_cut_to_the_first_and_last_visits() -> None:
    text = render_trace(MODULE.functions["total"], trace_with_loop(50))
    visits = [line for line in text.splitlines() if line.startswith("[block")]
    assert len(visits) == MAX_BLOCKS
    assert "iteration 0]" in visits[1] and "iteration 49]" in visits[-2]
    assert "42 block visits left out" in text


def test_block_verdicts_become_line_evidence_with_reasons(endpoint: ScriptedOpenAI) -> None:
    func = MODULE.functions["total"]
    loop = next(b for b in func.blocks if b.start_line == 4)
    endpoint.replies.append(
        Reply(
            json.dumps(
                {
                    "blocks": [
                        {"block": 0, "verdict": "correct", "reason": "starts at 0"},
                        {"block": loop.index, "verdict": "WRONG", "reason": "skips  the first"},
                        {"block": 99, "verdict": "wrong", "reason": "no such block"},
                    ]
                }
            )
        )
    )
    with client(endpoint) as c:
        verdicts = ask_block_verdicts(
            c, func, SOURCE, trace_with_loop(2), ("total([1, 2, 3])", "6", "5")
        )
    wrong = [v for v in verdicts if v.wrong]
    assert [(v.block, v.reason) for v in wrong] == [(loop.index, "skips the first")]
    evidence = line_evidence(verdicts, {3, 4, 5, 6})
    assert evidence[4] == 1.0 and evidence[3] == 0.0
    prompt = endpoint.chat_requests()[0].body["messages"][1]["content"]
    assert "total([1, 2, 3])` should give 6, but gave 5" in prompt
    assert "Sum of the numbers" in prompt


def test_a_fix_conversation_splices_and_retries_with_the_new_failures(
    endpoint: ScriptedOpenAI,
) -> None:
    endpoint.replies += [
        Reply("```python\ndef total(xs):\n    return sum(xs[2:])\n```"),
        Reply(
            "Sorry!\n```python\ndef total(xs):\n    result = 0\n    for x in xs:\n"
            "        result += x\n    return result\n```"
        ),
    ]
    failure = Failure("total([1, 2, 3]) == 6", "6", "5")
    with client(endpoint) as c:
        talk = FixConversation(c, SOURCE, MODULE, SOURCE.split("\n\n\n")[0], [failure])
        first = talk.propose()
        assert first is not None and "sum(xs[2:])" in first.source
        second = talk.retry([Failure("total([1, 2, 3]) == 6", "6", "3")])
    assert second is not None and second.functions == ("total",)
    assert "    for x in xs:\n" in second.source
    assert '"""Sum of the numbers in `xs`."""' in second.source
    assert second.source.endswith("def mean(xs):\n    return total(xs) / len(xs)\n")
    follow_up = endpoint.chat_requests()[1].body["messages"]
    assert [m["role"] for m in follow_up] == ["system", "user", "assistant", "user"]
    assert "expected 6, got 3" in follow_up[-1]["content"]


def test_an_unreachable_endpoint_fails_once_then_at_once(endpoint: ScriptedOpenAI) -> None:
    url = endpoint.url
    endpoint.stop()
    failure = Failure("total([1, 2, 3]) == 6", "6", "5")
    with ModelClient(ModelConfig(name="m", url=url, timeout=2, retries=0)) as c:
        talk = FixConversation(c, SOURCE, MODULE, SOURCE, [failure])
        assert talk.propose() is None and talk.propose() is None
        assert c.usage.failed == 1 and c.unavailable is not None
        assert c.usage.errors == [f"cannot reach {url}: is the server up?"]


def test_the_first_block_where_intent_and_real_run_part_is_found(
    endpoint: ScriptedOpenAI,
) -> None:
    from mgdebug.debugger.llm.simulate import first_divergence, simulate

    func = MODULE.functions["total"]
    loop = next(b for b in func.blocks if b.kind == "loop-body")
    steps = [
        {"block": 0, "values": {"result": "0"}},
        {"block": loop.index, "values": {"x": "1", "result": "1"}},
        {"block": loop.index, "values": {"x": "2", "result": "3"}},
    ]
    endpoint.replies.append(Reply(json.dumps({"steps": steps, "result": "6"})))
    real = [
        BlockSnapshot("total", 0, 3, {"result": "0"}),
        BlockSnapshot("total", loop.index, 5, {"x": "2", "result": "2"}),
    ]
    with client(endpoint) as c:
        simulation = simulate(c, func, SOURCE, "total([1, 2, 3])", "6")
    assert simulation is not None and simulation.simulated and simulation.result == "6"
    found = first_divergence(simulation, real, func)
    assert found is not None and (found.block, found.variable) == (loop.index, "x")
    assert found.describe().startswith("model (simulated): after lines 5-5 `x` should be 1")
