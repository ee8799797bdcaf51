"""A fix found on the decomposed function, carried back to the user's own text.

The user asked for a fix, not a refactor. The helpers of a decomposition are
mostly the original lines moved and re-indented, so a fix that edits only
such lines is the same edit of the original: the lines of the decomposed
region are aligned with the original function's on their stripped text
(difflib, then lines that occur once on each side), and each changed run of
lines is applied to its counterpart, shifted to the original's indentation.
A fix that touches what the split introduced (a helper's `def`, its
`return`, the calls) has no counterpart: it is offered as a whole-function
replacement, labelled as one — the helpers inlined back into one function
where that is mechanical (decompose_inline.py), else the helpers and the new
function as they are. Nothing here decides that a fix is right: the caller
checks the candidate in the sandbox like any other.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Sequence

from ..baseline import Baseline
from ..repair.candidates import Candidate
from ..repair.edits import TextEdit, apply_changes, tokens_changed
from .decompose import Decomposition, _first_line, _top_level_def
from .decompose_inline import inline_helpers
from .splice import _line_offsets, hunks

LineMap = dict[int, int]  # 0-based line of the decomposed file -> 0-based line of the original


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _equal_blocks(a: Sequence[str], b: Sequence[str], a0: int, b0: int, into: LineMap) -> None:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            into[b0 + block.b + k] = a0 + block.a + k


def _align_region(
    original: Sequence[str], decomposed: Sequence[str], a0: int, b0: int, into: LineMap
) -> None:
    """Pair moved lines: in order where difflib finds them, then any line unique on both sides."""
    a = [line.strip() for line in original]
    b = [line.strip() for line in decomposed]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    used: set[int] = set()
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            into[b0 + block.b + k] = a0 + block.a + k
            used.add(block.a + k)
    free_a = [i for i in range(len(a)) if i not in used and a[i]]
    free_b = [j for j in range(len(b)) if b0 + j not in into and b[j]]
    for j in free_b:
        same_a = [i for i in free_a if a[i] == b[j]]
        same_b = [k for k in free_b if b[k] == b[j]]
        if len(same_a) == 1 and len(same_b) == 1:
            into[b0 + j] = a0 + same_a[0]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _shifted(line: str, dec_indent: str, orig_indent: str) -> str:
    """`line` moved from the decomposed indentation to the original's."""
    if not line.strip():
        return line
    if line.startswith(dec_indent):
        return orig_indent + line[len(dec_indent) :]
    width = len(_indent(line).expandtabs()) + len(orig_indent.expandtabs())
    width -= len(dec_indent.expandtabs())
    return " " * max(0, width) + line.lstrip()


def _width_shift(dec_line: str, orig_line: str) -> int:
    return len(_indent(orig_line).expandtabs()) - len(_indent(dec_line).expandtabs())


def mapped_edits(
    original: Sequence[str],
    decomposed: Sequence[str],
    fixed: Sequence[str],
    line_map: LineMap,
) -> list[TextEdit] | None:
    """The fix's line edits as edits of the original, or None when one has no counterpart."""
    offsets = _line_offsets("".join(original))
    edits: list[TextEdit] = []
    matcher = difflib.SequenceMatcher(None, decomposed, fixed, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:  # lines replaced or deleted: each must have its own counterpart, in a run
            mapped = [line_map.get(i) for i in range(i1, i2)]
            if any(m is None for m in mapped):
                return None
            first = mapped[0]
            assert first is not None
            if mapped != list(range(first, first + len(mapped))):
                return None
            solid = [i for i in range(i1, i2) if decomposed[i].strip()]
            shifts = {_width_shift(decomposed[i], original[line_map[i]]) for i in solid}
            if len(shifts) != 1:
                return None  # blank lines only, or lines moved by different amounts
            anchor = solid[0]
            start, end = offsets[first], offsets[first + len(mapped)]
        else:  # lines inserted: beside a line that has a counterpart
            anchor = next((i for i in (i1, i1 - 1) if i in line_map and decomposed[i].strip()), -1)
            if anchor < 0:
                return None
            start = end = offsets[line_map[anchor] + (0 if anchor == i1 else 1)]
        dec_indent, orig_indent = _indent(decomposed[anchor]), _indent(original[line_map[anchor]])
        text = "".join(_shifted(line, dec_indent, orig_indent) for line in fixed[j1:j2])
        edits.append(TextEdit(start, end, text))
    return edits


def line_map(baseline: Baseline, decomposition: Decomposition) -> LineMap | None:
    """Which original line each line of the decomposed file is, where it is one."""
    func = baseline.module.functions.get(decomposition.function)
    if func is None:
        return None
    old = _top_level_def(ast.parse(baseline.source), func.name)
    dec_tree = ast.parse(decomposition.source)
    parts = [_top_level_def(dec_tree, n) for n in (*decomposition.helpers, func.name)]
    if old is None or any(p is None for p in parts):
        return None
    nodes = [p for p in parts if p is not None]
    region = (min(_first_line(n) for n in nodes) - 1, max(n.end_lineno or n.lineno for n in nodes))
    span = (_first_line(old) - 1, func.end_line)
    original, decomposed = _lines(baseline.source), _lines(decomposition.source)
    found: LineMap = {}
    _equal_blocks(original[: span[0]], decomposed[: region[0]], 0, 0, found)
    _equal_blocks(original[span[1] :], decomposed[region[1] :], span[1], region[1], found)
    _align_region(
        original[span[0] : span[1]], decomposed[region[0] : region[1]], span[0], region[0], found
    )
    return found


def _candidate(
    baseline: Baseline,
    source: str,
    changes: Sequence[TextEdit],
    kind: str,
    summary: str,
    function: str,
) -> Candidate:
    original = baseline.source
    ordered = tuple(sorted(changes, key=lambda c: (c.start, c.end)))
    return Candidate(
        source=source,
        kind=kind,
        line=original[: ordered[0].start].count("\n") + 1 if ordered else 1,
        summary=summary,
        tokens_changed=sum(tokens_changed(original[c.start : c.end], c.text) for c in ordered),
        function=function,
        changes=ordered,
        origin="model",
    )


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


def _line_summary(baseline: Baseline, edits: Sequence[TextEdit], function: str) -> str:
    source = baseline.source
    first = min(e.start for e in edits)
    line = source[:first].count("\n") + 1
    if len(edits) == 1:
        old, new = source[edits[0].start : edits[0].end], edits[0].text
        if old.count("\n") == 1 and new.count("\n") == 1:
            return f"`{old.strip()}` → `{new.strip()}` on line {line} (model)"
    last = max(source[: max(e.end - 1, e.start)].count("\n") + 1 for e in edits)
    where = f"line {line}" if last <= line else f"lines {line}–{last}"
    return f"model fix of `{function}`, {where}"


def map_fix(
    baseline: Baseline, decomposition: Decomposition, fixed_source: str
) -> Candidate | None:
    """The candidate fix of the original file that `fixed_source` (the decomposed file, fixed) is.

    None when the fix changes nothing or does not parse.
    """
    function = decomposition.function
    if fixed_source == decomposition.source or not _parses(fixed_source):
        return None
    found = line_map(baseline, decomposition)
    if found is not None:
        edits = mapped_edits(
            _lines(baseline.source), _lines(decomposition.source), _lines(fixed_source), found
        )
        if edits:
            source = apply_changes(baseline.source, edits)
            if source != baseline.source and _parses(source):
                summary = _line_summary(baseline, edits, function)
                return _candidate(baseline, source, edits, "model", summary, function)
    return whole_function(baseline, decomposition, fixed_source)


def whole_function(
    baseline: Baseline, decomposition: Decomposition, fixed_source: str
) -> Candidate | None:
    """The fixed function as one replacement: inlined if mechanical, else helpers and all."""
    function = decomposition.function
    why = "the fix changes lines the split into helpers introduced, so it has no line-for-line "
    why += "counterpart in your code"
    inlined = inline_helpers(decomposition, fixed_source)
    if inlined is not None and inlined != baseline.source:
        summary = (
            f"whole-function replacement of `{function}` (model): {why}; "
            "this is the fixed function with its helpers inlined"
        )
        return _candidate(
            baseline, inlined, hunks(baseline.source, inlined), "model-rewrite", summary, function
        )
    if fixed_source == baseline.source:
        return None
    helpers = ", ".join(f"`{h}`" for h in decomposition.helpers)
    summary = (
        f"whole-function replacement of `{function}` (model): {why}; this replaces it by the "
        f"helpers {helpers} and a new `{function}` that calls them"
    )
    return _candidate(
        baseline,
        fixed_source,
        hunks(baseline.source, fixed_source),
        "model-decomposed",
        summary,
        function,
    )
