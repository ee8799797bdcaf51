"""Reading model answers: the first fenced code block for code, a JSON object for data.

Models wrap answers in prose ("Sure! Here is the fixed function:"), send
several blocks, echo the prompt's code before the fix, or stop mid-block when
they hit the token limit. The rules are deliberately narrow so a bad answer is
a counted parse failure, never a guess: code is the first fenced block that
parses as Python (an unterminated block is rejected: truncated code is not
code), structured data is the first JSON object that decodes.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n", re.MULTILINE)


class AnswerError(ValueError):
    """The answer does not hold what was asked for; the message says what was wrong."""


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every closed fenced block, in order."""
    blocks: list[tuple[str, str]] = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        if opening is None:
            return blocks
        fence, language = opening.group(1), opening.group(2).lower()
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.M)
        end = closing.search(text, opening.end())
        if end is None:
            return blocks  # unterminated: the answer was cut off
        blocks.append((language, text[opening.end() : end.start()]))
        position = end.end()


def code_answer(text: str) -> str:
    """The code of the first fenced Python block that parses.

    Blocks tagged with another language (```json, ```text) are skipped; an
    untagged block counts. Raises AnswerError when no block qualifies.
    """
    blocks = fenced_blocks(text)
    if not blocks:
        if "```" in text or "~~~" in text:
            raise AnswerError("the code block is not closed (the answer was cut off?)")
        raise AnswerError("no fenced code block in the answer")
    problems: list[str] = []
    for language, body in blocks:
        if language not in ("", "python", "py", "python3"):
            continue
        try:
            ast.parse(body)
        except SyntaxError as exc:
            problems.append(f"line {exc.lineno}: {exc.msg}")
            continue
        if body.strip():
            return body
    if problems:
        raise AnswerError("the code block does not parse: " + problems[0])
    raise AnswerError("no Python code block in the answer")


def json_answer(text: str) -> dict[str, Any]:
    """The first JSON object in a fenced block, else the first bare `{...}` that decodes."""
    for language, body in fenced_blocks(text):
        if language in ("", "json", "jsonc"):
            found = _first_object(body)
            if found is not None:
                return found
    found = _first_object(text)
    if found is None:
        raise AnswerError("no JSON object in the answer")
    return found


def _first_object(text: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None
