"""The commands code lenses and code actions run: debug one function, apply its
best checked fix, ask the model for a fix.

All take `[uri, line]` (a 0-based line inside the function) and find the
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
    session: Session, snapshot: DocumentSnapshot, name: str, request: object, model: bool = False
) -> Snapshot:
    results = await session.debug(snapshot, only={name}, request_id=request, model=model)
    if results is None:
        raise JsonRpcContentModified("the document changed during the run; run it again")
    return results  # session.debug had the client refresh lenses and values that changed


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


async def ask_model(session: Session, args: tuple[Any, ...], request: object) -> dict[str, Any]:
    """Debug the function at `[uri, line]` with the model (progress, cancellable).

    Its checked fixes, the model's among them, become the function's quick
    fixes; the answer lists their titles and what the model did. Nothing the
    model proposed is offered unless the sandbox checked it (documents.ingest
    keeps only validated fixes).
    """
    snapshot, name = function_at(session, args)
    config = session.model_config(snapshot.path)
    if config is None:
        raise JsonRpcInvalidParams(
            "no model is configured: set mgdebug.model.name (and mgdebug.model.url), "
            "$MGDEBUG_MODEL, or [tool.mgdebug.model] in pyproject.toml"
        )
    results = await _debug(session, snapshot, name, request, model=True)
    state = results.functions.get(name)
    summary = results.model
    fixes = state.fixes if state else []
    if not fixes:  # the fault may be in a blamed helper: its fixes are the ones to offer
        fixes = [f for s in results.functions.values() if s.report.blamed for f in s.fixes]
    answer: dict[str, Any] = {
        "function": name,
        "status": state.report.status if state else "untested",
        "model": config.describe(),
        "fixes": [fix.title for fix in fixes],
        "notes": [fix.note for fix in fixes],  # why each ranks where it does
        "explanation": state.report.explanation if state else "",
        "usage": summary.usage if summary else {},
    }
    if summary is not None and summary.message:
        answer["message"] = f"mgdebug: the model could not help: {summary.message}"
    elif not answer["fixes"] and answer["status"] == "fail":
        answer["message"] = f"mgdebug: no checked fix for {name}, from the model or the search"
    return answer
