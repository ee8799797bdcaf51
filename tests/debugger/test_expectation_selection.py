"""Which expectations judge a function, and which functions a run must trace.

debugger/engine.py: `select_expectations`, `traced_functions` and
`resolve_function`, on modules analysed from source; nothing runs.
"""

from __future__ import annotations

import textwrap

from mgdebug.analysis.functions import analyze_module
from mgdebug.analysis.model import Expectation, ModuleInfo, Origin
from mgdebug.debugger.engine import resolve_function, select_expectations, traced_functions

SOURCE = textwrap.dedent(
    """\
    def clean(text):
        return text.strip()

    def parse(text):
        return int(clean(text))

    def main(text):
        return parse(text) + 1

    def unrelated():
        return 0

    class Stack:
        def push(self, item):
            return item

    class Queue:
        def put(self, item):
            return item

        def clear(self):
            return None

    def clear():
        return None
    """
)


def module() -> ModuleInfo:
    return analyze_module(SOURCE, "calc.py")


def exp(function: str, name: str | None = None) -> Expectation:
    return Expectation(
        id=name or f"{function or 'module'}-1",
        function=function,
        kind="eval",
        origin=Origin(path="calc.py", line=1, kind="docstring"),
        description=f"{function}()",
    )


FOUND = [exp("clean"), exp("parse"), exp("main"), exp("unrelated"), exp("Stack.push"), exp("")]


def ids(expectations: list[Expectation]) -> list[str]:
    return [e.id for e in expectations]


def test_no_function_named_selects_every_expectation() -> None:
    assert select_expectations(module(), FOUND, []) == FOUND


def test_a_function_is_judged_by_its_own_and_its_callers_expectations() -> None:
    chosen = select_expectations(module(), FOUND, ["clean"])
    # `main` calls `clean` only through `parse`: callers count transitively.
    assert ids(chosen) == ["clean-1", "parse-1", "main-1"]


def test_callees_expectations_do_not_judge_their_caller() -> None:
    assert ids(select_expectations(module(), FOUND, ["main"])) == ["main-1"]


def test_expectations_naming_no_function_are_left_out_when_narrowing() -> None:
    assert "module-1" not in ids(select_expectations(module(), FOUND, ["parse"]))


def test_several_functions_select_the_union_in_the_original_order() -> None:
    chosen = select_expectations(module(), FOUND, ["unrelated", "parse"])
    assert ids(chosen) == ["parse-1", "main-1", "unrelated-1"]


def test_a_method_is_found_by_its_short_name_when_it_is_unique() -> None:
    assert ids(select_expectations(module(), FOUND, ["push"])) == ["Stack.push-1"]


def test_an_unknown_function_selects_nothing() -> None:
    assert select_expectations(module(), FOUND, ["nowhere"]) == []


def test_resolve_function_prefers_the_exact_qualname() -> None:
    assert resolve_function(module(), "clear") == "clear"  # not Queue.clear
    assert resolve_function(module(), "Queue.clear") == "Queue.clear"


def test_resolve_function_takes_a_short_name_only_when_it_is_unambiguous() -> None:
    assert resolve_function(module(), "put") == "Queue.put"
    ambiguous = analyze_module(
        "class A:\n    def run(self):\n        pass\n\nclass B:\n    def run(self):\n        pass\n"
    )
    assert resolve_function(ambiguous, "run") is None


def test_resolve_function_knows_no_missing_function() -> None:
    assert resolve_function(module(), "nowhere") is None


def test_traced_functions_are_those_under_test_and_their_callees() -> None:
    assert sorted(traced_functions(module(), [exp("main")])) == ["clean", "main", "parse"]
    assert traced_functions(module(), [exp("clean")]) == ["clean"]


def test_an_expectation_naming_no_function_traces_every_function() -> None:
    # A pytest test or a main-block statement may call any of them.
    assert traced_functions(module(), [exp("clean"), exp("")]) == list(module().functions)


def test_no_expectations_trace_nothing() -> None:
    assert traced_functions(module(), []) == []
