"""The report as text for a terminal: colour on a TTY, plain otherwise."""

from __future__ import annotations

from mgdebug.debugger.report import FunctionReport, Report, Suspect, shown_path
from mgdebug.debugger.sandbox.interpreter import describe

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "dim": "2", "bold": "1", "cyan": "36"}


class Style:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, name: str) -> str:
        if not self.colour:
            return text
        return f"\x1b[{_COLOURS[name]}m{text}\x1b[0m"


def _function_line(func: FunctionReport, style: Style) -> str:
    total = func.passed + func.failed
    if func.status == "pass":
        passes = "1 expectation passes" if total == 1 else f"{total} expectations pass"
        mark, text = style("✓", "green"), passes
    elif func.status == "fail":
        mark, text = style("✗", "red"), f"{func.failed} of {total} expectations fail"
    elif func.status == "not_run":
        mark, text = style("–", "yellow"), "not run: the module could not be imported"
    else:
        mark, text = style("·", "dim"), "untested"
    if func.skipped:  # skipped or xfailed tests: neither passes nor failures
        text = f"{text} ({func.skipped} skipped)" if total else f"{func.skipped} skipped, none ran"
    blamed = style("  ← blamed: " + func.blame_reason, "yellow") if func.blamed else ""
    # Module, class and `__test__` examples that call no function of the file
    # are reported under the empty name: say what they are.
    name = func.name or "examples outside functions"
    return f"  {mark} {name} (line {func.line}): {text}{blamed}"


TRACEBACK_LINES = 12  # the end of a traceback: where it raised, and what
DETAIL = "          "  # under "expected" / "got", which sit under their expectation


def _traceback_lines(text: str, style: Style, indent: str = DETAIL) -> list[str]:
    """A traceback, or pytest's report of a failure, indented under what it explains."""
    rows = [row for row in text.rstrip("\n").splitlines() if row.strip()]
    if len(rows) > TRACEBACK_LINES:
        rows = ["…"] + rows[-TRACEBACK_LINES:]
    return [indent + style(row, "dim") for row in rows]


def _failure_detail(message: str, actual: str | None, traceback: str, style: Style) -> list[str]:
    if traceback:
        return _traceback_lines(traceback, style)
    if not message or message == actual:
        return []
    if "\n" in message.strip():
        return _traceback_lines(message, style)
    return [DETAIL + style(message.strip(), "dim")]


def _could_not_run_lines(report: Report, style: Style) -> list[str]:
    problem = report.could_not_run
    if problem is None:
        return []
    out = [style(problem.message, "yellow" if problem.environment else "red")]
    if problem.traceback:
        out.extend(_traceback_lines(problem.traceback, style, "    "))
    return out


def _suspect_lines(
    suspect: Suspect, index: int, source_lines: list[str], style: Style
) -> list[str]:
    code = source_lines[suspect.line - 1].rstrip() if suspect.line <= len(source_lines) else ""
    out = [
        f"  {index}. line {suspect.line} in {suspect.function}  "
        f"score {suspect.score:.2f}  {style(suspect.reason, 'dim')}",
        f"       {style(str(suspect.line).rjust(4), 'dim')} | {code}",
    ]
    for snap in suspect.values[:3]:
        values = ", ".join(f"{k}={v}" for k, v in list(snap.values.items())[:8])
        out.append(
            f"       after block {snap.block} (pass {snap.iteration + 1}, line {snap.line}): "
            f"{values or '(no locals)'}"
        )
    return out


def _diff_lines(diff: str, style: Style) -> list[str]:
    out = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            out.append("       " + style(line, "bold"))
        elif line.startswith("+"):
            out.append("       " + style(line, "green"))
        elif line.startswith("-"):
            out.append("       " + style(line, "red"))
        elif line.startswith("@@"):
            out.append("       " + style(line, "cyan"))
        else:
            out.append("       " + line)
    return out


def render(report: Report, source: str, *, colour: bool, max_fixes: int = 3) -> str:
    style = Style(colour)
    lines = [style(report.path, "bold")]
    if report.interpreter:  # first: "using /p/bin/python (3.11.7, from .venv)"
        lines.insert(0, style(describe(report.interpreter, report.interpreter_reason), "dim"))
    for err in report.syntax_errors:
        lines.append(
            style(
                f"  syntax error at line {err.line}, column {err.column + 1}: {err.message}", "red"
            )
        )
    lines.extend(_could_not_run_lines(report, style))
    for func in report.functions:
        lines.append(_function_line(func, style))
        for failure in func.failures[:3]:
            where = f"{shown_path(failure.origin_path)}:{failure.origin_line}"
            lines.append(f"      {failure.origin_kind} {where}  {failure.description}")
            if failure.expected is not None:
                lines.append(f"          expected {failure.expected}")
            lines.append(f"          got      {failure.actual or failure.status}")
            lines.extend(
                _failure_detail(failure.message, failure.actual, failure.traceback, style)
            )
        if len(func.failures) > 3:
            lines.append(f"      … and {len(func.failures) - 3} more failing expectations")
    source_lines = source.splitlines()
    if report.suspects:
        lines.append("")
        lines.append(style("Suspicious lines, best first:", "bold"))
        for i, suspect in enumerate(report.suspects[:5], 1):
            lines.extend(_suspect_lines(suspect, i, source_lines, style))
    if report.fixes:
        lines.append("")
        passing = report.search.passing_edits if report.search else len(report.fixes)
        if passing > 1:
            # None of them is *the* fix: the tests do not decide (see the note below).
            header = f"{passing} different edits pass every expectation, best-ranked first:"
        else:
            header = "Checked fix (it passed every expectation in the sandbox):"
        lines.append(style(header, "bold"))
        for i, fix in enumerate(report.fixes[:max_fixes], 1):
            plural = "s" if fix.total != 1 else ""
            lines.append(f"  {i}. {fix.summary}: passes the {fix.total} expectation{plural}")
            lines.extend(_diff_lines(fix.diff, style))
    if report.search is not None:
        lines.append(
            style(
                f"  fix search: {report.search.candidates_tried} candidates in "
                f"{report.search.seconds:.1f} s",
                "dim",
            )
        )
    for message in report.messages:
        lines.append(style(f"note: {message}", "yellow"))
    return "\n".join(lines) + "\n"
