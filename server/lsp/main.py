"""Entry points: `mgdebug lsp` (via server/cli.py) and `python -m mgdebug.server lsp`."""

from __future__ import annotations

import logging
import os
import sys


def run_stdio() -> None:
    """Serve the Language Server Protocol on stdin/stdout until the client exits."""
    # stdout carries the protocol: logs go to stderr, which editors show as the server log
    level = os.environ.get("MGDEBUG_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(level=getattr(logging, level, logging.WARNING), stream=sys.stderr)
    from .server import SERVER

    SERVER.start_io()
