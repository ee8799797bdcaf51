"""Results moved onto an edited text: lines, suspects, fixes and their edits.

Plain functions over `documents.py`, no server: the end-to-end tests only see
the outcome of one or two edits; these pin each remapping rule.
"""

from __future__ import annotations

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.report import Fix, FixEdit, FunctionReport, Report, Suspect
from mgdebug.server.lsp.documents import Snapshot, ingest, line_map, remap

SOURCE = """\
def helper(x):
    return x + 1


def total(xs):
    result = 0
    for x in xs:
        result += helper(x) - 1
    return result
"""
# helper: lines 1-2; total: lines 5-9; the bug (`- 1`) is on line 8


def report(source: str = SOURCE) -> Report:
    """A report as the engine gives it: `total` fails, line 8 is suspect, one checked fix."""
    return Report(
        path="/work/example.py",
        functions=[
            FunctionReport("helper", 1, 2, "pass", passed=1),
            FunctionReport("total", 5, 9, "fail", failed=1, blamed=True),
        ],
        suspects=[Suspect("total", 8, 0.9, "only failing runs")],
        fixes=[
            Fix(
                function="total",
                source=source.replace("helper(x) - 1", "helper(x)"),
                diff="",
                validated=True,
                origin="search",
                summary="`helper(x) - 1` → `helper(x)` on line 8",
                passed=1,
                total=1,
                edits=[FixEdit(7, 18, 7, 31, "helper(x)")],
            )
        ],
    )


def snapshot(source: str = SOURCE) -> Snapshot:
    return ingest(report(source), analyze_module(source, resolve_imports=False))


def moved(snap: Snapshot, new_source: str) -> Snapshot:
    return remap(snap, analyze_module(new_source, resolve_imports=False))


def test_line_map_keeps_untouched_lines_and_drops_edited_ones() -> None:
    old = "a\nb\nc\nd\n"
    new = "new\na\nb\nC\nd\n"
    assert line_map(old, new) == {1: 2, 2: 3, 4: 5}


def test_line_map_counts_lsp_line_breaks_only() -> None:
    # a form feed is inside a line for Python and for editors, not a break
    old = "a\x0cb\nc\n"
    assert line_map(old, "top\n" + old) == {1: 2, 2: 3}


def test_ingest_keeps_the_engines_edits_guarded_by_the_functions_text() -> None:
    fix = snapshot().functions["total"].fixes[0]
    assert fix.edits == [FixEdit(7, 18, 7, 31, "helper(x)")]
    assert (fix.start_line, fix.end_line, fix.whole_document) == (5, 9, False)
    assert fix.old_text.startswith("def total(xs):") and fix.old_text.endswith("return result\n")


def test_a_fix_reaching_outside_its_function_guards_the_whole_file() -> None:
    engine_report = report()
    engine_report.fixes[0].edits.append(FixEdit(1, 15, 1, 16, "2"))  # inside helper
    fix = (
        ingest(engine_report, analyze_module(SOURCE, resolve_imports=False))
        .functions["total"]
        .fixes[0]
    )
    assert fix.whole_document and fix.old_text == SOURCE
    assert (fix.start_line, fix.end_line) == (1, 9)


def test_lines_added_above_move_an_unchanged_function_and_its_fix() -> None:
    new_source = "import math\n\n\n" + SOURCE
    state = moved(snapshot(), new_source).functions["total"]
    assert (state.report.line, state.report.end_line) == (8, 12)
    assert not state.stale
    assert [s.line for s in state.suspects] == [11]
    (fix,) = state.fixes
    assert (fix.start_line, fix.end_line) == (8, 12)
    assert fix.edits == [FixEdit(10, 18, 10, 31, "helper(x)")]
    assert fix.summary.endswith("on line 11")


def test_lines_removed_above_move_the_fix_up() -> None:
    new_source = SOURCE.replace("def helper(x):\n    return x + 1\n\n\n", "")
    snap = moved(snapshot(), new_source)
    assert "helper" not in snap.functions, "a deleted function's results go"
    (fix,) = snap.functions["total"].fixes
    assert fix.edits == [FixEdit(3, 18, 3, 31, "helper(x)")]


def test_an_edited_function_is_stale_keeps_surviving_lines_and_loses_its_fixes() -> None:
    new_source = SOURCE.replace("    result = 0\n", "    result = 0  # start\n")
    state = moved(snapshot(), new_source).functions["total"]
    assert state.stale
    assert [s.line for s in state.suspects] == [8], "the suspect line was not edited"
    assert state.fixes == [], "a fix for edited text would undo the user's edit"


def test_editing_the_suspect_line_drops_the_suspect() -> None:
    new_source = SOURCE.replace("helper(x) - 1", "helper(x) - 2")
    state = moved(snapshot(), new_source).functions["total"]
    assert state.stale and state.suspects == []


def test_a_whole_file_fix_does_not_survive_any_edit() -> None:
    engine_report = report()
    engine_report.fixes[0].edits.append(FixEdit(1, 15, 1, 16, "2"))
    snap = ingest(engine_report, analyze_module(SOURCE, resolve_imports=False))
    assert moved(snap, "\n" + SOURCE).functions["total"].fixes == []


def test_the_same_text_is_not_remapped() -> None:
    snap = snapshot()
    assert moved(snap, SOURCE).functions == snap.functions
