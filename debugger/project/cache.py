"""Tests' outcomes and coverage, kept per file hash in `<project root>/.mgdebug-cache/`.

A test's result stands as long as every file it depends on is unchanged: the
project modules it executed, its own test file, and every conftest.py from
the root down to its folder (a missing one counts too: adding it changes the
test). `collect_tests` re-runs only the rest, in one sandboxed pytest run:
whole test files that are new or changed (so new tests are found), and by
node id the tests of unchanged files whose covered code changed. Collection
errors, timeouts and tests that did not run are never reused.

The folder holds test names, outcomes, one-line failure messages, line
numbers and file hashes — nothing from the environment — and a README.txt
saying it may be deleted. A project that cannot be written to just runs
without it. The sandbox never copies it (sandbox/scratch.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..options import Limits
from ..sandbox.interpreter import Interpreter
from .collect import DEFAULT_SECONDS, TestRun, parse_payload, run_selection
from .target import Target, project_test_files

__all__ = ["CACHE_FOLDER", "SuiteRun", "TestCache", "collect_tests"]

CACHE_FOLDER = ".mgdebug-cache"
_FILE = "tests.json"
_VERSION = 1
_README = """\
mgdebug's cache for this project (project mode: `mgdebug`, `mgdebug tests/`).

It keeps, per test, its outcome, its one-line failure message and the lines
of your modules it executed, with a hash of every file that result depends
on, so that the next run re-runs only the tests an edit can affect.
Nothing else is stored. Delete this folder at any time: the next run
rebuilds it. You may add `.mgdebug-cache/` to your .gitignore.
"""
_NEVER_REUSED = frozenset({"timeout", "not_run"})


@dataclass
class SuiteRun:
    """The selection's tests: re-run or reused. `ran` counts those that ran this time."""

    tests: list[TestRun]
    ran: int
    reused: int
    problem: str = ""
    stopped: str = ""
    said: str = ""
    ran_ids: tuple[str, ...] = ()  # the node ids that ran this time
    # Cached results of the project's other tests that still stand: evidence beyond a
    # narrow selection (a node id alone cannot tell the modules it runs apart).
    context: list[TestRun] = field(default_factory=list)


class _Hashes:
    """sha256 of project files by root-relative path, each read once per run ("" if missing)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.known: dict[str, str] = {}

    def __call__(self, relative: str) -> str:
        found = self.known.get(relative)
        if found is None:
            try:
                found = hashlib.sha256((self.root / relative).read_bytes()).hexdigest()[:32]
            except OSError:
                found = ""
            self.known[relative] = found
        return found


def _conftests(test_file: str) -> list[str]:
    """conftest.py paths from the root down to `test_file`'s folder (root-relative)."""
    parts = test_file.split("/")[:-1]
    return ["/".join([*parts[:i], "conftest.py"]) for i in range(len(parts) + 1)]


def dependencies(test: TestRun, hashes: _Hashes) -> dict[str, str]:
    """The files `test`'s result depends on, with their hashes now."""
    files = [*test.covered, *([test.file] if test.file else []), *_conftests(test.file)]
    return {f: hashes(f) for f in dict.fromkeys(files)}


class TestCache:
    """The cache folder of one project, for one interpreter (another Python starts afresh)."""

    def __init__(self, root: Path, interpreter: str) -> None:
        self.folder = root / CACHE_FOLDER
        self.interpreter = interpreter

    def load(self) -> dict[str, TestRun]:
        """The cached tests by node id; empty when there is no cache or it is unreadable."""
        try:
            data = json.loads((self.folder / _FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if type(data) is not dict or data.get("version") != _VERSION:
            return {}
        if data.get("interpreter") != self.interpreter or type(data.get("tests")) is not list:
            return {}
        payload = json.dumps({"version": 1, "tests": [t for t in data["tests"] if type(t) is dict]})
        parsed = parse_payload(payload).tests
        deps = {t.get("nodeid"): t.get("deps") for t in data["tests"] if type(t) is dict}
        out: dict[str, TestRun] = {}
        for test in parsed:
            found = deps.get(test.nodeid)
            if type(found) is dict and all(type(v) is str for v in found.values()):
                out[test.nodeid] = replace(test, deps={str(k): v for k, v in found.items()})
        return out

    def save(self, tests: Iterable[TestRun]) -> bool:
        """Write the cache (atomically); False when the project folder cannot be written."""
        entries: list[dict[str, Any]] = []
        for test in tests:
            entry = test.to_json()
            entry["seconds"] = round(test.seconds, 4)
            entry["covered"] = {p: sorted(lines) for p, lines in sorted(test.covered.items())}
            entry["deps"] = dict(test.deps)
            entries.append(entry)
        data = {"version": _VERSION, "interpreter": self.interpreter, "tests": entries}
        try:
            self.folder.mkdir(exist_ok=True)
            readme = self.folder / "README.txt"
            if not readme.exists():
                readme.write_text(_README, encoding="utf-8")
            fd, partial = tempfile.mkstemp(prefix=".tests-", dir=self.folder)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
            os.replace(partial, self.folder / _FILE)
        except OSError:
            return False
        return True


def _reusable(test: TestRun, hashes: _Hashes) -> bool:
    if test.outcome in _NEVER_REUSED or "::" not in test.nodeid or not test.deps:
        return False
    return all(hashes(path) == digest for path, digest in test.deps.items())


def _selected(test: TestRun, arg: str) -> bool:
    return test.nodeid == arg or test.nodeid.startswith((arg + "::", arg + "["))


def plan(
    target: Target, cached: dict[str, TestRun], hashes: _Hashes
) -> tuple[list[TestRun], list[str]]:
    """(cached tests that stand, pytest arguments for the rest) of the target's selection."""
    keep: list[TestRun] = []
    run: list[str] = []
    node_args = [a for a in target.args if "::" in a]
    for arg in node_args:
        tests = [t for t in cached.values() if _selected(t, arg)]
        if tests and all(_reusable(t, hashes) for t in tests):
            keep.extend(tests)
        else:
            run.append(arg)
    if node_args and len(node_args) == len(target.args):
        return keep, run
    node_files = {a.split("::", 1)[0] for a in node_args}
    for path in project_test_files(
        replace(target, args=tuple(a for a in target.args if "::" not in a))
    ):
        relative = path.relative_to(target.root).as_posix()
        if relative in node_files:
            continue
        tests = [t for t in cached.values() if t.file == relative]
        if not tests or hashes(relative) != tests[0].deps.get(relative):
            run.append(relative)  # new or edited: the whole file, so new tests are found
            continue
        for test in tests:
            if _reusable(test, hashes):
                keep.append(test)
            else:
                run.append(test.nodeid)
    return keep, run


def collect_tests(
    target: Target,
    interpreter: Interpreter,
    limits: Limits | None = None,
    *,
    seconds: float = DEFAULT_SECONDS,
    use_cache: bool = True,
) -> SuiteRun:
    """The outcomes and coverage of the target's tests, running only what the cache lacks."""
    hashes = _Hashes(target.root)
    cache = TestCache(target.root, f"{interpreter.path} {interpreter.version}")
    cached = cache.load() if use_cache else {}
    if cached:
        keep, args = plan(target, cached, hashes)
        if not args:
            return SuiteRun(keep, 0, len(keep), context=_context(cached, keep, hashes))
    else:
        keep, args = [], list(target.args)
    run = run_selection(
        target.root,
        args,
        interpreter,
        limits,
        seconds=seconds,
        test_patterns=target.test_patterns,
    )
    fresh = [replace(t, deps=dependencies(t, hashes)) for t in run.tests]
    if use_cache and not run.problem:
        _store(cache, cached, fresh, args)
    kept = {t.nodeid for t in fresh}
    tests = [*[t for t in keep if t.nodeid not in kept], *fresh]
    ran = tuple(t.nodeid for t in fresh)
    context = _context(cached, tests, hashes) if target.args else []
    return SuiteRun(
        _in_order(tests),
        len(fresh),
        len(tests) - len(fresh),
        run.problem,
        run.stopped,
        run.said,
        ran,
        context,
    )


def _context(
    cached: dict[str, TestRun], selected: Sequence[TestRun], hashes: _Hashes
) -> list[TestRun]:
    """The cached tests outside the selection whose results still stand."""
    chosen = {t.nodeid for t in selected}
    return _in_order([t for n, t in cached.items() if n not in chosen and _reusable(t, hashes)])


def _store(
    cache: TestCache, cached: dict[str, TestRun], fresh: Sequence[TestRun], args: Sequence[str]
) -> None:
    """The cache after a run: what ran replaces what it re-ran, whole files entirely."""
    whole = {a for a in args if "::" not in a}
    merged = {
        n: t
        for n, t in cached.items()
        if not any(t.file == a or t.file.startswith(a.rstrip("/") + "/") or a == "." for a in whole)
    }
    merged.update((t.nodeid, t) for t in fresh)
    cache.save(merged.values())


def _in_order(tests: Sequence[TestRun]) -> list[TestRun]:
    """Tests in file order, then by line, as pytest runs them by default."""
    return sorted(tests, key=lambda t: (t.file, t.line, t.nodeid))
