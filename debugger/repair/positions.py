"""Offsets into a source string → LSP positions, for the edits a fix carries to editors.

Repair splices text at `str` offsets (code points) of the file as it was read;
an editor wants 0-based lines and characters counted in UTF-16 code units
(LSP's default position encoding). The conversion happens once, when a
checked candidate becomes a `Fix`, so no front end re-diffs or re-parses.

Line breaks are LSP's: "\\n", "\\r\\n" and a lone "\\r" — not the other
separators `str.splitlines` knows (form feed, U+2028, ...), which editors
show inside a line.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from ..report import FixEdit
from .edits import TextEdit


class LineIndex:
    """Where each line of `source` starts, so positions cost a bisect and one short slice."""

    def __init__(self, source: str) -> None:
        self.source = source
        starts = [0]
        index = 0
        length = len(source)
        while index < length:
            char = source[index]
            if char == "\n":
                starts.append(index + 1)
            elif char == "\r":
                if index + 1 < length and source[index + 1] == "\n":
                    index += 1
                starts.append(index + 1)
            index += 1
        self.starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        """(line, character) of `offset`: 0-based, the character in UTF-16 code units."""
        if not 0 <= offset <= len(self.source):
            raise ValueError(f"offset {offset} outside a source of {len(self.source)} characters")
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, utf16_length(self.source[self.starts[line] : offset])


def utf16_length(text: str) -> int:
    """How many UTF-16 code units `text` takes: two for characters beyond the BMP."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def offset_position(source: str, offset: int) -> tuple[int, int]:
    """The LSP position (0-based line, UTF-16 character) of a `str` offset into `source`."""
    return LineIndex(source).position(offset)


def fix_edits(source: str, changes: Sequence[TextEdit]) -> list[FixEdit]:
    """`changes` (offsets into `source`) as LSP edits of `source`, in text order."""
    index = LineIndex(source)
    edits: list[FixEdit] = []
    for change in sorted(changes, key=lambda c: (c.start, c.end)):
        start_line, start_character = index.position(change.start)
        end_line, end_character = index.position(change.end)
        edits.append(FixEdit(start_line, start_character, end_line, end_character, change.text))
    return edits
