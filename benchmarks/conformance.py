"""Conformance: does mgdebug give the verdicts doctest and pytest give, item by item?

    python benchmarks/conformance.py                 # the whole corpus
    python benchmarks/conformance.py --only toolz --jobs 2
    python benchmarks/conformance.py --jobs 2 --repeat 2 --markdown   # as in README.md

For each corpus module (stdlib copies and pinned PyPI sdists, see
conformance_corpus.py) it runs three things, each in the module's own
interpreter: doctest over the module (conformance_truth.py), `mgdebug FILE --json
--no-search --test T ... --python P` (the real CLI, from the project root; `--python`
only when the CLI has it), and pytest on the
test files (conformance_pytest_plugin.py records each node id's outcome). Then it
matches the verdicts (conformance_compare.py) and prints a table per module and a
total; every disagreement, miss and extra goes to benchmarks/results/conformance.json.

Agreement is over the items both tools ran. "missing": doctest ran an example that
mgdebug did not run; "extra": mgdebug ran something the real tools do not count
(its prose or `__main__` expectations, a +SKIP example), kept out of the figure.
pytest coverage is the tests mgdebug selected (those that call the module) over
all tests in the files.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from conformance_compare import (  # noqa: E402
    compare,
    doctest_truth,
    mgdebug_items,
    pytest_truth,
    unstable,
)
from conformance_corpus import (  # noqa: E402
    PROJECTS,
    STDLIB_MODULES,
    Entry,
    project_entries,
    stdlib_entries,
)

MGDEBUG = HERE.parent / ".venv" / "bin" / "mgdebug"
RESULTS = HERE / "results" / "conformance.json"
TIMEOUT = 600


def _child_env() -> dict[str, str]:
    """The environment of a user's shell: no venv of ours, no PYTHONPATH of ours."""
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONFORMANCE_PYTEST_OUT"):
        env.pop(name, None)
    env["NO_COLOR"] = "1"
    return env


def run_doctest_truth(entry: Entry) -> list[dict[str, Any]]:
    cmd = [
        str(entry.python),
        str(HERE / "conformance_truth.py"),
        "--root",
        str(entry.import_root),
        "--module",
        entry.import_name,
        "--path",
        str(entry.path),
        "--flags",
        " ".join(entry.doctest_flags),
    ]
    if entry.doctests_by_pytest:
        cmd.append("--pytest")
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=_child_env(), cwd=entry.root, timeout=TIMEOUT
    )
    if done.returncode != 0:
        raise RuntimeError(f"doctest ground truth failed: {done.stderr[-800:]}")
    verdicts: list[dict[str, Any]] = json.loads(done.stdout)["verdicts"]
    return verdicts


def mgdebug_supports_python(mgdebug: Path) -> bool:
    done = subprocess.run([str(mgdebug), "--help"], capture_output=True, text=True)
    return "--python" in done.stdout


def run_mgdebug(
    entry: Entry, mgdebug: Path, pass_python: bool
) -> tuple[dict[str, Any], int, float]:
    cmd = [str(mgdebug), str(entry.path), "--json", "--no-search"]
    for test in entry.test_files:
        cmd += ["--test", str(test)]
    if pass_python:
        cmd += ["--python", str(entry.python)]
    start = time.monotonic()
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=_child_env(), cwd=entry.root, timeout=TIMEOUT
    )
    seconds = time.monotonic() - start
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(
            f"mgdebug exit {done.returncode}, no JSON: {done.stderr[-800:]}"
        ) from error
    return report, done.returncode, seconds


def run_pytest_truth(entry: Entry, test_files: list[str]) -> dict[str, Any]:
    if not test_files:
        return {"items": [], "collect_errors": [], "exitstatus": None}
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "pytest.json"
        env = _child_env()
        env["PYTHONPATH"] = str(HERE)  # only for the recording plugin
        env["CONFORMANCE_PYTEST_OUT"] = str(out)
        cmd = [
            str(entry.python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "conformance_pytest_plugin",
            "-p",
            "no:cacheprovider",
            *test_files,
        ]
        done = subprocess.run(
            cmd, capture_output=True, text=True, env=env, cwd=entry.root, timeout=TIMEOUT
        )
        if not out.exists():
            raise RuntimeError(
                f"pytest wrote no report (exit {done.returncode}): "
                f"{(done.stdout + done.stderr)[-800:]}"
            )
        recorded: dict[str, Any] = json.loads(out.read_text())
        return recorded


def run_entry(entry: Entry, mgdebug: Path, pass_python: bool, repeat: int = 1) -> dict[str, Any]:
    """Everything measured for one module; errors of the harness are reported, not hidden."""
    row: dict[str, Any] = {
        "name": entry.name,
        "module": str(entry.path),
        "doctest_flags": entry.doctest_flags,
        "doctests_by_pytest": entry.doctests_by_pytest,
    }
    try:
        verdicts = run_doctest_truth(entry)
        # Examples whose line could not be found cannot be matched: counted, not hidden.
        row["doctest_unlocated"] = sum(1 for v in verdicts if v["line"] is None)
        truth_doctests = doctest_truth(verdicts)
        report, code, seconds = run_mgdebug(entry, mgdebug, pass_python)
        row.update(
            mgdebug_exit=code,
            mgdebug_seconds=round(seconds, 2),
            interpreter=report.get("interpreter"),
            mgdebug_messages=report.get("messages", [])[:5],
        )
        mine = mgdebug_items(report)
        files = [str(f) for f in entry.test_files]
        files += [k[1] for k in (m.key for m in mine) if k[0] == "pytest" and k[1] not in files]
        recorded = run_pytest_truth(entry, sorted(set(files)))
        row["pytest_collect_errors"] = recorded["collect_errors"]
        result = compare(truth_doctests, pytest_truth(recorded["items"]), mine, files)
        row.update(result.as_dict())
        runs = [mine] + [
            mgdebug_items(run_mgdebug(entry, mgdebug, pass_python)[0]) for _ in range(repeat - 1)
        ]
        row["unstable"] = unstable(runs) if repeat > 1 else []
    except (RuntimeError, ValueError, KeyError, subprocess.TimeoutExpired, OSError) as error:
        row["error"] = str(error)
    return row


def _kind_count(rows: list[dict[str, Any]], key: str, kind: str) -> int:
    return sum(1 for r in rows for d in r.get(key, []) if d["kind"] == kind)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in rows if "error" not in r]
    agree = sum(r["agree"] for r in ok)
    disagree = sum(len(r["disagree"]) for r in ok)
    both = agree + disagree
    return {
        "entries": len(rows),
        "harness_errors": len(rows) - len(ok),
        "agree": agree,
        "disagree": disagree,
        "agreement_percent": _percent(agree, both),
        # The stricter figure: a miss counts against mgdebug too.
        "conformance_percent": _percent(agree, both + sum(len(r["missing"]) for r in ok)),
        "agree_doctest": sum(r["agree_doctest"] for r in ok),
        "disagree_doctest": _kind_count(ok, "disagree", "doctest"),
        "agree_pytest": sum(r["agree"] - r["agree_doctest"] for r in ok),
        "disagree_pytest": _kind_count(ok, "disagree", "pytest"),
        "missing": sum(len(r["missing"]) for r in ok),
        "doctest_unlocated": sum(r["doctest_unlocated"] for r in ok),
        "extra": sum(len(r["extra"]) for r in ok),
        "unstable": sum(len(r["unstable"]) for r in ok),
        "misplaced": sum(len(r["misplaced"]) for r in ok),
        "other_reason": sum(len(r["other_reason"]) for r in ok),
        "doctest_examples": sum(r["doctest_examples"] for r in ok),
        "doctest_failing": sum(r["doctest_failing"] for r in ok),
        "pytest_tests": sum(r["pytest_tests"] for r in ok),
        "pytest_selected": sum(r["pytest_selected"] for r in ok),
    }


def table(rows: list[dict[str, Any]], total: dict[str, Any]) -> str:
    """A Markdown table, one line per module and the total."""
    lines = [
        "| module | doctest examples (failing) | agree | disagree | missing "
        "| pytest tests selected/all | agree | disagree | extra | mgdebug s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']} | harness error: {_one_line(r['error'])} |||||||||")
            continue
        dis_doc = _kind_count([r], "disagree", "doctest")
        lines.append(
            f"| {r['name']} | {r['doctest_examples']} ({r['doctest_failing']}) "
            f"| {r['agree_doctest']} | {dis_doc} "
            f"| {len(r['missing'])} | {r['pytest_selected']}/{r['pytest_tests']} "
            f"| {r['agree'] - r['agree_doctest']} | {len(r['disagree']) - dis_doc} "
            f"| {len(r['extra'])} | {r['mgdebug_seconds']} |"
        )
    t = total
    lines.append(
        f"| **total** | {t['doctest_examples']} ({t['doctest_failing']}) | {t['agree_doctest']} "
        f"| {t['disagree_doctest']} "
        f"| {t['missing']} | {t['pytest_selected']}/{t['pytest_tests']} | {t['agree_pytest']} "
        f"| {t['disagree_pytest']} | {t['extra']} | |"
    )
    lines.append("")
    lines.append(
        f"Agreement over the items both ran: **{t['agree']}/{t['agree'] + t['disagree']}"
        f" ({t['agreement_percent']}%)**; doctest examples "
        f"{t['agree_doctest']}/{t['agree_doctest'] + t['disagree_doctest']}, pytest tests "
        f"{t['agree_pytest']}/{t['agree_pytest'] + t['disagree_pytest']}; "
        f"{t['doctest_unlocated']} doctest example(s) not matched (no file line)."
    )
    lines.append(
        f"Counting the {t['missing']} item(s) mgdebug did not run as wrong: "
        f"**{t['agree']}/{t['agree'] + t['disagree'] + t['missing']} "
        f"({t['conformance_percent']}%)**."
    )
    return "\n".join(lines)


def listing(rows: list[dict[str, Any]], kind: str) -> str:
    """Every disagreement (or miss or extra), grouped when verdicts and message are the same."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for r in rows:
        for d in r.get(kind, []):
            file, _, rest = d["where"].rpartition("::" if d["kind"] == "pytest" else ":")
            truth = f"{d['kind']} says {d['truth']}" if "truth" in d else "only mgdebug ran it"
            mine = "mgdebug did not run it"
            if kind == "unstable":
                truth, mine = "mgdebug's verdict changed between runs", d["mgdebug"]
            elif kind == "other_reason":
                truth = f"doctest: {_one_line(d['truth_message'])}"
                mine = f"mgdebug says {d['mgdebug']} ({d['mgdebug_status']})"
            elif kind == "misplaced":
                truth, mine = "doctest's line", "mgdebug's line in brackets"
                rest = f"{rest} [{d['mgdebug_line']}]"
            elif "mgdebug" in d:
                mine = f"mgdebug says {d['mgdebug']} ({d['mgdebug_status']})"
            sig = (
                r["name"],
                d["kind"],
                _short(file),
                truth,
                mine,
                _one_line(d.get("mgdebug_message") or d.get("truth_message", "")),
            )
            groups.setdefault(sig, []).append(rest)
    out = []
    for (name, item_kind, file, truth, mine, message), places in groups.items():
        sep = "::" if item_kind == "pytest" else ":"
        if all(p.split(" ")[0].isdigit() for p in places):
            places.sort(key=lambda p: int(p.split(" ")[0]))
        where = f"{file}{sep}{', '.join(places)}"
        out.append(
            f"- {name}, {len(places)} {item_kind} item(s) `{where}`: {truth}, "
            f"{mine}" + (f": {message}" if message else "")
        )
    return "\n".join(out)


def _short(path: str) -> str:
    return path.replace(str(Path.home() / ".cache" / "mgdebug-bench") + "/", "")


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if len(line.strip()) > 2]
    line = lines[-1] if lines else text.strip()
    return re.sub(r"/tmp/mgdebug-sandbox-\w+/", "", line)[:200].replace("|", "\\|")


def select(only: list[str], limit: int | None) -> list[Entry]:
    """The corpus entries asked for; projects are prepared (downloaded, venv) only if used."""

    def wanted(name: str) -> bool:
        return not only or any(o in name for o in only)

    entries = stdlib_entries(tuple(m for m in STDLIB_MODULES if wanted(f"stdlib:{m}")))
    for project in PROJECTS:
        if limit and len(entries) >= limit:
            break  # no download or venv for projects past the limit
        if any(wanted(f"{project.name}:{Path(t.module).stem}") for t in project.targets):
            entries += [e for e in project_entries(project) if wanted(e.name)]
    return entries[:limit] if limit else entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", action="append", default=[], help="entries whose name contains this (repeatable)"
    )
    parser.add_argument("--limit", type=int, help="at most this many entries")
    parser.add_argument("--jobs", type=int, default=1, help="entries run at once")
    parser.add_argument("--mgdebug", type=Path, default=MGDEBUG)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run mgdebug this many times per module and list the items "
        "whose verdict changed between runs",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="also print the disagreement and miss lists"
    )
    args = parser.parse_args(argv)
    start = time.monotonic()
    entries = select(args.only, args.limit)
    pass_python = mgdebug_supports_python(args.mgdebug)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(
            pool.map(lambda e: run_entry(e, args.mgdebug, pass_python, args.repeat), entries)
        )
    total = totals(rows)
    total["seconds"] = round(time.monotonic() - start, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"total": total, "entries": rows}, indent=1))
    print(table(rows, total))
    print(f"\n{total['seconds']} s; details in {args.out}")
    if args.markdown:
        for kind in ("disagree", "missing", "extra", "misplaced", "other_reason", "unstable"):
            print(f"\n### {kind}\n{listing(rows, kind) or '(none)'}")
    for r in rows:
        if "error" in r:
            print(f"harness error in {r['name']}: {r['error']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
