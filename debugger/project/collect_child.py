"""Project mode's one pytest run, inside the sandbox grandchild: outcomes and per-test lines.

The parent (collect.py) sends a single "pytest" expectation with the id
`COLLECT_ID`, whose `code` is a JSON `spec`: pytest's arguments (the user's
selection, relative to the project root, which is the grandchild's cwd), the
file-name patterns of test files, and the seconds the whole run may take.
Instead of running it as a test, the grandchild (sandbox/worker.py) hands the
order to `run_collection`, which runs pytest once with a plugin recording, per
test, its outcome, its one-line failure, its file:line, and the lines it
executed in the project's own modules: under the project copy, not a test file,
conftest.py or anything under a tests/ folder, not site-packages, a virtualenv
or a vendored folder. The
result travels back as JSON text in the `stdout` of that expectation's result
(the parent validates it: collect.py), never as pickle.

Lines are recorded with sys.monitoring on Python 3.12+ (each line reported
once per test, then disabled until the next test), else with sys.settrace.

Part of the child kit: standard library (and the user's pytest) only, Python 3.9.
"""

from __future__ import annotations

import fnmatch
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from ..results import ExpectationResult
from ..sandbox.protocol import Order, send
from ..sandbox.timer import SoftTimeout, SoftTimer

COLLECT_ID = "mgdebug:project-collect"
PAYLOAD_VERSION = 1
_MESSAGE_CHARS = 300
# Folders whose modules are not the project's own code.
_FOREIGN_PARTS = frozenset(
    {"site-packages", "dist-packages", "_vendor", "vendor", ".venv", "venv", ".tox", ".nox"}
)

_TEST_FOLDERS = frozenset({"tests", "test", "testing"})


def is_collection(order: Order) -> bool:
    """Whether this order is project mode's coverage run rather than expectations."""
    exps = order.expectations
    return len(exps) == 1 and exps[0].id == COLLECT_ID and exps[0].kind == "pytest"


class _OwnFiles:
    """Which executed files are the project's own modules, by root-relative path (cached)."""

    def __init__(self, root: str, test_patterns: list[str], origin: str = "") -> None:
        folders = [root, origin] if origin else [root]
        self.roots = tuple(
            dict.fromkeys(
                form(folder) + os.sep
                for folder in folders
                for form in (os.path.abspath, os.path.realpath)
            )
        )
        self.patterns = test_patterns
        self.known: dict[str, str] = {}
        self.venvs: dict[str, bool] = {}

    def relative(self, filename: str) -> str:
        """The file's path relative to the root ("" when it is not the project's own module)."""
        found = self.known.get(filename)
        if found is None:
            found = self.known[filename] = self._decide(filename)
        return found

    def _decide(self, filename: str) -> str:
        if not filename.endswith(".py"):
            return ""
        path = os.path.abspath(filename)
        root = next((r for r in self.roots if path.startswith(r)), None)
        if root is None:
            return ""
        rel = path[len(root) :]
        parts = rel.split(os.sep)
        name = parts[-1]
        if name == "conftest.py" or any(fnmatch.fnmatch(name, p) for p in self.patterns):
            return ""
        if any(p in _FOREIGN_PARTS or p in _TEST_FOLDERS for p in parts[:-1]):
            return ""  # not the project's code, or test helpers (tests/helpers.py)
        folder = root
        for part in parts[:-1]:  # a virtualenv under another name (env/, .env311/)
            folder = os.path.join(folder, part)
            if self._is_venv(folder):
                return ""
        return "/".join(parts)

    def _is_venv(self, folder: str) -> bool:
        known = self.venvs.get(folder)
        if known is None:
            known = self.venvs[folder] = os.path.exists(os.path.join(folder, "pyvenv.cfg"))
        return known


class _SettraceLines:
    """Lines executed per test through sys.settrace (Python 3.9-3.11)."""

    def __init__(self, own: _OwnFiles) -> None:
        self.own = own
        self.codes: dict[Any, str] = {}
        self.current: dict[str, set[int]] = {}

    def start(self) -> None:
        self.current = {}
        sys.settrace(self._call)

    def stop(self) -> dict[str, set[int]]:
        sys.settrace(None)
        got, self.current = self.current, {}
        return got

    def _call(self, frame: Any, event: str, arg: Any) -> Callable[..., Any] | None:
        code = frame.f_code
        rel = self.codes.get(code)
        if rel is None:
            rel = self.codes[code] = self.own.relative(code.co_filename)
        if not rel:
            return None
        lines = self.current.setdefault(rel, set())

        def local(frame: Any, event: str, arg: Any) -> Callable[..., Any]:
            if event == "line":
                lines.add(frame.f_lineno)
            return local

        return local


class _MonitoringLines:
    """Lines executed per test through sys.monitoring (3.12+): each fires once per test."""

    def __init__(self, own: _OwnFiles, monitoring: Any) -> None:
        self.own = own
        self.mon = monitoring
        self.codes: dict[Any, str] = {}
        self.current: dict[str, set[int]] | None = None
        self.tool = next(
            (t for t in (monitoring.COVERAGE_ID, 4, 5) if monitoring.get_tool(t) is None), None
        )
        if self.tool is None:
            raise RuntimeError("no free sys.monitoring tool id")
        monitoring.use_tool_id(self.tool, "mgdebug-project")
        monitoring.register_callback(self.tool, monitoring.events.LINE, self._line)

    def start(self) -> None:
        self.current = {}
        self.mon.restart_events()
        self.mon.set_events(self.tool, self.mon.events.LINE)

    def stop(self) -> dict[str, set[int]]:
        self.mon.set_events(self.tool, 0)
        got, self.current = self.current or {}, None
        return got

    def _line(self, code: Any, line: int) -> Any:
        rel = self.codes.get(code)
        if rel is None:
            rel = self.codes[code] = self.own.relative(code.co_filename)
        if rel and self.current is not None:
            self.current.setdefault(rel, set()).add(line)
        return self.mon.DISABLE


def _lines_recorder(own: _OwnFiles) -> Any:
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None:
        try:
            return _MonitoringLines(own, monitoring)
        except (RuntimeError, ValueError):
            pass  # another tool holds every id: settrace still works
    return _SettraceLines(own)


def _one_line(report: Any) -> str:
    """pytest's one-line reason: the crash message's first line, else the report's last line."""
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    text = str(getattr(crash, "message", "") or "")
    if not text:
        lines = [x for x in str(getattr(report, "longreprtext", "")).splitlines() if x.strip()]
        text = lines[-1] if lines else ""
    text = text.strip().split("\n", 1)[0]
    return text[:_MESSAGE_CHARS]


class _Recorder:
    """The pytest plugin: per test, what ran and how it ended; stops when time is up."""

    def __init__(self, root: str, own: _OwnFiles, deadline: float) -> None:
        self.root = root
        self.lines = _lines_recorder(own)
        self.deadline = deadline
        self.timer = SoftTimer()
        self.tests: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.current: str | None = None
        self.began = 0.0
        self.stopped = ""

    def _entry(self, nodeid: str) -> dict[str, Any]:
        entry = self.tests.get(nodeid)
        if entry is None:
            entry = self.tests[nodeid] = {
                "nodeid": nodeid,
                "outcome": "passed",
                "message": "",
                "file": "",
                "line": 0,
                "seconds": 0.0,
                "covered": {},
            }
            self.order.append(nodeid)
        return entry

    def _where(self, path: Any) -> str:
        rel = os.path.relpath(str(path), self.root)
        return rel.replace(os.sep, "/")

    # -- hooks ------------------------------------------------------------------

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            entry = self._entry(report.nodeid or ".")
            entry["outcome"] = "error"
            entry["message"] = _one_line(report) or "collection failed"
            entry["file"] = (report.nodeid or "").split("::", 1)[0]

    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> bool | None:
        entry = self._entry(item.nodeid)
        entry["file"] = self._where(getattr(item, "path", None) or item.fspath)
        entry["line"] = int(item.location[1] or 0) + 1
        if time.monotonic() < self.deadline:
            return None
        entry["outcome"] = "not_run"
        entry["message"] = "not run: the time for the test run was up"
        self.stopped = "time"
        return True  # handled: pytest does not run it

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self._entry(nodeid)
        self.current = nodeid
        self.began = time.perf_counter()
        self.timer.arm(max(self.deadline - time.monotonic(), 0.01))
        self.lines.start()

    def pytest_runtest_logreport(self, report: Any) -> None:
        entry = self._entry(report.nodeid)
        if report.failed:
            if entry["outcome"] in ("passed", "skipped"):
                entry["outcome"] = "failed" if report.when == "call" else "error"
                entry["message"] = _one_line(report)
        elif report.skipped and report.when in ("setup", "call") and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"
            reason = getattr(report, "wasxfail", None)
            entry["message"] = ("xfail: " + reason) if reason else _one_line(report)

    def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
        if call.excinfo is not None and isinstance(call.excinfo.value, SoftTimeout):
            self.timer.disarm()

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        self.timer.disarm()
        covered = self.lines.stop()
        entry = self._entry(nodeid)
        entry["seconds"] = round(time.perf_counter() - self.began, 4)
        entry["covered"] = {rel: sorted(lines) for rel, lines in sorted(covered.items())}
        if self.timer.fired:
            entry["outcome"] = "timeout"
            entry["message"] = "stopped: the time for the test run was up"
            self.stopped = "time"
        self.current = None


def _payload(recorder: _Recorder, code: int, said: str) -> str:
    tests = [recorder.tests[n] for n in recorder.order]
    return json.dumps(
        {
            "version": PAYLOAD_VERSION,
            "tests": tests,
            "exit_code": code,
            "stopped": recorder.stopped,
            "said": said[-2000:],
        }
    )


class _Quiet:
    """pytest's terminal output, kept (bounded) to explain a run that collected nothing."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> int:
        if self.size < 200_000:
            self.parts.append(text)
            self.size += len(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        return "".join(self.parts)


def run_collection(order: Order, fd: int) -> None:
    """Run the spec's pytest selection once and send its payload as the one result."""
    exp = order.expectations[0]
    spec = json.loads(exp.code or "{}")
    root = order.scratch_root
    deadline = time.monotonic() + float(spec.get("seconds", order.wall_seconds))
    patterns = [str(p) for p in spec.get("test_patterns", ["test_*.py", "*_test.py"])]
    own = _OwnFiles(root, patterns, str(spec.get("origin", "")))
    recorder = _Recorder(root, own, deadline)
    args = [str(a) for a in spec.get("args", [])]
    args += ["-p", "no:cacheprovider", "-q", "--no-header", "-p", "no:randomly"]
    args += ["--continue-on-collection-errors", "--maxfail=0"]
    said = _Quiet()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = said  # type: ignore[assignment]
    result = ExpectationResult(exp.id, "pass")
    try:
        import pytest

        os.chdir(root)
        code = int(pytest.main(args, plugins=[recorder]))
        result.stdout = _payload(recorder, code, said.text())
    except BaseException as exc:  # noqa: BLE001 - said to the parent, which explains it
        result.status = "error"
        result.message = f"{type(exc).__name__}: {exc}"[:_MESSAGE_CHARS]
        result.stdout = _payload(recorder, -1, said.text())
    finally:
        sys.stdout, sys.stderr = saved
    send(fd, ("result", 0, 0, result))
    send(fd, ("end", 0))
    send(fd, ("done",))
