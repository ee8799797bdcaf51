"""Generated tests, measured: mgdebug's regression tests beside Pynguin's on the same modules.

For each program of ../shared/bench (QuixBugs, and MBPP with --mbpp N), the
*correct* program is the module a user has, with its visible tests under
`if __name__ == "__main__":` (and, for QuixBugs, its docstring): what
`mgdebug tests` can observe. Then, per tool:

  (a) pass share: generated test cases that pass on the correct program;
  (b) bug-revealing: programs where some generated test (of those passing on
      the correct program) fails on the buggy version;
  (c) mutation score: mutants of the correct program (mgdebug's own edit
      generator, at most MUTANTS per program, first ones per line interleaved)
      that some passing test kills;
  (d) seconds per module to generate.

Every verdict comes from the real pytest: node ids from `pytest --collect-only`,
runs through the sandbox's pytest sessions (`Sandbox.run_candidates`, one
session per version of the module). Pynguin (`--pynguin PATH`, its own venv;
see /work/shared/TOOLING.md) runs on a copy with `--maximum-search-time
BUDGET` and its default assertion generation (MUTATION_ANALYSIS).

`--model oracle` adds specification tests from the scripted oracle model of
model_oracle.py (a real HTTP server): it answers the CASES prompt with the
reference program's outputs on inputs derived from the visible tests, as a
perfect model would. Without it no model is used. Results go to
results/testgen.json, or results/testgen_oracle.json with the oracle.

    python benchmarks/testgen_bench.py [--limit 40] [--mbpp 0] [--pynguin PATH] [--budget 10]
        [--model none|oracle]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_data import BENCH_DIR, Program, _quixbugs_visible, _with_docstring  # noqa: E402
from model_oracle import Oracle, Reference  # noqa: E402
from scripted_openai import ScriptedOpenAI  # noqa: E402 - on sys.path via model_oracle

from mgdebug.analysis.functions import analyze_module  # noqa: E402
from mgdebug.analysis.model import Expectation, Origin  # noqa: E402
from mgdebug.debugger.generate.observe import GenerateError, GenerateRequest  # noqa: E402
from mgdebug.debugger.generate.testgen import generate_tests  # noqa: E402
from mgdebug.debugger.llm.config import ModelConfig  # noqa: E402
from mgdebug.debugger.options import DebugOptions, ModelOptions  # noqa: E402
from mgdebug.debugger.repair.candidates import generate_candidates  # noqa: E402
from mgdebug.debugger.sandbox.pool import Sandbox  # noqa: E402

MUTANTS = 30
RESULTS = Path(__file__).resolve().parent / "results" / "testgen.json"
ORACLE_RESULTS = RESULTS.with_name("testgen_oracle.json")


@dataclass
class Subject:
    id: str
    module: str  # module name
    correct: str  # the module source, visible tests in its main block
    buggy: str
    reference: str = ""  # the data set's corrected program, as the oracle answers from
    buggy_program: str = ""  # the data set's buggy program
    visible: str = ""  # the visible tests (the oracle derives its inputs from them)


@dataclass
class Score:
    tool: str
    program: str
    seconds: float = 0.0
    tests: int = 0  # test cases collected
    passing: int = 0  # of them, passing on the correct program
    revealed: bool = False
    mutants: int = 0
    killed: int = 0
    note: str = ""


def _main_block(visible: str) -> str:
    body = "\n".join("    " + line if line.strip() else "" for line in visible.splitlines())
    return f'\n\nif __name__ == "__main__":\n{body}\n'


def subjects(limit: int, mbpp: int) -> list[Subject]:
    found: list[Subject] = []
    for raw in (BENCH_DIR / "quixbugs.jsonl").read_text().splitlines()[:limit]:
        rec = json.loads(raw)
        name = rec["name"]
        correct, _, _ = _with_docstring(rec["solution"], name, rec["docstring"])
        buggy, _, _ = _with_docstring(rec["buggy_program"], name, rec["docstring"])
        visible = _quixbugs_visible(rec["tests"])
        block = _main_block(visible)
        found.append(
            Subject(
                name,
                name,
                correct + block,
                buggy + block,
                rec["solution"],
                rec["buggy_program"],
                visible,
            )
        )
    seen: set[str] = set()
    for raw in (BENCH_DIR / "mbpp_seeds.jsonl").read_text().splitlines():
        if len(seen) >= mbpp:
            break
        rec = json.loads(raw)
        if rec["task_id"] in seen:
            continue
        seen.add(rec["task_id"])
        module = "mbpp_" + rec["task_id"].split("/")[1]
        visible = "\n".join(rec["given_tests"])
        block = _main_block(visible)
        found.append(
            Subject(
                rec["task_id"],
                module,
                rec["canonical_solution"] + block,
                rec["buggy_solution"] + block,
                rec["canonical_solution"],
                rec["buggy_solution"],
                visible,
            )
        )
    return found


def mutants(source: str, path: str) -> list[str]:
    module = analyze_module(source, path)
    lines = sorted(
        {line for f in module.functions.values() for line in range(f.body_line, f.end_line + 1)}
    )
    per_line: dict[int, list[str]] = {line: [] for line in lines}
    for cand in generate_candidates(source, module, [(line, 1.0) for line in lines]):
        group = per_line.get(cand.line)
        if group is not None and len(group) < 5 and cand.source != source:
            group.append(cand.source)
    groups = list(per_line.values())
    ordered = [g[i] for i in range(5) for g in groups if i < len(g)]
    return ordered[:MUTANTS]


def collect(folder: Path, test_file: Path) -> list[str]:
    """Node ids as the real pytest collects them."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            test_file.name,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    return [line.strip() for line in proc.stdout.splitlines() if "::" in line]


def judge(subject: Subject, folder: Path, test_file: Path, score: Score, extra: list[str]) -> None:
    """(a)-(c) for one test file, every version of the module run by pytest in the sandbox."""
    nodeids = collect(folder, test_file)
    score.tests = len(nodeids)
    score.mutants = len(extra)  # a program without tests kills none of its mutants
    if not nodeids:
        return
    exps = [
        Expectation(
            id=nodeid,
            function="",
            kind="pytest",
            origin=Origin(str(test_file), 1, "pytest"),
            description=nodeid,
            test_file=str(test_file),
            nodeid=nodeid,
        )
        for nodeid in nodeids
    ]
    sources = [subject.correct, subject.buggy, *extra]
    verdicts: dict[int, list[bool]] = {}
    with Sandbox(str(folder / f"{subject.module}.py")) as box:
        stream = box.run_candidates(sources, exps, wall_seconds_each=20.0)
        for index, results in stream:
            # An xfail that fails as marked is "skip": the test holds (Pynguin marks
            # its exception-raising tests `xfail(strict=True)`; a strict xpass fails).
            verdicts[index] = [r.status in ("pass", "skip") for r in results]
    good = [i for i, ok in enumerate(verdicts.get(0, [])) if ok]
    # ids (tests) are only those pytest collected; results beyond them do not count
    score.passing = len(good)

    def killed(index: int) -> bool:
        ran = verdicts.get(index)
        # a version whose run came back short (a crash) failed the tests it lacks
        return ran is None or any(i >= len(ran) or not ran[i] for i in good)

    score.revealed = bool(good) and killed(1)
    score.mutants = len(extra)
    score.killed = sum(1 for k in range(len(extra)) if good and killed(2 + k))


@contextmanager
def oracle_model(found: list[Subject]) -> Iterator[ModelConfig]:
    """The scripted oracle (model_oracle.py) serving every subject, over real HTTP."""
    refs = [
        Reference(
            Program(s.id, s.module, s.correct, s.visible, "", set()),
            s.buggy_program,
            s.reference,
            s.correct,
        )
        for s in found
    ]
    server = ScriptedOpenAI(responder=Oracle(refs, "oracle")).start()
    try:
        yield ModelConfig(name="scripted-oracle", url=server.url, timeout=30.0)
    finally:
        server.stop()


def run_mgdebug(
    subject: Subject, folder: Path, extra: list[str], model: ModelConfig | None = None
) -> Score:
    score = Score("mgdebug" if model is None else "mgdebug+oracle", subject.id)
    score.mutants = len(extra)
    path = folder / f"{subject.module}.py"
    out = folder / f"test_mgdebug_{subject.module}.py"
    # no answer cache: each run asks the model afresh, as a first use would
    options = DebugOptions(model=ModelOptions(config=model, use_cache=False))
    started = time.monotonic()
    try:
        with Sandbox(str(path)) as box:
            request = GenerateRequest(subject.correct, str(path), box, options)
            result = generate_tests(request, out=str(out))
    except GenerateError as exc:
        score.note = str(exc)
        return score
    score.seconds = time.monotonic() - started
    if result.new_text is None:
        score.note = "; ".join(result.messages)[:200] or "no tests"
        return score
    out.write_text(result.new_text, encoding="utf-8")
    judge(subject, folder, out, score, extra)
    out.unlink()
    return score


def run_pynguin(
    subject: Subject, folder: Path, extra: list[str], pynguin: str, budget: int
) -> Score:
    score = Score("pynguin", subject.id, mutants=len(extra))
    with tempfile.TemporaryDirectory() as tmp:
        copy, output = Path(tmp) / "project", Path(tmp) / "out"
        copy.mkdir()
        (copy / f"{subject.module}.py").write_text(subject.correct, encoding="utf-8")
        env = {**os.environ, "PYNGUIN_DANGER_AWARE": "1"}
        command = [
            pynguin,
            "--project-path",
            str(copy),
            "--module-name",
            subject.module,
            "--output-path",
            str(output),
            "--maximum-search-time",
            str(budget),
            "-v",
        ]
        started = time.monotonic()
        try:
            subprocess.run(
                command,
                env=env,
                capture_output=True,
                text=True,
                timeout=budget * 10 + 60,
                stdin=subprocess.DEVNULL,
                cwd=tmp,
            )
        except subprocess.TimeoutExpired:
            score.note = "timed out"
        score.seconds = time.monotonic() - started
        made = output / f"test_{subject.module}.py"
        if not made.is_file():
            score.note = score.note or "no test file"
            return score
        test_file = folder / f"test_pynguin_{subject.module}.py"
        shutil.copy(made, test_file)
    judge(subject, folder, test_file, score, extra)
    test_file.unlink()
    return score


def summary(scores: list[Score], tool: str) -> dict[str, float]:
    mine = [s for s in scores if s.tool == tool]
    tests = sum(s.tests for s in mine)
    passing = sum(s.passing for s in mine)
    mutants_total = sum(s.mutants for s in mine)
    return {
        "programs": len(mine),
        "with_tests": sum(1 for s in mine if s.passing),
        "tests": tests,
        "pass_share": passing / tests if tests else 0.0,
        "revealed": sum(1 for s in mine if s.revealed),
        "mutation_score": sum(s.killed for s in mine) / mutants_total if mutants_total else 0.0,
        "seconds_median": statistics.median([s.seconds for s in mine]) if mine else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=40, help="QuixBugs programs (default 40)")
    parser.add_argument("--mbpp", type=int, default=0, help="MBPP tasks too (first N)")
    parser.add_argument("--pynguin", help="the pynguin executable (its own venv)")
    parser.add_argument("--budget", type=int, default=10, help="Pynguin's search seconds")
    parser.add_argument("--only", help="a regex of program ids (results not saved)")
    parser.add_argument("--out", type=Path, help="where the JSON goes")
    parser.add_argument(
        "--model", choices=["none", "oracle"], default="none", help="the scripted oracle model"
    )
    args = parser.parse_args()
    if args.out is None:
        args.out = ORACLE_RESULTS if args.model == "oracle" else RESULTS
    found = [
        s for s in subjects(args.limit, args.mbpp) if not args.only or re.search(args.only, s.id)
    ]
    with contextlib.ExitStack() as stack:
        model = stack.enter_context(oracle_model(found)) if args.model == "oracle" else None
        scores = run_all(args, found, model)
    tool = "mgdebug" if model is None else "mgdebug+oracle"
    tools = [tool] + (["pynguin"] if args.pynguin else [])
    totals = {name: summary(scores, name) for name in tools}
    print(json.dumps(totals, indent=2))
    if args.only:
        return
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(
        json.dumps({"totals": totals, "programs": [asdict(s) for s in scores]}, indent=1)
    )


def run_all(
    args: argparse.Namespace, found: list[Subject], model: ModelConfig | None
) -> list[Score]:
    scores: list[Score] = []
    for subject in found:
        with tempfile.TemporaryDirectory(prefix="testgen-") as tmp:
            folder = Path(tmp)
            (folder / f"{subject.module}.py").write_text(subject.correct, encoding="utf-8")
            extra = mutants(subject.correct, str(folder / f"{subject.module}.py"))
            scores.append(run_mgdebug(subject, folder, extra, model))
            if args.pynguin:
                scores.append(run_pynguin(subject, folder, extra, args.pynguin, args.budget))
        if not args.only:  # a partial run does not overwrite the full one
            args.out.parent.mkdir(exist_ok=True)
            args.out.write_text(json.dumps({"programs": [asdict(s) for s in scores]}, indent=1))
        for s in scores[-2:] if args.pynguin else scores[-1:]:
            print(
                f"{s.program:28} {s.tool:8} tests {s.passing}/{s.tests} revealed {s.revealed!s:5} "
                f"killed {s.killed}/{s.mutants} {s.seconds:.1f}s {s.note[:60]}",
                flush=True,
            )
    return scores


if __name__ == "__main__":
    main()
