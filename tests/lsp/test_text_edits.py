"""A fix's edits as the server applies and sends them: LSP lines, UTF-16 characters,
the client's position encoding, and the guards in `code_actions.workspace_edit`."""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec

from mgdebug.debugger.report import FixEdit
from mgdebug.server.lsp.code_actions import workspace_edit
from mgdebug.server.lsp.documents import FunctionFix
from mgdebug.server.lsp.text_edits import apply_edits, lsp_lines, to_client

BUGGY = "def f(x):\n    return x >= 1\n"


def test_lsp_lines_break_at_newlines_and_carriage_returns_only() -> None:
    assert lsp_lines("a\r\nb\rc\x0cd\ne") == ["a\r\n", "b\r", "c\x0cd\n", "e"]


def test_edits_apply_at_utf16_characters() -> None:
    # "😀" is two UTF-16 code units: the `>=` after it is at character 13, `str` index 12
    source = 'def f(x):\n    s = "😀" >= x\n'
    after = apply_edits(source, [FixEdit(1, 13, 1, 15, ">")])
    assert after == 'def f(x):\n    s = "😀" > x\n'


def test_several_edits_apply_to_the_original_text() -> None:
    source = "a = 1\nb = 2\n"
    edits = [FixEdit(1, 4, 1, 5, "20"), FixEdit(0, 4, 0, 5, "10")]
    assert apply_edits(source, edits) == "a = 10\nb = 20\n"


def test_overlapping_edits_are_refused() -> None:
    assert apply_edits("abcdef\n", [FixEdit(0, 0, 0, 3, "x"), FixEdit(0, 2, 0, 4, "y")]) is None


def test_characters_are_converted_to_the_clients_encoding() -> None:
    source = 'x = "é😀" + 1\n'
    # the `+`: 9 characters, 10 UTF-16 units, 13 UTF-8 bytes before it
    edit = FixEdit(0, 10, 0, 11, "-")
    utf8 = to_client(source, [edit], PositionCodec(types.PositionEncodingKind.Utf8))
    assert utf8[0].range.start == types.Position(0, 13)
    utf16 = to_client(source, [edit], PositionCodec(types.PositionEncodingKind.Utf16))
    assert utf16[0].range.start == types.Position(0, 10)
    utf32 = to_client(source, [edit], PositionCodec(types.PositionEncodingKind.Utf32))
    assert utf32[0].range.start == types.Position(0, 9)


def test_an_edit_past_a_last_line_without_break_ends_on_that_line() -> None:
    edit = FixEdit(1, 0, 2, 0, "c")  # replaces the last line, which has no line break
    (sent,) = to_client("a\nb", [edit], PositionCodec())
    assert sent.range == types.Range(types.Position(1, 0), types.Position(1, 1))
    assert sent.new_text == "c"


def fix(edits: list[FixEdit]) -> FunctionFix:
    return FunctionFix("f", "`>=` → `>`", 1, 1, 1, 2, BUGGY, edits)


def test_workspace_edit_sends_the_engines_edits_versioned() -> None:
    doc = TextDocument("file:///f.py", BUGGY, version=4)
    edit = workspace_edit(doc, fix([FixEdit(1, 13, 1, 15, ">")]))
    assert edit is not None and edit.document_changes
    change = edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 4
    assert change.edits == [
        types.TextEdit(types.Range(types.Position(1, 13), types.Position(1, 15)), ">")
    ]


def test_no_edit_when_the_function_changed_since_the_run() -> None:
    doc = TextDocument("file:///f.py", BUGGY.replace("x >= 1", "x >= 2"), version=5)
    assert workspace_edit(doc, fix([FixEdit(1, 13, 1, 15, ">")])) is None


def test_no_edit_whose_result_does_not_parse() -> None:
    doc = TextDocument("file:///f.py", BUGGY, version=1)
    assert workspace_edit(doc, fix([FixEdit(1, 13, 1, 15, ">>>")])) is None
