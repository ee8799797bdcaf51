"""The two tools of the project benchmark, run on one bug each, and how their answers are scored.

mgdebug runs as a user runs it: the CLI in a subprocess, in the project's
root, `mgdebug TESTS... --json --budget B --no-model` over the restricted
suite's test files. FauxPy runs as its README says: a pytest plugin, in its
own venv, over the same test files, `--src` the package, one `--family` per
run (sbfl: Tarantula, Ochiai, DStar; mbfl: Metallaxis, MUSE), statement
granularity, with the bug's failing tests as `--failing-list` (FauxPy's only
way to target them; it still runs every selected test). A run cut by the
time cap counts as a miss, with the time it took.

Ranks are 1-based positions in the list a tool prints (what a user reads top
down). Both tools may tie scores; `best` and `worst` give the rank with the
tie it sits in broken for and against the bug, so a reader can see how much
rests on an order neither tool defines.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from project_bugs import Bug, SuiteResult, run_suite
from project_corpus import BenchProject, pristine

from mgdebug.debugger.repair.edits import code_tokens

MGDEBUG = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "mgdebug"
FAMILIES = {"sbfl": ("Ochiai", "Tarantula", "Dstar"), "mbfl": ("Metallaxis", "Muse")}


@dataclass
class Rank:
    """Where the bug's line is in a ranked list (None: not listed)."""

    listed: int | None = None
    best: int | None = None  # ties broken in the bug's favour
    worst: int | None = None  # ... and against it

    def top(self, k: int) -> bool:
        return self.listed is not None and self.listed <= k


def rank_of(bug: Bug, entries: Sequence[tuple[str, int, float]]) -> Rank:
    """The bug's rank among (path, line, score) entries, as listed (best first).

    `best` and `worst` move it before or after the entries of equal score
    listed next to it, so a tie's order, which neither tool defines, shows.
    """
    for index, (path, line, score) in enumerate(entries):
        if bug.hit(path, line):
            before = 0
            while before < index and entries[index - before - 1][2] == score:
                before += 1
            after = 0
            while index + after + 1 < len(entries) and entries[index + after + 1][2] == score:
                after += 1
            return Rank(index + 1, index + 1 - before, index + 1 + after)
    return Rank()


@dataclass
class ToolRun:
    """One tool (or FauxPy formula) on one bug."""

    bug: str
    tool: str  # "mgdebug", "fauxpy-sbfl:Ochiai", ...
    seconds: float
    rank: Rank = field(default_factory=Rank)
    timed_out: bool = False
    error: str = ""
    listed: int = 0  # how many locations the tool ranked
    top: list[tuple[str, int, float]] = field(default_factory=list)  # its first five
    fix: dict[str, object] = field(default_factory=dict)  # mgdebug only


def run_capped(
    cmd: list[str], cwd: Path, env: dict[str, str], cap: float
) -> subprocess.CompletedProcess[str] | None:
    """`cmd` in its own process group; past `cap` seconds the whole group is killed (None).

    Both tools start children of their own (sandbox workers, FauxPy's mutant
    runs) that a plain timeout would leave running.
    """
    with subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=cap)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _tail(text: str) -> str:
    return text.strip()[-600:]


def is_reverted(fixed: str, original: str) -> bool:
    """Whether a fixed module is the pristine one token for token (comments, spacing aside)."""
    return code_tokens(fixed) == code_tokens(original)


def judge_fix(bench: BenchProject, bug: Bug, fix: dict[str, object]) -> dict[str, object]:
    """Apply a fix's whole-file `source` to its `path` in the buggy copy; rerun the suite."""
    path, source = str(fix.get("path", "")), fix.get("source")
    if not isinstance(source, str) or not path:
        return {"judged": False, "why": "fix without path or source"}
    target = bench.root / path
    if not target.resolve().is_relative_to(bench.root.resolve()):
        return {"judged": False, "why": f"fix outside the project: {path}"}
    before = target.read_text() if target.exists() else None
    target.write_text(source)
    try:
        suite: SuiteResult = run_suite(bench)
    finally:
        if before is not None:
            target.write_text(before)
    reverted = path == bug.path and is_reverted(source, pristine(bench, bug.path))
    return {
        "judged": True,
        "path": path,
        "suite_passes": suite.passed,
        "reverted": reverted,
        "still_failing": suite.failed[:5],
        "errors": suite.errors[:5],
    }


def run_mgdebug(bench: BenchProject, bug: Bug, budget: float, cap: float) -> ToolRun:
    """The CLI on the buggy copy; the top checked fix judged by the full restricted suite."""
    cmd = [str(MGDEBUG), *bench.tests, "--json", "--budget", str(budget), "--no-model"]
    # No VIRTUAL_ENV: mgdebug must find the project's interpreter (.venv in its root) itself.
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    started = time.monotonic()
    done = run_capped(cmd, bench.root, env, cap)
    seconds = time.monotonic() - started
    if done is None:
        return ToolRun(bug.id, "mgdebug", seconds, timed_out=True)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return ToolRun(
            bug.id, "mgdebug", seconds, error=f"rc {done.returncode}: {_tail(done.stderr)}"
        )
    suspects = [
        (str(s.get("path", "")), int(s.get("line", 0)), float(s.get("score", 0.0)))
        for s in report.get("suspects", [])
    ]
    # The whole report stays beside the working copy, for reading a miss afterwards.
    (bench.reports / f"mgdebug-{bug.id}.json").write_text(done.stdout)
    run = ToolRun(bug.id, "mgdebug", seconds, rank_of(bug, suspects))
    run.listed, run.top = len(suspects), suspects[:5]
    checked = [f for f in report.get("fixes", []) if f.get("validated")]
    if checked:
        run.fix = judge_fix(bench, bug, checked[0])
        run.fix["fixes"] = len(checked)
    else:
        run.fix = {"judged": False, "why": "no checked fix"}
    if not suspects:
        run.error = f"no suspects; rc {done.returncode}: {_tail(done.stderr)}"
    return run


def failing_list(bug: Bug) -> str:
    """FauxPy's `--failing-list`: test functions without parameters, as FauxPy matches them."""
    names = dict.fromkeys(node.split("[")[0] for node in bug.failing)
    return "[" + ",".join(names) + "]"


def _scores(report: Path, formula: str, root: Path) -> list[tuple[str, int, float]]:
    entries = []
    with (report / f"Scores_{formula}.csv").open() as handle:
        for row in csv.DictReader(handle):
            where, _, line = row["Entity"].rpartition("::")
            path = Path(where)
            rel = str(path.relative_to(root)) if path.is_absolute() else str(path)
            entries.append((rel, int(line), float(row["Score"])))
    return entries


def run_fauxpy(bench: BenchProject, bug: Bug, family: str, cap: float) -> list[ToolRun]:
    """One FauxPy run of `family`; one ToolRun per formula it reports."""
    for old in bench.reports.glob("FauxPyReport_*"):
        shutil.rmtree(old)
    cmd = [str(bench.fauxpy_python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    cmd += ["--color=no", *bench.tests, "--src", bench.source_dir, "--family", family]
    cmd += ["--failing-list", failing_list(bug)]
    if bench.exclude:
        cmd += ["--exclude", "[" + ",".join(bench.exclude) + "]"]
    tools = [f"fauxpy-{family}:{formula}" for formula in FAMILIES[family]]
    # FauxPy runs its mutants with `python -m pytest` from PATH: its venv must be active.
    venv = bench.fauxpy_python.parent.parent
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    started = time.monotonic()
    done = run_capped(cmd, bench.root, env, cap)
    seconds = time.monotonic() - started
    if done is None:
        return [ToolRun(bug.id, tool, seconds, timed_out=True) for tool in tools]
    reports = sorted(bench.reports.glob(f"FauxPyReport_*_{family}_*"))
    if not reports:
        error = f"no report; rc {done.returncode}: {_tail(done.stdout + done.stderr)}"
        return [ToolRun(bug.id, tool, seconds, error=error) for tool in tools]
    missing = [f for f in FAMILIES[family] if not (reports[-1] / f"Scores_{f}.csv").exists()]
    if missing:
        said = [line for line in (done.stdout + done.stderr).splitlines() if "Error" in line]
        error = f"no scores; rc {done.returncode}: {' | '.join(said[-2:])[-400:]}"
        return [ToolRun(bug.id, tool, seconds, error=error) for tool in tools]
    runs = []
    for tool, formula in zip(tools, FAMILIES[family], strict=True):
        entries = _scores(reports[-1], formula, bench.root)
        run = ToolRun(bug.id, tool, seconds, rank_of(bug, entries))
        run.listed, run.top = len(entries), entries[:5]
        runs.append(run)
    return runs
