"""`mgdebug FILE --sarif`: the report as one SARIF 2.1.0 log, for CI code-scanning views.

GitHub code scanning, the VS Code SARIF viewer and other SARIF consumers show
what the text report shows: a failing function (error), the most likely bug
location (warning), further suspects (note), a module that could not run, and
syntax errors — each in plain words, at a 1-based line and column. Checked
fixes ride along as SARIF `fixes`, built from `Fix.edits`.

Columns: `FixEdit` counts UTF-16 code units (LSP's default), and so does SARIF
when `run.columnKind` is absent (SARIF 2.1.0 §3.14.17); the log says
`utf16CodeUnits` anyway, so no reader has to know the default. Syntax errors
count code points (`SyntaxProblem`) and are converted with the line's text.

Paths are relative to the working directory under `uriBaseId` "%SRCROOT%"
(what code scanning resolves against the checkout); a file outside it keeps
an absolute `file:` URI. `partialFingerprints` hash what identifies a finding
(rule, file, function, the line's text), never line numbers or scores, so an
alert keeps its identity across runs and unrelated edits above it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from mgdebug.analysis.model import SyntaxProblem
from mgdebug.debugger.report import FailureEvidence, Fix, FunctionReport, Report, Suspect

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "mgdebug/v1"
FURTHER_SUSPECTS = 4  # after the top one: more than a few notes per run is noise

FAILING_FUNCTION = "failing-function"
LIKELY_BUG = "likely-bug-location"
COULD_NOT_RUN = "could-not-run"
SYNTAX_ERROR = "syntax-error"

# id, short description, help text (shown by viewers that have no helpUri to follow).
RULES: list[tuple[str, str, str]] = [
    (
        FAILING_FUNCTION,
        "A function fails its expectations",
        "The function's doctests, docstring examples, asserts or pytest tests ran and at "
        "least one failed: the message says what was called, what came back and what was "
        "expected.",
    ),
    (
        LIKELY_BUG,
        "Likely bug location",
        "A line that the failing runs point at: the top one is a warning, further ones are "
        "notes. A checked fix, when one was found, passed every expectation that ran.",
    ),
    (
        COULD_NOT_RUN,
        "The module could not run",
        "The file could not be imported, so no expectation ran: a missing dependency, input() "
        "or sys.exit() at import time, or an error in the file's own top-level code.",
    ),
    (
        SYNTAX_ERROR,
        "Syntax error",
        "The file does not parse, so nothing was run.",
    ),
]

_SOURCE_OF = {
    "doctest": "the docstring",
    "docstring": "the docstring",
    "pytest": "the test",
    "main": "the `__main__` block",
    "given": "the given test",
    "model": "a model-written case",
}


def project_urls() -> dict[str, str]:
    """The project's URLs from its package metadata (`[project.urls]`), lower-cased labels."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata("mgdebug").get_all("Project-URL") or []
    except PackageNotFoundError:
        return {}
    urls = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    return urls


@dataclass
class _Lines:
    """The text of files the log points into, read once each (for columns and fingerprints)."""

    main_path: str
    main_text: str
    cache: dict[str, list[str]] = field(default_factory=dict)

    def line(self, path: str, line: int) -> str:
        key = os.path.abspath(path)
        if key not in self.cache:
            if key == os.path.abspath(self.main_path):
                text = self.main_text
            else:
                try:
                    text = Path(key).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    text = ""
            self.cache[key] = text.splitlines()
        lines = self.cache[key]
        return lines[line - 1] if 0 < line <= len(lines) else ""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def artifact_location(path: str) -> dict[str, str]:
    """A file as SARIF names it: relative to the working directory under %SRCROOT%."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    if relative.startswith(".."):  # outside the checkout: an absolute URI, no base
        return {"uri": Path(absolute).as_uri()}
    return {"uri": quote(PurePath(relative).as_posix()), "uriBaseId": SRCROOT}


def _region(line: int, text: str, column: int | None = None) -> dict[str, int]:
    """1-based line and UTF-16 column; `column` is 0-based code points (else the indent)."""
    if column is None:
        column = len(text) - len(text.lstrip())
    return {"startLine": max(line, 1), "startColumn": utf16_len(text[:column]) + 1}


def _fingerprint(*parts: str) -> dict[str, str]:
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
    return {FINGERPRINT_KEY: digest[:32]}


def _call_of(report: Report, failure: FailureEvidence) -> str:
    for expectation in report.expectations:
        if expectation.id == failure.expectation_id and expectation.call:
            return expectation.call.strip()
    if failure.origin_kind == "pytest" and failure.actual is not None:
        # pytest's assertion explanation names the call: "+  where -1 = add(2, 3)".
        where = re.search(
            rf"\bwhere {re.escape(failure.actual.strip())} = (.+)$", failure.message, re.M
        )
        if where:
            return where.group(1).strip()
    return failure.description.removeprefix("pytest ")


def failure_words(report: Report, failure: FailureEvidence) -> str:
    """A failing expectation in plain words: what was called, what came back, what was expected."""
    call = _call_of(report, failure)
    source = _SOURCE_OF.get(failure.origin_kind, "the expectation")
    if failure.origin_kind == "pytest":
        source = f"the test `{failure.expectation_id.rsplit('::', 1)[-1]}`"
    if failure.expected is not None and failure.actual is not None and failure.status == "fail":
        actual, expected = failure.actual.strip(), failure.expected.strip()
        return f"`{call}` returned {actual}; {source} expects {expected}"
    detail = (failure.message or failure.actual or "").strip().splitlines()
    what = {"error": "raised", "timeout": "ran out of time", "crash": "crashed"}.get(
        failure.status, "failed"
    )
    tail = f": {detail[-1]}" if detail and failure.status != "timeout" else ""
    return f"`{call}` {what}{tail} (in {source})"


class SarifBuilder:
    """Builds the one run of the log from a finished report."""

    def __init__(
        self, report: Report, source: str, exit_code: int, successful: bool, version: str
    ) -> None:
        self.report = report
        self.lines = _Lines(report.path, source)
        self.exit_code = exit_code
        self.successful = successful
        self.version = version
        self.results: list[dict[str, Any]] = []
        self.seen: Counter[str] = Counter()

    def path_of(self, item: Suspect | Fix | None = None) -> str:
        return (item.path if item is not None else "") or self.report.path

    def _result(
        self, rule: str, level: str, text: str, path: str, region: dict[str, int], *key: str
    ) -> dict[str, Any]:
        identity = "\x00".join((rule, artifact_location(path)["uri"], *key))
        self.seen[identity] += 1  # two findings alike in every part: told apart by order
        result: dict[str, Any] = {
            "ruleId": rule,
            "ruleIndex": [r[0] for r in RULES].index(rule),
            "level": level,
            "message": {"text": text},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact_location(path),
                        "region": region,
                    }
                }
            ],
            "partialFingerprints": _fingerprint(identity, str(self.seen[identity])),
        }
        self.results.append(result)
        return result

    def syntax_error(self, problem: SyntaxProblem) -> None:
        path = self.path_of()
        text = self.lines.line(path, problem.line)
        region = _region(problem.line, text, problem.column)
        self._result(
            SYNTAX_ERROR, "error", f"syntax error: {problem.message}", path, region, text.strip()
        )

    def could_not_run(self) -> None:
        problem = self.report.could_not_run
        if problem is None:
            return
        path = self.path_of()
        line = problem.line or 1
        text = self.lines.line(path, line)
        level = "warning" if problem.environment else "error"
        self._result(COULD_NOT_RUN, level, problem.message, path, _region(line, text), problem.kind)

    def function(self, func: FunctionReport) -> dict[str, Any] | None:
        if func.status != "fail":
            return None
        path = self.path_of()
        text = self.lines.line(path, func.line)
        simple = func.name.rsplit(".", 1)[-1]
        name = re.search(rf"\bdef\s+({re.escape(simple)})\b", text) if simple else None
        column = name.start(1) if name else None  # on the name, as the editor puts it
        total = func.passed + func.failed
        words = f"{func.failed} of {total} expectations fail"
        if func.failures:
            words = failure_words(self.report, func.failures[0])
        more = len(func.failures) - 1
        if more > 0:
            words += f"; {more} more expectation{'s' if more != 1 else ''} fail"
        only_model = bool(func.failures) and all(f.origin_kind == "model" for f in func.failures)
        result = self._result(
            FAILING_FUNCTION,
            "warning" if only_model else "error",
            f"`{func.name or 'examples outside functions'}` fails: {words}",
            path,
            _region(func.line, text, column),
            func.name,
        )
        related = [
            {
                "id": i,
                "physicalLocation": {
                    "artifactLocation": artifact_location(f.origin_path),
                    "region": _region(f.origin_line, self.lines.line(f.origin_path, f.origin_line)),
                },
                "message": {"text": failure_words(self.report, f)},
            }
            for i, f in enumerate(func.failures[:3])
            if f.origin_path and f.origin_line > 0
        ]
        if related:
            result["relatedLocations"] = related
        return result

    def suspect(self, suspect: Suspect, top: bool) -> dict[str, Any]:
        path = self.path_of(suspect)
        text = self.lines.line(path, suspect.line)
        why = suspect.summary.strip() or suspect.reason.strip()
        where = "Likely bug location" if top else "Possible bug location"
        return self._result(
            LIKELY_BUG,
            "warning" if top else "note",
            f"{where} in `{suspect.function}`: {why}",
            path,
            _region(suspect.line, text),
            suspect.function,
            text.strip(),
        )

    def sarif_fix(self, fix: Fix) -> dict[str, Any] | None:
        """A checked fix as SARIF: LSP's 0-based lines become 1-based, UTF-16 columns + 1."""
        if not fix.validated or not fix.edits:
            return None
        replacements = [
            {
                "deletedRegion": {
                    "startLine": e.start_line + 1,
                    "startColumn": e.start_character + 1,
                    "endLine": e.end_line + 1,
                    "endColumn": e.end_character + 1,
                },
                "insertedContent": {"text": e.new_text},
            }
            for e in fix.edits
        ]
        plural = "s" if fix.total != 1 else ""
        checked = f"checked: passed the {fix.total} expectation{plural} that ran"
        by_model = ", written by a model" if fix.origin == "model" else ""
        return {
            "description": {"text": f"{fix.summary} ({checked}{by_model})"},
            "artifactChanges": [
                {
                    "artifactLocation": artifact_location(self.path_of(fix)),
                    "replacements": replacements,
                }
            ],
        }

    def build(self) -> dict[str, Any]:
        report = self.report
        for problem in report.syntax_errors:
            self.syntax_error(problem)
        self.could_not_run()
        by_function: dict[str, dict[str, Any]] = {}
        for func in report.functions:
            result = self.function(func)
            if result is not None:
                by_function[func.name] = result
        by_line: dict[tuple[str, int], dict[str, Any]] = {}
        for i, suspect in enumerate(report.suspects[: 1 + FURTHER_SUSPECTS]):
            result = self.suspect(suspect, top=i == 0)
            by_line.setdefault((os.path.abspath(self.path_of(suspect)), suspect.line), result)
            by_function.setdefault(suspect.function, result)
        for fix in report.fixes:
            sarif_fix = self.sarif_fix(fix)
            # On the finding at the line it edits, else on its function's first finding.
            home = by_line.get((os.path.abspath(self.path_of(fix)), fix.line))
            home = home or by_function.get(fix.function)
            if sarif_fix is not None and home is not None:
                home.setdefault("fixes", []).append(sarif_fix)
        return {
            "tool": {"driver": self.driver()},
            "invocations": [self.invocation()],
            "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
            "columnKind": "utf16CodeUnits",
            "results": self.results,
        }

    def driver(self) -> dict[str, Any]:
        urls = project_urls()
        home = urls.get("documentation") or urls.get("homepage") or urls.get("source") or ""
        rules = []
        for rule_id, short, help_text in RULES:
            rule: dict[str, Any] = {
                "id": rule_id,
                "shortDescription": {"text": short},
                "help": {"text": help_text},
            }
            if home:  # only a URL the package declares: none is made up here
                rule["helpUri"] = home
            rules.append(rule)
        driver: dict[str, Any] = {"name": "mgdebug", "version": self.version, "rules": rules}
        if home:
            driver["informationUri"] = home
        return driver

    def invocation(self) -> dict[str, Any]:
        invocation: dict[str, Any] = {
            "executionSuccessful": self.successful,
            "exitCode": self.exit_code,
        }
        notes = [{"level": "note", "message": {"text": m}} for m in self.report.messages]
        if notes:
            invocation["toolExecutionNotifications"] = notes
        return invocation


def to_sarif(
    report: Report, source: str, *, exit_code: int, successful: bool, version: str
) -> dict[str, Any]:
    """The SARIF 2.1.0 log of one report: one run, its results best first within each rule.

    `successful`: mgdebug debugged the file, whatever it found (SARIF's
    `executionSuccessful`); not when it could not (a syntax error, a module that
    could not be imported: exit status 2).
    """
    run = SarifBuilder(report, source, exit_code, successful, version).build()
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
