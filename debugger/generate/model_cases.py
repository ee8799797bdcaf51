"""The model's part: proposed inputs, and specification cases it agrees with itself on.

With `ModelOptions.config` set, `debugger/llm/generated_tests.propose_cases`
asks for cases from the function's name, docstring and signature, several
samples at a non-zero temperature, and keeps those a majority agree on. Here
they become:
- inputs (`Case`, origin "model") for docstring examples and regression tests,
  whose outputs still come from running the code, never from the model;
- specification cases (`SpecCase`): the model's expected value, which a test
  asserts. One the current code does not meet is not offered as a passing
  test: testgen.py writes it as `xfail` and reports it as a likely bug, in
  the model's words ("the model reads ..."), since it is the model's opinion.
Without a model nothing here runs and nothing changes.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mgdebug.analysis.model import FunctionInfo

from ..options import ModelOptions
from ..results import CallRecord
from .inputs import Case, default_texts, parameters


@dataclass(frozen=True)
class SpecCase:
    """A call and the value the model says it should give (a Python literal)."""

    case: Case
    expected: str
    votes: int


def case_from_call(func: FunctionInfo, call: str) -> Case | None:
    """`f(1, b=2)` as a Case with every plain parameter filled (defaults for the rest)."""
    params = parameters(func)
    if params is None:
        return None
    try:
        node = ast.parse(call, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call) or len(node.args) > len(params):
        return None
    names = [p.arg for p in params]
    values: list[str | None] = list(default_texts(func))
    for index, arg in enumerate(node.args):
        values[index] = ast.unparse(arg)
    for keyword in node.keywords:
        if keyword.arg not in names:
            return None
        values[names.index(keyword.arg)] = ast.unparse(keyword.value)
    if any(v is None for v in values):
        return None
    return Case(tuple(v for v in values if v is not None), "model")


def _usage(func: FunctionInfo, calls: Iterable[CallRecord]) -> list[str]:
    seen: list[str] = []
    for call in calls:
        if call.function == func.qualname and len(seen) < 5:
            text = f"{func.name}({', '.join(call.args.values())})"
            if text not in seen:
                seen.append(text)
    return seen


def specification_cases(
    options: ModelOptions,
    func: FunctionInfo,
    source: str,
    calls: Sequence[CallRecord] = (),
    cancel: threading.Event | None = None,
) -> tuple[list[SpecCase], str]:
    """The model's agreed cases for `func`, and a note when it could not be asked."""
    if options.config is None or func.class_name is not None or func.parent is not None:
        return [], ""
    from ..llm.connect import open_client
    from ..llm.generated_tests import CaseRequest, propose_cases

    client = open_client(options)
    if client is None:
        return [], ""
    lines = source.splitlines()
    function_source = "\n".join(lines[func.line - 1 : func.end_line])
    try:
        proposed = propose_cases(
            client, CaseRequest(func, function_source, _usage(func, calls)), cancel=cancel
        )
    except Exception as exc:  # noqa: BLE001 - the model is optional: say so and go on
        return [], f"the model could not be asked for `{func.qualname}`: {exc}"
    found: list[SpecCase] = []
    for case in proposed:
        converted = case_from_call(func, case.call)
        if converted is not None:
            found.append(SpecCase(converted, case.expected, case.votes))
    return found, ""
