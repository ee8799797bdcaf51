"""A project run's results as diagnostics, per file: the module where the bug is, and
the failing tests.

For one red test whose bug sits in another module the editor shows:
- in the module (open or not): the Warning on the most likely line and a few
  Hints, built by diagnostics.py's own builders (`shown_suspects`,
  `suspect_diagnostic`), each with related information pointing at the
  failing tests' functions;
- in the test file: an Error on each failing test's name, in diagnostics.py's
  words for a failing pytest test ("`test_bill` fails: assert 22.0 == 33.0")
  and where the bug most likely is ("; the bug is most likely in
  pkg/util.py:7"), its related information pointing at that line.
Only the module the run ranks first (a checked fix there, else the spectrum's
best) is marked: the others were debugged only to rule them out. Paths in
messages are relative to the project root, whatever the server's folder is.
Every mark is kept with the text it is about (`FileMarks.text`), so project.py
can move it with the user's edits or drop it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec

from mgdebug.debugger.localize.plain_words import short
from mgdebug.debugger.project.collect import TestRun
from mgdebug.debugger.project.run import ModuleRun, ProjectReport
from mgdebug.debugger.report import FailureEvidence

from . import diagnostics, pipeline
from .documents import ingest

_PARAMETERS = re.compile(r"\[.*\]$")


@dataclass
class FileMarks:
    """A file's diagnostics from one project run, with the text they are about."""

    uri: str
    path: Path
    text: str
    items: list[types.Diagnostic]


@dataclass(frozen=True)
class Culprit:
    """Where the run says the bug most likely is: the top suspect line of the best module."""

    module: ModuleRun
    uri: str
    relative: str  # the module's path relative to the project root
    line: int  # 1-based
    why: str


def uri_of(path: Path | str) -> str:
    return from_fs_path(str(path)) or str(path)


def relative_to_root(result: ProjectReport, path: Path) -> str:
    try:
        return path.relative_to(result.target.root).as_posix()
    except ValueError:
        return str(path)


def best_module(result: ProjectReport) -> ModuleRun | None:
    """The module the merged report puts first: one with a checked fix, else the first
    debugged that has suspects (debug_project tried them in the spectrum's order)."""
    for run in result.modules:
        if run.fixed:
            return run
    return next((run for run in result.modules if run.report.suspects), None)


def culprit(result: ProjectReport) -> Culprit | None:
    module = best_module(result)
    if module is None or not module.report.suspects:
        return None
    blamed = [s for s in module.report.suspects if _is_blamed(module, s.function)]
    top = blamed[0] if blamed else max(module.report.suspects, key=lambda s: s.score)
    why = top.summary or "the failing runs pass through this line"
    relative = relative_to_root(result, module.path)
    return Culprit(module, uri_of(module.path), relative, top.line, why)


def _is_blamed(module: ModuleRun, function: str) -> bool:
    return any(f.blamed and f.name == function for f in module.report.functions)


def evidence(result: ProjectReport) -> dict[str, FailureEvidence]:
    """Node id → the engine's account of that failing test, from any module's run."""
    found: dict[str, FailureEvidence] = {}
    for run in result.modules:
        for func in run.report.functions:
            for failure in func.failures:
                if failure.origin_kind == "pytest":
                    found.setdefault(failure.description.removeprefix("pytest "), failure)
    return found


def test_words(test: TestRun, known: dict[str, FailureEvidence]) -> str:
    """ "`test_bill` fails: assert 22.0 == 33.0", as diagnostics.py says it for one module."""
    failure = known.get(test.nodeid)
    if failure is not None:
        return diagnostics.failure_words(failure)
    name = test.nodeid.rsplit("::", 1)[-1]
    verb = {"timeout": "did not finish in time", "error": "errors"}.get(test.outcome, "fails")
    detail = f": {short(test.message, 100)}" if test.message.strip() else ""
    return f"`{short(name)}` {verb}{detail}"


def strip_parameters(nodeid: str) -> str:
    """A node id without its parameters ("f.py::test_x" of "f.py::test_x[1]")."""
    return _PARAMETERS.sub("", nodeid)


def test_function_name(test: TestRun) -> str:
    """The function's own name in its `def` ("test_x" of "f.py::TestA::test_x[1]")."""
    return strip_parameters(test.nodeid).rsplit("::", 1)[-1]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def build(result: ProjectReport, codec: PositionCodec, max_suspects: int) -> dict[str, FileMarks]:
    """Every file's marks from `result`, by URI (files without any are left out)."""
    root = result.target.root
    failing = [t for t in result.tests if t.failing and t.file]
    known = evidence(result)
    marks: dict[str, FileMarks] = {}
    test_docs: dict[str, TextDocument] = {}
    for test in failing:
        uri = uri_of(root / test.file)
        if uri not in test_docs:
            text = _read(root / test.file)
            if text is None:
                continue
            test_docs[uri] = TextDocument(uri, text, position_codec=codec)
            marks[uri] = FileMarks(uri, root / test.file, text, [])
    found = culprit(result)
    where: types.Location | None = None
    if found is not None:
        module_doc = TextDocument(found.uri, found.module.text, position_codec=codec)
        reaching = [t for t in failing if t.reaches(found.relative)] or failing
        told = _told(reaching, known, test_docs, root)
        module_marks = _module_marks(result, found, module_doc, reaching, told, max_suspects)
        if module_marks.items:
            marks[module_marks.uri] = module_marks
        where = types.Location(found.uri, diagnostics.line_range(module_doc, found.line))
    for test in failing:
        uri = uri_of(root / test.file)
        if uri in test_docs:
            error = _test_error(test_docs[uri], test, known, found, where)
            error.data = {**_data(error.data), "project": str(root)}
            marks[uri].items.append(error)
    return {uri: m for uri, m in marks.items() if m.items}


def _test_location(
    test: TestRun, test_docs: dict[str, TextDocument], root: Path
) -> types.Location | None:
    doc = test_docs.get(uri_of(root / test.file))
    if doc is None:
        return None
    name = test_function_name(test)
    return types.Location(doc.uri, diagnostics.name_range(doc, test.line or 1, name))


def _told(
    reaching: list[TestRun],
    known: dict[str, FailureEvidence],
    test_docs: dict[str, TextDocument],
    root: Path,
) -> tuple[list[types.DiagnosticRelatedInformation], str]:
    """Links to the failing tests that reach the module, and the words for the first."""
    related = [
        types.DiagnosticRelatedInformation(location, test_words(test, known))
        for test in reaching[: diagnostics.MAX_RELATED]
        if (location := _test_location(test, test_docs, root)) is not None
    ]
    first = test_words(reaching[0], known) if reaching else ""
    more = len(reaching) - 1
    if more > 0:
        first += f" (and {more} more failing test{'s' if more > 1 else ''})"
    return related, first


def _module_marks(
    result: ProjectReport,
    found: Culprit,
    doc: TextDocument,
    reaching: list[TestRun],
    told: tuple[list[types.DiagnosticRelatedInformation], str],
    max_suspects: int,
) -> FileMarks:
    module = found.module
    snapshot = ingest(module.report, pipeline.analyse(module.text))
    related, first = told
    items = []
    pairs = diagnostics.shown_suspects(doc, snapshot, max_suspects)
    pairs.sort(key=lambda pair: pair[1].line != found.line)  # the culprit's line first
    for rank, (state, suspect) in enumerate(pairs, 1):
        item = diagnostics.suspect_diagnostic(doc, snapshot, state, suspect, rank, "")
        if rank == 1:  # the tests reach it, so "which has no tests of its own" is not true
            why = suspect.summary or "the failing runs pass through this line"
            item.message = f"likely bug here: {why}" + (f"\n{first}" if first else "")
        item.related_information = related or None
        item.data = {**_data(item.data), **_project_data(result, reaching)}
        items.append(item)
    return FileMarks(found.uri, module.path, module.text, items)


def _data(data: Any) -> dict[str, Any]:
    return dict(data) if isinstance(data, dict) else {}


def _project_data(result: ProjectReport, tests: list[TestRun]) -> dict[str, Any]:
    return {"project": str(result.target.root), "tests": [t.nodeid for t in tests]}


def _test_error(
    doc: TextDocument,
    test: TestRun,
    known: dict[str, FailureEvidence],
    found: Culprit | None,
    where: types.Location | None,
) -> types.Diagnostic:
    """The Error on a failing test's name, saying where the bug most likely is."""
    message = test_words(test, known)
    related = None
    if found is not None:
        message += f"; the bug is most likely in {found.relative}:{found.line}"
        if where is not None:
            related = [types.DiagnosticRelatedInformation(where, f"likely bug here: {found.why}")]
    return types.Diagnostic(
        range=diagnostics.name_range(doc, test.line or 1, test_function_name(test)),
        message=message,
        severity=types.DiagnosticSeverity.Error,
        source=diagnostics.SOURCE,
        code=diagnostics.FAILING,
        code_description=diagnostics.code_description(),
        related_information=related,
        data={"test": test.nodeid, "outcome": test.outcome},
    )
