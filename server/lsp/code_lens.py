"""Code lenses above each function with expectations: its pass/fail count, "Debug",
and "Apply best fix" when a failing function has a checked fix.

Both commands take `[uri, line]` with a 0-based line anywhere in the function,
the same coordinates as an LSP Position, so a client can pass a cursor line.
The fix command is the one behind the quick fixes' edits (commands.fix_function).

A count describes the text it ran on: a function edited since says so until
the next result arrives (session.py asks the client to re-request lenses then).
"""

from __future__ import annotations

from lsprotocol import types

from .documents import FunctionState, Snapshot

DEBUG_COMMAND = "mgdebug.debugFunction"
FIX_COMMAND = "mgdebug.fixFunction"


EDITED = " (before your edit)"  # the count is of the text before the function was edited
SEARCHING = " · searching for a fix…"  # the count is final; fixes may still come


def status_title(state: FunctionState) -> str:
    report = state.report
    total = report.passed + report.failed
    title = f"✗ {report.failed} of {total} failed" if report.failed else f"✓ {report.passed} passed"
    if state.stale:
        return title + EDITED
    return title + (SEARCHING if state.searching and report.failed else "")


def lenses(uri: str, snapshot: Snapshot) -> list[types.CodeLens]:
    found: list[types.CodeLens] = []
    for state in sorted(snapshot.functions.values(), key=lambda s: s.report.line):
        report = state.report
        if report.passed + report.failed == 0:
            continue
        position = types.Position(report.line - 1, 0)
        where = types.Range(position, position)
        arguments = [uri, report.line - 1]
        # a status lens needs a command to show in VS Code; "" makes it a label
        found.append(
            types.CodeLens(where, types.Command(status_title(state), "", arguments=arguments))
        )
        found.append(
            types.CodeLens(where, types.Command("Debug", DEBUG_COMMAND, arguments=arguments))
        )
        if report.failed and state.fixes:
            found.append(
                types.CodeLens(
                    where, types.Command("Apply best fix", FIX_COMMAND, arguments=arguments)
                )
            )
    return found
