"""Whether a decomposition behaves exactly like the function it splits, shown by running both.

The original file and the decomposed one run in the sandbox, untraced, on
every expectation of the baseline and on extra calls of the function: those
the baseline's traces observed (arguments recorded as whole literals) and
small perturbations of them (an argument emptied, shortened, reversed, one
more or less), which reach the edge cases where a careless split differs.
An extra call reports the return value together with the arguments as the
call left them, so a split that mutates its input differently shows too.
Results must agree exactly: status, value, exception type and message,
output — not the line numbers, which the split moves by construction.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import Any

from mgdebug.analysis.model import Expectation, Origin

from ..baseline import Baseline, Controls
from ..results import ExpectationResult
from ..sandbox.pool import Job

MAX_EXTRA_INPUTS = 30  # observed calls first, then perturbations of them
MIN_WALL_SECONDS = 2.0  # for one run of either version, whatever the baseline's timing

_EXTRA_ID = "decompose:"


def _literal(text: str) -> Any:
    """The value of a traced repr, or raises ValueError when it is not a whole literal."""
    if "..." in text:  # safe_repr cut it short: not the value that was passed
        raise ValueError(text)
    return ast.literal_eval(text)


def _perturbed(value: Any) -> Iterator[Any]:
    """Small neighbours of one argument: the edges a long function's branches test."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        yield from (value + 1, value - 1, 0, -value)
    elif isinstance(value, float):
        yield from (value + 1.0, 0.0, -value)
    elif isinstance(value, str):
        yield from ("", value[:-1], value + value[:1], value.upper())
    elif isinstance(value, list):
        yield from ([], value[:-1], value[::-1], [*value, *value[:1]])
    elif isinstance(value, tuple):
        yield from ((), value[:-1], value[::-1], (*value, *value[:1]))
    elif isinstance(value, dict):
        yield {}


def _call_text(name: str, positional: Sequence[Any], keywords: dict[str, Any]) -> str:
    parts = [repr(v) for v in positional] + [f"{k}={v!r}" for k, v in keywords.items()]
    return f"{name}({', '.join(parts)})"


def extra_calls(baseline: Baseline, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Calls of the function to compare on: those the traces observed, then perturbations.

    Only calls whose every argument was recorded as a whole Python literal;
    none for a function with *args or **kwargs (the tracer records neither).
    """
    args = node.args
    if args.vararg is not None or args.kwarg is not None:
        return []
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    keyword = [a.arg for a in args.kwonlyargs]
    observed: list[tuple[list[Any], dict[str, Any]]] = []
    for result in baseline.results:
        for call in result.trace.calls if result.trace is not None else ():
            if call.function != node.name:
                continue
            try:
                pos = [_literal(call.args[p]) for p in positional]
                kws = {k: _literal(call.args[k]) for k in keyword}
            except (KeyError, ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            observed.append((pos, kws))
    calls: dict[str, None] = {}
    for pos, kws in observed:
        calls.setdefault(_call_text(node.name, pos, kws))
    for pos, kws in observed:
        for i, value in enumerate(pos):
            for other in _perturbed(value):
                calls.setdefault(_call_text(node.name, [*pos[:i], other, *pos[i + 1 :]], kws))
    return list(calls)[:MAX_EXTRA_INPUTS]


def _expectation(baseline: Baseline, function: str, number: int, call: str) -> Expectation:
    """An `eval` of the call that reports the result and the arguments as the call left them."""
    func = baseline.module.functions[function]
    # The arguments after the call too: a split that mutates its input differently shows.
    inner = call[len(func.name) :]
    wrapped = f"(lambda *_mgd_a, **_mgd_k: ({func.name}(*_mgd_a, **_mgd_k), _mgd_a, _mgd_k)){inner}"
    return Expectation(
        id=f"{_EXTRA_ID}{number}",
        function=function,
        kind="eval",
        origin=Origin(baseline.path, func.line, "model"),
        description=call,
        call=wrapped,
        expected="None",
    )


def _observable(result: ExpectationResult) -> tuple[str, str | None, str | None, str, str]:
    # Not error_line or traceback: the split moves lines by construction.
    return (result.status, result.actual, result.expected, result.message, result.stdout)


def _outcome(result: ExpectationResult) -> str:
    if result.status in ("error", "crash"):
        return f"raises {result.message}" if result.status == "error" else result.message
    if result.status == "timeout":
        return "runs out of time"
    shown = result.actual.strip() if result.actual is not None else result.status
    return f"gives {shown}" + (f" and prints {result.stdout!r}" if result.stdout else "")


def compare_runs(
    original: Sequence[ExpectationResult],
    decomposed: Sequence[ExpectationResult],
    descriptions: dict[str, str],
) -> str | None:
    """None when every result is the same; else the first difference, worded for the model.

    Where the original ran out of time there is nothing to compare; on an
    extra input, nor where the split did (the two share one wall clock, and
    an input that loops eats the time of those after it). "" (no difference
    to show) when nothing could be compared at all: no evidence is no proof.
    """
    if len(original) != len(decomposed) or not original:
        return ""
    compared = 0
    for a, b in zip(original, decomposed, strict=True):
        if a.expectation_id != b.expectation_id:
            return ""
        extra = a.expectation_id.startswith(_EXTRA_ID)
        if a.status == "timeout" or (extra and b.status == "timeout"):
            continue
        if _observable(a) != _observable(b):
            what = descriptions.get(a.expectation_id, a.expectation_id)
            return f"for `{what}` the original {_outcome(a)}, yours {_outcome(b)}"
        compared += 1
    return None if compared else ""


def first_difference(
    baseline: Baseline,
    controls: Controls,
    source: str,
    function: str,
    node: ast.FunctionDef | ast.AsyncFunctionDef,
) -> str | None:
    """Run the original and `source` on every expectation and the extra calls; compare all.

    `node` is the original function's definition. None when they behave the
    same (see `compare_runs` for the rest).
    """
    extra = [
        _expectation(baseline, function, i, call)
        for i, call in enumerate(extra_calls(baseline, node))
    ]
    expectations = [*baseline.expectations, *extra]
    # The original's own (traced, so slower) time, with room for the extra calls; a
    # call that loops costs its share of this, not the sandbox's whole limit.
    spent = sum(r.duration for r in baseline.results)
    wall = min(baseline.options.limits.wall_seconds, MIN_WALL_SECONDS + 2.0 * spent)
    jobs = [Job(text, expectations, wall_seconds=wall) for text in (baseline.source, source)]
    answers = dict(controls.sandbox.run_many(jobs))
    # The call alone: a description also states the expected value, which the
    # original need not give (it is the buggy one), and would invite a fix.
    described = {e.id: e.description for e in expectations}
    described.update({e.id: e.call.strip() for e in baseline.expectations if e.call})
    return compare_runs(answers.get(0, []), answers.get(1, []), described)
