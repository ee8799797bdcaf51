"""The model's words for the user: a two-sentence "why" per failure, and the intent judge.

An explanation is shown under the diagnostic and in the text report as the
model's opinion: the prompt holds the function, the failing expectation and
the real trace's values only, and asks for no other values. Answers are
cached by the client's cache, so re-running the same bug costs nothing.

The judge is asked only when several checked fixes pass every expectation
and do different things: which one matches the function's intent. Its answer
orders checked fixes; it never makes an unchecked one appear.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mgdebug.analysis.model import Expectation

from ..baseline import Baseline
from ..report import Fix, Report
from ..results import ExpectationResult
from .answers import AnswerError, json_answer
from .block_verdicts import render_trace
from .model_evidence import function_source
from .pipeline import ModelRun
from .prompts import EXPLAIN, JUDGE, SYSTEM

MAX_EXPLAINED = 3  # failing functions explained per run
MAX_CHARS = 400
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def two_sentences(text: str) -> str:
    """The answer's first two sentences as one line; "" when it holds code or nothing."""
    if "```" in text:
        text = text.split("```", 1)[0]
    flat = " ".join(text.split())
    if not flat:
        return ""
    sentences = _SENTENCE.split(flat)
    short = " ".join(sentences[:2])
    return short if len(short) <= MAX_CHARS else short[: MAX_CHARS - 1] + "…"


def _first_failure(
    baseline: Baseline, function: str
) -> tuple[Expectation, ExpectationResult] | None:
    pairs = list(zip(baseline.expectations, baseline.results, strict=False))
    for exp, result in pairs:
        if exp.function == function and not result.passed:
            return exp, result
    return None


def explain_failures(run: ModelRun, baseline: Baseline, report: Report) -> None:
    """Fill `FunctionReport.explanation` for the failing functions, blamed one first."""
    failing = sorted(
        (f for f in report.functions if f.status == "fail"), key=lambda f: not f.blamed
    )
    for function in failing[:MAX_EXPLAINED]:
        func = baseline.module.functions.get(function.name)
        found = _first_failure(baseline, function.name)
        if func is None or found is None:
            continue
        exp, result = found
        trace = ""
        if run.steps.trace_in_prompts and result.trace is not None:
            trace = (
                "\nWhat the run did, block by block:\n" + render_trace(func, result.trace) + "\n"
            )
        prompt = EXPLAIN.format(
            function=function_source(baseline.source, func).rstrip(),
            call=exp.call or exp.description,
            expected=result.expected or exp.expected or "?",
            actual=result.actual or result.message,
            trace=trace,
        )
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
        answer = run.ask(
            "explain",
            lambda m=messages: run.client.complete(m, cancel=run.cancel),  # type: ignore[misc]
        )
        if answer is None:
            if not run.usable:
                return
            continue
        text = two_sentences(answer.text)
        if text:
            function.explanation = text
        else:
            run.client.note_parse_failure("the explanation held no sentence")


def judge_fixes(run: ModelRun, baseline: Baseline, fixes: Sequence[Fix]) -> tuple[int, str] | None:
    """(index into `fixes`, the model's reason) for the fix that matches the intent, or None."""
    if len(fixes) < 2 or not run.can_ask():
        return None
    func = baseline.module.functions.get(fixes[0].function)
    if func is None:
        return None
    shown = "\n\n".join(f"Fix {n}:\n```diff\n{f.diff}```" for n, f in enumerate(fixes, 1))
    prompt = JUDGE.format(
        function=function_source(baseline.source, func).rstrip(),
        intent=(func.docstring or func.name).strip(),
        fixes=shown,
    )
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
    answer = run.ask("judge", lambda: run.client.complete(messages, cancel=run.cancel))
    if answer is None:
        return None
    try:
        data = json_answer(answer.text)
        choice = int(data.get("choice"))  # type: ignore[arg-type]
    except (AnswerError, TypeError, ValueError):
        run.client.note_parse_failure("the judge's answer holds no fix number")
        return None
    if not 1 <= choice <= len(fixes):
        run.client.note_parse_failure(f"the judge chose fix {choice} of {len(fixes)}")
        return None
    reason = " ".join(str(data.get("reason", "")).split())[:200] or "no reason given"
    return choice - 1, reason
