"""Why a suspect line is suspect, in words a person reads in an editor: `Suspect.summary`.

`Suspect.reason` keeps the evidence as the ranking saw it (scores, formula
names) for hovers and tools; an editor's message must say what happened
instead: "a checked fix changes this line: `xs[1:]` → `xs`", "`x` never
takes 1 here although the failing call passes [1, 2, 3]", "only the failing
runs reach this line". Every clause is read off what ran — the traced values
of one failing run, which runs reached the line, a fix that passed every
expectation — and is left out when the trace cannot back it (values dropped,
the function called more than once, an argument that is no literal).

`describe_suspects` runs at the end of `locate`; `note_checked_fixes` after
lines with checked fixes are ranked first. `only_initialises` is the rule
front ends use to keep faded hints off lines like `s = 0`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..report import Fix, Report, Suspect
from ..results import CallRecord, ExpectationResult, TraceData

MAX_CLAUSES = 2  # a message line, not a paragraph: the strongest two facts
MAX_TEXT = 60  # a value or call longer than this is shortened with "…"
# A mutation score (Metallaxis, mutation.py) from which "small edits change the failing
# result" is worth saying: below it most mutants of the line left the failing runs as they were.
MUTATION_CLEAR = 0.5
MAX_ELEMENTS = 20  # a longer argument says little about which element was skipped
FIX_CLAUSE = "a checked fix changes this line"
_FOR = re.compile(r"^\s*(?:async\s+)?for\s+([A-Za-z_]\w*)\s+in\s+.+:\s*(?:#.*)?$")
_RETURN = re.compile(r"^\s*return\b")
# "`a` → `b` on line 10", "delete `[1:]` on line 10" (repair/sites.py)
_CHANGE = re.compile(r"^((?:delete |insert )?`.+`(?: → `.+`)?) on line (\d+)$")


def short(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_suspects(
    report: Report, source: str, mutation: Mapping[int, float] | None = None
) -> None:
    """Fill `summary` of every suspect of `report` from its results (`source`: the text run).

    `mutation`: line -> share of small edits at the line that changed a failing
    run's outcome (the mutation pass), 0 or missing when none did.
    """
    lines = source.splitlines()
    for suspect in report.suspects:
        text = lines[suspect.line - 1] if 0 < suspect.line <= len(lines) else ""
        score = (mutation or {}).get(suspect.line, 0.0)
        clauses = _clauses(suspect, text, report.results, score)
        suspect.summary = "; ".join(clauses[:MAX_CLAUSES])
    note_checked_fixes(report)


def note_checked_fixes(report: Report) -> None:
    """Put "a checked fix changes this line: `a` → `b`" first in the summary of fixed lines.

    Only fixes that passed every expectation count; the best-ranked one of a
    line names the change. Safe to call again after the fixes changed.
    """
    for suspect in report.suspects:
        kept = [c for c in _split(suspect.summary) if not c.startswith(FIX_CLAUSE)]
        fix = next((f for f in report.fixes if f.validated and f.line == suspect.line), None)
        if fix is not None:
            kept.insert(0, fix_clause(fix, suspect.line))
        suspect.summary = "; ".join(kept[:MAX_CLAUSES])


def fix_clause(fix: Fix, line: int) -> str:
    """ "a checked fix changes this line: `xs[1:]` → `xs`" (the change only when it is plain)."""
    for part in fix.summary.split("; "):
        found = _CHANGE.match(part.strip())
        if found and int(found.group(2)) == line:
            return f"{FIX_CLAUSE}: {found.group(1)}"
    return FIX_CLAUSE


def only_initialises(text: str) -> bool:
    """Whether the statement on a line only gives names a literal value (`s = 0`, `out = []`).

    Such a line runs in every run, passing or failing, so the spectrum puts it
    near the top of a short function whatever the bug: alone it is no evidence.
    """
    try:
        tree = ast.parse(text.strip())
    except SyntaxError:
        return False
    if len(tree.body) != 1:
        return False
    stmt = tree.body[0]
    if isinstance(stmt, ast.Assign):
        targets: list[ast.expr] = list(stmt.targets)
        value: ast.expr | None = stmt.value
    elif isinstance(stmt, ast.AnnAssign):
        targets, value = [stmt.target], stmt.value
    else:
        return False
    return value is not None and all(_names(t) for t in targets) and _literal(value)


def _names(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, (ast.Tuple, ast.List)) and all(_names(e) for e in target.elts)


def _literal(value: ast.expr) -> bool:
    if isinstance(value, ast.Call):  # list(), dict(), set() ... with no arguments
        return (
            isinstance(value.func, ast.Name)
            and value.func.id in ("list", "dict", "set", "tuple", "str", "int", "float")
            and not value.args
            and not value.keywords
        )
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _split(summary: str) -> list[str]:
    return [c for c in summary.split("; ") if c]


def _clauses(
    suspect: Suspect, text: str, results: Sequence[ExpectationResult], mutation: float
) -> list[str]:
    """What the runs show about the line, strongest first."""
    failing = [r for r in results if not r.passed and not r.skipped and r.trace is not None]
    reached = [r for r in failing if suspect.line in _trace(r).lines]
    run = next((r for r in reached if _calls(_trace(r), suspect.function)), None)
    call = _calls(_trace(run), suspect.function)[0] if run is not None else None
    clauses: list[str] = []
    raised = next((r for r in failing if r.error_line == suspect.line), None)
    if raised is not None:
        where = _calls(_trace(raised), suspect.function)
        error = _exception(raised)
        clauses.append(
            f"the failing call{_named(where[0] if where else None)} raises {error} here"
            if error
            else "the failing run raises an exception here"
        )
    if run is not None and call is not None:
        clauses += _loop_clause(suspect, text, _trace(run), call)
        clauses += _value_clause(suspect, text, run, call)
    if _only_failing(suspect, results, reached):
        clauses.append("only the failing runs reach this line")
    if mutation >= MUTATION_CLEAR:
        clauses.append("small edits to this line change the failing result")
    if not clauses and reached:
        clauses.append(
            f"all {len(reached)} failing runs go through this line"
            if len(reached) > 1
            else f"the failing call{_named(call)} goes through this line"
        )
    return clauses


def _exception(result: ExpectationResult) -> str:
    """ "IndexError: list index out of range" from a doctest's output or a test's report."""
    text = (result.actual or "").strip()
    if re.match(r"^[A-Za-z_][\w.]*(:|$)", text):
        return short(text.splitlines()[-1] if "\n" in text else text)
    errors = [ln[1:].strip() for ln in result.message.splitlines() if ln.startswith("E ")]
    return short(errors[0]) if errors else ""


def _trace(result: ExpectationResult | None) -> TraceData:
    return result.trace if result is not None and result.trace is not None else TraceData()


def _calls(trace: TraceData, function: str) -> list[CallRecord]:
    return [c for c in trace.calls if c.function == function]


def call_text(call: CallRecord) -> str:
    """`total([1, 2, 3])`: the call as traced (argument reprs, `self` left out)."""
    name = call.function.rsplit(".", 1)[-1]
    args = [value for key, value in call.args.items() if key not in ("self", "cls")]
    return short(f"{name}({', '.join(args)})")


def _named(call: CallRecord | None) -> str:
    return f" `{call_text(call)}`" if call is not None else ""


def _loop_clause(suspect: Suspect, text: str, trace: TraceData, call: CallRecord) -> list[str]:
    """ "`x` never takes 1 here although the failing call passes [1, 2, 3]", when the trace
    shows every value the loop variable took in the one call of the function."""
    found = _FOR.match(text)
    if found is None or trace.dropped_snapshots or len(_calls(trace, suspect.function)) != 1:
        return []
    var = found.group(1)
    here = [s for s in trace.snapshots if s.function == suspect.function and s.line == suspect.line]
    if not here:
        return []
    taken = {s.values[var] for s in here if var in s.values}
    for given in call.args.values():
        elements = _elements(given)
        if not elements or not taken <= {repr(e) for e in elements}:
            continue
        missing = list(dict.fromkeys(repr(e) for e in elements if repr(e) not in taken))
        if not missing:
            return []
        if not taken:
            return [f"the loop never runs although the failing call passes {short(given)}"]
        named = " or ".join(missing[:2]) + (" …" if len(missing) > 2 else "")
        return [f"`{var}` never takes {named} here although the failing call passes {short(given)}"]
    return []


def _elements(given: str) -> list[Any]:
    """The elements of a list or tuple argument written as a literal repr, else []."""
    try:
        value = ast.literal_eval(given)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return []
    if isinstance(value, (list, tuple)) and 0 < len(value) <= MAX_ELEMENTS:
        return list(value)
    return []


def _value_clause(
    suspect: Suspect, text: str, run: ExpectationResult, call: CallRecord
) -> list[str]:
    """Where the wrong result shows: the `return` that gave it, or a variable holding it.

    Only when the run called the function once: a recursive call's inner
    returns and values would otherwise pass for the outer call's."""
    result = call.result
    if result is None or call.exception or len(_calls(_trace(run), suspect.function)) != 1:
        return []
    if _RETURN.match(text):
        clause = f"`{call_text(call)}` returns {short(result)} here"
        expected = (run.expected or "").strip()
        if call.depth == 0 and (run.actual or "").strip() == result and expected:
            clause += f", not the expected {short(expected)}"
        return [clause]
    # A variable the line assigns, holding the returned value after it: where that
    # value is computed (a loop header's `i` equal to it by chance is not).
    holding = [
        name
        for snap in _trace(run).snapshots
        if snap.function == suspect.function and snap.line == suspect.line
        for name, value in snap.values.items()
        if value == result and _assigns(text, name)
    ]
    if holding:
        return [f"the returned value {short(result)} is computed here (`{holding[-1]}`)"]
    return []


def _assigns(text: str, name: str) -> bool:
    """Whether the line's statement assigns `name` (`s = ...`, `s += x`, `s: int = ...`)."""
    pattern = rf"^\s*{re.escape(name)}\s*(?::[^=]+)?(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)"
    return re.match(pattern, text) is not None


def _only_failing(
    suspect: Suspect, results: Iterable[ExpectationResult], reached: list[ExpectationResult]
) -> bool:
    """The line ran in failing runs and in none of the traced passing runs that called its
    function (a passing run that never calls it says nothing about the line)."""
    passing = [
        r for r in results if r.passed and not r.skipped and _calls(_trace(r), suspect.function)
    ]
    return (
        bool(reached)
        and bool(passing)
        and not any(suspect.line in _trace(r).lines for r in passing)
    )
