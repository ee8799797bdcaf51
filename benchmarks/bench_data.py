"""Loading ../shared/bench and judging fixes by its protocol.

Visible tests drive the tool; hidden tests judge the single top-ranked fix.
- QuixBugs: visible = the first half of the `assert` lines (graph programs: the
  first `test*()` function); hidden = all of `tests`. The docstring (the spec a
  user has) is put into the program as the function's docstring.
- MBPP seeds: visible = `given_tests`; hidden = `test`.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(
    os.environ.get("MGDEBUG_BENCH_DIR", Path(__file__).resolve().parents[2] / "shared" / "bench")
)


@dataclass
class Program:
    id: str
    entry: str
    source: str  # what the tool sees
    visible: str  # visible tests as Python source (asserts, or helpers + one test call)
    hidden: str  # hidden tests as Python source, run after the program
    buggy_lines: set[int]  # lines of `source` where the buggy and correct programs differ


def _differing_lines(buggy: str, correct: str) -> set[int]:
    """Lines of `buggy` (1-based) the correct program changes; both neighbours of an insertion."""
    lines: set[int] = set()
    a, b = buggy.splitlines(), correct.splitlines()
    matcher = difflib.SequenceMatcher(None, [x.strip() for x in a], [x.strip() for x in b])
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            lines.update(range(i1 + 1, i2 + 1))
        elif tag == "insert":
            lines.update({max(1, i1), min(len(a), i1 + 1)})
    return lines


def _with_docstring(program: str, entry: str, docstring: str) -> tuple[str, int, int]:
    """Insert the spec as `entry`'s docstring; returns source, insertion line, lines added."""
    lines = program.splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"\s*def {re.escape(entry)}\s*\(", line):
            # the def may span lines: find the one ending with ':'
            j = i
            while not lines[j].rstrip().endswith(":") and j + 1 < len(lines):
                j += 1
            body_indent = " " * (len(line) - len(line.lstrip()) + 4)
            doc = [body_indent + d if d.strip() else "" for d in docstring.strip().splitlines()]
            new = lines[: j + 1] + doc + lines[j + 1 :]
            return "\n".join(new) + "\n", j + 2, len(doc)
    return program, 0, 0


def quixbugs() -> list[Program]:
    programs = []
    for raw in (BENCH_DIR / "quixbugs.jsonl").read_text().splitlines():
        rec = json.loads(raw)
        buggy_lines = _differing_lines(rec["buggy_program"], rec["solution"])
        source, at, added = _with_docstring(rec["buggy_program"], rec["name"], rec["docstring"])
        if added:
            buggy_lines = {ln + added if ln >= at else ln for ln in buggy_lines}
        programs.append(
            Program(
                id=rec["name"],
                entry=rec["name"],
                source=source,
                visible=_quixbugs_visible(rec["tests"]),
                hidden=rec["tests"],
                buggy_lines=buggy_lines,
            )
        )
    return programs


def _quixbugs_visible(tests: str) -> str:
    asserts = [ln for ln in tests.splitlines() if ln.startswith("assert ")]
    if asserts and "def test" not in tests:
        return "\n".join(asserts[: max(1, len(asserts) // 2)]) + "\n"
    # Graph programs: helper classes, the first test function, and its call.
    parts = re.split(r"(?m)^(?=def test)", tests)
    helpers, first = parts[0], parts[1] if len(parts) > 1 else ""
    first = re.split(r"(?m)^test\w*\(\)\s*$", first)[0]
    name = re.match(r"def (\w+)", first)
    return helpers + first + (f"\n{name.group(1)}()\n" if name else "")


def mbpp(limit: int | None = None) -> list[Program]:
    programs = []
    for raw in (BENCH_DIR / "mbpp_seeds.jsonl").read_text().splitlines():
        rec = json.loads(raw)
        programs.append(
            Program(
                id=rec["id"],
                entry=rec["entry_point"],
                source=rec["buggy_solution"],
                visible="\n".join(rec["given_tests"]) + "\n",
                hidden=rec["test"],
                buggy_lines=_differing_lines(rec["buggy_solution"], rec["canonical_solution"]),
            )
        )
    return programs[:limit] if limit else programs


def passes(program_source: str, tests: str, timeout: float = 10.0) -> bool:
    """Judge a program by tests, in a separate process (never the tool's sandbox)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "judged.py"
        path.write_text(program_source + "\n\n" + tests + "\n")
        try:
            proc = subprocess.run(
                [sys.executable, str(path)],
                cwd=tmp,
                capture_output=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return False
        return proc.returncode == 0
