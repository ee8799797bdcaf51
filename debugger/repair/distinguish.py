"""Telling passing fixes apart: an input on which two checked fixes give different results.

When several different edits pass every expectation, the tests do not decide
between them; a cheap probe over calls the expectations made (and small
perturbations of their integer arguments) often finds an input where two of
them disagree, which the report offers as the example to add.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from mgdebug.analysis.model import Expectation, ModuleInfo, Origin

from ..baseline import Baseline
from ..report import Fix
from ..results import ExpectationResult
from ..sandbox.backend import CheckBackend

MAX_PROBES = 40  # inputs tried to tell two passing fixes apart


def distinguishing_example(
    baseline: Baseline, sandbox: CheckBackend, fixes: Sequence[Fix], wall_each: float
) -> str:
    """An input two fixes disagree on, as "`f(x=3)`, which gives 3 with fix 1 and 4 with fix 2".

    "" if no probe tells them apart.
    """
    calls = _probe_calls(fixes[0].source, baseline.module, baseline.results)
    if not calls:
        return ""
    probes = [
        Expectation(
            id=f"probe:{i}",
            function=call.split("(", 1)[0],
            kind="eval",
            origin=Origin(baseline.path, 0, "given"),
            description=call,
            call=call,
            expected="None",
        )
        for i, call in enumerate(calls)
    ]
    outputs: dict[int, list[str | None]] = {}
    for index, results in sandbox.run_candidates(
        [f.source for f in fixes], probes, wall_seconds_each=wall_each, stop_at_first_failure=False
    ):
        outputs[index] = [_outcome(r) for r in results]
    first = outputs.get(0, [])
    for other in range(1, len(fixes)):
        for i, (a, b) in enumerate(zip(first, outputs.get(other, []))):  # noqa: B905
            if a != b:
                return f"`{calls[i]}`, which gives {a} with fix 1 and {b} with fix {other + 1}"
    return ""


def _probe_calls(
    source: str, module: ModuleInfo, baseline: Sequence[ExpectationResult]
) -> list[str]:
    """Calls of module-level functions as the expectations made them, and small perturbations.

    The inputs come from the baseline's traces (depth-0 calls), so they work
    for every kind of expectation, pytest tests included; integers are moved by
    one, or set to the integers the source names and their neighbours, since
    boundaries and off-by-one edits are what passing fixes most often differ on.
    """
    try:
        literals = sorted(
            {
                node.value + delta
                for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Constant) and type(node.value) is int
                for delta in (-1, 0, 1)
            }
        )[:12]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        literals = []
    calls: dict[str, None] = {}
    for result in baseline:
        for record in result.trace.calls if result.trace is not None else []:
            if record.depth != 0 or record.function not in module.functions:
                continue
            if "." in record.function:
                continue
            try:
                args = {k: ast.literal_eval(v) for k, v in record.args.items()}
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            for variant in _variants(args, literals):
                text = ", ".join(f"{k}={v!r}" for k, v in variant.items())
                calls.setdefault(f"{record.function}({text})")
            if len(calls) >= MAX_PROBES:
                return list(calls)[:MAX_PROBES]
    return list(calls)


def _variants(args: dict[str, object], literals: Sequence[int]) -> Iterator[dict[str, object]]:
    yield args
    for name, value in args.items():
        if isinstance(value, int) and not isinstance(value, bool):
            for other in (value + 1, value - 1, *literals):
                yield {**args, name: other}


def _outcome(result: ExpectationResult) -> str:
    if result.status in ("pass", "fail"):
        return str(result.actual)
    if result.status == "error":
        return f"an exception ({result.actual})"
    return f"no value ({result.status})"
