"""Expectations written in docstrings as prose: `f(x) == y`, "for x = 1 the output is 2".

Prose is only believed when it reads as Python: the call must parse, call a
function of the module, and use no names the module lacks; so must the
expected value. That keeps "f(x) -> y" (a description) out and
"f([1, 2]) ➞ 3" (an example) in.
"""

from __future__ import annotations

import ast
import doctest
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .assert_expectations import describe
from .call_targets import ModuleNames, parse_expression
from .model import Expectation, FunctionInfo, Origin

# What may sit between a call and its result in prose.
_ARROW = re.compile(
    r"\s*(?:==|=>|->|➞|→|⇒|⟶|➔|=(?!=)|should\s+(?:return|be|give|equal)|returns?|gives?"
    r"|equals?|evaluates\s+to)\s*:?\s*",
    re.IGNORECASE,
)
_CALL_START = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\(")
# "for n = 3 the output should be 7", "if x = 1, then the result is 2"
_GIVEN_INPUT = re.compile(
    r"\b(?:for|if|when|given)\s+(?P<inputs>\w+\s*=.+?),?\s+(?:then\s+)?(?:the\s+)?"
    r"(?:output|result|answer|return\s+value)\s+(?:should\s+be|is|will\s+be)\s*:?\s*(?P<rest>.+)",
    re.IGNORECASE,
)
# LeetCode style: "Input: nums = [1, 2], k = 1" then "Output: 3" (same or next line).
_INPUT_LINE = re.compile(r"^\s*Input\s*:\s*(?P<inputs>.+?)\s*(?:Output\s*:\s*(?P<rest>.+))?$")
_OUTPUT_LINE = re.compile(r"^\s*Output\s*:\s*(?P<rest>.+)$")
_CHAINED = re.compile(r"\s*(?:\.\s*[A-Za-z_]\w*\s*\(|\[)")
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class _Prose:
    line: int  # 0-based line within the docstring text
    call: str
    expected: str
    function: str


def docstring_expectations(
    func: FunctionInfo, path: str, names: ModuleNames
) -> Iterator[Expectation]:
    """Prose examples from one function's docstring.

    Its doctest examples are found with every other docstring's, as doctest
    finds them (doctest_sessions.py); here only the text between them counts.
    """
    if func.docstring is None or func.docstring_text_line is None:
        return
    first_line = func.docstring_text_line
    try:
        parts = doctest.DocTestParser().parse(func.docstring)
    except ValueError:
        # Inconsistent doctest indentation: doctest itself would refuse it,
        # but the prose may still hold examples.
        parts = [func.docstring]
    line = 0  # 0-based line within the docstring of the current part
    for part in parts:
        if isinstance(part, str):
            for prose in prose_examples(part, func, names):
                yield _prose_expectation(prose, line + first_line, path)
            line += part.count("\n")
            continue
        line = part.lineno + part.source.count("\n") + part.want.count("\n")


def _prose_expectation(prose: _Prose, first_line: int, path: str) -> Expectation:
    line = first_line + prose.line
    return Expectation(
        id=f"docstring:L{line}",
        function=prose.function,
        kind="eval",
        origin=Origin(path, line, "docstring"),
        description=describe(f"{prose.call} == {prose.expected}"),
        call=prose.call,
        expected=prose.expected,
    )


def prose_examples(text: str, func: FunctionInfo, names: ModuleNames) -> Iterator[_Prose]:
    """Examples in free text: calls followed by an arrow, and input/output sentences."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        found = list(_call_examples(line, names))
        if not found:
            found = list(_input_examples(line, lines[index + 1 : index + 2], func, names))
        for call, expected, function in found:
            yield _Prose(index, call, expected, function)


def _call_examples(line: str, names: ModuleNames) -> Iterator[tuple[str, str, str]]:
    for match in _CALL_START.finditer(line):
        close = _call_end(line, match.end() - 1)
        if close is None:
            continue
        call_text = line[match.start() : close + 1]
        call = parse_expression(call_text)
        if not isinstance(call, ast.Call) or names.free_names(call):
            continue
        function = names.callee(call)
        arrow = _ARROW.match(line, close + 1)
        if function is None or arrow is None:
            continue
        expected = _leading_expression(line[arrow.end() :], names)
        if expected is not None:
            yield call_text, expected, function


def _input_examples(
    line: str, following: list[str], func: FunctionInfo, names: ModuleNames
) -> Iterator[tuple[str, str, str]]:
    """'for n = 3 the output should be 7' and 'Input: n = 3 / Output: 7' about `func`."""
    if func.qualname not in names.functions.values():
        return  # a method or nested function cannot be called by its bare name
    match = _GIVEN_INPUT.search(line) or _INPUT_LINE.match(line)
    if match is None:
        return
    rest = match.group("rest")
    if rest is None:
        output = _OUTPUT_LINE.match(following[0]) if following else None
        rest = output.group("rest") if output else None
    if rest is None:
        return
    call = _call_from_inputs(match.group("inputs"), func, names)
    expected = _leading_expression(rest, names)
    if call is not None and expected is not None:
        yield call, expected, func.qualname


def _call_from_inputs(inputs: str, func: FunctionInfo, names: ModuleNames) -> str | None:
    """`n = 3, k = 1` as a call of `func`: positional when the names match its params."""
    inputs = inputs.strip().rstrip(",;")
    parsed = parse_expression(f"_({inputs})") or parse_expression(
        f"_({inputs.replace(' and ', ', ')})"
    )
    if not isinstance(parsed, ast.Call) or names.free_names(parsed) - {"_"}:
        return None
    keywords = {kw.arg: ast.unparse(kw.value) for kw in parsed.keywords if kw.arg}
    positional = [ast.unparse(arg) for arg in parsed.args]
    params = [p for p in func.params if p not in ("self", "cls")]
    if not set(keywords) <= set(params) or len(keywords) != len(parsed.keywords):
        return None
    if list(keywords) == params[len(positional) : len(positional) + len(keywords)]:
        positional += list(keywords.values())
        keywords = {}
    arguments = positional + [f"{name}={value}" for name, value in keywords.items()]
    return f"{func.name}({', '.join(arguments)})"


def _leading_expression(text: str, names: ModuleNames) -> str | None:
    """The longest start of `text` that is a Python expression using only known names.

    Prose goes on after the value ("returns 3 because ..."), so shorter and
    shorter prefixes are tried. A bare tuple is refused: in prose a comma
    after a value ends the example ("f(1) -> 2, f(2) -> 4").
    """
    ends = [m.end() for m in re.finditer(r"\S+", text)]
    for end in reversed(ends):
        candidate = text[:end].strip().rstrip(".,;")
        if not candidate:
            continue
        parsed = parse_expression(candidate)
        if parsed is None or names.free_names(parsed):
            continue
        if isinstance(parsed, ast.Tuple) and not candidate.startswith("("):
            continue
        return candidate
    return None


def _call_end(text: str, open_index: int) -> int | None:
    """Index of the last character of the call opening at `open_index`.

    Chained calls and subscripts belong to it: `Stack().size()`, `f(x)[0]`.
    """
    close = _closing_paren(text, open_index)
    while close is not None:
        chained = _CHAINED.match(text, close + 1)
        if chained is None:
            return close
        following = _closing_paren(text, chained.end() - 1)
        if following is None:
            return close
        close = following
    return None


def _closing_paren(text: str, open_index: int) -> int | None:
    """Index of the bracket closing the one at `open_index`, skipping string literals."""
    stack: list[str] = []
    quote: str | None = None
    index = open_index
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in _CLOSERS:
            stack.append(_CLOSERS[char])
        elif char in ")]}":
            if not stack or stack.pop() != char:
                return None
            if not stack:
                return index
        index += 1
    return None
