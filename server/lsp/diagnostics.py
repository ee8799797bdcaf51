"""Results as diagnostics, as quiet as ruff's and Pylance's: what failed, where to look.

For one bug the editor shows:
- one Error per failing function, on its name, saying what was called, what
  came back and what was expected ("`total([1, 2, 3])` returned 5; the
  docstring expects 6"), its related information pointing at each failing
  expectation where it was written (a doctest line, a test in another file);
- one Warning on the most likely place of the bug, with the reason in plain
  words from the evidence (`Suspect.summary`, debugger/localize/plain_words.py);
- a few further suspect lines as Hints (shown faded): at most `max_suspects`
  diagnostics in all counting the Warning (the `maxSuspects` setting), none
  below MIN_SCORE, and none on a line that only gives a name a literal
  (`s = 0`) unless it scores at least as high as the top suspect.
Scores, formula names and internal terms stay out of messages: they are in
each diagnostic's `data` for tools, and in the hover (`evidence_notes`).
Every diagnostic has a `code` whose `codeDescription` links to the README's
"Diagnostics" section; no tags (none of LSP's, Unnecessary or Deprecated, is
true of a suspect line).

An untested helper blamed for its callers' failures gets no Error of its own:
the callers' Errors say the bug is most likely there, and its line the
Warning. A module that cannot be imported gets one diagnostic saying why and
what to do, and no blame.

What a model said is labelled as such wherever it appears: its explanation
under the failing function's message, its verdict on a suspect line in the
related information ("its opinion, not checked"), and a failing expectation
the model wrote is "(model-written)". None of it is shown as fact: only the
checked fixes are.
"""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument

from mgdebug.analysis.model import SyntaxProblem
from mgdebug.debugger.localize.plain_words import only_initialises, short
from mgdebug.debugger.report import CouldNotRun, FailureEvidence, Suspect

from .documents import FunctionState, Snapshot

SOURCE = "mgdebug"
DOCS_URL = "https://github.com/mgdebug/mgdebug#diagnostics"  # README.md "Diagnostics"
DEFAULT_MAX_SUSPECTS = (
    3  # the Warning and two Hints: more than a few marks in one function is noise
)
MAX_SUSPECTS_LIMIT = 20
MIN_SCORE = 0.1
MAX_RELATED = 10
STALE_SYNTAX = " (stale: file has a syntax error)"
STALE_EDITED = " (stale: edited since the last run)"
SEARCHING = " (searching for a checked fix…)"  # suspects shown before the fix search ends

# The codes, each explained in README.md "Diagnostics".
FAILING = "failing-function"
LIKELY = "likely-location"
SUSPECT = "suspicious-line"
COULD_NOT_RUN = "could-not-run"
SYNTAX = "syntax-error"
NOT_DEBUGGED = "not-debugged"
MODEL_WRITTEN = " (model-written)"
_DEF = re.compile(r"\b(?:async\s+)?def\s+([A-Za-z_]\w*)")


def code_description() -> types.CodeDescription:
    return types.CodeDescription(href=DOCS_URL)


def line_range(doc: TextDocument, line: int, start: int | None = None) -> types.Range:
    """The text of 1-based `line` (from `start` characters, else from its indent)."""
    lines = doc.lines
    text = lines[line - 1].rstrip("\r\n") if 0 < line <= len(lines) else ""
    if start is None:
        start = len(text) - len(text.lstrip())
    codec = doc.position_codec
    begin = codec.client_num_units(text[:start])
    end = max(codec.client_num_units(text), begin + 1)  # never empty: some clients hide those
    return types.Range(types.Position(line - 1, begin), types.Position(line - 1, end))


def name_range(doc: TextDocument, line: int, name: str) -> types.Range:
    """The function's name in its `def` line, as ruff and Pylance mark a symbol; else the line."""
    lines = doc.lines
    text = lines[line - 1].rstrip("\r\n") if 0 < line <= len(lines) else ""
    found = next((m for m in _DEF.finditer(text) if m.group(1) == name), None)
    if found is None:
        return line_range(doc, line)
    codec = doc.position_codec
    begin = codec.client_num_units(text[: found.start(1)])
    end = codec.client_num_units(text[: found.end(1)])
    return types.Range(types.Position(line - 1, begin), types.Position(line - 1, end))


def format_values(values: dict[str, str], limit: int = 120) -> str:
    text = ", ".join(f"{name}={value}" for name, value in values.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def model_opinion(reason: str) -> str:
    """A model verdict as the user reads it: labelled, never as an observed fact."""
    text = reason.strip()
    if text.lower().startswith("model:"):  # the engine may have labelled it already
        text = text[len("model:") :].strip()
    return f"model (its opinion, not checked): {text}"


def model_explanation(explanation: str) -> str:
    return f"model's explanation (its opinion, not checked): {explanation.strip()}"


# -- the failing function -------------------------------------------------------


def _failure_text(failure: FailureEvidence) -> str:
    """The related information's line: the expectation, then what it expected and got."""
    label = MODEL_WRITTEN if failure.origin_kind == "model" else ""
    if failure.expected is not None and failure.actual is not None:
        expected, actual = failure.expected.strip(), failure.actual.strip()  # doctest output
        return f"{failure.description}{label}: expected {expected}, got {actual}"
    return f"{failure.description}{label}: {failure.message or failure.status}"


_EXPECTS = {
    "doctest": "the docstring expects",
    "docstring": "the docstring expects",
    "main": "the assertion expects",
    "given": "the test expects",
    "model": "a model-written case expects",
}


def failure_words(failure: FailureEvidence) -> str:
    """One failure in plain words: what was called, what came back, what was expected.

    "`total([1, 2, 3])` returned 5; the docstring expects 6",
    "`f([])` raised IndexError: list index out of range; the docstring expects 0",
    "`test_total` fails: assert 5 == 6".
    """
    if failure.origin_kind == "pytest":
        test = failure.description.removeprefix("pytest ").rsplit("::", 1)[-1]
        return f"`{short(test)}` fails: {_pytest_detail(failure)}"
    call, written = _call_and_expected(failure)
    expected = (failure.expected or "").strip() or written
    if failure.origin_kind == "doctest" and failure.expected == "":
        expected = "no output"  # `>>> f(x)` with nothing after it
    actual = (failure.actual or "").strip()
    if failure.status == "timeout":
        got = "did not finish in time"
    elif failure.status == "crash":
        got = f"crashed ({short(failure.message or 'the process died')})"
    elif call.startswith("assert") and actual.startswith("AssertionError"):
        detail = actual[len("AssertionError") :].lstrip(": ")
        got = f"fails: {short(detail)}" if detail else "fails"
    elif failure.status == "error" or (not expected and actual):
        lines = failure.message.strip().splitlines()
        got = f"raised {short(actual or (lines[-1] if lines else 'an exception'))}"
    else:
        got = f"returned {short(actual)}" if actual else "failed"
    words = f"`{short(call)}` {got}"
    if expected:
        words += f"; {_EXPECTS.get(failure.origin_kind, 'the test expects')} {short(expected)}"
    return words


def _call_and_expected(failure: FailureEvidence) -> tuple[str, str]:
    """The call and the expected value as written, from the expectation's description
    ("total([1, 2, 3]) → 6" for a doctest, "inc(3) == 4" for an assertion)."""
    text = failure.description
    for mark in (" → ", " == "):
        if mark in text:
            call, expected = text.rsplit(mark, 1) if mark == " == " else text.split(mark, 1)
            return call, expected
    return text, ""


def _pytest_detail(failure: FailureEvidence) -> str:
    """pytest's own line for it ("assert 5 == 6", "IndexError: …"), else expected and got."""
    errors = [ln[1:].strip() for ln in failure.message.splitlines() if ln.startswith("E ")]
    if errors and errors[0]:
        return short(errors[0], 100)
    if failure.expected is not None and failure.actual is not None:
        return f"expected {short(failure.expected)}, got {short(failure.actual)}"
    lines = failure.message.strip().splitlines()
    return short(lines[-1], 100) if lines else failure.status


def _location(doc: TextDocument, snapshot_path: str, path: str, line: int) -> types.Location:
    if path == snapshot_path or (from_fs_path(path) or path) == doc.uri:
        return types.Location(doc.uri, line_range(doc, line))
    position = types.Position(max(line - 1, 0), 0)
    return types.Location(from_fs_path(path) or path, types.Range(position, position))


def function_error(
    doc: TextDocument, snapshot: Snapshot, state: FunctionState, stale: str
) -> types.Diagnostic:
    """The Error on a failing function's name."""
    report = state.report
    failures = report.failures
    message = failure_words(failures[0]) if failures else f"`{report.name}` fails"
    if len(failures) > 1:
        more = len(failures) - 1
        message += f" (and {more} more failing expectation{'s' if more > 1 else ''})"
    elsewhere = _blamed_callee(snapshot, report.name)
    if elsewhere:
        message += f"; the bug is most likely in `{elsewhere}`, which it calls"
    message += stale
    if report.explanation.strip():
        message += "\n" + model_explanation(report.explanation)
    related = [
        types.DiagnosticRelatedInformation(
            _location(doc, snapshot.path, f.origin_path, f.origin_line), _failure_text(f)
        )
        for f in failures[:MAX_RELATED]
    ]
    related += _model_related(doc, state.suspects)
    data: dict[str, Any] = {
        "function": report.name,
        "failed": report.failed,
        "passed": report.passed,
        "blamed": report.blamed,
        "blame_reason": report.blame_reason,
    }
    return types.Diagnostic(
        range=name_range(doc, report.line, report.name.rsplit(".", 1)[-1]),
        message=message,
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
        code=FAILING,
        code_description=code_description(),
        related_information=related or None,
        data=data,
    )


def _blamed_callee(snapshot: Snapshot, name: str) -> str:
    """The blamed function `name` calls (directly or not), when the bug is there, not in it."""
    blamed = [n for n, s in snapshot.functions.items() if s.report.blamed and n != name]
    if not blamed or name not in snapshot.module.functions:
        return ""
    reach = set(snapshot.module.reachable([name]))
    return next((b for b in blamed if b in reach), "")


# -- suspect lines ---------------------------------------------------------------


def _model_related(
    doc: TextDocument, suspects: list[Suspect]
) -> list[types.DiagnosticRelatedInformation]:
    return [
        types.DiagnosticRelatedInformation(
            types.Location(doc.uri, line_range(doc, s.line)), model_opinion(s.model_reason)
        )
        for s in suspects
        if s.model_reason.strip()
    ]


def shown_suspects(
    doc: TextDocument, snapshot: Snapshot, max_suspects: int
) -> list[tuple[FunctionState, Suspect]]:
    """The suspect lines worth a mark, best first: the top one, then the rest by score.

    The top one is the blamed function's first suspect (its lines were ranked
    with every piece of evidence, a checked fix first); lines that only
    initialise a name follow the others only on a score at least the top one's.
    """
    pairs = [
        (state, suspect)
        for state in snapshot.functions.values()
        if state.report.status == "fail" or state.report.blamed
        for suspect in state.suspects
        if suspect.score >= MIN_SCORE
    ]
    if not pairs or max_suspects <= 0:
        return []
    blamed = [p for p in pairs if p[0].report.blamed]
    top = blamed[0] if blamed else max(pairs, key=lambda p: p[1].score)
    rest = sorted((p for p in pairs if p is not top), key=lambda p: -p[1].score)
    lines = doc.lines
    kept = [top]
    for state, suspect in rest:
        text = lines[suspect.line - 1] if 0 < suspect.line <= len(lines) else ""
        if only_initialises(text) and suspect.score < top[1].score:
            continue
        kept.append((state, suspect))
    return kept[:max_suspects]


def suspect_message(state: FunctionState, suspect: Suspect, top: bool) -> str:
    """ "likely bug here: <why>" on the top line, "also suspicious: <why>" on the others."""
    why = suspect.summary or "the failing runs pass through this line"
    if not top:
        return f"also suspicious: {why}"
    if state.report.status != "fail":  # an untested helper holds the best line
        return f"likely bug here, in `{suspect.function}`, which has no tests of its own: {why}"
    return f"likely bug here: {why}"


def suspect_diagnostic(
    doc: TextDocument,
    snapshot: Snapshot,
    state: FunctionState,
    suspect: Suspect,
    rank: int,
    stale: str,
) -> types.Diagnostic:
    failures = state.report.failures or [
        f for s in snapshot.functions.values() for f in s.report.failures
    ]
    related = [
        types.DiagnosticRelatedInformation(
            _location(doc, snapshot.path, f.origin_path, f.origin_line), _failure_text(f)
        )
        for f in failures[:1]
    ]
    related += _model_related(doc, [suspect])
    data: dict[str, Any] = {
        "function": suspect.function,
        "rank": rank,
        "score": suspect.score,
        "reason": suspect.reason,
        "summary": suspect.summary,
        "block": suspect.block,
    }
    return types.Diagnostic(
        range=line_range(doc, suspect.line),
        message=suspect_message(state, suspect, rank == 1) + stale,
        severity=types.DiagnosticSeverity.Warning if rank == 1 else types.DiagnosticSeverity.Hint,
        source=SOURCE,
        code=LIKELY if rank == 1 else SUSPECT,
        code_description=code_description(),
        related_information=related or None,
        data=data,
    )


def evidence_notes(state: FunctionState, line: int) -> list[str]:
    """The hover's account of 1-based `line` as a suspect: its rank, score and full reason."""
    notes = []
    for rank, suspect in enumerate(state.suspects, 1):
        if suspect.line == line:
            notes.append(
                f"suspect {rank} of `{state.report.name}`, score {suspect.score:.2f}: "
                f"{suspect.reason}"
            )
    return notes


# -- the rest ---------------------------------------------------------------------


def syntax_diagnostic(doc: TextDocument, problem: SyntaxProblem) -> types.Diagnostic:
    start = line_range(doc, problem.line, problem.column).start
    end_line = max(problem.end_line, problem.line)
    end_column = problem.end_column
    if end_line == problem.line:
        end_column = max(end_column, problem.column + 1)
    end = line_range(doc, end_line, end_column).start
    if end == start:
        end = types.Position(start.line, start.character + 1)
    return types.Diagnostic(
        range=types.Range(start, end),
        message=f"syntax error: {problem.message}",
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
        code=SYNTAX,
        code_description=code_description(),
    )


def could_not_run_diagnostic(
    doc: TextDocument, problem: CouldNotRun, stale: str
) -> types.Diagnostic:
    """One diagnostic when the module cannot be imported: why, and what to do.

    Not a blame: on the line that imports (or raised), a warning when the
    environment is at fault, an error when the file's own top level raised."""
    line = problem.line or 1
    return types.Diagnostic(
        range=line_range(doc, line),
        message=problem.message + stale,
        severity=types.DiagnosticSeverity.Warning
        if problem.environment
        else types.DiagnosticSeverity.Error,
        source=SOURCE,
        code=COULD_NOT_RUN,
        code_description=code_description(),
        data={"kind": problem.kind},
    )


def notice_diagnostic(message: str) -> types.Diagnostic:
    """A file-level note (too large, binary), on the first character."""
    return types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(0, 1)),
        message=message,
        severity=types.DiagnosticSeverity.Information,
        source=SOURCE,
        code=NOT_DEBUGGED,
        code_description=code_description(),
    )


def _stale(state: FunctionState, syntax_error: SyntaxProblem | None) -> str:
    stale = STALE_SYNTAX if syntax_error else STALE_EDITED if state.stale else ""
    return stale or (SEARCHING if state.searching else "")


def build(
    doc: TextDocument,
    snapshot: Snapshot | None,
    syntax_error: SyntaxProblem | None,
    notice: str = "",
    max_suspects: int = DEFAULT_MAX_SUSPECTS,
) -> list[types.Diagnostic]:
    """Every diagnostic for `doc`; `snapshot` must already be on the document's text,
    unless there is a syntax error, in which case it is the last good one.

    `max_suspects`: how many suspect lines get a mark, the Warning included
    (the `maxSuspects` setting); 0 shows only the failing functions."""
    if notice:
        return [notice_diagnostic(notice)]
    diagnostics: list[types.Diagnostic] = []
    if snapshot is not None and snapshot.could_not_run is not None:
        stale = STALE_SYNTAX if syntax_error else ""
        diagnostics.append(could_not_run_diagnostic(doc, snapshot.could_not_run, stale))
    if snapshot is not None:
        for state in snapshot.functions.values():
            if state.report.status == "fail":
                diagnostics.append(
                    function_error(doc, snapshot, state, _stale(state, syntax_error))
                )
        for rank, (state, suspect) in enumerate(shown_suspects(doc, snapshot, max_suspects), 1):
            stale = _stale(state, syntax_error)
            diagnostics.append(suspect_diagnostic(doc, snapshot, state, suspect, rank, stale))
    if syntax_error is not None:
        diagnostics.append(syntax_diagnostic(doc, syntax_error))
    return diagnostics
