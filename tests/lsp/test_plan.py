"""What an edit re-runs (`pipeline.plan`): the edited functions and their callers,
found with the analysis's resolved call edges (`ModuleInfo.callers_closure`)."""

from __future__ import annotations

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.report import Report
from mgdebug.server.lsp.documents import ingest
from mgdebug.server.lsp.pipeline import plan

SOURCE = """\
import math


class Box:
    def size(self):
        return 1

    def double(self):
        return self.size() * 2


def size():
    return 3


def area(r):
    return math.pi * r * r


def ring(r):
    return area(r) - area(r / 2)


def disc(r):
    return ring(r) + area(r / 2)


def alone():
    return 0


def other():
    return 0
"""


def previous(source: str = SOURCE):
    return ingest(Report(path="/x.py"), analyze_module(source, resolve_imports=False))


def rerun_after(new_source: str) -> set[str] | None:
    return plan(previous(), analyze_module(new_source, resolve_imports=False))


def test_nothing_was_run_before_means_the_whole_file() -> None:
    assert plan(None, analyze_module(SOURCE, resolve_imports=False)) is None


def test_an_unchanged_text_reruns_nothing() -> None:
    assert rerun_after(SOURCE) == set()


def test_an_edited_function_reruns_with_its_callers_transitively() -> None:
    assert rerun_after(SOURCE.replace("math.pi * r * r", "3.14 * r * r")) == {
        "area",
        "ring",
        "disc",
    }


def test_callers_are_found_by_resolved_name_not_by_short_name() -> None:
    # `Box.size` is called as `self.size()`; the module-level `size` by no one
    assert rerun_after(SOURCE.replace("return 1", "return 10")) == {"Box.size", "Box.double"}
    assert rerun_after(SOURCE.replace("return 3", "return 30")) == {"size"}


def test_a_removed_function_reruns_its_former_callers() -> None:
    new_source = SOURCE.replace("def area(r):\n    return math.pi * r * r\n\n\n", "")
    assert rerun_after(new_source) == {"ring", "disc"}


def test_an_edit_outside_every_function_reruns_the_whole_file() -> None:
    assert rerun_after(SOURCE.replace("import math", "import cmath as math")) is None
