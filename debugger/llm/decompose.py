"""MGDebugger's hierarchical decomposition: a long function split into helpers, proved equal.

A long function with no helpers gives the bottom-up blame nothing to work
with: one function, one verdict. The model is asked to split it into helper
functions without changing what it does; the split is accepted only when the
sandbox shows it behaves exactly like the original — same return values
(with the arguments as the call left them), same exceptions, same output —
on every expectation of the baseline and on extra inputs: the calls of the
function the baseline's traces observed, and simple perturbations of them.
A model that "fixes" the bug on the way, renames a parameter or answers
prose is refused, so the decomposed tree that steps 1–3 then debug is the
user's program, only cut into pieces.

Only top-level, non-async functions are decomposed: helpers go at module
level right before the function, and extra inputs are plain calls. The
proof is decompose_check.py; mapping a fix of the decomposed file back onto
the original text is decompose_map.py (and decompose_inline.py).
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import FunctionInfo, ModuleInfo

from ..baseline import Baseline, Controls
from ..repair.edits import TextEdit, apply_changes
from .answers import AnswerError, code_answer
from .client import ModelClient, ModelError
from .decompose_check import first_difference
from .prompts import DECOMPOSE, DECOMPOSE_AGAIN, SYSTEM
from .splice import function_edits

if TYPE_CHECKING:
    from ..repair.candidates import Candidate  # libcst: loaded only where a fix is made

__all__ = [
    "Decomposition",
    "SpliceRefused",
    "decompose",
    "map_back",
    "needs_decomposition",
    "splice_decomposition",
]

# MGDebugger decomposes every function; here only those too long to blame as a
# whole, the thresholds issue 10 names: a screenful of code, or more branches
# and loops than a reader keeps in mind.
LONG_LINES = 25  # code lines, docstring, blank and comment lines aside
MANY_BLOCKS = 8


@dataclass(frozen=True)
class Decomposition:
    """The user's file with `function` replaced by helpers and a new `function` calling them."""

    source: str  # the whole file with `function` replaced by helpers + the new `function`
    module: ModuleInfo  # analyze_module(source, path)
    function: str  # qualname of the decomposed function
    helpers: tuple[str, ...]  # qualnames of the new helpers, in file order


class SpliceRefused(Exception):
    """The answer parses but is not an acceptable decomposition (signature, names, no helper)."""


def _top_level_def(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The node's first line, its decorators included."""
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _code_lines(source_lines: Sequence[str], func: FunctionInfo) -> int:
    doc = range(func.docstring_line or 0, (func.docstring_end_line or -1) + 1)
    return sum(
        1
        for number in range(func.line, func.end_line + 1)
        if number not in doc
        and number <= len(source_lines)
        and source_lines[number - 1].strip()
        and not source_lines[number - 1].lstrip().startswith("#")
    )


def needs_decomposition(module: ModuleInfo, function: str) -> bool:
    """Long (over LONG_LINES code lines or MANY_BLOCKS blocks) and calling no helper of the file.

    Only top-level synchronous functions qualify (see the module docstring).
    """
    func = module.functions.get(function)
    if func is None or func.parent is not None or func.class_name is not None or func.is_async:
        return False
    if any(callee in module.functions and callee != function for callee in func.calls):
        return False
    lines = module.source.splitlines()
    return _code_lines(lines, func) > LONG_LINES or len(func.blocks) > MANY_BLOCKS


# -- asking -----------------------------------------------------------------------


def decompose(
    client: ModelClient,
    baseline: Baseline,
    controls: Controls,
    function: str,
    *,
    cancel: threading.Event | None = None,
    rounds: int = 1,
) -> Decomposition | None:
    """The model's split of `function`, if it parses, keeps the signature and behaves the same.

    None when the answer is unusable (a counted parse failure), changes the
    signature, adds no helper, or behaves differently anywhere it was run.
    With `rounds` > 1, a split that behaves differently goes back to the
    model with the first difference (one request per round). `cancel`
    defaults to the controls' flag. Raises ModelError only when cancelled.
    """
    func = baseline.module.functions.get(function)
    if func is None or func.parent is not None or func.class_name is not None or func.is_async:
        return None
    cancel = cancel if cancel is not None else controls.cancel
    node = _top_level_def(ast.parse(baseline.source), func.name)
    if node is None:
        return None
    lines = baseline.source.splitlines(keepends=True)
    prompt = DECOMPOSE.format(
        function="".join(lines[_first_line(node) - 1 : func.end_line]).rstrip(),
        name=func.name,
    )
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
    for _ in range(max(1, rounds)):
        try:
            answer = client.complete(messages, cancel=cancel)
        except ModelError as error:
            if error.kind == "cancelled":
                raise
            return None
        messages.append({"role": "assistant", "content": answer.text})
        found = _accepted(client, baseline, controls, function, answer.text, cancel)
        if isinstance(found, Decomposition) or found is None:
            return found
        messages.append(
            {"role": "user", "content": DECOMPOSE_AGAIN.format(difference=found, name=func.name)}
        )
    return None


def _accepted(
    client: ModelClient,
    baseline: Baseline,
    controls: Controls,
    function: str,
    text: str,
    cancel: threading.Event | None,
) -> Decomposition | str | None:
    """The decomposition in `text`; else the difference to tell the model, or None to stop."""
    try:
        code = code_answer(text)
        source, helpers = splice_decomposition(baseline.source, baseline.module, function, code)
    except AnswerError as error:
        client.note_parse_failure(str(error))
        return None
    except SpliceRefused:
        return None  # a readable answer that is not a decomposition of this function
    module = analyze_module(source, baseline.path)
    new = module.functions.get(function)
    if module.syntax_errors or new is None or not set(helpers) & set(new.calls):
        return None
    if (cancel is not None and cancel.is_set()) or controls.cancelled:
        raise ModelError("cancelled", "cancelled")
    old = _top_level_def(ast.parse(baseline.source), baseline.module.functions[function].name)
    if old is None:
        return None
    difference = first_difference(baseline, controls, source, function, old)
    if difference is not None:
        return difference or None
    return Decomposition(source, module, function, helpers)


# -- splicing the answer in -----------------------------------------------------------


def _defined_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    return names


def _is_main_block(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)


def _same_signature(
    a: ast.FunctionDef | ast.AsyncFunctionDef, b: ast.FunctionDef | ast.AsyncFunctionDef
) -> bool:
    return (
        type(a) is type(b)
        and ast.dump(a.args) == ast.dump(b.args)
        and ast.dump(a.returns or ast.Constant(None)) == ast.dump(b.returns or ast.Constant(None))
    )


def splice_decomposition(
    original: str, module: ModuleInfo, function: str, answer_code: str
) -> tuple[str, tuple[str, ...]]:
    """`original` with `function` replaced by the answer's version and its helpers before it.

    The user's decorators and docstring stay; new imports go after the
    file's. Returns (source, helper names in file order). Raises AnswerError
    when the answer does not hold the function, SpliceRefused when it changes the
    signature, redefines a name of the file or adds no helper.
    """
    func = module.functions[function]
    tree = ast.parse(original)
    answer = ast.parse(answer_code)
    old = _top_level_def(tree, func.name)
    new = _top_level_def(answer, func.name)
    if old is None:
        raise SpliceRefused(f"`{function}` is not a top-level function")
    if new is None:
        raise AnswerError(f"the answer does not define `{func.name}`")
    if not _same_signature(old, new):
        raise SpliceRefused(f"the answer changes the signature of `{func.name}`")
    taken = _defined_names(tree)
    existing = {ast.dump(node) for node in tree.body}
    helpers: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for node in answer.body:
        if node is new or isinstance(node, ast.Import | ast.ImportFrom) or _is_main_block(node):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a module docstring or a stray string
        if ast.dump(node) in existing:
            continue  # the model answered with the whole file: the rest of it, unchanged
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            raise SpliceRefused("the answer adds top-level code other than functions")
        if node.name in taken:
            raise SpliceRefused(f"the helper `{node.name}` would replace a name of the file")
        helpers.append(node)
    if not helpers:
        raise SpliceRefused("the answer adds no helper function")
    answer_lines = [
        line if line.endswith("\n") else line + "\n"
        for line in answer_code.splitlines(keepends=True)
    ]
    helper_text = "".join(
        "".join(answer_lines[_first_line(h) - 1 : h.end_lineno or h.lineno]) + "\n\n"
        for h in helpers
    )
    at = len("".join(original.splitlines(keepends=True)[: _first_line(old) - 1]))
    changes = [TextEdit(at, at, helper_text), *function_edits(original, func, new, answer_code)]
    source = apply_changes(original, changes)
    try:
        ast.parse(source)
    except SyntaxError as exc:
        raise AnswerError(f"the decomposed file does not parse: line {exc.lineno}") from None
    return source, tuple(h.name for h in helpers)


def map_back(
    baseline: Baseline, decomposition: Decomposition, fixed_source: str
) -> Candidate | None:
    """A fix of the decomposed file as a candidate fix of the user's original file.

    See decompose_map.py: the same line edits on the original function when
    they map one to one, else a whole-function replacement, labelled so.
    """
    from .decompose_map import map_fix  # it builds on this module's Decomposition

    return map_fix(baseline, decomposition, fixed_source)
