"""What the user sees of an exception: their own frames, and why their module did not load.

Runs inside the sandbox grandchild, on the exception objects themselves.

A traceback shown to the user holds only frames of code they wrote or
imported: mgdebug's own frames (the runner, the tracer the instrumented code
calls), doctest's and pytest's machinery and the import system are noise that
would be read as part of the bug. Paths inside the scratch copy of the user's
folder are shown relative to it, which is how the user knows them.

`classify_load_error` tells an environment problem (a missing dependency, a
module that reads stdin or exits when imported, an error raised while
importing another module, syntax the interpreter used is too old for) from a
bug in the file's own top level.
"""

from __future__ import annotations

import os
import traceback
import types
from collections.abc import Iterator

from ..trace.saferepr import cap, describe_exception

# mgdebug's debugger package, as its code objects name it (see tracer._TRACER_FILE)
_HERE = os.path.dirname(os.path.abspath((lambda: None).__code__.co_filename))
_MACHINERY = ("doctest", "importlib", "_pytest", "pytest", "pluggy", "runpy", "unittest")
MAX_FRAMES = 8
TRACEBACK_LIMIT = 3000

# Kinds of load error (ExpectationResult.load_error).
MISSING_MODULE = "missing-module"  # ModuleNotFoundError: a dependency is not installed
STDIN = "stdin"  # input() or a read of sys.stdin at import time; the sandbox has no stdin
EXIT = "exit"  # sys.exit() at import time
IMPORT = "import"  # another module raised while being imported
TOP_LEVEL = "top-level"  # a statement of the file's own top level raised: the user's bug
SYNTAX = "syntax"  # the file parses for mgdebug but not in the interpreter used (too old)


class StdinUnavailable(EOFError):
    """Raised by any read of stdin while the module under test is imported."""


class NoStdin:
    """`sys.stdin` while the module loads: the sandbox gives code under test no input."""

    encoding = "utf-8"
    errors = "strict"
    closed = False

    def _none(self, *args: object) -> str:
        raise StdinUnavailable("no standard input: mgdebug runs code under test without one")

    read = readline = readlines = _none

    def __iter__(self) -> Iterator[str]:
        self._none()
        return iter(())

    @property
    def buffer(self) -> NoStdin:
        return self

    def isatty(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        raise OSError("no standard input in the sandbox")

    def close(self) -> None:
        pass


def _is_machinery(frame: types.FrameType) -> bool:
    filename = frame.f_code.co_filename
    if filename.startswith("<frozen") or os.path.dirname(os.path.abspath(filename)) == _HERE:
        return True
    name = str(frame.f_globals.get("__name__", ""))
    return name.split(".", 1)[0] in _MACHINERY or name.startswith("mgdebug.")


_SCRATCH_PREFIX = "mgdebug-sandbox-"  # scratch.SCRATCH_PREFIX (the kit imports no mgdebug module)


def copied_project(root: str) -> str:
    """The top of the scratch copy `root` lies in: `<tmp>/mgdebug-sandbox-…/<project>`.

    The module's folder may be deep inside the project, while its tests (and the
    helpers they import) live elsewhere in the same copy: those are the user's too.
    """
    parts = root.split(os.sep)
    for i, part in enumerate(parts[:-1]):
        if part.startswith(_SCRATCH_PREFIX):
            return os.sep.join(parts[: i + 2])
    return root


def _inside(filename: str, folder: str) -> bool:
    return bool(folder) and filename.startswith(folder.rstrip(os.sep) + os.sep)


def _is_users(frame: types.FrameType, root: str) -> bool:
    """A frame of the user's project, or of an expectation's own code ("<doctest f[0]>")."""
    filename = frame.f_code.co_filename
    if filename.startswith("<"):
        return not filename.startswith("<frozen")
    return _inside(filename, copied_project(root))


def shown_path(filename: str, root: str) -> str:
    """`filename` relative to the module's folder `root`, else to the copied project."""
    if _inside(filename, root):
        return os.path.relpath(filename, root)
    project = copied_project(root)
    if _inside(filename, project):
        return os.path.relpath(filename, project)
    return filename


def user_traceback(exc: BaseException, root: str) -> str:
    """`exc` formatted as Python does, with only the user's frames (bounded)."""
    try:
        entries = [
            (tb.tb_frame, tb.tb_lineno)
            for tb in _walk(exc.__traceback__)
            if not _is_machinery(tb.tb_frame)
        ]
        # What ran the user's code (pytest plugins in site-packages, say) comes
        # before their first frame: start there. Libraries *they* call stay.
        first = next((i for i, (f, _) in enumerate(entries) if _is_users(f, root)), 0)
        entries = entries[first:]
        summaries = traceback.StackSummary.extract(
            ((f, n) for f, n in entries), lookup_lines=True, capture_locals=False
        )
        for summary in summaries:
            summary.filename = shown_path(summary.filename, root)
        lines = traceback.format_list(summaries[-MAX_FRAMES:])
        header = "Traceback (most recent call last):\n"
        if len(summaries) > MAX_FRAMES:
            header += f"  ... {len(summaries) - MAX_FRAMES} earlier frame(s)\n"
        return cap(header + "".join(lines) + describe_exception(exc), TRACEBACK_LIMIT)
    except Exception:  # noqa: BLE001 - a traceback is a courtesy, never a failure
        return ""


def _walk(tb: types.TracebackType | None) -> Iterator[types.TracebackType]:
    while tb is not None:
        yield tb
        tb = tb.tb_next


def cut_helper_frames(
    exc: BaseException,
    frame: types.FrameType,
    stop: types.TracebackType | None,
    helper_file: str,
) -> types.TracebackType | None:
    """Cut `exc`'s traceback below `frame` where a frame of `helper_file` starts.

    An exception can start inside a helper the instrumented code calls (a
    RecursionError in the tracer's `enter`, one call deeper than the user's
    code): the user's traceback then ends at their own line. Everything the
    helper called goes too. Each traced function the exception leaves calls
    this, up to `stop`, the entry the previous call returned, so a deep
    recursion costs one step per frame. Returns `frame`'s entry.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame is not frame:
        tb = tb.tb_next
    entry = tb
    while tb is not None and tb is not stop:
        after = tb.tb_next
        if after is not None and after.tb_frame.f_code.co_filename == helper_file:
            tb.tb_next = None
            break
        tb = after
    return entry


def classify_load_error(exc: BaseException, module_file: str, root: str) -> tuple[str, str, str]:
    """(kind, module, where) of an exception raised while the module under test loaded."""
    if isinstance(exc, ModuleNotFoundError):
        return MISSING_MODULE, exc.name or "", ""
    if isinstance(exc, StdinUnavailable) or (
        type(exc) is EOFError and str(exc) == "EOF when reading a line"  # input() elsewhere
    ):
        return STDIN, "", ""
    if isinstance(exc, SystemExit):
        return EXIT, "", ""
    if isinstance(exc, SyntaxError) and exc.filename:
        if exc.filename == module_file:
            return SYNTAX, "", ""
        # an imported module that does not compile: it never ran, so no frame of it
        name = os.path.splitext(shown_path(exc.filename, root))[0].replace(os.sep, ".")
        return IMPORT, name, f"{shown_path(exc.filename, root)}:{exc.lineno}"
    # An error raised while importing another module passes through that
    # module's top level: a `<module>` frame of another file below ours.
    importing = ""
    deepest = ""
    for tb in _walk(exc.__traceback__):
        code = tb.tb_frame.f_code
        if _is_machinery(tb.tb_frame):
            continue
        deepest = f"{shown_path(code.co_filename, root)}:{tb.tb_lineno}"
        if (
            code.co_name == "<module>"
            and code.co_filename != module_file
            and not code.co_filename.startswith("<")  # exec() of a string is no import
            and not importing
        ):
            importing = str(tb.tb_frame.f_globals.get("__name__", "")) or code.co_filename
    if importing:
        return IMPORT, importing, deepest
    return TOP_LEVEL, "", ""
