"""A fix's edits (`debugger.report.FixEdit`) applied to a text and sent to a client.

The engine gives every fix its edits as LSP ranges of the file it read:
0-based lines split at "\\n", "\\r\\n" and "\\r" (LSP's line breaks, not
`str.splitlines`'s form feeds and U+2028), characters in UTF-16 code units.
The server moves them by whole lines when the user edits elsewhere, applies
them once to check that the result parses, and converts the characters to
the position encoding the client negotiated. Nothing is re-diffed or re-parsed
to find where a fix applies.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Sequence
from dataclasses import replace

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from mgdebug.debugger.report import FixEdit

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def lsp_lines(text: str) -> list[str]:
    """`text` cut at LSP's line breaks, each line keeping its break."""
    return _LINE.findall(text)


def utf16_to_index(line: str, character: int) -> int:
    """The `str` index in `line` of a UTF-16 `character` (clamped to the line)."""
    units = 0
    for index, char in enumerate(line):
        if units >= character:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line)


def utf16_length(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _offset(lines: Sequence[str], starts: Sequence[int], line: int, character: int) -> int:
    if line >= len(lines):
        return starts[-1]
    return starts[line] + utf16_to_index(lines[line].rstrip("\r\n"), character)


def apply_edits(text: str, edits: Sequence[FixEdit]) -> str | None:
    """`text` with `edits` applied; None if they fall outside it or overlap."""
    lines = lsp_lines(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    spans = []
    for edit in edits:
        if edit.start_line > len(lines) or edit.end_line > len(lines):
            return None
        start = _offset(lines, starts, edit.start_line, edit.start_character)
        end = _offset(lines, starts, edit.end_line, edit.end_character)
        if end < start:
            return None
        spans.append((start, end, edit.new_text))
    spans.sort(key=lambda s: (s[0], s[1]))
    pieces, cursor = [], 0
    for start, end, new_text in spans:
        if start < cursor:
            return None
        pieces += [text[cursor:start], new_text]
        cursor = end
    return "".join(pieces) + text[cursor:]


def parses(text: str) -> bool:
    """Whether CPython accepts `text`: an edit is offered only if its result does."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes warn; they still parse
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def shifted(edits: Sequence[FixEdit], delta: int) -> list[FixEdit]:
    """`edits` moved by `delta` lines, when the text around them moved as a whole."""
    if delta == 0:
        return list(edits)
    return [replace(e, start_line=e.start_line + delta, end_line=e.end_line + delta) for e in edits]


def to_client(text: str, edits: Sequence[FixEdit], codec: PositionCodec) -> list[types.TextEdit]:
    """`edits` of `text` as LSP TextEdits in the client's position encoding."""
    lines = lsp_lines(text)

    def position(line: int, character: int) -> types.Position:
        if line >= len(lines) and lines and not lines[-1].endswith(("\r", "\n")):
            # past a last line without a break: its end, which every client accepts
            line, character = len(lines) - 1, utf16_length(lines[-1])
        if line >= len(lines) or codec.encoding == types.PositionEncodingKind.Utf16:
            return types.Position(line, character)
        content = lines[line].rstrip("\r\n")
        prefix = content[: utf16_to_index(content, character)]
        return types.Position(line, codec.client_num_units(prefix))

    return [
        types.TextEdit(
            range=types.Range(
                position(e.start_line, e.start_character), position(e.end_line, e.end_character)
            ),
            new_text=e.new_text,
        )
        for e in edits
    ]
