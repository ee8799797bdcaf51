"""Entry points: `mgdebug lsp` (via server/cli.py) and `python -m mgdebug.server lsp`."""

from __future__ import annotations

import os


def run_stdio() -> None:
    """Serve the Language Server Protocol on stdin/stdout until the client exits."""
    # stdout carries the protocol: logs go to stderr, which editors show as the server log
    from .logs import configure

    configure(os.environ.get("MGDEBUG_LOG_LEVEL", "WARNING"))
    from .server import SERVER

    SERVER.start_io()
