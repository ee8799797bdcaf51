"""What the server knows about each open document, kept in the document's coordinates.

A debugging run describes the text it was given. The user keeps typing, so
every result is stored with that text (`Snapshot.source`, and its analysis
`Snapshot.module`) and moved onto the current text by a line diff: a function
whose text is unchanged moves as a whole and stays fresh; a function that was
edited keeps only the lines that still exist and is marked stale until the
next run covers it. Where functions are comes from `analyze_module`, the one
analysis the CLI and the engine use too.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace

from mgdebug.analysis.model import FunctionInfo, ModuleInfo
from mgdebug.debugger.report import (
    CouldNotRun,
    Fix,
    FixEdit,
    FunctionReport,
    ModelSummary,
    Report,
    Suspect,
)
from mgdebug.debugger.results import BlockSnapshot

from .text_edits import lsp_lines, shifted

MAX_SOURCE_CHARS = 2_000_000  # larger buffers are not debugged: diffing and tracing them stalls


_BREAK = re.compile(r"\r\n|\r|\n")


def function_text(lines: list[str], func: FunctionInfo) -> str:
    """The function's lines of `lines` (from `lsp_lines`), breaks included."""
    return "".join(lines[func.line - 1 : func.end_line])


def _bare_lines(text: str) -> list[str]:
    """Lines without their breaks, cut where Python and LSP cut them."""
    lines = _BREAK.split(text)
    return lines[:-1] if lines and not lines[-1] else lines


def line_map(old: str, new: str) -> dict[int, int]:
    """1-based old line → new line, for lines the edit did not touch."""
    old_lines, new_lines = _bare_lines(old), _bare_lines(new)
    if old_lines == new_lines:
        return {i: i for i in range(1, len(old_lines) + 1)}
    mapping: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, _j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                mapping[i1 + k + 1] = j1 + k + 1
    return mapping


@dataclass
class FunctionFix:
    """A checked fix as the engine's edits, guarded by the text they apply to.

    `edits` are in the coordinates of the snapshot holding the fix; they
    apply while lines `start_line`..`end_line` (1-based, inclusive: the
    function's, or the whole file's) still read `old_text`, so the fix
    survives edits elsewhere and moves with its function.
    """

    function: str
    summary: str
    passed: int
    total: int
    start_line: int
    end_line: int
    old_text: str
    edits: list[FixEdit]
    whole_document: bool = False  # the fix reaches outside its function
    origin: str = "search"  # "model": the model proposed it; the sandbox checked it
    note: str = ""  # why it ranks where it does (Fix.note)

    @property
    def title(self) -> str:
        change = self.summary
        checked = f"passes {self.passed}/{self.total} expectations"
        if self.origin == "model":
            return f"mgdebug: {change} (the model's fix, checked: {checked})"
        if self.is_variant:  # `xs[:]` beside `xs`: the same fix, offered after it as such
            return f"mgdebug: other checked fix: {change} ({self.note}; {checked})"
        return f"mgdebug: {change} ({checked})"

    @property
    def is_variant(self) -> bool:
        """Another passing fix written the long way (check.py's note: "fix 1, written with …")."""
        return self.note.startswith("fix ") and ", written with the identity " in self.note


@dataclass
class FunctionState:
    """One function's results, in the coordinates of the snapshot that holds it."""

    report: FunctionReport
    suspects: list[Suspect] = field(default_factory=list)
    fixes: list[FunctionFix] = field(default_factory=list)
    values: list[BlockSnapshot] = field(default_factory=list)  # from one failing run
    stale: bool = False
    searching: bool = False  # shown before the fix search ended; fixes may follow
    # computed by a run whose model answered (a save re-asks a function without it)
    with_model: bool = False


@dataclass
class Snapshot:
    """Results for one text of the document (`source`), by function qualname."""

    source: str
    module: ModuleInfo  # the analysis of `source`
    path: str  # the file path the engine was told, to recognise this file's origins
    functions: dict[str, FunctionState] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    could_not_run: CouldNotRun | None = None  # the module could not be imported
    model: ModelSummary | None = None  # what the model did in the latest run, if one was asked


def model_answered(report: Report) -> bool:
    """Whether the run had a model that helped (no `message` saying why it could not)."""
    return report.model is not None and not report.model.message


def ingest(report: Report, module: ModuleInfo) -> Snapshot:
    """Regroup an engine report on `module.source` by function, each fix with its edits."""
    source = module.source
    snapshot = Snapshot(
        source=source,
        module=module,
        path=report.path,
        messages=list(report.messages),
        could_not_run=report.could_not_run,
        model=report.model,
    )
    with_model = model_answered(report)
    for func in report.functions:
        snapshot.functions[func.name] = FunctionState(report=func, with_model=with_model)
    for suspect in report.suspects:
        if suspect.function in snapshot.functions:
            snapshot.functions[suspect.function].suspects.append(suspect)
    for state in snapshot.functions.values():
        state.values = _failing_values(report, state)
    lines = lsp_lines(source)
    for fix in report.fixes:
        owner = snapshot.functions.get(fix.function)
        if not fix.validated or owner is None:
            continue
        function_fix = _function_fix(fix, owner.report, source, lines)
        if function_fix is not None:
            owner.fixes.append(function_fix)
    return snapshot


def _failing_values(report: Report, state: FunctionState) -> list[BlockSnapshot]:
    name = state.report.name
    values = [v for s in state.suspects for v in s.values if v.function == name]
    if values or state.report.status != "fail":
        return values
    for result in report.results:
        if result.passed or result.trace is None:
            continue
        found = [s for s in result.trace.snapshots if s.function == name]
        if found:
            return found
    return []


def _function_fix(
    fix: Fix, owner: FunctionReport, source: str, lines: list[str]
) -> FunctionFix | None:
    """The fix guarded by its function's text, or by the whole file if it reaches outside."""
    edits = list(fix.edits)  # every proposer's candidates carry them (repair/check.py)
    if not edits:
        return None
    first, last = owner.line - 1, owner.end_line - 1  # 0-based lines of the function
    inside = all(
        first <= e.start_line
        and (e.end_line <= last or (e.end_line == last + 1 and e.end_character == 0))
        for e in edits
    )
    start, end, old_text = owner.line, owner.end_line, "".join(lines[first : last + 1])
    if not inside:
        start, end, old_text = 1, len(lines), source
    return FunctionFix(
        function=fix.function,
        summary=fix.summary,
        passed=fix.passed,
        total=fix.total,
        start_line=start,
        end_line=end,
        old_text=old_text,
        edits=edits,
        whole_document=not inside,
        origin=fix.origin,
        note=fix.note,
    )


def remap(snapshot: Snapshot, module: ModuleInfo) -> Snapshot:
    """`snapshot` moved onto `module.source`: edited functions keep what maps, marked stale."""
    source = module.source
    if snapshot.source == source:
        return snapshot if snapshot.module is module else replace(snapshot, module=module)
    lines = line_map(snapshot.source, source)
    old_lines, new_lines = lsp_lines(snapshot.source), lsp_lines(source)
    moved = Snapshot(
        source=source,
        module=module,
        path=snapshot.path,
        messages=snapshot.messages,
        could_not_run=_moved_problem(snapshot.could_not_run, lines),
        model=snapshot.model,
    )
    for name, state in snapshot.functions.items():
        func = module.functions.get(name)
        if func is None:
            continue  # deleted or renamed
        old = state.report
        old_text = "".join(old_lines[old.line - 1 : old.end_line])
        unchanged = old_text == function_text(new_lines, func)
        mover = _Mover(lines, old.line, old.end_line, func.line - old.line if unchanged else None)
        moved.functions[name] = _move_state(state, func, mover, snapshot.path, unchanged)
    return moved


def _moved_problem(problem: CouldNotRun | None, lines: dict[int, int]) -> CouldNotRun | None:
    """The import problem on the new text: its line moves, or is dropped if it was edited."""
    if problem is None or problem.line is None:
        return problem
    return replace(problem, line=lines.get(problem.line))


@dataclass
class _Mover:
    """Maps an old line to the new text: a whole unchanged function moves by `delta`."""

    lines: dict[int, int]
    start: int
    end: int
    delta: int | None  # None: the function was edited, map line by line

    def __call__(self, line: int) -> int | None:
        if self.delta is not None and self.start <= line <= self.end:
            return line + self.delta
        return self.lines.get(line)


_ON_LINE = re.compile(r"\bon line (\d+)")


def _move_state(
    state: FunctionState, func: FunctionInfo, move: _Mover, path: str, unchanged: bool
) -> FunctionState:
    report = replace(
        state.report,
        line=func.line,
        end_line=func.end_line,
        failures=[
            replace(f, origin_line=move(f.origin_line) or f.origin_line)
            if f.origin_path == path
            else f
            for f in state.report.failures
        ],
    )
    suspects = []
    for suspect in state.suspects:
        line = move(suspect.line)
        if line is not None:
            values = [replace(v, line=move(v.line) or v.line) for v in suspect.values]
            suspects.append(replace(suspect, line=line, values=values))
    values = [replace(v, line=line) for v in state.values if (line := move(v.line)) is not None]
    fixes = []
    if unchanged:  # a fix for text that changed would undo the user's edit
        for fix in state.fixes:
            if fix.whole_document:
                continue
            start, end = move(fix.start_line), move(fix.end_line)
            if start is not None and end is not None:
                summary = _ON_LINE.sub(
                    lambda m: f"on line {move(int(m.group(1))) or m.group(1)}", fix.summary
                )
                edits = shifted(fix.edits, start - fix.start_line)
                fixes.append(
                    replace(fix, start_line=start, end_line=end, summary=summary, edits=edits)
                )
    return FunctionState(
        report=report,
        suspects=suspects,
        fixes=fixes,
        values=values,
        stale=state.stale or not unchanged,
        searching=state.searching,
        with_model=state.with_model,
    )
