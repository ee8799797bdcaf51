"""Project mode: debug a project from its failing pytest tests, across its modules.

    target.py   what the user named -> the project root and a pytest selection
    collect.py  one sandboxed pytest run: per test, its outcome and the lines it ran
    cache.py    those results per file hash in <root>/.mgdebug-cache/, re-run only what changed
    spectrum.py Ochiai over (file, line) -> the modules the failing tests reach, ranked
    run.py      each candidate module debugged by the engine -> one merged `ProjectReport`

`debug_project` (run.py) is the entry point front ends call; `project_tests`
(run.py) gives the tests of a project that cover one module (`mgdebug FILE`).
Nothing is imported here: the child kit carries collect_child.py alone.
"""
