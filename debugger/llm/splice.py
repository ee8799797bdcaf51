"""Putting a model's corrected functions back into the user's file, and only those.

Models answer with a whole file, one function, or a function plus a new
import, and they reformat and re-word what they did not mean to change. The
user should get a fix, not a rewrite: only functions whose code (docstrings
aside) differs from the original are replaced, each at its own place and
indentation; the user's docstring is kept when the model dropped or
re-worded it; a top-level import the fix needs is added after the file's
imports. Everything else stays byte for byte. `hunks` and
`subsets_smallest_first` then let the engine shrink a passing rewrite to the
smallest set of changed lines that still passes.
"""

from __future__ import annotations

import ast
import difflib
import itertools
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

from mgdebug.analysis.model import FunctionInfo, ModuleInfo

from ..repair.edits import TextEdit, apply_changes
from .answers import AnswerError


@dataclass(frozen=True)
class Splice:
    source: str  # the whole file with the changed functions replaced
    changes: tuple[TextEdit, ...]  # offsets into the original source
    functions: tuple[str, ...]  # qualnames replaced, in file order


Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def find_definition(tree: ast.Module, qualname: str) -> Definition | None:
    """The `def` or `class` named by `qualname` ("f", "C.m", "outer.inner") in `tree`."""
    body: list[ast.stmt] = tree.body
    node: Definition | None = None
    for part in qualname.split("."):
        node = next(
            (n for n in body if isinstance(n, Definition) and n.name == part),
            None,
        )
        if node is None:
            return None
        body = node.body
    return node


def _answer_functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found[prefix + node.name] = node
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return found


def _without_docstring(node: ast.AST) -> str:
    """The code that matters for behaviour here: decorators stay the user's, docstrings too."""
    node = ast.parse(ast.unparse(node)).body[0]  # a copy
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        node.decorator_list = []
    body = getattr(node, "body", [])
    if body and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _has_docstring(node):
        body.pop(0)
    return ast.dump(node)


def _has_docstring(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    first = node.body[0]
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


def _line_offsets(source: str) -> list[int]:
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def _reindent(lines: list[str], indent: str) -> list[str]:
    block = textwrap.dedent("".join(lines))
    return [indent + line if line.strip() else line for line in block.splitlines(keepends=True)]


def _replacement(
    original_lines: list[str],
    func: FunctionInfo,
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    answer_lines: list[str],
) -> list[str]:
    """The new text of `func`: the answer's code, the user's docstring kept."""
    def_line = original_lines[func.line - 1]
    indent = def_line[: len(def_line) - len(def_line.lstrip())]
    start = node.lineno - 1  # the `def` line; the original keeps its own decorators
    end = node.end_lineno or node.lineno
    keep_doc = (
        func.docstring_line is not None
        and func.docstring_end_line is not None
        and node.body[0].lineno > node.lineno  # not a one-line def
    )
    if not keep_doc:
        return _reindent(answer_lines[start:end], indent)
    assert func.docstring_line is not None and func.docstring_end_line is not None
    body = node.body[1:] if _has_docstring(node) else node.body
    header_end = node.body[0].lineno - 1  # the answer's lines before its first statement
    header = _reindent(answer_lines[start:header_end], indent)
    doc = original_lines[func.docstring_line - 1 : func.docstring_end_line]
    if not body:
        return header + doc + [indent + "    pass\n"]
    body_indent = doc[0][: len(doc[0]) - len(doc[0].lstrip())]
    rest = _reindent(answer_lines[body[0].lineno - 1 : end], body_indent)
    return header + doc + rest


def _new_imports(original: ast.Module, answer: ast.Module) -> list[ast.stmt]:
    have = {ast.dump(n) for n in original.body if isinstance(n, ast.Import | ast.ImportFrom)}
    return [
        n
        for n in answer.body
        if isinstance(n, ast.Import | ast.ImportFrom) and ast.dump(n) not in have
    ]


def _import_offset(source: str, tree: ast.Module, offsets: list[int]) -> int:
    """Where new imports go: after the last top-level import, else after the module docstring."""
    after = 0
    for node in tree.body:
        is_import = isinstance(node, ast.Import | ast.ImportFrom)
        is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if not is_import and not (after == 0 and is_docstring):
            break
        after = node.end_lineno or node.lineno
    return offsets[min(after, len(offsets) - 1)]


def splice_functions(original: str, module: ModuleInfo, answer_code: str) -> Splice:
    """`original` with each function the answer changed replaced by the answer's version.

    What a fix may need beyond its function comes along too: imports the file
    lacks, and top-level functions and constants (`MAX = 3000`) the answer
    defines under names the file does not have — placed after the file's own
    definitions, before a `__main__` block. Raises AnswerError when the answer
    changes nothing of the file or the result does not parse.
    """
    try:
        answer = ast.parse(answer_code)
        original_tree = ast.parse(original)
    except SyntaxError as exc:
        raise AnswerError(f"the code does not parse: line {exc.lineno}: {exc.msg}") from None
    offsets = _line_offsets(original)
    original_lines = original.splitlines(keepends=True)
    if original_lines and not original_lines[-1].endswith("\n"):
        original_lines[-1] += "\n"
    answer_lines = answer_code.splitlines(keepends=True)
    answer_lines = [line if line.endswith("\n") else line + "\n" for line in answer_lines]
    originals = {
        name: node for name, node in _answer_functions(original_tree).items()
    }  # the same walk over the user's file, for the comparison
    changes: list[TextEdit] = []
    replaced: list[str] = []
    for name, node in _answer_functions(answer).items():
        func = module.functions.get(name)
        if func is None or func.parent is not None or name not in originals:
            continue
        if _without_docstring(originals[name]) == _without_docstring(node):
            continue
        text = "".join(_replacement(original_lines, func, node, answer_lines))
        end = offsets[min(func.end_line, len(offsets) - 1)]
        changes.append(TextEdit(offsets[func.line - 1], end, text))
        replaced.append(name)
    # A method answered without its class is not a new function of the module.
    known = {f.name for f in module.functions.values()}
    added = _added_definitions(original_tree, answer, answer_lines, known)
    imports = _new_imports(original_tree, answer)
    if not changes and not added and not imports:
        raise AnswerError("the answer changes no function of the file")
    if imports:
        text = "".join(ast.unparse(node) + "\n" for node in imports)
        at = _import_offset(original, original_tree, offsets)
        changes.append(TextEdit(at, at, text))
    if added:
        at = _definitions_offset(original_tree, offsets)
        changes.append(TextEdit(at, at, "\n\n" + "\n\n".join(added)))
    source = apply_changes(original, changes)
    try:
        ast.parse(source)
    except SyntaxError as exc:
        raise AnswerError(f"the spliced file does not parse: line {exc.lineno}") from None
    order = sorted(replaced, key=lambda n: module.functions[n].line)
    return Splice(source, tuple(sorted(changes, key=lambda c: c.start)), tuple(order))


def function_edits(
    original: str,
    func: FunctionInfo,
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    answer_code: str,
) -> list[TextEdit]:
    """The edits of `original` putting the answer's `node` in place of `func`, with its imports.

    The replacement is the one `splice_functions` makes for each function
    (the user's decorators and docstring stay); imports the answer has and
    the file lacks go after the file's own. For callers that pick the
    function themselves (decompose.py) and add edits of their own.
    """
    tree, answer = ast.parse(original), ast.parse(answer_code)
    offsets = _line_offsets(original)
    ended = original.splitlines(keepends=True)
    if ended and not ended[-1].endswith("\n"):
        ended[-1] += "\n"
    answered = [
        line if line.endswith("\n") else line + "\n" for line in answer_code.splitlines(True)
    ]
    end = offsets[min(func.end_line, len(offsets) - 1)]
    body = "".join(_replacement(ended, func, node, answered))
    edits = [TextEdit(offsets[func.line - 1], end, body)]
    imports = _new_imports(tree, answer)
    if imports:
        at = _import_offset(original, tree, offsets)
        edits.append(TextEdit(at, at, "".join(ast.unparse(n) + "\n" for n in imports)))
    return edits


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _added_definitions(
    original: ast.Module, answer: ast.Module, lines: list[str], known: set[str]
) -> list[str]:
    """The answer's top-level functions, classes and constant assignments under new names."""
    have = _top_level_names(original) | known
    added: list[str] = []
    for node in answer.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            new = node.name not in have
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            new = bool(names) and len(names) == len(targets) and not set(names) & have
            value = node.value
            new = new and value is not None and _is_literal(value)
        else:
            continue
        if new:
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            added.append("".join(lines[first - 1 : node.end_lineno or node.lineno]))
    return added


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return False
    return True


def _definitions_offset(tree: ast.Module, offsets: list[int]) -> int:
    """After the last top-level def/class/import/assignment before any other statement."""
    after = 0
    for node in tree.body:
        if isinstance(node, ast.If | ast.Expr | ast.For | ast.While | ast.With | ast.Try):
            if after:
                break
            continue  # a module docstring or an early statement: keep looking
        after = node.end_lineno or node.lineno
    return offsets[min(after, len(offsets) - 1)]


def hunks(original: str, changed: str) -> list[TextEdit]:
    """The line-level differences between two texts, as edits of `original`."""
    offsets = _line_offsets(original)
    old = original.splitlines(keepends=True)
    new = changed.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return [
        TextEdit(offsets[i1], offsets[i2], "".join(new[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def subsets_smallest_first(count: int, limit: int = 64) -> Iterator[tuple[int, ...]]:
    """Index subsets of `count` hunks, fewest first, at most `limit`, the full set last."""
    produced = 0
    for size in range(1, count):
        for subset in itertools.combinations(range(count), size):
            if produced >= limit - 1:
                break
            produced += 1
            yield subset
    yield tuple(range(count))
