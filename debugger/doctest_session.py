"""Doctest expectations, run by the standard library's own `doctest` machinery."""

from __future__ import annotations

import doctest
from typing import Any

from mgdebug.analysis.model import Expectation

from .results import ExpectationResult, RunStatus
from .run_module import MESSAGE_LIMIT, Module
from .saferepr import cap


class _DoctestRunner(doctest.DocTestRunner):
    outcome: tuple[str, Any] = ("error", None)

    def report_start(self, out: Any, test: Any, example: Any) -> None:
        pass

    def report_success(self, out: Any, test: Any, example: Any, got: str) -> None:
        self.outcome = ("pass", got)

    def report_failure(self, out: Any, test: Any, example: Any, got: str) -> None:
        self.outcome = ("fail", got)

    def report_unexpected_exception(self, out: Any, test: Any, example: Any, exc_info: Any) -> None:
        self.outcome = ("raised", exc_info[1])


def run_doctest(module: Module, exp: Expectation, ns: dict[str, Any]) -> ExpectationResult:
    exec(exp.setup, ns)
    want = exp.want or ""
    example = doctest.Example(
        exp.call or "", want if not want or want.endswith("\n") else want + "\n"
    )
    test = doctest.DocTest([example], ns, exp.id, module.file, exp.origin.line, None)
    runner = _DoctestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    runner.run(test, out=lambda text: None, clear_globs=False)
    kind, value = runner.outcome
    if kind == "raised":
        result = module.failure(exp.id, value)
        result.expected = cap(want, MESSAGE_LIMIT)
        return result
    status: RunStatus = "pass" if kind == "pass" else "fail"
    return ExpectationResult(exp.id, status, cap(value, MESSAGE_LIMIT), cap(want, MESSAGE_LIMIT))
