"""The model benchmark's instrument: its scripted models answer as they claim to.

model_bench.py's figures mean something only if the oracle really answers
with the reference (through mgdebug's real client, parser and splice), the
noisy oracle is wrong half the time and repeatably so, the garbage model
never gives anything parseable, cases come from the visible tests' inputs
only, and the table has its shape. Everything talks HTTP to the scripted
OpenAI server; the data is ../shared/bench (skipped where it is absent).
"""

from __future__ import annotations

import json
import string
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from bench_data import BENCH_DIR, passes, quixbugs  # noqa: E402
from model_oracle import (  # noqa: E402
    Oracle,
    Reference,
    apply_unified,
    prompt_kind,
    prompt_templates,
    references,
)
from model_reference import run_cases, visible_inputs  # noqa: E402
from scripted_openai import ScriptedOpenAI  # noqa: E402 - put on sys.path by model_oracle

from mgdebug.analysis.functions import analyze_module  # noqa: E402
from mgdebug.debugger.llm import prompts  # noqa: E402
from mgdebug.debugger.llm.answers import AnswerError, code_answer, json_answer  # noqa: E402
from mgdebug.debugger.llm.client import ModelClient  # noqa: E402
from mgdebug.debugger.llm.config import ModelConfig  # noqa: E402
from mgdebug.debugger.llm.generated_tests import CaseRequest, propose_cases  # noqa: E402
from mgdebug.debugger.llm.model_fixes import Failure, FixConversation  # noqa: E402
from mgdebug.debugger.repair.check import unified_diff  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (BENCH_DIR / "quixbugs.jsonl").is_file(), reason="../shared/bench is not here"
)


@pytest.fixture(scope="module")
def refs() -> dict[str, Reference]:
    return {r.program.id: r for r in references("quixbugs", quixbugs())}


@pytest.fixture
def oracle_client(refs: dict[str, Reference]) -> Iterator[tuple[ScriptedOpenAI, ModelClient]]:
    server = ScriptedOpenAI(responder=Oracle(list(refs.values()), "oracle")).start()
    client = ModelClient(ModelConfig(name="scripted", url=server.url, timeout=10.0, retries=0))
    yield server, client
    client.close()
    server.stop()


def _filled(template: str) -> str:
    fields = {name: "x" for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format(**fields)


def _fix_prompt(ref: Reference) -> str:
    """The first fix prompt for the reference's buggy program."""
    return prompts.FIX.format(function=ref.program.source, failures="- x", evidence="")


def test_every_prompt_template_is_recognised_by_its_own_name() -> None:
    templates = prompt_templates()
    assert {"FIX", "FIX_AGAIN", "CASES", "BLOCK_VERDICTS", "SIMULATE"} <= set(templates)
    for name in templates:
        assert prompt_kind(_filled(getattr(prompts, name)), templates) == name
    assert prompt_kind("Tell me a joke.", templates) == "unknown"


def test_oracle_fix_splices_into_the_buggy_file_and_passes_the_hidden_tests(
    refs: dict[str, Reference], oracle_client: tuple[ScriptedOpenAI, ModelClient]
) -> None:
    _, client = oracle_client
    program = refs["bitcount"].program
    module = analyze_module(program.source, "bitcount.py")
    func = module.functions["bitcount"]
    function = "\n".join(program.source.splitlines()[func.line - 1 : func.end_line])
    conversation = FixConversation(
        client, program.source, module, function, [Failure("bitcount(127) == 7", "7", "hang")]
    )
    splice = conversation.propose()
    assert splice is not None and splice.functions == ("bitcount",)
    assert passes(splice.source, program.hidden)
    assert not passes(program.source, program.hidden, timeout=1.0)  # it loops forever


def test_oracle_answers_every_round_of_a_fix_conversation_with_the_reference(
    refs: dict[str, Reference],
) -> None:
    ref = refs["bitcount"]
    oracle = Oracle([ref], "oracle")
    first = _fix_prompt(ref)
    rounds = [name for name in prompt_templates() if name.startswith("FIX")]
    assert len(rounds) >= 2
    for name in rounds:
        messages = [{"role": "user", "content": first}, {"role": "assistant", "content": "?"}]
        if name != "FIX":
            messages.append({"role": "user", "content": _filled(getattr(prompts, name))})
        assert code_answer(oracle({"messages": messages}).content).strip() == ref.reference


def test_oracle_cases_are_the_references_answers_on_inputs_near_the_visible_ones(
    refs: dict[str, Reference], oracle_client: tuple[ScriptedOpenAI, ModelClient]
) -> None:
    _, client = oracle_client
    program = refs["bitcount"].program
    func = analyze_module(program.source, "bitcount.py").functions["bitcount"]
    cases = propose_cases(client, CaseRequest(func, program.source, count=5), samples=3)
    assert len(cases) == 5 and all(c.votes == 3 for c in cases)
    checks = "\n".join(f"assert {c.call} == {c.expected}" for c in cases)
    assert passes(refs["bitcount"].reference, checks)
    visible = {args for _, args, _ in visible_inputs(program.visible, {"bitcount"})}
    hidden_only = {args for _, args, _ in visible_inputs(program.hidden, {"bitcount"})} - visible
    called = {json.loads(c.call.removeprefix("bitcount(").removesuffix(")")) for c in cases}
    assert not called & {a[0] for a in hidden_only}


def test_cases_for_a_helper_come_from_the_calls_the_visible_tests_make() -> None:
    program = (
        "def rev(n):\n    return int(str(n)[::-1])\n\n\n"
        "def check(n):\n    return 2 * rev(n) == n + 1\n"
    )
    cases = run_cases(program, "rev", "assert check(70) == False\n", 3)
    assert cases == [
        {"call": "rev(69)", "expected": "96"},
        {"call": "rev(71)", "expected": "17"},
        {"call": "rev(35)", "expected": "53"},
    ]


def test_block_verdicts_call_wrong_exactly_the_blocks_holding_changed_lines(
    refs: dict[str, Reference],
) -> None:
    ref = refs["bitcount"]
    (bug,) = ref.program.buggy_lines
    prompt = prompts.BLOCK_VERDICTS.format(
        function=ref.program.source,
        intent="count bits",
        call="bitcount(127)",
        expected="7",
        actual="hang",
        trace=f"[block 1, lines 2-3, iteration 0] n=127\n[block 2, lines {bug}-{bug + 1}, "
        "iteration 0] n=1",
    )
    body = {"messages": [{"role": "user", "content": prompt}]}
    answer = json_answer(Oracle([ref], "oracle")(body).content)
    assert [b["verdict"] for b in answer["blocks"]] == ["correct", "wrong"]


def test_noisy_oracle_is_wrong_about_half_the_time_and_the_same_each_time(
    refs: dict[str, Reference],
) -> None:
    ref = refs["bitcount"]
    noisy = Oracle([ref], "noisy")
    messages = [{"role": "user", "content": _fix_prompt(ref)}]
    bodies = [{"messages": messages, "seed": seed} for seed in range(40)]
    answers = [code_answer(noisy(b).content) for b in bodies]
    buggy = sum(a.strip() == ref.buggy.strip() for a in answers)
    right = sum(a.strip() == ref.reference.strip() for a in answers)
    assert 10 <= buggy <= 30 and buggy + right == 40
    assert [code_answer(noisy(b).content) for b in bodies] == answers


def test_garbage_model_never_answers_with_code_or_json(refs: dict[str, Reference]) -> None:
    ref = refs["bitcount"]
    garbage = Oracle([ref], "garbage")
    for name in prompt_templates():
        text = _filled(getattr(prompts, name)).replace("x", ref.program.source, 1)
        content = garbage({"messages": [{"role": "user", "content": text}]}).content
        with pytest.raises(AnswerError):
            code_answer(content)
        with pytest.raises(AnswerError):
            json_answer(content)


def test_judge_answer_picks_the_fix_that_behaves_like_the_reference(
    refs: dict[str, Reference],
) -> None:
    ref = refs["bitcount"]
    right = ref.program.source.replace("n ^= n - 1", "n &= n - 1")
    wrong = ref.program.source.replace("n ^= n - 1", "n -= 1")
    diffs = [unified_diff(ref.program.source, fixed, "bitcount.py") for fixed in (wrong, right)]
    assert [apply_unified(ref.program.source, d) for d in diffs] == [wrong, right]
    shown = "\n\n".join(f"Fix {n}:\n```diff\n{d}```" for n, d in enumerate(diffs, 1))
    prompt = prompts.JUDGE.format(function=ref.program.source, intent="count", fixes=shown)
    answer = Oracle([ref], "oracle")({"messages": [{"role": "user", "content": prompt}]})
    assert json_answer(answer.content)["choice"] == 2


def test_bench_prints_one_row_per_setting_and_the_oracles_fixes_come_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from model_bench import HEADER, main

    # Offline, kth gets no fix and lis a wrong one: correct top fixes here are the model's.
    main(["quixbugs", "--programs", "kth", "lis", "--budget", "2", "--settings", "oracle"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[0] == "| " + " | ".join(HEADER) + " |"
    cells = rows[1].removeprefix("| ").removesuffix(" |").split(" | ")
    assert len(rows) == 2 and len(cells) == len(HEADER)
    assert cells[0] == "oracle"
    assert cells[1] == "2/2 (100%)" and cells[2] == "0"  # pass@1, wrong fixes shown
    assert cells[HEADER.index("top fix by model")] == "2"
    assert float(cells[HEADER.index("calls/bug")]) > 0
