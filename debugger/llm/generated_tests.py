"""Expectations for functions that have none, written by the model (MGDebugger's step).

A model guesses; several guesses that agree are evidence. Each sample is one
request at a non-zero temperature with its own seed; a case is kept only when
a majority of samples give the same expected value for the same call, the
call names the function with literal arguments, and the expected value is a
Python literal — so nothing here evaluates model text as code in mgdebug's
process. A case that contradicts a user-written expectation of the same call
is dropped: the user's word wins. Kept cases become `eval` expectations of
origin "model", which reports label as such.
"""

from __future__ import annotations

import ast
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from mgdebug.analysis.model import Expectation, FunctionInfo, Origin

from .answers import AnswerError, json_answer
from .client import ModelClient, ModelError
from .prompts import CASES, SYSTEM


@dataclass(frozen=True)
class ModelCase:
    call: str
    expected: str
    votes: int  # samples that gave this expected value for this call


def _normal_call(text: str, name: str) -> str | None:
    """The call in a canonical spelling, or None unless it is `name(<literals>)`."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    callee = node.func
    called = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", None)
    if called != name.rsplit(".", 1)[-1]:
        return None
    try:
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            ast.literal_eval(arg)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None
    return ast.unparse(node)


def _normal_literal(text: str) -> str | None:
    try:
        return repr(ast.literal_eval(text.strip()))
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None


def _cases_of(answer: str, name: str) -> dict[str, str]:
    data = json_answer(answer)
    cases = data.get("cases")
    if not isinstance(cases, list):
        raise AnswerError('the JSON has no "cases" list')
    found: dict[str, str] = {}
    for case in cases:
        if not isinstance(case, dict):
            continue
        call = _normal_call(str(case.get("call", "")), name)
        expected = _normal_literal(str(case.get("expected", "")))
        if call is not None and expected is not None and call not in found:
            found[call] = expected
    return found


@dataclass(frozen=True)
class CaseRequest:
    """What to ask cases for: the function, its source, and how callers use it."""

    func: FunctionInfo
    function_source: str
    usage: Sequence[str] = ()  # call lines from the rest of the file
    count: int = 5  # cases asked for per sample


def propose_cases(
    client: ModelClient,
    request: CaseRequest,
    *,
    samples: int = 3,
    cancel: threading.Event | None = None,
) -> list[ModelCase]:
    """Cases a majority of `samples` answers agree on, most votes first."""
    func, usage = request.func, request.usage
    calls = "\nHow the rest of the file calls it:\n" + "\n".join(usage) + "\n"
    prompt = CASES.format(
        function=request.function_source.rstrip(),
        usage=calls if usage else "",
        count=request.count,
        name=func.name,
    )
    votes: Counter[tuple[str, str]] = Counter()
    answered = 0
    for seed in range(samples):
        try:
            answer = client.complete(
                [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
                temperature=0.0 if samples == 1 else 0.7,
                seed=seed,
                cancel=cancel,
            )
            cases = _cases_of(answer.text, func.name)
        except AnswerError as error:
            client.note_parse_failure(str(error))
            continue
        except ModelError as error:
            if error.kind == "cancelled":
                raise
            break  # the endpoint is failing: the samples so far are what we have
        answered += 1
        votes.update(cases.items())
    need = answered // 2 + 1
    kept: dict[str, ModelCase] = {}
    for (call, expected), n in votes.most_common():
        if n >= need and call not in kept:
            kept[call] = ModelCase(call, expected, n)
    return list(kept.values())


def model_expectations(
    cases: Sequence[ModelCase],
    func: FunctionInfo,
    path: str,
    user_expectations: Sequence[Expectation],
) -> list[Expectation]:
    """`eval` expectations of origin "model", minus any that contradict the user's."""
    user_said: dict[str, str | None] = {}
    for exp in user_expectations:
        if exp.kind == "eval" and exp.call:
            call = _normal_call(exp.call, func.name)
            if call is not None:
                user_said[call] = _normal_literal(exp.expected or "")
    kept: list[Expectation] = []
    for number, case in enumerate(cases, 1):
        if case.call in user_said:
            continue  # the user already says what this call gives; theirs is the one that counts
        kept.append(
            Expectation(
                id=f"model:{func.qualname}:{number}",
                function=func.qualname,
                kind="eval",
                origin=Origin(path, func.line, "model"),
                description=f"{case.call} == {case.expected}",
                call=case.call,
                expected=case.expected,
            )
        )
    return kept
