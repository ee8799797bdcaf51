"""Hover over a variable in a failing function: its values in the failing run.

Values come from block snapshots (the variables when execution left each
basic block) of one failing run, as the engine recorded them: repr strings,
already bounded in size.

With a model, the hover on a suspicious line also carries the model's verdict
on its block, and the hover on the function's first line its explanation,
both labelled as the model's opinion (what execution showed is the table).
"""

from __future__ import annotations

import re

from lsprotocol import types
from pygls.workspace import TextDocument

from mgdebug.debugger.results import BlockSnapshot

from .diagnostics import evidence_notes, model_explanation, model_opinion
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


def model_notes(state: FunctionState, line: int) -> list[str]:
    """What the model said about 1-based `line`: its block verdicts, and on the
    function's first line its explanation; each labelled as its opinion."""
    notes = [
        f"_{model_opinion(s.model_reason)}_"
        for s in state.suspects
        if s.line == line and s.model_reason.strip()
    ]
    if line == state.report.line and state.report.explanation.strip():
        notes.append(f"_{model_explanation(state.report.explanation)}_")
    return notes


def hover(doc: TextDocument, snapshot: Snapshot, position: types.Position) -> types.Hover | None:
    state = function_at(snapshot, position.line + 1)
    if state is None or not (state.report.status == "fail" or state.report.blamed):
        return None
    found = identifier_at(doc, position)
    name, where = found if found is not None else ("", None)
    rows = value_rows(state.values, name) if name else []
    # the full evidence (scores and all) behind a suspect line, kept out of its message
    notes = evidence_notes(state, position.line + 1) + model_notes(state, position.line + 1)
    if not rows and not notes:
        return None
    lines: list[str] = []
    if rows:
        more = len(rows) - MAX_ROWS
        lines += [
            f"**mgdebug** — `{name}` in the failing run of `{state.report.name}`",
            "",
            "| after line | value |",
            "|---:|---|",
            *rows[:MAX_ROWS],
        ]
        if more > 0:
            lines.append(f"\n…and {more} more")
    else:
        lines.append(f"**mgdebug** — `{state.report.name}`")
    for note in notes:
        lines += ["", note]
    if state.stale:
        lines.append("\n_(stale: the function was edited since this run)_")
    content = types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n".join(lines))
    return types.Hover(contents=content, range=where)
