"""Values of user objects as the report shows them: `self` shows its attributes, bounded,
and no user `__repr__` or `__getattr__` can break or stall the tracer."""

from __future__ import annotations

import time

from mgdebug.debugger.trace.saferepr import MAX_ATTRIBUTES, safe_repr


class Counter:
    def __init__(self) -> None:
        self.count = 3
        self.items = [1, 2]


class Hostile:
    """Every way a user class can fight being looked at."""

    def __init__(self) -> None:
        self.x = 1

    def __repr__(self) -> str:
        raise ValueError("no repr for you")

    def __getattr__(self, name: str) -> object:
        raise RuntimeError(name)

    def __getattribute__(self, name: str) -> object:
        if name == "__dict__":
            raise RuntimeError("no dict either")
        return object.__getattribute__(self, name)


class Endless:
    def __init__(self) -> None:
        self.v = 2

    def __repr__(self) -> str:
        while True:
            pass


class Node:
    def __init__(self, following: Node | None) -> None:
        self.value = 1
        self.next = following


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self) -> None:
        self.a = 1  # b is never set


class Wide:
    def __init__(self) -> None:
        for i in range(30):
            setattr(self, f"field{i}", "x" * 500)


class Computed:
    def __init__(self) -> None:
        self.calls = 0

    @property
    def costly(self) -> int:
        raise AssertionError("a property must not run to show the object")


def test_an_object_without_a_repr_shows_its_attributes() -> None:
    assert safe_repr(Counter()) == "Counter(count=3, items=[1, 2])"


def test_a_repr_and_getattr_that_raise_fall_back_to_the_attributes() -> None:
    assert safe_repr(Hostile()) == "Hostile(x=1) (its __repr__ raised ValueError)"


def test_a_repr_that_never_returns_is_cut_short() -> None:
    began = time.monotonic()
    assert safe_repr(Endless()) == "Endless(v=2) (its __repr__ took too long)"
    assert time.monotonic() - began < 2


def test_nested_objects_are_shown_to_a_bounded_depth() -> None:
    chain = Node(Node(Node(Node(None))))
    assert safe_repr(chain) == "Node(value=1, next=Node(value=1, next=<Node>))"


def test_slots_are_shown_and_unset_ones_skipped() -> None:
    assert safe_repr(Slotted()) == "Slotted(a=1)"


def test_many_long_attributes_stay_within_the_limit() -> None:
    shown = safe_repr(Wide(), 200)
    assert len(shown) <= 200 and shown.startswith("Wide(field0='xxx")
    assert f"field{MAX_ATTRIBUTES}" not in shown


def test_properties_are_not_run() -> None:
    assert safe_repr(Computed()) == "Computed(calls=0)"


def test_objects_with_no_attributes_keep_their_usual_repr() -> None:
    assert safe_repr(object()).startswith("<object object at 0x")
