"""The report as text for a terminal: colour on a TTY, plain otherwise.

What a model contributed is labelled as the model's wherever it appears
(explanations, block verdicts, expectations it wrote, fixes it proposed):
its word is evidence, and only the sandbox's checks are stated as fact.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from mgdebug.debugger.report import Fix, FunctionReport, ModelSummary, Report, Suspect, shown_path
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
    elif func.blamed:  # judged through its callers' failing runs
        mark, text = style("·", "dim"), "no expectations of its own"
    else:
        mark, text = style("·", "dim"), "untested"
    if func.skipped:  # skipped or xfailed tests: neither passes nor failures
        text = f"{text} ({func.skipped} skipped)" if total else f"{func.skipped} skipped, none ran"
    blamed = style("  ← blamed: " + func.blame_reason, "yellow") if func.blamed else ""
    # Module, class and `__test__` examples that call no function of the file
    # are reported under the empty name: say what they are.
    name = func.name or "examples outside functions"
    where = f" (line {func.line})" if func.line else ""  # 0: tests elsewhere (project mode)
    return f"  {mark} {name}{where}: {text}{blamed}"


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
    # Project mode: suspects span files, so each says which (`pkg/util.py:7`).
    where = f"{suspect.path}:{suspect.line}" if suspect.path else f"line {suspect.line}"
    out = [
        f"  {index}. {where} in {suspect.function}  "
        f"score {suspect.score:.2f}  {style(suspect.reason, 'dim')}",
        f"       {style(str(suspect.line).rjust(4), 'dim')} | {code}",
    ]
    if suspect.summary:  # the reason in plain words (plain_words.py); `reason` has the scores
        out.append(f"       why: {suspect.summary}")
    for snap in suspect.values[:3]:
        values = ", ".join(f"{k}={v}" for k, v in list(snap.values.items())[:8])
        out.append(
            f"       after block {snap.block} (pass {snap.iteration + 1}, line {snap.line}): "
            f"{values or '(no locals)'}"
        )
    if suspect.model_reason:
        out.extend(_model_says("the model's verdict", suspect.model_reason, "       ", style))
    return out


def _model_says(label: str, text: str, indent: str, style: Style) -> list[str]:
    """A model's opinion, wrapped under what it is about and labelled as the model's."""
    # The engine may already start it with "model:"; the label says it once.
    body = text.strip()
    if body.lower().startswith("model:"):
        body = body[len("model:") :].strip()
    wrapped = textwrap.wrap(
        f"{label} (not checked): {body}",
        width=100,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
    )
    return [style(row, "cyan") for row in wrapped]


def _origin_label(kind: str) -> str:
    """How an expectation's origin reads: the ones a model wrote never pass as the user's."""
    return "(model-written)" if kind == "model" else kind


def _fix_lines(index: int, fix: Fix, style: Style) -> list[str]:
    plural = "s" if fix.total != 1 else ""
    by_model = "  (written by the model, then checked)" if fix.origin == "model" else ""
    where = f"{fix.path}: " if fix.path else ""  # project mode: the file the fix edits
    out = [f"  {index}. {where}{fix.summary}: passes the {fix.total} expectation{plural}{by_model}"]
    if fix.note:
        out.append("     " + style(fix.note, "dim"))
    out.extend(_diff_lines(fix.diff, style))
    return out


def model_line(summary: ModelSummary) -> str:
    """The report's last line with a model: what it cost, or why it could not help.

    "model: qwen2.5-coder at http://localhost:11434/v1 — 5 calls (2 cached),
    1,234 tokens, 3.2 s", or "model: cannot reach … — offline result shown".
    """
    usage = summary.usage
    answered = int(usage.get("calls", 0))
    cached = int(usage.get("cached", 0))
    if summary.message and not answered and not cached:
        # The engine's message may say already that the offline result stands.
        tail = "" if "offline" in summary.message else " — offline result shown"
        return f"model: {summary.message}{tail}"
    total = answered + cached
    tokens = int(usage.get("prompt_tokens", 0)) + int(usage.get("completion_tokens", 0))
    parts = [
        f"{total} call{'s' if total != 1 else ''}" + (f" ({cached} cached)" if cached else ""),
        f"{tokens:,} tokens",
        f"{float(usage.get('seconds', 0.0)):.1f} s",
    ]
    unusable = int(usage.get("parse_failures", 0))
    if unusable:
        parts.append(f"{unusable} unusable answer{'s' if unusable != 1 else ''}")
    redacted = int(usage.get("redactions", 0))
    if redacted:  # said here so a user knows their code held something key-like
        parts.append(f"{redacted} secret-looking string{'s' if redacted != 1 else ''} redacted")
    where = f"{summary.name} at {summary.endpoint}"
    if summary.strategy and summary.strategy != "mgdebug":
        where += f" (strategy {summary.strategy})"
    line = f"model: {where} — {', '.join(parts)}"
    return f"{line}; {summary.message}" if summary.message else line


def _simulation_lines(report: Report, style: Style) -> list[str]:
    """The model's simulated run, where the code could not run: never shown as observed."""
    run = report.simulation
    if run is None:
        return []
    head = (
        f"Simulated by the model, not observed (the code did not run): what `{run.call}` "
        f"should compute, expected {run.expected}:"
    )
    out = ["", style(head, "bold")]
    for step in run.steps[:12]:
        lines = f"line {step.start_line}" + (
            f"–{step.end_line}" if step.end_line != step.start_line else ""
        )
        values = ", ".join(f"{k}={v}" for k, v in list(step.values.items())[:8])
        out.append(style(f"  simulated after block {step.block} ({lines}): {values}", "cyan"))
    if len(run.steps) > 12:
        out.append(style(f"  … and {len(run.steps) - 12} more simulated blocks", "cyan"))
    if run.result is not None:
        out.append(style(f"  simulated result: {run.result}", "cyan"))
    return out


def _offline_hint(report: Report) -> str:
    """After a search that found nothing, with no model: the flags that would add one."""
    search = report.search
    if report.model is not None or search is None or not report.has_failure:
        return ""
    if any(f.validated for f in report.fixes) or search.passing_edits or search.stopped_by:
        return ""
    return (
        "a model can propose larger fixes (checked the same way): --model NAME with "
        '--model-url URL, or --model-path FILE.gguf; see "Using a model" in the README'
    )


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


def render(
    report: Report,
    source: str,
    *,
    colour: bool,
    max_fixes: int = 3,
    sources: Mapping[str, str] | None = None,
) -> str:
    """The text report; `sources` (project mode): the text of each file a suspect's `path` names."""
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
            kind = _origin_label(failure.origin_kind)
            lines.append(f"      {kind} {where}  {failure.description}")
            if failure.expected is not None:
                lines.append(f"          expected {failure.expected}")
            lines.append(f"          got      {failure.actual or failure.status}")
            lines.extend(_failure_detail(failure.message, failure.actual, failure.traceback, style))
        if len(func.failures) > 3:
            lines.append(f"      … and {len(func.failures) - 3} more failing expectations")
        if func.explanation:
            lines.extend(_model_says("why, says the model", func.explanation, "      ", style))
    lines.extend(_simulation_lines(report, style))
    source_lines = source.splitlines()
    if report.suspects:
        lines.append("")
        lines.append(style("Suspicious lines, best first:", "bold"))
        for i, suspect in enumerate(report.suspects[:5], 1):
            shown = (sources or {}).get(suspect.path)
            quoted = shown.splitlines() if shown is not None else source_lines
            lines.extend(_suspect_lines(suspect, i, quoted, style))
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
            lines.extend(_fix_lines(i, fix, style))
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
    hint = _offline_hint(report)
    if hint:
        lines.append(style(f"note: {hint}", "yellow"))
    if report.model is not None:  # last, as the run's accounting
        lines.append(style(model_line(report.model), "dim"))
    return "\n".join(lines) + "\n"
