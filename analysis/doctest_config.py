"""The doctest option flags a project runs its doctests with, read from its pytest config.

`python -m doctest` uses no option flags at all, so neither does mgdebug by
default. A project that runs its doctests through pytest (`--doctest-modules`
in `addopts`) gets pytest's `doctest_optionflags` instead, whose default is
ELLIPSIS. The config file is found as pytest finds it
(`pytest_discovery.pytest_config_file`, in pytest's precedence), in the
nearest folder upwards that has one. Static: the files are parsed, nothing
is run.
"""

from __future__ import annotations

import configparser
import doctest
import importlib
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import PYTEST_ALLOW_BYTES, PYTEST_ALLOW_UNICODE
from .pytest_discovery import pytest_config_file


@dataclass(frozen=True)
class DoctestConfig:
    """How doctests of one file are run: the flags, and which config said so."""

    optionflags: int = 0
    config_file: str | None = None  # the pytest config that asked for --doctest-modules
    # Names mgdebug cannot honour (pytest's NUMBER, unknown names): nothing
    # reads this yet, the user is not told.
    ignored_flags: tuple[str, ...] = field(default=())


def doctest_config(path: str) -> DoctestConfig:
    """The doctest flags for the file at `path` (no flags unless pytest runs its doctests)."""
    folder = os.path.dirname(os.path.abspath(path))
    return _config_for_folder(folder)


def _config_for_folder(folder: str) -> DoctestConfig:
    found = _find_pytest_config(folder)
    if found is None:
        return DoctestConfig()
    config_file, options = found
    # `doctest_optionflags` means nothing outside pytest's doctest runs: a
    # project that sets it runs its doctests through pytest (often with
    # `--doctest-modules` on the command line, from tox or CI, not in addopts).
    if (
        "--doctest-modules" not in _words(options.get("addopts"))
        and "doctest_optionflags" not in options
    ):
        return DoctestConfig()
    names = _words(options.get("doctest_optionflags", "ELLIPSIS"))
    flags = 0
    ignored: list[str] = []
    for name in names:
        if name in _PYTEST_FLAGS:
            flags |= _PYTEST_FLAGS[name]
        elif name in doctest.OPTIONFLAGS_BY_NAME:
            flags |= doctest.OPTIONFLAGS_BY_NAME[name]
        else:
            ignored.append(name)
    return DoctestConfig(flags, config_file, tuple(ignored))


_PYTEST_FLAGS = {"ALLOW_UNICODE": PYTEST_ALLOW_UNICODE, "ALLOW_BYTES": PYTEST_ALLOW_BYTES}


def _words(value: Any) -> list[str]:
    """An ini option as pytest reads it: a list (TOML) or a shell-like string."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    try:
        return shlex.split(str(value))
    except ValueError:
        return str(value).split()


def _find_pytest_config(folder: str) -> tuple[str, dict[str, Any]] | None:
    """The nearest pytest config file from `folder` upwards (as pytest_discovery finds
    it, in pytest's precedence), and its pytest options."""
    for place in (Path(folder), *Path(folder).parents):
        found = pytest_config_file(place)
        if found is not None:
            return str(found), _read_options(str(found), found.name) or {}
    return None


def _read_options(path: str, name: str) -> dict[str, Any] | None:
    """pytest's options in one config file; None when they cannot be read."""
    if name.endswith(".toml"):
        return _toml_options(path, name)
    section = {"pytest.ini": "pytest", ".pytest.ini": "pytest", "tox.ini": "pytest"}.get(
        name, "tool:pytest"
    )
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f)
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    if parser.has_section(section):
        return dict(parser.items(section))
    # pytest.ini is pytest's config even when it has no [pytest] section.
    return {} if name in ("pytest.ini", ".pytest.ini") else None


def _toml_options(path: str, name: str) -> dict[str, Any] | None:
    try:
        toml: Any = importlib.import_module("tomllib")
    except ImportError:  # Python 3.10: tomli, if the environment has it
        try:
            toml = importlib.import_module("tomli")
        except ImportError:
            return None
    try:
        with open(path, "rb") as f:
            data = toml.load(f)
    except (OSError, ValueError):
        return None
    if name == "pyproject.toml":
        tool_pytest = data.get("tool", {}).get("pytest", {})
        # [tool.pytest.ini_options], or since pytest 9 [tool.pytest] itself.
        is_table = isinstance(tool_pytest, dict)
        table = tool_pytest.get("ini_options", tool_pytest) if is_table else None
    else:  # pytest.toml: a [pytest] table
        table = data.get("pytest")
    return dict(table) if isinstance(table, dict) else None
