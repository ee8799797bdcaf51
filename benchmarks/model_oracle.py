"""Scripted models for model_bench.py: an oracle, a noisy oracle and a garbage model.

Each is a `responder(body) -> Reply` for tests/debugger/llm/scripted_openai.py,
so the benchmark exercises mgdebug's real client, parser and pipeline over
HTTP. The oracle knows the reference program of every bug in the run: it
recognises the program from the code in the prompt and the prompt's kind from
the templates in debugger/llm/prompts.py (read at run time, so prompts added
later are recognised by name), and answers as a perfect model would:

- fix prompts: the reference program (QuixBugs `solution`, MBPP
  `canonical_solution`) in one ```python block;
- case prompts: input → output pairs from running the reference on inputs
  derived from the visible tests (model_reference.py; never the hidden ones);
- block verdicts: "wrong" for the blocks holding lines the reference changes;
- simulation: the reference's result for the call, and no invented values;
- judging checked fixes: the one that behaves most like the reference on the
  derived inputs;
- explanations: two generic sentences; anything else (decomposition, kinds
  added later): prose, as a model that declines.

The noisy oracle gives the buggy program (and its cases, and "all correct"
verdicts, the fix that least resembles the reference when asked to choose)
back for half the prompts, chosen by a hash of the bug, the prompt's kind, the
round and the seed, so runs repeat. The garbage model answers everything with
prose: no code, no JSON.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import string
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "tests" / "debugger" / "llm"))

from bench_data import BENCH_DIR, Program, _with_docstring  # noqa: E402
from model_reference import run_call, run_cases  # noqa: E402
from scripted_openai import Reply  # noqa: E402

from mgdebug.debugger.llm import prompts  # noqa: E402
from mgdebug.debugger.llm.answers import fenced_blocks  # noqa: E402

Mode = Literal["oracle", "noisy", "garbage"]

PROSE = (
    "Looking at this function, the logic seems mostly reasonable, but I would double-check "
    "the loop conditions and the edge cases. Adding a few print statements should help."
)
EXPLANATION = (
    "The function departs from its docstring on the failing input: the lines the trace shows "
    "compute a different value than the intent asks for. Changing those lines fixes it."
)


@dataclass(frozen=True)
class Reference:
    """One bug as the oracle knows it: what the tool sees and the corrected program."""

    program: Program
    buggy: str  # the buggy program as the data set has it (no docstring added)
    reference: str  # the corrected program
    reference_file: str  # the corrected program as the tool would see it (spec docstring added)


def references(suite: str, programs: Iterable[Program]) -> list[Reference]:
    """Pair each loaded program with its record's buggy and corrected programs."""
    if suite == "quixbugs":
        file, key, buggy, fixed = "quixbugs.jsonl", "name", "buggy_program", "solution"
    else:
        file, key, buggy, fixed = "mbpp_seeds.jsonl", "id", "buggy_solution", "canonical_solution"
    records = {}
    for line in (BENCH_DIR / file).read_text().splitlines():
        record = json.loads(line)
        records[record[key]] = record
    refs = []
    for p in programs:
        record = records.get(p.id)
        if record is None:
            continue
        seen = record[fixed]
        if suite == "quixbugs":
            seen = _with_docstring(seen, p.entry, record["docstring"])[0]
        refs.append(Reference(p, record[buggy], record[fixed], seen))
    return refs


def prompt_templates() -> dict[str, list[str]]:
    """Kind name → the literal text chunks of its template, from debugger/llm/prompts.py."""
    templates: dict[str, list[str]] = {}
    for name in dir(prompts):
        value = getattr(prompts, name)
        if name.isupper() and name != "SYSTEM" and isinstance(value, str):
            chunks = [text.strip() for text, *_ in string.Formatter().parse(value)]
            templates[name] = [c for c in chunks if len(c) >= 8]
    return templates


def prompt_kind(text: str, templates: dict[str, list[str]]) -> str:
    """The template `text` was made from (all its literal chunks, in order), or "unknown"."""
    best, best_size = "unknown", 0
    for name, chunks in templates.items():
        position, size = 0, 0
        for chunk in chunks:
            found = text.find(chunk, position)
            if found < 0:
                break
            position, size = found + len(chunk), size + len(chunk)
        else:
            if size > best_size:
                best, best_size = name, size
    return best


def _code_blocks(text: str) -> list[str]:
    return [body for language, body in fenced_blocks(text) if language in ("", "python", "py")]


def _squash(text: str) -> str:
    return " ".join(text.split())


class Oracle:
    """The responder: `Oracle(refs, mode)(body) -> Reply`; thread-safe (no shared writes)."""

    def __init__(self, refs: list[Reference], mode: Mode) -> None:
        self.refs = refs
        self.mode = mode
        self.templates = prompt_templates()
        self.by_name: dict[str, list[Reference]] = {}
        for ref in refs:
            for name in re.findall(r"(?m)^\s*def (\w+)", ref.program.source):
                self.by_name.setdefault(name, []).append(ref)
        self.kinds: dict[str, int] = {}  # kind → prompts seen (for the report)
        self.unidentified = 0

    def __call__(self, body: dict[str, Any]) -> Reply:
        messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
        users = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
        kind = prompt_kind(users[-1], self.templates) if users else "unknown"
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        text = self._answer(kind, users, body) if self.mode != "garbage" else PROSE
        prompt_chars = sum(len(str(m.get("content", ""))) for m in messages)
        return Reply(
            content=text, prompt_tokens=prompt_chars // 4 + 1, completion_tokens=len(text) // 4 + 1
        )

    def identify(self, users: list[str]) -> Reference | None:
        """The bug whose file holds the code shown in the conversation."""
        blocks = [b for u in users for b in _code_blocks(u)]
        candidates: list[Reference] = []
        for block in blocks:
            for name in re.findall(r"(?m)^\s*def (\w+)", block):
                candidates += [r for r in self.by_name.get(name, []) if r not in candidates]
        if not candidates:
            return None
        shown = _squash("\n".join(blocks))
        exact = [r for r in candidates if shown and shown in _squash(r.program.source)]
        if len(exact) == 1 or (exact and len(set(r.program.source for r in exact)) == 1):
            return exact[0]
        return max(
            exact or candidates,
            key=lambda r: difflib.SequenceMatcher(None, shown, _squash(r.program.source)).ratio(),
        )

    def _noisy(self, ref: Reference, kind: str, users: list[str], body: dict[str, Any]) -> bool:
        """Half the requests, by a hash of what identifies the question.

        The bug, the prompt's kind, the round of the conversation and the sample's
        seed — not the prompt text, which holds timings ("timed out after 0.89 s")
        that would make runs differ.
        """
        key = json.dumps([ref.program.id, kind, len(users), body.get("seed")])
        digest = hashlib.sha256(key.encode()).digest()
        return self.mode == "noisy" and digest[0] % 2 == 1

    def _answer(self, kind: str, users: list[str], body: dict[str, Any]) -> str:
        ref = self.identify(users)
        if ref is None:
            self.unidentified += 1
            return PROSE
        wrong = self._noisy(ref, kind, users, body)
        if kind.startswith("FIX"):  # FIX, FIX_AGAIN, FIX_UNUSABLE: the conversation's rounds
            code = (ref.buggy if wrong else ref.reference).strip()
            return f"Here is the corrected function:\n\n```python\n{code}\n```\n"
        if kind == "CASES":
            return self._cases(ref, users[-1], ref.buggy if wrong else ref.reference)
        if kind == "BLOCK_VERDICTS":
            return self._verdicts(ref, users[-1], wrong)
        if kind == "SIMULATE":
            return self._simulation(users[-1], ref.buggy if wrong else ref.reference)
        if "EXPLAIN" in kind or "WHY" in kind:
            return EXPLANATION
        if "JUDGE" in kind or "CHOOSE" in kind:
            return self._judgement(ref, users[-1], wrong)
        return PROSE  # DECOMPOSE and kinds this oracle does not know: a model that declines

    def _cases(self, ref: Reference, prompt: str, program: str) -> str:
        name = re.search(r'"call": "(\w+)\(\.\.\.\)"', prompt)
        count = re.search(r"Write (\d+) test cases", prompt)
        if name is None:
            return PROSE
        cases = run_cases(
            program, name.group(1), ref.program.visible, int(count.group(1)) if count else 5
        )
        return json.dumps({"cases": cases})

    def _verdicts(self, ref: Reference, prompt: str, wrong: bool) -> str:
        blocks: dict[int, bool] = {}
        for number, start, end in re.findall(r"\[block (\d+), lines (\d+)-(\d+)", prompt):
            lines = set(range(int(start), int(end) + 1))
            bad = bool(lines & ref.program.buggy_lines) and not wrong
            blocks[int(number)] = blocks.get(int(number), False) or bad
        verdicts = [
            {
                "block": n,
                "verdict": "wrong" if bad else "correct",
                "reason": "these lines differ from what the intent needs" if bad else "as intended",
            }
            for n, bad in sorted(blocks.items())
        ]
        return json.dumps({"blocks": verdicts})

    def _simulation(self, prompt: str, program: str) -> str:
        call = re.search(r"call `([^`]+)`", prompt)
        first = re.search(r"(?m)^block (\d+):", prompt)
        if call is None or first is None:
            return PROSE
        result = run_call(program, call.group(1))
        # One step with no values: the oracle does not invent intermediate values.
        steps = [{"block": int(first.group(1)), "values": {}}]
        return json.dumps({"steps": steps, "result": result})

    def _judgement(self, ref: Reference, prompt: str, wrong: bool) -> str:
        """The shown fix that behaves most like the reference on inputs near the visible ones."""
        diffs = [body for language, body in fenced_blocks(prompt) if language in ("diff", "patch")]
        program = ref.program
        wanted = run_cases(ref.reference, program.entry, program.visible, 50)
        scores = []
        for diff in diffs:
            patched = apply_unified(program.source, diff)
            if patched is None:
                scores.append(-1)
                continue
            got = run_cases(patched, program.entry, program.visible, 50)
            scores.append(sum(case in got for case in wanted))
        if not scores or max(scores) < 0:
            return PROSE
        choice = scores.index(min(scores) if wrong else max(scores)) + 1
        return json.dumps({"choice": choice, "reason": "it behaves as the intent asks"})


def apply_unified(source: str, diff: str) -> str | None:
    """`source` with a unified diff of it applied, or None when the diff does not fit."""
    old = source.splitlines(keepends=True)
    new: list[str] = []
    at = 0  # lines of `old` consumed
    lines = diff.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        hunk = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", lines[i])
        i += 1
        if hunk is None:
            continue
        start = int(hunk.group(1)) - (0 if hunk.group(2) == "0" else 1)
        if start < at:
            return None
        new += old[at:start]
        at = start
        while i < len(lines) and not lines[i].startswith("@@"):
            line = lines[i]
            i += 1
            if line.startswith(("-", " ")):
                if at >= len(old) or old[at].rstrip("\n") != line[1:].rstrip("\n"):
                    return None
                at += 1
                if line.startswith(" "):
                    new.append(old[at - 1])
            elif line.startswith("+"):
                new.append(line[1:] if line.endswith("\n") else line[1:] + "\n")
    return "".join(new + old[at:])
