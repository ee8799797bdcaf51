"""The language server's log: stderr, one line per record unless asked for detail.

Editors show the server's stderr as its output channel (VS Code's "mgdebug"
channel, Neovim's lsp.log), in front of the user. A traceback there reads as
a crash even when the server handled the error and carries on, so at the
default level every record is one line: the message's first line and, for an
exception, its type and first line. `MGDEBUG_LOG_LEVEL=DEBUG` keeps records whole
(tracebacks included) for a bug report. pygls's own records (a handler that
raised, a client that closed its pipe) go through the same handler, and so do
warnings and errors of threads, which Python would otherwise print raw.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType

FORMAT = "%(levelname)s:%(name)s:%(message)s"


class OneLineFormatter(logging.Formatter):
    """Each record on one line; an exception as `Type: first line of its message`."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        lines = message.splitlines()
        text = lines[0] if lines else ""
        if len(lines) > 1:
            text += f" [{len(lines) - 1} more line(s): MGDEBUG_LOG_LEVEL=DEBUG shows them]"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({one_line(record.exc_info[1])})"
        return f"{record.levelname}:{record.name}:{text}"


def one_line(exc: BaseException) -> str:
    """An error as one line: its type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def configure(level_name: str) -> None:
    """Log to stderr at `level_name` (WARNING if unknown); one line per record below DEBUG."""
    level = getattr(logging, level_name.upper(), logging.WARNING)
    if not isinstance(level, int):
        level = logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    whole = level <= logging.DEBUG
    handler.setFormatter(logging.Formatter(FORMAT) if whole else OneLineFormatter())
    logging.basicConfig(level=level, handlers=[handler])
    logging.captureWarnings(True)
    threading.excepthook = _thread_died


def _thread_died(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "a thread"
    tb: TracebackType | None = args.exc_traceback
    info = (args.exc_type, args.exc_value, tb) if args.exc_value is not None else None
    logging.getLogger(__name__).error("%s stopped with an error", name, exc_info=info)
