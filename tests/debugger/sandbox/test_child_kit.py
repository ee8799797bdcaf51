"""The child kit: what runs in the user's interpreter works there (debugger/sandbox/kit.py).

The worker and grandchild run in the project's Python, which may be 3.9 to
3.13 and has neither mgdebug nor its dependencies. These tests check the kit's
code statically (3.9 syntax, 3.9 APIs with vermin, standard library only) and
run it for real in other Pythons when the machine has them (pyenv here).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mgdebug.analysis import analyze_module, find_expectations
from mgdebug.debugger.sandbox.interpreter import resolve_interpreter
from mgdebug.debugger.sandbox.kit import kit_folder, kit_modules
from mgdebug.debugger.sandbox.pool import Job, Sandbox, TraceSpec

PYENV = Path.home() / ".pyenv" / "versions"
OTHER_PYTHONS = sorted(
    str(p / "bin" / "python")
    for p in PYENV.glob("3.*")
    if p.name.split(".")[1] in ("9", "13") and (p / "bin" / "python").exists()
)

SOURCE = '''\
def scale(values, factor):
    """
    >>> scale([1, 2], 3)
    [3, 6]
    """
    out = []
    for v in values:
        out.append(v * factor + 1)
    return out
'''


def kit_sources() -> dict[str, str]:
    return {name: Path(path).read_text() for name, path in kit_modules().items()}


def test_the_kit_has_the_worker_and_what_it_imports() -> None:
    names = set(kit_modules())
    assert {
        "mgdebug.debugger.sandbox.worker",
        "mgdebug.debugger.sandbox.child",
        "mgdebug.debugger.run.execution",
        "mgdebug.debugger.trace.tracer",
        "mgdebug.analysis.model",
    } <= names
    # Nothing of mgdebug that needs tree-sitter, jedi or libcst.
    assert not any(n.startswith(("mgdebug.server", "mgdebug.debugger.repair")) for n in names)
    assert "mgdebug.analysis.parsing" not in names


@pytest.mark.parametrize("name", sorted(kit_modules()))
def test_kit_modules_are_python_39_syntax(name: str) -> None:
    source = Path(kit_modules()[name]).read_text()
    ast.parse(source, name, feature_version=(3, 9))


def test_kit_modules_import_only_the_standard_library() -> None:
    # pytest (and its _pytest) come from the user's interpreter, imported only when needed.
    allowed = set(sys.stdlib_module_names) | {"mgdebug", "pytest", "_pytest"}
    for name, source in kit_sources().items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            assert set(tops) <= allowed, f"{name} imports {tops}"


@pytest.mark.skipif(
    shutil.which("vermin", path=os.path.dirname(sys.executable)) is None,
    reason="vermin is a dev extra",
)
def test_kit_modules_use_no_api_newer_than_python_39() -> None:
    vermin = os.path.join(os.path.dirname(sys.executable), "vermin")
    files = list(kit_modules().values())
    done = subprocess.run(
        [vermin, "-t=3.9-", "--violations", "--eval-annotations", "--no-tips", *files],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_kit_is_readable_by_anyone_and_written_only_by_us() -> None:
    folder = Path(kit_folder())
    assert (folder / "entry.py").is_file()
    for path in [folder.parent, folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        assert mode & 0o004, path  # `nobody` may read what the grandchild imports late
        assert not mode & 0o022, path
        assert path.stat().st_uid == os.geteuid()


@pytest.mark.skipif(not OTHER_PYTHONS, reason="needs pyenv's Python 3.9 or 3.13")
@pytest.mark.parametrize("python", OTHER_PYTHONS)
def test_worker_and_tracer_run_in_another_python(tmp_path: Path, python: str) -> None:
    """Messages cross between this Python and 3.9/3.13; the trace and candidates work there."""
    path = tmp_path / "scale.py"
    path.write_text(SOURCE)
    module = analyze_module(SOURCE, str(path))
    expectations = find_expectations(module, str(path))
    interpreter = resolve_interpreter(str(path), python)
    spec = TraceSpec(blocks={q: f.blocks for q, f in module.functions.items()})
    with Sandbox(str(path), interpreter=interpreter, workers=1) as box:
        (result,) = box.run(Job(SOURCE, expectations, trace=spec))
        fixed = SOURCE.replace("v * factor + 1", "v * factor")
        candidates = dict(box.run_candidates([SOURCE, fixed], expectations, wall_seconds_each=5))
    assert result.status == "fail"
    assert result.trace is not None
    assert {"v": "2", "factor": "3"}.items() <= result.trace.snapshots[-1].values.items()
    assert [r.status for r in candidates[0]] == ["fail"]
    assert [r.status for r in candidates[1]] == ["pass"]


def test_a_project_folder_named_like_the_stdlib_does_not_shadow_the_worker(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "doctest"  # the scratch copy is made under this name
    folder.mkdir()
    (folder / "__init__.py").write_text("raise ImportError('the project, not the stdlib')\n")
    path = folder / "scale.py"
    path.write_text(SOURCE)
    module = analyze_module(SOURCE, str(path))
    with Sandbox(str(path), workers=1) as box:
        (result,) = box.run(Job(SOURCE, find_expectations(module, str(path))))
    assert result.status == "fail", result.message


def test_a_change_to_the_worker_makes_a_new_kit(tmp_path: Path) -> None:
    # The worker lives in a subpackage (debugger/sandbox/): an upgraded mgdebug
    # whose only change is there must not keep running the old worker.
    from mgdebug.debugger.sandbox import kit

    debugger = tmp_path / "debugger"
    shutil.copytree(kit._DEBUGGER, debugger, ignore=shutil.ignore_patterns("__pycache__"))
    saved = dict(kit._PACKAGES)
    try:
        kit._PACKAGES.clear()
        kit._PACKAGES["mgdebug.debugger"] = str(debugger)
        before = kit._source_digest()
        worker = debugger / "sandbox" / "worker.py"
        worker.write_text(worker.read_text() + "\n# changed\n")
        assert kit._source_digest() != before
    finally:
        kit._PACKAGES.clear()
        kit._PACKAGES.update(saved)
