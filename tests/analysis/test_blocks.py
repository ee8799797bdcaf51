"""Basic blocks: the line ranges the tracer snapshots when execution leaves them."""

from __future__ import annotations

from .helpers import analyze, block_ranges


def test_straight_line_function_is_one_entry_block_including_docstring() -> None:
    source = '''
    def f(a):
        """Doc."""
        b = a + 1
        return b
    '''
    assert block_ranges(source) == [(3, 5, "entry")]


def test_if_elif_else_each_open_a_block_and_code_after_is_new() -> None:
    source = """
    def f(x):
        y = 0
        if x > 0:
            y = 1
        elif x < 0:
            y = -1
        else:
            y = 2
        return y
    """
    assert block_ranges(source) == [
        (3, 3, "entry"),
        (4, 5, "branch"),
        (6, 7, "branch"),
        (8, 9, "else"),
        (10, 10, "after"),
    ]


def test_loop_head_body_else_and_after_loop_are_separate() -> None:
    source = """
    def f(xs):
        total = 0
        for x in xs:
            total += x
            seen = x
        else:
            total += 1
        while total > 10:
            total -= 3
        return total
    """
    assert block_ranges(source) == [
        (3, 3, "entry"),
        (4, 4, "loop"),
        (5, 6, "loop-body"),
        (7, 8, "else"),
        (9, 9, "loop"),
        (10, 10, "loop-body"),
        (11, 11, "after-loop"),
    ]


def test_multiline_loop_head_is_one_block() -> None:
    source = """
    def f(pairs):
        for a, b in zip(
            pairs,
            pairs[1:],
        ):
            print(a, b)
    """
    assert block_ranges(source) == [(3, 6, "loop"), (7, 7, "loop-body")]


def test_one_line_loop_and_if_stay_single_blocks() -> None:
    source = """
    def f(xs):
        for x in xs: print(x)
        if xs: return 1
        return 0
    """
    assert block_ranges(source) == [(3, 3, "loop"), (4, 4, "branch"), (5, 5, "after")]


def test_try_except_else_finally_blocks() -> None:
    source = """
    def f(x):
        try:
            y = 1 / x
        except ZeroDivisionError:
            y = 0
        except (TypeError, ValueError) as error:
            raise
        else:
            y += 1
        finally:
            print("done")
        return y
    """
    assert block_ranges(source) == [
        (3, 4, "try"),
        (5, 6, "except"),
        (7, 8, "except"),
        (9, 10, "else"),
        (11, 12, "finally"),
        (13, 13, "after"),
    ]


def test_with_block_and_match_cases() -> None:
    source = """
    def f(path, command):
        with open(path) as handle:
            data = handle.read()
        match command:
            case "go":
                return data
            case [x, y]:
                data = x + y
            case _:
                pass
        return data
    """
    assert block_ranges(source) == [
        (3, 4, "with"),
        (5, 5, "branch"),
        (6, 7, "match-case"),
        (8, 9, "match-case"),
        (10, 11, "match-case"),
        (12, 12, "after"),
    ]


def test_jumps_end_their_block() -> None:
    source = """
    def f(xs):
        for x in xs:
            if x is None:
                continue
                print("never")
            if x < 0:
                break
            y = x
        return y
        print("dead")
    """
    assert block_ranges(source) == [
        (3, 3, "loop"),
        (4, 5, "branch"),
        (6, 6, "after"),
        (7, 8, "branch"),
        (9, 9, "after"),
        (10, 10, "after-loop"),
        (11, 11, "after"),
    ]


def test_statements_sharing_a_line_across_a_jump_do_not_overlap() -> None:
    source = """
    def f(x):
        return x; print("dead")
    """
    assert block_ranges(source) == [(3, 3, "entry")]


def test_nested_def_is_one_statement_of_the_parent() -> None:
    source = """
    def outer(xs):
        n = 0
        def inner(x):
            if x:
                return 1
            return 0
        return sum(inner(x) for x in xs) + n
    """
    assert block_ranges(source, "outer") == [(3, 8, "entry")]
    assert block_ranges(source, "outer.inner") == [(5, 6, "branch"), (7, 7, "after")]


def test_nested_compound_statements_get_blocks_in_source_order() -> None:
    source = """
    def f(grid):
        count = 0
        for row in grid:
            for cell in row:
                if cell:
                    count += 1
            count *= 2
        return count
    """
    assert block_ranges(source) == [
        (3, 3, "entry"),
        (4, 4, "loop"),
        (5, 5, "loop"),
        (6, 7, "branch"),
        (8, 8, "after-loop"),
        (9, 9, "after-loop"),
    ]


def test_blocks_are_indexed_in_order_without_overlap_and_comments_are_skipped() -> None:
    source = """
    def f(x):
        # why
        a = 1  # trailing
        if x:
            # comment only
            a = 2
        return a
    """
    blocks = analyze(source).functions["f"].blocks
    assert [b.index for b in blocks] == list(range(len(blocks)))
    assert all(a.end_line < b.start_line for a, b in zip(blocks, blocks[1:], strict=False))
    assert [(b.start_line, b.end_line) for b in blocks] == [(4, 4), (5, 7), (8, 8)]
