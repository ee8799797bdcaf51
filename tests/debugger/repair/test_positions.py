"""Offsets → LSP positions: 0-based lines, UTF-16 characters, every LSP line break."""

from __future__ import annotations

import pytest
from repair_support import candidates, code

from mgdebug.debugger.repair.edits import TextEdit, apply_changes
from mgdebug.debugger.repair.positions import fix_edits, offset_position, utf16_length
from mgdebug.debugger.report import FixEdit


def apply_lsp(source: str, edits: list[FixEdit]) -> str:
    """Apply LSP edits the way an editor does: by line and UTF-16 character."""
    lines = source.splitlines(keepends=True) or [""]

    def offset(line: int, character: int) -> int:
        before = sum(len(text) for text in lines[:line])
        text = lines[line] if line < len(lines) else ""
        units = 0
        for index, char in enumerate(text):
            if units >= character:
                return before + index
            units += 2 if ord(char) > 0xFFFF else 1
        return before + len(text)

    result = source
    for edit in sorted(edits, key=lambda e: (e.start_line, e.start_character), reverse=True):
        start = offset(edit.start_line, edit.start_character)
        end = offset(edit.end_line, edit.end_character)
        result = result[:start] + edit.new_text + result[end:]
    return result


def test_positions_are_zero_based_lines_and_characters() -> None:
    source = "ab\ncd\n"
    assert offset_position(source, 0) == (0, 0)
    assert offset_position(source, 2) == (0, 2)  # the line break itself ends line 0
    assert offset_position(source, 3) == (1, 0)
    assert offset_position(source, 4) == (1, 1)
    assert offset_position(source, len(source)) == (2, 0)


def test_characters_count_utf16_code_units() -> None:
    source = 'x = "é😀" + y\n'
    # "é" is one code unit, "😀" (beyond the BMP) two.
    assert offset_position(source, source.index("+")) == (0, source.index("+") + 1)
    assert offset_position(source, source.index("é")) == (0, 5)
    assert offset_position(source, source.index("😀") + 1) == (0, 8)
    assert utf16_length("😀é") == 3


def test_crlf_counts_as_one_line_break() -> None:
    source = "a = 1\r\nb = 2\r\n"
    assert offset_position(source, source.index("b")) == (1, 0)
    assert offset_position(source, source.index("2")) == (1, 4)
    # A position just before "\n" of "\r\n" is still on its line.
    assert offset_position(source, source.index("\r")) == (0, 5)


def test_a_lone_carriage_return_breaks_a_line_but_a_form_feed_does_not() -> None:
    source = "a\rb\x0cc\nd"
    assert offset_position(source, source.index("b")) == (1, 0)
    assert offset_position(source, source.index("c")) == (1, 2)
    assert offset_position(source, source.index("d")) == (2, 0)


def test_offsets_outside_the_source_are_refused() -> None:
    with pytest.raises(ValueError):
        offset_position("abc", 4)


def test_fix_edits_sorted_and_applied_by_an_editor_give_the_fixed_file() -> None:
    source = "# ünïcode 😀\r\ndef f(x):\r\n    return x < 1\r\n"
    changes = (
        TextEdit(source.index("1"), source.index("1") + 1, "2"),
        TextEdit(source.index("<"), source.index("<") + 1, "<="),
    )
    edits = fix_edits(source, changes)
    assert [(e.start_line, e.start_character, e.new_text) for e in edits] == [
        (2, 13, "<="),
        (2, 15, "2"),
    ]
    assert apply_lsp(source, edits) == apply_changes(source, changes)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_every_candidate_carries_the_edits_that_make_it(newline: str) -> None:
    source = code(
        """
        def middle(xs):
            label = "médian 😀"
            if len(xs) < 2:
                return xs[0]
            return sorted(xs)[len(xs) // 2 + 1]
        """
    ).replace("\n", newline)
    found = candidates(source, ["if len", "return sorted"], pairs=True)
    assert any(c.kind == "pair" for c in found)
    for candidate in found:
        assert candidate.origin == "search"
        assert candidate.changes
        assert apply_changes(source, candidate.changes) == candidate.source
        assert apply_lsp(source, fix_edits(source, candidate.changes)) == candidate.source
