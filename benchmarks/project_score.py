"""Scoring of the project benchmark: per-tool figures, FauxPy's best formulas, the table.

Pure functions over the stored run records (dicts, as in
results/project_bench.json), so the table can be rebuilt from the file and
tested without running anything. A FauxPy family is represented by its best
formula on these bugs (most top-1, then most top-5): the comparison is with
FauxPy at its best, chosen after the fact, which favours FauxPy.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from project_bugs import Bug

Record = dict[str, Any]


def _listed(record: Record) -> int | None:
    rank = record.get("rank") or {}
    value = rank.get("listed")
    return int(value) if value is not None else None


def _top(record: Record, k: int, key: str = "listed") -> bool:
    value = (record.get("rank") or {}).get(key)
    return value is not None and int(value) <= k


def tool_figures(records: Sequence[Record]) -> dict[str, Any]:
    """Bugs, top-1/top-5 (listed order, and with ties in the bug's favour), fixes, seconds."""
    seconds = [float(r["seconds"]) for r in records]
    figures: dict[str, Any] = {
        "bugs": len(records),
        "bug_ids": sorted(str(r["bug"]) for r in records),
        "top1": sum(_top(r, 1) for r in records),
        "top5": sum(_top(r, 5) for r in records),
        "top1_ties_favour": sum(_top(r, 1, "best") for r in records),
        "top1_ties_against": sum(_top(r, 1, "worst") for r in records),
        "timed_out": sum(bool(r.get("timed_out")) for r in records),
        "errors": sum(bool(r.get("error")) for r in records),
        "median_seconds": round(statistics.median(seconds), 2) if seconds else 0.0,
        "total_seconds": round(sum(seconds), 1),
    }
    fixes = [r.get("fix") or {} for r in records]
    if any(fixes):
        figures["fix_offered"] = sum(bool(f.get("judged")) for f in fixes)
        figures["fix_suite_passes"] = sum(bool(f.get("suite_passes")) for f in fixes)
        figures["fix_reverts"] = sum(
            bool(f.get("suite_passes")) and bool(f.get("reverted")) for f in fixes
        )
    return figures


def best_formula(by_tool: dict[str, list[Record]], family: str) -> str | None:
    """The formula of `family` with the most top-1 hits, then top-5, then by name."""
    names = sorted(t for t in by_tool if t.startswith(f"fauxpy-{family}:"))
    if not names:
        return None
    return max(
        names,
        key=lambda t: (
            sum(_top(r, 1) for r in by_tool[t]),
            sum(_top(r, 5) for r in by_tool[t]),
            [-ord(c) for c in t],
        ),
    )


def summarize(records: Iterable[Record], bugs: Sequence[Bug]) -> dict[str, Any]:
    """Per-tool figures, each FauxPy family's best formula, and mgdebug on the same bugs."""
    known = {b.id for b in bugs}
    by_tool: dict[str, list[Record]] = {}
    for record in records:
        if record["bug"] in known:
            by_tool.setdefault(str(record["tool"]), []).append(record)
    tools = {tool: tool_figures(rs) for tool, rs in sorted(by_tool.items())}
    comparisons: dict[str, Any] = {}
    mgdebug = {str(r["bug"]): r for r in by_tool.get("mgdebug", [])}
    for family in ("sbfl", "mbfl"):
        best = best_formula(by_tool, family)
        if best is None:
            continue
        theirs = by_tool[best]
        shared = [r for r in theirs if str(r["bug"]) in mgdebug]
        ours = [mgdebug[str(r["bug"])] for r in shared]
        if not shared:
            comparisons[family] = {"formula": best}
            continue
        mine, other = tool_figures(ours), tool_figures(shared)
        comparisons[family] = {
            "formula": best,
            "bugs": len(shared),
            "mgdebug_top1": mine["top1"],
            "fauxpy_top1": other["top1"],
            "mgdebug_seconds": mine["total_seconds"],
            "fauxpy_seconds": other["total_seconds"],
            "time_ratio": round(mine["total_seconds"] / other["total_seconds"], 3)
            if other["total_seconds"]
            else None,
            "median_ratio": round(mine["median_seconds"] / other["median_seconds"], 3)
            if other["median_seconds"]
            else None,
            "top1_target_met": mine["top1"] >= other["top1"],
            "time_target_met": mine["total_seconds"] * 10 <= other["total_seconds"],
        }
    return {"bugs": len(bugs), "tools": tools, "comparisons": comparisons}


def _row(name: str, f: dict[str, Any], total: int) -> str:
    fixes = "-"
    if "fix_offered" in f:
        fixes = f"{f['fix_reverts']} / {f['fix_suite_passes']} / {f['fix_offered']}"
    misses = f" of {total}" if f["bugs"] < total else ""
    misses += f" ({f['timed_out']} capped)" if f["timed_out"] else ""
    return (
        f"| {name} | {f['bugs']}{misses} "
        f"| {f['top1']} ({f['top1_ties_favour']} / {f['top1_ties_against']}) "
        f"| {f['top5']} | {fixes} | {f['median_seconds']} | {f['total_seconds']} |"
    )


def table(summary: dict[str, Any]) -> str:
    """The Markdown table of the README section."""
    tools, comparisons = summary["tools"], summary["comparisons"]
    lines = [
        "| tool / family (formula) | bugs | top-1 file+line (ties broken for / against it) | top-5 "
        "| fixes: reverted / suite passes / offered | median s | total s |",
        "|---|---|---|---|---|---|---|",
    ]
    if "mgdebug" in tools:
        lines.append(_row("mgdebug (project mode)", tools["mgdebug"], summary["bugs"]))
    for family, label in (("sbfl", "FauxPy SBFL"), ("mbfl", "FauxPy MBFL")):
        for tool in sorted(t for t in tools if t.startswith(f"fauxpy-{family}:")):
            formula = tool.split(":", 1)[1]
            best = comparisons.get(family, {}).get("formula") == tool
            name = f"{label} ({formula}){' **best**' if best else ''}"
            lines.append(_row(name, tools[tool], summary["bugs"]))
    lines.append("")
    for family, c in comparisons.items():
        if "bugs" not in c:
            continue
        lines.append(
            f"- vs FauxPy {family.upper()} ({c['formula'].split(':')[1]}) on the same "
            f"{c['bugs']} bugs: top-1 {c['mgdebug_top1']} vs {c['fauxpy_top1']} "
            f"({'met' if c['top1_target_met'] else 'NOT met'}); time {c['mgdebug_seconds']} s "
            f"vs {c['fauxpy_seconds']} s, ratio {c['time_ratio']} (median ratio "
            f"{c['median_ratio']}; a tenth: {'met' if c['time_target_met'] else 'NOT met'})"
        )
    return "\n".join(lines)


def _rank_text(record: Record | None) -> str:
    if record is None:
        return ""
    if record.get("timed_out"):
        return f"capped {float(record['seconds']):.0f} s"
    if record.get("error"):
        return "none listed" if str(record["error"]).startswith("no suspects") else "error"
    listed = _listed(record)
    return "-" if listed is None else str(listed)


def per_bug_table(records: Iterable[Record], bugs: Sequence[Bug], summary: dict[str, Any]) -> str:
    """One row per bug: the edit, mgdebug's rank and fix, each family's best formula's rank."""
    by_key = {(str(r["bug"]), str(r["tool"])): r for r in records}
    formulas = {f: c["formula"] for f, c in summary["comparisons"].items()}
    lines = [
        "| bug | injected edit | mgdebug rank | mgdebug fix | SBFL rank | MBFL rank | seconds "
        "(mgdebug / SBFL) |",
        "|---|---|---|---|---|---|---|",
    ]
    for bug in bugs:
        ours = by_key.get((bug.id, "mgdebug"))
        fix = (ours or {}).get("fix") or {}
        verdict = "none"
        if fix.get("judged"):
            verdict = (
                "reverts the bug"
                if fix.get("suite_passes") and fix.get("reverted")
                else "suite passes, other edit"
                if fix.get("suite_passes")
                else "suite fails"
            )
        sbfl = by_key.get((bug.id, formulas.get("sbfl", "")))
        mbfl = by_key.get((bug.id, formulas.get("mbfl", "")))
        seconds = " / ".join(f"{float(r['seconds']):.0f}" for r in (ours, sbfl) if r is not None)
        edit = bug.summary.replace("|", "\\|")
        lines.append(
            f"| {bug.id} | {bug.path}: {edit} | {_rank_text(ours)} | {verdict} "
            f"| {_rank_text(sbfl)} | {_rank_text(mbfl)} | {seconds} |"
        )
    return "\n".join(lines)
