"""What the server knows about each open document, kept in the document's coordinates.

A debugging run describes the text it was given. The user keeps typing, so
every result is stored with that text (`Snapshot.source`) and moved onto the
current text by a line diff: a function whose text is unchanged moves as a
whole and stays fresh; a function that was edited keeps only the lines that
still exist and is marked stale until the next run covers it.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field, replace

from mgdebug.analysis.model import SyntaxProblem
from mgdebug.debugger.report import CouldNotRun, FunctionReport, Report, Suspect
from mgdebug.debugger.results import BlockSnapshot

MAX_SOURCE_CHARS = 2_000_000  # larger buffers are not debugged: diffing and tracing them stalls


@dataclass(frozen=True)
class FunctionSpan:
    qualname: str
    line: int  # `def` line, 1-based
    name_column: int  # where the name starts on the `def` line (0-based, characters)
    end_line: int
    calls: frozenset[str]  # names called inside, unresolved


def index_functions(source: str) -> dict[str, FunctionSpan] | SyntaxProblem:
    """Every function's span by qualname, or the first syntax error."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = max((exc.offset or 1) - 1, 0)
        return SyntaxProblem(
            line=line,
            column=column,
            end_line=exc.end_lineno or line,
            end_column=max((exc.end_offset or column + 2) - 1, column + 1),
            message=exc.msg,
        )
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
        return SyntaxProblem(1, 0, 1, 1, f"cannot parse: {exc}")
    spans: dict[str, FunctionSpan] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = prefix + child.name
                keyword = "async def " if isinstance(child, ast.AsyncFunctionDef) else "def "
                line_text = source.splitlines()[child.lineno - 1] if child.lineno else ""
                column = line_text.find(keyword + child.name)
                spans[qualname] = FunctionSpan(
                    qualname=qualname,
                    line=child.lineno,
                    name_column=column + len(keyword) if column >= 0 else 0,
                    end_line=child.end_lineno or child.lineno,
                    calls=frozenset(_called_names(child)),
                )
                visit(child, qualname + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def _called_names(func: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                names.add(node.func.attr)
    return names


def callers_closure(spans: dict[str, FunctionSpan], changed: set[str]) -> set[str]:
    """`changed` and every function that calls into it, directly or not."""
    by_short: dict[str, set[str]] = {}
    for qualname in spans:
        by_short.setdefault(qualname.rsplit(".", 1)[-1], set()).add(qualname)
    result = set(changed)
    frontier = list(changed)
    while frontier:
        short = frontier.pop().rsplit(".", 1)[-1]
        for span in spans.values():
            if short in span.calls and span.qualname not in result:
                result.add(span.qualname)
                frontier.append(span.qualname)
    return result


def function_text(lines: list[str], span: FunctionSpan) -> str:
    return "".join(lines[span.line - 1 : span.end_line])


def line_map(old: str, new: str) -> dict[int, int]:
    """1-based old line → new line, for lines the edit did not touch."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
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
    """A checked fix as a replacement of whole lines, so it survives edits elsewhere."""

    function: str
    summary: str
    passed: int
    total: int
    start_line: int  # 1-based, inclusive: the lines `old_text` occupies
    end_line: int
    old_text: str
    new_text: str
    whole_document: bool = False  # the fix reaches outside its function

    @property
    def title(self) -> str:
        change = self.summary
        return f"mgdebug: {change} (passes {self.passed}/{self.total} expectations)"


@dataclass
class FunctionState:
    """One function's results, in the coordinates of the snapshot that holds it."""

    report: FunctionReport
    suspects: list[Suspect] = field(default_factory=list)
    fixes: list[FunctionFix] = field(default_factory=list)
    values: list[BlockSnapshot] = field(default_factory=list)  # from one failing run
    stale: bool = False
    searching: bool = False  # shown before the fix search ended; fixes may follow


@dataclass
class Snapshot:
    """Results for one text of the document (`source`), by function qualname."""

    source: str
    path: str  # the file path the engine was told, to recognise this file's origins
    functions: dict[str, FunctionState] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    could_not_run: CouldNotRun | None = None  # the module could not be imported


def ingest(report: Report, source: str) -> Snapshot:
    """Regroup an engine report by function, turning whole-file fixes into line edits."""
    snapshot = Snapshot(
        source=source,
        path=report.path,
        messages=list(report.messages),
        could_not_run=report.could_not_run,
    )
    for func in report.functions:
        snapshot.functions[func.name] = FunctionState(report=func)
    for suspect in report.suspects:
        if suspect.function in snapshot.functions:
            snapshot.functions[suspect.function].suspects.append(suspect)
    for state in snapshot.functions.values():
        state.values = _failing_values(report, state)
    for fix in report.fixes:
        owner = snapshot.functions.get(fix.function)
        if not fix.validated or owner is None:
            continue
        line_fix = _line_fix(fix.function, fix.summary, fix.passed, fix.total, source, fix.source)
        if line_fix is not None:
            owner.fixes.append(line_fix)
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


def _line_fix(
    function: str, summary: str, passed: int, total: int, source: str, fixed: str
) -> FunctionFix | None:
    """The fix as "replace these lines of the function", or the whole file if it must be."""
    old_spans, new_spans = index_functions(source), index_functions(fixed)
    if not isinstance(new_spans, dict):
        return None  # never offer an edit whose result does not parse
    old_lines, new_lines = source.splitlines(True), fixed.splitlines(True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    changed = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changed:
        return None
    first, last = changed[0][1] + 1, max(changed[-1][2], changed[-1][1] + 1)
    old_span = old_spans.get(function) if isinstance(old_spans, dict) else None
    new_span = new_spans.get(function)
    common = {"function": function, "summary": summary, "passed": passed, "total": total}
    if old_span and new_span and old_span.line <= first and last <= old_span.end_line:
        return FunctionFix(
            **common,  # type: ignore[arg-type]
            start_line=old_span.line,
            end_line=old_span.end_line,
            old_text=function_text(old_lines, old_span),
            new_text=function_text(new_lines, new_span),
        )
    return FunctionFix(
        **common,  # type: ignore[arg-type]
        start_line=1,
        end_line=len(old_lines),
        old_text=source,
        new_text=fixed,
        whole_document=True,
    )


def remap(snapshot: Snapshot, source: str, spans: dict[str, FunctionSpan]) -> Snapshot:
    """`snapshot` moved onto `source`; edited functions keep what still maps, marked stale."""
    if snapshot.source == source:
        return snapshot
    lines = line_map(snapshot.source, source)
    old_lines, new_lines = snapshot.source.splitlines(True), source.splitlines(True)
    moved = Snapshot(
        source=source,
        path=snapshot.path,
        messages=snapshot.messages,
        could_not_run=_moved_problem(snapshot.could_not_run, lines),
    )
    for name, state in snapshot.functions.items():
        span = spans.get(name)
        if span is None:
            continue  # deleted or renamed
        old = state.report
        old_text = "".join(old_lines[old.line - 1 : old.end_line])
        unchanged = old_text == function_text(new_lines, span)
        mover = _Mover(lines, old.line, old.end_line, span.line - old.line if unchanged else None)
        moved.functions[name] = _move_state(state, span, mover, snapshot.path, unchanged)
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
    state: FunctionState, span: FunctionSpan, move: _Mover, path: str, unchanged: bool
) -> FunctionState:
    report = replace(
        state.report,
        line=span.line,
        end_line=span.end_line,
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
                fixes.append(replace(fix, start_line=start, end_line=end, summary=summary))
    return FunctionState(
        report=report,
        suspects=suspects,
        fixes=fixes,
        values=values,
        stale=state.stale or not unchanged,
        searching=state.searching,
    )


def span_at(spans: dict[str, FunctionSpan], line: int) -> FunctionSpan | None:
    """The innermost function whose lines contain 1-based `line`."""
    best: FunctionSpan | None = None
    for span in spans.values():
        if span.line <= line <= span.end_line and (best is None or span.line >= best.line):
            best = span
    return best
