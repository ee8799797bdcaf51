"""What the file's own expectations say before anything is generated.

The engine's first two stages (`analyse`, `run`) run the expectations that
judge the asked-for functions, traced, in the caller's sandbox: their call
records are real inputs (inputs.py), and each function's status decides
whether its current behaviour may be written down at all. A function that
fails its own expectations gets no examples and no regression tests: they
would document, and then defend, the bug.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import FunctionInfo, ModuleInfo

from ..baseline import Controls, ProgressCallback
from ..engine import DebugRequest, analyse, run
from ..options import DebugOptions
from ..report import FunctionReport, Report
from ..results import CallRecord
from ..sandbox.pool import Sandbox


class GenerateError(Exception):
    """Nothing can be generated (a usage error the user can act on: say it as is)."""


@dataclass(frozen=True)
class GenerateRequest:
    """What the caller asks to generate from: `source` as if it were the file at `path`.

    Like the engine's `DebugRequest`, one object instead of the same six loose
    arguments threaded through every generator; `sandbox` is the caller's and
    the caller closes it.
    """

    source: str
    path: str
    sandbox: Sandbox
    options: DebugOptions = field(default_factory=DebugOptions)
    cancel: threading.Event | None = None
    progress: ProgressCallback | None = None


@dataclass
class Observation:
    """The file's analysis, the calls its expectations made, and each function's status."""

    module: ModuleInfo
    calls: list[CallRecord] = field(default_factory=list)
    functions: dict[str, FunctionReport] = field(default_factory=dict)
    could_not_run: str = ""  # why the module could not be imported, if it could not

    def refusal(self, qualname: str, path: str) -> str:
        """Why `qualname`'s current behaviour is not written down, or ""."""
        if self.could_not_run:
            return f"could not run `{qualname}`: {self.could_not_run}"
        report = self.functions.get(qualname)
        if report is None or report.status != "fail":
            return ""
        first = report.failures[0] if report.failures else None
        what = ""
        if first is not None:
            got = f"; got {first.actual}" if first.actual else ""
            want = f"expected {first.expected}" if first.expected else first.status
            what = f" (`{first.description}`: {want}{got})"
        total = report.passed + report.failed
        return (
            f"`{qualname}` fails {report.failed} of its {total} expectation(s){what}: "
            "its current behaviour is not what its expectations say, so none of it is "
            f"written down as examples or tests; fix it first (`mgdebug {path} "
            f"--function {qualname}`)"
        )


def find_function(module: ModuleInfo, name: str) -> FunctionInfo:
    """The function `name` (qualname, or a unique plain name); GenerateError if there is none."""
    if name in module.functions:
        return module.functions[name]
    matches = [f for f in module.functions.values() if f.name == name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(f"`{f.qualname}`" for f in matches)
        raise GenerateError(f"`{name}` names several functions ({names}): give its qualname")
    raise GenerateError(f"no function named `{name}` in the file")


def parse(source: str, path: str) -> ModuleInfo:
    module = analyze_module(source, path)
    if module.syntax_errors:
        problem = module.syntax_errors[0]
        raise GenerateError(
            f"the file has a syntax error on line {problem.line}: {problem.message}"
        )
    return module


def observe(request: GenerateRequest, functions: Sequence[str]) -> Observation:
    """Run the expectations judging `functions` traced; their calls and verdicts."""
    narrowed = replace(
        request.options, function=None, functions=list(functions), search_fixes=False
    )
    report = Report(path=request.path)
    debug = DebugRequest(
        request.source, request.path, narrowed, cancel=request.cancel, progress=request.progress
    )
    baseline = analyse(debug, report)
    module = baseline.module if baseline is not None else parse(request.source, request.path)
    observation = Observation(module, functions={f.name: f for f in report.functions})
    if baseline is None:
        return observation  # nothing to run: no expectations judge these functions
    ran = run(baseline, Controls(request.sandbox, request.cancel, request.progress), report)
    if ran is None:
        problem = report.could_not_run
        observation.could_not_run = problem.message if problem is not None else "it failed to load"
        return observation
    observation.functions = {f.name: f for f in report.functions}
    for result in ran.results:
        if result.trace is not None:
            observation.calls.extend(result.trace.calls)
    return observation
