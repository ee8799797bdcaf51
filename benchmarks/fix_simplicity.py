"""How often the top checked fix is the reference fix, token for token: this tree against another.

    python benchmarks/fix_simplicity.py --against HEAD --limit 60 --jobs 1
    python benchmarks/fix_simplicity.py --suite quixbugs            # this tree alone
    python benchmarks/fix_simplicity.py --against HEAD --suite cases  # the bug shape, shown

Visible tests drive the tool (as in run_bench.py); the top-ranked fix counts.
"Same as the reference" compares the token streams (`tokenize`, comments,
line breaks, indentation and the docstring left out) of the fixed function
and of the same function in the reference correct program, both formatted by
`ruff format` first, so that spacing and redundant parentheses do not count.
The hidden tests judge the top fix too ("correct"): a fix can pass them and
still be written differently from the reference.

With `--against REV`, the git revision REV is exported (`git archive`, which
leaves the repository as it is) into a temporary folder and imported from
there (PYTHONPATH) by a worker process; a second worker imports this tree.
The two workers take the programs in turn, one at a time per `--jobs`, so
the load of the shared machine hits both alike. Run it with this tree's venv.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import queue
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import threading
import time
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_data import BENCH_DIR, Program, _differing_lines, mbpp, passes, quixbugs  # noqa: E402

SHOWN_FIXES = 5

# Illustrations, not a benchmark (`--suite cases`): the bug shape the ranking
# is about, written here to show it, each as (id, buggy, reference, visible
# asserts, hidden asserts). The visible asserts let the plain fix pass along
# with its longer spellings (and, for `price`, a wrong one).
CASES: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "total_of",
        "def total_of(prices):\n    s = 0\n"
        "    for p in prices[1:]:\n        s += p\n    return s\n",
        "def total_of(prices):\n    s = 0\n    for p in prices:\n        s += p\n    return s\n",
        "assert total_of([1, 2, 3]) == 6\n",
        "assert total_of([1, 2, 3]) == 6\nassert total_of([]) == 0\nassert total_of([5]) == 5\n",
    ),
    (
        "count_up",
        "def count_up(n):\n    return list(range(1, n))\n",
        "def count_up(n):\n    return list(range(n))\n",
        "assert count_up(3) == [0, 1, 2]\n",
        "assert count_up(3) == [0, 1, 2]\nassert count_up(0) == []\n",
    ),
    (
        "price",
        "def price(x):\n    return round(x, 1)\n",
        "def price(x):\n    return round(x)\n",
        "assert price(2.4) == 2\n",
        "assert price(2.4) == 2\nassert isinstance(price(2.4), int)\n",
    ),
    (
        "tail_sum",
        "def tail_sum(xs):\n    return sum(xs[1:])\n",
        "def tail_sum(xs):\n    return sum(xs)\n",
        "assert tail_sum([4, 5]) == 9\n",
        "assert tail_sum([4, 5]) == 9\nassert tail_sum([7]) == 7\n",
    ),
    (
        "first_word",
        'def first_word(s):\n    return s.split(",")[0]\n',
        "def first_word(s):\n    return s.split()[0]\n",
        'assert first_word("ab cd") == "ab"\n',
        'assert first_word("ab cd") == "ab"\nassert first_word(" x  y") == "x"\n',
    ),
)


def cases() -> list[Program]:
    return [
        Program(name, name, buggy, visible, hidden, _differing_lines(buggy, reference))
        for name, buggy, reference, visible, hidden in CASES
    ]


# --- the worker: one mgdebug (whichever PYTHONPATH gives), programs by id on stdin ---------


def _programs(suite: str, limit: int | None) -> list[Program]:
    chosen: list[Program] = []
    if suite in ("quixbugs", "both"):
        chosen += quixbugs()[:limit] if limit else quixbugs()
    if suite in ("mbpp", "both"):
        chosen += mbpp(limit)
    if suite == "cases":
        chosen += cases()
    return chosen


def worker(suite: str, limit: int | None, budget: float) -> None:
    """Answer each program id read from stdin with one JSON line: its top fixes."""
    import mgdebug.debugger as imported
    from mgdebug.analysis.expectations import expectations_from_asserts
    from mgdebug.analysis.functions import analyze_module
    from mgdebug.debugger.engine import DebugRequest, debug
    from mgdebug.debugger.options import DebugOptions

    by_id = {p.id: p for p in _programs(suite, limit)}
    options = DebugOptions(search_seconds=budget)
    print(json.dumps({"ready": str(Path(imported.__file__).parent.parent)}), flush=True)
    for line in sys.stdin:
        program = by_id[line.strip()]
        answer: dict[str, Any] = {"id": program.id, "fixes": [], "state": "none"}
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / f"{program.entry}.py")
            Path(path).write_text(program.source)
            module = analyze_module(program.source, path)
            visible = expectations_from_asserts(program.visible, module, path + "::visible")
            try:
                report = debug(DebugRequest(program.source, path, options, expectations=visible))
            except Exception as exc:  # noqa: BLE001 - a benchmark records failures and goes on
                answer["state"] = f"error: {exc!r}"
            else:
                if report.results and all(r.passed for r in report.results):
                    answer["state"] = "already-passes"
                elif report.fixes:
                    answer["state"] = "fix"
                answer["suspects"] = [suspect.line for suspect in report.suspects[:3]]
                answer["fixes"] = [
                    {"source": f.source, "function": f.function, "summary": f.summary}
                    for f in report.fixes[:SHOWN_FIXES]
                ]
        answer["seconds"] = round(time.monotonic() - started, 2)
        print(json.dumps(answer), flush=True)


# --- comparing a fix with the reference ----------------------------------------------------


def _function_text(source: str, qualname: str) -> str | None:
    """The code of the function `qualname` ("f", "C.m", "outer.inner") in `source`, dedented."""
    import ast

    from mgdebug.debugger.llm.splice import find_definition

    try:
        node = find_definition(ast.parse(source), qualname)
    except SyntaxError:
        return None
    if node is None:
        return None
    lines = source.splitlines(keepends=True)
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return textwrap.dedent("".join(lines[start - 1 : node.end_lineno]))


def _docstring_span(code: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Where the docstring of the one function in `code` is, as tokenize counts."""
    import ast

    try:
        node = ast.parse(code).body[0]
    except (SyntaxError, IndexError):
        return None
    first = getattr(node, "body", [None])[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and first.end_lineno is not None
        and first.end_col_offset is not None
    ):
        return (first.lineno, first.col_offset), (first.end_lineno, first.end_col_offset)
    return None


_IGNORED = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


def _formatted(code: str) -> str:
    if RUFF is None:
        return code
    proc = subprocess.run(
        [RUFF, "format", "--isolated", "-"], input=code, capture_output=True, text=True
    )
    return proc.stdout if proc.returncode == 0 else code


def token_stream(source: str, qualname: str) -> tuple[str, ...] | None:
    text = _function_text(source, qualname)
    if text is None:
        return None
    text = _formatted(text)
    # The spec a benchmark puts in as the docstring is no part of the fix.
    doc = _docstring_span(text)
    try:
        return tuple(
            tok.string
            for tok in tokenize.generate_tokens(io.StringIO(text).readline)
            if tok.type not in _IGNORED and not (doc and doc[0] <= tok.start < doc[1])
        )
    except (tokenize.TokenError, SyntaxError):
        return None


def reference_sources() -> dict[str, str]:
    """Program id -> the reference correct program."""
    refs: dict[str, str] = {}
    for raw in (BENCH_DIR / "quixbugs.jsonl").read_text().splitlines():
        rec = json.loads(raw)
        refs[rec["name"]] = rec["solution"]
    for raw in (BENCH_DIR / "mbpp_seeds.jsonl").read_text().splitlines():
        rec = json.loads(raw)
        refs[rec["id"]] = rec["canonical_solution"]
    refs.update((name, reference) for name, _, reference, _, _ in CASES)
    return refs


@dataclass
class Judged:
    id: str
    state: str
    top_same: bool = False  # the top fix is the reference, token for token
    listed_same: int = 0  # 1-based rank of a listed fix that is the reference; 0 if none
    top_correct: bool = False  # the top fix passes the hidden tests
    top_identity: bool = False  # the top fix adds an identity slice or arithmetic
    top_line: bool = False  # the top suspect is a line the reference changes
    summary: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def judge(answer: dict[str, Any], program: Program, reference: str) -> Judged:
    from mgdebug.debugger.repair.simplicity import plain_form

    judged = Judged(answer["id"], answer["state"], seconds=answer.get("seconds", 0.0))
    suspects = answer.get("suspects", [])
    judged.top_line = bool(suspects) and suspects[0] in program.buggy_lines
    fixes = answer["fixes"]
    if answer["state"] != "fix" or not fixes:
        return judged
    top = fixes[0]
    judged.summary = top["summary"]
    for rank, fix in enumerate(fixes, start=1):
        mine = token_stream(fix["source"], fix["function"])
        if mine is not None and mine == token_stream(reference, fix["function"]):
            judged.listed_same = judged.listed_same or rank
    judged.top_same = judged.listed_same == 1
    judged.top_correct = passes(top["source"], program.hidden)
    before, after = plain_form(program.source), plain_form(top["source"])
    judged.top_identity = (
        before is not None and after is not None and len(after[1]) > len(before[1])
    )
    return judged


# --- the parent: workers side by side ------------------------------------------------------


@contextmanager
def exported(revision: str) -> Iterator[str]:
    """A folder holding `revision` of this repository as the package `mgdebug`."""
    with tempfile.TemporaryDirectory(prefix="mgdebug-against-") as folder:
        target = Path(folder) / "mgdebug"
        target.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", revision],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
        yield folder


class Worker:
    """A worker process and its pipe: one program at a time."""

    def __init__(self, args: argparse.Namespace, pythonpath: str | None) -> None:
        env = dict(os.environ)
        if pythonpath is not None:
            env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
        command = [sys.executable, __file__, "--worker", "--suite", args.suite]
        command += ["--budget", str(args.budget)]
        if args.limit:
            command += ["--limit", str(args.limit)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        self.imported = json.loads(self.stdout.readline())["ready"]

    def ask(self, program_id: str) -> dict[str, Any]:
        self.stdin.write(program_id + "\n")
        self.stdin.flush()
        answer: dict[str, Any] = json.loads(self.stdout.readline())
        return answer

    def close(self) -> None:
        self.stdin.close()
        self.process.wait()


def run_sides(
    args: argparse.Namespace, sides: dict[str, str | None], programs: list[Program]
) -> dict[str, dict[str, dict[str, Any]]]:
    """side -> program id -> the worker's answer; `--jobs` lanes, each a worker per side."""
    answers: dict[str, dict[str, dict[str, Any]]] = {side: {} for side in sides}
    todo: queue.Queue[Program] = queue.Queue()
    for program in programs:
        todo.put(program)
    lock = threading.Lock()

    def lane(number: int) -> None:
        workers = {side: Worker(args, path) for side, path in sides.items()}
        if number == 0:
            for side, w in workers.items():
                print(f"{side}: mgdebug from {w.imported}", file=sys.stderr)
        try:
            turn = 0
            while True:
                try:
                    program = todo.get_nowait()
                except queue.Empty:
                    return
                # Alternate which side goes first, so neither always runs on a warmer machine.
                order = list(workers.items())
                order = order[turn % len(order) :] + order[: turn % len(order)]
                turn += 1
                for side, w in order:
                    answer = w.ask(program.id)
                    with lock:
                        answers[side][program.id] = answer
                if args.verbose:
                    states = "  ".join(
                        f"{side}: {answers[side][program.id]['fixes'][0]['summary']}"
                        if answers[side][program.id]["fixes"]
                        else f"{side}: {answers[side][program.id]['state']}"
                        for side in sides
                    )
                    print(f"{program.id:32} {states}", file=sys.stderr, flush=True)
        finally:
            for w in workers.values():
                w.close()

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(max(1, args.jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def table(judged: dict[str, list[Judged]], suite: str) -> str:
    sides = list(judged)
    n = len(judged[sides[0]])

    def row(label: str, count: Any) -> str:
        return f"| {label} | " + " | ".join(f"{count(judged[s])}/{n}" for s in sides) + " |"

    def with_fix(js: list[Judged]) -> list[Judged]:
        return [j for j in js if j.state == "fix"]

    lines = [
        f"### {suite}: {n} programs",
        "| measure | " + " | ".join(sides) + " |",
        "|---|" + "---|" * len(sides),
        row("top fix = reference, token for token", lambda js: sum(j.top_same for j in js)),
        row(
            "reference among the listed fixes (any rank)",
            lambda js: sum(bool(j.listed_same) for j in js),
        ),
        row("top fix correct (hidden tests pass)", lambda js: sum(j.top_correct for j in js)),
        row(
            "top fix adds an identity slice or arithmetic",
            lambda js: sum(j.top_identity for j in js),
        ),
        row("a checked fix found", lambda js: len(with_fix(js))),
        row("top-1 line localization", lambda js: sum(j.top_line for j in js)),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--suite", choices=["quixbugs", "mbpp", "both", "cases"], default="both")
    parser.add_argument("--limit", type=int, default=None, help="programs per suite")
    parser.add_argument("--budget", type=float, default=10.0, help="fix search seconds")
    parser.add_argument("--against", help="a git revision to compare with, e.g. HEAD")
    parser.add_argument("--jobs", type=int, default=1, help="programs in flight (default 1)")
    parser.add_argument("--verbose", action="store_true", help="each program's top fixes")
    parser.add_argument("--json-out", help="write the per-program verdicts here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.suite, args.limit, args.budget)
        return
    programs = _programs(args.suite, args.limit)
    started = time.monotonic()
    with maybe_exported(args.against) as against:
        sides: dict[str, str | None] = {"this tree": None}
        if against is not None:
            sides = {f"before ({args.against})": against, "after (this tree)": None}
        answers = run_sides(args, sides, programs)
    refs = reference_sources()
    judged = {side: [judge(answers[side][p.id], p, refs[p.id]) for p in programs] for side in sides}
    for suite, members in (("quixbugs", quixbugs), ("mbpp", mbpp), ("cases", cases)):
        ids = {p.id for p in members()}
        part = {side: [j for j in js if j.id in ids] for side, js in judged.items()}
        if any(part.values()):
            print(table(part, suite))
            print()
    changed = [
        (p.id, *(judged[side][i].summary or judged[side][i].state for side in sides))
        for i, p in enumerate(programs)
        if len({judged[side][i].summary for side in sides}) > 1
    ]
    if len(sides) > 1:
        print("programs whose top fix changed:" + ("" if changed else " none"))
        for program_id, *summaries in changed:
            print(f"  {program_id}: " + "  →  ".join(summaries))
    print(f"\n{time.monotonic() - started:.0f} s in all", file=sys.stderr)
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps({side: [j.__dict__ for j in js] for side, js in judged.items()}, indent=1)
        )


@contextmanager
def maybe_exported(revision: str | None) -> Iterator[str | None]:
    """`exported(revision)`, or None without a revision."""
    if revision is None:
        yield None
        return
    with exported(revision) as folder:
        yield folder


if __name__ == "__main__":
    main()
