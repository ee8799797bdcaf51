"""A docstring with checked examples for one function: observe, run, write, run again.

    observe (observe.py) → inputs (inputs.py) → outputs by running (examples.py)
    → the docstring in the file's style (docstyle.py) → inserted with libcst
    (docstring_writer.py) → the new examples run as the docstring's doctest

Every example in the result passed as a doctest of the file as written; one
that did not is dropped and the docstring written again without it. Without
a model the summary is built from the function's name. With one
(`DebugOptions.model.config`), the inputs it proposes (model_cases.py) come
right after the observed calls, their outputs from running them like every
other: the model never writes an output.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field

from mgdebug.analysis.expectations import find_expectations
from mgdebug.analysis.model import FunctionInfo

from ..sandbox.pool import Job, Sandbox
from .docstring_writer import DocstringError, write_docstring
from .docstyle import DocParts, Param, Style, detect_style
from .examples import Outcome, choose_examples, doctest_block, run_cases
from .inputs import (
    Case,
    candidate_cases,
    default_texts,
    importable,
    parameters,
    shape_of_annotation,
    shape_of_value,
)
from .model_cases import specification_cases
from .observe import (
    GenerateError,
    GenerateRequest,
    Observation,
    find_function,
    observe,
    parse,
)

_VERBS = {
    "get": "Return the",
    "compute": "Compute the",
    "calc": "Compute the",
    "calculate": "Compute the",
    "find": "Find the",
    "make": "Make a",
    "build": "Build a",
    "create": "Create a",
    "count": "Count the",
    "parse": "Parse the",
    "load": "Load the",
    "check": "Check the",
    "to": "Convert to",
}


@dataclass
class DocstringResult:
    """The new source (None: nothing to change) and what the user should be told."""

    source: str | None
    function: str
    style: Style
    examples: int = 0
    completed: bool = False
    messages: list[str] = field(default_factory=list)


def summary_from_name(func: FunctionInfo, returns: bool = True) -> str:
    """A PEP 257 summary line from the name alone (`is_even` -> "Return whether it is even.").

    A function that returns nothing is named for what it does: `save_file` -> "Save file.".
    """
    if func.name == "__init__":
        return "Initialize the instance."
    words = [w for w in func.name.strip("_").split("_") if w]
    if not words:
        return "Do what the name says."
    if not returns:
        return " ".join(words).capitalize() + "."
    head, rest = words[0].lower(), " ".join(words[1:])
    if head in ("is", "has", "can", "should") and rest:
        return f"Return whether it {head} {rest}."
    if head in _VERBS and rest:
        return f"{_VERBS[head]} {rest}."
    return f"Return the {' '.join(words)}."


def _raised_statically(func: FunctionInfo, source: str) -> list[str]:
    """Exception names the function body raises by name (`raise ValueError(...)`)."""
    lines = source.splitlines()[func.line - 1 : func.end_line]
    text = "\n".join(lines)
    indent = len(text) - len(text.lstrip())
    try:
        tree = ast.parse("\n".join(line[indent:] for line in lines))
    except SyntaxError:
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id not in names:
                names.append(target.id)
    return names


def _return_hint(func: FunctionInfo, source: str) -> ast.expr | None:
    """The function's return annotation (`FunctionInfo.signature` holds only its parameters)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno == func.line:
            return node.returns
    return None


def doc_parts(
    func: FunctionInfo, source: str, outcomes: Sequence[Outcome], examples: Sequence[str]
) -> DocParts:
    """What the docstring says: from the signature, the outcomes that ran, and the body."""
    params = parameters(func) or []
    observed = [o for o in outcomes if o.case.origin == "observed"] or list(outcomes)
    described: list[Param] = []
    for index, param in enumerate(params):
        if param.arg in ("self", "cls") and func.class_name is not None:
            continue
        annotation = ast.unparse(param.annotation) if param.annotation is not None else ""
        example = (
            observed[0].case.args[index] if observed and index < len(observed[0].case.args) else ""
        )
        kind = annotation
        if not kind and example:
            try:
                shape = shape_of_value(ast.literal_eval(example))
            except (ValueError, SyntaxError):
                shape = None
            kind = shape.name if shape is not None else ""
        described.append(Param(param.arg, kind, f"For example ``{example}``." if example else ""))
    returns: str | None = None
    hint = _return_hint(func, source)
    values = [o for o in outcomes if o.raised is None]
    if hint is not None:
        returns = (
            None
            if shape_of_annotation(hint) == shape_of_annotation(ast.Constant(None))
            else ast.unparse(hint)
        )
    elif values and not all(o.returned_none for o in values):
        kinds = list(dict.fromkeys(o.type_name for o in values if not o.returned_none))
        returns = " or ".join(kinds[:3])
    raises: list[tuple[str, str]] = []
    for outcome in outcomes:
        name = outcome.exception_type
        if name and name not in [r[0] for r in raises]:
            raises.append((name, f"For example on ``{outcome.case.call(func.name)}``."))
    for name in _raised_statically(func, source):
        if name not in [r[0] for r in raises]:
            raises.append((name, ""))
    return DocParts(
        summary=summary_from_name(func, returns is not None),
        params=described,
        returns=returns,
        raises=raises,
        examples=list(examples),
    )


def _verify(sandbox: Sandbox, source: str, path: str, qualname: str, count: int) -> list[bool]:
    """Per new example (the docstring's first `count`), whether it passed as a doctest."""
    module = parse(source, path)
    exps = [
        e
        for e in find_expectations(module, path)
        if e.kind == "doctest" and e.function == qualname and e.origin.path == path
    ]
    exps.sort(key=lambda e: e.example or 0)
    results = sandbox.run(Job(source=source, expectations=exps)) if exps else []
    verdicts = [r.status == "pass" for r in results]
    return (verdicts + [False] * count)[:count]


def write_checked_docstring(
    request: GenerateRequest, function: str, *, extra_cases: Sequence[Case] = ()
) -> DocstringResult:
    """The source with `function`'s docstring written or completed, its examples checked."""
    source, path, sandbox = request.source, request.path, request.sandbox
    module = parse(source, path)
    func = find_function(module, function)
    style = detect_style([f.docstring for f in module.functions.values() if f.docstring], path)
    result = DocstringResult(None, func.qualname, style)
    outcomes: list[Outcome] = []
    if not importable(func, source):
        result.messages.append(
            f"examples are written for top-level functions only (doctest calls them by "
            f"their module name): `{func.qualname}` gets none"
        )
    elif func.is_async:
        result.messages.append(f"`{func.qualname}` is async: examples would need an event loop")
    elif func.docstring and ">>>" in func.docstring:
        result.messages.append(f"`{func.qualname}` already has examples: none were added")
    else:
        outcomes = _run(request, func, extra_cases, result)
    chosen = choose_examples(func.name, outcomes)
    given = default_texts(func)
    blocks = [b for b in (doctest_block(func.name, o, given) for o in chosen) if b is not None]
    for _attempt in range(3):
        parts = doc_parts(func, source, outcomes, blocks)
        try:
            inserted = write_docstring(source, func.qualname, parts, style)
        except DocstringError as exc:
            raise GenerateError(str(exc)) from exc
        if inserted is None:
            result.messages.append(f"`{func.qualname}`'s docstring already says all this")
            return result
        verdicts = (
            _verify(sandbox, inserted.source, path, func.qualname, len(blocks)) if blocks else []
        )
        if all(verdicts):
            result.source, result.completed, result.examples = (
                inserted.source,
                inserted.completed,
                len(blocks),
            )
            return result
        dropped = [b for b, ok in zip(blocks, verdicts, strict=True) if not ok]
        result.messages.append(
            f"dropped {len(dropped)} example(s) that did not pass as doctests: "
            + "; ".join(b.split("\n", 1)[0].removeprefix(">>> ") for b in dropped)
        )
        blocks = [b for b, ok in zip(blocks, verdicts, strict=True) if ok]
    return result


def _run(
    request: GenerateRequest,
    func: FunctionInfo,
    extra_cases: Sequence[Case],
    result: DocstringResult,
) -> list[Outcome]:
    """The outcomes to draw examples from; none (and the reason) when it may not show them."""
    source, path = request.source, request.path
    seen: Observation = observe(request, [func.qualname])
    refusal = seen.refusal(func.qualname, path)
    if refusal:
        result.messages.append(refusal)
        return []
    # With a model, its proposed inputs (outputs still come from running them).
    proposed, note = specification_cases(
        request.options.model, func, source, seen.calls, request.cancel
    )
    if note:
        result.messages.append(note)
    cases = [*extra_cases, *(s.case for s in proposed), *candidate_cases(func, seen.calls)]
    if not cases:
        result.messages.append(
            f"no inputs for `{func.qualname}`: no call of it was observed and its parameters "
            "have no type hints to build values from"
        )
        return []
    outcomes = run_cases(request.sandbox, source, path, func.qualname, cases)
    if not any(doctest_block(func.name, o) for o in outcomes):
        result.messages.append(f"no call of `{func.qualname}` gave an output fit for an example")
    return outcomes
