"""Match mgdebug's verdicts with doctest's and pytest's, item by item, and count.

Keys: a doctest example is (file, line of its `>>>`); a pytest test is (file, the
node id past the file: `Class::test[param]`). mgdebug's `--json` report gives both
through its `expectations` (origin path and line, `test_file` and `nodeid`) and
`results` (status per expectation id). Verdicts are compared by class: `pass`,
`fail` (fail, error, timeout, crash) and `skip` (skipped or xfail: the test
neither passed nor failed). mgdebug reports a skipped or xfailed pytest test as
status `pass` with message "skipped: ..." / "xfail"; those count as `skip`.

A test mgdebug names without parameters (`test_x`) stands for all of pytest's
`test_x[...]`: it fails when any of them fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

Key = tuple[str, str, str]  # (kind, real file path, line or node id past the file)
_DIRECTIVE = re.compile(r"#\s*doctest:.*$")
FAILING = {"fail", "error", "timeout", "crash", "failed"}
SKIPPING = {"skip", "skipped", "xfail", "xfailed"}


@dataclass
class Verdict:
    """One item's verdict from one tool."""

    key: Key
    verdict: str  # "pass", "fail", "skip", "xfail"; mgdebug: "none" when it did not run it
    message: str = ""
    detail: str = ""  # mgdebug's raw status, or pytest's phase outcomes
    origin: str = ""  # mgdebug's origin kind for items only mgdebug has
    source: str = ""  # a doctest example's source, to spot one placed on the wrong line


@dataclass
class Comparison:
    """The outcome of comparing one corpus entry."""

    agree: int = 0
    agree_doctest: int = 0
    disagree: list[dict[str, str]] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)
    extra: list[dict[str, str]] = field(default_factory=list)
    # A missing example and an extra one with the same source a few lines apart:
    # mgdebug ran it but reports it on the wrong line (still counted missing and extra).
    misplaced: list[dict[str, str]] = field(default_factory=list)
    # Both fail, but doctest's exception is not the one mgdebug reports (agreement all the same).
    other_reason: list[dict[str, str]] = field(default_factory=list)
    doctest_examples: int = 0  # examples doctest ran
    doctest_failing: int = 0  # of those, the ones doctest fails
    pytest_tests: int = 0  # tests (by name, parameters folded) in the compared test files
    pytest_selected: int = 0  # of those, the ones mgdebug selected

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def verdict_class(verdict: str) -> str:
    if verdict in FAILING:
        return "fail"
    if verdict in SKIPPING:
        return "skip"
    return verdict


def where(key: Key) -> str:
    kind, path, rest = key
    return f"{path}::{rest}" if kind == "pytest" else f"{path}:{rest}"


def doctest_truth(verdicts: Iterable[dict[str, Any]]) -> dict[Key, Verdict]:
    """doctest's verdicts by key; an example doctest ran twice fails if either run failed."""
    found: dict[Key, Verdict] = {}
    for v in verdicts:
        if v.get("line") is None or not v.get("file"):
            continue  # doctest lost the source line: nothing to match on
        key: Key = ("doctest", os.path.realpath(v["file"]), str(v["line"]))
        old = found.get(key)
        if old is None or (old.verdict == "pass" and v["verdict"] != "pass"):
            found[key] = Verdict(
                key, v["verdict"], v.get("message", ""), source=v.get("source", "")
            )
    return found


def pytest_outcome(phases: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """pytest's verdict on one test from its setup/call/teardown reports."""
    for when in ("setup", "call", "teardown"):
        phase = phases.get(when)
        if phase and phase["outcome"] == "failed":
            return "fail", f"{when}: {phase.get('message', '')}"
    for when in ("setup", "call"):
        phase = phases.get(when)
        if phase and phase["outcome"] == "skipped":
            verdict = "xfail" if phase.get("wasxfail") else "skip"
            return verdict, phase.get("message", "")
    if phases.get("call", {}).get("outcome") == "passed":
        return "pass", ""
    return "none", "pytest did not run it"


def pytest_truth(items: Iterable[dict[str, Any]]) -> dict[Key, Verdict]:
    found: dict[Key, Verdict] = {}
    for item in items:
        if not item.get("path") or "::" not in item["nodeid"]:
            continue
        key: Key = ("pytest", os.path.realpath(item["path"]), item["nodeid"].split("::", 1)[1])
        verdict, message = pytest_outcome(item["phases"])
        phases = ",".join(f"{w}={p['outcome']}" for w, p in item["phases"].items())
        found[key] = Verdict(key, verdict, message, phases)
    return found


def mgdebug_verdict(status: str | None, message: str) -> str:
    if status is None:
        return "none"
    if status == "pass" and message.startswith("skipped"):
        return "skip"
    if status == "pass" and message.startswith("xfail"):
        return "xfail"
    return status


def mgdebug_items(report: dict[str, Any]) -> list[Verdict]:
    """mgdebug's verdict per expectation of its `--json` report, keyed like the truth."""
    results = {r["expectation_id"]: r for r in report.get("results", [])}
    items: list[Verdict] = []
    for exp in report.get("expectations", []):
        origin = exp.get("origin") or {}
        result = results.get(exp["id"])
        status = result["status"] if result else None
        message = _message(result) if result else "mgdebug listed it but did not run it"
        if exp["kind"] == "pytest" and exp.get("test_file") and exp.get("nodeid"):
            name = exp["nodeid"].split("::", 1)[1] if "::" in exp["nodeid"] else exp["nodeid"]
            key: Key = ("pytest", os.path.realpath(exp["test_file"]), name)
        elif origin.get("kind") == "doctest":
            key = ("doctest", os.path.realpath(origin.get("path") or ""), str(origin.get("line")))
        else:
            key = (
                origin.get("kind") or exp["kind"],
                os.path.realpath(origin.get("path") or ""),
                str(origin.get("line")),
            )
        detail = status or "not run"
        source = exp.get("call") or exp.get("code") or exp.get("setup") or ""
        items.append(
            Verdict(
                key,
                mgdebug_verdict(status, message),
                message,
                detail,
                origin.get("kind") or exp["kind"],
                str(source),
            )
        )
    return items


def _message(result: dict[str, Any]) -> str:
    """mgdebug's message, or what it expected and got when it gave none."""
    message = result.get("message") or ""
    if not message and result.get("status") != "pass":
        message = f"expected {result.get('expected')!r}, got {result.get('actual')!r}"
    return str(message)


def _base(name: str) -> str:
    return name.split("[", 1)[0]


def _pytest_group(truth: dict[Key, Verdict], key: Key) -> Verdict | None:
    """pytest's verdict for mgdebug's test `key`: itself, or all its parametrized cases."""
    if key in truth:
        return truth[key]
    cases = [v for k, v in truth.items() if k[1] == key[1] and _base(k[2]) == key[2]]
    if not cases:
        return None
    failed = [c for c in cases if c.verdict == "fail"]
    if failed:
        return Verdict(key, "fail", failed[0].message, f"{len(failed)}/{len(cases)} cases fail")
    passed = [c for c in cases if c.verdict == "pass"]
    verdict = "pass" if passed else cases[0].verdict
    return Verdict(key, verdict, "", f"{len(passed)}/{len(cases)} cases pass")


def _row(key: Key, truth: Verdict | None, mine: Verdict | None) -> dict[str, str]:
    row = {"kind": key[0], "where": where(key)}
    if truth is not None:
        row.update(truth=truth.verdict, truth_message=truth.message[:300])
    if mine is not None:
        row.update(
            mgdebug=mine.verdict,
            mgdebug_status=mine.detail,
            mgdebug_message=mine.message[:300],
            origin=mine.origin,
        )
    return row


def compare(
    doctests: dict[Key, Verdict],
    tests: dict[Key, Verdict],
    mine: list[Verdict],
    test_files: Iterable[str],
) -> Comparison:
    """Agreement, disagreements, misses and extras of one entry.

    `test_files` are the files whose tests count towards pytest coverage (the
    chosen files and any other file mgdebug drew tests from).
    """
    out = Comparison(
        doctest_examples=len(doctests),
        doctest_failing=sum(v.verdict == "fail" for v in doctests.values()),
    )
    files = {os.path.realpath(f) for f in test_files}
    out.pytest_tests = len({(k[1], _base(k[2])) for k in tests if k[1] in files})
    seen: set[Key] = set()
    for item in mine:
        if item.key in seen:
            continue
        seen.add(item.key)
        kind = item.key[0]
        truth = doctests.get(item.key) if kind == "doctest" else None
        if truth is not None and not _same_source(truth, item):
            truth = None  # a line shift put another example on this line: not a match
        if kind == "pytest":
            truth = _pytest_group(tests, item.key)
            out.pytest_selected += truth is not None
        if truth is None:
            out.extra.append(_row(item.key, None, item))
        elif item.verdict == "none":
            out.missing.append(_row(item.key, truth, item))
        elif verdict_class(truth.verdict) == verdict_class(item.verdict):
            out.agree += 1
            out.agree_doctest += kind == "doctest"
            if kind == "doctest" and not _same_reason(truth, item):
                out.other_reason.append(_row(item.key, truth, item))
        else:
            out.disagree.append(_row(item.key, truth, item))
    matched = {m.key for m in mine if m.key in doctests and _same_source(doctests[m.key], m)}
    unmatched = {k: v for k, v in doctests.items() if k not in matched}
    for key, truth in unmatched.items():
        out.missing.append(_row(key, truth, None))
    out.misplaced = _misplaced(
        unmatched, [m for m in mine if m.key[0] == "doctest" and m.key not in matched]
    )
    return out


MISPLACED_LINES = 3


def _same_reason(truth: Verdict, mine: Verdict) -> bool:
    """Whether a failure doctest reports as an exception is that exception for mgdebug too."""
    if truth.verdict != "fail" or not truth.message.startswith("raised "):
        return True
    lines = [line for line in truth.message[len("raised ") :].splitlines() if line.strip()]
    exception = lines[-1].split(":", 1)[0].strip() if lines else ""
    return exception in mine.message


def _misplaced(missing: dict[Key, Verdict], extra: list[Verdict]) -> list[dict[str, str]]:
    found = []
    for item in extra:
        first = _first(item.source)
        if not item.key[2].isdigit():
            continue
        for key, truth in missing.items():
            near = key[1] == item.key[1] and abs(int(key[2]) - int(item.key[2])) <= MISPLACED_LINES
            if near and first and first == _first(truth.source):
                found.append(
                    {
                        "kind": "doctest",
                        "where": where(key),
                        "mgdebug_line": item.key[2],
                        "source": first,
                    }
                )
                break
    return found


def _same_source(truth: Verdict, mine: Verdict) -> bool:
    """Whether both name the same example (when both know its source)."""
    ours, theirs = _first(truth.source), _first(mine.source)
    return not ours or not theirs or ours == theirs


def _first(source: str) -> str:
    """A source's first line, without doctest directives and spaces, for comparison."""
    first = source.strip().splitlines()[0] if source.strip() else ""
    return "".join(_DIRECTIVE.sub("", first).split())


def unstable(runs: list[list[Verdict]]) -> list[dict[str, str]]:
    """Items whose mgdebug verdict changed between identical runs (a verdict must not)."""
    seen: dict[Key, list[str]] = {}
    for run in runs:
        for item in run:
            seen.setdefault(item.key, []).append(f"{item.verdict} ({item.detail})")
    return [
        {"kind": key[0], "where": where(key), "mgdebug": " / ".join(verdicts)}
        for key, verdicts in seen.items()
        if len({verdict_class(v.split(" ")[0]) for v in verdicts}) > 1 or len(verdicts) != len(runs)
    ]
