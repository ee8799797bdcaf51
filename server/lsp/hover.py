"""Hover over a variable in a failing function: its values in the failing run.

Values come from block snapshots (the variables when execution left each
basic block) of one failing run, as the engine recorded them: repr strings,
already bounded in size.
"""

from __future__ import annotations

import re

from lsprotocol import types
from pygls.workspace import TextDocument

from mgdebug.debugger.results import BlockSnapshot

from .documents import FunctionState, Snapshot

MAX_ROWS = 12  # a loop can leave a block thousands of times; the first rows tell the story
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def function_at(snapshot: Snapshot, line: int) -> FunctionState | None:
    """The innermost function with results whose lines contain 1-based `line`."""
    best: FunctionState | None = None
    for state in snapshot.functions.values():
        report = state.report
        if report.line <= line <= report.end_line and (
            best is None or report.line >= best.report.line
        ):
            best = state
    return best


def identifier_at(doc: TextDocument, position: types.Position) -> tuple[str, types.Range] | None:
    if position.line >= len(doc.lines):
        return None
    text = doc.lines[position.line]
    column = doc.position_codec.position_from_client_units(doc.lines, position).character
    for match in IDENTIFIER.finditer(text):
        if match.start() <= column <= match.end():
            codec = doc.position_codec
            start = codec.client_num_units(text[: match.start()])
            end = codec.client_num_units(text[: match.end()])
            where = types.Range(
                types.Position(position.line, start), types.Position(position.line, end)
            )
            return match.group(), where
    return None


def value_rows(values: list[BlockSnapshot], name: str) -> list[str]:
    rows = []
    for snap in values:
        if name in snap.values:
            loop = f", pass {snap.iteration + 1}" if snap.iteration else ""
            rows.append(f"| {snap.line}{loop} | `{snap.values[name]}` |")
    return rows


def hover(doc: TextDocument, snapshot: Snapshot, position: types.Position) -> types.Hover | None:
    state = function_at(snapshot, position.line + 1)
    if state is None or state.report.status != "fail" or not state.values:
        return None
    found = identifier_at(doc, position)
    if found is None:
        return None
    name, where = found
    rows = value_rows(state.values, name)
    if not rows:
        return None
    more = len(rows) - MAX_ROWS
    lines = [
        f"**mgdebug** — `{name}` in the failing run of `{state.report.name}`",
        "",
        "| after line | value |",
        "|---:|---|",
        *rows[:MAX_ROWS],
    ]
    if more > 0:
        lines.append(f"\n…and {more} more")
    if state.stale:
        lines.append("\n_(stale: the function was edited since this run)_")
    content = types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n".join(lines))
    return types.Hover(contents=content, range=where)
