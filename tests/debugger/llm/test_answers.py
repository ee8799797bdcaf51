"""Parsing answers in the shapes real models give them."""

from __future__ import annotations

import pytest

from mgdebug.debugger.llm.answers import AnswerError, code_answer, json_answer

CHATTY = """Sure! The bug is the off-by-one in the loop. Here is the corrected function:

```python
def total(xs):
    result = 0
    for x in xs:
        result += x
    return result
```

This now sums every element, including the first.
"""


def test_code_is_the_first_python_block_after_a_chatty_preamble() -> None:
    assert code_answer(CHATTY).startswith("def total(xs):\n    result = 0")


def test_blocks_in_other_languages_are_skipped() -> None:
    text = "Output:\n```text\n6\n```\nFix:\n```py\ndef f():\n    return 6\n```\n"
    assert code_answer(text) == "def f():\n    return 6\n"


def test_a_block_that_does_not_parse_is_skipped_for_one_that_does() -> None:
    text = "```python\ndef f(:\n```\nOops, properly:\n```python\ndef f():\n    pass\n```\n"
    assert code_answer(text) == "def f():\n    pass\n"


def test_a_whole_file_with_tildes_and_an_untagged_fence() -> None:
    text = "~~~\nimport math\n\ndef area(r):\n    return math.pi * r ** 2\n~~~"
    assert "math.pi" in code_answer(text)


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("```python\ndef f():\n    return [1, 2,", "not closed"),  # truncated at max_tokens
        ("def f():\n    return 1\n", "no fenced code block"),  # bare code: ambiguous
        ("I cannot help with that.", "no fenced code block"),
        ("```python\ndef f(:\n    pass\n```", "does not parse"),
        ('```json\n{"a": 1}\n```', "no Python code block"),
    ],
)
def test_unusable_code_answers_say_why(answer: str, why: str) -> None:
    with pytest.raises(AnswerError, match=why):
        code_answer(answer)


def test_json_in_a_fence_after_prose() -> None:
    text = 'Verdicts:\n```json\n{"blocks": [{"block": 1, "verdict": "wrong"}]}\n```'
    assert json_answer(text) == {"blocks": [{"block": 1, "verdict": "wrong"}]}


def test_bare_json_with_braces_in_prose_before_it() -> None:
    text = 'The set {1, 2} is wrong. {"verdict": "correct", "reason": "x {y}"} done'
    assert json_answer(text) == {"verdict": "correct", "reason": "x {y}"}


@pytest.mark.parametrize("answer", ["no json here", '{"cut": "off', "[1, 2, 3]"])
def test_no_json_object_is_a_parse_failure(answer: str) -> None:
    with pytest.raises(AnswerError):
        json_answer(answer)
