"""What happens to one text of a document: analyse it, decide what to re-run, run
the engine on it, and merge the fresh results into the old ones.

Every function here gets a `DocumentSnapshot` (one document's text, frozen,
with its analysis) and plain values; none sees the server or the session
(`session.py` decides when to call them and publishes what they return).

Only the functions an edit can have changed are re-run: the edited ones and
their callers (a caller's expectations run through its callees). An edit
outside every function (imports, constants, module-level asserts) can change
anything, so it re-runs the whole file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import ModuleInfo, SyntaxProblem
from mgdebug.debugger.options import DebugOptions
from mgdebug.debugger.report import Report

from .documents import MAX_SOURCE_CHARS, Snapshot, function_text, ingest, remap
from .text_edits import lsp_lines

if TYPE_CHECKING:
    from mgdebug.debugger.engine import ProgressCallback

    from .runs import Engine


@dataclass(frozen=True)
class DocumentSnapshot:
    """One version of one open document, as a run sees it."""

    uri: str
    version: int | None
    path: str  # the file path the engine is told (the URI's, for unsaved buffers)
    module: ModuleInfo  # `analyze_module` of the text

    @property
    def source(self) -> str:
        return self.module.source


def analyse(source: str) -> ModuleInfo:
    """The one analysis, without resolving imports (no jedi on a keystroke)."""
    return analyze_module(source, resolve_imports=False)


def first_syntax_problem(module: ModuleInfo) -> SyntaxProblem | None:
    """The problem the editor shows while the text does not parse (the engine runs nothing)."""
    return module.syntax_errors[0] if module.syntax_errors else None


def unsupported_reason(source: str) -> str:
    """Why a text is not debugged at all, or ""."""
    if "\x00" in source:
        return "mgdebug: this looks like a binary file (it contains NUL bytes); not debugged."
    if len(source) > MAX_SOURCE_CHARS:
        return (
            f"mgdebug: this file has {len(source):,} characters, more than the "
            f"{MAX_SOURCE_CHARS:,} mgdebug debugs; not debugged."
        )
    return ""


def plan(previous: Snapshot | None, module: ModuleInfo) -> set[str] | None:
    """The functions to re-run after an edit: None for the whole file, empty for none."""
    if previous is None:
        return None
    old, functions = previous.module, module.functions
    old_lines, new_lines = lsp_lines(previous.source), lsp_lines(module.source)
    if _outside_functions(old_lines, old) != _outside_functions(new_lines, module):
        return None
    changed = {
        name
        for name, func in functions.items()
        if name not in old.functions
        or function_text(old_lines, old.functions[name]) != function_text(new_lines, func)
    }
    changed |= set(old.functions) - set(functions)  # removed: their callers now fail differently
    # the old call graph knows who called what was removed or renamed; the new one, new calls
    rerun = module.callers_closure(old.callers_closure(changed)) & set(functions)
    if len(rerun) > max(len(functions) // 2, 1):
        return None  # one whole run costs less than many narrow ones
    return rerun


def _outside_functions(lines: list[str], module: ModuleInfo) -> list[str]:
    inside: set[int] = set()
    for func in module.functions.values():
        inside.update(range(func.line, func.end_line + 1))
    # blank lines move when functions grow; they mean nothing
    return [text for i, text in enumerate(lines, 1) if i not in inside and text.strip()]


def merge(old: Snapshot | None, fresh: Snapshot, rerun: set[str] | None) -> Snapshot:
    """`fresh` results for `rerun` (None: all), old ones moved onto its text for the rest."""
    if old is None or rerun is None:
        return fresh
    merged = remap(old, fresh.module)
    functions = {n: s for n, s in merged.functions.items() if n not in rerun}
    for name, state in fresh.functions.items():
        if name in rerun or name not in functions:
            functions[name] = state
    # whether the module imports is a fact about the whole file, whatever part re-ran
    return replace(
        merged,
        functions=functions,
        messages=fresh.messages,
        could_not_run=fresh.could_not_run,
        model=fresh.model,
    )


@dataclass(frozen=True)
class Job:
    """One engine run over one document snapshot, and what it reports on the way."""

    doc: DocumentSnapshot
    rerun: set[str] | None  # None: the whole file
    options: DebugOptions
    engine: Callable[[], Engine]  # imported on first use, on the run's thread
    early: Callable[[Snapshot], None]  # suspects before the fix search (the run's thread)

    @property
    def title(self) -> str:
        what = "whole file" if self.rerun is None else ", ".join(sorted(self.rerun))
        config = self.options.model.config
        if config is not None:  # the user should know a run may be waiting on an endpoint
            return f"mgdebug: debugging {what} with {config.name}"
        return f"mgdebug: debugging {what}"

    def __call__(self, cancel: threading.Event, progress: ProgressCallback) -> Snapshot:
        """Run the engine (on a worker thread) and regroup its report by function."""
        doc, rerun = self.doc, self.rerun
        narrowed = self.options if rerun is None else replace(self.options, functions=sorted(rerun))

        def localized(report: Report) -> None:
            early = ingest(report, doc.module)
            for state in early.functions.values():
                state.searching = state.report.status == "fail" or state.report.blamed
            self.early(early)

        report = self.engine()(
            doc.source, doc.path, narrowed, cancel=cancel, progress=progress, localized=localized
        )
        return ingest(report, doc.module)
