"""Values at the end of each block of a failing function, as inlay hints.

Off unless the `inlayValues` setting is on: values beside code are loud.
One hint per block end, showing the block's last exit in the failing run.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import TextDocument

from .diagnostics import format_values
from .documents import Snapshot


def hints(doc: TextDocument, snapshot: Snapshot, first: int, last: int) -> list[types.InlayHint]:
    """Hints for failing functions within 1-based lines `first`..`last`."""
    found: list[types.InlayHint] = []
    for state in snapshot.functions.values():
        if state.report.status != "fail" or state.stale:
            continue
        last_exit: dict[int, dict[str, str]] = {}
        for snap in state.values:
            last_exit[snap.line] = snap.values
        for line, values in sorted(last_exit.items()):
            if not (first <= line <= last) or line > len(doc.lines) or not values:
                continue
            text = doc.lines[line - 1].rstrip("\r\n")
            position = types.Position(line - 1, doc.position_codec.client_num_units(text))
            found.append(
                types.InlayHint(
                    position=position,
                    label=f"  {format_values(values, 80)}",
                    padding_left=True,
                )
            )
    return found
