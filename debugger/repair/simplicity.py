"""How checked fixes rank: the place to fix by size and suspicion, the way to write it plainly.

When several candidates pass every expectation, the tests do not decide
between them, so the ranking decides what a person sees first. The search's
long-standing key stays: fewest tokens changed, then the most suspicious
line, then the kind's prior, then the order tried. Two kinds of passing
edit take the place of another passing edit (its key), just before it:

- the *plain form* of a variant: a passing edit whose program equals
  another's once identity slices (`xs[:]`, `xs[0:]`, `xs[0:len(xs)]`) and
  identity arithmetic (`x + 0`, `x - 0`, `x * 1`, `x // 1`, ...) are written
  plainly, with fewer of them. `prices[1:]` → `prices` takes the place of
  `1` → `0` (`prices[0:]`), although it changes more tokens;
- the *deletion of a wrong term* instead of a rewrite inside it: a passing
  edit that only deletes tokens (`n - 1` → `n`), over the span of a passing
  rewrite (`n - 1` → `n + 1`), and no more than `TERM_TOKENS` tokens more
  than it. A whole clause deleted instead of one wrong name fixed in it is
  a different fix, and keeps its own place.

Among edits in one place, the one whose program has fewer tokens comes
first. Variants themselves rank after every edit that is not a variant: they
are still checked fixes and still counted, and they name their plain form.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .candidates import KIND_PRIORS, Candidate
from .edits import is_deletion, tokens_changed

# How many tokens more a deletion may change than the rewrite it replaces:
# `[1:]` (four tokens) for `1` → `0`, `- 1` for `-` → `+`, `, 2` for `2` → `0`.
TERM_TOKENS = 3

_Key = tuple[int, float, float, int]
# Statement edits act on blocks, not on a term of an expression: a deleted
# statement that passes weak tests is the classic wrong fix, never the plain
# spelling of an edit inside it.
_NOT_TERM_DELETIONS = frozenset({"delete-statement", "insert-return", "pair"})


@dataclass(frozen=True)
class Ranked:
    """One passing candidate's place: `index` into the list ranked; `plain_form`
    is the index of the passing candidate that writes the same program without
    the identity slice or arithmetic `written` (e.g. `prices[0:]`), or None."""

    index: int
    plain_form: int | None = None
    written: str = ""


def rank_passing(
    original: str, candidates: Sequence[Candidate], suspicion: Mapping[int, float]
) -> list[Ranked]:
    """The passing `candidates` of `original`, best first (see the module docstring)."""

    def search_key(i: int) -> _Key:
        cand = candidates[i]
        return (
            cand.tokens_changed,
            -suspicion.get(cand.line, 0.0),
            -KIND_PRIORS.get(cand.kind, 0.0),
            i,  # the order the candidates were tried in
        )

    indices = range(len(candidates))
    variants = _variants(candidates, sorted(indices, key=search_key))
    place = {i: search_key(i) for i in indices}
    for i in indices:
        taken = [search_key(j) for j, (plain, _) in variants.items() if plain == i]
        taken += [search_key(j) for j in indices if _deletes_term_of(original, candidates, i, j)]
        place[i] = min([place[i], *taken])
    ordered = sorted(
        indices, key=lambda i: (place[i], _token_count(candidates[i].source), search_key(i))
    )
    plain = [Ranked(i) for i in ordered if i not in variants]
    return plain + [Ranked(i, *variants[i]) for i in ordered if i in variants]


def _deletes_term_of(original: str, candidates: Sequence[Candidate], i: int, j: int) -> bool:
    """Whether candidate `i` deletes a term that candidate `j` rewrites (module docstring)."""
    if i == j or candidates[i].kind in _NOT_TERM_DELETIONS:
        return False
    if len(candidates[i].changes) != 1 or len(candidates[j].changes) != 1:
        return False
    mine, theirs = candidates[i].changes[0], candidates[j].changes[0]
    if not (mine.start <= theirs.start and theirs.end <= mine.end):
        return False
    old = original[mine.start : mine.end]
    return (
        is_deletion(old, mine.text)
        and tokens_changed(old, mine.text) <= candidates[j].tokens_changed + TERM_TOKENS
    )


def _token_count(source: str) -> int:
    """The program's tokens, comments and line structure aside (a fallback count if it
    does not tokenize)."""
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        return sum(1 for tok in tokens if tok.type not in skipped)
    except (tokenize.TokenError, SyntaxError):
        return len(source.split())


def _variants(candidates: Sequence[Candidate], ordered: list[int]) -> dict[int, tuple[int, str]]:
    """index -> (the plain form's index, the identity it adds) for every variant."""
    forms: dict[int, tuple[str, list[str]]] = {}
    for i in ordered:
        form = plain_form(candidates[i].source)
        if form is not None:
            forms[i] = form
    variants: dict[int, tuple[int, str]] = {}
    for i in ordered:
        if i not in forms:
            continue
        dump, identities = forms[i]
        plainer = [
            j
            for j in ordered
            if j in forms and forms[j][0] == dump and len(forms[j][1]) < len(identities)
        ]
        if plainer:
            # The plainest first, then the best-ranked of those.
            best = min(plainer, key=lambda j: (len(forms[j][1]), ordered.index(j)))
            added = list(identities)
            for code in forms[best][1]:
                if code in added:
                    added.remove(code)
            variants[i] = (best, added[0] if added else identities[0])
    return variants


def plain_form(source: str) -> tuple[str, list[str]] | None:
    """(the module's AST dump with identities written plainly, the code of each identity).

    None if the source does not parse.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    plainer = _Plainer()
    dump = ast.dump(plainer.visit(tree))
    return dump, plainer.found


def _is_number(node: ast.expr | None, value: int) -> bool:
    return (
        isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value == value
    )


# (operator, side of the constant) -> the constant that leaves the other operand as it is.
# `/ 1` is left out: it turns an int into a float, which prints differently.
_IDENTITY_OPERANDS: dict[tuple[type[ast.operator], str], int] = {
    (ast.Add, "left"): 0,
    (ast.Add, "right"): 0,
    (ast.Sub, "right"): 0,
    (ast.Mult, "left"): 1,
    (ast.Mult, "right"): 1,
    (ast.FloorDiv, "right"): 1,
    (ast.Pow, "right"): 1,
    (ast.BitOr, "left"): 0,
    (ast.BitOr, "right"): 0,
    (ast.BitXor, "left"): 0,
    (ast.BitXor, "right"): 0,
    (ast.LShift, "right"): 0,
    (ast.RShift, "right"): 0,
}


class _Plainer(ast.NodeTransformer):
    """Rewrites `xs[:]`, `xs[0:len(xs)]`, `x + 0`, `x * 1`, ... as `xs` and `x`, counting them."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def _note(self, node: ast.AST) -> None:
        self.found.append(ast.unparse(node))

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        piece = node.slice
        if not isinstance(node.ctx, ast.Load) or not isinstance(piece, ast.Slice):
            return node
        whole_length = (
            isinstance(piece.upper, ast.Call)
            and isinstance(piece.upper.func, ast.Name)
            and piece.upper.func.id == "len"
            and len(piece.upper.args) == 1
            and not piece.upper.keywords
            and ast.dump(piece.upper.args[0]) == ast.dump(node.value)
        )
        if (
            (piece.lower is None or _is_number(piece.lower, 0))
            and (piece.upper is None or whole_length)
            and (piece.step is None or _is_number(piece.step, 1))
        ):
            self._note(node)
            return node.value
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        op = type(node.op)
        right = _IDENTITY_OPERANDS.get((op, "right"))
        if right is not None and _is_number(node.right, right):
            self._note(node)
            return node.left
        left = _IDENTITY_OPERANDS.get((op, "left"))
        if left is not None and _is_number(node.left, left):
            self._note(node)
            return node.right
        return node
