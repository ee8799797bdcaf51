"""The project-mode commands: debug one test, debug every test of a folder's project, and
apply the best checked fix of the latest project run.

    mgdebug.debugTest [uri, nodeid]      the test file's URI and pytest's node id
                                         ("tests/test_service.py::test_bill", or the part
                                         after the file: "test_bill", "TestX::test_y")
    mgdebug.debugProject [folderUri?]    every test of the folder's project (default: the
                                         first workspace folder)
    mgdebug.applyProjectFix [uri?]       the best checked fix of the run of the project
                                         holding `uri` (default: the latest run)

Runs go through the session's run pool like the single-file commands: progress at
once, cancelled by `$/cancelRequest` or the progress bar's cancel button. pytest
runs the files on disk: unsaved buffers in the project are named in the answer
so nobody reads the result as one of text they never saved.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from .logs import one_line
from .project import ProjectRun, fix_title
from .project_marks import culprit

if TYPE_CHECKING:
    from mgdebug.debugger.engine import ProgressCallback
    from mgdebug.debugger.project.run import ProjectReport
    from mgdebug.debugger.project.target import Target

    from .session import Session

log = logging.getLogger(__name__)


def _path(uri: str) -> str:
    return to_fs_path(uri) or uri


def _check_may_run(session: Session) -> None:
    settings = session.settings
    if not settings.may_run_code:
        raise JsonRpcInvalidParams(settings.not_running_reason or "mgdebug is disabled")


def _target(paths: list[str], cwd: Path | None = None) -> Target:
    from mgdebug.debugger.project.target import TargetError, resolve_target

    try:
        return resolve_target(paths, cwd=cwd)
    except TargetError as exc:
        raise JsonRpcInvalidParams(f"mgdebug: {exc}") from exc


def test_target(args: tuple[Any, ...]) -> Target:
    """The target of `mgdebug.debugTest [uri, nodeid]`."""
    if len(args) != 2 or not all(isinstance(a, str) and a for a in args):
        raise JsonRpcInvalidParams("expected arguments [uri, nodeid]")
    uri, nodeid = args
    name = nodeid.split("::", 1)[1] if "::" in nodeid else ""
    return _target([f"{_path(uri)}::{name}" if name else _path(uri)])


def project_target(args: tuple[Any, ...], folders: list[str]) -> Target:
    """The target of `mgdebug.debugProject [folderUri?]`: that folder's project."""
    if len(args) > 1 or (args and args[0] is not None and not isinstance(args[0], str)):
        raise JsonRpcInvalidParams("expected arguments [folderUri] or none")
    folder = args[0] if args and args[0] else (folders[0] if folders else "")
    if not folder:
        raise JsonRpcInvalidParams("no folder is open: name one, [folderUri]")
    from mgdebug.debugger.project.target import project_of

    path = Path(_path(folder)).resolve()
    root = project_of(path)
    if root is None:
        raise JsonRpcInvalidParams(f"mgdebug: {path} is not in a project")
    return _target([], cwd=root)  # every test, as `mgdebug` with no argument in the root


def _unsaved(session: Session, root: Path) -> list[str]:
    """Open Python files under `root` whose buffers differ from the files pytest runs."""
    found = []
    for uri in session.client.open_uris():
        doc = session.client.document(uri)
        path = Path(_path(uri))
        if doc is None or path.suffix != ".py" or root not in path.parents:
            continue
        try:
            on_disk = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if on_disk != doc.source:
            found.append(path.relative_to(root).as_posix())
    return found


async def run_project(session: Session, target: Target, request: object) -> dict[str, Any]:
    """Run `target` on the pool, show its marks, and answer with what it found."""
    from mgdebug.debugger.options import DebugOptions
    from mgdebug.debugger.project.run import ProjectOptions, debug_project
    from mgdebug.debugger.sandbox.interpreter import resolve_interpreter

    _check_may_run(session)
    settings = session.settings
    options = ProjectOptions(
        debug=DebugOptions(search_seconds=settings.timeBudget, python=settings.python or None)
    )

    def work(cancel: threading.Event, progress: ProgressCallback) -> ProjectReport:
        python = resolve_interpreter(str(target.root / "conftest.py"), options.debug.python)
        return debug_project(target, options, cancel=cancel, progress=progress, interpreter=python)

    key = f"project:{target.root}"
    session.runs.cancel_document(key)  # a newer run of the same project makes it pointless
    try:
        result = await session.runs.run(
            key, work, title=f"mgdebug: {target.describe()}", request_id=request, asked=True
        )
    except Exception as exc:
        message = f"mgdebug: the project run failed: {one_line(exc)}"
        log.error("%s", message)
        log.debug("traceback of the failed project run", exc_info=True)
        session.client.show_message(types.ShowMessageParams(types.MessageType.Error, message))
        raise JsonRpcInvalidParams(message) from exc
    if result is None:
        return {"cancelled": True, "message": "mgdebug: the run was cancelled"}
    run = session.project.show(result)
    session.client.refresh_views()  # the failing tests' "Apply best fix" lenses
    answer = summary(run)
    unsaved = _unsaved(session, target.root)
    if unsaved:
        answer["unsaved"] = unsaved
        answer["message"] += f" (pytest ran the saved files; unsaved: {', '.join(unsaved)})"
    session.client.show_message(types.ShowMessageParams(types.MessageType.Info, answer["message"]))
    return answer


def summary(run: ProjectRun) -> dict[str, Any]:
    """The command's answer: the tests, where the bug most likely is, the checked fixes."""
    result = run.result
    report = result.report
    found = culprit(result)
    fixes = [f for f in report.fixes if f.validated]
    failing = [t for t in result.tests if t.failing]
    if not result.tests:
        message = report.messages[0] if report.messages else "no tests ran"
    elif not failing:
        message = f"all {len(result.tests)} selected tests pass: nothing to fix"
    else:
        message = f"{len(failing)} of {len(result.tests)} tests fail"
        if found is not None:
            message += f"; the bug is most likely in {found.relative}:{found.line}"
        message += (
            f"; a checked fix: {fixes[0].summary} (Apply best fix)" if fixes else "; no checked fix"
        )
    return {
        "root": str(result.target.root),
        "tests": [t.to_json() for t in result.tests],
        "failing": len(failing),
        "location": f"{found.relative}:{found.line}" if found else None,
        "fixes": [fix_title(run, f) for f in fixes],
        "message": f"mgdebug: {message}",
    }


async def debug_test(session: Session, args: tuple[Any, ...], request: object) -> dict[str, Any]:
    return await run_project(session, test_target(args), request)


async def debug_all(
    session: Session, args: tuple[Any, ...], request: object, folders: list[str]
) -> dict[str, Any]:
    return await run_project(session, project_target(args, folders), request)


async def apply_fix(session: Session, args: tuple[Any, ...]) -> dict[str, Any]:
    """Apply the best checked fix of a project run to its file, as a workspace edit."""
    if len(args) > 1 or (args and args[0] is not None and not isinstance(args[0], str)):
        raise JsonRpcInvalidParams("expected arguments [uri] or none")
    run = session.project.run_for(args[0] if args else None)
    fix = run.best_fix() if run else None
    if run is None or fix is None:
        return {"applied": False, "message": "mgdebug: no checked fix from a project run"}
    edit, reason = session.project.fix_edit(run, fix)
    if edit is None:
        session.client.show_message(types.ShowMessageParams(types.MessageType.Warning, reason))
        return {"applied": False, "message": reason}
    title = fix_title(run, fix)
    result = await session.client.apply_edit(types.ApplyWorkspaceEditParams(edit=edit, label=title))
    return {
        "applied": result.applied,
        "title": title,
        "path": os.fspath(run.result.module(fix.path).path) if run.result.module(fix.path) else "",
        "reason": result.failure_reason,
    }
