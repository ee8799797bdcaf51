"""The shared vocabulary of the candidate generator: text edits, precedence, node builders.

Every mutator describes its change as libcst nodes, but the change is applied
as a splice of the new node's code into the original text at the old node's
position. Splicing (rather than `Module.deep_replace` + `Module.code`) keeps
everything outside the edited node byte-for-byte identical and costs only the
code generation of one small node, which is what lets the search check
hundreds of candidates per second.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import libcst as cst


@dataclass(frozen=True)
class TextEdit:
    """Replace `source[start:end]` with `text` (an insertion when start == end)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Edit:
    """One proposed change before it is turned into a `Candidate`.

    `old` and `new` are the replaced and replacing snippets, kept for counting
    changed tokens only when the edit is actually emitted.
    """

    kind: str
    line: int
    function: str
    changes: tuple[TextEdit, ...]
    summary: str
    old: str
    new: str


def apply_changes(source: str, changes: Sequence[TextEdit]) -> str:
    """Splice non-overlapping text edits (offsets into the original) into `source`."""
    pieces: list[str] = []
    cursor = 0
    for change in sorted(changes, key=lambda c: (c.start, c.end)):
        pieces.append(source[cursor : change.start])
        pieces.append(change.text)
        cursor = change.end
    pieces.append(source[cursor:])
    return "".join(pieces)


def overlaps(a: Sequence[TextEdit], b: Sequence[TextEdit]) -> bool:
    """True when two edits touch the same text (two insertions at one point count)."""
    for x in a:
        for y in b:
            if x.start == y.start == x.end == y.end:
                return True
            if x.start < y.end and y.start < x.end:
                return True
            # An insertion inside or at the edge of a replaced range belongs to the
            # replaced code (its indentation, its block), so the two do not combine.
            if x.start == x.end and y.start <= x.start <= y.end:
                return True
            if y.start == y.end and x.start <= y.start <= x.end:
                return True
    return False


# --- operator precedence -------------------------------------------------------------
# Higher binds tighter. A replacement expression whose precedence is below what
# its position requires gets parentheses, so the edit means what the tree says.
LOWEST = 0
IFEXP = 1
OR = 2
AND = 3
NOT = 4
COMPARISON = 5
BITOR = 6
BITXOR = 7
BITAND = 8
SHIFT = 9
ADDITIVE = 10
MULTIPLICATIVE = 11
UNARY = 12
POWER = 13
AWAIT = 14
ATOM = 15

BINARY_PRECEDENCE: dict[type[cst.BaseBinaryOp], int] = {
    cst.BitOr: BITOR,
    cst.BitXor: BITXOR,
    cst.BitAnd: BITAND,
    cst.LeftShift: SHIFT,
    cst.RightShift: SHIFT,
    cst.Add: ADDITIVE,
    cst.Subtract: ADDITIVE,
    cst.Multiply: MULTIPLICATIVE,
    cst.MatrixMultiply: MULTIPLICATIVE,
    cst.Divide: MULTIPLICATIVE,
    cst.FloorDivide: MULTIPLICATIVE,
    cst.Modulo: MULTIPLICATIVE,
    cst.Power: POWER,
}


def precedence(node: cst.CSTNode) -> int:
    if getattr(node, "lpar", None):
        return ATOM
    if isinstance(node, cst.BinaryOperation):
        return BINARY_PRECEDENCE.get(type(node.operator), ATOM)
    if isinstance(node, cst.BooleanOperation):
        return AND if isinstance(node.operator, cst.And) else OR
    if isinstance(node, cst.UnaryOperation):
        return NOT if isinstance(node.operator, cst.Not) else UNARY
    if isinstance(node, cst.Comparison):
        return COMPARISON
    if isinstance(node, cst.IfExp):
        return IFEXP
    if isinstance(node, (cst.Lambda, cst.Tuple, cst.NamedExpr, cst.Yield)):
        return LOWEST
    if isinstance(node, cst.Await):
        return AWAIT
    return ATOM


# The constant that makes `x op c` (right) or `c op x` (left) just `x`. An edit
# that makes one is the delete-term edit written worse (`x + 0` for `x`), so
# mutators leave it to that one. `/ 1` and `// 1` are here too: they keep the
# value of an int (the type changes for `/`), and a float floored by `// 1`
# instead of `int()` or `math.floor` is not a fix anyone means.
_IDENTITIES: dict[tuple[type[cst.BaseBinaryOp], str], int] = {
    (cst.Add, "left"): 0,
    (cst.Add, "right"): 0,
    (cst.Subtract, "right"): 0,
    (cst.Multiply, "left"): 1,
    (cst.Multiply, "right"): 1,
    (cst.Divide, "right"): 1,
    (cst.FloorDivide, "right"): 1,
    (cst.Power, "right"): 1,
    (cst.BitOr, "left"): 0,
    (cst.BitOr, "right"): 0,
    (cst.BitXor, "left"): 0,
    (cst.BitXor, "right"): 0,
    (cst.BitAnd, "left"): -1,
    (cst.BitAnd, "right"): -1,
    (cst.LeftShift, "right"): 0,
    (cst.RightShift, "right"): 0,
}


def makes_identity(operator: cst.BaseBinaryOp, side: str, value: object) -> bool:
    """Whether the number `value` as the `side` operand of `operator` leaves the other unchanged."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return value == _IDENTITIES.get((type(operator), side))


def binary_level(node: cst.CSTNode) -> int | None:
    """The precedence of a binary operation's operator; None for any other node."""
    if not isinstance(node, cst.BinaryOperation):
        return None
    return BINARY_PRECEDENCE.get(type(node.operator))


def operand_chain(
    node: cst.BaseExpression, level: int, top: bool = True
) -> list[tuple[cst.BaseBinaryOp | None, cst.BaseExpression]]:
    """`a + b - c` as [(None, a), (+, b), (-, c)] at one precedence level.

    Parenthesized parts below the top stay whole: they are one operand as written.
    """
    if (
        isinstance(node, cst.BinaryOperation)
        and binary_level(node) == level
        and (top or not node.lpar)
    ):
        return operand_chain(node.left, level, top=False) + [(node.operator, node.right)]
    return [(None, node)]


def operand_precedences(node: cst.CSTNode) -> dict[str, int]:
    """The precedence each operand field of an operator node needs (left-associative)."""
    if isinstance(node, cst.BinaryOperation):
        own = precedence(node.with_changes(lpar=(), rpar=()))
        if own == POWER:  # right-associative, and its right side may be a unary
            return {"left": POWER + 1, "right": UNARY}
        return {"left": own, "right": own + 1}
    if isinstance(node, cst.BooleanOperation):
        own = AND if isinstance(node.operator, cst.And) else OR
        return {"left": own, "right": own + 1}
    if isinstance(node, cst.UnaryOperation):
        return {"expression": NOT if isinstance(node.operator, cst.Not) else UNARY}
    return {}


def parenthesize(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def fit(expr: cst.BaseExpression, min_precedence: int) -> cst.BaseExpression:
    """`expr`, in parentheses if it would otherwise bind too loosely for its position."""
    return parenthesize(expr) if precedence(expr) < min_precedence else expr


def refit_operands(node: cst.BaseExpression) -> cst.BaseExpression:
    """Parenthesize the operands of a rebuilt operator node where the new operator needs it."""
    changes = {
        field: fit(getattr(node, field), needed)
        for field, needed in operand_precedences(node).items()
        if precedence(getattr(node, field)) < needed
    }
    return node.with_changes(**changes) if changes else node


# --- node builders --------------------------------------------------------------------


def literal(value: object, quote: str = '"') -> cst.BaseExpression:
    """A libcst node for a Python constant (bool/None/int/float/str)."""
    if value is None or isinstance(value, bool):
        return cst.Name(repr(value))
    if isinstance(value, int):
        node: cst.BaseExpression = cst.Integer(str(abs(value)))
    elif isinstance(value, float):
        node = cst.Float(repr(abs(value)))
    elif isinstance(value, str):
        text = repr(value)
        if quote == '"' and text.startswith("'") and '"' not in value:
            text = '"' + text[1:-1].replace("\\'", "'") + '"'
        return cst.SimpleString(text)
    else:
        raise TypeError(f"no literal for {type(value).__name__}")
    if value < 0:
        return cst.UnaryOperation(operator=cst.Minus(), expression=node)
    return node


def literal_value(node: cst.CSTNode | None) -> object:
    """The constant a literal node stands for, or `NotALiteral`."""
    if isinstance(node, cst.Integer):
        return int(node.value, 0)
    if isinstance(node, cst.Float):
        return float(node.value)
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.SimpleString) and "b" not in node.prefix.lower():
        return node.evaluated_value
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus)
        and isinstance(node.expression, (cst.Integer, cst.Float))
        and not node.expression.lpar
    ):
        inner = literal_value(node.expression)
        if isinstance(inner, (int, float)):
            return -inner
    return NotALiteral


class _NotALiteral:
    def __repr__(self) -> str:
        return "NotALiteral"


NotALiteral = _NotALiteral()


def shifted(expr: cst.BaseExpression, delta: int) -> cst.BaseExpression:
    """`expr + delta`, folded into an existing `± k` or literal so `n - 1` + 1 is `n`."""
    value = literal_value(expr)
    if isinstance(value, int) and not isinstance(value, bool) and not getattr(expr, "lpar", ()):
        return literal(value + delta)
    if (
        isinstance(expr, cst.BinaryOperation)
        and not expr.lpar
        and isinstance(expr.operator, (cst.Add, cst.Subtract))
        and isinstance(expr.right, cst.Integer)
    ):
        k = int(expr.right.value, 0)
        k = (k if isinstance(expr.operator, cst.Add) else -k) + delta
        if k == 0:
            return expr.left
        op: cst.BaseBinaryOp = cst.Add() if k > 0 else cst.Subtract()
        op = op.with_changes(
            whitespace_before=expr.operator.whitespace_before,
            whitespace_after=expr.operator.whitespace_after,
        )
        return expr.with_changes(operator=op, right=cst.Integer(str(abs(k))))
    op = cst.Add() if delta > 0 else cst.Subtract()
    return cst.BinaryOperation(
        left=fit(expr, ADDITIVE), operator=op, right=cst.Integer(str(abs(delta)))
    )


def same_spacing(new: cst.CSTNode, old: cst.CSTNode) -> cst.CSTNode:
    """`new` with the whitespace fields it shares with `old` (operators keep their spacing)."""
    changes = {
        name: getattr(old, name)
        for name in ("whitespace_before", "whitespace_after", "whitespace_between")
        if hasattr(old, name) and hasattr(new, name)
    }
    return new.with_changes(**changes) if changes else new


# --- words and tokens -----------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def short(code: str, limit: int = 60) -> str:
    """One line of code for a summary: whitespace collapsed, long code cut with an ellipsis."""
    flat = _SPACES.sub(" ", code).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def replacement_summary(old: str, new: str, line: int) -> str:
    return f"`{short(old)}` → `{short(new)}` on line {line}"


def deletion_summary(old: str, new: str, line: int) -> str:
    """ "delete `+ 1` on line 3" when `new` is `old` less one piece, else a replacement summary."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    # The suffix may not reach into the prefix: `a + b - c` → `a - c` removes `+ b `.
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    start, end = prefix, len(old) - suffix
    if prefix + suffix != len(new) or start == end:
        return replacement_summary(old, new, line)
    # Slide the removed piece left while that removes the same text, so it reads
    # as an operator and its operand (`+ b`) rather than `b +`.
    while start > 0 and old[start - 1] == old[end - 1]:
        start -= 1
        end -= 1
    removed = old[start:end].strip()
    if removed:
        return f"delete `{short(removed)}` on line {line}"
    return replacement_summary(old, new, line)


_SKIPPED_TOKENS = {
    tokenize.NEWLINE,
    tokenize.NL,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
    tokenize.COMMENT,
}


@lru_cache(maxsize=4096)
def code_tokens(code: str) -> tuple[str, ...]:
    """The token strings of a code fragment; a fragment tokenize rejects is split on spaces."""
    try:
        return tuple(
            tok.string
            for tok in tokenize.generate_tokens(io.StringIO(code).readline)
            if tok.type not in _SKIPPED_TOKENS
        )
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return tuple(code.split())


_OPENERS = frozenset("([{")
_CLOSERS = frozenset(")]}")


def _unwrapped(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """`tokens` without parentheses around the whole snippet, if it has them."""
    if len(tokens) < 2 or tokens[0] != "(" or tokens[-1] != ")":
        return tokens
    depth = 0
    for i, token in enumerate(tokens):
        depth += token in _OPENERS
        depth -= token in _CLOSERS
        if depth == 0 and i < len(tokens) - 1:
            return tokens  # `(a) + (b)`: the first one closes early
    return tokens[1:-1]


def tokens_changed(old: str, new: str) -> int:
    """How many tokens differ between two snippets (at least 1).

    Parentheses around a whole snippet do not count: the splice adds or drops
    them as the position needs, so `(n + 1)` → `n` is a two-token edit, as
    `n + 1` → `n` is.
    """
    a, b = _unwrapped(code_tokens(old)), _unwrapped(code_tokens(new))
    changed = sum(
        max(i2 - i1, j2 - j1)
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        if tag != "equal"
    )
    return max(1, changed)


def is_deletion(old: str, new: str) -> bool:
    """Whether `new` is `old` with some tokens deleted and none added or changed.

    Parentheses around a whole snippet do not count, as in `tokens_changed`.
    """
    a, b = _unwrapped(code_tokens(old)), _unwrapped(code_tokens(new))
    opcodes = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return len(b) < len(a) and all(tag in ("equal", "delete") for tag, *_ in opcodes)
