"""The text report with a model: its accounting last, its opinions labelled, its fixes checked.

Two halves. `render` on reports as the engine fills them proves the labels:
a model's explanation, block verdict, expectations and fixes never read as
the user's or as fact, and nothing mentions a model when none is configured.
Then the real CLI against the scripted server, answering as a model would,
proves the same end to end, with `--show-prompts` and `--no-cache`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mgdebug.debugger.report import (
    FailureEvidence,
    Fix,
    FunctionReport,
    ModelSummary,
    Report,
    SearchStats,
    SimulatedBlock,
    SimulatedRun,
    Suspect,
)
from mgdebug.server.text_report import model_line, render

from .model_runs import (
    EXPLANATION,
    GITHUB_TOKEN,
    SECRET_KEY,
    SQUARES,
    Reply,
    ScriptedOpenAI,
    closed_port_url,
    no_retries,
    oracle,
    run_cli,
)

SOURCE = (
    "def total(values):\n    result = 0\n    for v in values:\n"
    "        result += v\n    return result\n"
)


def _summary(**usage: Any) -> ModelSummary:
    return ModelSummary(
        name="qwen2.5-coder", endpoint="http://localhost:11434/v1", strategy="mgdebug", usage=usage
    )


def _failing_report(model: ModelSummary | None) -> Report:
    failure = FailureEvidence(
        "e1", "total([1, 2, 3]) → 14", "/p/sq.py", 1, "doctest", "fail", "14", "6", ""
    )
    written = FailureEvidence("m1", "total([2]) == 4", "/p/sq.py", 1, "model", "fail", "4", "2", "")
    function = FunctionReport(
        "total",
        1,
        5,
        "fail",
        passed=1,
        failed=2,
        blamed=True,
        blame_reason="its own",
        failures=[failure, written],
        explanation=EXPLANATION if model else "",
    )
    suspect = Suspect(
        "total", 4, 0.8, "judged on 1 failing run", model_reason="model: adds v, not its square"
    )
    fix = Fix(
        "total",
        SOURCE.replace("+= v", "+= v * v"),
        "--- a\n+++ b\n-        result += v\n+        result += v * v\n",
        True,
        "model",
        "the model's rewrite of `total`",
        line=4,
        passed=2,
        total=2,
        note="the model's rewrite, shrunk to 1 of 2 changed hunks",
    )
    return Report(
        "sq.py",
        functions=[function],
        suspects=[suspect],
        fixes=[fix],
        search=SearchStats(candidates_tried=68, passing_edits=1),
        model=model,
    )


def test_the_last_line_gives_the_models_calls_tokens_and_time() -> None:
    summary = _summary(calls=3, cached=2, prompt_tokens=1000, completion_tokens=234, seconds=3.21)
    text = render(_failing_report(summary), SOURCE, colour=False)
    assert text.splitlines()[-1] == (
        "model: qwen2.5-coder at http://localhost:11434/v1 — 5 calls (2 cached), "
        "1,234 tokens, 3.2 s"
    )


def test_a_model_that_could_not_help_says_why_and_that_the_offline_result_stands() -> None:
    summary = _summary(failed=1)
    summary.message = "cannot reach http://localhost:11434/v1: is the server up?"
    assert model_line(summary) == (
        "model: cannot reach http://localhost:11434/v1: is the server up? — offline result shown"
    )
    summary.message += "; the offline result stands"  # said once, not twice
    assert model_line(summary).endswith("is the server up?; the offline result stands")


def test_unusable_answers_redactions_and_another_strategy_are_in_the_accounting() -> None:
    summary = _summary(
        calls=4, parse_failures=2, prompt_tokens=10, completion_tokens=5, redactions=1
    )
    summary.strategy = "ldb"
    assert model_line(summary) == (
        "model: qwen2.5-coder at http://localhost:11434/v1 (strategy ldb) — 4 calls, "
        "15 tokens, 0.0 s, 2 unusable answers, 1 secret-looking string redacted"
    )


def test_every_model_contribution_is_labelled_as_the_models() -> None:
    text = render(_failing_report(_summary(calls=1)), SOURCE, colour=False)
    assert "      doctest /p/sq.py:1  total([1, 2, 3]) → 14" in text
    assert "      (model-written) /p/sq.py:1  total([2]) == 4" in text
    assert "why, says the model (not checked): The loop adds each value" in text
    assert "the model's verdict (not checked): adds v, not its square" in text
    assert "passes the 2 expectations  (written by the model, then checked)" in text
    assert "the model's rewrite, shrunk to 1 of 2 changed hunks" in text


def test_a_search_fix_carries_no_model_label() -> None:
    report = _failing_report(_summary(calls=1))
    report.fixes[0].origin = "search"
    report.fixes[0].note = ""
    assert "written by the model" not in render(report, SOURCE, colour=False)


def test_a_simulated_run_is_never_shown_as_observed() -> None:
    report = Report("sq.py", model=_summary(calls=1))
    report.simulation = SimulatedRun(
        "total",
        "total([1, 2, 3])",
        "14",
        steps=[SimulatedBlock(0, 2, 2, {"result": "0"}), SimulatedBlock(1, 3, 4, {"result": "1"})],
        result="14",
    )
    text = render(report, SOURCE, colour=False)
    assert "Simulated by the model, not observed (the code did not run)" in text
    assert "  simulated after block 1 (line 3–4): result=1" in text
    assert "  simulated result: 14" in text


def test_offline_nothing_claims_a_model_but_a_dead_end_names_the_flags() -> None:
    report = _failing_report(None)
    report.fixes = []
    report.functions[0].failures.pop()  # offline, no model-written expectation
    report.suspects[0].model_reason = ""
    report.search = SearchStats(candidates_tried=68)
    text = render(report, SOURCE, colour=False)
    assert "the model" not in text and "model-written" not in text
    assert text.splitlines()[-1] == (
        "note: a model can propose larger fixes (checked the same way): --model NAME with "
        '--model-url URL, or --model-path FILE.gguf; see "Using a model" in the README'
    )
    report.search.stopped_by = "time"  # a search cut short: raising its budget comes first
    assert "a model can" not in render(report, SOURCE, colour=False)


# -- the real CLI against the scripted server -------------------------------------------


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """One text run with a model and --show-prompts (and a key in the environment), shared."""
    folder = tmp_path_factory.mktemp("shown")
    no_retries(folder)
    (folder / "sq.py").write_text(SQUARES, encoding="utf-8")
    server = ScriptedOpenAI(models=["scripted-model"], responder=oracle()).start()
    env = {"MGDEBUG_API_KEY": SECRET_KEY}
    args = _with_model(server, "--show-prompts")
    yield server, run_cli(str(folder / "sq.py"), *args, cwd=folder, env=env)
    server.stop()


def _with_model(server: Any, *extra: str) -> tuple[str, ...]:
    return ("--model", "scripted-model", "--model-url", server.url, "--budget", "10", *extra)


def test_a_models_checked_fix_verdict_and_explanation_in_the_text_report(
    shown: tuple[Any, Any],
) -> None:
    server, run = shown
    assert run.code == 1, run.stdout + run.stderr  # a checked fix: the same status as offline
    assert "+        result += v * v" in run.stdout
    assert "(written by the model, then checked)" in run.stdout
    # The model echoed the redacted literal; the fix shown must not put it in the file.
    assert "<redacted>" not in run.stdout
    assert "why, says the model (not checked): The loop adds each value" in run.stdout
    assert "the model's verdict (not checked): " in run.stdout
    last = run.stdout.splitlines()[-1]
    assert last.startswith(f"model: scripted-model at {server.url} — ")
    assert "tokens" in last and "a model can" not in run.stdout


def test_show_prompts_prints_each_prompt_redacted_and_never_the_key(
    shown: tuple[Any, Any],
) -> None:
    server, run = shown
    shown_count = run.stderr.count("===== mgdebug: prompt ")
    assert shown_count == len(server.chat_requests()) > 0
    assert run.stderr.count("===== end of prompt ") == shown_count
    assert "def total(values):" in run.stderr
    # The token in the file is redacted in what is shown and in what was sent.
    assert GITHUB_TOKEN not in run.stderr
    assert "<redacted>" in run.stderr
    assert "secret-looking string" in run.stdout.splitlines()[-1]
    sent = "".join(str(r.body) for r in server.chat_requests())
    assert GITHUB_TOKEN not in sent
    # The key went out in the header, and nowhere else.
    assert server.chat_requests()[0].headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert SECRET_KEY not in run.stdout + run.stderr + sent


def test_the_second_run_is_answered_from_the_cache_unless_no_cache(tmp_path: Path) -> None:
    no_retries(tmp_path)
    squares = tmp_path / "sq.py"
    squares.write_text(SQUARES, encoding="utf-8")
    server = ScriptedOpenAI(models=["scripted-model"], responder=oracle()).start()
    try:
        first = run_cli(str(squares), "--json", *_with_model(server), cwd=tmp_path)
        asked = len(server.chat_requests())
        model = first.json()["model"]
        assert model["name"] == "scripted-model" and model["endpoint"] == server.url
        assert model["strategy"] == "mgdebug"
        assert asked and model["usage"]["calls"] == asked
        again = run_cli(str(squares), "--json", *_with_model(server), cwd=tmp_path)
        usage = again.json()["model"]["usage"]
        assert len(server.chat_requests()) == asked and usage["calls"] == 0
        assert usage["cached"] == asked
        args = _with_model(server, "--no-cache")
        fresh = run_cli(str(squares), "--json", *args, cwd=tmp_path)
        assert fresh.json()["model"]["usage"]["calls"] == asked
        assert len(server.chat_requests()) == 2 * asked
    finally:
        server.stop()


def test_a_model_that_is_down_leaves_the_offline_result_and_status(tmp_path: Path) -> None:
    no_retries(tmp_path)
    squares = tmp_path / "sq.py"
    squares.write_text(SQUARES, encoding="utf-8")
    url = closed_port_url()
    run = run_cli(str(squares), "--model", "m", "--model-url", url, cwd=tmp_path)
    assert run.code == 3  # as offline: a failure and no checked fix
    assert "no small edit passes every expectation" in run.stdout
    last = run.stdout.splitlines()[-1]
    assert last.startswith(f"model: cannot reach {url}") and "offline" in last
    assert "says the model" not in run.stdout and "written by the model" not in run.stdout


def test_a_refused_key_is_one_message_in_json_and_the_key_is_nowhere(tmp_path: Path) -> None:
    no_retries(tmp_path)
    squares = tmp_path / "sq.py"
    squares.write_text(SQUARES, encoding="utf-8")
    server = ScriptedOpenAI(models=["scripted-model"], responder=lambda body: Reply(status=401))
    server.start()
    try:
        env = {"MGDEBUG_API_KEY": SECRET_KEY}
        run = run_cli(str(squares), "--json", *_with_model(server), cwd=tmp_path, env=env)
    finally:
        server.stop()
    assert run.code == 3, run.stderr  # as offline
    model = run.json()["model"]
    assert "refused the API key (401)" in model["message"]
    assert len(server.chat_requests()) == 1  # the endpoint is not asked again once it refused
    assert SECRET_KEY not in run.stdout + run.stderr


UNTESTED = """def halve(n):
    return n // 2
"""
CASES = (
    '{"cases": [{"call": "halve(3)", "expected": "1.5"}, {"call": "halve(4)", "expected": "2"}]}'
)


def test_failing_model_written_cases_alone_are_not_a_failing_exit(tmp_path: Path) -> None:
    no_retries(tmp_path)
    (tmp_path / "half.py").write_text(UNTESTED, encoding="utf-8")

    def answer(body: dict[str, Any]) -> Reply:
        prompt = str(body["messages"][-1]["content"])
        return Reply(CASES if "test cases" in prompt else "No idea.")

    server = ScriptedOpenAI(models=["scripted-model"], responder=answer).start()
    try:
        run = run_cli("half.py", *_with_model(server, "--json"), cwd=tmp_path)
    finally:
        server.stop()
    report = json.loads(run.stdout)
    kinds = {e["origin"]["kind"] for e in report["expectations"]}
    assert kinds == {"model"}  # the only judges are the model's cases...
    assert any(r["status"] == "fail" for r in report["results"])
    assert run.code == 0, run.stderr  # ...so their failure is an opinion, not a verdict
