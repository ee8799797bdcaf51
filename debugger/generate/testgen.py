"""Regression tests for a module's functions, run by the real pytest before they are offered.

Where: the project's tests folder (`tests/` beside the module, else a
`tests/` beside its folder that already holds tests), else `test_<module>.py`
beside the module; `--out` overrides. An existing file is appended to. How
the module is imported is copied from the project's other tests in that
folder (`from pkg.mod import f` or `import mod`), else the module's package
name.

What: per function, parametrized cases (inputs.py) whose expected values
come from running the current code (examples.py): `assert f(x) == expected`
for values that read back as equal literals, `pytest.raises` for builtin
exceptions and the module's own. They are labelled regression tests: they
pin what the code does now. A function that fails its own expectations gets
none (observe.py says why).

Check: the file is written into the sandbox's copy of the project and each
case runs as a pytest expectation (its own node id); a case that does not
pass is dropped, and what remains runs again and must all pass.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mgdebug.analysis.model import Expectation, FunctionInfo, Origin

from ..run.package_import import package_name
from ..sandbox.pool import Job, Sandbox
from .examples import Outcome, run_cases
from .inputs import candidate_cases, default_texts, importable, literal, parameters
from .model_cases import SpecCase, specification_cases
from .observe import GenerateError, GenerateRequest, find_function, observe, parse
from .testfile import Spec, Suite, render_file

_MAX_CASES = 10


@dataclass
class TestsResult:
    """The test file (its text before and after) and what the user should be told."""

    path: str
    old_text: str | None  # None: the file is new
    new_text: str | None  # None: nothing to write
    tests: int = 0  # cases written, all passing (or xfail: a likely bug)
    messages: list[str] = field(default_factory=list)
    likely_bugs: list[tuple[str, str]] = field(default_factory=list)  # (function, what)
    functions: list[str] = field(default_factory=list)  # the functions tests were sought for


def where_tests_go(module_path: str, out: str | None = None) -> Path:
    """Where the tests of `module_path` go (see the module docstring)."""
    if out:
        return Path(os.path.abspath(out))
    module = Path(os.path.abspath(module_path))
    name = f"test_{module.stem}.py"
    beside = module.parent / "tests"
    if beside.is_dir():
        return beside / name
    above = module.parent.parent / "tests"
    if above.is_dir() and any(above.glob("test_*.py")):
        return above / name
    return module.parent / name


def import_target(module_path: str, test_file: Path) -> tuple[str, bool]:
    """(module to import, whether the project's tests import the module itself: `import m`)."""
    stem = Path(module_path).stem
    dotted = package_name(os.path.abspath(module_path)) or stem
    from_style, module_style = 0, 0
    found = ""
    for other in sorted(test_file.parent.glob("test_*.py"))[:20]:
        try:
            tree = ast.parse(other.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == stem or node.module.endswith("." + stem):
                    from_style += 1
                    found = found or node.module
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == stem or alias.name.endswith("." + stem):
                        module_style += 1
                        found = found or alias.name
    return found or dotted, module_style > from_style


def _suite(func: FunctionInfo, outcomes: Sequence[Outcome], module_name: str) -> Suite:
    params = [p.arg for p in parameters(func) or []]
    usable = [o for o in outcomes if o.stable]
    values = [o for o in usable if o.raised is None and o.literal][:_MAX_CASES]
    raises = [
        o
        for o in usable
        if o.raised is not None and o.exception_module in ("builtins", module_name)
    ][:4]
    return Suite(func, params, values, raises)


def _specs(
    sandbox: Sandbox, source: str, path: str, func: FunctionInfo, cases: Sequence[SpecCase]
) -> list[Spec]:
    """The model's cases, each with why the current code does not meet it ("" if it does)."""
    outcomes = {
        o.case: o for o in run_cases(sandbox, source, path, func.qualname, [c.case for c in cases])
    }
    specs: list[Spec] = []
    for case in cases:
        outcome = outcomes.get(case.case)
        call = case.case.call(func.name, default_texts(func))
        if outcome is None:
            specs.append(
                Spec(case, f"the model reads `{call}` as {case.expected}; the code did not finish")
            )
        elif outcome.raised is not None:
            specs.append(
                Spec(
                    case,
                    f"the model reads `{call}` as {case.expected}; "
                    f"the code raises {outcome.raised.strip()}",
                )
            )
        elif not _equal(outcome.value, case.expected):
            specs.append(
                Spec(
                    case,
                    f"the model reads `{call}` as {case.expected}; "
                    f"the code returns {outcome.value}",
                )
            )
        else:
            specs.append(Spec(case))
    return specs


def _equal(actual: str | None, expected: str) -> bool:
    try:
        return actual is not None and bool(literal(actual) == literal(expected))
    except ValueError:
        return False


def _scratch_file(sandbox: Sandbox, module_path: str, target: Path) -> Path:
    inside = os.path.relpath(target, os.path.dirname(os.path.abspath(module_path)))
    scratch = Path(os.path.normpath(os.path.join(sandbox.scratch_root, inside)))
    if not scratch.parent.is_dir():
        raise GenerateError(f"{target.parent} is outside the project folder the tests can run in")
    return scratch


def _run_tests(
    sandbox: Sandbox, source: str, target: Path, scratch: Path, text: str, ids: Sequence[str]
) -> dict[str, str]:
    """Node id -> pytest's verdict ("pass", "fail", "skip" for an xfail...) on `text`."""
    scratch.write_text(text, encoding="utf-8")
    exps = [
        Expectation(
            id=f"generated:{nodeid}",
            function="",
            kind="pytest",
            origin=Origin(str(target), 1, "pytest"),
            description=nodeid,
            test_file=str(target),
            nodeid=f"{target.name}::{nodeid}",
        )
        for nodeid in ids
    ]
    results = sandbox.run(Job(source=source, expectations=exps)) if exps else []
    return {nodeid: r.status for nodeid, r in zip(ids, results, strict=False)}


def generate_tests(
    request: GenerateRequest, functions: Sequence[str] = (), out: str | None = None
) -> TestsResult:
    """Regression tests of `functions` (all module-level ones when empty), checked by pytest."""
    source, path, sandbox = request.source, request.path, request.sandbox
    module = parse(source, path)
    targets = [find_function(module, f) for f in functions] or [
        f for f in module.functions.values() if importable(f, source)
    ]
    if not targets:
        raise GenerateError("no module-level function to test in the file")
    target_file = where_tests_go(path, out)
    old = target_file.read_text(encoding="utf-8") if target_file.is_file() else None
    result = TestsResult(str(target_file), old, None, functions=[f.qualname for f in targets])
    seen = observe(request, [f.qualname for f in targets])
    module_name, module_style = import_target(path, target_file)
    suites: list[Suite] = []
    for func in targets:
        if not importable(func, source):
            result.messages.append(
                f"`{func.qualname}`: tests are written for top-level functions only"
            )
            continue
        suite = Suite(func, [p.arg for p in parameters(func) or []])
        refusal = seen.refusal(func.qualname, path)
        if refusal:
            result.messages.append(refusal)
        else:
            outcomes = run_cases(
                sandbox, source, path, func.qualname, candidate_cases(func, seen.calls)
            )
            suite = _suite(func, outcomes, module_name.rsplit(".", 1)[-1])
        spec_cases, note = specification_cases(
            request.options.model, func, source, seen.calls, request.cancel
        )
        if note:
            result.messages.append(note)
        suite.specs = _specs(sandbox, source, path, func, spec_cases) if spec_cases else []
        if suite.empty():
            if not refusal:
                result.messages.append(
                    f"`{func.qualname}`: no input gave a value a test can compare"
                )
        else:
            suites.append(suite)
    if not suites:
        return result
    scratch = _scratch_file(sandbox, path, target_file)
    for attempt in range(2):
        text, cases = render_file(suites, old, module_name, module_style)
        verdicts = _run_tests(sandbox, source, target_file, scratch, text, [c[0] for c in cases])
        good = {id(item) for nodeid, item in cases if _as_offered(item, verdicts.get(nodeid))}
        if len(good) == len(cases):
            break
        failing = [nodeid for nodeid, item in cases if id(item) not in good]
        result.messages.append(
            f"dropped {len(failing)} case(s) pytest did not pass: {', '.join(failing[:5])}"
        )
        suites = _keep(suites, good)
        if not suites or attempt == 1:
            result.messages.append("the generated tests did not pass twice alike: none are offered")
            return result
    for suite in suites:
        for spec in suite.specs:
            if spec.likely_bug:
                result.likely_bugs.append((suite.func.qualname, spec.likely_bug))
                result.messages.append(f"likely bug in `{suite.func.qualname}`: {spec.likely_bug}")
    result.new_text, result.tests = text, len(cases)
    return result


def _as_offered(item: object, status: str | None) -> bool:
    """Whether pytest's verdict is the one the case is offered with (an xfail may xpass)."""
    if isinstance(item, Spec) and item.likely_bug:
        return status in ("skip", "pass")
    return status == "pass"


def _keep(suites: Sequence[Suite], good: set[int]) -> list[Suite]:
    """The suites with only the cases (by identity) that pytest judged as offered."""
    kept: list[Suite] = []
    for suite in suites:
        trimmed = Suite(
            suite.func,
            suite.params,
            [o for o in suite.values if id(o) in good],
            [o for o in suite.raises if id(o) in good],
            [s for s in suite.specs if id(s) in good],
        )
        if not trimmed.empty():
            kept.append(trimmed)
    return kept
