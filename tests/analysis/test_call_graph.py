"""The call graph questions `ModuleInfo` answers: reachability, callers, leaves-first order.

Blame (debugger/localize/blame.py) and expectation selection (debugger/engine.py)
are built on these three; here they are checked on their own, without a run.
"""

from __future__ import annotations

from .helpers import analyze

# main -> parse -> clean; main -> report; is_even <-> is_odd; fact -> fact
GRAPH = """
def clean(text):
    return text.strip()

def parse(text):
    return int(clean(text))

def report(value):
    return f"got {value}"

def main(text):
    return report(parse(text))

def is_even(n):
    return n == 0 or is_odd(n - 1)

def is_odd(n):
    return n != 0 and is_even(n - 1)

def fact(n):
    return 1 if n < 2 else n * fact(n - 1)

def parity(n):
    return is_even(n), fact(n)
"""


def test_reachable_follows_calls_transitively_from_the_starts() -> None:
    module = analyze(GRAPH)
    reached = module.reachable(["main"])
    assert reached[0] == "main"  # the starts come first
    assert sorted(reached) == ["clean", "main", "parse", "report"]
    assert module.reachable(["clean"]) == ["clean"]


def test_reachable_does_not_go_through_skipped_functions() -> None:
    module = analyze(GRAPH)
    # A trusted `parse` hides what it calls: `clean` is reached only through it.
    assert set(module.reachable(["main"], {"parse"})) == {"main", "report"}


def test_reachable_keeps_a_skipped_start() -> None:
    module = analyze(GRAPH)
    assert module.reachable(["parse"], {"parse"}) == ["parse", "clean"]


def test_reachable_drops_unknown_and_repeated_starts() -> None:
    module = analyze(GRAPH)
    assert module.reachable(["nowhere", "clean", "clean"]) == ["clean"]


def test_reachable_ends_on_recursion_cycles() -> None:
    module = analyze(GRAPH)
    assert module.reachable(["is_odd"]) == ["is_odd", "is_even"]
    assert module.reachable(["fact"]) == ["fact"]
    assert set(module.reachable(["parity"])) == {"parity", "is_even", "is_odd", "fact"}


def test_callers_of_lists_direct_callers_only() -> None:
    module = analyze(GRAPH)
    assert module.callers_of("clean") == ["parse"]  # not `main`, which calls it through parse
    assert module.callers_of("main") == []
    assert module.callers_of("nowhere") == []


def test_a_recursive_function_is_its_own_caller() -> None:
    module = analyze(GRAPH)
    assert module.callers_of("fact") == ["fact", "parity"]
    assert module.callers_of("is_even") == ["is_odd", "parity"]


def test_leaves_first_puts_every_callee_before_its_callers() -> None:
    module = analyze(GRAPH)
    order = module.leaves_first()
    assert sorted(order) == sorted(module.functions)
    for name in ("clean", "parse", "report", "main", "fact", "parity"):
        for callee in module.functions[name].calls:
            if callee != name:
                assert order.index(callee) < order.index(name), (callee, name, order)


def test_leaves_first_puts_a_cycle_before_the_functions_calling_into_it() -> None:
    module = analyze(GRAPH)
    order = module.leaves_first()
    # Inside the cycle one edge must be broken: the member reached first comes last.
    assert order.index("is_odd") < order.index("is_even") < order.index("parity")
    assert order.index("fact") < order.index("parity")
    assert order[-1] == "parity"


def test_leaves_first_is_the_same_on_every_call() -> None:
    module = analyze(GRAPH)
    assert module.leaves_first() == analyze(GRAPH).leaves_first() == module.leaves_first()


def test_function_at_is_the_innermost_function() -> None:
    module = analyze(
        """
        def outer():
            x = 1
            def inner():
                return x
            return inner()
        """
    )
    assert module.functions["outer"].calls == ["outer.inner"]
    assert module.function_at(5).qualname == "outer.inner"  # type: ignore[union-attr]
    assert module.function_at(3).qualname == "outer"  # type: ignore[union-attr]
    assert module.function_at(1) is None
