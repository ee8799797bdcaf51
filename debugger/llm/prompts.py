"""Every prompt mgdebug sends, as plain text one can read and review.

Prompts hold only the file's code, its expectations and values from real
runs: nothing from the user's environment. Each asks for one answer shape —
a fenced Python block or a JSON object — that answers.py parses strictly.
"""

from __future__ import annotations

SYSTEM = (
    "You are a careful Python debugging assistant. Answer exactly in the format asked for, "
    "with no other code blocks."
)

CASES = """\
Here is a Python function from a larger file:

```python
{function}
```
{usage}
Write {count} test cases that pin down what this function SHOULD do according to its name, \
docstring and signature — not what the code happens to do (the code may be wrong). Use small \
inputs, include edge cases (empty, zero, one element, negative) where they make sense, and only \
cases whose expected value you are sure of.

Answer with one JSON object and nothing else:
{{"cases": [{{"call": "{name}(...)", "expected": "<a Python literal>"}}, ...]}}
Each "call" is a Python expression calling `{name}` with literal arguments; each "expected" is \
a Python literal (number, string, list, tuple, dict, set, bool or None).
"""

BLOCK_VERDICTS = """\
This Python function fails a test.

```python
{function}
```

Intent: {intent}
Failing test: `{call}` should give {expected}, but gave {actual}.

Here is what really happened in that run, block by block (variable values when each block was \
left; long runs show the first and last iterations only):

{trace}

For each block, say whether it behaved correctly for the intent. Answer with one JSON object \
and nothing else:
{{"blocks": [{{"block": <number>, "verdict": "correct" or "wrong", "reason": "<one short line>"}}]}}
"""

FIX = """\
This Python function fails its tests.

```python
{function}
```

Failing tests (expected vs actual):
{failures}
{evidence}
Write the corrected function. Keep its name, signature and docstring; change as little as \
possible. Answer with exactly one ```python block holding the whole corrected function \
(and any import it needs), and nothing else in code blocks.
"""

FIX_AGAIN = """\
Your fix was run against the tests and still fails:
{failures}
Answer again with exactly one ```python block holding the whole corrected function.
"""

FIX_UNUSABLE = """\
Your answer could not be used: {problem}.
Answer again with exactly one ```python block holding the whole corrected function.
"""

SIMULATE = """\
This Python function is meant to do the following: {intent}

```python
{function}
```

Its basic blocks are:
{blocks}

Simulate, block by block, what a CORRECT implementation of this intent would compute for the \
call `{call}` (expected result: {expected}). Follow the code's structure, but where the code \
disagrees with the intent, follow the intent. Give the values of the variables when each block \
is left, in the order the blocks would run (at most {max_steps} steps; for loops give the first \
and last iterations).

Answer with one JSON object and nothing else:
{{"steps": [{{"block": <number>, "values": {{"<variable>": "<Python repr>"}}}}], \
"result": "<Python repr of the return value>"}}
"""

DECOMPOSE = """\
This Python function is long and fails its tests. Split it into a few smaller helper functions \
without changing what it does — keep every behaviour, including its bugs, exactly as it is; \
do not fix anything.

```python
{function}
```

Keep the name and signature of `{name}`; give each helper a descriptive name and a one-line \
docstring; define the helpers at module level before `{name}`. Answer with exactly one \
```python block holding the helpers and the new `{name}`, and nothing else in code blocks.
"""

DECOMPOSE_AGAIN = """\
Your split does not behave like the original function: {difference}. The helpers must do \
exactly what the original code did, bugs included. Answer again with exactly one ```python \
block holding the helpers and the new `{name}`.
"""

EXPLAIN = """\
This Python function fails a test.

```python
{function}
```

Failing test: `{call}` should give {expected}, but gave {actual}.
{trace}
In at most two sentences, explain why it fails. Use only values shown above; do not invent \
values. Answer in plain text, with no code block.
"""

JUDGE = """\
This Python function fails its tests.

```python
{function}
```

Intent: {intent}

Each of these fixes passes every test, but they do different things:

{fixes}

Which fix matches the intent of the function? Answer with one JSON object and nothing else:
{{"choice": <the fix's number>, "reason": "<one short line>"}}
"""
