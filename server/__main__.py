"""`python -m mgdebug.server lsp`: the language server without the CLI's other commands."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["lsp"]:
        print("usage: python -m mgdebug.server lsp", file=sys.stderr)
        return 2
    from .lsp.main import run_stdio

    run_stdio()
    return 0


if __name__ == "__main__":
    sys.exit(main())
