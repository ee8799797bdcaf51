"""The module under test inside the sandbox grandchild, and what every runner shares.

`Module` executes the (possibly instrumented) source as a real module and turns
exceptions into results; `BoundedWriter` captures output within a budget.
"""

from __future__ import annotations

import io
import linecache
import sys
import types
from typing import Any

from ..results import ExpectationResult, RunStatus
from ..sandbox.protocol import Order
from ..trace.saferepr import cap, describe_exception
from ..trace.tracer import Tracer
from .package_import import import_as_package_member, package_name
from .user_frames import NoStdin, classify_load_error, user_traceback

MESSAGE_LIMIT = 4000


class BoundedWriter(io.TextIOBase):
    """A stdout that keeps the first `limit` characters and counts the rest."""

    def __init__(self, limit: int) -> None:
        self._parts: list[str] = []
        self._room = limit
        self._dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        kept = text[: max(self._room, 0)]
        if kept:
            self._parts.append(kept)
            self._room -= len(kept)
        self._dropped += len(text) - len(kept)
        return len(text)

    def text(self) -> str:
        kept = "".join(self._parts)
        if self._dropped:
            kept += f"\n... [output truncated: {self._dropped} more characters]"
        return kept


class Module:
    """The module under test, executed from `order.source` and registered in sys.modules."""

    def __init__(self, order: Order) -> None:
        self.file = order.module_file
        self.root = order.scratch_root
        self.module = types.ModuleType(order.module_name)
        self.module.__file__ = order.module_file
        self.error: ExpectationResult | None = None
        lines = order.source.splitlines(keepends=True)
        # Tracebacks, doctest and inspect read the source from linecache: give
        # them order.source whatever the scratch file holds (other workers may
        # be rewriting it with another candidate).
        linecache.cache[order.module_file] = (len(order.source), None, lines, order.module_file)
        sys.modules[order.module_name] = self.module

    def load(self, source: str, tracer: Tracer | None = None) -> None:
        """Run the module's top level: the rewritten module if it is to be traced.

        If it raises, every expectation gets `error`, which says why in
        `load_error` (see user_frames.classify_load_error) so that the parent
        can tell an environment problem from a bug without reading the text.
        """
        saved_stdin, no_stdin = sys.stdin, NoStdin()
        sys.stdin = no_stdin  # type: ignore[assignment]  # an input() fails at once, saying why
        try:
            if tracer is not None:
                code = tracer.code
                tracer.install(self.module.__dict__)
            else:
                code = compile(source, self.file, "exec", dont_inherit=True)
            dotted = package_name(self.file)
            if dotted is None:
                exec(code, self.module.__dict__)
            else:  # `pkg.mod`: relative imports and its package work as for the user
                import_as_package_member(
                    self.module, dotted, lambda module: exec(code, module.__dict__)
                )
        except BaseException as exc:  # noqa: BLE001 - the module's top level may do anything
            self.error = self.failure("", exc)
            self.error.message = "the module failed to load: " + self.error.message
            kind, module, where = classify_load_error(exc, self.file, self.root)
            self.error.load_error, self.error.load_module, self.error.load_where = (
                kind,
                module,
                where,
            )
        finally:
            if sys.stdin is no_stdin:  # unless the module set a stdin of its own
                sys.stdin = saved_stdin

    def namespace(self) -> dict[str, Any]:
        """A fresh copy of the module's globals per expectation, as doctest does."""
        return dict(self.module.__dict__)

    def error_line(self, tb: types.TracebackType | None) -> int | None:
        line = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.file:
                line = tb.tb_lineno
            tb = tb.tb_next
        return line

    def failure(self, expectation_id: str, exc: BaseException) -> ExpectationResult:
        """The result for code that raised (or exited) instead of returning."""
        status: RunStatus = "error"
        text = describe_exception(exc, MESSAGE_LIMIT)
        if isinstance(exc, SystemExit):
            status, text = "crash", f"the code called sys.exit({exc.code!r})"
        elif isinstance(exc, KeyboardInterrupt):
            status, text = "crash", "the code raised KeyboardInterrupt"
        elif isinstance(exc, SyntaxError) and exc.filename == self.file:
            return ExpectationResult(
                expectation_id, "error", cap(text, 200), None, text, exc.lineno
            )
        return ExpectationResult(
            expectation_id,
            status,
            actual=cap(text, 200),
            message=text,
            error_line=self.error_line(exc.__traceback__),
            traceback=user_traceback(exc, self.root) if status == "error" else "",
        )


def timed_out(result: ExpectationResult, seconds: float) -> ExpectationResult:
    """The result of an expectation its soft limit interrupted (error_line: where it was)."""
    return ExpectationResult(
        result.expectation_id,
        "timeout",
        message=f"timed out after {seconds:.3g} s (wall clock)",
        error_line=result.error_line,
        stdout=result.stdout,
    )
