"""What the editor shows of a document's results besides diagnostics, in a form to
compare and to send: its lenses and inlay values, and its status in numbers.

The client asks for lenses and inlay hints (pull); the server only tells it to ask
again (`workspace/codeLens/refresh`, `workspace/inlayHint/refresh`). `shown` is
what an answer would hold now, so the session can ask for a refresh exactly when
a run changed it. `status_summary` is the `mgdebug/status` notification's payload,
which the VS Code extension's status bar puts in words (vscode-extension/src/status.ts).
"""

from __future__ import annotations

from typing import Any

from pygls.workspace import TextDocument

from . import code_lens, inlay_hints
from .documents import Snapshot


def shown(uri: str, doc: TextDocument, snapshot: Snapshot, inlay_values: bool) -> object:
    """The lenses and (if the setting is on) inlay values of the whole document, comparable."""
    values = inlay_hints.hints(doc, snapshot, 1, len(doc.lines)) if inlay_values else []
    return code_lens.lenses(uri, snapshot), values


def status_summary(snapshot: Snapshot | None, *, edited: bool = False) -> dict[str, Any]:
    """What a status bar says about one document: its functions by outcome, in numbers.

    `results` is False until a run has results for the document. `edited`: some
    counts are of an older text (a function was edited since, or the file does
    not parse now).
    """
    if snapshot is None:
        return {"results": False}
    tested = [s for s in snapshot.functions.values() if s.report.passed + s.report.failed]
    return {
        "results": True,
        "failing": sum(1 for s in tested if s.report.status == "fail"),
        "passing": sum(1 for s in tested if s.report.status == "pass"),
        "edited": edited or any(s.stale for s in tested),
        "couldNotRun": snapshot.could_not_run is not None,
    }
