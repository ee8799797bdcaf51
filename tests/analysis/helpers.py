"""Shorthands for the analysis tests: sources are written indented, like the tests."""

from __future__ import annotations

import textwrap

from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import ModuleInfo


def analyze(source: str, path: str | None = None) -> ModuleInfo:
    return analyze_module(textwrap.dedent(source), path)


def block_ranges(source: str, qualname: str = "f") -> list[tuple[int, int, str]]:
    """(start, end, kind) of each block of `qualname`, for compact assertions."""
    func = analyze(source).functions[qualname]
    return [(b.start_line, b.end_line, b.kind) for b in func.blocks]
