"""What the reference program says, for the scripted model of model_bench.py.

The oracle model answers case prompts with input → output pairs computed by
running the *reference* (corrected) program on inputs derived from the
*visible* tests only — the hidden tests judge the fix and must never leak into
what the tool is told. Inputs are the visible calls' literal arguments and
small variations of them (one argument shrunk, grown or reversed at a time),
so the cases say something the user's tests do not. Code runs in a separate
interpreter with a per-call time limit: reference programs are trusted data,
but mutated inputs can make them slow.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Collection
from typing import Any

CALL_SECONDS = 0.5  # one call of the reference on one derived input
RUN_SECONDS = 10.0  # the whole subprocess

# Runs in the child: exec the program, record calls of `name` made while
# calling each input's function, print them as JSON. The wrapper records the
# arguments before the call (a function may mutate them) and keeps only calls
# whose arguments and result are Python literals, as the CASES prompt asks.
_CHILD = r"""
import ast, json, signal, sys
job = json.loads(sys.stdin.read())
namespace = {"__name__": "reference"}
exec(compile(job["program"], "reference.py", "exec"), namespace)
name = job["name"]
found, seen = [], set()

def literal(text):
    try:
        ast.literal_eval(text)
        return True
    except Exception:
        return False

original = namespace.get(name)
if callable(original):
    def recorder(*args, **kwargs):
        parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
        result = original(*args, **kwargs)
        call = f"{name}({', '.join(parts)})"
        if call not in seen and all(literal(p.split('=', 1)[-1]) for p in parts):
            if literal(repr(result)) and len(call) < 300 and len(repr(result)) < 300:
                seen.add(call)
                found.append({"call": call, "expected": repr(result)})
        return result
    namespace[name] = recorder

def alarm(signum, frame):
    raise TimeoutError
signal.signal(signal.SIGALRM, alarm)
for callee, args_text, kwargs_text in job["inputs"]:
    if len(found) >= job["count"]:
        break
    target = namespace.get(callee)
    if not callable(target):
        continue
    try:
        signal.setitimer(signal.ITIMER_REAL, job["call_seconds"])
        target(*ast.literal_eval(args_text), **ast.literal_eval(kwargs_text))
    except BaseException:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
print(json.dumps(found[: job["count"]]))
"""


Input = tuple[str, tuple[Any, ...], dict[str, Any]]  # (function called, args, kwargs)


def visible_inputs(visible: str, callees: Collection[str]) -> list[Input]:
    """The literal arguments of every call of one of `callees` in the visible tests.

    Any function of the program counts, not only the data set's entry point:
    some MBPP records name a helper (`rev`) while the tests call another (`check`).
    """
    try:
        tree = ast.parse(visible)
    except SyntaxError:
        return []
    inputs: list[Input] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in callees:
            continue
        try:
            args: list[Any] = []
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    args.extend(ast.literal_eval(arg.value))
                else:
                    args.append(ast.literal_eval(arg))
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
        except (ValueError, TypeError, SyntaxError, RecursionError):
            continue
        inputs.append((node.func.id, tuple(args), kwargs))
    return inputs


def _variants(value: Any) -> list[Any]:
    """Small neighbours of one argument: what a careful tester would try next."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [v for v in (value - 1, value + 1, value // 2, 0, 1) if v != value and v >= 0]
    if isinstance(value, float):
        return [value / 2, value * 2]
    if isinstance(value, str | list | tuple) and value:
        return [value[1:], value[:-1]]  # not reversed: "sorted" inputs would break
    return []


def derived_inputs(inputs: list[Input]) -> list[Input]:
    """Variations first (they add knowledge), then the visible inputs themselves.

    Taken round-robin over the visible inputs, so a handful of cases covers them all.
    """
    rows = [
        [
            (callee, (*args[:i], variant, *args[i + 1 :]), kwargs)
            for i, value in enumerate(args)
            for variant in _variants(value)
        ]
        for callee, args, kwargs in inputs
    ]
    out = [row[k] for k in range(max(map(len, rows), default=0)) for row in rows if k < len(row)]
    out.extend(inputs)
    unique: dict[str, Input] = {}
    for callee, args, kwargs in out:
        unique.setdefault(repr((callee, args, sorted(kwargs.items()))), (callee, args, kwargs))
    return list(unique.values())


def defined_functions(program: str) -> set[str]:
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return set()
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def run_cases(program: str, name: str, visible: str, count: int) -> list[dict[str, str]]:
    """Up to `count` {"call", "expected"} pairs for `name`, computed by running `program`."""
    inputs = derived_inputs(visible_inputs(visible, defined_functions(program)))
    if not inputs:
        return []
    return _child(_job(program, name, inputs, count))


def run_call(program: str, call: str) -> str | None:
    """repr of what `program` returns for the literal call `call`, or None."""
    try:
        node = ast.parse(call.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    name = node.func.id
    inputs = visible_inputs(ast.unparse(node), {name})
    if not inputs:
        return None
    # Recursive calls are recorded too (innermost first): pick the call asked about.
    found = _child(_job(program, name, inputs, count=1000))
    wanted = [c["expected"] for c in found if c["call"] == ast.unparse(node)]
    return wanted[0] if wanted else None


def _job(program: str, name: str, inputs: list[Input], count: int) -> dict[str, Any]:
    return {
        "program": program,
        "name": name,
        "count": count,
        "call_seconds": CALL_SECONDS,
        "inputs": [(callee, repr(args), repr(kwargs)) for callee, args, kwargs in inputs],
    }


def _child(job: dict[str, Any]) -> list[dict[str, str]]:
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-c", _CHILD],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return []
    try:
        found = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return []
    return [c for c in found if isinstance(c, dict)]
