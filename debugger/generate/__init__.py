"""Docstrings and tests generated from running the code, not from guessing it.

`docstrings.write_checked_docstring` writes a function's docstring in the
file's style with examples that ran as doctests; `testgen.generate_tests`
writes pytest regression tests that ran under pytest. Both draw inputs from
the file's own expectations (observe.py, inputs.py) and outputs from the
sandbox (examples.py). The CLI (server/generate_cli.py) and the language
server (server/lsp/generate_actions.py) call them.
"""
