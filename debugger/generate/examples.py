"""Outputs by running the function: each case runs in the sandbox, twice, untraced.

A case runs as an "exec" expectation in the module's namespace; a probe
prints a marker and one JSON line after whatever the function printed
itself, so the output a doctest would see is exactly the function's own
output followed by the value's repr. The probe also says what a docstring
or a test needs to know about the value: whether its repr reads back as an
equal literal (a test can compare with it), whether it holds an unordered
collection of strings (its order changes with the hash seed), and, for an
exception, the line doctest compares.

Two runs in separate processes catch time- and randomness-dependent output;
a memory address (`at 0x7f...`) is written with ELLIPSIS instead. Examples
whose output still differs are dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mgdebug.analysis.model import Expectation, Origin

from ..results import ExpectationResult
from ..sandbox.pool import Job, Sandbox
from .inputs import Case

_MARK = "\x00mgdebug-probe\x00"
_PROBE = """\
import json as __mg_json
import traceback as __mg_tb

def __mg_unordered(value, depth=0):
    if depth > 4:
        return False
    if isinstance(value, (set, frozenset)):
        return len(value) > 1 and not all(isinstance(v, (int, float)) for v in value)
    if isinstance(value, dict):
        items = list(value.items())
        return any(__mg_unordered(k, depth + 1) or __mg_unordered(v, depth + 1) for k, v in items)
    if isinstance(value, (list, tuple)):
        return any(__mg_unordered(v, depth + 1) for v in value)
    return False

try:
    __mg_value = {call}
except Exception as __mg_exc:
    __mg_line = __mg_tb.format_exception_only(type(__mg_exc), __mg_exc)[-1]
    __mg_out = dict(raised=__mg_line, type=type(__mg_exc).__name__,
                    module=type(__mg_exc).__module__)
else:
    __mg_text = repr(__mg_value)
    try:
        import ast as __mg_ast
        __mg_literal = bool(__mg_ast.literal_eval(__mg_text) == __mg_value)
    except Exception:
        __mg_literal = False
    __mg_out = dict(repr=__mg_text, none=__mg_value is None, literal=__mg_literal,
                    unordered=__mg_unordered(__mg_value), type=type(__mg_value).__name__)
print({mark!r} + __mg_json.dumps(__mg_out))
"""
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
MAX_OUTPUT_CHARS = 300
MAX_OUTPUT_LINES = 8


@dataclass(frozen=True)
class Outcome:
    """What one case did: its printed output and value, or the exception it raised."""

    case: Case
    printed: str = ""  # the function's own output
    value: str | None = None  # repr of the return value; None when it raised
    returned_none: bool = False
    literal: bool = False  # the repr reads back as an equal literal
    type_name: str = ""
    raised: str | None = None  # doctest's exception line: "ValueError: empty\n"
    exception_module: str = ""
    stable: bool = True  # the same in both runs (addresses aside)
    ellipsis: bool = False  # written with `...` for addresses

    @property
    def exception_type(self) -> str:
        return self.type_name if self.raised is not None else ""


def _probe_expectation(qualname: str, case: Case, index: int, path: str) -> Expectation:
    call = case.call(qualname)
    return Expectation(
        id=f"generate:{index}",
        function=qualname,
        kind="exec",
        origin=Origin(path, 0, "given"),
        description=call,
        code=_PROBE.replace("{call}", call).replace("{mark!r}", repr(_MARK)),
    )


def _parse(case: Case, result: ExpectationResult) -> Outcome | None:
    if result.status != "pass" or _MARK not in result.stdout:
        return None  # timed out, crashed, or the probe itself could not run
    printed, _, tail = result.stdout.rpartition(_MARK)
    try:
        data = json.loads(tail.strip().splitlines()[0])
    except (ValueError, IndexError):
        return None
    if "raised" in data:
        return Outcome(
            case,
            printed=printed,
            raised=str(data["raised"]),
            type_name=str(data["type"]),
            exception_module=str(data["module"]),
        )
    return Outcome(
        case,
        printed=printed,
        value=str(data["repr"]),
        returned_none=bool(data["none"]),
        literal=bool(data["literal"]),
        type_name=str(data["type"]),
        stable=not data["unordered"],
    )


def _same(first: Outcome, second: Outcome | None) -> tuple[bool, bool]:
    """(stable, needs ELLIPSIS) of two runs of one case."""
    if second is None:
        return False, False
    a = (first.printed, first.value, first.raised)
    b = (second.printed, second.value, second.raised)
    if a == b and not _ADDRESS.search(str(a)):
        return True, False
    masked = [_ADDRESS.sub("0x...", str(x)) for x in (a, b)]
    return masked[0] == masked[1], True


def run_cases(
    sandbox: Sandbox, source: str, path: str, qualname: str, cases: Sequence[Case]
) -> list[Outcome]:
    """Each case's outcome from two runs in separate processes; cases that failed to run dropped."""
    exps = [_probe_expectation(qualname, c, i, path) for i, c in enumerate(cases)]
    if not exps:
        return []
    runs: dict[int, list[ExpectationResult]] = {}
    jobs = [Job(source=source, expectations=exps), Job(source=source, expectations=exps)]
    for index, results in sandbox.run_many(jobs):
        runs[index] = results
    outcomes: list[Outcome] = []
    for i, case in enumerate(cases):
        first = _parse(case, runs[0][i]) if 0 in runs else None
        second = _parse(case, runs[1][i]) if 1 in runs else None
        if first is None:
            continue
        stable, ellipsis = _same(first, second)
        outcomes.append(
            Outcome(**{**first.__dict__, "stable": first.stable and stable, "ellipsis": ellipsis})
        )
    return outcomes


def _want(outcome: Outcome) -> str | None:
    """What doctest should see after the call, or None if it cannot be written as an example."""
    if outcome.type_name in ("generator", "coroutine", "async_generator"):
        return None  # its repr says nothing about what it yields
    if outcome.raised is not None:
        if outcome.raised.count("\n") > 1:
            return None
        return "Traceback (most recent call last):\n    ...\n" + outcome.raised.rstrip("\n")
    shown = outcome.printed + ("" if outcome.returned_none else f"{outcome.value}\n")
    if outcome.ellipsis:
        shown = _ADDRESS.sub("0x...", shown)
    shown = shown.rstrip("\n")
    lines = shown.split("\n")
    if len(shown) > MAX_OUTPUT_CHARS or len(lines) > MAX_OUTPUT_LINES:
        return None
    if any(line != line.rstrip() or line.lstrip().startswith(">>>") for line in lines):
        return None  # trailing spaces and prompts do not survive a docstring
    return "\n".join(line if line.strip() else "<BLANKLINE>" for line in lines)


def doctest_block(
    qualname: str, outcome: Outcome, defaults: Sequence[str | None] = ()
) -> str | None:
    """`>>> f(1)` and its output, or None when it cannot be an example."""
    want = _want(outcome)
    if want is None or not outcome.stable:
        return None
    flags = ["+ELLIPSIS"] if outcome.ellipsis else []
    if outcome.raised is not None and outcome.exception_module != "builtins":
        # `python -m doctest` and pytest name the module differently (`mod` or
        # `pkg.mod`): the exception's type is compared without its module.
        flags.append("+IGNORE_EXCEPTION_DETAIL")
    directive = f"  # doctest: {' '.join(flags)}" if flags else ""
    block = f">>> {outcome.case.call(qualname, defaults)}{directive}"
    return block + ("\n" + want if want else "")


def choose_examples(qualname: str, outcomes: Sequence[Outcome], most: int = 4) -> list[Outcome]:
    """2-4 examples: observed calls first, then distinct values, at most one exception."""
    chosen: list[Outcome] = []
    seen_outputs: set[str] = set()
    raised = False
    ranked = sorted(
        outcomes,
        key=lambda o: (
            {"observed": 0, "model": 1}.get(o.case.origin, 2),
            o.raised is not None,
            o.returned_none and not o.printed,
        ),
    )
    for outcome in ranked:
        block = doctest_block(qualname, outcome)
        if block is None:
            continue
        output = block.split("\n", 1)[1] if "\n" in block else ""
        if outcome.raised is not None:
            if raised:
                continue
            raised = True
        elif output in seen_outputs and outcome.case.origin != "observed":
            continue
        seen_outputs.add(output)
        chosen.append(outcome)
        if len(chosen) == most:
            break
    return chosen
