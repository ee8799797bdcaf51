// The scratch workspace of the e2e and what a user should see on it.
//
// buggy.py: one function with one bug (`for x in xs[1:]` skips the first number), judged by its
// own doctest. shapes.py: a correct function with a one-line docstring, for "Write Docstring"
// and "Generate Tests".

export const BUGGY = "buggy.py";
export const SHAPES = "shapes.py";

export const files = {
  [BUGGY]: [
    "def total(xs):",
    '    """Return the sum of the numbers in xs.',
    "",
    "    >>> total([1, 2, 3])",
    "    6",
    "    >>> total([])",
    "    0",
    '    """',
    "    result = 0",
    "    for x in xs[1:]:",
    "        result += x",
    "    return result",
    "",
  ].join("\n"),
  [SHAPES]: [
    "def clamp(value: int, low: int, high: int) -> int:",
    '    """Limit value to the range from low to high."""',
    "    if value < low:",
    "        return low",
    "    if value > high:",
    "        return high",
    "    return value",
    "",
  ].join("\n"),
};

/** Where the failing function's error belongs: on its name, `total` in `def total(xs):`. */
export const errorAt = "[Ln 1, Col 5]";

/** The error's plain wording: the call, what came back, what was expected. */
export const wording = [
  ["names the call `total([1, 2, 3])`", /total\(\[1, 2, 3\]\)/],
  ["says what came back (5)", /\b(returned|returns|gave|got|came back)\b[^;.]*\b5\b/i],
  ["says what was expected (6)", /\bexpect\w*\b[^;.]*\b6\b/i],
];

/** Internal terms that stay out of what the user reads. */
export const internalTerms = /\bscore\b|metallaxis|ochiai|\bblock \d|\bsbfl\b|\bmbfl\b/i;

/** The plain fix's title: `xs[1:]` becomes `xs` (not `xs[:]`, `xs[0:]` or `1` → `0`). */
export const plainFixTitle = /delete `\[1:\]`|`xs\[1:\]` → `xs`(?![[\w])|`xs\[1:\]` with `xs`(?![[\w])/;
/** The loop line once the plain fix is applied. */
export const plainFixLine = "for x in xs:";
/** The quick fix a user can choose on the bug (E2E_FIX_PATTERN overrides). */
export const anyFixTitle = new RegExp(process.env.E2E_FIX_PATTERN ?? "^mgdebug:.*(\\[1:\\]|line 10)");
