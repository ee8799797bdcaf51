"""Results as diagnostics: the failing function, its suspicious lines, syntax errors.

The blamed function gets them even when it has no expectations of its own
(an untested helper holding the top suspect line): the editor shows what the
CLI shows. A module that cannot be imported gets one diagnostic saying why
and what to do, and no blame.

The failing function's diagnostic sits on its name; related information
points at each failing expectation where it was written (a doctest line, a
test in another file) and at the suspicious lines with the values they had.

What a model said is labelled as such wherever it appears: its explanation
under the failing function's message, its verdict on a suspicious line's
block in the related information ("the model's opinion"), and a failing
expectation the model wrote is "(model-written)". None of it is shown as
fact: only the checked fixes are.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument

from mgdebug.analysis.model import SyntaxProblem
from mgdebug.debugger.report import CouldNotRun, FailureEvidence, Suspect
from mgdebug.debugger.results import BlockSnapshot

from .documents import FunctionState, Snapshot

SOURCE = "mgdebug"
SUSPECTS_PER_FUNCTION = 3  # more than a few squiggles in one function is noise
MIN_SCORE = 0.1
STALE_SYNTAX = " (stale: file has a syntax error)"
STALE_EDITED = " (stale: edited since the last run)"
SEARCHING = " (searching for a checked fix…)"  # suspects shown before the fix search ends


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


def format_values(values: dict[str, str], limit: int = 120) -> str:
    text = ", ".join(f"{name}={value}" for name, value in values.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _location(path: str, line: int) -> types.Location:
    uri = from_fs_path(path) or path
    position = types.Position(max(line - 1, 0), 0)
    return types.Location(uri=uri, range=types.Range(position, position))


MODEL_WRITTEN = " (model-written)"


def _failure_text(failure: FailureEvidence) -> str:
    label = MODEL_WRITTEN if failure.origin_kind == "model" else ""
    if failure.expected is not None and failure.actual is not None:
        expected, actual = failure.expected.strip(), failure.actual.strip()  # doctest output
        return f"{failure.description}{label}: expected {expected}, got {actual}"
    return f"{failure.description}{label}: {failure.message or failure.status}"


def model_opinion(reason: str) -> str:
    """A model verdict as the user reads it: labelled, never as an observed fact."""
    text = reason.strip()
    if text.lower().startswith("model:"):  # the engine may have labelled it already
        text = text[len("model:") :].strip()
    return f"model (its opinion, not checked): {text}"


def model_explanation(explanation: str) -> str:
    return f"model's explanation (its opinion, not checked): {explanation.strip()}"


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


def _last_values(values: list[BlockSnapshot], line: int) -> dict[str, str]:
    found = [v.values for v in values if v.line == line]
    return found[-1] if found else {}


def function_diagnostics(
    doc: TextDocument, state: FunctionState, stale: str
) -> list[types.Diagnostic]:
    report = state.report
    total = report.passed + report.failed
    suspects = [s for s in state.suspects if s.score >= MIN_SCORE][:SUSPECTS_PER_FUNCTION]
    related = [
        types.DiagnosticRelatedInformation(
            _location(f.origin_path, f.origin_line), _failure_text(f)
        )
        for f in report.failures
    ]
    related += [
        types.DiagnosticRelatedInformation(
            types.Location(doc.uri, line_range(doc, s.line)), _suspect_text(s, state)
        )
        for s in suspects
    ]
    related += _model_related(doc, suspects)
    if report.status == "fail":
        code = "failing-function"
        headline = f"{report.name} fails {report.failed} of {total} expectations"
        if report.failures:
            headline += f"; {_failure_text(report.failures[0])}"
        if report.blame_reason:
            headline += f" ({report.blame_reason})"
    else:  # an untested helper, blamed for its callers' failures (localize.py)
        code = "blamed-function"
        headline = f"{report.name} is blamed: {report.blame_reason}"
    data = {"function": report.name}
    message = headline + stale
    if report.explanation.strip():
        message += "\n" + model_explanation(report.explanation)
    diagnostics = [
        types.Diagnostic(
            range=line_range(doc, report.line),
            message=message,
            severity=types.DiagnosticSeverity.Error,
            source=SOURCE,
            code=code,
            related_information=related or None,
            data=data,
        )
    ]
    for suspect in suspects:
        origin = [
            types.DiagnosticRelatedInformation(
                _location(f.origin_path, f.origin_line), _failure_text(f)
            )
            for f in report.failures[:3]
        ]
        origin += _model_related(doc, [suspect])
        diagnostics.append(
            types.Diagnostic(
                range=line_range(doc, suspect.line),
                message=_suspect_text(suspect, state) + stale,
                severity=types.DiagnosticSeverity.Warning,
                source=SOURCE,
                code="suspicious-line",
                related_information=origin or None,
                data=data,
            )
        )
    return diagnostics


def _suspect_text(suspect: Suspect, state: FunctionState) -> str:
    text = f"suspicious line in {suspect.function} (score {suspect.score:.2f}): {suspect.reason}"
    values = _last_values(suspect.values or state.values, suspect.line)
    return text + (f"; values: {format_values(values)}" if values else "")


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
        code="syntax-error",
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
        code="could-not-run",
        data={"kind": problem.kind},
    )


def notice_diagnostic(message: str) -> types.Diagnostic:
    """A file-level note (too large, binary), on the first character."""
    return types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(0, 1)),
        message=message,
        severity=types.DiagnosticSeverity.Information,
        source=SOURCE,
        code="not-debugged",
    )


def build(
    doc: TextDocument,
    snapshot: Snapshot | None,
    syntax_error: SyntaxProblem | None,
    notice: str = "",
) -> list[types.Diagnostic]:
    """Every diagnostic for `doc`; `snapshot` must already be on the document's text,
    unless there is a syntax error, in which case it is the last good one."""
    if notice:
        return [notice_diagnostic(notice)]
    diagnostics: list[types.Diagnostic] = []
    if snapshot is not None and snapshot.could_not_run is not None:
        stale = STALE_SYNTAX if syntax_error else ""
        diagnostics.append(could_not_run_diagnostic(doc, snapshot.could_not_run, stale))
    if snapshot is not None:
        for state in snapshot.functions.values():
            # a blamed function may have no expectations: an untested helper where
            # the top suspect line is, as in the CLI's report
            if state.report.status != "fail" and not state.report.blamed:
                continue
            stale = STALE_SYNTAX if syntax_error else STALE_EDITED if state.stale else ""
            if state.searching and not stale:
                stale = SEARCHING
            diagnostics += function_diagnostics(doc, state, stale)
    if syntax_error is not None:
        diagnostics.append(syntax_diagnostic(doc, syntax_error))
    return diagnostics
