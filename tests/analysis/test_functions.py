"""The subfunction tree: names, lines, docstrings, params and call edges."""

from __future__ import annotations

import time

from mgdebug.analysis.functions import analyze_module

from .helpers import analyze


def test_empty_source_gives_empty_module() -> None:
    for source in ("", "\n\n", "   \n"):
        module = analyze_module(source)
        assert module.functions == {}
        assert module.syntax_errors == []
        assert module.leaves_first() == []


def test_module_without_functions_has_no_functions() -> None:
    module = analyze("x = 1\nprint(x)\n")
    assert module.functions == {}
    assert module.syntax_errors == []


def test_method_gets_class_qualname_and_class_name() -> None:
    module = analyze(
        """
        class Stack:
            def push(self, item):
                self.items.append(item)

            class Node:
                def value(self):
                    return 1
        """
    )
    push = module.functions["Stack.push"]
    assert (push.name, push.class_name, push.parent, push.line) == ("push", "Stack", None, 3)
    assert push.params == ["self", "item"]
    assert module.functions["Stack.Node.value"].class_name == "Stack.Node"


def test_nested_function_gets_dotted_qualname() -> None:
    module = analyze(
        """
        def outer(xs):
            def inner(x):
                def innermost():
                    return x
                return innermost()
            return [inner(x) for x in xs]
        """
    )
    assert list(module.functions) == ["outer", "outer.inner", "outer.inner.innermost"]
    assert module.functions["outer.inner"].parent == "outer"
    assert module.functions["outer.inner.innermost"].parent == "outer.inner"
    assert module.functions["outer"].calls == ["outer.inner"]
    assert module.functions["outer.inner"].calls == ["outer.inner.innermost"]


def test_async_def_is_listed_and_marked_async() -> None:
    module = analyze(
        """
        async def fetch(url, *, timeout=3):
            return await get(url)

        def sync():
            pass
        """
    )
    assert module.functions["fetch"].is_async
    assert module.functions["fetch"].params == ["url", "timeout"]
    assert not module.functions["sync"].is_async


def test_decorated_function_line_is_the_def_line() -> None:
    module = analyze(
        """
        import functools

        @functools.cache
        @other(
            1,
        )
        def fib(n):
            return n
        """
    )
    fib = module.functions["fib"]
    assert fib.line == 8
    assert fib.body_line == 9
    assert fib.end_line == 9
    assert fib.decorators == ["functools.cache", "other(\n    1,\n)"]


def test_params_drop_annotations_defaults_and_stars_but_signature_keeps_them() -> None:
    module = analyze("def f(a, b: int = 2, /, *args: str, c, d=3, **kw) -> None:\n    pass\n")
    func = module.functions["f"]
    assert func.params == ["a", "b", "args", "c", "d", "kw"]
    assert func.signature == "(a, b: int = 2, /, *args: str, c, d=3, **kw)"


def test_docstring_is_cleaned_with_its_lines() -> None:
    module = analyze(
        '''
        def f():
            """
            Add things.

                Indented more.
            """
            return 1
        '''
    )
    func = module.functions["f"]
    assert func.docstring == "Add things.\n\n    Indented more."
    assert func.docstring_line == 3
    assert func.docstring_text_line == 4
    assert func.docstring_end_line == 7
    assert func.body_line == 3


def test_escapes_in_docstring_are_unescaped_and_fstrings_are_not_docstrings() -> None:
    module = analyze(
        '''
        def f():
            "Caf\\u00e9 \\x41"

        def g():
            f"""not {1} a docstring"""
        '''
    )
    assert module.functions["f"].docstring == "Café A"
    assert module.functions["g"].docstring is None


def test_self_and_cls_calls_resolve_to_methods_of_the_class_and_its_bases() -> None:
    module = analyze(
        """
        class Base:
            def helper(self):
                return 1

        class Child(Base):
            def run(self):
                return self.step() + self.helper() + super().helper()

            def step(self):
                return Child.make()

            @classmethod
            def make(cls):
                return cls.__name__
        """
    )
    assert module.functions["Child.run"].calls == ["Child.step", "Base.helper"]
    assert module.functions["Child.step"].calls == ["Child.make"]


def test_constructor_call_is_an_edge_to_init() -> None:
    module = analyze(
        """
        class Point:
            def __init__(self, x):
                self.x = x

        def origin():
            return Point(0)
        """
    )
    assert module.functions["origin"].calls == ["Point.__init__"]


def test_calls_see_enclosing_scopes_and_not_class_scope() -> None:
    module = analyze(
        """
        def helper():
            return 0

        class C:
            def helper(self):
                return 1

            def m(self):
                def inner():
                    return helper() + self.helper()
                return inner()
        """
    )
    # A bare `helper()` inside a method means the module function, as in Python.
    assert module.functions["C.m.inner"].calls == ["helper", "C.helper"]


def test_unknown_and_builtin_calls_are_not_edges() -> None:
    module = analyze("def f(xs):\n    return len(xs) + sorted(xs)[0] + xs.count(1)\n")
    assert module.functions["f"].calls == []
    assert module.functions["f"].imported_calls == []


def test_recursion_and_mutual_recursion_come_before_callers() -> None:
    module = analyze(
        """
        def main(n):
            return is_even(n) and fact(n)

        def is_even(n):
            return n == 0 or is_odd(n - 1)

        def is_odd(n):
            return n != 0 and is_even(n - 1)

        def fact(n):
            return 1 if n < 2 else n * fact(n - 1)
        """
    )
    assert module.functions["fact"].calls == ["fact"]
    assert module.functions["is_even"].calls == ["is_odd"]
    order = module.leaves_first()
    assert order.index("is_odd") < order.index("main")
    assert order.index("is_even") < order.index("main")
    assert order.index("fact") < order.index("main")
    assert order[-1] == "main"


def test_redefinition_keeps_the_last_definition() -> None:
    module = analyze("def f():\n    return 1\n\ndef f():\n    return 2\n")
    assert list(module.functions) == ["f"]
    assert module.functions["f"].line == 4


def test_functions_under_if_and_try_are_module_functions() -> None:
    module = analyze(
        """
        try:
            import fast
        except ImportError:
            def fallback():
                return 1
        if __name__ == "__main__":
            def check():
                assert fallback() == 1
        """
    )
    assert set(module.functions) == {"fallback", "check"}
    assert module.functions["check"].calls == ["fallback"]


def test_non_ascii_source_keeps_lines_and_names() -> None:
    module = analyze(
        '''
        def grüße(名前):
            """Sagt «hallo» 👋."""
            return "hallo " + 名前

        def after():
            return grüße("wörld")
        '''
    )
    assert module.functions["grüße"].params == ["名前"]
    assert module.functions["grüße"].docstring == "Sagt «hallo» 👋."
    assert module.functions["after"].line == 6
    assert module.functions["after"].calls == ["grüße"]


def test_syntax_error_keeps_the_functions_that_parse() -> None:
    module = analyze(
        """
        def good(x):
            return x + 1

        def broken(x):
            return (x +

        def also_good(y):
            return good(y)
        """
    )
    assert set(module.functions) == {"good", "also_good"}
    assert module.functions["also_good"].calls == ["good"]
    assert module.syntax_errors
    assert module.syntax_errors[0].line == 6


def _big_source(lines: int) -> str:
    """Realistic-looking code: classes, methods, branches, loops, calls, docstrings."""
    chunk = '''
class Shape{i}:
    """A shape.

    >>> Shape{i}().area(2)
    4
    """

    def area(self, side):
        if side < 0:
            raise ValueError(side)
        elif side == 0:
            return 0
        total = 0
        for _ in range(side):
            total += self.row(side)
        return total

    def row(self, side):
        return helper{i}(side)


def helper{i}(n):
    try:
        while n > 100:
            n -= 1
    except TypeError:
        n = 0
    with open("x") as handle:
        handle.read()
    return n if n else helper{i}(n + 1)
'''
    per_chunk = chunk.count("\n")
    return "".join(chunk.format(i=i) for i in range(lines // per_chunk + 1))


def test_fifty_thousand_lines_analyze_quickly() -> None:
    source = _big_source(50_000)
    assert source.count("\n") >= 50_000
    wall, cpu = time.perf_counter(), time.process_time()
    module = analyze_module(source, "big.py")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"analyze_module on {source.count(chr(10))} lines: {wall:.2f} s wall, {cpu:.2f} s CPU")
    assert len(module.functions) > 4000
    assert module.functions["Shape7.area"].calls == ["Shape7.row"]
    assert module.functions["helper7"].calls == ["helper7"]
    assert wall < 10
