"""Project runs' results in the editor: their diagnostics in any workspace file, and their
fixes as workspace edits.

The session keeps the latest run per project root. Its marks (project_marks.py)
are published for the files they are in, whether open or not (LSP allows
diagnostics for a file the client never opened); an open file's are added to
the single-file diagnostics the session publishes for it (`diagnostics`), moved
onto the buffer's text by a line diff, and a mark whose line was edited is
dropped, so none points at a line that moved. A save of a file the run read
with a different text (the module, a failing test's file) clears the run's
marks everywhere: they describe code that no longer exists on disk.

A fix's edits apply to the text the run read (`ModuleRun.text`). They become a
versioned TextDocumentEdit when the file is open with that text, an unversioned
one when it is not open and its bytes on disk are still the ones read, and are
refused with the reason otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from copy import copy as copy_of
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec

from mgdebug.debugger.project.run import ProjectReport
from mgdebug.debugger.report import Fix, FixEdit

from . import project_marks
from .documents import line_map
from .project_marks import FileMarks, uri_of
from .text_edits import apply_edits, lsp_lines, parses, to_client

KIND = types.CodeActionKind.QuickFix
MAX_FIX_ACTIONS = 3


def _normal(text: str) -> str:
    """The text as debug_project reads a file (no BOM, "\\n" line breaks)."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


@dataclass
class ProjectRun:
    """One project run's result and its marks, and the texts it read (by URI)."""

    result: ProjectReport
    marks: dict[str, FileMarks]
    texts: dict[str, str] = field(default_factory=dict)
    shown_at: float = field(default_factory=time.monotonic)

    @property
    def root(self) -> Path:
        return self.result.target.root

    def best_fix(self) -> Fix | None:
        return next((f for f in self.result.report.fixes if f.validated), None)

    def failing_with_fix(self) -> set[str]:
        """The failing tests' node ids (without parameters) when the run has a checked fix."""
        if self.best_fix() is None:
            return set()
        return {project_marks.strip_parameters(t.nodeid) for t in self.result.tests if t.failing}


def moved(marks: FileMarks, source: str) -> list[types.Diagnostic]:
    """`marks` on `source`: each moved with its line, dropped if its lines were edited."""
    if _normal(source) == marks.text:
        return list(marks.items)
    mapping = line_map(marks.text, source)
    found = []
    for item in marks.items:
        start = mapping.get(item.range.start.line + 1)
        end = mapping.get(item.range.end.line + 1)
        if start is None or end is None:
            continue
        where = types.Range(
            types.Position(start - 1, item.range.start.character),
            types.Position(end - 1, item.range.end.character),
        )
        copy = copy_of(item)
        copy.range = where
        found.append(copy)
    return found


class ProjectResults:
    """The latest project run per root; the session's `publish` asks it for open files."""

    def __init__(
        self,
        document: Callable[[str], TextDocument | None],
        publish: Callable[[types.PublishDiagnosticsParams], None],
        republish: Callable[[str], None],
        tracked: Callable[[str], bool],
        max_suspects: Callable[[], int],
    ) -> None:
        self._document = document
        self._publish = publish
        self._republish = republish  # the session's publish of an open document
        self._tracked = tracked  # the session publishes for this open document
        self._max_suspects = max_suspects
        self.codec: Callable[[], PositionCodec] = PositionCodec  # server.py: the client's
        self.runs: dict[Path, ProjectRun] = {}

    # -- showing ------------------------------------------------------------------

    def show(self, result: ProjectReport) -> ProjectRun:
        """Replace the root's run by `result` and publish its marks (and clear the old)."""
        marks = project_marks.build(result, self.codec(), self._max_suspects())
        run = ProjectRun(result, marks)
        run.texts = {uri_of(m.path): m.text for m in result.modules}
        run.texts.update({uri: m.text for uri, m in marks.items()})
        old = self.runs.get(run.root)
        self.runs[run.root] = run
        for uri in {*(old.marks if old else ()), *marks}:
            self.publish(uri)
        return run

    def diagnostics(self, uri: str, source: str) -> list[types.Diagnostic]:
        """Every run's marks for `uri`, moved onto `source`."""
        runs = [run for run in self.runs.values() if uri in run.marks]
        return [item for run in runs for item in moved(run.marks[uri], source)]

    def publish(self, uri: str) -> None:
        """Publish `uri`'s diagnostics: through the session for an open document, else ours
        on the text on disk (a file edited outside the editor has its marks moved too)."""
        if self._document(uri) is not None and self._tracked(uri):
            self._republish(uri)
            return
        items: list[types.Diagnostic] = []
        if any(uri in run.marks for run in self.runs.values()):
            try:
                disk = Path(to_fs_path(uri) or uri).read_text(encoding="utf-8", errors="replace")
            except OSError:
                disk = None
            items = self.diagnostics(uri, disk) if disk is not None else []
        self._publish(types.PublishDiagnosticsParams(uri=uri, diagnostics=items))

    def saved(self, uri: str, source: str | None) -> None:
        """A file saved with a text other than the one a run read: that run's marks go."""
        for root, run in list(self.runs.items()):
            read = run.texts.get(uri)
            if read is not None and (source is None or _normal(source) != read):
                self.forget(root)

    def forget(self, root: Path) -> None:
        run = self.runs.pop(root, None)
        for uri in run.marks if run else ():
            self.publish(uri)

    def closed(self, uri: str) -> None:
        """A closed file keeps the marks of a run (the session cleared its own)."""
        if any(uri in run.marks for run in self.runs.values()):
            self.publish(uri)

    # -- finding a run ------------------------------------------------------------------

    def run_for(self, uri: str | None) -> ProjectRun | None:
        """The run of the project holding `uri` (a file or folder), else the latest shown."""
        if uri:
            path = Path(to_fs_path(uri) or uri)
            holding = [r for r in self.runs.values() if r.root == path or r.root in path.parents]
            return max(holding, key=lambda r: len(r.root.parts), default=None)
        return max(self.runs.values(), key=lambda r: r.shown_at, default=None)

    def failing_with_fix(self, uri: str) -> set[str]:
        run = self.run_for(uri)
        return run.failing_with_fix() if run else set()

    # -- fixes ------------------------------------------------------------------------

    def fix_edit(self, run: ProjectRun, fix: Fix) -> tuple[types.WorkspaceEdit | None, str]:
        """`fix` as a workspace edit of its file, or None and why it cannot be applied."""
        module = run.result.module(fix.path)
        if module is None:
            return None, f"mgdebug: {fix.path} was not read by this run"
        uri = uri_of(module.path)
        shown = project_marks.relative_to_root(run.result, module.path)
        edits = list(fix.edits) or [_whole_file(module.text, fix.source)]
        after = apply_edits(module.text, edits)
        if after is None or not parses(after):
            return None, f"mgdebug: the fix no longer applies to {shown}"
        doc = self._document(uri)
        if doc is not None:
            if _normal(doc.source) != module.text:
                return None, f"mgdebug: {shown} was edited since the run read it; run it again"
            version: int | None = doc.version
            client_edits = to_client(doc.source, edits, doc.position_codec)
        else:
            try:
                disk = module.path.read_bytes()
            except OSError as exc:
                return None, f"mgdebug: {shown} cannot be read: {exc.strerror or exc}"
            if disk != module.raw:
                return None, f"mgdebug: {shown} changed on disk since the run read it; run it again"
            version = None
            client_edits = to_client(module.text, edits, self.codec())
        change = types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
            edits=list(client_edits),
        )
        return types.WorkspaceEdit(document_changes=[change]), ""

    def code_actions(self, uri: str, params: types.CodeActionParams) -> list[types.CodeAction]:
        """Quick fixes for the module a run marked, where its marks are in the range."""
        doc = self._document(uri)
        actions: list[types.CodeAction] = []
        for run in self.runs.values():
            marks = run.marks.get(uri)
            if marks is None or doc is None:
                continue
            shown = moved(marks, doc.source)
            first, last = params.range.start.line, params.range.end.line
            here = [d for d in shown if d.range.start.line <= last and first <= d.range.end.line]
            if not here or not any(d.severity != types.DiagnosticSeverity.Error for d in here):
                continue  # a test's own Error: its fix is in another file
            fixes = [
                f
                for f in run.result.report.fixes
                if f.validated and (m := run.result.module(f.path)) and uri_of(m.path) == uri
            ]
            related = [d for d in params.context.diagnostics if _is_project_mark(d)]
            for fix in fixes[:MAX_FIX_ACTIONS]:
                edit, reason = self.fix_edit(run, fix)
                action = types.CodeAction(
                    title=fix_title(run, fix),
                    kind=KIND,
                    diagnostics=related or None,
                    is_preferred=False,
                    edit=edit,
                    data={"project": str(run.root)},
                )
                if edit is None:
                    action.disabled = types.CodeActionDisabled(reason)
                actions.append(action)
        return actions


def fix_title(run: ProjectRun, fix: Fix) -> str:
    module = run.result.module(fix.path)
    where = project_marks.relative_to_root(run.result, module.path) if module else fix.path
    return f"mgdebug: {where}: {fix.summary} (passes {fix.passed}/{fix.total} tests)"


def is_ours(action: types.CodeAction) -> bool:
    """A project fix's action: its edit was made when listed, resolving adds nothing."""
    return isinstance(action.data, dict) and "project" in action.data


def _is_project_mark(item: types.Diagnostic) -> bool:
    return (
        item.source == project_marks.diagnostics.SOURCE
        and isinstance(item.data, dict)
        and ("project" in item.data)
    )


def _whole_file(text: str, new: str) -> FixEdit:
    """One edit replacing all of `text` (a fix that came without its edits)."""
    return FixEdit(0, 0, len(lsp_lines(text)), 0, new)
