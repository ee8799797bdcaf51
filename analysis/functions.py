"""The subfunction tree of a file: `analyze_module` builds its `ModuleInfo`."""

from __future__ import annotations

from pathlib import Path

from .blocks import function_blocks
from .calls import find_calls
from .definitions import collect_definitions
from .imports import import_bindings, package_of, resolve_in_workspace, workspace_root
from .model import FunctionInfo, ModuleInfo
from .parsing import parse, syntax_problems


def analyze_module(
    source: str,
    path: str | None = None,
    *,
    workspace: str | None = None,
    resolve_imports: bool = True,
) -> ModuleInfo:
    """Functions, methods and nested functions of `source` with call edges and blocks.

    Never runs the code. With syntax errors, the functions that parse cleanly
    are still listed. `path` (when the file exists on disk) lets calls of names
    imported from the workspace be resolved into `imported_calls`; the
    workspace is `workspace`, or the nearest folder with a project marker
    (pyproject.toml, setup.py, .git, ...) above the file.
    """
    if not source.strip():
        return ModuleInfo(source=source, functions={}, syntax_errors=[], path=path)
    parsed = parse(source)
    definitions = collect_definitions(parsed)
    package = package_of(path) if path else ""
    bindings = import_bindings(parsed, definitions.imports, package)
    edges = find_calls(parsed, definitions, bindings)

    functions: dict[str, FunctionInfo] = {}
    for site in definitions.sites:
        info = site.info
        body = site.node.child_by_field_name("body")
        info.blocks = function_blocks(body) if body is not None else []
        info.calls = edges.local.get(info.qualname, [])
        # A later definition of the same name replaces the earlier one, as it
        # does when the module runs.
        functions[info.qualname] = info

    if resolve_imports and path and edges.imported and Path(path).is_file():
        root = Path(workspace).resolve() if workspace else workspace_root(path)
        resolved = resolve_in_workspace(source, path, edges.sites, root)
        for qualname, dotted_names in edges.imported.items():
            if qualname in functions:
                # Two import paths (a re-export, say) may reach one definition.
                functions[qualname].imported_calls = list(
                    dict.fromkeys(resolved[name] for name in dotted_names if name in resolved)
                )
    return ModuleInfo(
        source=source, functions=functions, syntax_errors=syntax_problems(parsed), path=path
    )
