"""The commands code lenses run: debug one function, apply its best checked fix.

Both take `[uri, line]` (a 0-based line inside the function) and find the
function there with the document's analysis (`ModuleInfo.function_at`).
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified, JsonRpcInvalidParams

from . import code_actions
from .documents import Snapshot
from .pipeline import DocumentSnapshot
from .session import Session


def function_at(session: Session, args: tuple[Any, ...]) -> tuple[DocumentSnapshot, str]:
    """Check a command's `[uri, line]` (0-based line) and find the function there."""
    if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], int):
        raise JsonRpcInvalidParams("expected arguments [uri, line] with a 0-based line number")
    uri, line = args
    snapshot = session.snapshot(uri)
    if snapshot is None:
        raise JsonRpcInvalidParams(f"{uri} is not open in the editor")
    settings = session.settings
    if not settings.may_run_code:
        raise JsonRpcInvalidParams(settings.not_running_reason or "mgdebug is disabled")
    module = snapshot.module
    if module.syntax_errors:
        raise JsonRpcInvalidParams(
            f"the file has a syntax error on line {module.syntax_errors[0].line}"
        )
    func = module.function_at(line + 1)
    if func is None:
        raise JsonRpcInvalidParams(f"no function at line {line + 1}")
    return snapshot, func.qualname


async def _debug(
    session: Session, snapshot: DocumentSnapshot, name: str, request: object
) -> Snapshot:
    results = await session.debug(snapshot, only={name}, request_id=request)
    if results is None:
        raise JsonRpcContentModified("the document changed during the run; run it again")
    session.client.refresh_views()
    return results


async def debug_function(
    session: Session, args: tuple[Any, ...], request: object
) -> dict[str, Any]:
    """Debug the function at `[uri, line]` fully; its status and fixes' titles."""
    snapshot, name = function_at(session, args)
    results = await _debug(session, snapshot, name, request)
    state = results.functions.get(name)
    if state is None:
        return {"function": name, "status": "untested", "fixes": []}
    report = state.report
    return {
        "function": name,
        "status": report.status,
        "passed": report.passed,
        "failed": report.failed,
        "fixes": [fix.title for fix in state.fixes],
    }


async def fix_function(session: Session, args: tuple[Any, ...], request: object) -> dict[str, Any]:
    """Apply the best checked fix of the function at `[uri, line]`, debugging it if needed."""
    snapshot, name = function_at(session, args)
    view = session.view(snapshot.uri)
    fix = code_actions.best_fix(view[1], name) if view else None
    if fix is None:  # nothing cached: find one now
        fix = code_actions.best_fix(await _debug(session, snapshot, name, request), name)
    doc = session.client.document(snapshot.uri)
    edit = code_actions.workspace_edit(doc, fix) if fix and doc else None
    if fix is None or edit is None:
        return {"applied": False, "message": f"no checked fix for {name}"}
    result = await session.client.apply_edit(
        types.ApplyWorkspaceEditParams(edit=edit, label=fix.title)
    )
    return {"applied": result.applied, "title": fix.title, "reason": result.failure_reason}
